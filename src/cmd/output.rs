//! Where commands write: a file (its name in any error), standard output for no path or
//! `-`, tables in a format, and a run folder's publication tables.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::Context;
use mailcensus::run::{RunDir, TABLES_DIR};
use mailcensus::tabulate::{
    Lang, OutputFormat, Results, Table, Tabulation, by_column, by_column_table, entities,
    entity_tables, render,
};

/// A new file at `path`, buffered.
pub fn create(path: &Path) -> anyhow::Result<BufWriter<File>> {
    let f = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(BufWriter::new(f))
}

/// A new file at `path`, or standard output where there is none or it is `-`.
pub fn file_or_stdout(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) if p != Path::new("-") => Box::new(create(p)?),
        _ => Box::new(BufWriter::new(io::stdout().lock())),
    })
}

/// Write `contents` to `path` whole.
pub fn write_file(path: &Path, contents: impl AsRef<[u8]>) -> anyhow::Result<()> {
    fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

/// Tables by columns of the input, beside the ministry's.
#[derive(Default)]
pub struct Grouping<'a> {
    pub by: Option<&'a str>,
    pub entity: Option<&'a str>,
}

/// Where a run's results file comes from, which decides whether its codes are checked.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Written by this process just now, from typed values: its codes are its enums' own.
    Written,
    /// Found on disk, written by any version (or damaged since): every code is checked.
    Found,
}

/// Compute the tables of a run and write them as publication CSV under `tables/`; say which
/// tables a run from an older mailcensus cannot have.
pub fn write_tables(
    run_dir: &Path,
    lang: Lang,
    source: Source,
) -> anyhow::Result<(Tabulation, Vec<Table>)> {
    let (tabulation, tables) = run_tables(run_dir, lang, &Grouping::default(), source)?;
    write_run_tables(run_dir, &tables)?;
    Ok((tabulation, tables))
}

/// Write `tables` as publication CSV under the run folder's `tables/`.
pub fn write_run_tables(run_dir: &Path, tables: &[Table]) -> anyhow::Result<()> {
    let dir = run_dir.join(TABLES_DIR);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for t in tables {
        render(
            t,
            OutputFormat::Csv,
            create(&dir.join(format!("{}.csv", t.name)))?,
        )?;
    }
    Ok(())
}

/// Compute the tables of a finished run, with the tables by columns of the input; say which
/// tables a run from an older mailcensus cannot have.
pub fn run_tables(
    run_dir: &Path,
    lang: Lang,
    grouping: &Grouping,
    source: Source,
) -> anyhow::Result<(Tabulation, Vec<Table>)> {
    let (run, _) = RunDir::open_finished(run_dir)?;
    let results = match source {
        Source::Written => Results::open_written(run.results())?,
        Source::Found => Results::open(run.results())?,
    };
    let tabulation = Tabulation::of(&results)?;
    if !tabulation.skipped.is_empty() {
        let names: Vec<String> = tabulation
            .skipped
            .iter()
            .map(|t| format!("{t} (schema {})", t.since()))
            .collect();
        eprintln!(
            "{}: results schema {}, written by an older mailcensus: left out {}",
            run.results().display(),
            results.version,
            names.join(", ")
        );
    }
    let mut tables = tabulation.tables(lang);
    if let Some(by) = grouping.by {
        tables.push(by_column_table(by, &by_column(&results, by)?, lang));
    }
    if let Some(entity) = grouping.entity {
        tables.extend(entity_tables(
            entity,
            &entities(&results, entity, grouping.by)?,
            lang,
        ));
    }
    Ok((tabulation, tables))
}

/// Print tables to standard output, a blank line between them.
pub fn print_tables(tables: &[Table], format: OutputFormat) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    for t in tables {
        render(t, format, &mut out)?;
        if format != OutputFormat::Json {
            println!();
        }
    }
    Ok(())
}
