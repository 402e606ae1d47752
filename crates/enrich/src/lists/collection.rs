//! The set of reference lists a run uses, looked up by case-insensitive name.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::casefold::fold;
use super::{ListError, ListKind, ListLimits, ReferenceList};

/// Reference lists by name. Names compare without regard to case, and a leading `%` (as rules
/// write them) is ignored.
#[derive(Debug, Clone, Default)]
pub struct ReferenceLists {
    /// Lists keyed by folded name, so iteration order is stable. The rules that test a list
    /// share it, so its patterns and ranges are compiled once, and the prefilter can run one
    /// test for all of them.
    lists: BTreeMap<String, Arc<ReferenceList>>,
}

impl ReferenceLists {
    /// Creates an empty collection.
    pub fn new() -> ReferenceLists {
        ReferenceLists::default()
    }

    /// Loads every list file in `dir` with the default [`ListLimits`]; see
    /// [`ReferenceLists::load_dir_with_limits`].
    pub fn load_dir(dir: &Path) -> Result<(ReferenceLists, Vec<ListError>), ListError> {
        ReferenceLists::load_dir_with_limits(dir, &ListLimits::default())
    }

    /// Loads every list file in `dir`, not descending into subfolders.
    ///
    /// `NAME.txt` is a STRING list, `NAME.regex` a REGEX list and `NAME.cidr` a CIDR list.
    /// Hidden files (starting with `.`) and folders are skipped quietly, and other files with a
    /// warning. Fails only when the folder itself cannot be read. Every other problem (an
    /// unreadable file, two files for one name, invalid entries, exceeded limits) is returned
    /// beside the lists, which hold everything that loaded.
    pub fn load_dir_with_limits(
        dir: &Path,
        limits: &ListLimits,
    ) -> Result<(ReferenceLists, Vec<ListError>), ListError> {
        let io_error = |source| ListError::Io { path: dir.to_path_buf(), source };
        let mut problems = Vec::new();
        let mut paths = Vec::new();
        for item in fs::read_dir(dir).map_err(io_error)? {
            match item {
                Ok(item) => paths.push(item.path()),
                Err(source) => problems.push(io_error(source)),
            }
        }
        // Sorting makes the choice between duplicate names, and the order of problems, stable.
        paths.sort();

        let mut lists = ReferenceLists::new();
        let mut sources: BTreeMap<String, PathBuf> = BTreeMap::new();
        for path in paths {
            let Some((name, kind)) = classify(&path, &mut problems) else { continue };
            let key = list_key(&name);
            if let Some(first) = sources.get(&key) {
                problems.push(ListError::DuplicateName {
                    name,
                    first: first.clone(),
                    second: path,
                });
                continue;
            }

            let bytes = match fs::read(&path) {
                Ok(bytes) => bytes,
                Err(source) => {
                    problems.push(ListError::Io { path, source });
                    continue;
                }
            };
            let origin = path.display().to_string();
            let text = decode(&bytes, &origin, &mut problems);
            let (list, list_problems) =
                ReferenceList::from_text_with_limits(&name, kind, &text, &origin, limits);
            problems.extend(list_problems);
            sources.insert(key, path);
            lists.insert(list);
        }
        Ok((lists, problems))
    }

    /// Returns the list with this name, ignoring case and a leading `%`.
    pub fn get(&self, name: &str) -> Option<&ReferenceList> {
        self.lists.get(&list_key(name)).map(Arc::as_ref)
    }

    /// Returns a shared handle to the list with this name, found as [`ReferenceLists::get`]
    /// finds it.
    pub fn shared(&self, name: &str) -> Option<Arc<ReferenceList>> {
        self.lists.get(&list_key(name)).cloned()
    }

    /// Adds a list, replacing any list with the same name regardless of case.
    pub fn insert(&mut self, list: ReferenceList) {
        self.lists.insert(list_key(list.name()), Arc::new(list));
    }

    /// The names of all lists as their files spell them, ordered by folded name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.lists.values().map(|list| list.name())
    }

    /// Iterates over all lists, ordered by folded name.
    pub fn iter(&self) -> impl Iterator<Item = &ReferenceList> {
        self.lists.values().map(Arc::as_ref)
    }

    /// Number of lists.
    pub fn len(&self) -> usize {
        self.lists.len()
    }

    /// Whether there is no list.
    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }
}

fn list_key(name: &str) -> String {
    let name = name.strip_prefix('%').unwrap_or(name);
    fold(name).into_owned()
}

/// Returns a list file's name and type, or `None` (with a warning for files that are not
/// hidden) when the path is not a list file.
fn classify(path: &Path, problems: &mut Vec<ListError>) -> Option<(String, ListKind)> {
    let file_name = path.file_name()?.to_string_lossy();
    if file_name.starts_with('.') || !path.is_file() {
        return None;
    }
    let kind = path.extension().and_then(|ext| ListKind::from_extension(&ext.to_string_lossy()));
    let stem = path.file_stem().map(|stem| stem.to_string_lossy().into_owned());
    match (kind, stem) {
        (Some(kind), Some(stem)) => Some((stem, kind)),
        _ => {
            problems.push(ListError::UnknownExtension { path: path.to_path_buf() });
            None
        }
    }
}

/// Decodes file bytes as UTF-8, replacing invalid sequences and reporting the first line that
/// had one.
fn decode(bytes: &[u8], origin: &str, problems: &mut Vec<ListError>) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(error) => {
            let valid = bytes.get(..error.valid_up_to()).unwrap_or_default();
            let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
            problems.push(ListError::InvalidUtf8 { origin: origin.to_owned(), line });
            String::from_utf8_lossy(bytes).into_owned()
        }
    }
}
