//! `mailcensus demo`: the whole job offline, on the simulated 2018 population.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use mailcensus::crawl::Checks;
use mailcensus::sim::{Faults, Population, SimServer, SimTransport, write_list};
use mailcensus::survey::{SurveyConfig, survey};
use mailcensus::tabulate::{Lang, OutputFormat};
use mailcensus::transport::Transport;
use mailcensus::zone::{ZoneEncoding, ZoneFormat};

use super::output::{Source, create, print_tables, write_tables};
use super::progress::Progress;
use super::sim::PopulationArgs;
use super::survey::{CrawlArgs, TransportArgs};

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

/// Serve the population's mail and policy hosts for the checks that connect, and point the
/// survey at them: their port, the simulator's CA (written to `sim-ca.pem` in the run folder),
/// and, unless given, the waits and rates of loopback rather than of the internet.
async fn serve_hosts(
    pop: &Arc<Population>,
    out: &std::path::Path,
    given: &TransportArgs,
    cfg: &mut SurveyConfig,
) -> anyhow::Result<SimTransport> {
    let hosts = SimTransport::start(pop.clone(), 0)
        .await
        .context("cannot listen for the simulated mail hosts on 127.25.0.0/16")?;
    let ca = out.join("sim-ca.pem");
    super::output::write_file(&ca, hosts.ca_pem())?;
    let t = &mut cfg.crawl.transport;
    (t.smtp_port, t.https_port) = (hosts.port(), hosts.port());
    t.ca_files.push(ca);
    t.timeout_ms = given.connect_timeout_ms.unwrap_or(1_000);
    t.rate = given.connect_rate.unwrap_or(1_000_000);
    t.concurrency = given.connect_concurrency.unwrap_or(256);
    eprintln!(
        "demo: mail and policy hosts on 127.25.0.0/16 port {}",
        hosts.port()
    );
    Ok(hosts)
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
        let mut cfg = a.crawl.config(
            list.clone(),
            (ZoneFormat::Csv, ZoneEncoding::Utf8),
            out.clone(),
            vec![server.addr()],
            Checks::all(),
        );
        let hosts = match Transport::needed(&cfg.crawl.checks) {
            true => Some(serve_hosts(&pop, &out, &a.crawl.transport, &mut cfg).await?),
            false => None,
        };
        let m = survey(&cfg, &mut Progress::new(!a.crawl.quiet)).await;
        server.shutdown().await;
        drop(hosts);
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
