//! `mailcensus survey`: crawl a zone list into a run folder, then write its tables.

use std::path::PathBuf;
use std::time::Duration;

use mailcensus::crawl::{Checks, CrawlOptions, LastPass};
use mailcensus::dns::{ClientOptions, parse_server};
use mailcensus::run::{Manifest, Period, RunDir, ShardSpec};
use mailcensus::survey::{SurveyConfig, retry_unresolved, survey};
use mailcensus::transport::TransportOptions;
use mailcensus::zone::{ZoneEncoding, ZoneFormat};

use super::progress::Progress;

use super::output::{Source, write_tables};

/// How the crawler behaves; shared with `demo`. Each option is `None` where not given, so
/// that `--resume` and `--retry-unresolved` change only what the command line says.
#[derive(clap::Args, Clone)]
pub struct CrawlArgs {
    /// Queries per second over all lookups (default: unlimited; be polite to real resolvers).
    #[arg(long)]
    pub qps: Option<u32>,
    /// Names in flight at once (three lookups each, more with --checks) [default: 256].
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Further attempts after a timeout, SERVFAIL, REFUSED or error [default: 2].
    #[arg(long)]
    pub retries: Option<u32>,
    /// How long one attempt waits, in milliseconds [default: 2000].
    #[arg(long)]
    pub timeout_ms: Option<u64>,
    /// Queries a second to one DNS operator at the most, where the zone list has an `ns`
    /// column (NS host names of each name) that says which operator serves it; 0: no limit
    /// [default: 100].
    #[arg(long, value_name = "QPS")]
    pub operator_qps: Option<u32>,
    /// Names of one DNS operator in flight at the most (halved while its answers fail),
    /// where the zone list has an `ns` column [default: 8].
    #[arg(long, value_name = "N")]
    pub operator_concurrency: Option<u32>,
    /// After the whole list, wait this long, then ask again the names whose lookups failed
    /// (a recursive resolver keeps resolving a question it stopped answering, and has the
    /// answer in its cache by then) [default: 2000].
    #[arg(long, value_name = "MS")]
    pub last_pass_pause_ms: Option<u64>,
    /// How long one attempt of that last pass waits, in milliseconds [default: 5000].
    #[arg(long, value_name = "MS")]
    pub last_pass_timeout_ms: Option<u64>,
    /// No last pass: names whose lookups failed stay unresolved (`--retry-unresolved` asks
    /// them later).
    #[arg(long)]
    pub no_last_pass: bool,
    /// No progress bar or progress log lines.
    #[arg(long)]
    pub quiet: bool,
    /// Lookups beyond MX, SPF and DMARC: `all`, `none`, or a list of bimi, mta-sts, tls-rpt,
    /// rua (verify external DMARC report destinations), dnssec (the resolver's AD bit), ns
    /// (DNS operators), dkim (keys under `_domainkey`), mx-ip (A/AAAA of each MX host), dane
    /// (TLSA of each MX host); each goes through the same rate limit. And the checks that
    /// connect, never brought by `all`: starttls (SMTP to each MX host, once per run: STARTTLS,
    /// TLS, the certificate; with dane, the TLSA records matched against the chain) and
    /// mta-sts-policy (the policy fetched over HTTPS), within their own rate
    /// (`--connect-rate`). Default: none for `survey`, all for `demo`; a resumed or retried
    /// run keeps its own.
    #[arg(long, value_name = "LIST")]
    pub checks: Option<Checks>,
    #[command(flatten)]
    pub transport: TransportArgs,
}

/// How the checks that connect (starttls, mta-sts-policy) connect; shared with `check`.
#[derive(clap::Args, Clone, Default)]
pub struct TransportArgs {
    /// The name the starttls check gives in EHLO: one of yours that resolves, so that a mail
    /// host's operator can tell who asked [default: mailcensus.invalid].
    #[arg(long, value_name = "NAME")]
    pub smtp_helo: Option<String>,
    /// The port the starttls check connects to [default: 25].
    #[arg(long, value_name = "PORT")]
    pub smtp_port: Option<u16>,
    /// The port the mta-sts-policy check connects to [default: 443].
    #[arg(long, value_name = "PORT")]
    pub https_port: Option<u16>,
    /// How long each step of a connection may take (the connection, each reply, the
    /// handshake), in milliseconds [default: 15000].
    #[arg(long, value_name = "MS")]
    pub connect_timeout_ms: Option<u64>,
    /// Connections open at once, over all hosts [default: 32].
    #[arg(long, value_name = "N")]
    pub connect_concurrency: Option<usize>,
    /// New connections a second, over all hosts [default: 20].
    #[arg(long, value_name = "N")]
    pub connect_rate: Option<u32>,
    /// A PEM file of roots to trust beside the system's (repeatable).
    #[arg(long, value_name = "FILE")]
    pub ca_file: Vec<PathBuf>,
}

