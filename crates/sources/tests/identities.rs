//! The identities CSV: loading, aliases and errors.

use sources::Identities;

#[test]
fn every_cell_is_an_alias() {
    let csv = "name,email,okta_id,salesforce_id\n\
               Dana Lee,dana@example.com,00u1abcdEFGH,0055g00000AbCdE\n\
               Sam Roe,sam@example.com,,\n";
    let identities = Identities::from_csv(csv, "people.csv").unwrap();
    assert_eq!(identities.resolve("00u1abcdEFGH"), Some("dana@example.com"));
    assert_eq!(identities.resolve("0055g00000AbCdE"), Some("dana@example.com"));
    assert_eq!(identities.resolve("Dana Lee"), Some("dana@example.com"));
    assert_eq!(identities.resolve("sam@example.com"), Some("sam@example.com"));
}

#[test]
fn emails_and_guids_match_case_insensitively() {
    let csv = "email,object_id\nDana@Example.com,0B7F1C2E-1111-4A2B-9C3D-5E6F7A8B9C0D\n";
    let identities = Identities::from_csv(csv, "people.csv").unwrap();
    assert_eq!(identities.resolve("dana@example.COM"), Some("Dana@Example.com"));
    assert_eq!(
        identities.resolve("0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d"),
        Some("Dana@Example.com")
    );
}

#[test]
fn other_ids_match_exactly() {
    let csv = "email,salesforce_id\ndana@example.com,0055g00000AbCdE\n";
    let identities = Identities::from_csv(csv, "people.csv").unwrap();
    assert_eq!(identities.resolve("0055g00000abcde"), None);
}

#[test]
fn header_email_column_is_found_in_any_case_and_position() {
    let csv = "\u{feff}Okta_Id,EMAIL\n00u1,dana@example.com\n";
    let identities = Identities::from_csv(csv, "people.csv").unwrap();
    assert_eq!(identities.resolve("00u1"), Some("dana@example.com"));
}

#[test]
fn missing_email_column_is_an_error() {
    let error =
        Identities::from_csv("name,upn\nDana,dana@example.com\n", "people.csv").unwrap_err();
    let message = error.to_string();
    assert!(message.contains("people.csv"), "{message}");
    assert!(message.contains("email column"), "{message}");
}

#[test]
fn empty_email_cell_is_an_error_with_line() {
    let error = Identities::from_csv("email,okta_id\n,00u1\n", "people.csv").unwrap_err();
    assert!(error.to_string().contains("line 2"), "{error}");
}

#[test]
fn blank_rows_are_skipped() {
    let identities = Identities::from_csv("email\n\ndana@example.com\n", "people.csv").unwrap();
    assert_eq!(identities.resolve("dana@example.com"), Some("dana@example.com"));
}
