//! `mailcensus demo`: the whole job offline, on the simulated 2018 population.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use mailcensus::crawl::Checks;
use mailcensus::sim::{Faults, SimServer, write_list};
use mailcensus::survey::survey;
use mailcensus::tabulate::{Lang, OutputFormat};
use mailcensus::zone::{ZoneEncoding, ZoneFormat};

use super::output::{Source, create, print_tables, write_tables};
use super::progress::Progress;
use super::sim::PopulationArgs;
use super::survey::CrawlArgs;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    population: PopulationArgs,
    #[command(flatten)]
    crawl: CrawlArgs,
    /// The run folder (default: runs/demo-<UTC time>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Faults for the simulated server (see `sim serve --help`).
    #[arg(long, default_value = "")]
    faults: String,
    #[arg(long, value_parser = super::code::<Lang>(), default_value_t = Lang::Ja)]
    lang: Lang,
    #[arg(long, value_parser = super::code::<OutputFormat>(), default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let out = a.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "runs/demo-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        ))
    });
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let faults: Faults = a.faults.parse().map_err(anyhow::Error::msg)?;
    let pop = Arc::new(a.population.build()?);
    let list = out.join("zonelist.csv");
    write_list(&pop, create(&list)?)?;
    eprintln!(
        "demo: {} simulated names listed in {}",
        pop.len(),
        list.display()
    );
    let rt = super::runtime()?;
    let manifest = rt.block_on(async {
        let bind: SocketAddr = "127.0.0.1:0".parse().expect("valid address");
        let server = SimServer::start(pop.clone(), faults, bind).await?;
        eprintln!("demo: serving on {}", server.addr());
        let cfg = a.crawl.config(
            list.clone(),
            (ZoneFormat::Csv, ZoneEncoding::Utf8),
            out.clone(),
            vec![server.addr()],
            Checks::all(),
        );
        let m = survey(&cfg, &mut Progress::new(!a.crawl.quiet)).await;
        server.shutdown().await;
        anyhow::Ok(m?)
    })?;
    let tables = write_tables(&out, Source::Written)?;
    print_tables(
        |lang| tables.tables(lang),
        a.lang,
        a.format,
        Some(&tables.manifest),
    )?;
    let report = super::report::write_report(&out, &[], Some(tables.tabulation), a.lang, None)?;
    eprintln!(
        "demo: {} names surveyed, {} unresolved; run folder {}, report {}",
        manifest.names,
        manifest.unresolved_names,
        out.display(),
        report.display()
    );
    Ok(())
}
