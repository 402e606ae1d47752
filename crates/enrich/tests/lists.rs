//! Reference list loading and matching through the public API.

use std::fs;
use std::path::{Path, PathBuf};

use enrich::{ListError, ListKind, ListLimits, ReferenceList, ReferenceLists};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

fn list(kind: ListKind, text: &str) -> ReferenceList {
    let (list, problems) = ReferenceList::from_text("test", kind, text, "test.list");
    assert!(problems.is_empty(), "unexpected problems: {problems:?}");
    list
}

#[test]
fn string_list_exact_match() {
    let hosts = list(ListKind::String, "alpha.example\n  beta.example  // comment\n");
    assert_eq!(hosts.len(), 2);
    assert!(hosts.contains("alpha.example", false));
    assert!(hosts.contains("beta.example", false));
    assert!(!hosts.contains("ALPHA.example", false));
    assert!(!hosts.contains("alpha", false));
    assert!(!hosts.contains("beta.example  // comment", false));
}

#[test]
fn string_list_url_escapes() {
    let urls = list(ListKind::String, "https:\\/\\/login.example.com\\/path // sign-in page\n");
    assert!(urls.contains("https://login.example.com/path", false));
    assert_eq!(urls.entries(), ["https://login.example.com/path"]);
}

#[test]
fn string_list_nocase_ascii() {
    let users = list(ListKind::String, "ETL-Service@Example.com\n");
    assert!(users.contains("etl-service@example.com", true));
    assert!(users.contains("ETL-SERVICE@EXAMPLE.COM", true));
    assert!(!users.contains("etl-service@example.com", false));
}

#[test]
fn string_list_nocase_non_ascii() {
    let names = list(ListKind::String, "Größe\nΟΔΟΣ\nМосква\n");
    assert!(names.contains("GRÖSSE", true));
    assert!(names.contains("größe", true));
    assert!(names.contains("οδος", true));
    assert!(names.contains("οδοσ", true));
    assert!(names.contains("москва", true));
    assert!(!names.contains("москва", false));
    assert!(!names.contains("moskva", true));
}

#[test]
fn regex_list_unanchored() {
    let patterns = list(ListKind::Regex, "mimikatz\\.exe\n^cmd\\.exe$\n");
    assert!(patterns.matches_regex("C:\\tools\\mimikatz.exe", false));
    assert!(patterns.matches_regex("cmd.exe", false));
    assert!(!patterns.matches_regex("xcmd.exe", false));
    assert!(!patterns.matches_regex("MIMIKATZ.EXE", false));
}

#[test]
fn regex_list_nocase_unicode() {
    let patterns = list(ListKind::Regex, "straße\nδρόμος\n");
    assert!(patterns.matches_regex("STRAẞE", true));
    assert!(patterns.matches_regex("ΔΡΌΜΟΣ", true));
    assert!(!patterns.matches_regex("ΔΡΌΜΟΣ", false));
}

#[test]
fn regex_list_slash_escape_and_comment() {
    let text = "^https:\\/\\/graph\\.microsoft\\.com\\/v1\\.0\\/users\\/[^/]+\\/messages // mail\n";
    let patterns = list(ListKind::Regex, text);
    assert_eq!(
        patterns.entries(),
        ["^https://graph\\.microsoft\\.com/v1\\.0/users/[^/]+/messages"]
    );
    assert!(
        patterns.matches_regex("https://graph.microsoft.com/v1.0/users/u1/messages?$top=5", false)
    );
    assert!(!patterns.matches_regex("https://graph.microsoft.com/v1.0/users/u1/events", false));

    let repeated = list(ListKind::Regex, "a/{2}b\n");
    assert!(repeated.matches_regex("xa//by", false));
}

#[test]
fn string_list_used_as_regex() {
    let tools = list(ListKind::String, "psexec\n(unclosed\n");
    assert!(tools.matches_regex("C:\\PsTools\\psexec64.exe", false));
    assert!(tools.matches_regex("PSEXEC", true));
    assert!(!tools.matches_regex("(unclosed", false));
    let errors = tools.pattern_errors();
    assert_eq!(errors.len(), 1);
    assert!(matches!(&errors[0], ListError::InvalidRegex { line: 2, .. }), "{errors:?}");
    assert_eq!(
        errors[0].to_string(),
        "test.list:2: invalid regular expression \"(unclosed\": unclosed group"
    );
}

