//! The identity map: which aliases (object ids, Salesforce and Okta user ids, other UPNs)
//! belong to which person, keyed to that person's canonical email.

use std::collections::HashMap;

use crate::build::{looks_like_email, looks_like_guid};
use crate::SourceError;

/// Aliases of people, each resolving to one canonical email.
///
/// Emails and GUIDs match case-insensitively; other ids (Salesforce ids are case-sensitive)
/// match exactly.
#[derive(Debug, Clone, Default)]
pub struct Identities {
    by_alias: HashMap<String, String>,
}

fn alias_key(alias: &str) -> String {
    let alias = alias.trim();
    if looks_like_email(alias) || looks_like_guid(alias) {
        alias.to_ascii_lowercase()
    } else {
        alias.to_owned()
    }
}

impl Identities {
    /// Creates an empty map.
    pub fn new() -> Identities {
        Identities::default()
    }

    /// Reads an identities CSV: a header row with an `email` column, then one person per row;
    /// every non-empty cell of a row is an alias of that row's email.
    ///
    /// `origin` names the file in errors.
    pub fn from_csv(text: &str, origin: &str) -> Result<Identities, SourceError> {
        let error = |reason: String| SourceError::Identities { origin: origin.to_owned(), reason };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = reader.headers().map_err(|e| error(format!("unreadable header: {e}")))?;
        let email_column = headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case("email"))
            .ok_or_else(|| error("the header row has no email column".to_owned()))?;
        let mut identities = Identities::new();
        for row in reader.records() {
            let row = row.map_err(|e| error(e.to_string()))?;
            let line = row.position().map_or(0, |p| p.line());
            if row.iter().all(str::is_empty) {
                continue;
            }
            // A cell with a line break almost always comes from a quote left open, which
            // swallows the rows after it.
            if row.iter().any(|cell| cell.contains(['\n', '\r'])) {
                return Err(error(format!(
                    "line {line} has a cell with a line break; check for a quote that is not closed"
                )));
            }
            let email = row.get(email_column).unwrap_or("");
            if email.is_empty() {
                return Err(error(format!("line {line} has an empty email cell")));
            }
            for cell in row.iter().filter(|c| !c.is_empty()) {
                identities.insert(cell, email);
            }
        }
        Ok(identities)
    }

    /// Maps `alias` to `email`, replacing an earlier mapping.
    pub fn insert(&mut self, alias: &str, email: &str) {
        if alias.trim().is_empty() || email.trim().is_empty() {
            return;
        }
        self.by_alias.insert(alias_key(alias), email.trim().to_owned());
    }

    /// Maps `alias` to `email` unless `alias` already has a mapping.
    pub fn learn(&mut self, alias: &str, email: &str) {
        if alias.trim().is_empty() || email.trim().is_empty() {
            return;
        }
        self.by_alias.entry(alias_key(alias)).or_insert_with(|| email.trim().to_owned());
    }

    /// Returns the canonical email of `alias`, if known.
    pub fn resolve(&self, alias: &str) -> Option<&str> {
        self.by_alias.get(&alias_key(alias)).map(String::as_str)
    }

    /// Number of aliases known.
    pub fn len(&self) -> usize {
        self.by_alias.len()
    }

    /// Whether no alias is known.
    pub fn is_empty(&self) -> bool {
        self.by_alias.is_empty()
    }
}
