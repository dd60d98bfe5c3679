//! The run folder: `manifest.json`, the append-only `journal.bin` and `results.parquet`, both
//! written as names finish by one writer, and `rejects.csv`; shards of a run and their merge.

mod journal;
mod merge;
mod results;
pub mod schema;
mod shard;
mod writer;

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::policy::judgement::JUDGEMENT_RULES;
use crate::record::{CrawlOptions, NameResult};
use crate::transport::TransportCost;
use crate::zone::{ZoneEncoding, ZoneFormat, ZoneStats};

pub use journal::{JOURNAL_FILE, JOURNAL_FORMAT, JournalReader, JournalWriter};
pub use merge::{MergeError, merge};
pub use results::{
    RESULTS_FILE, RESULTS_TMP_FILE, Results, ResultsError, ResultsFile, latest_rows,
    retried_lookups, write_results,
};
pub use shard::{Shard, ShardError, ShardSpec};
pub use writer::RunWriter;

pub const MANIFEST_FILE: &str = "manifest.json";
pub const REJECTS_FILE: &str = "rejects.csv";
pub const TABLES_DIR: &str = "tables";

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "{path} is not a run folder (no manifest.json): give the folder `mailcensus survey --out` wrote"
    )]
    NotARun { path: PathBuf },
    #[error("{path}: bad manifest: {source}")]
    BadManifest {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "{path} already holds a run (journal.bin exists): choose a new --out, or remove the folder to start over"
    )]
    Exists { path: PathBuf },
    #[error(
        "{path} is an unfinished run (started {started}, never finished): its figures are \
         not a survey's. Finish it with `mailcensus survey --resume {path}`"
    )]
    Unfinished { path: PathBuf, started: String },
    #[error("cannot write results.parquet: {0}")]
    Parquet(#[from] polars::error::PolarsError),
    #[error(
        "{path}: frame {frame} at byte {offset} is damaged ({reason}). Keep the frames before it \
         (`truncate -s {offset} journal.bin`) and `mailcensus survey --resume` crawls the rest \
         again; or survey again into a new folder"
    )]
    CorruptJournal {
        path: PathBuf,
        frame: u64,
        offset: u64,
        reason: String,
    },
    #[error(
        "{path} was written by another version of mailcensus ({found}; this one reads journal \
         format {JOURNAL_FORMAT}): resume, retry or merge the run with the version that started it \
         (its manifest names it), or survey again; `rejudge` reads journals of this version's \
         format only"
    )]
    JournalFormat { path: PathBuf, found: String },
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> RunError + '_ {
    move |source| RunError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Running,
    Complete,
}

