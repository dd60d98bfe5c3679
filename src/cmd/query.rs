//! `mailcensus query`: Polars SQL over the results of one or many runs.

use std::io::{self, Write};
use std::path::PathBuf;

use mailcensus::query::{Catalog, cell_json, cell_text};
use mailcensus::run::open_runs;
use mailcensus::tabulate::{OutputFormat, Table, render};
use polars::prelude::DataFrame;

#[derive(clap::Args)]
pub struct Args {
    /// One SQL statement over `results` (every run's rows, with `run`, `run_seq` and
    /// `run_date` columns), `results_1`, `results_2`, … (each run alone, oldest first) and
    /// `runs` (one row per run).
    sql: String,
    /// Run folders written by `survey` or `demo`.
    #[arg(required = true)]
    runs: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

fn rows(df: &DataFrame) -> impl Iterator<Item = Vec<polars::prelude::AnyValue<'_>>> {
    (0..df.height()).map(move |i| {
        df.columns()
            .iter()
            .map(|c| c.get(i).unwrap_or_default())
            .collect()
    })
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let runs = open_runs(&a.runs)?;
    let mut catalog = Catalog::new(&runs)?;
    let df = catalog.query(&a.sql)?;
    let headers: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let mut out = io::stdout().lock();
    match a.format {
        OutputFormat::Json => {
            let objects: Vec<serde_json::Map<String, serde_json::Value>> = rows(&df)
                .map(|r| {
                    headers
                        .iter()
                        .cloned()
                        .zip(r.iter().map(cell_json))
                        .collect()
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &objects)?;
            writeln!(out)?;
        }
        OutputFormat::Csv => {
            // Plain UTF-8 for other tools (the publication tables carry a BOM for Excel).
            let mut w = csv::Writer::from_writer(out);
            w.write_record(&headers)?;
            for r in rows(&df) {
                w.write_record(r.iter().map(cell_text))?;
            }
            w.flush()?;
        }
        format => {
            let table = Table {
                name: "query".to_string(),
                title: format!("{} rows", df.height()),
                headers,
                rows: rows(&df)
                    .map(|r| r.iter().map(cell_text).collect())
                    .collect(),
            };
            render(&table, format, &mut out)?;
        }
    }
    Ok(())
}
