//! `mailcensus tabulate`: the ministry's tables from a run folder.

use std::path::PathBuf;

use mailcensus::tabulate::{Lang, OutputFormat};

use super::output::{Grouping, Source, print_tables, run_tables, write_run_tables};

#[derive(clap::Args)]
pub struct Args {
    /// A run folder written by `survey` or `demo`.
    run: PathBuf,
    /// Header language of the tables.
    #[arg(long, value_parser = super::code::<Lang>(), default_value_t = Lang::Ja)]
    lang: Lang,
    /// How to print the tables on standard output.
    #[arg(long, value_parser = super::code::<OutputFormat>(), default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Also the ministry's table per value of this column of the input (a sector, say).
    #[arg(long, value_name = "COLUMN")]
    by: Option<String>,
    /// Also count organisations whole by this column of the input (a company with several
    /// domains): covered when any of its domains is, enforcing when all are (per --by group
    /// too).
    #[arg(long, value_name = "COLUMN")]
    entity: Option<String>,
    /// Also write the tables into the run folder's `tables/` as publication CSV (in --lang),
    /// over the ones there (a survey writes them in Japanese when it ends): without it,
    /// `tabulate` only prints.
    #[arg(long)]
    write_tables: bool,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let grouping = Grouping {
        by: a.by.as_deref(),
        entity: a.entity.as_deref(),
    };
    let tables = run_tables(&a.run, &grouping, Source::Found)?;
    if a.write_tables {
        write_run_tables(&a.run, &tables, a.lang)?;
    }
    print_tables(
        |lang| tables.tables(lang),
        a.lang,
        a.format,
        Some(&tables.manifest),
    )
}
