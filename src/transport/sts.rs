//! A name's MTA-STS policy fetched as RFC 8461 §3.3 says: HTTPS to `mta-sts.<name>`, the
//! certificate valid for that host under WebPKI, no redirect followed, HTTP 200 with
//! `text/plain`, the body bounded; then parsed (§3.2) and matched against the MX (§4.1).

use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper::header;
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::tls::{Counted, Trust};
use crate::policy::mailhost::Share;
use crate::policy::mta_sts::{self, StsPolicy};
use crate::policy::transport::{CertVerdict, StsOutcome, StsSeen};

/// A policy fetch and what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StsFetch {
    pub outcome: StsOutcome,
    /// The certificate's verdict, where a handshake completed.
    pub cert: Option<CertVerdict>,
    /// The HTTP status, where one came.
    pub status: Option<u16>,
    pub policy: Option<StsPolicy>,
    /// How many of the name's MX hosts the policy's patterns match.
    pub mx_match: Option<Share>,
    /// Why it failed, in a few words.
    pub error: Option<String>,
    pub sent: u64,
    pub received: u64,
}

impl StsFetch {
    pub fn of(outcome: StsOutcome) -> StsFetch {
        StsFetch {
            outcome,
            cert: None,
            status: None,
            policy: None,
            mx_match: None,
            error: None,
            sent: 0,
            received: 0,
        }
    }

    /// The fetch as the judgement reads it.
    pub fn seen(&self) -> StsSeen<'_> {
        StsSeen {
            outcome: self.outcome,
            policy: self.policy.as_ref(),
            mx_match: self.mx_match,
        }
    }
}

/// Policy bodies read at most: §3.2 does not bound them; 64 KiB is what common senders read.
const MAX_BODY: usize = 64 * 1024;

/// Fetch `name`'s policy from `addr`, each step within `patience`; match it against `hosts`.
pub async fn fetch(
    addr: SocketAddr,
    name: &str,
    hosts: &[String],
    trust: &Trust,
    patience: Duration,
) -> StsFetch {
    let host = mta_sts::policy_host(name);
    let tcp = match timeout(patience, TcpStream::connect(addr)).await {
        Err(_) => return StsFetch::of(StsOutcome::Timeout),
        Ok(Err(e)) => return failed(StsOutcome::Refused, e.to_string()),
        Ok(Ok(tcp)) => tcp,
    };
    let (stream, tally) = Counted::new(tcp);
    // The handshake within `patience`, then the request and the whole response within as long.
    let mut f = match timeout(patience * 2, get(stream, &host, trust, patience)).await {
        Err(_) => StsFetch::of(StsOutcome::Timeout),
        Ok(f) => f,
    };
    if let Some(p) = &f.policy {
        f.mx_match = mta_sts::mx_match(p, hosts);
    }
    (f.sent, f.received) = (tally.sent(), tally.received());
    f
}

fn failed(outcome: StsOutcome, error: String) -> StsFetch {
    StsFetch {
        error: Some(error.chars().take(120).collect()),
        ..StsFetch::of(outcome)
    }
}

async fn get(
    stream: Counted<TcpStream>,
    host: &str,
    trust: &Trust,
    patience: Duration,
) -> StsFetch {
    let (tls, facts, _) = match timeout(patience, trust.handshake(stream, host)).await {
        Err(_) => return StsFetch::of(StsOutcome::Timeout),
        Ok(Err(e)) => return failed(StsOutcome::TlsFailed, e),
        Ok(Ok(done)) => done,
    };
    if facts.cert != CertVerdict::Valid {
        return StsFetch {
            cert: Some(facts.cert),
            ..failed(StsOutcome::TlsFailed, format!("certificate {}", facts.cert))
        };
    }
    let with_cert = |f: StsFetch| StsFetch {
        cert: Some(facts.cert),
        ..f
    };
    let (mut sender, conn) = match hyper::client::conn::http1::handshake(TokioIo::new(tls)).await {
        Ok(pair) => pair,
        Err(e) => return with_cert(failed(StsOutcome::Refused, e.to_string())),
    };
    tokio::spawn(conn);
    let request = hyper::Request::get(mta_sts::POLICY_PATH)
        .header(header::HOST, host)
        .header(
            header::USER_AGENT,
            concat!("mailcensus/", env!("CARGO_PKG_VERSION")),
        )
        .body(Empty::<Bytes>::new())
        .expect("a valid request");
    let response = match sender.send_request(request).await {
        Ok(r) => r,
        Err(e) => return with_cert(failed(StsOutcome::Refused, e.to_string())),
    };
    let status = response.status().as_u16();
    let http_error = |why: String| StsFetch {
        status: Some(status),
        ..with_cert(failed(StsOutcome::HttpError, why))
    };
    if status != 200 {
        return http_error(format!("HTTP {status}"));
    }
    // §3.3: "the media type ... text/plain"; parameters such as charset are allowed.
    let media = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    if media.as_deref() != Some("text/plain") {
        return http_error(format!("Content-Type {}", media.unwrap_or_default()));
    }
    let body = match Limited::new(response.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return http_error(format!("body: {e}")),
    };
    let text = String::from_utf8_lossy(&body);
    match mta_sts::parse_policy(&text) {
        Ok(policy) => StsFetch {
            status: Some(status),
            policy: Some(policy),
            ..with_cert(StsFetch::of(StsOutcome::Fetched))
        },
        Err(e) => StsFetch {
            status: Some(status),
            ..with_cert(failed(StsOutcome::Invalid, e))
        },
    }
}
