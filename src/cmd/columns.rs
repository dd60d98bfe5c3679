//! `mailcensus columns`: the columns of `results.parquet`, from the schema the writer uses.

use mailcensus::run::schema::{self, SCHEMA_VERSION};
use mailcensus::tabulate::OutputFormat;
use serde_json::json;

#[derive(clap::Args)]
pub struct Args {
    /// Markdown (the README's list), CSV or JSON.
    #[arg(long, value_parser = super::code::<OutputFormat>(), default_value_t = OutputFormat::Markdown)]
    format: OutputFormat,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    match a.format {
        OutputFormat::Markdown | OutputFormat::Table => print!("{}", schema::markdown()),
        OutputFormat::Xlsx => {
            anyhow::bail!("columns prints text: give --format markdown, csv or json")
        }
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            w.write_record(["column", "type", "since", "meaning", "codes"])?;
            for c in schema::columns() {
                let codes = c.fill.codes().unwrap_or_default().join(" ");
                let since = c.since.to_string();
                w.write_record([c.name, c.fill.type_name(), &since, c.meaning, &codes])?;
            }
            w.flush()?;
        }
        OutputFormat::Json => {
            let columns: Vec<_> = schema::columns()
                .map(|c| {
                    json!({
                        "column": c.name,
                        "type": c.fill.type_name(),
                        "since": c.since,
                        "meaning": c.meaning,
                        "codes": c.fill.codes(),
                    })
                })
                .collect();
            let doc = json!({ "schema_version": SCHEMA_VERSION, "columns": columns });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
    }
    Ok(())
}