/// What was run, how, and what came of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub tool: String,
    pub version: String,
    pub command: Vec<String>,
    pub input: String,
    pub format: ZoneFormat,
    /// The encoding the list was read in as given (`auto` where found from the list).
    #[serde(default = "auto_encoding")]
    pub encoding: ZoneEncoding,
    pub resolvers: Vec<String>,
    pub timeout_ms: u64,
    pub options: CrawlOptions,
    pub started: String,
    /// The month the run describes (`survey --period`); a run from before periods were kept
    /// reads as the month it started in ([`Manifest::period`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    pub finished: Option<String>,
    pub status: RunStatus,
    pub zone: ZoneStats,
    /// Names of the input's carried-through columns, in order.
    pub extra_columns: Vec<String>,
    pub names: u64,
    /// Names with at least one lookup that failed after retries, those that followed the
    /// answers included (the SPF include tree's, DMARC discovery's).
    pub unresolved_names: u64,
    /// Of them, per measure (`spf_tree`, `dmarc_discovery`), names whose lookups of their own
    /// settled but one that followed failed: their record is known, its verdict is not.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub followed_unresolved: BTreeMap<String, u64>,
    /// Names crawled again by `--retry-unresolved`, over every retry of the run (their
    /// journal rows are superseded): never goes down.
    #[serde(default)]
    pub retried: u64,
    /// Per lookup (`mx`, `txt`, `dmarc`, and each opt-in check's and report destination's
    /// where they ran), how many ended in each outcome.
    pub outcomes: BTreeMap<String, BTreeMap<String, u64>>,
    /// The names' lookups (all but the report destinations') that took more than one attempt,
    /// over every pass the run made (the main pass, the last pass, each `--retry-unresolved`,
    /// rows since superseded included): the run's work, so it never goes down. A datagram
    /// lost, an answer later than the retransmission timeout, or a failure answered: many say
    /// the server is asked faster than it answers.
    #[serde(default)]
    pub retried_lookups: u64,
    /// The part of the zone list this run surveyed (`survey --shard`); none for all of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// The Public Suffix List file the names were classified with (`--psl`); none: the list
    /// compiled in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psl: Option<PathBuf>,
    /// What the survey's own last pass did; none where it had nothing to ask again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_pass: Option<LastPassCounts>,
    /// Each resume or retry that ran with other options than the run's own: when, and the
    /// options (`2026-12-07T06:20:00Z --resume: --concurrency 64`). `options` stays the
    /// run's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub option_changes: Vec<String>,
    /// The shard runs a `merge` joined into this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
    /// The judgement rules (`JUDGEMENT_RULES`) its results were judged by: 1 for a run from
    /// before the number was kept. `mailcensus rejudge` brings it to this version's.
    #[serde(default = "first_rules")]
    pub judged_by: u32,
    /// What the checks that connect cost, over every pass (resumed, retried and merged runs
    /// add up): connections and bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<TransportCost>,
}

/// The month a run describes (`YYYY-MM`), as the ministry labels its monthly figures: runs are
/// ordered by it, and a survey of October made after November's is still October's.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Period(String);

impl Period {
    /// The month of an RFC 3339 time (`2026-11-03T...` is `2026-11`).
    pub fn of_time(time: &str) -> Option<Period> {
        time.get(..7)?.parse().ok()
    }
}

impl std::str::FromStr for Period {
    type Err = String;

    fn from_str(s: &str) -> Result<Period, String> {
        let ok = s.len() == 7
            && s.as_bytes()[4] == b'-'
            && s[..4].bytes().all(|b| b.is_ascii_digit())
            && s[5..].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m));
        match ok {
            true => Ok(Period(s.to_string())),
            false => Err(format!(
                "{s:?} is no period: give the month as YYYY-MM (2026-11)"
            )),
        }
    }
}

impl TryFrom<String> for Period {
    type Error = String;
    fn try_from(s: String) -> Result<Period, String> {
        s.parse()
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.0
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn auto_encoding() -> ZoneEncoding {
    ZoneEncoding::Auto
}

fn first_rules() -> u32 {
    1
}

/// A warning for runs judged by rules other than this version's (`None` where all are
/// judged by them): their figures may differ by the rules, not by the DNS.
pub fn judgement_warning<'a>(
    runs: impl IntoIterator<Item = (&'a Path, &'a Manifest)>,
) -> Option<String> {
    let old: Vec<String> = runs
        .into_iter()
        .filter(|(_, m)| m.judged_by != JUDGEMENT_RULES)
        .map(|(p, m)| format!("{} (rules {})", p.display(), m.judged_by))
        .collect();
    (!old.is_empty()).then(|| {
        format!(
            "warning: judged by older rules than this mailcensus's ({JUDGEMENT_RULES}): {}. A change between runs may be the rules', not the DNS's: judge each again with `mailcensus rejudge DIR`",
            old.join(", ")
        )
    })
}

/// Recount `manifest` from the journal's latest rows (each judged as it is read) and rebuild
/// `results.parquet` from the same rows, in one read of the journal. Returns the rows written.
pub fn recount_and_write(run: &RunDir, manifest: &mut Manifest) -> Result<u64, RunError> {
    manifest.reset_counts();
    let mut w = RunWriter::new(
        None,
        Some(ResultsFile::create(run, &manifest.extra_columns)?),
    );
    for r in latest_rows(run)? {
        let r = r?;
        manifest.count(&r);
        w.push(r)?;
    }
    w.finish()
}

/// Judge a finished run's journal again with this version's rules: `results.parquet` and
/// the manifest's counts rebuilt from what the DNS said, the manifest marked with the rules.
/// What the journal does not hold (the SPF include tree's lookups) stays as the crawl saw it.
pub fn rejudge(path: &Path) -> Result<Manifest, RunError> {
    let (run, mut manifest) = RunDir::open_finished(path)?;
    recount_and_write(&run, &mut manifest)?;
    manifest.judged_by = JUDGEMENT_RULES;
    run.write_manifest(&manifest)?;
    Ok(manifest)
}

impl Manifest {
    /// The month the run describes: the one given, else the month it started in (`0000-01`
    /// where the start time cannot be read).
    pub fn period(&self) -> Period {
        self.period
            .clone()
            .or_else(|| Period::of_time(&self.started))
            .unwrap_or_else(|| Period("0000-01".to_string()))
    }

