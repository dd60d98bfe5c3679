//! `mailcensus trend`: rates per type and region across runs, with the change between them.

use std::path::PathBuf;

use mailcensus::run::RunDir;
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
    let mut runs = Vec::new();
    for path in &a.runs {
        let dir = RunDir::open(path)?;
        let manifest = dir.read_manifest()?;
        let label = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        runs.push((manifest.started.clone(), label, dir.results()));
    }
    runs.sort();
    let runs: Vec<TrendRun> = runs
        .iter()
        .map(|(started, label, results)| TrendRun {
            label: label.clone(),
            started: started.clone(),
            results,
        })
        .collect();
    let table = trend_table(&runs, a.lang)?;
    render(&table, a.format, std::io::stdout().lock())?;
    Ok(())
}
