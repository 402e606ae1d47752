//! `dragnet hunt`: run rules over stored logs and print the detections.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Instant;

use anyhow::{Context as _, Result};

use crate::cli::{HuntArgs, OutputFormat, ProjectedRead};
use crate::context;
use crate::detection_sort::{DetectionSorter, SortedDetections};
use crate::input::{self, Input, InputSource};
use crate::normalize::{default_threads, normalize_inputs, InputStats, Keep, Options, WholeReader};
use crate::output::{self, Presentation, Style};
use crate::parquet_input::{self, ParquetOptions};
use crate::pipeline;
use crate::prelearn;
use crate::progress::Progress;
use crate::report::{self, ReportInfo};
use crate::ruleset;
use crate::shard::TimeRange;
use crate::summary::{DetectionCounts, EntityCounts, Summary};
use crate::suppress::Suppressions;
use crate::{bundled, ExitStatus};

/// Batches of events queued between reading and correlation when events are streamed.
const STREAM_QUEUE: usize = 8;

/// Events per batch sent to correlation when events are streamed.
const STREAM_BATCH: usize = 1024;

/// Events a hunt sorts in memory before it writes a sorted run to a temporary file.
const SORT_BUFFER_EVENTS: usize = 200_000;

/// Runs a hunt and returns the process's exit status.
pub fn run(args: &HuntArgs) -> Result<ExitStatus> {
    let started = Instant::now();
    let demo = args.inputs.is_empty();
    // Everything named on the command line is read first: a wrong path, format or file there
    // is an invalid argument (exit status 2), reported before any work is done.
    let setup = match Setup::load(args, demo) {
        Ok(setup) => setup,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitStatus::InvalidInput);
        }
    };
    let Setup { format, force, asn, identities, suppressions, ctx, entity_counts, rule_files } =
        setup;

    let loaded = ruleset::compile_rules(&rule_files, &yaral::CheckOptions::default(), &ctx);
    if loaded.rules.is_empty() {
        eprintln!("error: no rule could be compiled, so there is nothing to hunt with");
        return Ok(ExitStatus::InvalidInput);
    }
    let rule_count = loaded.rules.len();
    warn_without_entities(&loaded.rules, &ctx, !args.entities.is_empty());

    let inputs = if demo {
        demo_inputs()
    } else {
        match input::expand(&args.inputs) {
            Ok(inputs) => inputs,
            Err(e) => {
                eprintln!("error: {e:#}");
                return Ok(ExitStatus::InvalidInput);
            }
        }
    };
    // The report is written to a temporary file beside its path, created now so that a bad
    // path fails before the work, and renamed when complete, so a failed run leaves no
    // half-written report.
    let report = match &args.report {
        Some(path) => match PendingReport::create(path) {
            Ok(report) => Some(report),
            Err(e) => {
                eprintln!("error: {e:#}");
                return Ok(ExitStatus::InvalidInput);
            }
        },
        None => None,
    };

    let progress = Progress::new(!args.no_progress);
    let mut normalizer = sources::Normalizer::new(identities);
    prelearn::learn_user_names(&inputs, format, &mut normalizer);
    if let (Some(from), Some(to)) = (args.from, args.to) {
        if to <= from {
            eprintln!("error: --to is not after --from, so no event can be hunted");
            return Ok(ExitStatus::InvalidInput);
        }
    }
    let range = TimeRange::new(args.from, args.to, &loaded.rules);
    // Events that no rule can use are dropped on the worker threads, before they are sorted:
    // they would give no rule a row, so no detection changes. The verdict on a kept event
    // goes with it to the engine, which then does not run the same filters again.
    let prefilter = engine::Prefilter::new(&loaded.rules);
    // Events that go straight to the engines also take their rows with them, built on the
    // worker threads (see `Prefilter::prepare`). Sorted events do not, because the sorter
    // keeps events only.
    let keep_with = |prepare: bool| {
        let (range, prefilter) = (&range, &prefilter);
        move |event: &Arc<udm::Event>, raw: Option<&engine::RawScan<'_>>| {
            if !range.reads(event.event_time()) {
                return Keep::OutOfRange;
            }
            let verdict =
                if prepare { prefilter.prepare(event, raw) } else { prefilter.verdict(event, raw) };
            match verdict {
                Some(verdict) => Keep::Admitted(verdict),
                None => Keep::Unused,
            }
        }
    };
    let keep = keep_with(false);
    let keep_prepared = keep_with(true);
    let threads = if args.threads == 0 { default_threads() } else { args.threads };
    let raw = prefilter.raw_filter();
    let parquet = ParquetOptions {
        force,
        json_column: args.parquet_json_column.clone(),
        prune: !args.no_prune,
        from: range.read_from,
        to: range.read_to,
        column_tests: prefilter.column_tests(),
        field_paths: prefilter.field_paths(),
    };
    let (inputs, partitions_skipped) = skip_partitions(inputs, &parquet);
    let projection = keep_projection(parquet.field_paths.clone());
    let whole: Arc<dyn udm::ReadWhole> = Arc::new(WholeReader { asn: asn.clone() });
    let projected = args.projected_read != ProjectedRead::Never;
    let options = Options {
        threads,
        keep: &keep,
        raw: raw.as_ref(),
        cancel: None,
        reported: &[],
        parquet: &parquet,
        projection: projected.then_some(&projection),
        whole: projected.then_some(&whole),
        always_projected: args.projected_read == ProjectedRead::Always,
    };
    let run = Run {
        inputs: &inputs,
        format,
        asn: asn.as_deref(),
        progress: &progress,
        suppressions: &suppressions,
        range: &range,
        threads,
        detection_buffer: args.detection_buffer_bytes,
        prefilter: &prefilter,
    };
    // Logs are usually stored in time order, so the hunt first streams the events into the
    // engine as they are read. At the first event older than one before it, that attempt
    // stops and the inputs are read again through the sorter, which standard input and other
    // streams cannot be.
    let replayable = inputs.iter().all(Input::is_rereadable);
    let streamed = if replayable {
        let options = Options { keep: &keep_prepared, ..options };
        correlate_streaming(&run, normalizer.clone(), loaded.rules.clone(), &options)?
    } else {
        Streamed::OutOfOrder(Vec::new())
    };
    let (stats, collected) = match streamed {
        Streamed::InOrder(stats, collected) => (stats, *collected),
        Streamed::OutOfOrder(reported) => {
            // Messages about the records read so far were printed already.
            let options = Options { reported: &reported, ..options };
            correlate_with_sort(&run, &mut normalizer, loaded.rules, &options)?
        }
    };
    progress.finish();
    let Collected {
        detections,
        counts,
        change_windows,
        outside: detections_outside,
        stats: engine_stats,
    } = collected;

    let stdout_is_terminal = io::stdout().is_terminal();
    let format = args.output.unwrap_or(if stdout_is_terminal {
        OutputFormat::Table
    } else {
        OutputFormat::Jsonl
    });
    let presentation = Presentation { zone: args.tz, style: Style::detect(stdout_is_terminal) };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    output::write(&mut out, format, &detections, &presentation)
        .and_then(|()| out.flush())
        .context("cannot write the detections")?;

    let records: u64 = stats.iter().map(|s| s.records).sum();
    let rejected: u64 = stats.iter().map(|s| s.rejected).sum();
    if let Some(report) = report {
        let info = ReportInfo {
            title: "Dragnet hunt",
            rules_loaded: rule_count,
            records,
            rejected,
            zone: args.tz,
            generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        };
        report.finish(&detections, &info)?;
    }

    let suppressed: BTreeMap<String, u64> = engine_stats
        .rules
        .iter()
        .filter(|r| r.suppressed > 0)
        .map(|r| (r.name.clone(), r.suppressed))
        .collect();
    let mut cut_joins: BTreeMap<String, u64> = BTreeMap::new();
    for rule in engine_stats.rules.iter().filter(|r| r.cut_joins > 0) {
        *cut_joins.entry(rule.name.clone()).or_default() += rule.cut_joins;
    }
    let summary = Summary {
        entities: entity_counts,
        rules_loaded: rule_count,
        rejected_rules: &loaded.rejected,
        inputs: &stats,
        detections: &counts,
        suppressed: &suppressed,
        change_windows: &change_windows,
        cut_joins: &cut_joins,
        late_events: engine_stats.late_events,
        out_of_range: stats.iter().map(|s| s.out_of_range).sum(),
        detections_outside,
        partitions_skipped,
        elapsed: Some(started.elapsed()),
    };
    eprint!("{}", summary.render());
    if let Some(path) = &args.report {
        eprintln!("  report: {}", path.display());
    }
    let skipped_entities = entity_counts.map_or(0, |counts| counts.skipped);
    match failure_reason(&stats, loaded.rejected.len(), skipped_entities, &cut_joins, args.strict) {
        Some(reason) => {
            eprintln!("error: {reason}");
            Ok(ExitStatus::Failure)
        }
        None => Ok(ExitStatus::Success),
    }
}

