//! Loading the rules, lists, ASN database, identity table and change windows for `watch`, and reloading them
//! on SIGHUP or when one of their files changes.
//!
//! A reload compiles the whole set again. When any rule fails to compile, or a list or the ASN
//! database cannot be read, the old set keeps running and the reasons are logged. So a reload
//! never leaves the service with fewer rules than the files define.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{bail, Result};
use enrich::AsnDb;

use crate::cli::WatchArgs;
use crate::suppress::Suppressions;
use crate::{context, ruleset};

/// Everything the pipeline runs with that can be reloaded.
pub struct RuleSet {
    /// Compiled rules.
    pub rules: Vec<engine::Rule>,
    /// The IP-to-ASN database used to enrich events, if any.
    pub asn: Option<Arc<AsnDb>>,
    /// The identity table the normaliser resolves aliases with.
    pub identities: sources::Identities,
    /// The `--suppressions` change windows; empty without the option.
    pub suppressions: Arc<Suppressions>,
}

impl RuleSet {
    /// The event-time span behind the watermark that must be replayed to rebuild the window,
    /// de-duplication and suppression state of these rules.
    ///
    /// A window still open at watermark W starts after W minus its length. A hop-window
    /// detection is held after its window closes, and then remembered to drop later subsets
    /// of it, for up to two more lengths. Its window must be rebuilt whole to be found again,
    /// so three window lengths cover the window state. A suppression period that is still
    /// running began with a detection at most one suppression window ago.
    pub fn retention(&self) -> Duration {
        let window = self.rules.iter().filter_map(engine::Rule::window_length).max();
        let suppression = self.rules.iter().filter_map(engine::Rule::suppression_window).max();
        window.unwrap_or_default().saturating_mul(3) + suppression.unwrap_or_default()
    }
}

/// Paths the rule set is loaded and reloaded from.
#[derive(Debug, Clone)]
pub struct Sources {
    rules: Vec<PathBuf>,
    lists: Vec<PathBuf>,
    entities: Vec<PathBuf>,
    data_tables: Vec<PathBuf>,
    asn_db: Vec<PathBuf>,
    identities: Option<PathBuf>,
    suppressions: Option<PathBuf>,
}

impl Sources {
    /// Collects the paths named on the command line.
    pub fn from_args(args: &WatchArgs) -> Sources {
        Sources {
            rules: args.rules.clone(),
            lists: args.lists.clone(),
            entities: args.entities.clone(),
            data_tables: args.data_tables.clone(),
            asn_db: args.source.asn_db.clone(),
            identities: args.source.identities.clone(),
            suppressions: args.suppressions.clone(),
        }
    }

    /// Loads and compiles the set. With `strict`, as for a reload, one rule that does not
    /// compile fails the whole load. Without it, as at start-up, such rules are reported and
    /// skipped.
    pub fn load(&self, strict: bool) -> Result<(RuleSet, Vec<ruleset::RejectedRule>)> {
        let lists = context::load_lists(&self.lists, false)?;
        let asn = context::load_asn_db(&self.asn_db, false)?.map(Arc::new);
        let identities = context::load_identities(self.identities.as_deref(), false)?;
        // Read with the lists, because a change window's `entry` takes the type of its list.
        let suppressions = match &self.suppressions {
            Some(path) => Suppressions::load(path, &lists)?,
            None => Suppressions::default(),
        };
        let entities = Arc::new(context::load_entities(&self.entities)?.entities);
        let tables = Arc::new(context::load_tables(&self.data_tables)?);
        let ctx = engine::Context { lists: Arc::new(lists), asn: asn.clone(), entities, tables };
        let files = ruleset::read_rule_files(&self.rules)?;
        let loaded = ruleset::compile_rules(&files, &yaral::CheckOptions::default(), &ctx);
        if strict && !loaded.rejected.is_empty() {
            let reasons: Vec<String> =
                loaded.rejected.iter().map(|r| format!("{}: {}", r.name, r.reason)).collect();
            bail!("{} rule(s) did not compile: {}", reasons.len(), reasons.join("; "));
        }
        if loaded.rules.is_empty() {
            bail!("no rule could be compiled");
        }
        crate::hunt::warn_without_entities(&loaded.rules, &ctx, !self.entities.is_empty());
        let suppressions = Arc::new(suppressions);
        Ok((RuleSet { rules: loaded.rules, asn, identities, suppressions }, loaded.rejected))
    }

    /// Returns a fingerprint of every file the set is read from: paths, lengths and modification times.
    /// A reload is due when it changes.
    pub fn fingerprint(&self) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
        let mut out = Vec::new();
        let paths = self.rules.iter().chain(&self.lists).chain(&self.entities).chain(&self.asn_db);
        let paths = paths.chain(&self.data_tables);
        for path in paths.chain(&self.identities).chain(&self.suppressions) {
            collect_fingerprint(path, &mut out);
        }
        out.sort();
        out
    }
}

fn collect_fingerprint(path: &Path, out: &mut Vec<(PathBuf, u64, Option<SystemTime>)>) {
    let Ok(meta) = std::fs::metadata(path) else {
        out.push((path.to_path_buf(), u64::MAX, None));
        return;
    };
    if meta.is_dir() {
        let Ok(entries) = std::fs::read_dir(path) else { return };
        for entry in entries.flatten() {
            collect_fingerprint(&entry.path(), out);
        }
    } else {
        out.push((path.to_path_buf(), meta.len(), meta.modified().ok()));
    }
}
