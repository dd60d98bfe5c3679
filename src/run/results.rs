//! `results.parquet`: one typed row per name, its columns as [`schema`](super::schema)
//! declares them, written a row group of finished names at a time.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use polars::prelude::*;

use super::schema::{self, Column as SchemaColumn, Fill};
use super::{JournalReader, RunDir, RunError, RunWriter, io_err};
use crate::record::NameResult;
use crate::zone::{KeyMap, name_key};

pub const RESULTS_FILE: &str = "results.parquet";
/// Rows a row group holds, at the least.
pub const ROW_GROUP: usize = 16_384;

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
fn fill(c: &SchemaColumn, rows: &[&NameResult]) -> Column {
    let name = c.name;
    match c.fill {
        Fill::Text(f) => text_col(name, rows.iter().copied().map(f).collect()),
        Fill::Made(f) => text_col(name, rows.iter().copied().map(f).collect()),
        Fill::Code(_, f) => text_col(name, rows.iter().copied().map(f).collect()),
        Fill::Flag(f) => {
            Series::new(name.into(), rows.iter().copied().map(f).collect::<Vec<_>>()).into()
        }
        Fill::Count(f) => {
            Series::new(name.into(), rows.iter().copied().map(f).collect::<Vec<_>>()).into()
        }
        Fill::Line(f) => {
            Series::new(name.into(), rows.iter().copied().map(f).collect::<Vec<_>>()).into()
        }
        Fill::List(f) => list_col(name, rows.iter().copied().map(f)),
        Fill::CodeList(_, f) => list_col(name, rows.iter().copied().map(f)),
    }
}

/// One batch of results as a DataFrame: the zone columns, the input's carried-through
/// columns (renamed `input_<name>` where they clash with ours), then the rest.
pub fn batch_frame(rows: &[&NameResult], extra_columns: &[String]) -> PolarsResult<DataFrame> {
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
    let mut w = RunWriter::new(None, Some(ResultsFile::create(run, extra_columns)?));
    for r in journal {
        w.push(r?)?;
    }
    w.finish()
}

/// `results.parquet` being written, a row group at a time; the file appears (renamed from a
/// temporary one) only when finished.
pub struct ResultsFile {
    file: File,
    writer: Option<polars::io::parquet::write::BatchedWriter<BufWriter<File>>>,
    extra_columns: Vec<String>,
    tmp: PathBuf,
    path: PathBuf,
}

impl ResultsFile {
    pub fn create(run: &RunDir, extra_columns: &[String]) -> Result<ResultsFile, RunError> {
        let tmp = run.file("results.parquet.tmp");
        let file = File::create(&tmp).map_err(io_err(&tmp))?;
        Ok(ResultsFile {
            file,
            writer: None,
            extra_columns: extra_columns.to_vec(),
            tmp,
            path: run.results(),
        })
    }

    /// One row group.
    pub fn write(&mut self, rows: &[&NameResult]) -> Result<(), RunError> {
        let mut df = batch_frame(rows, &self.extra_columns)?;
        df.rechunk_mut();
        let w = match &mut self.writer {
            Some(w) => w,
            None => self.writer.insert(
                // Buffered: the Parquet writer writes its page headers and footer a few octets
                // at a time (a system call each, unbuffered). It flushes when it ends the file.
                ParquetWriter::new(BufWriter::with_capacity(
                    1 << 20,
                    self.file.try_clone().map_err(io_err(&self.tmp))?,
                ))
                .with_compression(ParquetCompression::Zstd(None))
                .batched(df.schema())?,
            ),
        };
        w.write_batch(&df)?;
        Ok(())
    }

    /// End the file, make it durable and put it in place.
    pub fn finish(mut self) -> Result<(), RunError> {
        if self.writer.is_none() {
            // No rows: still a file with the schema.
            self.write(&[])?;
        }
        if let Some(w) = self.writer.take() {
            w.finish()?;
        }
        self.file.sync_all().map_err(io_err(&self.tmp))?;
        std::fs::rename(&self.tmp, &self.path).map_err(io_err(&self.path))
    }

    /// Leave no partial file behind: the run did not finish.
    pub fn discard(self) {
        let _ = std::fs::remove_file(&self.tmp);
    }
}
