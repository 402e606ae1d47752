//! Detections and their JSON form, `dragnet.detection/v1`.

use std::sync::Arc;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Map, Value as Json};
use sha2::{Digest, Sha256};
use udm::json::{EventJson, ValueJson};
use udm::{Event, Timestamp, Value};

/// The schema name written in every detection.
pub const SCHEMA: &str = "dragnet.detection/v1";

/// At most this many sample events are kept per event variable, as Google SecOps does.
pub const MAX_SAMPLES: usize = 10;

/// Whether a rule is single-event or multi-event, as Google SecOps classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetectionType {
    /// No `match:`, or a condition that only asks for one event.
    SingleEvent,
    /// Everything else.
    MultiEvent,
}

impl DetectionType {
    /// The name used in the detection schema.
    pub fn as_str(self) -> &'static str {
        match self {
            DetectionType::SingleEvent => "SINGLE_EVENT",
            DetectionType::MultiEvent => "MULTI_EVENT",
        }
    }
}

/// The rule that produced a detection.
#[derive(Debug, Clone)]
pub struct RuleInfo {
    /// The rule name.
    pub name: String,
    /// A hash of the rule text.
    pub version: String,
    /// The `meta:` section, as strings.
    pub meta: Map<String, Json>,
    /// `meta: severity`, when the rule sets it.
    pub severity: Option<String>,
}

/// One detection: a rule's match over a group of events.
#[derive(Debug, Clone)]
pub struct Detection {
    /// Stable across runs: a hash of the rule, match values, window and event ids.
    pub id: String,
    /// The rule.
    pub rule: Arc<RuleInfo>,
    /// Single- or multi-event.
    pub kind: DetectionType,
    /// The match window; for a rule without `match:`, the event time at both ends.
    pub window: (Timestamp, Timestamp),
    /// Match variables (without `$`) and their values.
    pub match_values: Vec<(String, Value)>,
    /// Outcome variables (without `$`) and their values.
    pub outcomes: Vec<(String, Value)>,
    /// Per event variable (without `$`), up to [`MAX_SAMPLES`] events in time order.
    pub events: Vec<(String, Vec<Arc<Event>>)>,
    /// The ids of every event in the detection, sorted, for de-duplication downstream.
    pub event_ids: Vec<String>,
    /// The time of the earliest event, or the window start without events. Entity records
    /// have no event time and do not count.
    pub first_event: Timestamp,
    /// Wall-clock time at which the detection was made.
    pub detected_at: Timestamp,
}

impl Detection {
    /// Returns the time of the detection's earliest event, or the window start without events.
    /// Entity records (`$e.graph.` samples) do not count, since they have no event time.
    pub fn first_event_time(&self) -> Timestamp {
        self.first_event
    }

    /// The time that orders detections and keys suppression: the end of the match window.
    pub fn time(&self) -> Timestamp {
        self.window.1
    }

    /// Writes the detection in the `dragnet.detection/v1` schema.
    pub fn to_json(&self) -> Json {
        let pairs = |values: &[(String, Value)]| -> Json {
            let map: Map<String, Json> =
                values.iter().map(|(k, v)| (k.clone(), udm::json::value_to_json(v))).collect();
            Json::Object(map)
        };
        let events: Map<String, Json> = self
            .events
            .iter()
            .map(|(name, samples)| {
                let list = samples.iter().map(|e| udm::json::event_to_json(e)).collect();
                (name.clone(), Json::Array(list))
            })
            .collect();
        json!({
            "schema": SCHEMA,
            "id": self.id,
            "rule": {
                "name": self.rule.name,
                "version": self.rule.version,
                "meta": self.rule.meta,
                "severity": self.rule.severity,
            },
            "type": self.kind.as_str(),
            "time_window": {
                "start": rfc3339(self.window.0),
                "end": rfc3339(self.window.1),
            },
            "match": pairs(&self.match_values),
            "outcome": pairs(&self.outcomes),
            "events": Json::Object(events),
            "detected_at": rfc3339(self.detected_at),
        })
    }
}

/// Writes what [`Detection::to_json`] returns, without building the `serde_json::Value`.
impl Serialize for Detection {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(10))?;
        map.serialize_entry("schema", SCHEMA)?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("rule", &RuleJson(&self.rule))?;
        map.serialize_entry("type", self.kind.as_str())?;
        map.serialize_entry("time_window", &WindowJson(self.window))?;
        map.serialize_entry("match", &PairsJson(&self.match_values))?;
        map.serialize_entry("outcome", &PairsJson(&self.outcomes))?;
        map.serialize_entry("events", &EventsJson(&self.events))?;
        map.serialize_entry("detected_at", &ValueJson(&Value::Timestamp(self.detected_at)))?;
        map.end()
    }
}

/// The `rule` object of a detection.
struct RuleJson<'a>(&'a RuleInfo);

impl Serialize for RuleJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("name", &self.0.name)?;
        map.serialize_entry("version", &self.0.version)?;
        map.serialize_entry("meta", &self.0.meta)?;
        map.serialize_entry("severity", &self.0.severity)?;
        map.end()
    }
}

/// The `time_window` object of a detection.
struct WindowJson((Timestamp, Timestamp));

impl Serialize for WindowJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (start, end) = self.0;
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("start", &ValueJson(&Value::Timestamp(start)))?;
        map.serialize_entry("end", &ValueJson(&Value::Timestamp(end)))?;
        map.end()
    }
}

/// Named values as one object. The names of a detection's match variables, outcomes and
/// event variables are distinct.
struct PairsJson<'a>(&'a [(String, Value)]);

impl Serialize for PairsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            map.serialize_entry(name, &ValueJson(value))?;
        }
        map.end()
    }
}

/// The sample events of a detection, per event variable.
struct EventsJson<'a>(&'a [(String, Vec<Arc<Event>>)]);

impl Serialize for EventsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, samples) in self.0 {
            map.serialize_entry(name, &SamplesJson(samples))?;
        }
        map.end()
    }
}

/// The sample events of one event variable, as a list.
struct SamplesJson<'a>(&'a [Arc<Event>]);

impl Serialize for SamplesJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|event| EventJson(event)))
    }
}

fn rfc3339(t: Timestamp) -> Json {
    udm::json::value_to_json(&Value::Timestamp(t))
}

/// The detection id: a hash of the rule name and version, the match values, the window and
/// the sorted ids of every event, so the same detection found again gets the same id.
pub(crate) fn detection_id(
    rule: &RuleInfo,
    match_values: &[(String, Value)],
    window: (Timestamp, Timestamp),
    event_ids: &[String],
) -> String {
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(rule.name.as_bytes());
    field(rule.version.as_bytes());
    for (name, value) in match_values {
        field(name.as_bytes());
        field(udm::json::value_to_json(value).to_string().as_bytes());
    }
    field(&window.0.as_nanos().to_le_bytes());
    field(&window.1.as_nanos().to_le_bytes());
    for id in event_ids {
        field(id.as_bytes());
    }
    let digest = hasher.finalize();
    format!("det_{}", hex::encode(&digest[..16]))
}

/// The current wall-clock time.
pub(crate) fn now() -> Timestamp {
    let since =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Timestamp::new(since.as_secs() as i64, i64::from(since.subsec_nanos()))
}