    /// Forget the counts of the run's rows (before recounting them from the journal); the
    /// work counters (`retried`, `retried_lookups`) stay.
    pub fn reset_counts(&mut self) {
        self.names = 0;
        self.unresolved_names = 0;
        self.followed_unresolved.clear();
        self.outcomes.clear();
    }

    /// Add a pass's connections and bytes.
    pub fn add_transport(&mut self, cost: Option<TransportCost>) {
        if let Some(c) = cost {
            let t = self.transport.get_or_insert_with(TransportCost::default);
            *t = t.plus(c);
        }
    }

    /// Count `r` as one of the run's rows.
    pub fn count(&mut self, r: &NameResult) {
        self.tally(r, 1);
    }

    /// Count `r`, a row just crawled: as one of the run's rows, and its work.
    pub fn count_crawled(&mut self, r: &NameResult) {
        self.count(r);
        self.retried_lookups += r.retried_lookups();
    }

    /// Take back what [`Manifest::count`] counted of `r`: a row the last pass replaces.
    pub fn uncount(&mut self, r: &NameResult) {
        self.tally(r, -1);
    }

    fn tally(&mut self, r: &NameResult, sign: i64) {
        let add = |n: &mut u64, k: u64| *n = n.wrapping_add_signed(sign * k as i64);
        add(&mut self.names, 1);
        add(&mut self.unresolved_names, u64::from(!r.is_resolved()));
        for measure in r.followed_failures() {
            let n = counter(&mut self.followed_unresolved, measure);
            add(n, 1);
            if *n == 0 {
                self.followed_unresolved.remove(measure);
            }
        }
        for (lookup, outcome) in r.lookups() {
            add(
                counter(counter(&mut self.outcomes, lookup), outcome.code()),
                1,
            );
        }
    }
}

/// The survey's last pass: the names that ended unresolved, asked again at the end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LastPassCounts {
    /// Names asked again.
    pub names: u64,
    /// Of them, names whose every lookup then settled.
    pub recovered: u64,
    /// Unresolved names not asked again: their operator resolved none of its names in the
    /// main pass (dead or lame), and its scouts, asked again, resolved none either.
    pub broken: u64,
    /// Unresolved names left to `--retry-unresolved`: past the most the pass holds.
    pub not_asked: u64,
}

/// `map[key]`, made on first use: the key is copied once, not on every count.
fn counter<'m, V: Default>(map: &'m mut BTreeMap<String, V>, key: &str) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.to_string(), V::default());
    }
    map.get_mut(key).expect("inserted above")
}

/// A finished run opened for reading, placed among the others given with it.
#[derive(Debug, Clone)]
pub struct OpenedRun {
    /// The folder's name, or its whole path where two folders share a name.
    pub label: String,
    /// 1 for the run of the earliest period (of two of one period, the one that started
    /// first).
    pub seq: usize,
    pub manifest: Manifest,
    pub dir: RunDir,
}