/// Returns why a hunt that ran to its end exits with status 1, if it does. An input that could
/// not be read at all always fails the hunt, because its events were not hunted. With
/// `strict`, so does a rejected record or rule, a skipped entity record, an unreadable Parquet
/// row group, an input that stopped early or a rule whose join stopped at the engine's tuple
/// cap (`cut_joins`).
fn failure_reason(
    stats: &[InputStats],
    rejected_rules: usize,
    skipped_entities: usize,
    cut_joins: &BTreeMap<String, u64>,
    strict: bool,
) -> Option<String> {
    let not_read = stats.iter().filter(|s| s.not_read()).count();
    if not_read > 0 {
        return Some(format!(
            "{not_read} of {} inputs could not be read, so the detections cover the other \
             inputs only",
            stats.len()
        ));
    }
    if !strict {
        return None;
    }
    let rejected_records: u64 = stats.iter().map(|s| s.rejected).sum();
    let stopped = stats.iter().filter(|s| s.stopped_early()).count();
    let bad_row_groups: u64 = stats.iter().filter_map(|s| s.row_groups).map(|g| g.failed).sum();
    let mut problems = Vec::new();
    if rejected_records > 0 {
        problems.push(format!("{rejected_records} records were rejected"));
    }
    if rejected_rules > 0 {
        problems.push(format!("{rejected_rules} rules were rejected"));
    }
    if skipped_entities > 0 {
        problems.push(format!("{skipped_entities} entity records were skipped"));
    }
    if bad_row_groups > 0 {
        problems.push(format!("{bad_row_groups} Parquet row groups could not be read"));
    }
    if stopped > 0 {
        problems.push(format!("reading stopped early in {stopped} inputs"));
    }
    if !cut_joins.is_empty() {
        let rules = cut_joins.len();
        problems
            .push(format!("{rules} rules joined more event combinations than the engine keeps"));
    }
    if problems.is_empty() {
        return None;
    }
    Some(format!("{}, and --strict makes that a failure", problems.join(", ")))
}

