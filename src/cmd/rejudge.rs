//! `mailcensus rejudge`: judge a finished run again with this version's rules.

use std::path::PathBuf;

use mailcensus::policy::judgement::JUDGEMENT_RULES;

use super::output::{Source, write_tables};

#[derive(clap::Args)]
pub struct Args {
    /// The run folder: its journal is read again, and `results.parquet`, the manifest's counts
    /// and `tables/` are rebuilt.
    run: PathBuf,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let m = mailcensus::run::rejudge(&a.run)?;
    write_tables(&a.run, Source::Written)?;
    eprintln!(
        "judged {} names of {} again by rules {JUDGEMENT_RULES} ({} with a lookup unresolved); tables rewritten",
        m.names,
        a.run.display(),
        m.unresolved_names
    );
    Ok(())
}
