//! `mailcensus trend`: rates per type and region across runs, with the change between them.

use std::path::PathBuf;

use mailcensus::run::open_runs;
use mailcensus::tabulate::{Lang, OutputFormat, render, trend_series, trend_table};

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
    let runs = open_runs(&a.runs)?;
    let table = trend_table(&runs, &trend_series(&runs)?, a.lang);
    render(&table, a.format, std::io::stdout().lock())?;
    Ok(())
}
