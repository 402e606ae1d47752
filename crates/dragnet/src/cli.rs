//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::zone::DisplayZone;

/// Runs YARA-L 2.0 detection rules over security logs normalised to UDM.
#[derive(Debug, Parser)]
#[command(name = "dragnet", version, about, long_about = None)]
pub struct Cli {
    /// Log filter for diagnostics on stderr, in `tracing` env-filter syntax (also `RUST_LOG`).
    #[arg(long, global = true, value_name = "FILTER")]
    pub log: Option<String>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Hunt stored logs: run the rules over every input and print the detections.
    ///
    /// With no --rules, the bundled UNC6040 rule pack runs. With no INPUT, the bundled demo
    /// logs are hunted, with the demo's lists, ASN table and identities.
    Hunt(Box<HuntArgs>),
    /// Compile rules and print their diagnostics; exits 0 only when every rule compiles.
    Check(CheckArgs),
    /// Rewrite rule files in the canonical layout, keeping their comments.
    Fmt(FmtArgs),
    /// Normalise logs and print the UDM events as JSON lines; exits 1 when an input cannot be
    /// read at all.
    Parse(ParseArgs),
    /// Run the rules over live event streams, checkpointing state so that a restart loses and
    /// repeats no detection.
    ///
    /// Events arrive over HTTP (`POST /v1/events`), from followed files, from standard input
    /// (`--follow -`) or from a Kafka topic. Windows close on a watermark: the latest event
    /// time seen minus --allowed-lateness. `/healthz` and `/metrics` are served on --listen.
    Watch(Box<WatchArgs>),
    /// Run rule tests (`*.test.toml`: rules, raw logs and the detections they must give);
    /// exits 1 when any test fails.
    Test(TestArgs),
}

/// Arguments of `dragnet test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Also write the results as JUnit XML to this file.
    #[arg(long, value_name = "FILE.xml")]
    pub junit: Option<PathBuf>,

    /// Test files, or folders searched recursively for `*.test.toml` files.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
}

/// Options shared by the commands that read logs.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// Log format of the inputs: auto, udm, salesforce, okta, m365, entra, graph, or parquet
    /// (for `hunt`: every input is a Parquet file of UDM events). `auto` decides per record, so
    /// one file may mix sources; Parquet files are found by name and content.
    #[arg(long, default_value = "auto", value_name = "FMT")]
    pub format: String,

    /// Identity table (CSV with a header row and an `email` column): every cell of a row is an
    /// alias of that row's email address.
    #[arg(long, value_name = "FILE.csv")]
    pub identities: Option<PathBuf>,

    /// IP-to-ASN database: an iptoasn-style TSV or a MaxMind `.mmdb` file (ASN, ISP, Country
    /// or City); repeatable, for example an ASN and a City database together.
    #[arg(long, value_name = "FILE")]
    pub asn_db: Vec<PathBuf>,
}

/// Arguments of `dragnet hunt`.
#[derive(Debug, Args)]
pub struct HuntArgs {
    /// A rule file or a folder searched recursively for `.yaral` files; repeatable.
    #[arg(long, value_name = "PATH")]
    pub rules: Vec<PathBuf>,

    /// A folder of reference lists (`NAME.txt` string, `NAME.regex` regex, `NAME.cidr` CIDR);
    /// repeatable. Lists load over the bundled templates, and a later folder replaces a list of
    /// the same name.
    #[arg(long, value_name = "DIR")]
    pub lists: Vec<PathBuf>,

    /// A folder of data tables that rules read as `%table.column`: one CSV file per table,
    /// `NAME.csv`, with a header row whose cells may give a type (`ip:cidr`, `score:number`).
    /// Repeatable.
    #[arg(long, value_name = "DIR")]
    pub data_tables: Vec<PathBuf>,

