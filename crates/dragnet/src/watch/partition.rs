//! The state `--stage correlate` keeps for one partition of the signals topic: an engine that
//! takes only the rows whose routing key maps to the partition, the partition's watermark,
//! the de-duplication of re-sent signals, and what a new owner must replay.
//!
//! Everything here is a function of the partition's messages in offset order, so any process
//! that reads the same messages from the same replay point ends in the same state and finds
//! the same detections. That is what lets a partition move between processes.
//!
//! The replay point follows the rule of the single-process checkpoint: a signal that made rows
//! or a detection is *retained* while its time is within the retention span behind the
//! watermark (see [`super::rules::RuleSet::retention`]). The replay starts at the earliest
//! retained signal, rounded down to the start of a batch, where the watermark and the
//! de-duplication state were recorded, so the replay repeats the original decisions.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use engine::{Detection, Engine};

use super::signal::{CommitMeta, SignalMessage, Source, MAX_OWNERS};

/// The state at the start of a batch, from which a replay can start.
#[derive(Debug, Clone)]
struct Snapshot {
    offset: i64,
    max_time: Option<i128>,
    seen: BTreeMap<String, (i64, u32)>,
}

/// The result of applying one message.
#[derive(Default)]
pub struct Applied {
    /// Detections that became final.
    pub detections: Vec<Detection>,
    /// The event, when the signal was behind the watermark.
    pub late: Option<serde_json::Value>,
    /// The reason the message could not be read, if it could not.
    pub malformed: Option<String>,
    /// Whether the signal repeats one already taken.
    pub duplicate: bool,
    /// Whether the message is below the offset the partition was taken over at: its
    /// detections were decided by the previous owner.
    pub replayed: bool,
}

/// Settings shared by every partition of one process.
pub struct Shared {
    /// The compiled rules.
    pub rules: Vec<engine::Rule>,
    /// Rule index by name.
    pub rule_index: HashMap<String, usize>,
    /// Partitions of the signals topic.
    pub partitions: u32,
    /// `--allowed-lateness`.
    pub lateness: Duration,
    /// The retention span, in nanoseconds.
    pub retention: i128,
    /// The `--suppressions` change windows.
    pub suppressions: Arc<crate::suppress::Suppressions>,
}

/// The state of one signals partition.
pub struct PartitionState {
    shared: Arc<Shared>,
    partition: u32,
    engine: Engine,
    /// This owner's token, written to the commit metadata's lineage.
    pub token: String,
    /// The lineage inherited from the previous owners.
    lineage: Vec<(String, i64)>,
    /// The next offset to apply.
    pub next: i64,
    /// Offsets below this were committed by an earlier owner; they are replayed.
    pub replay_until: i64,
    /// The latest event or mark time, in nanoseconds.
    max_time: Option<i128>,
    /// Per raw input, the last (offset, index) taken.
    seen: BTreeMap<String, (i64, u32)>,
    /// Retained signals by (time, offset), and their offsets.
    retained: BTreeSet<(i128, i64)>,
    retained_offsets: BTreeSet<i64>,
    snapshots: VecDeque<Snapshot>,
}

impl PartitionState {
    /// Creates the state of a partition taken over at `committed`, the group's committed
    /// offset (`None` when there is none), with the metadata committed with it.
    pub fn new(
        shared: Arc<Shared>,
        partition: u32,
        committed: Option<i64>,
        meta: Option<&CommitMeta>,
    ) -> PartitionState {
        let mut engine = Engine::new(shared.rules.clone()).with_allowed_lateness(shared.lateness);
        let start = meta.map(|m| m.replay_from).or(committed).unwrap_or(0);
        let max_time = meta.and_then(|m| m.replay_max_time).map(i128::from);
        if let Some(time) = max_time {
            let _ = engine.observe_time(time);
        }
        let seen = meta.map(|m| m.replay_seen.clone()).unwrap_or_default();
        let snapshot = Snapshot { offset: start, max_time, seen: seen.clone() };
        PartitionState {
            shared,
            partition,
            engine,
            token: new_token(),
            lineage: meta.map(|m| m.owners.clone()).unwrap_or_default(),
            next: start,
            replay_until: committed.unwrap_or(start).max(start),
            max_time,
            seen,
            retained: BTreeSet::new(),
            retained_offsets: BTreeSet::new(),
            snapshots: VecDeque::from([snapshot]),
        }
    }

    /// Records the state before a batch, as a possible replay point.
    pub fn begin_batch(&mut self) {
        if self.snapshots.back().is_some_and(|s| s.offset == self.next) {
            return;
        }
        self.snapshots.push_back(Snapshot {
            offset: self.next,
            max_time: self.max_time,
            seen: self.seen.clone(),
        });
    }