#[test]
fn cidr_list_ipv4_and_ipv6() {
    let ranges = list(ListKind::Cidr, "192.0.2.0/24 // office\n2001:db8:10::/48\n198.51.100.9\n");
    assert!(ranges.contains_ip("192.0.2.200"));
    assert!(ranges.contains_ip("2001:db8:10:ffff::1"));
    assert!(ranges.contains_ip("198.51.100.9"));
    assert!(!ranges.contains_ip("198.51.100.10"));
    assert!(!ranges.contains_ip("2001:db8:11::1"));
}

#[test]
fn cidr_list_mapped_and_bracketed_values() {
    let ranges = list(ListKind::Cidr, "192.0.2.0/24\n2001:db8::/32\n");
    assert!(ranges.contains_ip("::ffff:192.0.2.1"));
    assert!(ranges.contains_ip("::FFFF:192.0.2.1"));
    assert!(ranges.contains_ip("[2001:db8::5]"));
    assert!(ranges.contains_ip("  192.0.2.1\t"));
    assert!(ranges.contains_ip(" [ 2001:db8::5 ] "));
    assert!(!ranges.contains_ip("::ffff:198.51.100.1"));
}

#[test]
fn cidr_list_non_ip_never_matches() {
    let ranges = list(ListKind::Cidr, "0.0.0.0/0\n::/0\n");
    for value in ["", "host.example", "192.0.2", "192.0.2.1/24", "300.1.1.1", "[", "[]"] {
        assert!(!ranges.contains_ip(value), "{value:?}");
    }
    assert!(ranges.contains_ip("203.0.113.1"));
}

#[test]
fn string_list_used_as_cidr() {
    let iocs = list(ListKind::String, "203.0.113.5\nnot-an-ip\n198.51.100.0/24\n");
    assert!(iocs.contains_ip("203.0.113.5"));
    assert!(iocs.contains_ip("198.51.100.77"));
    assert!(!iocs.contains_ip("203.0.113.6"));
    assert!(iocs.contains("203.0.113.5", false));
}

#[test]
fn bad_entries_name_origin_and_line() {
    let text = "192.0.2.0/24\n10.0.0.0/33\n// comment\nnot-a-range\n2001:db8::/32\n";
    let (ranges, problems) =
        ReferenceList::from_text("egress", ListKind::Cidr, text, "egress.cidr");
    assert_eq!(ranges.len(), 2);
    assert!(ranges.contains_ip("2001:db8::1"));
    assert_eq!(problems.len(), 2);
    let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        messages[0].starts_with("egress.cidr:2: invalid CIDR range \"10.0.0.0/33\""),
        "{}",
        messages[0]
    );
    assert!(
        messages[1].starts_with("egress.cidr:4: invalid CIDR range \"not-a-range\""),
        "{}",
        messages[1]
    );
    assert!(problems.iter().all(|problem| !problem.is_warning()));
}

#[test]
fn bad_regex_reported_rest_loads() {
    let text = "good\n(unclosed\n*star\nalso[0-9]good\n";
    let (patterns, problems) =
        ReferenceList::from_text("tools", ListKind::Regex, text, "tools.regex");
    assert_eq!(patterns.len(), 2);
    assert!(patterns.matches_regex("also7good", false));
    let lines: Vec<usize> = problems
        .iter()
        .map(|problem| match problem {
            ListError::InvalidRegex { line, .. } => *line,
            other => panic!("unexpected problem {other:?}"),
        })
        .collect();
    assert_eq!(lines, [2, 3]);
    assert!(problems[0].to_string().starts_with("tools.regex:2: invalid regular expression"));
}

