//! Per-run state shared by the parsers: the identity map and the object-id → principal-name
//! pairs learned from records that name both.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use udm::Event;

use crate::build::{self, looks_like_email, looks_like_guid};
use crate::Identities;

/// Identity state for one run.
#[derive(Debug, Clone, Default)]
pub(crate) struct Context {
    /// Aliases from the identities file plus learned object ids.
    pub identities: Identities,
    /// Principal names (UPNs) by object id, learned from the input; see [`name_key`].
    names: HashMap<String, String>,
    /// Keys of the object ids whose alias in `identities` was learned rather than given by
    /// the identities file, so that a preferred spelling learned later may replace it.
    learned_aliases: HashSet<String>,
}

impl Context {
    pub(crate) fn new(identities: Identities) -> Context {
        Context { identities, names: HashMap::new(), learned_aliases: HashSet::new() }
    }

    /// Records that `object_id` and the principal name `name` are the same account.
    ///
    /// When records pair one object id with different names, the id keeps the name that
    /// [`precedes`] the others, whatever the order the records came in. An object id that the
    /// identities file names keeps that file's email.
    pub(crate) fn learn(&mut self, object_id: &str, name: &str) {
        if object_id.is_empty() || !looks_like_email(name) || object_id.eq_ignore_ascii_case(name) {
            return;
        }
        let key = name_key(object_id);
        if let Some(known) = self.names.get(&key) {
            if !precedes(name, known) {
                return;
            }
        }
        self.names.insert(key.clone(), name.to_owned());
        let canonical = self.identities.resolve(name).unwrap_or(name).to_owned();
        if self.learned_aliases.contains(&key) || self.identities.resolve(object_id).is_none() {
            self.identities.insert(object_id, &canonical);
            self.learned_aliases.insert(key);
        }
    }

    /// Returns the principal name learned for `object_id`.
    pub(crate) fn name_of(&self, object_id: &str) -> Option<&str> {
        self.names.get(&name_key(object_id)).map(String::as_str)
    }

    /// Writes a UDM `User` at `path` (`principal.user`, `target.user`, ...).
    ///
    /// `name` is the source's user name or UPN and `object_id` its opaque id. When only the
    /// id is given, the name comes from learned pairs, then from the identity map, and the id
    /// itself is the last resort for `userid`. `email_addresses` gets the canonical email in
    /// lower case.
    pub(crate) fn write_user(
        &self,
        event: &mut Event,
        path: &str,
        name: Option<&str>,
        object_id: Option<&str>,
    ) {
        let name = name.map(str::trim).filter(|s| !s.is_empty());
        let object_id = object_id.map(str::trim).filter(|s| !s.is_empty());
        let learned = object_id.and_then(|id| self.name_of(id));
        let resolved_name = name.or(learned);
        let email = resolved_name
            .and_then(|n| self.identities.resolve(n))
            .or_else(|| object_id.and_then(|id| self.identities.resolve(id)))
            .or(resolved_name.filter(|n| looks_like_email(n)));
        let userid = resolved_name.or(email).or(object_id);
        if let Some(userid) = userid {
            build::set_str(event, &format!("{path}.userid"), userid);
        }
        // Email addresses are compared exactly by rules, while sources spell one UPN in
        // different letter cases, so every email is written in lower case.
        if let Some(email) = email {
            build::push_unique(event, &format!("{path}.email_addresses"), &email.to_lowercase());
        }
        if let Some(id) = object_id {
            if Some(id) != userid || looks_like_guid(id) {
                build::set_str(event, &format!("{path}.product_object_id"), id);
            }
        }
    }
}

/// Tells whether the principal name `candidate` is preferred over `known` for one object id.
/// The name that sorts first in lower case wins, so `alice@…` beats `bob@…`. Of two spellings
/// that differ only in letter case, the one with the lower-case letter at the first difference
/// wins, so `alice.chen@…` beats `Alice.Chen@…`, the spelling Microsoft 365 audit records
/// usually have.
fn precedes(candidate: &str, known: &str) -> bool {
    let order =
        candidate.to_lowercase().cmp(&known.to_lowercase()).then_with(|| known.cmp(candidate));
    order == Ordering::Less
}

/// The key of an object id in the learned names: GUIDs lower-cased, other ids as they are,
/// because 15-character Salesforce ids differ only in letter case.
fn name_key(object_id: &str) -> String {
    if looks_like_guid(object_id) {
        object_id.to_ascii_lowercase()
    } else {
        object_id.to_owned()
    }
}
