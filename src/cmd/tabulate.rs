//! `mailcensus tabulate`: the ministry's tables from a run folder.

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use anyhow::Context;
use mailcensus::run::{RunDir, TABLES_DIR};
use mailcensus::tabulate::{
    Lang, OutputFormat, Results, Table, Tabulation, by_column, by_column_table, entities,
    entity_tables, render,
};

#[derive(clap::Args)]
pub struct Args {
    /// A run folder written by `survey` or `demo`.
    run: PathBuf,
    /// Header language of the tables.
    #[arg(long, value_enum, default_value_t = Lang::Ja)]
    lang: Lang,
    /// How to print the tables on standard output.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Also the ministry's table per value of this column of the input (a sector, say).
    #[arg(long, value_name = "COLUMN")]
    by: Option<String>,
    /// Also count organisations whole by this column of the input (a company with several
    /// domains): covered when any of its domains is, enforcing when all are (per --by group
    /// too).
    #[arg(long, value_name = "COLUMN")]
    entity: Option<String>,
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
    write_grouped_tables(run_dir, lang, &Grouping::default(), source)
}

/// The same with the tables by columns of the input.
pub fn write_grouped_tables(
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
    let dir = run.file(TABLES_DIR);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for t in &tables {
        let path = dir.join(format!("{}.csv", t.name));
        let f = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        render(t, OutputFormat::Csv, BufWriter::new(f))?;
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

pub fn run(a: Args) -> anyhow::Result<()> {
    let grouping = Grouping {
        by: a.by.as_deref(),
        entity: a.entity.as_deref(),
    };
    let (_, tables) = write_grouped_tables(&a.run, a.lang, &grouping, Source::Found)?;
    print_tables(&tables, a.format)
}