impl TransportArgs {
    /// The options given, in `t`'s place; each as (`option`, value) where given.
    fn apply(&self, t: &mut TransportOptions) -> Vec<(&'static str, Option<String>)> {
        t.helo = self.smtp_helo.clone().unwrap_or(t.helo.clone());
        t.smtp_port = self.smtp_port.unwrap_or(t.smtp_port);
        t.https_port = self.https_port.unwrap_or(t.https_port);
        t.timeout_ms = self.connect_timeout_ms.unwrap_or(t.timeout_ms);
        t.concurrency = self.connect_concurrency.unwrap_or(t.concurrency);
        t.rate = self.connect_rate.unwrap_or(t.rate);
        t.ca_files.extend(self.ca_file.iter().cloned());
        let files: Vec<String> = self
            .ca_file
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        vec![
            ("smtp-helo", self.smtp_helo.clone()),
            ("smtp-port", shown(self.smtp_port)),
            ("https-port", shown(self.https_port)),
            ("connect-timeout-ms", shown(self.connect_timeout_ms)),
            ("connect-concurrency", shown(self.connect_concurrency)),
            ("connect-rate", shown(self.connect_rate)),
            ("ca-file", (!files.is_empty()).then(|| files.join(" "))),
        ]
    }

    /// The options, the defaults where not given.
    pub fn options(&self) -> TransportOptions {
        let mut t = TransportOptions::default();
        self.apply(&mut t);
        t
    }
}

fn shown(v: Option<impl std::fmt::Display>) -> Option<String> {
    v.map(|v| v.to_string())
}

impl CrawlArgs {
    /// The survey's configuration; `default_checks` where `--checks` is not given.
    pub fn config(
        &self,
        input: PathBuf,
        (format, encoding): (ZoneFormat, ZoneEncoding),
        out: PathBuf,
        resolvers: Vec<std::net::SocketAddr>,
        default_checks: Checks,
    ) -> SurveyConfig {
        let mut cfg = SurveyConfig {
            input,
            format,
            encoding,
            period: None,
            out,
            resolvers,
            client: ClientOptions::default(),
            crawl: CrawlOptions {
                checks: self.checks.clone().unwrap_or(default_checks),
                ..CrawlOptions::default()
            },
            command: std::env::args().collect(),
            resume: false,
            shard: None,
            changed: Vec::new(),
        };
        self.apply(&mut cfg);
        cfg
    }

    /// The rate, concurrency, retries and waits given on the command line, in `cfg`'s place;
    /// what they changed, as `--option value`.
    fn apply(&self, cfg: &mut SurveyConfig) -> Vec<String> {
        let c = &mut cfg.crawl;
        c.qps = self.qps.or(c.qps);
        c.concurrency = self.concurrency.unwrap_or(c.concurrency);
        c.retries = self.retries.unwrap_or(c.retries);
        if let Some(ms) = self.timeout_ms {
            cfg.client.timeout = Duration::from_millis(ms);
        }
        if let Some(q) = self.operator_qps {
            c.operator_qps = (q > 0).then_some(q);
        }
        if let Some(n) = self.operator_concurrency {
            c.operator_concurrency = n.max(1);
        }
        if self.no_last_pass {
            c.last_pass = None;
        } else if self.last_pass_pause_ms.is_some() || self.last_pass_timeout_ms.is_some() {
            let pass = c.last_pass.get_or_insert_with(LastPass::default);
            pass.pause_ms = self.last_pass_pause_ms.unwrap_or(pass.pause_ms);
            pass.timeout_ms = self.last_pass_timeout_ms.unwrap_or(pass.timeout_ms);
        }
        let transport = self.transport.apply(&mut c.transport);
        [
            ("qps", shown(self.qps)),
            ("concurrency", shown(self.concurrency)),
            ("retries", shown(self.retries)),
            ("timeout-ms", shown(self.timeout_ms)),
            ("operator-qps", shown(self.operator_qps)),
            ("operator-concurrency", shown(self.operator_concurrency)),
            ("no-last-pass", self.no_last_pass.then(String::new)),
            ("last-pass-pause-ms", shown(self.last_pass_pause_ms)),
            ("last-pass-timeout-ms", shown(self.last_pass_timeout_ms)),
        ]
        .into_iter()
        .chain(transport)
        .filter_map(|(name, v)| Some(format!("--{name} {}", v?)))
        .collect()
    }

