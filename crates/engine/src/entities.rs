//! Entity context: the records that `$e.graph.` fields read.
//!
//! Google SecOps keeps entity records (users, assets, IP addresses, domains, files and the
//! indicators of threat feeds) in an entity graph beside the events. A rule joins an entity
//! variable to its event variables like any other, and an event pairs with an entity record
//! only when the event's time falls inside the record's validity interval,
//! `metadata.interval`. Entity records are loaded before the events and kept for the whole run;
//! they are not part of the time-ordered stream and open no window.

use std::sync::Arc;

use udm::{Event, Message, Str, Timestamp, Value};

use crate::fast_hash::HashSet;
use crate::rows::content_id;

/// One entity record and its validity interval, in nanoseconds since the epoch.
#[derive(Debug, Clone)]
pub(crate) struct EntityRecord {
    /// The `Entity` message, as the root of an event-shaped holder.
    pub entity: Arc<Event>,
    /// `metadata.interval.start_time`, or the earliest time when it is missing.
    pub start: i128,
    /// `metadata.interval.end_time`, or the latest time when it is missing.
    pub end: i128,
    /// The record's id in detections: a hash of its JSON.
    pub id: Str,
}

impl EntityRecord {
    /// Whether an event at `time` pairs with the record.
    ///
    /// NOTE: Google does not say whether the interval's end is inside it; both ends count
    /// here, as for sliding windows, so an event at exactly the end time still pairs.
    pub(crate) fn covers(&self, time: i128) -> bool {
        self.start <= time && time <= self.end
    }
}

/// The entity records of a run, in the order they were loaded.
#[derive(Debug, Clone, Default)]
pub struct Entities {
    records: Vec<EntityRecord>,
    /// The ids of `records`, to recognise a record loaded twice.
    ids: HashSet<Str>,
}

impl Entities {
    /// Creates an empty store.
    pub fn new() -> Entities {
        Entities::default()
    }

    /// Adds an `Entity` message, such as [`udm::json::entity_from_json`] reads, and returns
    /// whether it was new. A record equal to one already added, field for field, is the same
    /// record (one indicator in two overlapping exports, say), so it is left out and `false` is
    /// returned: it would otherwise count twice in `#e` and in aggregates.
    pub fn push(&mut self, entity: Message) -> bool {
        let (start, end) = validity_interval(&entity);
        let start = start.map_or(i128::MIN, |t| t.as_nanos());
        let end = end.map_or(i128::MAX, |t| t.as_nanos());
        let entity = Arc::new(Event::from_message(entity));
        // An Entity has no `product_log_id`, but a record may carry one as an unknown field,
        // which must not make two different records one.
        let id = content_id(&entity);
        if !self.ids.insert(id.clone()) {
            return false;
        }
        self.records.push(EntityRecord { entity, start, end, id });
        true
    }

    /// The number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there is no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub(crate) fn records(&self) -> &[EntityRecord] {
        &self.records
    }

    /// The record with the given sequence number, as [`entity_seq`] gives it.
    pub(crate) fn by_seq(&self, seq: u64) -> Option<&EntityRecord> {
        let index = seq.checked_sub(ENTITY_SEQ_BASE)?;
        self.records.get(usize::try_from(index).ok()?)
    }
}

/// Returns the `metadata.interval` start and end times of an `Entity` message, when set.
pub fn validity_interval(entity: &Message) -> (Option<Timestamp>, Option<Timestamp>) {
    let interval = entity
        .get("metadata")
        .and_then(Value::as_message)
        .and_then(|metadata| metadata.get("interval"))
        .and_then(Value::as_message);
    let time = |name: &str| match interval.and_then(|i| i.get(name)) {
        Some(Value::Timestamp(t)) => Some(*t),
        _ => None,
    };
    (time("start_time"), time("end_time"))
}

/// Entity records take sequence numbers from here up, so that they never collide with the
/// numbers the engine gives events, which count up from one.
pub(crate) const ENTITY_SEQ_BASE: u64 = 1 << 62;

/// The sequence number of the record at `index`.
pub(crate) fn entity_seq(index: usize) -> u64 {
    ENTITY_SEQ_BASE + index as u64
}

/// Data-table rows take sequence numbers from here up, below those of entity records.
pub(crate) const TABLE_SEQ_BASE: u64 = 1 << 61;
