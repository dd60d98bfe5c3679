//! `mailcensus diff`: what changed, name by name, between two runs.

use std::path::PathBuf;

use mailcensus::run::{RunDir, judgement_warning};
use mailcensus::tabulate::{Lang, OutputFormat, Results, diff, diff_counts, diff_table, render};

#[derive(clap::Args)]
pub struct Args {
    /// The older run folder (of the earlier period).
    old: PathBuf,
    /// The newer run folder (of the later period).
    new: PathBuf,
    #[arg(long, value_parser = super::code::<Lang>(), default_value_t = Lang::Ja)]
    lang: Lang,
    /// How to print the counts per type (the changes themselves go to --out).
    #[arg(long, value_parser = super::code::<OutputFormat>(), default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Where to write every change, one CSV row a change (default: diff.csv in the newer run).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let (old, new) = (
        RunDir::open_finished(&a.old)?,
        RunDir::open_finished(&a.new)?,
    );
    if let Some(w) = judgement_warning([(a.old.as_path(), &old.1), (a.new.as_path(), &new.1)]) {
        eprintln!("{w}");
    }
    let (p_old, p_new) = (old.1.period(), new.1.period());
    if p_old > p_new {
        anyhow::bail!(
            "{} describes {p_old}, later than {} ({p_new}): every change would read backwards. Give the older run first: mailcensus diff {} {}",
            a.old.display(),
            a.new.display(),
            a.new.display(),
            a.old.display()
        );
    }
    let open = |run: &RunDir| Results::open(run.results());
    let changes = diff(&open(&old.0)?, &open(&new.0)?)?;
    let out = a.out.unwrap_or_else(|| a.new.join("diff.csv"));
    render(
        &diff_table(&changes, a.lang),
        OutputFormat::Csv,
        super::output::create(&out)?,
    )?;
    super::output::print_tables(
        |lang| vec![diff_counts(&changes, lang)],
        a.lang,
        a.format,
        None,
    )?;
    eprintln!("{} changes written to {}", changes.len(), out.display());
    Ok(())
}