    /// Entity records that `$e.graph.` fields read, such as threat-feed indicators or user
    /// and asset context: a file or folder of UDM `Entity` JSON (one record per line, an
    /// array, or an object with an `entities` array). Repeatable.
    #[arg(long, value_name = "PATH")]
    pub entities: Vec<PathBuf>,

    /// How to print detections: one JSON object per line, one JSON array, a table, or CSV.
    /// Defaults to a table on a terminal and JSON lines otherwise.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub output: Option<OutputFormat>,

    /// Also write a self-contained HTML report (timeline, counts, pivots, every detection with
    /// its events) to this file.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,

    /// Time zone for times shown in the table, CSV and report: UTC, an IANA name such as
    /// Europe/Berlin, or an offset such as +05:30. JSON output stays in UTC.
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    pub tz: DisplayZone,

    /// Change windows (TOML): detections they cover are left out of the output and counted,
    /// with their reason, in the summary.
    #[arg(long, value_name = "FILE.toml")]
    pub suppressions: Option<PathBuf>,

    /// Report only detections whose earliest event is at or after this time: RFC 3339
    /// (`2025-06-10T09:00:00Z`) or a UTC date (`2025-06-10`). Events up to the longest match
    /// window before it are read too, so hunts over adjacent ranges together give the
    /// detections of one hunt over their union.
    #[arg(long, value_name = "TIME", value_parser = parse_time_bound)]
    pub from: Option<udm::Timestamp>,

    /// Report only detections whose earliest event is before this time, in the same forms as
    /// --from. Events up to the longest match window after it are read too.
    #[arg(long, value_name = "TIME", value_parser = parse_time_bound)]
    pub to: Option<udm::Timestamp>,

    /// The Parquet column that contains one UDM event as JSON text per row. Without it, a
    /// string column named `udm` or `json` is taken, and otherwise the columns are read as UDM
    /// fields named by their UDM path.
    #[arg(long, value_name = "NAME")]
    pub parquet_json_column: Option<String>,

    /// Read every Parquet row group, every column and every hive partition folder, instead of
    /// skipping those that statistics, rules and --from/--to show to be of no use.
    #[arg(long)]
    pub no_prune: bool,

    /// Exit with status 1 when any record, rule or Parquet row group was rejected or an input
    /// could not be read to its end, instead of only reporting it.
    #[arg(long)]
    pub strict: bool,

    /// Never show the progress bar (it only appears when stderr is a terminal).
    #[arg(long)]
    pub no_progress: bool,

    /// Threads that read, parse, normalise and filter the input; 0 uses one per core. The
    /// detections are the same for any number.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,

    /// Bytes of detections held in memory before they are sorted into a temporary file. Hidden:
    /// it exists so that tests can make a small hunt spill.
    #[arg(long, value_name = "BYTES", hide = true,
          default_value_t = crate::detection_sort::DEFAULT_BUFFER_BYTES)]
    pub detection_buffer_bytes: usize,

    /// When to read native UDM lines with only the fields the rules use first, and keep their
    /// events partial until a detection shows them: `auto` (every line, unless most lines
    /// without `metadata.product_log_id` are kept), `always`, or `never`. Hidden: it exists so
    /// that tests can compare the readers.
    #[arg(long, value_name = "WHEN", hide = true, value_enum, default_value_t = ProjectedRead::Auto)]
    pub projected_read: ProjectedRead,

    #[command(flatten)]
    pub source: SourceArgs,

    /// Log files, folders, glob patterns, or `-` for standard input; `.gz` and `.zst` are
    /// decompressed. A folder search takes regular files only, but a named pipe given here is
    /// read once, as a stream.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,
}