    /// Applies the message at `offset`.
    pub fn apply(&mut self, offset: i64, payload: &[u8]) -> Applied {
        self.next = offset + 1;
        let mut applied = Applied { replayed: offset < self.replay_until, ..Applied::default() };
        let message = match serde_json::from_slice::<SignalMessage>(payload) {
            Ok(message) => message,
            Err(e) => {
                applied.malformed = Some(format!("not a signal: {e}"));
                return applied;
            }
        };
        match message {
            SignalMessage::Mark { mark } => {
                let time = i128::from(mark);
                self.max_time = Some(self.max_time.map_or(time, |t| t.max(time)));
                applied.detections = self.engine.observe_time(time);
            }
            SignalMessage::Signal { source, routes, event } => {
                if self.is_repeat(&source) {
                    applied.duplicate = true;
                    return applied;
                }
                self.seen.insert(source.input.clone(), (source.offset, source.index));
                let event = match udm::json::event_from_json(&event) {
                    Ok(event) => Arc::new(event),
                    Err(e) => {
                        applied.malformed = Some(format!("invalid event in a signal: {e}"));
                        return applied;
                    }
                };
                self.push(offset, event, &routes, &mut applied);
            }
        }
        applied
    }

    fn is_repeat(&self, source: &Source) -> bool {
        self.seen.get(&source.input).is_some_and(|&last| (source.offset, source.index) <= last)
    }

    fn push(
        &mut self,
        offset: i64,
        event: Arc<udm::Event>,
        routes: &[(String, usize)],
        applied: &mut Applied,
    ) {
        let time = event.event_time().as_nanos();
        let late = self.engine.watermark().is_some_and(|w| time < w);
        if late {
            applied.late = Some(udm::json::event_to_json(&event));
        } else {
            self.max_time = Some(self.max_time.map_or(time, |t| t.max(time)));
        }
        let listed: HashSet<(usize, usize)> = routes
            .iter()
            .filter_map(|(name, var)| Some((*self.shared.rule_index.get(name)?, *var)))
            .collect();
        let (partition, partitions) = (self.partition, self.shared.partitions);
        let rows_before = self.engine.rows_added();
        applied.detections = self.engine.push_routed(event, &mut |rule, var, key| {
            listed.contains(&(rule, var)) && engine::partition_of(key, partitions) == partition
        });
        let needed = self.engine.rows_added() > rows_before || !applied.detections.is_empty();
        if !late && needed {
            self.retained.insert((time, offset));
            self.retained_offsets.insert(offset);
        }
    }

    /// Drops retained signals that left the retention span, and returns the metadata to
    /// commit with offset [`PartitionState::next`].
    pub fn commit_meta(&mut self) -> CommitMeta {
        if let Some(watermark) = self.engine.watermark() {
            let cutoff = watermark.saturating_sub(self.shared.retention);
            let keep = self.retained.split_off(&(cutoff, i64::MIN));
            for (_, offset) in std::mem::replace(&mut self.retained, keep) {
                self.retained_offsets.remove(&offset);
            }
        }
        let earliest = self.retained_offsets.first().copied().unwrap_or(self.next);
        while self.snapshots.get(1).is_some_and(|s| s.offset <= earliest) {
            self.snapshots.pop_front();
        }
        let snapshot = self.snapshots.front().cloned().unwrap_or(Snapshot {
            offset: self.next,
            max_time: self.max_time,
            seen: self.seen.clone(),
        });
        let mut owners = vec![(self.token.clone(), self.next)];
        owners.extend(self.lineage.iter().filter(|(t, _)| *t != self.token).cloned());
        owners.truncate(MAX_OWNERS);
        CommitMeta {
            replay_from: snapshot.offset,
            replay_max_time: snapshot.max_time.and_then(|t| i64::try_from(t).ok()),
            replay_seen: snapshot.seen,
            owners,
        }
    }

    /// Returns the partition's watermark, in nanoseconds.
    pub fn watermark(&self) -> Option<i128> {
        self.engine.watermark()
    }

    /// Rows and held detections in the partition's windows.
    pub fn state_size(&self) -> usize {
        self.engine.state_size()
    }
}

/// Creates a token that names one ownership of a partition, unique across processes and
/// restarts.
fn new_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let seed = format!("{}-{nanos}-{count}", std::process::id());
    let digest = <sha2::Sha256 as sha2::Digest>::digest(seed.as_bytes());
    hex::encode(&digest[..8])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RULES: &str = r#"
rule logins_burst {
  events:
    $e.metadata.event_type = "USER_LOGIN"
    $user = $e.principal.user.userid
  match:
    $user over 10m
  condition:
    #e >= 3
}

rule login_then_download {
  events:
    $login.metadata.event_type = "USER_LOGIN"
    $login.principal.user.userid = $user
    $get.metadata.event_type = "NETWORK_HTTP"
    $get.principal.user.userid = $user
  match:
    $user over 5m after $login
  condition:
    $login and $get
}

