//! `mailcensus sim`: the simulated population, served, listed or exported.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use mailcensus::sim::{
    Corpus, Faults, LgSpec, Population, SimServer, TypeSpec, write_list, write_zonefile,
};

use super::output::{create, file_or_stdout, write_file};

/// Which population; shared with `demo`.
#[derive(clap::Args, Clone)]
pub struct PopulationArgs {
    /// Per-type spec shaped like jp-types-2018-07.csv (default: the embedded 2018 table).
    #[arg(long)]
    pub spec: Option<PathBuf>,
    /// Divide every count of the per-type spec by this (a quick, smaller population).
    #[arg(long, default_value_t = 1)]
    pub scale: u64,
    /// Which parts: the per-type population, the 1,788 local governments, or both (at --scale
    /// 1 the real local-government names are placed inside the per-type counts; scaled down,
    /// they are added beside them).
    #[arg(long, value_enum, default_value_t = Parts::Both)]
    pub parts: Parts,
    /// Seed of the generator: same seed, same population.
    #[arg(long, default_value_t = 2018)]
    pub seed: u64,
    /// The month: 0 is the spec exactly; month K is the same names after the changes due by
    /// then (adoptions, drops, policies strengthened or weakened, records newly invalid, in
    /// months 1 to 12), listed with their month by `sim list`.
    #[arg(long, default_value_t = 0)]
    pub month: u32,
    /// Also serve the named records of this JSON-lines file (e.g. the policy agreement
    /// corpus, tests/data/policy-corpus.jsonl).
    #[arg(long)]
    pub corpus: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Parts {
    Types,
    Localgov,
    Both,
}

impl PopulationArgs {
    pub fn build(&self) -> anyhow::Result<Population> {
        let types = match &self.spec {
            Some(p) => TypeSpec::from_path(p)?,
            None => TypeSpec::jp_2018(),
        }
        .scaled(self.scale);
        let lg = LgSpec::lg_2018();
        let pop = match self.parts {
            Parts::Types => Population::new(self.seed, Some(&types), None)?,
            Parts::Localgov => Population::new(self.seed, None, Some(&lg))?,
            Parts::Both if self.scale == 1 => Population::new(self.seed, Some(&types), Some(&lg))?,
            // The 1,788 real names do not fit a scaled-down per-type spec.
            Parts::Both => Population::with_local_governments_beside(self.seed, &types, &lg)?,
        }
        .at_month(self.month);
        Ok(match &self.corpus {
            Some(p) => pop.with_corpus(Corpus::from_path(p)?),
            None => pop,
        })
    }
}

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: SimCommand,
}