/// Arguments of `dragnet watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// A rule file or a folder searched recursively for `.yaral` files; repeatable. Reloaded
    /// on SIGHUP and when a file changes.
    #[arg(long, value_name = "PATH")]
    pub rules: Vec<PathBuf>,

    /// A folder of reference lists, as for `hunt`; repeatable. Reloaded with the rules.
    #[arg(long, value_name = "DIR")]
    pub lists: Vec<PathBuf>,

    /// A folder of data tables, as for `hunt`; repeatable. Reloaded with the rules.
    #[arg(long, value_name = "DIR")]
    pub data_tables: Vec<PathBuf>,

    /// Entity records that `$e.graph.` fields read, such as threat-feed indicators or user
    /// and asset context: a file or folder of UDM `Entity` JSON (one record per line, an
    /// array, or an object with an `entities` array). Repeatable, and reloaded with the
    /// rules.
    #[arg(long, value_name = "PATH")]
    pub entities: Vec<PathBuf>,

    #[command(flatten)]
    pub source: SourceArgs,

    /// Folder for the checkpoint store and the default dead-letter file; created if missing.
    #[arg(long, value_name = "DIR")]
    pub state: PathBuf,

    /// Address of the HTTP server for `POST /v1/events`, `/healthz` and `/metrics`.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8740")]
    pub listen: String,

    /// File holding the bearer token that `POST /v1/events` requires. Without it the token is
    /// read from the DRAGNET_WATCH_TOKEN environment variable; with neither, HTTP ingest is
    /// disabled.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// Largest request body accepted by `POST /v1/events`, in bytes, both as sent and after
    /// gzip decompression.
    #[arg(long, value_name = "BYTES", default_value_t = 10 * 1024 * 1024)]
    pub max_body: usize,

    /// How long a client may take to send the headers of a request, e.g. `10s`. The
    /// connection is closed when they are not complete in time, and also when a kept-alive
    /// connection waits this long for its next request. `0s` turns the limit off.
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = parse_duration)]
    pub header_read_timeout: std::time::Duration,

    /// How long a client may take to send the whole body of `POST /v1/events`, e.g. `1m`.
    /// A body not received in time gets 408 Request Timeout and the connection is closed.
    /// `0s` turns the limit off.
    #[arg(long, value_name = "DUR", default_value = "1m", value_parser = parse_duration)]
    pub body_read_timeout: std::time::Duration,

    /// Capacity of the pipeline queue, in batches. When it is full, `POST /v1/events` returns
    /// 429 Too Many Requests.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub queue: usize,

    /// Kafka bootstrap servers (`host:port,...`) to consume events from; needs --topic and
    /// --group, and a build with the `kafka` feature.
    #[arg(long, value_name = "BROKERS", requires_all = ["topic", "group"])]
    pub kafka: Option<String>,

    /// Kafka topic to consume: raw log records, or with `--stage correlate` the signals topic
    /// that `--stage route` writes.
    #[arg(long, value_name = "T", requires = "kafka")]
    pub topic: Option<String>,

    /// Run one stage of a watch split across processes, with Kafka between them. `route`
    /// reads raw records from --topic, normalises them, applies each rule's per-event filters
    /// and writes the events the rules need to --signals-topic, keyed by match value.
    /// `correlate` reads that topic as --topic and keeps the windows, outcomes and conditions
    /// of its partitions. Without --stage one process does both.
    #[arg(long, value_enum, value_name = "STAGE", requires = "kafka")]
    pub stage: Option<Stage>,

    /// With `--stage route`: the Kafka topic to write signals to. Its partition count must not
    /// change while the stages run, because it decides which partition receives each match value.
    #[arg(long, value_name = "T", requires = "stage")]
    pub signals_topic: Option<String>,

    /// Kafka consumer group; processes in one group share the topic's partitions.
    #[arg(long, value_name = "G", requires = "kafka")]
    pub group: Option<String>,

    /// A JSON-lines file to tail, surviving rotation and truncation, or `-` for standard
    /// input; repeatable.
    #[arg(long, value_name = "FILE")]
    pub follow: Vec<String>,

    /// How far behind the latest event time an event may arrive and still count in its
    /// windows, e.g. `30s`, `5m`, `1h`. Later events go to the dead-letter file.
    #[arg(long, value_name = "DUR", default_value = "1m", value_parser = parse_duration)]
    pub allowed_lateness: std::time::Duration,

    /// How far ahead of the wall clock an event time may be, e.g. `15m`, `1h`. An event
    /// further ahead is rejected and goes to the dead-letter file, so that a wrong clock or a
    /// forged timestamp cannot move the watermark ahead of real time.
    #[arg(long, value_name = "DUR", default_value = "15m", value_parser = parse_duration)]
    pub max_future: std::time::Duration,

    /// Destination for detections as JSON lines: a file, or `-` for standard output. Standard
    /// output is the default when neither --webhook nor --kafka-output is given.
    #[arg(long, value_name = "FILE|-")]
    pub output: Option<String>,

    /// URL to POST each detection to, as JSON: `http://` or `https://`. For HTTPS the
    /// receiver's certificate must be valid for the URL's host and signed by a Mozilla root, a
    /// root the system trusts, or a --webhook-ca certificate. This check cannot be turned off.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,

    /// Attempts per detection before the webhook gives up and dead-letters it.
    #[arg(long, value_name = "N", default_value_t = 6)]
    pub webhook_attempts: u32,

    /// PEM file of one or more CA certificates to trust for an `https://` --webhook, besides
    /// the Mozilla and system roots. Use it when a private CA signed the receiver's
    /// certificate. Repeatable.
    #[arg(long, value_name = "FILE", requires = "webhook")]
    pub webhook_ca: Vec<PathBuf>,

    /// Header to add to every webhook request, as `Name: value`, for example an API key;
    /// repeatable. A value written `env:VARIABLE` is read from that environment variable, which
    /// keeps a secret out of the process list. Values are never logged.
    #[arg(long, value_name = "'NAME: VALUE'", requires = "webhook")]
    pub webhook_header: Vec<String>,

    /// Kafka topic to produce detections to, keyed by detection id; needs --kafka.
    #[arg(long, value_name = "T", requires = "kafka")]
    pub kafka_output: Option<String>,

    /// Change windows (TOML), in the format of `hunt --suppressions`: detections they cover
    /// are not delivered, and are counted in `dragnet_watch_suppressed_total`. Reloaded with
    /// the rules.
    #[arg(long, value_name = "FILE.toml")]
    pub suppressions: Option<PathBuf>,

    /// File for late events, rejected records and undeliverable detections, as JSON lines.
    /// Defaults to `dead-letter.jsonl` in the --state folder.
    #[arg(long, value_name = "FILE")]
    pub dead_letter: Option<PathBuf>,

    /// How often to check the rule and list files for changes, e.g. `2s`; `0s` turns the check
    /// off, leaving SIGHUP.
    #[arg(long, value_name = "DUR", default_value = "2s", value_parser = parse_duration)]
    pub reload_interval: std::time::Duration,
}

