//! Beyond the DNS: what a name's mail hosts and its MTA-STS policy host say over TCP. Each MX
//! host is asked once per run (SMTP on port 25: banner, EHLO, STARTTLS, the TLS handshake, the
//! certificate chain, QUIT), within its own concurrency and rate; the chain is judged under
//! WebPKI and matched against the host's DANE TLSA records (RFC 7672 §3); a name's MTA-STS
//! policy is fetched over HTTPS as RFC 8461 §3.3 says, parsed and matched against its MX.

mod dane;
mod smtp;
mod sts;
mod tls;

pub use crate::policy::transport::{CertVerdict, DaneMatch, SmtpOutcome, StsOutcome};
pub use dane::dane_match;
pub use smtp::SmtpProbe;
pub use sts::StsFetch;
pub use tls::{TlsFacts, TlsVersion};

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use tokio::sync::{OnceCell, Semaphore, SemaphorePermit};

use crate::record::{Check, Checks};

/// How the transport checks connect: ports, patience, politeness and trust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TransportOptions {
    /// The name given in EHLO: a name of the surveying organisation that resolves, as
    /// RFC 5321 §4.1.1.1 asks of a client.
    pub helo: String,
    /// The port mail hosts are asked at (25; the simulator's servers listen elsewhere).
    pub smtp_port: u16,
    /// The port MTA-STS policy hosts are asked at (443; likewise).
    pub https_port: u16,
    /// Milliseconds each step may take: the connection, each reply, the handshake, the
    /// policy's response.
    pub timeout_ms: u64,
    /// Connections open at once, over all hosts.
    pub concurrency: usize,
    /// New connections per second, over all hosts.
    pub rate: u32,
    /// PEM files of roots trusted beside the system's (`--ca-file`).
    pub ca_files: Vec<PathBuf>,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            helo: DEFAULT_HELO.to_string(),
            smtp_port: 25,
            https_port: 443,
            timeout_ms: 15_000,
            concurrency: 32,
            rate: 20,
            ca_files: Vec::new(),
        }
    }
}

/// The EHLO name where `--smtp-helo` gives none: the tool's, which says what is asking.
pub const DEFAULT_HELO: &str = "mailcensus.invalid";

/// What the checks cost: connections made and bytes each way, for the manifest.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransportCost {
    pub smtp_connections: u64,
    pub https_connections: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

impl TransportCost {
    pub fn plus(self, o: TransportCost) -> TransportCost {
        TransportCost {
            smtp_connections: self.smtp_connections + o.smtp_connections,
            https_connections: self.https_connections + o.https_connections,
            bytes_sent: self.bytes_sent + o.bytes_sent,
            bytes_received: self.bytes_received + o.bytes_received,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("cannot read the CA file {path}: {source}")]
    CaFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} holds no PEM certificate: give a file of -----BEGIN CERTIFICATE----- blocks")]
    NoCertificate { path: PathBuf },
    #[error(
        "no trusted roots: the system has none (install ca-certificates) and no --ca-file was given"
    )]
    NoRoots,
}

/// The connections of a run: its trust, its limits, each MX host's probe shared by every name
/// that names the host, and the bytes spent.
pub struct Transport {
    opts: TransportOptions,
    tls: tls::Trust,
    open: Semaphore,
    pace: DefaultDirectRateLimiter,
    smtp: Mutex<HashMap<String, Arc<OnceCell<SmtpProbe>>>>,
    smtp_connections: AtomicU64,
    https_connections: AtomicU64,
    sent: AtomicU64,
    received: AtomicU64,
}

impl Transport {
    pub fn new(opts: TransportOptions) -> Result<Transport, TransportError> {
        let tls = tls::Trust::new(&opts.ca_files)?;
        let rate = NonZeroU32::new(opts.rate.max(1)).expect("at least 1");
        Ok(Transport {
            open: Semaphore::new(opts.concurrency.max(1)),
            pace: RateLimiter::direct(Quota::per_second(rate)),
            tls,
            opts,
            smtp: Mutex::default(),
            smtp_connections: AtomicU64::new(0),
            https_connections: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
        })
    }

    /// Whether `checks` has a check that connects.
    pub fn needed(checks: &Checks) -> bool {
        Check::ALL.iter().any(|c| c.connects() && checks.has(*c))
    }

    /// The connections of a crawl, where `checks` has a check that connects.
    pub fn for_checks(
        checks: &Checks,
        opts: &TransportOptions,
    ) -> Result<Option<Arc<Transport>>, TransportError> {
        match Transport::needed(checks) {
            true => Ok(Some(Arc::new(Transport::new(opts.clone())?))),
            false => Ok(None),
        }
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(self.opts.timeout_ms)
    }

    /// The SMTP probe of `host` at the first of `addresses`, made once per run: a name that
    /// names a host already asked (or being asked) gets the same probe. `tlsa` are the host's
    /// usable, authenticated TLSA records, matched against the chain it presents (the first
    /// asker's: a host's TLSA answer is the run's for every name).
    pub async fn smtp(&self, host: &str, addresses: &[IpAddr], tlsa: &[String]) -> SmtpProbe {
        let cell = {
            let mut map = self.smtp.lock().expect("smtp lock");
            map.entry(host.to_string()).or_default().clone()
        };
        cell.get_or_init(|| async {
            let Some(ip) = addresses.first() else {
                return SmtpProbe::no_address();
            };
            let _slot = self.admit(&self.smtp_connections).await;
            let addr = SocketAddr::new(*ip, self.opts.smtp_port);
            let helo = &self.opts.helo;
            let p = smtp::probe(addr, host, helo, &self.tls, tlsa, self.timeout()).await;
            self.count_bytes(p.sent, p.received);
            p
        })
        .await
        .clone()
    }

    /// The MTA-STS policy of `name`, fetched from its policy host at the first of
    /// `addresses`, and judged against the name's MX `hosts`.
    pub async fn sts(&self, name: &str, addresses: &[IpAddr], hosts: &[String]) -> StsFetch {
        let Some(ip) = addresses.first() else {
            return StsFetch::of(StsOutcome::NoAddress);
        };
        let _slot = self.admit(&self.https_connections).await;
        let addr = SocketAddr::new(*ip, self.opts.https_port);
        let f = sts::fetch(addr, name, hosts, &self.tls, self.timeout()).await;
        self.count_bytes(f.sent, f.received);
        f
    }

    /// A connection's turn, within the concurrency and the rate, counted in `connections`;
    /// held until the permit is dropped.
    async fn admit(&self, connections: &AtomicU64) -> SemaphorePermit<'_> {
        let slot = self.open.acquire().await.expect("never closed");
        self.pace.until_ready().await;
        connections.fetch_add(1, Ordering::Relaxed);
        slot
    }

    fn count_bytes(&self, sent: u64, received: u64) {
        self.sent.fetch_add(sent, Ordering::Relaxed);
        self.received.fetch_add(received, Ordering::Relaxed);
    }

    /// The connections and bytes spent so far.
    pub fn cost(&self) -> TransportCost {
        TransportCost {
            smtp_connections: self.smtp_connections.load(Ordering::Relaxed),
            https_connections: self.https_connections.load(Ordering::Relaxed),
            bytes_sent: self.sent.load(Ordering::Relaxed),
            bytes_received: self.received.load(Ordering::Relaxed),
        }
    }
}
