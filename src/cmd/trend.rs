//! `mailcensus trend`: rates per type and region across runs, with the change between them.

use std::path::PathBuf;

use mailcensus::run::open_runs;
use mailcensus::tabulate::{Core, Lang, OutputFormat, Results, trend_series, trend_table};

use super::output::print_tables;

#[derive(clap::Args)]
pub struct Args {
    /// Run folders, in any order: they are sorted by the period each describes (`--period`
    /// of `survey`), then by when they started.
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
    print_tables(
        |lang| vec![trend_table(&runs, &series, lang)],
        a.lang,
        a.format,
        None,
    )
}
