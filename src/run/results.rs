//! `results.parquet`: one typed row per name, its columns as [`schema`](super::schema)
//! declares them, written a row group of finished names at a time.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::schema::{self, Column as SchemaColumn, Fill};
use super::{JournalReader, RunDir, RunError, RunWriter, io_err};
use crate::record::NameResult;
use crate::zone::{KeyMap, name_key};

pub const RESULTS_FILE: &str = "results.parquet";
/// The results file while it is written, renamed to [`RESULTS_FILE`] once whole.
pub const RESULTS_TMP_FILE: &str = "results.parquet.tmp";
/// Rows a row group holds, at the least.
pub const ROW_GROUP: usize = 16_384;

/// Rows filled into every column before the next block: the columns are built one at a time,
/// and a row group's records (1.5 kB each, 24 MB a group) would fall out of the cache between
/// one column's pass and the next; a block's stay.
const FILL_BLOCK: usize = 256;

/// `results.parquet` cannot be read as this version's results.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: polars::error::PolarsError,
    },
    #[error(
        "{path} is not a mailcensus results file: it has none of the results columns (`mailcensus columns` lists them)"
    )]
    NotResults { path: String },
    #[error(
        "{path} lacks the column `{column}` of results schema {since}, though it holds columns of schema {version}: the file was changed after the survey wrote it; restore it from the run, or survey again"
    )]
    MissingColumn {
        path: String,
        column: &'static str,
        since: u32,
        version: u32,
    },
    #[error("{path}: column `{column}` is {found}, not {expected} as the results schema says")]
    ColumnType {
        path: String,
        column: &'static str,
        found: String,
        expected: &'static str,
    },
    #[error(
        "{path}: column `{column}` holds {value:?}, which is none of its codes ({codes}): the file comes from a newer mailcensus or was changed"
    )]
    UnknownCode {
        path: String,
        column: &'static str,
        value: String,
        codes: String,
    },
}

/// A results file opened for reading (tabulating, querying), checked against the schema.
pub struct Results {
    lf: LazyFrame,
    path: String,
    /// The results schema version the file holds every column of.
    pub version: u32,
}

impl Results {
    /// Open `results.parquet` and check it: the columns of every schema version up to the
    /// newest it has a column of must all be there with their types (a renamed or dropped
    /// column is an error naming it; a run from an older mailcensus simply has an older
    /// version), and every code must be one its column's enum knows.
    pub fn open(path: impl AsRef<Path>) -> Result<Results, ResultsError> {
        let r = Results::open_written(path)?;
        r.check_codes()?;
        Ok(r)
    }

    /// Open a `results.parquet` this process has just written from typed values, checking its
    /// columns but not its codes, which are its enums' own: the code check reads every code
    /// column whole, half of tabulating 1.5 million rows.
    pub fn open_written(path: impl AsRef<Path>) -> Result<Results, ResultsError> {
        let p = path.as_ref();
        let shown = p.display().to_string();
        let read = |source| ResultsError::Read {
            path: shown.clone(),
            source,
        };
        let lf = LazyFrame::scan_parquet(
            PlRefPath::try_from_path(p).map_err(read)?,
            ScanArgsParquet::default(),
        )
        .map_err(read)?;
        let file_schema = lf.clone().collect_schema().map_err(read)?;
        let version = schema::columns()
            .filter(|c| file_schema.contains(c.name))
            .map(|c| c.since)
            .max()
            .ok_or_else(|| ResultsError::NotResults {
                path: shown.clone(),
            })?;
        for c in schema::columns().filter(|c| c.since <= version) {
            let found = file_schema
                .get(c.name)
                .ok_or_else(|| ResultsError::MissingColumn {
                    path: shown.clone(),
                    column: c.name,
                    since: c.since,
                    version,
                })?;
            if *found != c.fill.dtype() {
                return Err(ResultsError::ColumnType {
                    path: shown,
                    column: c.name,
                    found: found.to_string(),
                    expected: c.fill.type_name(),
                });
            }
        }
        Ok(Results {
            lf,
            path: shown,
            version,
        })
    }