rule any_download {
  events:
    $e.metadata.event_type = "NETWORK_HTTP"
  condition:
    $e
}
"#;

    fn shared() -> Arc<Shared> {
        let files = [yaral::SourceFile::new("rules.yaral", RULES)];
        let loaded = crate::ruleset::compile_rules(
            &files,
            &yaral::CheckOptions::default(),
            &engine::Context::default(),
        );
        assert!(loaded.rejected.is_empty(), "a test rule was rejected");
        let rule_index =
            loaded.rules.iter().enumerate().map(|(i, r)| (r.name().to_owned(), i)).collect();
        Arc::new(Shared {
            rules: loaded.rules,
            rule_index,
            partitions: 1,
            lateness: Duration::from_secs(60),
            retention: 3 * 600 * 1_000_000_000,
            suppressions: Arc::default(),
        })
    }

    /// Builds a signals partition: signals of events over a few hours, a mark after every tenth,
    /// and every seventh signal sent again later with the same identity.
    fn messages(shared: &Shared) -> Vec<Vec<u8>> {
        let router = engine::Router::new(&shared.rules);
        let names: Vec<&str> = shared.rules.iter().map(|r| r.name()).collect();
        let users = ["alice", "bob", "carol"];
        let mut out = Vec::new();
        let mut repeats = Vec::new();
        let mut time = 1_735_689_600i64;
        for n in 0..400u32 {
            time += i64::from(n * 37 % 90);
            let kind = if n % 4 == 0 { "NETWORK_HTTP" } else { "USER_LOGIN" };
            let json = json!({
                "metadata": {
                    "event_timestamp": chrono::DateTime::from_timestamp(time, 0).unwrap().to_rfc3339(),
                    "event_type": kind,
                    "product_log_id": format!("e{n}"),
                },
                "principal": {"user": {"userid": users[(n % 3) as usize]}},
            });
            let event = Arc::new(udm::json::event_from_json(&json).unwrap());
            let routes: Vec<(String, usize)> = router
                .routes(&event)
                .into_iter()
                .map(|r| (names[r.rule].to_owned(), r.var))
                .collect();
            let source = Source { input: "kafka:raw/0".into(), offset: i64::from(n), index: 0 };
            let signal = SignalMessage::Signal { source, routes, event: json };
            let payload = serde_json::to_vec(&signal).unwrap();
            if n % 7 == 0 {
                repeats.push(payload.clone());
            }
            out.push(payload);
            if n % 10 == 9 {
                let mark = SignalMessage::Mark { mark: time * 1_000_000_000 };
                out.push(serde_json::to_vec(&mark).unwrap());
                // Re-sends arrive late, after later signals, as after a crash of route.
                out.append(&mut repeats);
            }
        }
        out.push(
            serde_json::to_vec(&SignalMessage::Mark { mark: (time + 86_400) * 1_000_000_000 })
                .unwrap(),
        );
        out
    }

    /// Applies `messages[from..]` and returns the ids of the detections not replayed, by
    /// offset.
    fn run(
        state: &mut PartitionState,
        messages: &[Vec<u8>],
        from: i64,
        until: i64,
    ) -> Vec<(i64, String)> {
        let mut out = Vec::new();
        for offset in from..until {
            if offset % 25 == 0 {
                state.begin_batch();
            }
            let applied = state.apply(offset, &messages[offset as usize]);
            assert!(applied.malformed.is_none(), "{:?}", applied.malformed);
            if !applied.replayed {
                out.extend(applied.detections.into_iter().map(|d| (offset, d.id)));
            }
        }
        out
    }

    #[test]
    fn takeover_replays_to_the_same_detections() {
        let shared = shared();
        let messages = messages(&shared);
        let end = messages.len() as i64;
        let mut whole = PartitionState::new(Arc::clone(&shared), 0, None, None);
        let mut expected = run(&mut whole, &messages, 0, end);
        expected.sort();
        let ids: Vec<&String> = expected.iter().map(|(_, id)| id).collect();
        let distinct: HashSet<&String> = ids.iter().copied().collect();
        assert_eq!(distinct.len(), ids.len(), "a re-sent signal gave a detection twice");
        assert!(expected.len() > 20, "too few detections: {}", expected.len());

        for cut in [40, 173, 260, 391] {
            let mut first = PartitionState::new(Arc::clone(&shared), 0, None, None);
            let before = run(&mut first, &messages, 0, cut);
            let meta = first.commit_meta();
            assert!(meta.replay_from < cut, "nothing to replay at {cut}");
            if cut > 100 {
                assert!(meta.replay_from > 0, "no signal left the retention span by {cut}");
            }
            let mut second = PartitionState::new(Arc::clone(&shared), 0, Some(cut), Some(&meta));
            let after = run(&mut second, &messages, meta.replay_from, end);
            let mut got = before;
            got.extend(after);
            // Windows closing at one watermark may come out in another order.
            got.sort();
            assert_eq!(got, expected, "taken over at offset {cut}");
        }
    }
}
