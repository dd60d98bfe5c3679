//! `mailcensus survey`: crawl a zone list into a run folder, then write its tables.

use std::path::PathBuf;
use std::time::Duration;

use mailcensus::crawl::{CrawlOptions, SurveyConfig, survey};
use mailcensus::dns::{ClientOptions, parse_server};
use mailcensus::zone::ZoneFormat;

use super::tabulate::write_tables;

/// How the crawler behaves; shared with `demo`.
#[derive(clap::Args, Clone)]
pub struct CrawlArgs {
    /// Queries per second over all lookups (default: unlimited; be polite to real resolvers).
    #[arg(long)]
    pub qps: Option<u32>,
    /// Names in flight at once (three lookups each).
    #[arg(long, default_value_t = 256)]
    pub concurrency: usize,
    /// Further attempts after a timeout, SERVFAIL, REFUSED or error.
    #[arg(long, default_value_t = 2)]
    pub retries: u32,
    /// How long one attempt waits, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    pub timeout_ms: u64,
    /// No progress bar or progress log lines.
    #[arg(long)]
    pub quiet: bool,
}

impl CrawlArgs {
    pub fn config(
        &self,
        input: PathBuf,
        format: ZoneFormat,
        out: PathBuf,
        resolvers: Vec<std::net::SocketAddr>,
    ) -> SurveyConfig {
        SurveyConfig {
            input,
            format,
            out,
            resolvers,
            client: ClientOptions {
                timeout: Duration::from_millis(self.timeout_ms),
                recursion_desired: true,
            },
            crawl: CrawlOptions {
                qps: self.qps,
                concurrency: self.concurrency,
                retries: self.retries,
                ..CrawlOptions::default()
            },
            command: std::env::args().collect(),
            progress: !self.quiet,
        }
    }
}

#[derive(clap::Args)]
pub struct Args {
    /// Zone list: text or CSV with a `domain` column; gzip or not; `-` for stdin.
    zonelist: PathBuf,
    /// Resolver to ask, ADDR[:PORT] (repeatable; default: the system's resolv.conf).
    #[arg(long = "resolver")]
    resolvers: Vec<String>,
    /// The run folder to write.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, value_enum, default_value_t = ZoneFormat::Auto)]
    format: ZoneFormat,
    #[command(flatten)]
    crawl: CrawlArgs,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let resolvers = a
        .resolvers
        .iter()
        .map(|r| parse_server(r))
        .collect::<Result<Vec<_>, _>>()?;
    let cfg = a
        .crawl
        .config(a.zonelist, a.format, a.out.clone(), resolvers);
    let manifest = super::runtime()?.block_on(survey(&cfg))?;
    eprintln!(
        "surveyed {} names ({} with a lookup unresolved after retries) into {}",
        manifest.names,
        manifest.unresolved_names,
        a.out.display()
    );
    write_tables(&a.out, mailcensus::tabulate::Lang::Ja)?;
    Ok(())
}
