//! Resolution of dotted field paths (`principal.user.userid`) against the schema.

use super::{FieldDef, FieldKind, MessageType, TypeRef, NOUN_FIELDS};

/// The `seconds` part of a `google.protobuf.Timestamp`.
static TIMESTAMP_SECONDS: FieldDef = FieldDef {
    name: "seconds",
    json_name: "seconds",
    repeated: false,
    deprecated: false,
    type_ref: TypeRef::Int64,
};

/// The `nanos` part of a `google.protobuf.Timestamp`.
static TIMESTAMP_NANOS: FieldDef = FieldDef {
    name: "nanos",
    json_name: "nanos",
    repeated: false,
    deprecated: false,
    type_ref: TypeRef::Int32,
};

/// The `fields` map of a `google.protobuf.Struct` (`additional.fields`).
static STRUCT_FIELDS: FieldDef = FieldDef {
    name: "fields",
    json_name: "fields",
    repeated: false,
    deprecated: false,
    type_ref: TypeRef::Struct,
};

/// A path that resolved to a field.
#[derive(Debug, Clone, Copy)]
pub struct Resolved {
    /// The last field of the path.
    pub field: &'static FieldDef,
    /// The last field's type. For `.seconds` and `.nanos` of a Timestamp this is `Int64` and
    /// `Int32`; for the `fields` of a Struct it is `Struct`.
    pub kind: FieldKind,
    /// How many repeated fields the path crosses, the last field included:
    /// `about.ip` crosses 2, `principal.hostname` 0.
    pub repeated_count: usize,
    /// Whether the path ends in the `fields` map of a Struct (`additional.fields`), which rules
    /// read with map access (`["key"]`). In the event tree a Struct's keys sit directly under
    /// the Struct field (`additional` → `{ "key": ... }`), as in proto3 JSON.
    pub struct_fields: bool,
}

/// Why a path did not resolve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The path has no segments, or an empty segment (`principal..ip`).
    #[error("empty field path segment in {path:?}")]
    Empty {
        /// The whole path, dot-joined.
        path: String,
    },
    /// A segment names no field of the message it is in.
    #[error("unknown field {segment:?} in {message} at {prefix:?}{}", suggestion_text(.suggestion))]
    UnknownField {
        /// The segment's position in the path, 0-based.
        index: usize,
        /// The unknown segment.
        segment: String,
        /// The segments before it, dot-joined (`principal.user`).
        prefix: String,
        /// The type of the message it was looked up in.
        message: &'static str,
        /// The closest field name, when one is within a small edit distance.
        suggestion: Option<&'static str>,
    },
    /// A noun field appears inside a noun (`principal.target.file`): nouns only sit at the
    /// top of an event.
    #[error(
        "{segment:?} is an event-level noun and cannot appear inside {prefix:?}; \
         start the path with {segment:?} instead"
    )]
    NounInNoun {
        /// The segment's position in the path, 0-based.
        index: usize,
        /// The noun field name found inside a noun.
        segment: String,
        /// The segments before it, dot-joined.
        prefix: String,
    },
    /// A segment follows a scalar or enum field (`principal.hostname.x`).
    #[error("{prefix:?} is a {type_name} and has no field {segment:?}")]
    NotAMessage {
        /// The segment's position in the path, 0-based.
        index: usize,
        /// The segment after the scalar.
        segment: String,
        /// The segments up to the scalar, dot-joined.
        prefix: String,
        /// The scalar's type.
        type_name: &'static str,
    },
}

fn suggestion_text(suggestion: &Option<&'static str>) -> String {
    match suggestion {
        Some(name) => format!("; did you mean {name:?}?"),
        None => String::new(),
    }
}

/// Resolves a path of field names, each snake_case or lowerCamelCase, starting at `root`.
///
/// Timestamps resolve `.seconds` and `.nanos`; a Struct resolves `.fields` (its map of keys).
/// Map keys and indexes (`["k"]`, `[0]`) are not part of the path: the caller strips them.
pub fn resolve(root: &'static MessageType, path: &[&str]) -> Result<Resolved, PathError> {
    let joined = || path.join(".");
    if path.is_empty() || path.iter().any(|s| s.is_empty()) {
        return Err(PathError::Empty { path: joined() });
    }
    let prefix = |index: usize| path.get(..index).map(|p| p.join(".")).unwrap_or_default();

    let mut message = root;
    let mut repeated_count = 0;
    let mut last: Option<Resolved> = None;
    for (index, &segment) in path.iter().enumerate() {
        if let Some(previous) = last {
            match previous.kind {
                FieldKind::Message(m) => message = m,
                FieldKind::Timestamp => {
                    let field = match segment {
                        "seconds" => &TIMESTAMP_SECONDS,
                        "nanos" => &TIMESTAMP_NANOS,
                        _ => {
                            return Err(PathError::UnknownField {
                                index,
                                segment: segment.to_owned(),
                                prefix: prefix(index),
                                message: "Timestamp",
                                suggestion: suggest(segment, ["seconds", "nanos"].into_iter()),
                            })
                        }
                    };
                    last = Some(Resolved {
                        field,
                        kind: field.kind(),
                        repeated_count,
                        struct_fields: false,
                    });
                    continue;
                }
                FieldKind::Struct if segment == "fields" && !previous.struct_fields => {
                    last = Some(Resolved {
                        field: &STRUCT_FIELDS,
                        kind: FieldKind::Struct,
                        repeated_count,
                        struct_fields: true,
                    });
                    continue;
                }
                other => {
                    return Err(PathError::NotAMessage {
                        index,
                        segment: segment.to_owned(),
                        prefix: prefix(index),
                        type_name: other.type_name(),
                    })
                }
            }
        }
        let Some(field) = message.field(segment) else {
            if message.name == "Noun" && NOUN_FIELDS.contains(&segment) {
                return Err(PathError::NounInNoun {
                    index,
                    segment: segment.to_owned(),
                    prefix: prefix(index),
                });
            }
            return Err(PathError::UnknownField {
                index,
                segment: segment.to_owned(),
                prefix: prefix(index),
                message: message.name,
                suggestion: suggest(segment, message.fields().map(|f| f.name)),
            });
        };
        if field.repeated {
            repeated_count += 1;
        }
        last = Some(Resolved { field, kind: field.kind(), repeated_count, struct_fields: false });
    }
    last.ok_or(PathError::Empty { path: joined() })
}

/// Returns the candidate closest to `name` by edit distance, if it is close enough to be a
/// plausible typo: at most 1 edit for names up to 4 characters, 2 up to 8, 3 beyond.
fn suggest(name: &str, candidates: impl Iterator<Item = &'static str>) -> Option<&'static str> {
    let limit = match name.chars().count() {
        0..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    let lower = name.to_ascii_lowercase();
    candidates
        .map(|candidate| (edit_distance(&lower, candidate), candidate))
        .filter(|&(distance, _)| distance <= limit)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("hostname", "hostname"), 0);
        assert_eq!(edit_distance("hostnme", "hostname"), 1);
        assert_eq!(edit_distance("", "ab"), 2);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
