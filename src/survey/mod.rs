//! One survey run end to end: a zone list in, a run folder out. It owns what the crawl
//! engine does not: the run's configuration, a fresh start, a resume or a retry, the
//! journal and results writer, the manifest, and the last pass; it tells an [`Observer`]
//! how far it is.

mod last_pass;

use last_pass::{Held, Operators, Plan};

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::crawl::{CrawlOptions, Crawler, LastPass, NameResult};
use crate::dns::{ClientOptions, DnsClient, DnsClientError};
use crate::run::{
    JOURNAL_FILE, JournalWriter, LastPassCounts, Manifest, Period, REJECTS_FILE, ResultsFile,
    RunDir, RunError, RunStatus, RunWriter, Shard, io_err, latest_rows, recount_and_write,
    write_results,
};
use crate::transport::Transport;
use crate::zone::{
    KeySet, RejectWriter, ZoneEncoding, ZoneEntry, ZoneError, ZoneFormat, ZoneItem, ZoneReader,
    ZoneStats, name_key,
};

#[derive(Debug, thiserror::Error)]
pub enum SurveyError {
    #[error(transparent)]
    Zone(#[from] ZoneError),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Dns(#[from] DnsClientError),
    #[error("{0}")]
    Psl(String),
    #[error(transparent)]
    Transport(#[from] crate::transport::TransportError),
}

/// What to survey and how.
#[derive(Debug, Clone)]
pub struct SurveyConfig {
    pub input: PathBuf,
    pub format: ZoneFormat,
    pub encoding: ZoneEncoding,
    /// The month the run describes; `None`: the month it starts in.
    pub period: Option<Period>,
    pub out: PathBuf,
    /// Empty: the system's resolvers.
    pub resolvers: Vec<SocketAddr>,
    pub client: ClientOptions,
    pub crawl: CrawlOptions,
    /// The command line, for the manifest.
    pub command: Vec<String>,
    /// Finish the run already in `out`: names in its journal are not crawled again.
    pub resume: bool,
    /// Survey only this shard of the list (names whose registered domain hashes to it).
    pub shard: Option<Shard>,
    /// The options a resume or retry runs with in place of the run's own (`--concurrency
    /// 64`), recorded in the manifest.
    pub changed: Vec<String>,
}

impl SurveyConfig {
    /// The configuration a run folder was started with, to resume it; `command` is this
    /// process's command line.
    pub fn from_run(dir: &Path, command: Vec<String>) -> Result<SurveyConfig, SurveyError> {
        let m = RunDir::open(dir)?.read_manifest()?;
        // The names go on being classified with the list the run started with.
        match (&m.psl, crate::psl::file()) {
            (Some(file), _) => crate::psl::use_file(file).map_err(SurveyError::Psl)?,
            (None, Some(given)) => {
                return Err(SurveyError::Psl(format!(
                    "{} was surveyed with the Public Suffix List built in, not {}: resume it without --psl",
                    dir.display(),
                    given.display()
                )));
            }
            (None, None) => {}
        }
        let resolvers = m
            .resolvers
            .iter()
            .filter(|r| *r != "system")
            .map(|r| crate::dns::parse_server(r))
            .collect::<Result<_, _>>()?;
        Ok(SurveyConfig {
            input: PathBuf::from(&m.input),
            format: m.format,
            encoding: m.encoding,
            period: m.period,
            out: dir.to_path_buf(),
            resolvers,
            client: ClientOptions {
                timeout: Duration::from_millis(m.timeout_ms),
                ..ClientOptions::default()
            },
            crawl: m.options,
            command,
            resume: true,
            shard: m.shard,
            changed: Vec::new(),
        })
    }
}

/// What a survey tells whoever watches it (the command line draws it as a progress bar or
/// log lines); every method is called from the survey's task, between its lookups.
pub trait Observer: Send {
    /// Whether the survey should count the list before it starts, for a total: a second
    /// read of the whole list.
    fn wants_total(&self) -> bool {
        false
    }
    /// A pass begins over `total` names where known.
    fn begin(&mut self, _pass: Pass, _total: Option<u64>) {}
    /// A name is finished (resolved or not).
    fn finished(&mut self, _r: &NameResult) {}
    /// The pass is over.
    fn end(&mut self) {}
}

/// Watches nothing.
pub struct Quiet;

impl Observer for Quiet {}

/// Which pass of a survey runs.
#[derive(Debug, Clone, Copy)]
pub enum Pass {
    /// The list, name by name.
    Main,
    /// The main pass's unresolved names asked again.
    Last(LastPassPlan),
    /// `--retry-unresolved`: a finished run's unresolved names.
    Retry,
}

/// What the last pass is about to do.
#[derive(Debug, Clone, Copy)]
pub struct LastPassPlan {
    /// Names asked again (the live operators' and the scouts).
    pub asked: u64,
    /// Scouts among them: names of operators that resolved none of their names.
    pub scouts: u64,
    /// Those operators' other names, asked only if one of their scouts resolves.
    pub held_back: u64,
    pub pause: Duration,
    pub timeout: Duration,
}

/// Crawl again the names of a finished run whose last row is unresolved, appending their new
/// rows to the journal (which supersede the old ones), then rebuild results and manifest.
/// Returns the manifest and how many names were retried.
pub async fn retry_unresolved(
    cfg: &SurveyConfig,
    observer: &mut dyn Observer,
) -> Result<(Manifest, u64), SurveyError> {
    // Only a finished run: retrying the failures of a killed one and calling it complete would
    // publish tables of the part that was crawled.
    let (run, mut manifest) = RunDir::open_finished(&cfg.out)?;
    note_changes(&mut manifest, cfg, "--retry-unresolved");
    let mut todo = Vec::new();
    for r in latest_rows(&run)? {
        let r = r?;
        if !r.is_resolved() {
            todo.push(r.entry());
        }
    }
    let n = todo.len() as u64;
    if n == 0 {
        // Nothing to ask: the run, its manifest and its `finished` stay as they are.
        return Ok((manifest, 0));
    }
    let client = DnsClient::new(&cfg.resolvers, &cfg.client).await?;
    // No last pass after this one: every name gets all its retries.
    let opts = CrawlOptions {
        last_pass: None,
        ..cfg.crawl.clone()
    };
    let transport = Transport::for_checks(&opts.checks, &opts.transport)?;
    let crawler = Crawler::new(client, opts)
        .with_operators(crate::record::ns_column(&manifest.extra_columns))
        .with_transport(transport);
    let crawler = Arc::new(crawler);
    let mut journal = RunWriter::new(Some(JournalWriter::open(&run)?), None);
    observer.begin(Pass::Retry, Some(n));
    let crawled = crawler
        .run(todo.into_iter(), |r| {
            manifest.retried_lookups += r.retried_lookups();
            observer.finished(&r);
            journal.push(r)
        })
        .await;
    observer.end();
    journal.close(crawled.map_err(SurveyError::from))?;
    manifest.add_transport(crawler.transport_cost());
    manifest.retried += n;
    recount_and_write(&run, &mut manifest)?;
    manifest.finished = Some(now());
    manifest.status = RunStatus::Complete;
    run.write_manifest(&manifest)?;
    Ok((manifest, n))
}

/// Record in the manifest the options this process runs with in place of the run's own.
fn note_changes(manifest: &mut Manifest, cfg: &SurveyConfig, how: &str) {
    if !cfg.changed.is_empty() {
        let change = format!("{} {how}: {}", now(), cfg.changed.join(" "));
        manifest.option_changes.push(change);
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Count the input's names for the progress total (files only; stdin is read once).
fn count_lines(cfg: &SurveyConfig) -> Option<u64> {
    if cfg.input == Path::new("-") {
        return None;
    }
    let reader = ZoneReader::open(&cfg.input, cfg.format, cfg.encoding).ok()?;
    // The names to crawl: rejected lines and duplicates are never pending.
    let entries = reader.filter(|item| matches!(item, Ok(ZoneItem::Entry(_))));
    Some(entries.count() as u64)
}

/// A run folder about to be crawled into: new, or holding an interrupted run.
struct Begun {
    run: RunDir,
    /// With the journal's names counted.
    manifest: Manifest,
    /// The keys of the names journaled.
    done: KeySet,
    /// The unresolved rows, and what was seen of each operator, for the last pass.
    held: Held,
    operators: Operators,
}

impl Begun {
    /// A new run folder for `cfg`.
    fn create(cfg: &SurveyConfig, extra_columns: &[String]) -> Result<Begun, SurveyError> {
        Ok(Begun {
            run: RunDir::create(&cfg.out)?,
            manifest: new_manifest(cfg),
            done: KeySet::default(),
            held: Held::default(),
            operators: Operators::new(extra_columns),
        })
    }

    /// What the run folder at `dir` already holds; `None` where its run is complete.
    fn resume(dir: &Path) -> Result<Option<Begun>, SurveyError> {
        let run = RunDir::open(dir)?;
        let mut manifest = run.read_manifest()?;
        if run.is_complete()? {
            return Ok(None);
        }
        manifest.reset_counts();
        let mut done = KeySet::default();
        let mut held = Held::default();
        let mut operators = Operators::new(&manifest.extra_columns);
        if run.file(JOURNAL_FILE).exists() {
            // The work of the rows journaled: the manifest on disk may be older than them.
            manifest.retried_lookups = crate::run::retried_lookups(&run)?;
            for r in latest_rows(&run)? {
                let r = r?;
                done.insert(name_key(&r.name));
                manifest.count(&r);
                operators.note(&r);
                held.take(&r);
            }
        }
        Ok(Some(Begun {
            run,
            manifest,
            done,
            held,
            operators,
        }))
    }

    /// The last pass over the held names, their new rows journaled and written in place of
    /// theirs.
    async fn last_pass(
        &mut self,
        cfg: &SurveyConfig,
        crawler: &Crawler,
        pass: LastPass,
        out: &mut RunWriter,
        observer: &mut dyn Observer,
    ) -> Result<(), SurveyError> {
        let held = std::mem::take(&mut self.held);
        let not_asked = held.not_asked;
        if held.rows.is_empty() && not_asked == 0 {
            return Ok(());
        }
        for r in &held.rows {
            self.manifest.uncount(r);
        }
        let n = held.rows.len() as u64;
        let plan = Plan::of(held.rows, &mut self.operators);
        let (live, scouts, held_back) = plan.sizes();
        observer.begin(
            Pass::Last(LastPassPlan {
                asked: live + scouts,
                scouts,
                held_back,
                pause: Duration::from_millis(pass.pause_ms),
                timeout: Duration::from_millis(pass.timeout_ms),
            }),
            Some(n),
        );
        tokio::time::sleep(Duration::from_millis(pass.pause_ms)).await;
        let (full, scout) =
            last_pass::crawlers(&cfg.resolvers, &cfg.client, crawler, pass, &self.operators)
                .await?;
        let manifest = &mut self.manifest;
        let counts = last_pass::ask(plan, &full, &scout, |r| {
            manifest.count_crawled(&r);
            observer.finished(&r);
            out.push(r)
        })
        .await;
        observer.end();
        manifest.last_pass = Some(LastPassCounts {
            not_asked,
            ..counts?
        });
        Ok(())
    }
}

/// The list's entries still to crawl: those of this shard not yet journaled. Rejected lines
/// go to `rejects.csv` as they come; the first read or write error stops the entries and is
/// kept, to end the run once the finished names are journaled.
struct Entries<'a> {
    reader: ZoneReader,
    rejects: RejectWriter,
    rejects_path: PathBuf,
    done: &'a KeySet,
    shard: Option<Shard>,
    failure: Option<SurveyError>,
}

impl Iterator for Entries<'_> {
    type Item = ZoneEntry;

    fn next(&mut self) -> Option<ZoneEntry> {
        while self.failure.is_none() {
            match self.reader.next()? {
                Ok(ZoneItem::Entry(e)) if self.done.contains(&name_key(&e.name)) => {}
                Ok(ZoneItem::Entry(e))
                    if self
                        .shard
                        .is_some_and(|s| !s.holds(&e.class.registered_domain)) => {}
                Ok(ZoneItem::Entry(e)) => return Some(e),
                Ok(ZoneItem::Reject(r)) => {
                    if let Err(source) = self.rejects.write(&r) {
                        self.failure = Some(io_err(&self.rejects_path)(source).into());
                    }
                }
                Err(e) => self.failure = Some(e.into()),
            }
        }
        None
    }
}

impl<'a> Entries<'a> {
    /// The entries of `reader` not in `done`, its rejects written to the run's `rejects.csv`.
    fn new(
        reader: ZoneReader,
        run: &RunDir,
        done: &'a KeySet,
        shard: Option<Shard>,
    ) -> Result<Entries<'a>, SurveyError> {
        let rejects_path = run.file(REJECTS_FILE);
        let rejects = RejectWriter::create(&rejects_path).map_err(io_err(&rejects_path))?;
        Ok(Entries {
            reader,
            rejects,
            rejects_path,
            done,
            shard,
            failure: None,
        })
    }

    /// The list's counts, once the rejects file is whole; the first error met, if any.
    fn finish(self) -> Result<ZoneStats, SurveyError> {
        if let Some(e) = self.failure {
            return Err(e);
        }
        self.rejects.finish().map_err(io_err(&self.rejects_path))?;
        Ok(self.reader.stats())
    }
}

/// About how many names the main pass will crawl, where the observer wants to know: counting
/// reads and classifies the whole list once more, only for a progress display.
fn main_pass_total(cfg: &SurveyConfig, observer: &dyn Observer, done: usize) -> Option<u64> {
    if !observer.wants_total() {
        return None;
    }
    let n = count_lines(cfg)?;
    // A shard holds about 1/N of the list.
    Some((n / cfg.shard.map_or(1, |s| u64::from(s.count))).saturating_sub(done as u64))
}

/// Run a survey into `cfg.out`. Results are journaled as each name finishes; at the end the
/// journal becomes `results.parquet` and the manifest says `complete`.
pub async fn survey(
    cfg: &SurveyConfig,
    observer: &mut dyn Observer,
) -> Result<Manifest, SurveyError> {
    let resumed = match cfg.resume {
        true => match Begun::resume(&cfg.out)? {
            None => return Ok(RunDir::open(&cfg.out)?.read_manifest()?),
            Some(begun) => Some(begun),
        },
        false => None,
    };
    let reader = ZoneReader::open(&cfg.input, cfg.format, cfg.encoding)?;
    let extra_columns = reader.extra_columns().to_vec();
    let mut begun = match resumed {
        Some(begun) => begun,
        None => Begun::create(cfg, &extra_columns)?,
    };
    begun.manifest.extra_columns = extra_columns.clone();
    if cfg.resume {
        note_changes(&mut begun.manifest, cfg, "--resume");
    }
    let client = DnsClient::new(&cfg.resolvers, &cfg.client).await?;
    let transport = Transport::for_checks(&cfg.crawl.checks, &cfg.crawl.transport)?;
    let crawler = Crawler::new(client, cfg.crawl.clone())
        .with_operators(crate::record::ns_column(&extra_columns))
        .with_transport(transport);
    let crawler = Arc::new(crawler);
    let run = begun.run.clone();
    run.write_manifest(&begun.manifest)?;
    let done = std::mem::take(&mut begun.done);
    let mut entries = Entries::new(reader, &run, &done, cfg.shard)?;
    observer.begin(Pass::Main, main_pass_total(cfg, &*observer, done.len()));
    // A fresh run builds results.parquet alongside the crawl; a resumed one rebuilds it from
    // the whole journal at the end.
    let fresh = done.is_empty();
    let results = match fresh {
        true => Some(ResultsFile::create(&run, &extra_columns)?),
        false => None,
    };
    let mut out = RunWriter::new(Some(JournalWriter::open(&run)?), results);
    let last_pass = cfg.crawl.last_pass;
    let crawled = crawler
        .run(&mut entries, |r| {
            begun.manifest.count_crawled(&r);
            observer.finished(&r);
            begun.operators.note(&r);
            // Held out of results.parquet: the last pass writes the name's row.
            match last_pass.is_some() && begun.held.take(&r) {
                true => out.push_held(r),
                false => out.push(r),
            }
        })
        .await;
    observer.end();
    let mut ended = crawled
        .map_err(SurveyError::from)
        .and_then(|()| entries.failure.take().map_or(Ok(()), Err));
    if let (Ok(()), Some(pass)) = (&ended, last_pass) {
        ended = begun
            .last_pass(cfg, &crawler, pass, &mut out, observer)
            .await;
    }
    out.close(ended)?;
    let mut manifest = begun.manifest;
    manifest.add_transport(crawler.transport_cost());
    manifest.zone = entries.finish()?;
    if !fresh {
        // The journal may hold rows a last pass superseded, in this process or the one
        // that was interrupted.
        write_results(&run, &extra_columns, true)?;
    }
    manifest.finished = Some(now());
    manifest.status = RunStatus::Complete;
    run.write_manifest(&manifest)?;
    Ok(manifest)
}

fn new_manifest(cfg: &SurveyConfig) -> Manifest {
    let started = now();
    Manifest {
        tool: env!("CARGO_PKG_NAME").to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        command: cfg.command.clone(),
        input: cfg.input.display().to_string(),
        format: cfg.format,
        encoding: cfg.encoding,
        resolvers: if cfg.resolvers.is_empty() {
            vec!["system".to_string()]
        } else {
            cfg.resolvers.iter().map(ToString::to_string).collect()
        },
        timeout_ms: cfg.client.timeout.as_millis() as u64,
        options: cfg.crawl.clone(),
        period: cfg.period.clone().or_else(|| Period::of_time(&started)),
        started,
        finished: None,
        status: RunStatus::Running,
        zone: Default::default(),
        extra_columns: Vec::new(),
        names: 0,
        unresolved_names: 0,
        followed_unresolved: Default::default(),
        retried: 0,
        outcomes: Default::default(),
        retried_lookups: 0,
        last_pass: None,
        shard: cfg.shard,
        psl: crate::psl::file().map(Path::to_path_buf),
        option_changes: Vec::new(),
        merged_from: Vec::new(),
        judged_by: crate::policy::judgement::JUDGEMENT_RULES,
        transport: None,
    }
}