/// The HTML report while the hunt runs: a temporary file renamed into place at the end.
struct PendingReport {
    path: std::path::PathBuf,
    temporary: std::path::PathBuf,
    file: File,
}

impl PendingReport {
    fn create(path: &std::path::Path) -> Result<PendingReport> {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".partial");
        let temporary = path.with_file_name(name);
        let file = File::create(&temporary)
            .with_context(|| format!("cannot create the report {}", path.display()))?;
        Ok(PendingReport { path: path.to_path_buf(), temporary, file })
    }

    fn finish(self, detections: &SortedDetections, info: &ReportInfo<'_>) -> Result<()> {
        let mut writer = io::BufWriter::new(&self.file);
        let written = report::write(&mut writer, detections, info)
            .and_then(|()| writer.flush())
            .and_then(|()| std::fs::rename(&self.temporary, &self.path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&self.temporary);
            return Err(e)
                .with_context(|| format!("cannot write the report {}", self.path.display()));
        }
        Ok(())
    }
}

impl Drop for PendingReport {
    /// Removes the temporary file of a report that was never finished.
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.temporary);
    }
}

/// Builds the error for a `--format` value that names no log source. JSON, CSV and compression
/// are recognised from each input, and the message states that for users who try
/// `--format json`.
fn unknown_format(value: &str) -> anyhow::Error {
    let names: Vec<&str> = sources::Format::ALL.iter().map(|(_, name)| *name).collect();
    anyhow::anyhow!(
        "invalid --format {value:?}: expected one of {}, or parquet. --format names the log \
         source; JSON, CSV, gzip and zstd are recognised from the input itself",
        names.join(", ")
    )
}

