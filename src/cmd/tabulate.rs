//! `mailcensus tabulate`: the ministry's tables from a run folder.

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use anyhow::Context;
use mailcensus::run::{RunDir, RunStatus, TABLES_DIR};
use mailcensus::tabulate::{Lang, OutputFormat, Results, Table, Tabulation, render};

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
}

/// Compute the tables of a run and write them as publication CSV under `tables/`; say which
/// tables a run from an older mailcensus cannot have.
pub fn write_tables(run_dir: &Path, lang: Lang) -> anyhow::Result<(Tabulation, Vec<Table>)> {
    let run = RunDir::open(run_dir)?;
    if run.read_manifest()?.status != RunStatus::Complete || !run.results().is_file() {
        anyhow::bail!(
            "the run in {} is not finished, so it has no results to tabulate: finish it with `mailcensus survey --resume {}`",
            run_dir.display(),
            run_dir.display()
        );
    }
    let results = Results::open(run.results())?;
    let tabulation = Tabulation::of(&results)?;
    if !tabulation.skipped.is_empty() {
        let names: Vec<String> = tabulation
            .skipped
            .iter()
            .map(|(t, since)| format!("{t} (schema {since})"))
            .collect();
        eprintln!(
            "{}: results schema {}, written by an older mailcensus: left out {}",
            run.results().display(),
            results.version,
            names.join(", ")
        );
    }
    let tables = tabulation.tables(lang);
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
    let (_, tables) = write_tables(&a.run, a.lang)?;
    print_tables(&tables, a.format)
}
