//! The run folder: `manifest.json`, the append-only `journal.jsonl` the crawl writes as names
//! finish, `results.parquet` built from the journal in bounded batches, and `rejects.csv`;
//! shards of a run and their merge.

mod merge;
mod results;
pub mod schema;
mod shard;

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::record::{CrawlOptions, NameResult};
use crate::zone::{ZoneFormat, ZoneStats};

pub use merge::{MergeError, merge};
pub use results::{RESULTS_FILE, ResultsWriter, latest_rows, write_results};
pub use shard::{Shard, ShardError, ShardSpec};

pub const MANIFEST_FILE: &str = "manifest.json";
pub const JOURNAL_FILE: &str = "journal.jsonl";
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
        "{path} already holds a run (journal.jsonl exists): choose a new --out, or remove the folder to start over"
    )]
    Exists { path: PathBuf },
    #[error("cannot write results.parquet: {0}")]
    Parquet(#[from] polars::error::PolarsError),
    #[error(
        "{path}: line {line} is not a journal record ({reason}). The journal is damaged there: \
         keep the lines before it (`head -n {keep} journal.jsonl > j && mv j journal.jsonl`) and \
         `mailcensus survey --resume` crawls the rest again; or survey again into a new folder"
    )]
    CorruptJournal {
        path: PathBuf,
        line: u64,
        keep: u64,
        reason: String,
    },
    #[error(
        "{path} was written by another version of mailcensus ({found}; this one reads journal \
         format {JOURNAL_FORMAT}): resume, retry or merge the run with the version that started it \
         (its manifest names it), or survey again"
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
    pub resolvers: Vec<String>,
    pub timeout_ms: u64,
    pub options: CrawlOptions,
    pub started: String,
    pub finished: Option<String>,
    pub status: RunStatus,
    pub zone: ZoneStats,
    /// Names of the input's carried-through columns, in order.
    pub extra_columns: Vec<String>,
    pub names: u64,
    /// Names with at least one lookup that failed after retries.
    pub unresolved_names: u64,
    /// Names crawled again by `--retry-unresolved` (their journal rows are superseded).
    #[serde(default)]
    pub retried: u64,
    /// Per lookup (`mx`, `txt`, `dmarc`), how many ended in each outcome.
    pub outcomes: BTreeMap<String, BTreeMap<String, u64>>,
    /// The part of the zone list this run surveyed (`survey --shard`); none for all of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// The Public Suffix List file the names were classified with (`--psl`); none: the list
    /// compiled in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psl: Option<PathBuf>,
    /// The shard runs a `merge` joined into this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
}

impl Manifest {
    /// Forget the per-name counts (before recounting them from the journal on resume).
    pub fn reset_counts(&mut self) {
        self.names = 0;
        self.unresolved_names = 0;
        self.outcomes.clear();
    }

    pub fn count(&mut self, r: &NameResult) {
        self.names += 1;
        if !r.is_resolved() {
            self.unresolved_names += 1;
        }
        for (lookup, outcome) in r.lookups() {
            *self
                .outcomes
                .entry(lookup.to_string())
                .or_default()
                .entry(outcome.code().to_string())
                .or_default() += 1;
        }
    }
}