/// Warns about each rule that reads entity records (`$e.graph.`) when none were loaded. A rule
/// that requires an entity variable can find nothing, and one whose entity variables may be
/// absent (`!$known`) finds every event that its other variables match. `given` is whether
/// `--entities` named any path, which the warning names as the cause: no path, or no usable
/// record in them.
pub fn warn_without_entities(rules: &[engine::Rule], ctx: &engine::Context, given: bool) {
    if !ctx.entities.is_empty() {
        return;
    }
    let reason = if given {
        "no entity record was loaded from --entities"
    } else {
        "no --entities were given"
    };
    for rule in rules.iter().filter(|rule| rule.reads_entities()) {
        let effect = if rule.requires_entities() {
            "so it cannot match".to_owned()
        } else {
            let names: Vec<String> =
                rule.optional_entity_vars().iter().map(|name| format!("${name}")).collect();
            format!("so {} is absent for every event", names.join(" and "))
        };
        eprintln!(
            "warning: rule {} reads entity records (`graph` fields) and {reason}, {effect}",
            rule.name()
        );
    }
}

/// The command-line inputs of a hunt, read before it starts.
struct Setup {
    format: sources::Format,
    /// `--format parquet`: every input is read as Parquet.
    force: bool,
    asn: Option<Arc<enrich::AsnDb>>,
    identities: sources::Identities,
    suppressions: Suppressions,
    ctx: engine::Context,
    /// The entity records loaded and skipped, when `--entities` was given.
    entity_counts: Option<EntityCounts>,
    rule_files: Vec<yaral::SourceFile>,
}

impl Setup {
    fn load(args: &HuntArgs, demo: bool) -> Result<Setup> {
        // Parquet is a container of UDM events rather than a log source.
        let force = args.source.format.trim().eq_ignore_ascii_case("parquet");
        if force && !cfg!(feature = "parquet") {
            anyhow::bail!(
                "--format parquet needs Parquet support, and this dragnet was built without it; \
                 rebuild it with `cargo install --path crates/dragnet --features parquet`"
            );
        }
        let format: sources::Format = if force {
            sources::Format::Udm
        } else {
            args.source.format.parse().map_err(|_| unknown_format(&args.source.format))?
        };
        let lists = context::load_lists(&args.lists, demo)?;
        let asn = context::load_asn_db(&args.source.asn_db, demo)?.map(Arc::new);
        let identities = context::load_identities(args.source.identities.as_deref(), demo)?;
        let demo_suppressions = bundled::file(bundled::DEMO_SUPPRESSIONS);
        let suppressions = match (&args.suppressions, demo_suppressions) {
            (Some(path), _) => Suppressions::load(path, &lists)?,
            (None, Some(text)) if demo => Suppressions::parse(
                &String::from_utf8_lossy(text),
                bundled::DEMO_SUPPRESSIONS,
                &lists,
            )?,
            _ => Suppressions::default(),
        };
        let entities_from_stdin = args.entities.iter().any(|path| path.as_os_str() == "-");
        if entities_from_stdin && args.inputs.iter().any(|input| input == "-") {
            anyhow::bail!(
                "--entities - and the input - both read standard input, which can be read once; \
                 give the entity records or the events as a file"
            );
        }
        let loaded = context::load_entities(&args.entities)?;
        let entity_counts = (!args.entities.is_empty())
            .then(|| EntityCounts { loaded: loaded.entities.len(), skipped: loaded.skipped });
        let entities = Arc::new(loaded.entities);
        let tables = Arc::new(context::load_tables(&args.data_tables)?);
        let ctx = engine::Context { lists: Arc::new(lists), asn: asn.clone(), entities, tables };
        let rule_files = ruleset::read_rule_files(&args.rules)?;
        Ok(Setup { format, force, asn, identities, suppressions, ctx, entity_counts, rule_files })
    }
}

/// The inputs and settings that both ways of correlating a hunt share.
struct Run<'a> {
    inputs: &'a [Input],
    format: sources::Format,
    asn: Option<&'a enrich::AsnDb>,
    progress: &'a Progress,
    suppressions: &'a Suppressions,
    /// The detections reported: those whose earliest event is in `--from` and `--to`.
    range: &'a TimeRange,
    threads: usize,
    /// Bytes of detections held in memory before they are sorted into a temporary file.
    detection_buffer: usize,
    /// The prefilter whose verdicts the kept events carry.
    prefilter: &'a engine::Prefilter,
}

/// The detections of a hunt, change windows applied, with their counts.
struct Collected {
    /// The detections in output order.
    detections: SortedDetections,
    /// Detections per rule and severity, for the summary.
    counts: DetectionCounts,
    /// Detections left out by change windows, by (rule, reason).
    change_windows: BTreeMap<(String, String), u64>,
    /// Detections left out because their earliest event is outside `--from` and `--to`.
    outside: usize,
    /// The engine's counters.
    stats: engine::EngineStats,
}

