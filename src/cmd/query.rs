//! `mailcensus query`: Polars SQL over the results of one or many runs.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use mailcensus::query::{Catalog, cell_json, cell_text};
use mailcensus::run::open_runs;
use mailcensus::tabulate::{OutputFormat, Table, render};
use polars::prelude::{AnyValue, DataFrame, ParquetWriter};

#[derive(clap::Args)]
pub struct Args {
    /// One SQL statement over `results` (every run's rows, with `run`, `run_seq` and
    /// `run_date` columns), `results_1`, `results_2`, … (each run alone, oldest first) and
    /// `runs` (one row per run), then the run folders; with `-f`, only the run folders.
    #[arg(required = true, value_name = "SQL|RUN")]
    args: Vec<String>,
    /// Read the statement from this file (`-`: standard input) instead of the command line.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    file: Option<PathBuf>,
    #[arg(long, value_parser = super::code::<OutputFormat>(), default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Also save the result: Parquet (every type kept), CSV or JSON, by the file's ending.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

fn rows(df: &DataFrame) -> impl Iterator<Item = Vec<AnyValue<'_>>> {
    (0..df.height()).map(move |i| {
        df.columns()
            .iter()
            .map(|c| c.get(i).unwrap_or_default())
            .collect()
    })
}

/// `n` and the noun, singular or plural.
fn count(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// The statement and the run folders, from the arguments as given.
fn statement(a: &Args) -> anyhow::Result<(String, Vec<PathBuf>)> {
    let (sql, runs) = match &a.file {
        Some(f) if f == Path::new("-") => (io::read_to_string(io::stdin())?, &a.args[..]),
        Some(f) => (
            std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?,
            &a.args[..],
        ),
        None => (a.args[0].clone(), &a.args[1..]),
    };
    if runs.is_empty() {
        bail!("give at least one run folder after the statement");
    }
    Ok((sql, runs.iter().map(PathBuf::from).collect()))
}

/// A JSON array of one object a row, each on a line of its own, its keys in the result's
/// column order.
fn write_json(df: &DataFrame, headers: &[String], mut out: impl Write) -> anyhow::Result<()> {
    let keys: Vec<String> = headers
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<_, _>>()?;
    writeln!(out, "[")?;
    for (i, r) in rows(df).enumerate() {
        let fields: Vec<String> = keys
            .iter()
            .zip(r.iter().map(cell_json))
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        let sep = if i + 1 < df.height() { "," } else { "" };
        writeln!(out, "  {{{}}}{sep}", fields.join(", "))?;
    }
    writeln!(out, "]")?;
    Ok(())
}

/// Plain UTF-8 CSV for other tools (the publication tables carry a BOM for Excel).
fn write_csv(df: &DataFrame, headers: &[String], out: impl Write) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(headers)?;
    for r in rows(df) {
        w.write_record(r.iter().map(cell_text))?;
    }
    w.flush()?;
    Ok(())
}

/// Save the result where `--out` says, in the format its ending names.
fn save(df: &mut DataFrame, headers: &[String], path: &Path) -> anyhow::Result<()> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let create = || super::output::create(path);
    match ext.as_deref() {
        Some("parquet") => {
            ParquetWriter::new(create()?).finish(df)?;
        }
        Some("csv") => write_csv(df, headers, create()?)?,
        Some("json") => write_json(df, headers, create()?)?,
        _ => bail!(
            "--out {}: name a .parquet, .csv or .json file",
            path.display()
        ),
    }
    Ok(())
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let (sql, paths) = statement(&a)?;
    let runs = open_runs(&paths)?;
    super::warn_judgement(&runs);
    let mut catalog = Catalog::new(&runs)?;
    let mut df = catalog.query(&sql)?;
    let headers: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    if let Some(path) = &a.out {
        save(&mut df, &headers, path)?;
        eprintln!("{} saved to {}", count(df.height(), "row"), path.display());
    }
    let out = io::stdout().lock();
    match a.format {
        OutputFormat::Json => write_json(&df, &headers, out)?,
        OutputFormat::Csv => write_csv(&df, &headers, out)?,
        format => {
            let table = Table {
                name: "query".to_string(),
                title: count(df.height(), "row"),
                headers,
                rows: rows(&df)
                    .map(|r| r.iter().map(cell_text).collect())
                    .collect(),
            };
            render(&table, format, out)?;
        }
    }
    Ok(())
}
