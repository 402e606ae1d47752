//! The messages of the signals topic between `--stage route` and `--stage correlate`, and
//! the metadata `correlate` commits with its offsets.
//!
//! A message is one JSON object, either a signal or a watermark mark:
//!
//! - `{"source": {"input": "kafka:raw/3", "offset": 120, "index": 0}, "routes": [["rule", 0]],
//!   "event": {...}}`: one normalised, enriched UDM event and the rules and event variables it
//!   is for in this partition. `source` is its stable identity: the raw partition, the raw
//!   message's offset and the event's index among the events of that message in time order.
//!   Stage one sends an event again after a crash, with the same identity, and stage two
//!   drops it.
//! - `{"mark": 1735689600000000000}`: the latest event time, in nanoseconds since the epoch,
//!   among the events a stage-one process had sent when it wrote the mark. Stage one writes
//!   marks to every partition after the signals they cover, so the watermark of a partition
//!   depends only on the messages in it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Where an event came from: its identity across re-sends.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Source {
    /// The raw input, `kafka:TOPIC/PARTITION`.
    pub input: String,
    /// The raw message's offset.
    pub offset: i64,
    /// The event's index among the events normalised from that message, taken in event-time
    /// order (a stable sort), which is the order route sends them in.
    pub index: u32,
}

/// A message of the signals topic.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SignalMessage {
    /// An event for some rules.
    Signal {
        /// The event's identity.
        source: Source,
        /// The rule names and event variable indexes the event is for.
        routes: Vec<(String, usize)>,
        /// The UDM event, as proto3 JSON.
        event: serde_json::Value,
    },
    /// A watermark mark.
    Mark {
        /// The latest event time sent, in nanoseconds since the epoch.
        mark: i64,
    },
}

/// What `correlate` commits with a partition's offset, as JSON commit metadata: where a new
/// owner starts replaying and the state it starts the replay with, and who committed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CommitMeta {
    /// The offset to replay from. Replaying from here rebuilds every window still open at
    /// the committed offset.
    pub replay_from: i64,
    /// The latest event or mark time before `replay_from`, in nanoseconds.
    pub replay_max_time: Option<i64>,
    /// Per raw input, the last (offset, index) taken before `replay_from`, for de-duplication.
    /// NOTE: one entry per raw partition; brokers cap commit metadata at 4096 bytes by default
    /// (`offset.metadata.max.bytes`), which about a hundred raw partitions fill.
    pub replay_seen: BTreeMap<String, (i64, u32)>,
    /// The owners of the partition, newest first: each owner's token and the last offset it
    /// committed. A restarted process reads it to learn whether its last commit was stored.
    pub owners: Vec<(String, i64)>,
}

/// Owners kept in [`CommitMeta::owners`].
pub const MAX_OWNERS: usize = 8;

impl CommitMeta {
    /// Parses commit metadata; empty or foreign metadata gives `None`.
    pub fn parse(text: &str) -> Option<CommitMeta> {
        if text.is_empty() {
            return None;
        }
        serde_json::from_str(text).ok()
    }

    /// The offset that owner `token` last committed, if the lineage still has it.
    pub fn committed_by(&self, token: &str) -> Option<i64> {
        self.owners.iter().find(|(t, _)| t == token).map(|(_, offset)| *offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_and_mark_round_trip() {
        let signal = r#"{"source":{"input":"kafka:raw/1","offset":7,"index":2},"routes":[["r",0]],"event":{}}"#;
        match serde_json::from_str::<SignalMessage>(signal).unwrap() {
            SignalMessage::Signal { source, routes, .. } => {
                assert_eq!(source.offset, 7);
                assert_eq!(source.index, 2);
                assert_eq!(routes, vec![("r".to_owned(), 0)]);
            }
            SignalMessage::Mark { .. } => panic!("a signal parsed as a mark"),
        }
        match serde_json::from_str::<SignalMessage>(r#"{"mark":5}"#).unwrap() {
            SignalMessage::Mark { mark } => assert_eq!(mark, 5),
            SignalMessage::Signal { .. } => panic!("a mark parsed as a signal"),
        }
    }

    #[test]
    fn commit_meta_lineage() {
        let meta = CommitMeta {
            replay_from: 3,
            replay_max_time: Some(9),
            replay_seen: BTreeMap::from([("kafka:raw/0".to_owned(), (4, 1))]),
            owners: vec![("b".into(), 40), ("a".into(), 20)],
        };
        let text = serde_json::to_string(&meta).unwrap();
        let parsed = CommitMeta::parse(&text).unwrap();
        assert_eq!(parsed, meta);
        assert_eq!(parsed.committed_by("a"), Some(20));
        assert_eq!(parsed.committed_by("c"), None);
        assert!(CommitMeta::parse("").is_none());
    }
}