/// Parses a duration written as a number and a unit: `ms`, `s`, `m`, `h` or `d`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| {
        format!("invalid duration {text:?}: expected a number and a unit, like 30s")
    })?;
    let millis = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("invalid duration {text:?}: the unit must be ms, s, m, h or d")),
    };
    number
        .checked_mul(millis)
        .map(std::time::Duration::from_millis)
        .ok_or_else(|| format!("invalid duration {text:?}: too long"))
}

/// Arguments of `dragnet check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Reject everything Google SecOps would reject, with the portable rewrite as help.
    #[arg(long)]
    pub strict: bool,

    /// Print diagnostics as JSON lines instead of text.
    #[arg(long)]
    pub json: bool,

    /// Maximum number of `in` list tests per rule, as TOTAL,REGEX,CIDR: in total, with `regex`, and with
    /// `cidr`. Google's 2026 documentation gives 10,5,5 and its 2025 text 7,4,2.
    #[arg(long, value_name = "TOTAL,REGEX,CIDR", default_value = "10,5,5", value_parser = parse_in_limits)]
    pub in_limits: InLimits,

    /// Maximum number of `and` and `or` operators per rule, counting the implicit `and` between the lines
    /// of `events:`.
    #[arg(long, value_name = "N", default_value_t = yaral::CheckOptions::default().max_logical_operators)]
    pub max_logical_operators: usize,

    /// Reference lists to check list entries and list types against, as for `hunt`;
    /// repeatable. Lists the rules name but no folder holds are taken as empty.
    #[arg(long, value_name = "DIR")]
    pub lists: Vec<PathBuf>,

    /// Rule files or folders searched recursively for `.yaral` files.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
}