#[derive(clap::Subcommand)]
enum SimCommand {
    /// Serve the population over UDP and TCP until interrupted.
    Serve {
        #[command(flatten)]
        population: PopulationArgs,
        /// Address to listen on; port 0 picks a free port (printed).
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
        /// Faults, e.g. `drop=0.1,servfail=0.05,refused=0.01,truncate=0.02,delay=50ms,seed=7,name:x.co.jp=drop`.
        #[arg(long, default_value = "")]
        faults: String,
    },
    /// Serve the population as a delegation tree for a recursive resolver (a root, `jp.`,
    /// and 133 DNS operators of Zipf sizes with profiles: fast, slow, lossy, rate-limited,
    /// dead, half-dead, lame), each on loopback addresses of its own (127.53.x.y), until
    /// interrupted; writes the root hints and the zone list with its ground truth.
    World {
        #[command(flatten)]
        population: PopulationArgs,
        /// The port every server listens on (53: what a resolver asks).
        #[arg(long, default_value_t = 53)]
        port: u16,
        /// Where to write the root hints (Unbound's `root-hints:`).
        #[arg(long)]
        hints: PathBuf,
        /// Where to write the zone list (with an `ns` column and the ground truth).
        #[arg(long)]
        list: PathBuf,
        /// Keep this file up to date (four times a second) with the questions the world has
        /// received and those its rate-limited operators refused, as `questions N` and
        /// `over_limit N` lines: what a benchmark reads between clients.
        #[arg(long, value_name = "FILE")]
        stats: Option<PathBuf>,
    },
    /// Serve the population's mail hosts (SMTP with STARTTLS) and MTA-STS policy hosts
    /// (HTTPS) on 127.25.0.0/16, for the checks that connect, until interrupted; writes the
    /// simulator's CA certificate (give it to `--ca-file`).
    Hosts {
        #[command(flatten)]
        population: PopulationArgs,
        /// The port every host listens on (give it to `--smtp-port` and `--https-port`); 0
        /// picks a free one (printed).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Where to write the CA's certificate (PEM).
        #[arg(long, value_name = "FILE")]
        ca: PathBuf,
    },
    /// Write a certificate chain for HOST signed by the simulator's CA, its key and the CA's
    /// certificate (`HOST.crt`, `HOST.key`, `ca.pem` in DIR), for a real server to present:
    /// the key is the simulated hosts' own, so the population's TLSA digest matches it.
    Cert {
        host: String,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Write the zone list as CSV with the ground truth per name.
    List {
        #[command(flatten)]
        population: PopulationArgs,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write the population as an RFC 1035 master file of the root zone (for Knot or NSD).
    Zonefile {
        #[command(flatten)]
        population: PopulationArgs,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub fn run(a: Args) -> anyhow::Result<()> {
    match a.command {
        SimCommand::Serve {
            population,
            listen,
            faults,
        } => {
            let faults: Faults = faults.parse().map_err(anyhow::Error::msg)?;
            let pop = Arc::new(population.build()?);
            super::runtime()?.block_on(async move {
                let server = SimServer::start(pop.clone(), faults, listen).await?;
                println!(
                    "serving {} names on {} (UDP and TCP)",
                    pop.len(),
                    server.addr()
                );
                tokio::select! {
                    r = server.wait() => r?,
                    _ = tokio::signal::ctrl_c() => {}
                }
                anyhow::Ok(())
            })
        }
        SimCommand::World {
            population,
            port,
            hints,
            list,
            stats,
        } => {
            let pop = Arc::new(population.build()?);
            write_file(&hints, mailcensus::sim::root_hints())?;
            let n = mailcensus::sim::write_world_list(&pop, create(&list)?)?;
            super::runtime()?.block_on(async move {
                let world = mailcensus::sim::SimWorld::start(pop, port).await?;
                println!(
                    "serving {n} names as a delegation tree: root 127.53.0.1:{port}, {} operators",
                    mailcensus::sim::OPERATORS
                );
                let mut tick = tokio::time::interval(std::time::Duration::from_millis(250));
                loop {
                    tokio::select! {
                        r = tokio::signal::ctrl_c() => break r?,
                        _ = tick.tick() => {
                            if let Some(path) = &stats {
                                write_stats(path, &world)?;
                            }
                        }
                    }
                }
                eprintln!(
                    "{} questions, {} refused by rate-limited operators",
                    world.questions(),
                    world.over_limit()
                );
                world.shutdown().await;
                anyhow::Ok(())
            })
        }
        SimCommand::Hosts {
            population,
            port,
            ca,
        } => {
            let pop = Arc::new(population.build()?);
            super::runtime()?.block_on(async move {
                let hosts = mailcensus::sim::SimTransport::start(pop, port).await?;
                write_file(&ca, hosts.ca_pem())?;
                println!(
                    "serving mail and policy hosts on 127.25.0.0/16 port {}",
                    hosts.port()
                );
                tokio::signal::ctrl_c().await?;
                anyhow::Ok(())
            })
        }
        SimCommand::Cert { host, out } => {
            let pki = mailcensus::sim::SimPki::new();
            let (chain, key) = pki.chain_pem(&host);
            std::fs::create_dir_all(&out)?;
            write_file(&out.join(format!("{host}.crt")), chain)?;
            write_file(&out.join(format!("{host}.key")), key)?;
            write_file(&out.join("ca.pem"), pki.ca_pem())?;
            Ok(())
        }
        SimCommand::List { population, out } => {
            let n = write_list(&population.build()?, file_or_stdout(out.as_deref())?)?;
            eprintln!("wrote {n} names");
            Ok(())
        }
        SimCommand::Zonefile { population, out } => {
            let n = write_zonefile(&population.build()?, file_or_stdout(out.as_deref())?)?;
            eprintln!("wrote {n} names");
            Ok(())
        }
    }
}

/// The world's counters, written whole (a temporary file renamed over it), so that a reader
/// never sees half a file.
fn write_stats(path: &std::path::Path, world: &mailcensus::sim::SimWorld) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let text = format!(
        "questions {}\nover_limit {}\n",
        world.questions(),
        world.over_limit()
    );
    write_file(&tmp, text)?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}