/// Takes the detections of a hunt as the engines make them: leaves out those in change
/// windows and those outside the time range, counts the rest and sorts them into output order
/// within bounded memory.
struct Collector<'a> {
    suppressions: &'a Suppressions,
    range: &'a TimeRange,
    sorter: DetectionSorter,
    counts: DetectionCounts,
    change_windows: BTreeMap<(String, String), u64>,
    outside: usize,
    /// The first failure to write a temporary file; detections after it are dropped.
    error: Option<io::Error>,
}

impl Collector<'_> {
    fn new<'a>(run: &Run<'a>) -> Collector<'a> {
        Collector {
            suppressions: run.suppressions,
            range: run.range,
            sorter: DetectionSorter::new(run.detection_buffer),
            counts: DetectionCounts::default(),
            change_windows: BTreeMap::new(),
            outside: 0,
            error: None,
        }
    }

    fn accept(&mut self, detection: engine::Detection) {
        if self.error.is_some() {
            return;
        }
        if let Some(reason) = self.suppressions.reason_to_leave_out(&detection) {
            let key = (detection.rule.name.clone(), reason.to_owned());
            *self.change_windows.entry(key).or_default() += 1;
            return;
        }
        if !self.range.reports(&detection) {
            self.outside += 1;
            return;
        }
        self.counts.add(&detection.rule.name, detection.rule.severity.as_deref());
        self.error = self.sorter.push(&detection).err();
    }

    fn finish(self, stats: engine::EngineStats) -> Result<Collected> {
        if let Some(e) = self.error {
            return Err(e).with_context(|| {
                format!(
                    "cannot write detections to a temporary file under {}; free space there \
                     or set TMPDIR to another folder",
                    self.sorter.parent().display()
                )
            });
        }
        Ok(Collected {
            detections: self.sorter.finish(),
            counts: self.counts,
            change_windows: self.change_windows,
            outside: self.outside,
            stats,
        })
    }
}

/// The result of trying to correlate events as they are read.
enum Streamed {
    /// Every event came in event-time order: the counts per input and the detections.
    InOrder(Vec<InputStats>, Box<Collected>),
    /// An event came before an older one; the counts of the inputs read until then, whose
    /// messages were printed.
    OutOfOrder(Vec<InputStats>),
}

/// Correlates events as they are read, which is right when they arrive in event-time order,
/// since that is the order the sorter would give. Stops at the first event older than one
/// before it.
fn correlate_streaming(
    run: &Run<'_>,
    mut normalizer: sources::Normalizer,
    rules: Vec<engine::Rule>,
    options: &Options<'_>,
) -> Result<Streamed> {
    let cancel = AtomicBool::new(false);
    let options = Options { cancel: Some(&cancel), ..*options };
    let (sender, receiver) = mpsc::sync_channel::<Vec<pipeline::Screened>>(STREAM_QUEUE);
    thread::scope(|scope| {
        let correlation = scope.spawn(move || {
            let events = receiver.into_iter().flatten().map(Ok::<_, Infallible>);
            let mut collector = Collector::new(run);
            let stats = pipeline::correlate_each(
                rules,
                Some(run.prefilter),
                events,
                run.threads,
                &mut |d| collector.accept(d),
            );
            match stats {
                Ok(stats) => (collector, stats),
                Err(never) => match never {},
            }
        });
        let mut latest = None;
        let mut batch = Vec::with_capacity(STREAM_BATCH);
        let stats = normalize_inputs(
            run.inputs,
            run.format,
            &mut normalizer,
            run.asn,
            run.progress,
            &options,
            |event, verdict| {
                if cancel.load(Ordering::Relaxed) {
                    return;
                }
                // A prepared event may have no fields left, so its time comes from its verdict.
                let time = verdict
                    .as_ref()
                    .and_then(engine::Verdict::time)
                    .unwrap_or_else(|| event.event_time());
                if latest.is_some_and(|latest| time < latest) {
                    cancel.store(true, Ordering::Relaxed);
                    return;
                }
                latest = Some(time);
                batch.push((event, verdict));
                if batch.len() >= STREAM_BATCH {
                    // A send fails only when the correlation thread panicked; the join below
                    // reports that.
                    let _ = sender.send(std::mem::take(&mut batch));
                }
            },
        );
        let _ = sender.send(batch);
        drop(sender);
        let (collector, engine_stats) = match correlation.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        if cancel.load(Ordering::Relaxed) {
            return Ok(Streamed::OutOfOrder(stats));
        }
        Ok(Streamed::InOrder(stats, Box::new(collector.finish(engine_stats)?)))
    })
}