    /// Every value of every code column is one of its codes. A column at a time: Polars reads
    /// only that column, so memory stays one column's distinct values, not the file.
    fn check_codes(&self) -> Result<(), ResultsError> {
        for c in self.columns() {
            let Some(codes) = c.fill.codes() else {
                continue;
            };
            let values = match c.fill {
                Fill::CodeList(..) => col(c.name).explode(ExplodeOptions {
                    empty_as_null: true,
                    keep_nulls: true,
                }),
                _ => col(c.name),
            };
            let read = |source| ResultsError::Read {
                path: self.path.clone(),
                source,
            };
            let df = self
                .frame()
                .select([values.drop_nulls().unique().alias(c.name)])
                .collect()
                .map_err(read)?;
            let values = df.column(c.name).and_then(|v| v.str()).map_err(read)?;
            for v in values.iter().flatten() {
                if !codes.contains(&v) {
                    return Err(ResultsError::UnknownCode {
                        path: self.path.clone(),
                        column: c.name,
                        value: v.to_string(),
                        codes: codes.join(", "),
                    });
                }
            }
        }
        Ok(())
    }

    /// The schema columns the file holds.
    pub fn columns(&self) -> impl Iterator<Item = &'static SchemaColumn> + '_ {
        schema::columns().filter(|c| c.since <= self.version)
    }

    pub fn frame(&self) -> LazyFrame {
        self.lf.clone()
    }
}

/// One column of a batch being built, a block of rows at a time.
enum Builder {
    Text(StringChunkedBuilder),
    Flag(BooleanChunkedBuilder),
    Count(PrimitiveChunkedBuilder<UInt32Type>),
    Line(PrimitiveChunkedBuilder<UInt64Type>),
    Days(PrimitiveChunkedBuilder<Int32Type>),
    List(ListStringChunkedBuilder),
}

impl Builder {
    fn new(name: &str, dtype: &DataType, rows: usize) -> Builder {
        let name = PlSmallStr::from(name);
        match dtype {
            DataType::Boolean => Builder::Flag(BooleanChunkedBuilder::new(name, rows)),
            DataType::UInt32 => Builder::Count(PrimitiveChunkedBuilder::new(name, rows)),
            DataType::UInt64 => Builder::Line(PrimitiveChunkedBuilder::new(name, rows)),
            DataType::Int32 => Builder::Days(PrimitiveChunkedBuilder::new(name, rows)),
            DataType::List(_) => Builder::List(ListStringChunkedBuilder::new(name, rows, rows * 2)),
            _ => Builder::Text(StringChunkedBuilder::new(name, rows)),
        }
    }

    /// A block of rows of a schema column.
    fn fill(&mut self, fill: &Fill, rows: &[&NameResult]) {
        let rows = rows.iter().copied();
        match (self, *fill) {
            (Builder::Text(b), Fill::Text(f)) => rows.for_each(|r| b.append_option(f(r))),
            (Builder::Text(b), Fill::Made(f)) => rows.for_each(|r| b.append_option(f(r))),
            (Builder::Text(b), Fill::Code(_, f)) => rows.for_each(|r| b.append_option(f(r))),
            (Builder::Flag(b), Fill::Flag(f)) => rows.for_each(|r| b.append_option(f(r))),
            (Builder::Count(b), Fill::Count(f)) => rows.for_each(|r| b.append_option(f(r))),
            (Builder::Line(b), Fill::Size(f)) => rows.for_each(|r| b.append_option(f(r))),
            (Builder::Line(b), Fill::Line(f)) => rows.for_each(|r| b.append_value(f(r))),
            (Builder::Days(b), Fill::Days(f)) => rows.for_each(|r| b.append_option(f(r))),
            (Builder::List(b), Fill::List(f)) => {
                rows.for_each(|r| b.append_values_iter(f(r).into_iter()));
            }
            (Builder::List(b), Fill::CodeList(_, f)) => {
                rows.for_each(|r| b.append_values_iter(f(r).into_iter()));
            }
            _ => unreachable!("a builder is made for its column's fill"),
        }
    }