/// The maximum number of `in` list tests a rule may have: in total, with `regex`, and with `cidr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InLimits {
    /// Tests of any kind.
    pub total: usize,
    /// `in regex` tests.
    pub regex: usize,
    /// `in cidr` tests.
    pub cidr: usize,
}

/// Parses `TOTAL,REGEX,CIDR`, such as `7,4,2`.
fn parse_in_limits(text: &str) -> Result<InLimits, String> {
    let numbers: Result<Vec<usize>, _> = text.split(',').map(|n| n.trim().parse()).collect();
    match numbers.as_deref() {
        Ok([total, regex, cidr]) => Ok(InLimits { total: *total, regex: *regex, cidr: *cidr }),
        _ => Err(format!(
            "invalid `in` limits {text:?}: expected three whole numbers TOTAL,REGEX,CIDR, such \
             as 7,4,2"
        )),
    }
}

/// Arguments of `dragnet fmt`.
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Change no file: list the files that are not formatted, and exit 1 if there are any.
    #[arg(long)]
    pub check: bool,

    /// Rule files, folders searched recursively for rule files, or `-` to format standard
    /// input to standard output.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
}

/// Arguments of `dragnet parse`.
#[derive(Debug, Args)]
pub struct ParseArgs {
    #[command(flatten)]
    pub source: SourceArgs,

    /// Log files, folders, glob patterns, or `-` for standard input; `.gz` and `.zst` are
    /// decompressed. A folder search takes regular files only, but a named pipe given here is
    /// read once, as a stream.
    #[arg(value_name = "INPUT", required = true)]
    pub inputs: Vec<String>,
}

/// Output formats of `dragnet hunt`.
/// A stage of `dragnet watch` run across processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Stage {
    /// Stateless: raw records in, signals keyed by match value out.
    Route,
    /// Stateful: signals in, detections out.
    Correlate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// One detection per line, as JSON.
    Jsonl,
    /// All detections in one JSON array.
    Json,
    /// A table for people.
    Table,
    /// One row per detection.
    Csv,
}

/// Parses `--from`/`--to`: an RFC 3339 time, or a date meaning its start in UTC.
fn parse_time_bound(text: &str) -> Result<udm::Timestamp, String> {
    let text = text.trim();
    let full = if text.len() == 10 { format!("{text}T00:00:00Z") } else { text.to_owned() };
    udm::json::parse_rfc3339(&full).map_err(|reason| {
        format!("invalid time {text:?} ({reason}); write 2025-06-10T09:00:00Z or 2025-06-10")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_bounds_parse() {
        let day = parse_time_bound("2025-06-10").map(|t| t.seconds);
        assert_eq!(day, Ok(1_749_513_600));
        let exact = parse_time_bound("2025-06-10T09:00:00+02:00").map(|t| t.seconds);
        assert_eq!(exact, Ok(1_749_513_600 + 7 * 3600));
        assert!(parse_time_bound("yesterday").is_err());
    }
}

/// Whether `hunt` reads native UDM lines with only the fields the rules use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProjectedRead {
    /// Every line while most events of a batch are left out or go on partial. Lines without
    /// `metadata.product_log_id` are read whole at once while most of them are kept.
    Auto,
    /// Every line.
    Always,
    /// Never: every line is read in full.
    Never,
}