    /// A resumed or retried run's own configuration with the options given that may change
    /// (rate, concurrency, retries, waits), recorded in `cfg.changed`; `--checks` cannot
    /// change, for a run's names must all be asked the same lookups.
    pub fn resumed(&self, mut cfg: SurveyConfig) -> anyhow::Result<SurveyConfig> {
        if let Some(checks) = &self.checks {
            anyhow::ensure!(
                *checks == cfg.crawl.checks,
                "--checks cannot change for a run under way ({} was started with --checks {}): every name of a run is asked the same lookups; survey into a new run folder for others",
                cfg.out.display(),
                cfg.crawl.checks
            );
        }
        cfg.changed = self.apply(&mut cfg);
        Ok(cfg)
    }
}

#[derive(clap::Args)]
pub struct Args {
    /// Zone list: text or CSV with a `domain` column; gzip or not; `-` for stdin.
    #[arg(required_unless_present_any = ["resume", "retry_unresolved"])]
    zonelist: Option<PathBuf>,
    /// Resolver to ask, ADDR[:PORT] (repeatable; default: the system's resolv.conf).
    #[arg(long = "resolver")]
    resolvers: Vec<String>,
    /// The run folder to write.
    #[arg(long, required_unless_present_any = ["resume", "retry_unresolved"])]
    out: Option<PathBuf>,
    /// Finish an interrupted run (after a crash, kill -9 included) with the input, resolvers
    /// and options it was started with: names already journaled are not crawled again.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["zonelist", "out", "resolvers"])]
    resume: Option<PathBuf>,
    /// Crawl again, with the run's resolvers and options, only the names of a finished run
    /// that ended unresolved; their new rows replace the old in results and tables.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["zonelist", "out", "resolvers", "resume"])]
    retry_unresolved: Option<PathBuf>,
    /// How the list is laid out: auto (from the file name, `.csv` or `.csv.gz`, or a first
    /// line with a `domain` column), text (one name a line, `#` comments) or csv (a header
    /// row with a `domain` column).
    #[arg(long, value_parser = super::code::<ZoneFormat>(), default_value_t = ZoneFormat::Auto)]
    format: ZoneFormat,
    /// The list's encoding: auto (a byte-order mark, else UTF-8 where the start is valid
    /// UTF-8, else EUC-JP or Shift_JIS, whichever reads it), or one of utf-8, utf-16le,
    /// utf-16be, shift_jis (CP932, Excel's CSV in Japan), euc-jp.
    #[arg(long, value_parser = super::code::<ZoneEncoding>(), default_value_t = ZoneEncoding::Auto)]
    encoding: ZoneEncoding,
    /// The month the run describes, YYYY-MM (default: the month it starts in): `trend`,
    /// `report --compare`, `query` and `diff` order runs by it, so that a survey of October
    /// made in December is still October's.
    #[arg(long, value_name = "YYYY-MM", conflicts_with_all = ["resume", "retry_unresolved"])]
    period: Option<Period>,
    /// Survey one shard of the list: K/N (1 <= K <= N) takes the names whose registered
    /// domain hashes to K of N, whatever the input order; `auto` reads the array task from
    /// Slurm (SLURM_ARRAY_TASK_ID/_COUNT) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX
    /// with MAILCENSUS_SHARD_COUNT). Join the shards' run folders with `mailcensus merge`.
    #[arg(long, value_name = "K/N|auto", conflicts_with_all = ["resume", "retry_unresolved"])]
    shard: Option<ShardSpec>,
    #[command(flatten)]
    crawl: CrawlArgs,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    if let Some(dir) = &a.retry_unresolved {
        let cfg = a
            .crawl
            .resumed(SurveyConfig::from_run(dir, std::env::args().collect())?)?;
        let mut progress = Progress::new(!a.crawl.quiet);
        let (m, n) = super::crawl_runtime()?.block_on(retry_unresolved(&cfg, &mut progress))?;
        eprintln!(
            "retried {n} unresolved names; {} remain unresolved in {}",
            m.unresolved_names,
            dir.display()
        );
        if n > 0 {
            write_tables(dir, Source::Written)?;
        }
        return Ok(());
    }
    let cfg = match (&a.resume, a.zonelist, a.out) {
        (Some(dir), _, _) => a
            .crawl
            .resumed(SurveyConfig::from_run(dir, std::env::args().collect())?)?,
        (None, Some(list), Some(out)) => {
            let resolvers = a
                .resolvers
                .iter()
                .map(|r| parse_server(r))
                .collect::<Result<Vec<_>, _>>()?;
            let mut cfg = a.crawl.config(
                list,
                (a.format, a.encoding),
                out,
                resolvers,
                Checks::default(),
            );
            cfg.shard = a.shard.map(ShardSpec::resolve).transpose()?;
            cfg.period = a.period;
            cfg
        }
        _ => anyhow::bail!("give a zone list and --out, or --resume DIR"),
    };
    // Resuming a finished run only tabulates its results again: files this process did not
    // write get every code checked.
    let source = match cfg.resume && RunDir::open(&cfg.out)?.is_complete()? {
        true => Source::Found,
        false => Source::Written,
    };
    let mut progress = Progress::new(!a.crawl.quiet);
    let manifest = super::crawl_runtime()?.block_on(survey(&cfg, &mut progress))?;
    say_what_came_of(&cfg, &manifest);
    write_tables(&cfg.out, source)?;
    Ok(())
}

