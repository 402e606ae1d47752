//! Evaluation of compiled YARA-L 2.0 rules over UDM events.
//!
//! [`Rule::compile`] lowers a checked rule into a plan: per-variable filters, placeholder
//! bindings, join keys, the match window, outcomes and the condition. [`Engine`] runs plans
//! over a stream of events in event-time order and returns [`Detection`]s. The same engine
//! serves hunts, which close every window at the end of input, and live streams, which close
//! windows on a watermark. [`TimeSorter`] puts a hunt's events in event-time order within
//! bounded memory, and [`Prefilter`] drops the events that no rule can use before that.
//! [`Router`] gives the routing keys that split one rule set's window state across processes.
#![warn(missing_docs)]

/// Hash maps and sets for the engine's per-event state: partitions, match keys, joins and
/// aggregates. foldhash with a per-process seed costs a fraction of std's SipHash on these
/// short keys, which come from event fields.
mod fast_hash {
    pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
    pub(crate) type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
}

mod context;
mod detection;
mod dispatch;
mod entities;
mod eval;
mod functions;
mod group;
mod join;
mod plan;
mod prefilter;
mod route;
mod rows;
mod rule;
mod runtime;
mod sort;
mod window;

pub use context::Context;
pub use detection::{Detection, DetectionType, RuleInfo, MAX_SAMPLES, SCHEMA};
pub use entities::{validity_interval, Entities};
pub use prefilter::{ColumnTest, Prefilter, RawFilter, RawScan, Verdict};
pub use route::{partition_of, Route, Router};
pub use rule::Rule;
pub use runtime::{Engine, EngineStats, RouteFilter, RuleStats};
pub use sort::{SortedEvents, SpillDir, TimeSorter, MAX_FAN_IN};
