//! `mailcensus check`: one domain's records and verdicts, for reading or as JSON.

use std::sync::Arc;
use std::time::Duration;

use mailcensus::crawl::{Checks, CrawlOptions, Crawler};
use mailcensus::dns::{ClientOptions, DnsClient, parse_server};
use mailcensus::record::NameReport;
use mailcensus::transport::Transport;
use mailcensus::zone::{ZoneEntry, classify, normalize};

use super::survey::TransportArgs;

#[derive(clap::Args)]
pub struct Args {
    /// Domain names to check.
    #[arg(required = true)]
    domains: Vec<String>,
    /// Resolver to ask, ADDR[:PORT] (repeatable; default: the system's resolv.conf).
    #[arg(long = "resolver")]
    resolvers: Vec<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    #[arg(long, default_value_t = 2)]
    retries: u32,
    #[arg(long, default_value_t = 2000)]
    timeout_ms: u64,
    /// Lookups beyond MX, SPF and DMARC (see `survey --help`).
    #[arg(long, value_name = "LIST", default_value = "all")]
    checks: Checks,
    #[command(flatten)]
    transport: TransportArgs,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let resolvers = a
        .resolvers
        .iter()
        .map(|r| parse_server(r))
        .collect::<Result<Vec<_>, _>>()?;
    let opts = ClientOptions {
        timeout: Duration::from_millis(a.timeout_ms),
        recursion_desired: true,
    };
    let results = super::runtime()?.block_on(async {
        let client = DnsClient::new(&resolvers, &opts).await?;
        let transport = Transport::for_checks(&a.checks, &a.transport.options())?;
        let crawler = Crawler::new(
            client,
            CrawlOptions {
                retries: a.retries,
                checks: a.checks.clone(),
                ..CrawlOptions::default()
            },
        );
        let crawler = Arc::new(crawler.with_transport(transport));
        let mut out = Vec::new();
        for d in &a.domains {
            let name = normalize(d)
                .map_err(|e| anyhow::anyhow!("{d:?} is not a usable domain name ({e})"))?;
            let entry = ZoneEntry {
                line: 0,
                input: d.clone(),
                class: classify(&name),
                name,
                extra: Vec::new(),
            };
            out.push(crawler.crawl_one(entry).await);
        }
        anyhow::Ok(out)
    })?;
    let reports: Vec<NameReport> = results.iter().map(NameReport::of).collect();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        reports.iter().for_each(|r| print!("{r}"));
    }
    Ok(())
}