/// The survey's last lines: names, unresolved, the last pass, category conflicts, retries.
fn say_what_came_of(cfg: &SurveyConfig, manifest: &Manifest) {
    let part = cfg
        .shard
        .map_or_else(String::new, |s| format!(" of shard {s}"));
    let z = manifest.zone;
    eprintln!(
        "surveyed {} names{part} ({} with a lookup unresolved after retries) into {}; of the list's {} names, {} were duplicates and {} rejected (rejects.csv)",
        manifest.names,
        manifest.unresolved_names,
        cfg.out.display(),
        z.read,
        z.duplicates,
        z.rejected
    );
    if let Some(p) = manifest.last_pass {
        eprintln!(
            "last pass: {} of {} names asked again resolved{}{}",
            p.recovered,
            p.names,
            match p.broken {
                0 => String::new(),
                n => format!(
                    "; {n} more not asked again: their operator resolved none of its names, nor did its scouts"
                ),
            },
            match p.not_asked {
                0 => String::new(),
                n => format!("; {n} more left to `mailcensus survey --retry-unresolved`"),
            }
        );
    }
    if manifest.zone.category_conflicts > 0 {
        eprintln!(
            "{} names' category column says another JP type than the name does; the name's type is used (`mailcensus classify` names the first)",
            manifest.zone.category_conflicts
        );
    }
    warn_retries(manifest);
}

/// Say so when more than one lookup in a hundred needed another attempt: a server dropping
/// queries is being asked faster than it answers.
fn warn_retries(m: &Manifest) {
    let lookups: u64 = m.outcomes.values().flat_map(|o| o.values()).sum();
    if lookups == 0 || m.retried_lookups * 100 < lookups {
        return;
    }
    eprintln!(
        "{} of {lookups} lookups ({:.1} %) took more than one attempt: the server lost queries or \
         answered later than its round trips promised. If it is yours, or a resolver on this \
         host, a lower --concurrency (this run: {}) or a larger receive buffer may suit it",
        m.retried_lookups,
        m.retried_lookups as f64 * 100.0 / lookups as f64,
        m.options.concurrency
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Given {
        #[command(flatten)]
        crawl: CrawlArgs,
    }

    fn given(args: &[&str]) -> CrawlArgs {
        Given::parse_from(std::iter::once("survey").chain(args.iter().copied())).crawl
    }

    #[test]
    fn a_resumed_run_runs_at_the_rates_given_and_keeps_the_rest_of_its_own() {
        let mut own = given(&[]).config(
            PathBuf::from("list.csv"),
            (ZoneFormat::Auto, ZoneEncoding::Auto),
            PathBuf::from("run"),
            Vec::new(),
            Checks::default(),
        );
        own.crawl.concurrency = 16;
        let cfg = given(&["--concurrency", "64", "--timeout-ms", "500"])
            .resumed(own.clone())
            .unwrap();
        // What the crawler and the client are built with for the resumed pass.
        assert_eq!(cfg.crawl.concurrency, 64);
        assert_eq!(cfg.client.timeout, Duration::from_millis(500));
        assert_eq!(
            (cfg.crawl.retries, cfg.crawl.qps, cfg.crawl.last_pass),
            (own.crawl.retries, own.crawl.qps, own.crawl.last_pass)
        );
        assert_eq!(cfg.changed, ["--concurrency 64", "--timeout-ms 500"]);
        assert!(given(&[]).resumed(own.clone()).unwrap().changed.is_empty());
        let err = given(&["--checks", "all"]).resumed(own).unwrap_err();
        assert!(err.to_string().contains("--checks cannot change"), "{err}");
    }
}
