//! `results.parquet`: one typed row per name, its columns as [`schema`](super::schema)
//! declares them, built from the journal's records in bounded batches.

use std::fs::File;
use std::io::BufWriter;

use polars::prelude::*;

use super::schema::{self, Column as SchemaColumn, Fill};
use super::{JournalReader, RunDir, RunError, io_err};
use crate::record::NameResult;
use crate::zone::{KeyMap, name_key};

pub const RESULTS_FILE: &str = "results.parquet";
const BATCH: usize = 16_384;

fn text_col<S: AsRef<str>>(name: &str, v: Vec<Option<S>>) -> Column {
    let v: Vec<Option<&str>> = v.iter().map(|s| s.as_ref().map(AsRef::as_ref)).collect();
    Series::new(name.into(), v).into()
}

fn list_col<S: AsRef<str>>(name: &str, v: impl ExactSizeIterator<Item = Vec<S>>) -> Column {
    let mut b = ListStringChunkedBuilder::new(name.into(), v.len(), v.len() * 2);
    for xs in v {
        b.append_values_iter(xs.iter().map(AsRef::as_ref));
    }
    b.finish().into_series().into()
}

/// One schema column of a batch.
fn fill(c: &SchemaColumn, rows: &[NameResult]) -> Column {
    let name = c.name;
    match c.fill {
        Fill::Text(f) => text_col(name, rows.iter().map(f).collect()),
        Fill::Made(f) => text_col(name, rows.iter().map(f).collect()),
        Fill::Code(_, f) => text_col(name, rows.iter().map(f).collect()),
        Fill::Flag(f) => Series::new(name.into(), rows.iter().map(f).collect::<Vec<_>>()).into(),
        Fill::Count(f) => Series::new(name.into(), rows.iter().map(f).collect::<Vec<_>>()).into(),
        Fill::Line(f) => Series::new(name.into(), rows.iter().map(f).collect::<Vec<_>>()).into(),
        Fill::List(f) => list_col(name, rows.iter().map(f)),
        Fill::CodeList(_, f) => list_col(name, rows.iter().map(f)),
    }
}

/// One batch of results as a DataFrame: the zone columns, the input's carried-through
/// columns (renamed `input_<name>` where they clash with ours), then the rest.
pub fn batch_frame(rows: &[NameResult], extra_columns: &[String]) -> PolarsResult<DataFrame> {
    let mut cols: Vec<Column> = schema::ZONE_COLUMNS.iter().map(|c| fill(c, rows)).collect();
    for (i, name) in extra_columns.iter().enumerate() {
        let col = match schema::is_reserved(name) {
            true => format!("input_{name}"),
            false => name.clone(),
        };
        cols.push(text_col(
            &col,
            rows.iter().map(|r| r.extra.get(i)).collect(),
        ));
    }
    cols.extend(schema::RESULT_COLUMNS.iter().map(|c| fill(c, rows)));
    DataFrame::new(rows.len(), cols)
}

/// The journal's rows, each name's last one only: a retry supersedes the earlier row. Two
/// passes; memory is one 128-bit key and index per name.
pub fn latest_rows(
    run: &RunDir,
) -> Result<impl Iterator<Item = Result<NameResult, RunError>>, RunError> {
    let mut last = KeyMap::default();
    for (i, r) in JournalReader::open(run)?.enumerate() {
        last.insert(name_key(&r?.name), i);
    }
    Ok(JournalReader::open(run)?
        .enumerate()
        .filter_map(move |(i, r)| match r {
            Ok(r) => (last.get(&name_key(&r.name)) == Some(&i)).then_some(Ok(r)),
            Err(e) => Some(Err(e)),
        }))
}

/// Build `results.parquet` from the journal; with `superseded`, only each name's last row.
/// Returns the rows written.
pub fn write_results(
    run: &RunDir,
    extra_columns: &[String],
    superseded: bool,
) -> Result<u64, RunError> {
    let journal: Box<dyn Iterator<Item = Result<NameResult, RunError>>> = if superseded {
        Box::new(latest_rows(run)?)
    } else {
        Box::new(JournalReader::open(run)?)
    };
    let mut w = ResultsWriter::create(run, extra_columns)?;
    for r in journal {
        w.push(r?)?;
    }
    w.finish()
}