impl OpenedRun {
    /// The day the run started (`YYYY-MM-DD`, from the manifest's RFC 3339 start time).
    pub fn date(&self) -> &str {
        self.manifest
            .started
            .get(..10)
            .unwrap_or(&self.manifest.started)
    }
}

/// Open several run folders, oldest first: by period, then by start time.
pub fn open_runs(paths: &[PathBuf]) -> Result<Vec<OpenedRun>, RunError> {
    let mut runs = Vec::new();
    for path in paths {
        let (dir, manifest) = RunDir::open_finished(path)?;
        runs.push((manifest, dir));
    }
    runs.sort_by_key(|(m, _)| (m.period(), m.started.clone()));
    let name = |d: &RunDir| {
        d.path.file_name().map_or_else(
            || d.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    };
    let names: Vec<String> = runs.iter().map(|(_, d)| name(d)).collect();
    let unique = names.iter().collect::<std::collections::HashSet<_>>().len() == names.len();
    Ok(runs
        .into_iter()
        .zip(names)
        .enumerate()
        .map(|(i, ((manifest, dir), n))| OpenedRun {
            label: if unique {
                n
            } else {
                dir.path.display().to_string()
            },
            seq: i + 1,
            manifest,
            dir,
        })
        .collect())
}

/// A run folder on disk.
#[derive(Debug, Clone)]
pub struct RunDir {
    pub path: PathBuf,
}

impl RunDir {
    /// A new run folder; an existing folder is fine if it holds no run yet.
    pub fn create(path: &Path) -> Result<RunDir, RunError> {
        fs::create_dir_all(path).map_err(io_err(path))?;
        if path.join(JOURNAL_FILE).exists() {
            return Err(RunError::Exists {
                path: path.to_path_buf(),
            });
        }
        Ok(RunDir {
            path: path.to_path_buf(),
        })
    }

    pub fn open(path: &Path) -> Result<RunDir, RunError> {
        if !path.join(MANIFEST_FILE).is_file() {
            return Err(RunError::NotARun {
                path: path.to_path_buf(),
            });
        }
        Ok(RunDir {
            path: path.to_path_buf(),
        })
    }

    /// A run folder to read results from: one whose survey finished. An unfinished run (killed,
    /// or still running) is an error that names `--resume`, never tables that look final.
    pub fn open_finished(path: &Path) -> Result<(RunDir, Manifest), RunError> {
        let dir = RunDir::open(path)?;
        let manifest = dir.read_manifest()?;
        if !dir.finished(&manifest) {
            return Err(RunError::Unfinished {
                path: path.to_path_buf(),
                started: manifest.started,
            });
        }
        Ok((dir, manifest))
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Whether the run finished: its manifest says so and its results file is there.
    pub fn is_complete(&self) -> Result<bool, RunError> {
        Ok(self.finished(&self.read_manifest()?))
    }

    fn finished(&self, manifest: &Manifest) -> bool {
        manifest.status == RunStatus::Complete && self.results().is_file()
    }

    pub fn results(&self) -> PathBuf {
        self.file(RESULTS_FILE)
    }

    pub fn read_manifest(&self) -> Result<Manifest, RunError> {
        let p = self.file(MANIFEST_FILE);
        let text = fs::read_to_string(&p).map_err(io_err(&p))?;
        serde_json::from_str(&text).map_err(|source| RunError::BadManifest { path: p, source })
    }

    /// Write the manifest atomically (temp file, fsync, rename): a crash leaves the old one.
    pub fn write_manifest(&self, m: &Manifest) -> Result<(), RunError> {
        let p = self.file(MANIFEST_FILE);
        let tmp = self.file("manifest.json.tmp");
        let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
        serde_json::to_writer_pretty(&mut f, m).map_err(|e| RunError::Io {
            path: tmp.clone(),
            source: io::Error::other(e),
        })?;
        f.write_all(b"\n").map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
        fs::rename(&tmp, &p).map_err(io_err(&p))
    }
}
