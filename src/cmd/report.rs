//! `mailcensus report`: the run's self-contained HTML report, with the trend over older runs.

use std::path::PathBuf;

use mailcensus::report::render_report;
use mailcensus::run::{OpenedRun, open_runs};
use mailcensus::tabulate::{Lang, Results, Tabulation};

#[derive(clap::Args)]
pub struct Args {
    /// The run folder to report on.
    run: PathBuf,
    /// Older run folders: their rates give the trend section and the change beside each
    /// headline.
    #[arg(long, num_args = 1..)]
    compare: Vec<PathBuf>,
    #[arg(long, value_parser = super::code::<Lang>(), default_value_t = Lang::Ja)]
    lang: Lang,
    /// Where to write the page (default: report.html in the run folder).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Write the report of `run` (trend over `older`), whose tables are `tabulation` (computed
/// here when not given), and return where it went.
pub fn write_report(
    run: &PathBuf,
    older: &[PathBuf],
    tabulation: Option<Tabulation>,
    lang: Lang,
    out: Option<PathBuf>,
) -> anyhow::Result<PathBuf> {
    let mut paths = older.to_vec();
    paths.push(run.clone());
    let mut runs = open_runs(&paths)?;
    super::warn_judgement(&runs);
    // The reported run goes last whatever its date, the older ones stay in date order.
    let pos = runs
        .iter()
        .position(|r| r.dir.path == *run)
        .expect("the run was opened");
    let this: OpenedRun = runs.remove(pos);
    runs.push(this);
    let tabulation = match tabulation {
        Some(t) => t,
        None => Tabulation::of(&Results::open(this_results(&runs))?)?,
    };
    let html = render_report(&runs, &tabulation, lang)?;
    let out = out.unwrap_or_else(|| run.join("report.html"));
    super::output::write_file(&out, html)?;
    Ok(out)
}

fn this_results(runs: &[OpenedRun]) -> PathBuf {
    runs.last().expect("the run was opened").dir.results()
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let out = write_report(&a.run, &a.compare, None, a.lang, a.out)?;
    eprintln!("report: {}", out.display());
    Ok(())
}