/// Writes `results.parquet` in `BATCH`-row groups on a thread of its own, so that a survey
/// builds and compresses its frames while its lookups run instead of reading the journal back
/// after them. The file appears (renamed from a temporary one) only when finished.
pub struct ResultsWriter {
    batch: Vec<NameResult>,
    tx: Option<std::sync::mpsc::SyncSender<Vec<NameResult>>>,
    /// Written batches handed back, emptied here: a fresh batch of this size is megabytes of
    /// new pages for the kernel to zero, every batch.
    spare: std::sync::mpsc::Receiver<Vec<NameResult>>,
    thread: Option<std::thread::JoinHandle<Result<u64, RunError>>>,
    tmp: std::path::PathBuf,
    path: std::path::PathBuf,
}

impl ResultsWriter {
    pub fn create(run: &RunDir, extra_columns: &[String]) -> Result<ResultsWriter, RunError> {
        let tmp = run.file("results.parquet.tmp");
        let file = File::create(&tmp).map_err(io_err(&tmp))?;
        // One batch queued while one is written: memory stays a few batches.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<NameResult>>(1);
        let (spare_tx, spare) = std::sync::mpsc::sync_channel::<Vec<NameResult>>(2);
        let extra = extra_columns.to_vec();
        let tmp_path = tmp.clone();
        let thread = std::thread::spawn(move || -> Result<u64, RunError> {
            let mut writer = None;
            let mut rows = 0u64;
            let mut write = |batch: &[NameResult]| -> Result<(), RunError> {
                let mut df = batch_frame(batch, &extra)?;
                df.rechunk_mut();
                let w = match &mut writer {
                    Some(w) => w,
                    None => writer.insert(
                        // Buffered: the Parquet writer writes its page headers and footer
                        // a few octets at a time (a system call each, unbuffered). It
                        // flushes when it ends the file.
                        ParquetWriter::new(BufWriter::with_capacity(
                            1 << 20,
                            file.try_clone().map_err(io_err(&tmp_path))?,
                        ))
                        .with_compression(ParquetCompression::Zstd(None))
                        .batched(df.schema())?,
                    ),
                };
                w.write_batch(&df)?;
                rows += batch.len() as u64;
                Ok(())
            };
            let mut any = false;
            for batch in rx {
                write(&batch)?;
                any = true;
                // Back whole, to be emptied on the crawl's thread, which allocated its
                // strings: memory freed by another thread is slow to come back to the
                // allocator's owner, which meanwhile takes fresh pages (a tenth of the
                // crawl's CPU went to the kernel zeroing them). Full or gone: dropped here.
                let _ = spare_tx.try_send(batch);
            }
            if !any {
                // No rows: still a file with the schema.
                write(&[])?;
            }
            if let Some(w) = writer {
                w.finish()?;
            }
            file.sync_all().map_err(io_err(&tmp_path))?;
            Ok(rows)
        });
        Ok(ResultsWriter {
            batch: Vec::with_capacity(BATCH),
            tx: Some(tx),
            spare,
            thread: Some(thread),
            tmp,
            path: run.results(),
        })
    }

    pub fn push(&mut self, r: NameResult) -> Result<(), RunError> {
        self.batch.push(r);
        if self.batch.len() == BATCH {
            self.send()?;
        }
        Ok(())
    }

    fn send(&mut self) -> Result<(), RunError> {
        let mut next = self
            .spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BATCH));
        next.clear();
        let batch = std::mem::replace(&mut self.batch, next);
        let sent = self.tx.as_ref().map(|tx| tx.send(batch));
        if let Some(Err(_)) = sent {
            // The writer stopped on an error: report it now.
            return self.join().map(|_| ());
        }
        Ok(())
    }

    fn join(&mut self) -> Result<u64, RunError> {
        self.tx = None;
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => Err(RunError::Io {
                path: self.tmp.clone(),
                source: std::io::Error::other("the results writer already stopped"),
            }),
        }
    }

    /// Write what is left, wait for the writer, and put the file in place.
    pub fn finish(mut self) -> Result<u64, RunError> {
        if !self.batch.is_empty() {
            self.send()?;
        }
        let rows = self.join()?;
        std::fs::rename(&self.tmp, &self.path).map_err(io_err(&self.path))?;
        Ok(rows)
    }
}