#[test]
fn limits_are_warnings() {
    let many: String = (0..151).map(|i| format!("10.0.{}.{}\n", i / 256, i % 256)).collect();
    let (ranges, problems) = ReferenceList::from_text("big", ListKind::Cidr, &many, "big.cidr");
    assert_eq!(ranges.len(), 151);
    assert_eq!(problems.len(), 1);
    assert!(problems[0].is_warning());
    assert!(problems[0].to_string().contains("number of entries is 151, above the limit of 150"));

    let (_, problems) = ReferenceList::from_text_with_limits(
        "big",
        ListKind::Cidr,
        &many,
        "big.cidr",
        &ListLimits::unlimited(),
    );
    assert!(problems.is_empty());

    let patterns: String = (0..101).map(|i| format!("p{i}\n")).collect();
    let (_, problems) = ReferenceList::from_text("p", ListKind::Regex, &patterns, "p.regex");
    assert_eq!(problems.len(), 1);
    assert!(problems[0].is_warning());

    let long_line = format!("short\n{}\n", "x".repeat(5001));
    let (_, problems) = ReferenceList::from_text("s", ListKind::String, &long_line, "s.txt");
    assert_eq!(problems.len(), 1);
    assert!(problems[0].to_string().starts_with("s.txt:2: line length"), "{}", problems[0]);

    let limits = ListLimits { string_max_bytes: Some(10), ..ListLimits::default() };
    let (_, problems) = ReferenceList::from_text_with_limits(
        "s",
        ListKind::String,
        "0123456789ab",
        "s.txt",
        &limits,
    );
    assert_eq!(problems.len(), 1);
    assert!(problems[0].to_string().contains("size in bytes is 12"));
}

#[test]
fn load_dir_types_by_extension() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "UNC6040_IOC_LIST.txt", "203.0.113.10\n");
    write(dir.path(), "M365_SENSITIVE_GRAPH_REGEX.regex", "/messages\n");
    write(dir.path(), "ENTERPRISE_EGRESS_CIDRS.cidr", "192.0.2.0/24\n");
    write(dir.path(), ".hidden.txt", "ignored\n");
    fs::create_dir(dir.path().join("nested.txt")).unwrap();

    let (lists, problems) = ReferenceLists::load_dir(dir.path()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(lists.len(), 3);
    assert_eq!(lists.get("UNC6040_IOC_LIST").map(ReferenceList::kind), Some(ListKind::String));
    assert_eq!(
        lists.get("M365_SENSITIVE_GRAPH_REGEX").map(ReferenceList::kind),
        Some(ListKind::Regex)
    );
    assert_eq!(lists.get("ENTERPRISE_EGRESS_CIDRS").map(ReferenceList::kind), Some(ListKind::Cidr));
    let names: Vec<&str> = lists.names().collect();
    assert_eq!(
        names,
        ["ENTERPRISE_EGRESS_CIDRS", "M365_SENSITIVE_GRAPH_REGEX", "UNC6040_IOC_LIST"]
    );
}

#[test]
fn names_resolve_case_insensitively() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "UNC6040_IOC_LIST.txt", "203.0.113.10\n");
    let (lists, _) = ReferenceLists::load_dir(dir.path()).unwrap();
    let found = lists.get("%unc6040_IoC_list").unwrap();
    assert_eq!(found.name(), "UNC6040_IOC_LIST");
    assert!(found.contains("203.0.113.10", false));
    assert!(lists.get("unc6040_ioc_list").is_some());
    assert!(lists.get("unc6040").is_none());
}

#[test]
fn shared_handles_reach_one_list() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "UNC6040_IOC_LIST.txt", "203.0.113.10\n");
    let (mut lists, _) = ReferenceLists::load_dir(dir.path()).unwrap();
    let first = lists.shared("%unc6040_IoC_list").unwrap();
    let second = lists.shared("UNC6040_IOC_LIST").unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &second));
    assert!(std::ptr::eq(first.as_ref(), lists.get("unc6040_ioc_list").unwrap()));
    assert!(lists.shared("unc6040").is_none());

    // A list inserted under the same name replaces the old one, and only later handles see it.
    let (newer, _) =
        ReferenceList::from_text("unc6040_ioc_list", ListKind::String, "198.51.100.1\n", "new.txt");
    lists.insert(newer);
    let third = lists.shared("UNC6040_IOC_LIST").unwrap();
    assert!(!std::sync::Arc::ptr_eq(&first, &third));
    assert!(first.contains("203.0.113.10", false));
    assert!(third.contains("198.51.100.1", false));
}

#[test]
fn duplicate_names_name_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let upper = write(dir.path(), "Known_Users.txt", "alice\n");
    let lower = write(dir.path(), "known_users.txt", "bob\n");
    let other_type = write(dir.path(), "KNOWN_USERS.cidr", "192.0.2.0/24\n");

    let (lists, problems) = ReferenceLists::load_dir(dir.path()).unwrap();
    assert_eq!(lists.len(), 1);
    assert_eq!(problems.len(), 2, "{problems:?}");
    for problem in &problems {
        let ListError::DuplicateName { first, second, .. } = problem else {
            panic!("unexpected problem {problem:?}");
        };
        assert_eq!(first, &other_type);
        assert!(second == &upper || second == &lower);
        let message = problem.to_string();
        assert!(message.contains(&first.display().to_string()));
        assert!(message.contains(&second.display().to_string()));
    }
}