/// Sorts the events by event time within bounded memory, then correlates them.
fn correlate_with_sort(
    run: &Run<'_>,
    normalizer: &mut sources::Normalizer,
    rules: Vec<engine::Rule>,
    options: &Options<'_>,
) -> Result<(Vec<InputStats>, Collected)> {
    // The sorter keeps the input order among events with the same time, and spills sorted
    // runs to temporary files past `SORT_BUFFER_EVENTS`, so memory does not grow with the
    // input.
    let mut sorter = engine::TimeSorter::new(SORT_BUFFER_EVENTS);
    let mut spill_error = None;
    let stats = normalize_inputs(
        run.inputs,
        run.format,
        normalizer,
        run.asn,
        run.progress,
        options,
        // The sorter keeps events only, so the engines run the filters again.
        |event, _| {
            if spill_error.is_none() {
                spill_error = sorter.push(event).err();
            }
        },
    );
    if let Some(e) = spill_error {
        return Err(e).context("cannot write events to a temporary file while sorting them");
    }
    let sorted = sorter.finish().context("cannot read back the sorted events")?;
    let mut collector = Collector::new(run);
    let sorted = sorted.map(|event| event.map(|event| (event, None)));
    let engine_stats =
        pipeline::correlate_each(rules, None, sorted, run.threads, &mut |d| collector.accept(d))
            .context("cannot read back the sorted events")?;
    Ok((stats, collector.finish(engine_stats)?))
}

/// Leaves out the Parquet files in hive partition folders (`dt=2026-12-01/`) whose dates are
/// outside the range of events read, and returns how many were left out.
fn skip_partitions(inputs: Vec<Input>, parquet: &ParquetOptions) -> (Vec<Input>, usize) {
    if !parquet.prune || (parquet.from.is_none() && parquet.to.is_none()) {
        return (inputs, 0);
    }
    let before = inputs.len();
    let kept: Vec<Input> = inputs
        .into_iter()
        .filter(|input| {
            let InputSource::File(path) = &input.source else { return true };
            if !parquet_input::is_parquet(input, parquet) {
                return true;
            }
            parquet_input::partition::time_range(path).is_none_or(|partition| {
                parquet_input::partition::overlaps(partition, parquet.from, parquet.to)
            })
        })
        .collect();
    let skipped = before - kept.len();
    (kept, skipped)
}

fn demo_inputs() -> Vec<Input> {
    bundled::files_under(bundled::DEMO_LOGS_DIR)
        .map(|(path, bytes)| Input { name: path.to_owned(), source: InputSource::Bundled(bytes) })
        .collect()
}

/// Builds the projection of the fields that deciding whether to keep an event reads. These are
/// the fields the rules read, `metadata.product_log_id`, which names events in detections,
/// and, for each noun whose `ip_geo_artifact` the rules read, the addresses enrichment makes
/// it from and those of the elements the record has already.
fn keep_projection(mut paths: Vec<Vec<String>>) -> udm::json::Projection {
    paths.push(vec!["metadata".to_owned(), "product_log_id".to_owned()]);
    let nouns = ["principal", "src", "target", "observer", "intermediary", "about"];
    let is_noun = |name: &String| nouns.contains(&name.as_str());
    // A path with `ip_geo_artifact` anywhere but right under a noun may read any noun's.
    let unsure = paths.iter().any(|path| {
        path.iter().enumerate().any(|(at, name)| {
            name == "ip_geo_artifact" && (at != 1 || !path.first().is_some_and(is_noun))
        })
    });
    let geo_read = |noun: &str| {
        unsure
            || paths.iter().any(|path| {
                path.first().is_some_and(|name| name == noun)
                    && path.get(1).is_some_and(|name| name == "ip_geo_artifact")
            })
    };
    let geo_nouns: Vec<&str> = nouns.into_iter().filter(|noun| geo_read(noun)).collect();
    for noun in geo_nouns {
        for path in [&["ip"][..], &["asset", "ip"], &["ip_geo_artifact", "ip"]] {
            let mut full = vec![noun.to_owned()];
            full.extend(path.iter().map(|name| (*name).to_owned()));
            paths.push(full);
        }
    }
    udm::json::Projection::new(&paths)
}
