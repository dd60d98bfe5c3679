//! `mailcensus trend`: rates per type and region across runs, with the change between them.

use std::path::PathBuf;

use mailcensus::run::open_runs;
use mailcensus::tabulate::{Lang, OutputFormat, TrendRun, render, trend_table};

#[derive(clap::Args)]
pub struct Args {
    /// Run folders, in any order: they are sorted by when they started.
    #[arg(required = true)]
    runs: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Lang::Ja)]
    lang: Lang,
    #[arg(long, value_enum, default_value_t = OutputFormat::Csv)]
    format: OutputFormat,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let opened = open_runs(&a.runs)?;
    let results: Vec<_> = opened.iter().map(|r| r.dir.results()).collect();
    let runs: Vec<TrendRun> = opened
        .iter()
        .zip(&results)
        .map(|(r, results)| TrendRun {
            label: r.label.clone(),
            started: r.manifest.started.clone(),
            results,
        })
        .collect();
    let table = trend_table(&runs, a.lang)?;
    render(&table, a.format, std::io::stdout().lock())?;
    Ok(())
}