    fn finish(self) -> Column {
        match self {
            Builder::Text(b) => b.finish().into_column(),
            Builder::Flag(b) => b.finish().into_column(),
            Builder::Count(b) => b.finish().into_column(),
            Builder::Line(b) => b.finish().into_column(),
            Builder::Days(b) => b.finish().into_column(),
            Builder::List(mut b) => b.finish().into_column(),
        }
    }
}

/// One batch of results as a DataFrame: the zone columns, the input's carried-through
/// columns (renamed `input_<name>` where they clash with ours), then the rest.
pub fn batch_frame(rows: &[&NameResult], extra_columns: &[String]) -> PolarsResult<DataFrame> {
    let extra = extra_columns
        .iter()
        .map(|name| match schema::is_reserved(name) {
            true => format!("input_{name}"),
            false => name.clone(),
        });
    let builders = |columns: &[&SchemaColumn]| -> Vec<Builder> {
        let fills = columns
            .iter()
            .map(|c| Builder::new(c.name, &c.fill.dtype(), rows.len()));
        fills.collect()
    };
    let fill = |builders: &mut [Builder], columns: &[&SchemaColumn], block: &[&NameResult]| {
        for (b, c) in builders.iter_mut().zip(columns) {
            b.fill(&c.fill, block);
        }
    };
    let mut zone = builders(&schema::ZONE_COLUMNS);
    let mut input: Vec<Builder> = extra
        .map(|name| Builder::new(&name, &DataType::String, rows.len()))
        .collect();
    let mut result = builders(&schema::RESULT_COLUMNS);
    for block in rows.chunks(FILL_BLOCK) {
        fill(&mut zone, &schema::ZONE_COLUMNS, block);
        for (i, b) in input.iter_mut().enumerate() {
            let Builder::Text(b) = b else {
                unreachable!("input columns are text")
            };
            block.iter().for_each(|r| b.append_option(r.extra.get(i)));
        }
        fill(&mut result, &schema::RESULT_COLUMNS, block);
    }
    let cols = zone.into_iter().chain(input).chain(result);
    DataFrame::new(rows.len(), cols.map(Builder::finish).collect())
}

/// The journal's rows, each name's last one only: a retry supersedes the earlier row. Two
/// passes; memory is one 128-bit key and index per name.
pub fn latest_rows(
    run: &RunDir,
) -> Result<impl Iterator<Item = Result<NameResult, RunError>>, RunError> {
    let mut last = KeyMap::default();
    for (i, r) in JournalReader::lookups(run)?.enumerate() {
        last.insert(name_key(&r?.name), i);
    }
    // Judged once kept: the rows a retry superseded are never judged.
    Ok(JournalReader::lookups(run)?
        .enumerate()
        .filter_map(move |(i, r)| match r {
            Ok(mut r) => (last.get(&name_key(&r.name)) == Some(&i)).then(|| {
                r.judge();
                Ok(r)
            }),
            Err(e) => Some(Err(e)),
        }))
}

/// The lookups that took more than one attempt over every row of the journal, superseded
/// ones included: the run's work.
pub fn retried_lookups(run: &RunDir) -> Result<u64, RunError> {
    JournalReader::lookups(run)?.try_fold(0, |n, r| Ok(n + r?.retried_lookups()))
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

/// LZ4 (Parquet's LZ4_RAW codec, which DuckDB, Polars, pyarrow and Spark 3.4 on read): the
/// file is written while the crawl runs, so its compression is paid in the survey's CPU. On
/// 300,000 names zstd at its fastest level made the file 29 % smaller (12.4 MB against 17.4)
/// and cost 4 % more of the whole survey's CPU (the Parquet writer's share of the samples,
/// 14.6 % against 10.4 %), a third of it Polars making a zstd context for every page.
fn compression() -> ParquetCompression {
    ParquetCompression::Lz4Raw
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
        let tmp = run.file(RESULTS_TMP_FILE);
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
                .with_compression(compression())
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
