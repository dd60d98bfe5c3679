//! A whole survey run: zone list in, run folder out (journal as it goes, then results).

use std::cell::RefCell;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::last_pass::{self, Held, Operators, Plan};
use super::{CrawlOptions, Crawler, LastPass, NameResult};
use crate::dns::{ClientOptions, DnsClient, DnsClientError};
use crate::run::{
    JOURNAL_FILE, JournalWriter, LastPassCounts, Manifest, REJECTS_FILE, ResultsFile, RunDir,
    RunError, RunStatus, RunWriter, Shard, latest_rows, recount_and_write, write_results,
};
use crate::zone::{KeySet, RejectWriter, ZoneError, ZoneFormat, ZoneItem, ZoneReader, name_key};

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
}

/// What to survey and how.
#[derive(Debug, Clone)]
pub struct SurveyConfig {
    pub input: PathBuf,
    pub format: ZoneFormat,
    pub out: PathBuf,
    /// Empty: the system's resolvers.
    pub resolvers: Vec<SocketAddr>,
    pub client: ClientOptions,
    pub crawl: CrawlOptions,
    /// The command line, for the manifest.
    pub command: Vec<String>,
    /// Show a progress bar (on a terminal) or periodic log lines (otherwise).
    pub progress: bool,
    /// Finish the run already in `out`: names in its journal are not crawled again.
    pub resume: bool,
    /// Survey only this shard of the list (names whose registered domain hashes to it).
    pub shard: Option<Shard>,
}

impl SurveyConfig {
    /// The configuration a run folder was started with, to resume it.
    pub fn from_run(dir: &Path, progress: bool) -> Result<SurveyConfig, SurveyError> {
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
            out: dir.to_path_buf(),
            resolvers,
            client: ClientOptions {
                timeout: Duration::from_millis(m.timeout_ms),
                ..ClientOptions::default()
            },
            crawl: m.options,
            command: std::env::args().collect(),
            progress,
            resume: true,
            shard: m.shard,
        })
    }
}

/// Crawl again the names of a finished run whose last row is unresolved, appending their new
/// rows to the journal (which supersede the old ones), then rebuild results and manifest.
/// Returns the manifest and how many names were retried.
pub async fn retry_unresolved(cfg: &SurveyConfig) -> Result<(Manifest, u64), SurveyError> {
    // Only a finished run: retrying the failures of a killed one and calling it complete would
    // publish tables of the part that was crawled.
    let (run, mut manifest) = RunDir::open_finished(&cfg.out)?;
    let mut todo = Vec::new();
    for r in latest_rows(&run)? {
        let r = r?;
        if !r.is_resolved() {
            todo.push(r.entry());
        }
    }
    let n = todo.len() as u64;
    let client = DnsClient::new(&cfg.resolvers, &cfg.client).await?;
    // No last pass after this one: every name gets all its retries.
    let opts = CrawlOptions {
        last_pass: None,
        ..cfg.crawl.clone()
    };
    let crawler = Crawler::new(client, opts)
        .with_operators(crate::record::ns_column(&manifest.extra_columns));
    let crawler = Arc::new(crawler);
    let mut journal = RunWriter::new(Some(JournalWriter::open(&run)?), None);
    let mut progress = Progress::new(cfg.progress, Some(n));
    let crawled = crawler
        .run(todo.into_iter(), |r| {
            progress.tick(&r);
            journal.push(r)
        })
        .await;
    progress.finish();
    journal.close(crawled.map_err(SurveyError::from))?;
    manifest.retried += n;
    recount_and_write(&run, &mut manifest)?;
    manifest.finished = Some(now());
    manifest.status = RunStatus::Complete;
    run.write_manifest(&manifest)?;
    Ok((manifest, n))
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Count the input's lines for the progress total (files only; stdin is read once).
fn count_lines(path: &Path, format: ZoneFormat) -> Option<u64> {
    if path == Path::new("-") {
        return None;
    }
    let reader = ZoneReader::open(path, format).ok()?;
    Some(reader.count() as u64)
}

/// Progress on a terminal, or a log line every ten seconds elsewhere.
struct Progress {
    bar: Option<ProgressBar>,
    total: Option<u64>,
    started: Instant,
    last_log: Instant,
    done: u64,
    unresolved: u64,
    log: bool,
}

impl Progress {
    fn new(enabled: bool, total: Option<u64>) -> Progress {
        let tty = std::io::stderr().is_terminal();
        let bar = (enabled && tty).then(|| {
            let bar = ProgressBar::new(total.unwrap_or(0));
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{wide_bar}] {pos}/{len} names, {per_sec}, ETA {eta} {msg}",
                )
                .expect("valid template"),
            );
            bar
        });
        Progress {
            bar,
            total,
            started: Instant::now(),
            last_log: Instant::now(),
            done: 0,
            unresolved: 0,
            log: enabled && !tty,
        }
    }

    fn tick(&mut self, r: &NameResult) {
        self.done += 1;
        if !r.is_resolved() {
            self.unresolved += 1;
        }
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if !r.is_resolved() {
                bar.set_message(format!("{} unresolved", self.unresolved));
            }
        } else if self.log && self.last_log.elapsed() >= Duration::from_secs(10) {
            self.last_log = Instant::now();
            self.report();
        }
    }

    fn report(&self) {
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        let rate = self.done as f64 / secs;
        let eta = self
            .total
            .map(|t| {
                format!(
                    ", ETA {:.0} s",
                    t.saturating_sub(self.done) as f64 / rate.max(1e-9)
                )
            })
            .unwrap_or_default();
        eprintln!(
            "mailcensus: {}{} names, {:.0} names/s{}, {} unresolved",
            self.done,
            self.total.map(|t| format!("/{t}")).unwrap_or_default(),
            rate,
            eta,
            self.unresolved
        );
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        } else if self.log {
            self.report();
        }
    }
}

