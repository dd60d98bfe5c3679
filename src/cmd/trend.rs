//! `mailcensus trend`: rates per type and region across runs, with the change between them.

use std::path::PathBuf;

use mailcensus::run::open_runs;
use mailcensus::tabulate::{Core, Lang, OutputFormat, Results, render, trend_series, trend_table};

#[derive(clap::Args)]
pub struct Args {
    /// Run folders, in any order: they are sorted by when they started.
    #[arg(required = true)]
    runs: Vec<PathBuf>,
    #[arg(long, value_parser = super::code::<Lang>(), default_value_t = Lang::Ja)]
    lang: Lang,
    #[arg(long, value_parser = super::code::<OutputFormat>(), default_value_t = OutputFormat::Csv)]
    format: OutputFormat,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let runs = open_runs(&a.runs)?;
    super::warn_judgement(&runs);
    let cores = runs
        .iter()
        .map(|r| Core::of(&Results::open(r.dir.results())?))
        .collect::<Result<Vec<_>, _>>()?;
    let series = trend_series(&cores.iter().collect::<Vec<_>>());
    let table = trend_table(&runs, &series, a.lang);
    render(&table, a.format, std::io::stdout().lock())?;
    Ok(())
}
