//! Merging shard runs into one run folder: the shards are checked to be the same survey (same
//! input, options and split) and to cover the input exactly once, then their journals become
//! one journal and one `results.parquet`, as one unsharded run would have written them.

use std::path::{Path, PathBuf};

use super::{
    JOURNAL_FILE, JournalWriter, MANIFEST_FILE, Manifest, REJECTS_FILE, RESULTS_FILE,
    RESULTS_TMP_FILE, ResultsFile, RunDir, RunError, RunStatus, RunWriter, Shard, io_err,
    latest_rows,
};
use crate::zone::{KeySet, name_key};

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(
        "{0} is not a shard (its manifest has no shard): give the folders that `survey --shard K/N` wrote"
    )]
    NotAShard(PathBuf),
    #[error("{a} is shard {sa} but {b} is shard {sb}: the shards of one merge come from one split")]
    Split {
        a: PathBuf,
        sa: Shard,
        b: PathBuf,
        sb: Shard,
    },
    #[error("shard {shard} is given twice: {a} and {b}")]
    Twice {
        shard: Shard,
        a: PathBuf,
        b: PathBuf,
    },
    #[error("shards {missing} of {count} are missing: merge all {count} shards")]
    Missing { missing: String, count: u32 },
    #[error("{path} is not from the same survey as {first}: its {what} differs")]
    Foreign {
        path: PathBuf,
        first: PathBuf,
        what: &'static str,
    },
    #[error("{path} holds {name}, which belongs to shard {want}, not {have}")]
    Misplaced {
        path: PathBuf,
        name: String,
        want: u32,
        have: Shard,
    },
    #[error("{name} is in two shards (the second: {path})")]
    Duplicate { name: String, path: PathBuf },
    #[error("the shards hold {have} names but the input kept {want}")]
    Count { have: u64, want: u64 },
}

struct Part {
    shard: Shard,
    dir: RunDir,
    manifest: Manifest,
}

/// Open and check the shards: complete, one split, each shard once, all present, one survey.
fn parts(paths: &[PathBuf]) -> Result<Vec<Part>, MergeError> {
    let mut parts = Vec::new();
    for p in paths {
        let (dir, manifest) = RunDir::open_finished(p)?;
        let shard = manifest
            .shard
            .ok_or_else(|| MergeError::NotAShard(p.clone()))?;
        parts.push(Part {
            shard,
            dir,
            manifest,
        });
    }
    parts.sort_by_key(|p| p.shard.index);
    let Some(first) = parts.first() else {
        return Err(MergeError::Missing {
            missing: "all".to_string(),
            count: 0,
        });
    };
    for p in &parts {
        if p.shard.count != first.shard.count {
            return Err(MergeError::Split {
                a: first.dir.path.clone(),
                sa: first.shard,
                b: p.dir.path.clone(),
                sb: p.shard,
            });
        }
    }
    for w in parts.windows(2) {
        if w[0].shard == w[1].shard {
            return Err(MergeError::Twice {
                shard: w[0].shard,
                a: w[0].dir.path.clone(),
                b: w[1].dir.path.clone(),
            });
        }
    }
    let count = first.shard.count;
    let missing: Vec<String> = (1..=count)
        .filter(|k| !parts.iter().any(|p| p.shard.index == *k))
        .map(|k| k.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(MergeError::Missing {
            missing: missing.join(", "),
            count,
        });
    }
    let (f, json) = (&first.manifest, |o| {
        serde_json::to_string(o).unwrap_or_default()
    });
    for p in &parts[1..] {
        let m = &p.manifest;
        let differs = [
            ("input", m.input != f.input),
            ("input format", m.format != f.format),
            (
                "zone-list count (read, kept, duplicates, rejected)",
                m.zone != f.zone,
            ),
            ("input columns", m.extra_columns != f.extra_columns),
            ("crawl options", json(&m.options) != json(&f.options)),
            ("timeout", m.timeout_ms != f.timeout_ms),
            ("Public Suffix List", m.psl != f.psl),
            ("mailcensus version", m.version != f.version),
        ];
        if let Some((what, _)) = differs.into_iter().find(|(_, d)| *d) {
            return Err(MergeError::Foreign {
                path: p.dir.path.clone(),
                first: first.dir.path.clone(),
                what,
            });
        }
    }
    Ok(parts)
}

/// Merge the shard runs at `paths` into a new run folder `out`. On an error found while
/// joining, the files written to `out` are removed again.
pub fn merge(paths: &[PathBuf], out: &Path, command: Vec<String>) -> Result<Manifest, MergeError> {
    let parts = parts(paths)?;
    let run = RunDir::create(out)?;
    let joined = join(&parts, &run, command);
    if joined.is_err() {
        for f in [
            JOURNAL_FILE,
            MANIFEST_FILE,
            REJECTS_FILE,
            RESULTS_FILE,
            RESULTS_TMP_FILE,
        ] {
            let _ = std::fs::remove_file(run.file(f));
        }
    }
    joined
}

fn join(parts: &[Part], run: &RunDir, command: Vec<String>) -> Result<Manifest, MergeError> {
    let first = &parts[0].manifest;
    let mut manifest = first.clone();
    manifest.shard = None;
    manifest.command = command;
    manifest.merged_from = parts
        .iter()
        .map(|p| p.dir.path.display().to_string())
        .collect();
    manifest.reset_counts();
    manifest.retried = parts.iter().map(|p| p.manifest.retried).sum();
    manifest.retried_lookups = parts.iter().map(|p| p.manifest.retried_lookups).sum();
    manifest.transport = None;
    for p in parts {
        manifest.add_transport(p.manifest.transport);
    }
    manifest.started = parts
        .iter()
        .map(|p| p.manifest.started.clone())
        .min()
        .unwrap_or_default();
    manifest.finished = parts
        .iter()
        .filter_map(|p| p.manifest.finished.clone())
        .max();
    manifest.resolvers = parts
        .iter()
        .flat_map(|p| p.manifest.resolvers.iter().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    manifest.status = RunStatus::Running;
    run.write_manifest(&manifest)?;

    let mut out = RunWriter::new(
        Some(JournalWriter::open(run)?),
        Some(ResultsFile::create(run, &first.extra_columns)?),
    );
    let mut seen = KeySet::default();
    for p in parts {
        for r in latest_rows(&p.dir)? {
            let r = r?;
            if !p.shard.holds(&r.registered_domain) {
                return Err(MergeError::Misplaced {
                    path: p.dir.path.clone(),
                    name: r.name,
                    want: Shard::index_of(&r.registered_domain, p.shard.count),
                    have: p.shard,
                });
            }
            if !seen.insert(name_key(&r.name)) {
                return Err(MergeError::Duplicate {
                    name: r.name,
                    path: p.dir.path.clone(),
                });
            }
            manifest.count(&r);
            out.push(r)?;
        }
    }
    out.finish()?;
    if manifest.names != first.zone.kept {
        return Err(MergeError::Count {
            have: manifest.names,
            want: first.zone.kept,
        });
    }
    // Every shard read the whole list, so each wrote the same rejects.
    let (from, to) = (parts[0].dir.file(REJECTS_FILE), run.file(REJECTS_FILE));
    std::fs::copy(&from, &to).map_err(io_err(&from))?;
    manifest.status = RunStatus::Complete;
    run.write_manifest(&manifest)?;
    Ok(manifest)
}