enum Resumed {
    Complete(Manifest),
    Partial(Begun),
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

/// Read back what a run folder already holds.
fn resume(dir: &Path) -> Result<Resumed, SurveyError> {
    let run = RunDir::open(dir)?;
    let mut manifest = run.read_manifest()?;
    if run.is_complete()? {
        return Ok(Resumed::Complete(manifest));
    }
    manifest.reset_counts();
    let mut done = KeySet::default();
    let mut held = Held::default();
    let mut operators = Operators::new(&manifest.extra_columns);
    if run.file(JOURNAL_FILE).exists() {
        for r in latest_rows(&run)? {
            let r = r?;
            done.insert(name_key(&r.name));
            manifest.count(&r);
            operators.note(&r);
            held.take(&r);
        }
    }
    Ok(Resumed::Partial(Begun {
        run,
        manifest,
        done,
        held,
        operators,
    }))
}

fn new_manifest(cfg: &SurveyConfig) -> Manifest {
    Manifest {
        tool: env!("CARGO_PKG_NAME").to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        command: cfg.command.clone(),
        input: cfg.input.display().to_string(),
        format: cfg.format,
        resolvers: if cfg.resolvers.is_empty() {
            vec!["system".to_string()]
        } else {
            cfg.resolvers.iter().map(ToString::to_string).collect()
        },
        timeout_ms: cfg.client.timeout.as_millis() as u64,
        options: cfg.crawl.clone(),
        started: now(),
        finished: None,
        status: RunStatus::Running,
        zone: Default::default(),
        extra_columns: Vec::new(),
        names: 0,
        unresolved_names: 0,
        retried: 0,
        outcomes: Default::default(),
        retried_lookups: 0,
        last_pass: None,
        shard: cfg.shard,
        psl: crate::psl::file().map(Path::to_path_buf),
        merged_from: Vec::new(),
        judged_by: crate::policy::judgement::JUDGEMENT_RULES,
    }
}

/// The last pass over `held`, its new rows journaled and written in place of theirs.
async fn last(
    cfg: &SurveyConfig,
    crawler: &Crawler,
    pass: LastPass,
    held: Held,
    operators: &mut Operators,
    manifest: &mut Manifest,
    out: &mut RunWriter,
) -> Result<(), SurveyError> {
    let not_asked = held.not_asked;
    if held.rows.is_empty() && not_asked == 0 {
        return Ok(());
    }
    for r in &held.rows {
        manifest.uncount(r);
    }
    let n = held.rows.len() as u64;
    let plan = Plan::of(held.rows, operators);
    if cfg.progress {
        let (live, scouts, rest) = plan.sizes();
        eprintln!(
            "mailcensus: last pass: {} unresolved names asked again in {:.1} s, each attempt waiting {:.1} s{}",
            live + scouts,
            pass.pause_ms as f64 / 1000.0,
            pass.timeout_ms as f64 / 1000.0,
            match rest {
                0 => String::new(),
                _ => format!(
                    "; {rest} more of operators that resolved none of their names only if one of their {scouts} scouts resolves"
                ),
            }
        );
    }
    tokio::time::sleep(Duration::from_millis(pass.pause_ms)).await;
    let (full, scout) =
        last_pass::crawlers(&cfg.resolvers, &cfg.client, crawler, pass, operators).await?;
    let mut progress = Progress::new(cfg.progress, Some(n));
    let counts = last_pass::ask(plan, &full, &scout, |r| {
        manifest.count(&r);
        progress.tick(&r);
        out.push(r)
    })
    .await;
    progress.finish();
    manifest.last_pass = Some(LastPassCounts {
        not_asked,
        ..counts?
    });
    Ok(())
}

/// Run a survey into `cfg.out`. Results are journaled as each name finishes; at the end the
/// journal becomes `results.parquet` and the manifest says `complete`.
pub async fn survey(cfg: &SurveyConfig) -> Result<Manifest, SurveyError> {
    let resumed = match cfg.resume {
        true => match resume(&cfg.out)? {
            Resumed::Complete(m) => return Ok(m),
            Resumed::Partial(begun) => Some(begun),
        },
        false => None,
    };
    let mut reader = ZoneReader::open(&cfg.input, cfg.format)?;
    let extra_columns = reader.extra_columns().to_vec();
    let begun = match resumed {
        Some(begun) => begun,
        None => Begun {
            run: RunDir::create(&cfg.out)?,
            manifest: new_manifest(cfg),
            done: KeySet::default(),
            held: Held::default(),
            operators: Operators::new(&extra_columns),
        },
    };
    let Begun {
        run,
        mut manifest,
        done,
        mut held,
        mut operators,
    } = begun;
    manifest.extra_columns = extra_columns.clone();
    let client = DnsClient::new(&cfg.resolvers, &cfg.client).await?;
    let crawler = Crawler::new(client, cfg.crawl.clone())
        .with_operators(crate::record::ns_column(&extra_columns));
    let crawler = Arc::new(crawler);
    run.write_manifest(&manifest)?;
    let rejects_path = run.file(REJECTS_FILE);
    let mut rejects = RejectWriter::create(&rejects_path).map_err(|source| RunError::Io {
        path: rejects_path.clone(),
        source,
    })?;
    // Counting reads and classifies the whole list once more: only for a progress display.
    let total = cfg
        .progress
        .then(|| count_lines(&cfg.input, cfg.format))
        .flatten();
    let mut progress = Progress::new(
        cfg.progress,
        total.map(|n| {
            // A shard holds about 1/N of the list.
            (n / cfg.shard.map_or(1, |s| u64::from(s.count))).saturating_sub(done.len() as u64)
        }),
    );

    // The entry iterator records the first read error and the first rejects-file error here
    // and stops; both end the run after the finished names are journaled.
    let failure: RefCell<Option<SurveyError>> = RefCell::new(None);
    let entries = std::iter::from_fn(|| {
        loop {
            if failure.borrow().is_some() {
                return None;
            }
            match reader.next()? {
                Ok(ZoneItem::Entry(e)) if done.contains(&name_key(&e.name)) => {}
                Ok(ZoneItem::Entry(e))
                    if cfg
                        .shard
                        .is_some_and(|s| !s.holds(&e.class.registered_domain)) => {}
                Ok(ZoneItem::Entry(e)) => return Some(e),
                Ok(ZoneItem::Reject(r)) => {
                    if let Err(source) = rejects.write(&r) {
                        *failure.borrow_mut() = Some(
                            RunError::Io {
                                path: rejects_path.clone(),
                                source,
                            }
                            .into(),
                        );
                    }
                }
                Err(e) => *failure.borrow_mut() = Some(e.into()),
            }
        }
    });
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
        .run(entries, |r| {
            manifest.count(&r);
            progress.tick(&r);
            operators.note(&r);
            // Held out of results.parquet: the last pass writes the name's row.
            match last_pass.is_some() && held.take(&r) {
                true => out.push_held(r),
                false => out.push(r),
            }
        })
        .await;
    progress.finish();
    let mut ended = match crawled {
        Err(e) => Err(e.into()),
        Ok(()) => failure.into_inner().map_or(Ok(()), Err),
    };
    if let (Ok(()), Some(pass)) = (&ended, last_pass) {
        ended = last(
            cfg,
            &crawler,
            pass,
            held,
            &mut operators,
            &mut manifest,
            &mut out,
        )
        .await;
    }
    out.close(ended)?;
    manifest.zone = reader.stats();
    rejects.finish().map_err(|source| RunError::Io {
        path: rejects_path,
        source,
    })?;
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
