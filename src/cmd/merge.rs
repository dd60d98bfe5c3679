//! `mailcensus merge`: join the run folders of a sharded survey into one, then its tables.

use std::path::PathBuf;

use mailcensus::run::merge;

use super::output::{Source, write_tables};

#[derive(clap::Args)]
pub struct Args {
    /// The shards' run folders (`survey --shard K/N`), all N of them, in any order.
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// The merged run folder to write (its tables in Japanese, as every run's).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let m = merge(&a.shards, &a.out, std::env::args().collect())?;
    write_tables(&a.out, Source::Written)?;
    eprintln!(
        "merged {} shards: {} names ({} unresolved) into {}",
        a.shards.len(),
        m.names,
        m.unresolved_names,
        a.out.display()
    );
    Ok(())
}