/// A finished run opened for reading, placed among the others given with it.
#[derive(Debug, Clone)]
pub struct OpenedRun {
    /// The folder's name, or its whole path where two folders share a name.
    pub label: String,
    /// 1 for the run that started first.
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

/// Open several run folders, oldest first (by the start time in their manifests).
pub fn open_runs(paths: &[PathBuf]) -> Result<Vec<OpenedRun>, RunError> {
    let mut runs = Vec::new();
    for path in paths {
        let dir = RunDir::open(path)?;
        let manifest = dir.read_manifest()?;
        runs.push((manifest, dir));
    }
    runs.sort_by(|a, b| a.0.started.cmp(&b.0.started));
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

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
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

/// The journal's format; its first line says which it is.
pub const JOURNAL_FORMAT: u32 = 2;

/// The first line of a journal: its format.
#[derive(Serialize, Deserialize)]
struct JournalHeader {
    mailcensus_journal: u32,
}

/// Appends results to `journal.jsonl`, one JSON object a line after a header line,
/// fsync'd every `sync_every` lines so a crash loses at most the last unsynced batch (which a
/// resume crawls again).
pub struct JournalWriter {
    path: PathBuf,
    out: BufWriter<File>,
    since_sync: usize,
    sync_every: usize,
}

impl JournalWriter {
    /// Open for appending. A last line cut short by a crash is cut off first, so that the
    /// next record starts on a line of its own; a new journal gets its header.
    pub fn open(run: &RunDir) -> Result<JournalWriter, RunError> {
        let path = run.file(JOURNAL_FILE);
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(io_err(&path))?;
        truncate_torn_tail(&file).map_err(io_err(&path))?;
        let empty = file.metadata().map_err(io_err(&path))?.len() == 0;
        if !empty {
            // Appending to another format's journal would corrupt it.
            JournalReader::open(run)?;
        }
        let mut w = JournalWriter {
            path,
            out: BufWriter::with_capacity(1 << 20, file),
            since_sync: 0,
            sync_every: 4096,
        };
        if empty {
            let header = JournalHeader {
                mailcensus_journal: JOURNAL_FORMAT,
            };
            w.line(&header)?;
        }
        Ok(w)
    }

    fn line(&mut self, v: &impl Serialize) -> Result<(), RunError> {
        serde_json::to_writer(&mut self.out, v).map_err(|e| RunError::Io {
            path: self.path.clone(),
            source: io::Error::other(e),
        })?;
        self.out.write_all(b"\n").map_err(io_err(&self.path))
    }

    pub fn append(&mut self, r: &NameResult) -> Result<(), RunError> {
        self.line(r)?;
        self.since_sync += 1;
        if self.since_sync >= self.sync_every {
            self.sync()?;
        }
        Ok(())
    }

    pub fn sync(&mut self) -> Result<(), RunError> {
        self.out.flush().map_err(io_err(&self.path))?;
        self.out.get_ref().sync_data().map_err(io_err(&self.path))?;
        self.since_sync = 0;
        Ok(())
    }
}

/// Cut the file after its last newline.
fn truncate_torn_tail(file: &File) -> io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let len = file.metadata()?.len();
    let mut end = len;
    let mut buf = vec![0u8; 1 << 16];
    let mut f = file;
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let chunk = &mut buf[..(end - start) as usize];
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(chunk)?;
        if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
            let keep = start + i as u64 + 1;
            if keep < len {
                file.set_len(keep)?;
            }
            return Ok(());
        }
        end = start;
    }
    file.set_len(0)
}

/// Reads the journal back. Only a last line cut short by a crash (no newline after it) is
/// skipped (the next append cuts it off); any other line that is not a record is an error
/// naming it.
pub struct JournalReader {
    input: BufReader<File>,
    path: PathBuf,
    line: u64,
    buf: String,
}

impl JournalReader {
    pub fn open(run: &RunDir) -> Result<JournalReader, RunError> {
        let path = run.file(JOURNAL_FILE);
        let f = File::open(&path).map_err(io_err(&path))?;
        let mut r = JournalReader {
            input: BufReader::with_capacity(1 << 20, f),
            path,
            line: 0,
            buf: String::new(),
        };
        let found = match r.next_line() {
            Ok(None) => return Ok(r),
            Ok(Some(true)) => serde_json::from_str::<JournalHeader>(&r.buf)
                .map(|h| format!("journal format {}", h.mailcensus_journal))
                .unwrap_or_else(|_| "a journal without a format header".to_string()),
            Ok(Some(false)) => "a journal cut short".to_string(),
            Err(e) => return Err(e),
        };
        if found != format!("journal format {JOURNAL_FORMAT}") {
            return Err(RunError::JournalFormat {
                path: r.path,
                found,
            });
        }
        Ok(r)
    }

    /// The next line into `buf`: `Some(true)` whole, `Some(false)` without its newline (only
    /// the last line can be), `None` at the end.
    fn next_line(&mut self) -> Result<Option<bool>, RunError> {
        self.buf.clear();
        let n = self
            .input
            .read_line(&mut self.buf)
            .map_err(io_err(&self.path))?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        let whole = self.buf.ends_with('\n');
        Ok(Some(whole))
    }
}

impl Iterator for JournalReader {
    type Item = Result<NameResult, RunError>;
    fn next(&mut self) -> Option<Self::Item> {
        let whole = match self.next_line() {
            Ok(w) => w?,
            Err(e) => return Some(Err(e)),
        };
        match serde_json::from_str(&self.buf) {
            Ok(r) => Some(Ok(r)),
            Err(_) if !whole => None,
            Err(e) => Some(Err(RunError::CorruptJournal {
                path: self.path.clone(),
                line: self.line,
                keep: self.line - 1,
                reason: e.to_string(),
            })),
        }
    }
}