#[test]
fn load_dir_reports_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "egress.cidr", "192.0.2.0/24\nbogus\n");
    write(dir.path(), "notes.md", "not a list\n");

    let (lists, problems) = ReferenceLists::load_dir(dir.path()).unwrap();
    assert_eq!(lists.get("egress").map(ReferenceList::len), Some(1));
    assert_eq!(problems.len(), 2, "{problems:?}");
    let expected = format!("{}:2: invalid CIDR range \"bogus\"", path.display());
    assert!(problems[0].to_string().starts_with(&expected), "{}", problems[0]);
    assert!(matches!(problems[1], ListError::UnknownExtension { .. }));
    assert!(problems[1].is_warning());
}

#[test]
fn load_dir_invalid_utf8_reported() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("users.txt"), b"alice\nb\xffb\ncarol\n").unwrap();
    let (lists, problems) = ReferenceLists::load_dir(dir.path()).unwrap();
    assert_eq!(problems.len(), 1);
    assert!(matches!(problems[0], ListError::InvalidUtf8 { line: 2, .. }), "{problems:?}");
    let users = lists.get("users").unwrap();
    assert!(users.contains("carol", false));
    assert!(users.contains("b\u{fffd}b", false));
}

#[test]
fn load_dir_missing_folder_fails() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("absent");
    let error = ReferenceLists::load_dir(&missing).unwrap_err();
    assert!(matches!(error, ListError::Io { .. }));
    assert!(error.to_string().contains("absent"));
}

#[test]
fn insert_replaces_same_name() {
    let mut lists = ReferenceLists::default();
    lists.insert(list(ListKind::String, "one\n"));
    let (replacement, _) = ReferenceList::from_text("TEST", ListKind::String, "two\n", "inline");
    lists.insert(replacement);
    assert_eq!(lists.len(), 1);
    assert!(lists.get("test").unwrap().contains("two", false));
}

const SAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/yaral/chronicle-detection-rules/rules/community/reference_lists"
);

/// The sample files have no extension, so each is read with the type its header comment names.
#[test]
fn corpus_sample_lists_load() {
    let dir = Path::new(SAMPLES);
    if !dir.is_dir() {
        eprintln!("skipping: {} is absent", dir.display());
        return;
    }
    let samples = [
        ("first_party_ms_cloud_apps", ListKind::String),
        ("hacktool_contains", ListKind::Regex),
        ("hacktool_regex", ListKind::Regex),
    ];
    for (file, kind) in samples {
        let path = dir.join(file);
        let text = fs::read_to_string(&path).unwrap();
        let (list, problems) =
            ReferenceList::from_text(file, kind, &text, &path.display().to_string());
        assert!(problems.is_empty(), "{file}: {problems:?}");
        assert!(list.len() > 10, "{file}: {} entries", list.len());
        assert!(list.entries().iter().all(|entry| !entry.starts_with("//")), "{file}");
        assert!(list.entries().iter().all(|entry| !entry.contains("Copyright")), "{file}");
    }

    let (apps, _) = ReferenceList::from_text(
        "first_party_ms_cloud_apps",
        ListKind::String,
        &fs::read_to_string(dir.join("first_party_ms_cloud_apps")).unwrap(),
        "first_party_ms_cloud_apps",
    );
    assert!(apps.contains("c44b4083-3bb0-49c1-b47d-974e53cbdf3c", false));

    let (contains, _) = ReferenceList::from_text(
        "hacktool_contains",
        ListKind::Regex,
        &fs::read_to_string(dir.join("hacktool_contains")).unwrap(),
        "hacktool_contains",
    );
    assert!(contains.matches_regex("C:\\Users\\x\\secretsdump.py", false));
    assert!(contains.matches_regex("JUICYPOTATO.EXE", true));
    assert!(!contains.matches_regex("notepad.exe", true));

    let (regex, _) = ReferenceList::from_text(
        "hacktool_regex",
        ListKind::Regex,
        &fs::read_to_string(dir.join("hacktool_regex")).unwrap(),
        "hacktool_regex",
    );
    assert!(regex.matches_regex("C:\\tools\\mimikatz.exe", false));
    assert!(!regex.matches_regex("C:\\Windows\\explorer.exe", false));
}
