//! One MX host asked over SMTP (RFC 5321, RFC 3207): the greeting, EHLO, STARTTLS where
//! offered, the handshake, QUIT. Nothing else is sent: no MAIL, no RCPT, nothing after QUIT.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::dane::dane_match;
use super::tls::{Counted, TlsFacts, Trust};
use crate::policy::transport::{DaneMatch, HostTls, SmtpOutcome};

/// What one MX host said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpProbe {
    pub outcome: SmtpOutcome,
    pub address: Option<IpAddr>,
    /// The greeting's first line, at most [`KEPT`] characters.
    pub banner: Option<String>,
    /// The handshake, where it completed.
    pub tls: Option<TlsFacts>,
    /// Whether a usable, authenticated TLSA record of the host matched the chain it presented
    /// (RFC 7672 §3); `None` without such records or without a handshake.
    pub dane: Option<DaneMatch>,
    /// The reply that refused, or why the handshake failed.
    pub error: Option<String>,
    pub millis: u32,
    pub sent: u64,
    pub received: u64,
}

/// Characters of a banner or an error kept.
const KEPT: usize = 120;
/// Lines of one reply read at most, and octets of one line (RFC 5321 §4.5.3.1.5: 512).
const MAX_LINES: usize = 64;
const MAX_LINE: usize = 2048;

impl SmtpProbe {
    /// The probe as the judgement reads it.
    pub fn seen(&self) -> HostTls {
        HostTls {
            outcome: self.outcome,
            cert: self.tls.as_ref().map(|t| t.cert),
            dane: self.dane,
        }
    }

    pub fn no_address() -> SmtpProbe {
        SmtpProbe::ended(SmtpOutcome::NoAddress, None)
    }

    fn ended(outcome: SmtpOutcome, address: Option<IpAddr>) -> SmtpProbe {
        SmtpProbe {
            outcome,
            address,
            banner: None,
            tls: None,
            dane: None,
            error: None,
            millis: 0,
            sent: 0,
            received: 0,
        }
    }
}

/// Why the dialogue stopped short.
enum Stop {
    Timeout,
    Closed(String),
    Reply(SmtpOutcome, String),
}

impl From<std::io::Error> for Stop {
    fn from(e: std::io::Error) -> Stop {
        match e.kind() {
            std::io::ErrorKind::TimedOut => Stop::Timeout,
            _ => Stop::Closed(e.to_string()),
        }
    }
}

/// Probe `host` at `addr`, each step within `patience`; match the chain against `tlsa` (the
/// host's usable, authenticated TLSA records, if any).
pub async fn probe(
    addr: SocketAddr,
    host: &str,
    helo: &str,
    trust: &Trust,
    tlsa: &[String],
    patience: Duration,
) -> SmtpProbe {
    let start = Instant::now();
    let mut p = SmtpProbe::ended(SmtpOutcome::Refused, Some(addr.ip()));
    let stop = match timeout(patience, TcpStream::connect(addr)).await {
        Err(_) => Some(Stop::Timeout),
        Ok(Err(e)) => Some(Stop::Closed(e.to_string())),
        Ok(Ok(tcp)) => {
            let (stream, tally) = Counted::new(tcp);
            let stop = dialogue(stream, host, helo, trust, tlsa, patience, &mut p)
                .await
                .err();
            (p.sent, p.received) = (tally.sent(), tally.received());
            stop
        }
    };
    match stop {
        Some(Stop::Timeout) => p.outcome = SmtpOutcome::Timeout,
        Some(Stop::Closed(e)) => {
            p.outcome = SmtpOutcome::Refused;
            p.error = Some(clip(&e));
        }
        Some(Stop::Reply(outcome, text)) => {
            p.outcome = outcome;
            p.error = Some(clip(&text));
        }
        None => {}
    }
    p.millis = start.elapsed().as_millis().min(u32::MAX as u128) as u32;
    p
}

async fn dialogue(
    stream: Counted<TcpStream>,
    host: &str,
    helo: &str,
    trust: &Trust,
    tlsa: &[String],
    patience: Duration,
    p: &mut SmtpProbe,
) -> Result<(), Stop> {
    let mut conn = BufReader::new(stream);
    let (code, lines) = reply(&mut conn, patience).await?;
    p.banner = lines.first().map(|l| clip(l));
    if code != 220 {
        return quit_after(conn, patience, SmtpOutcome::Rejected, &lines).await;
    }
    command(&mut conn, &format!("EHLO {helo}"), patience).await?;
    let (code, lines) = reply(&mut conn, patience).await?;
    if code / 100 != 2 {
        return quit_after(conn, patience, SmtpOutcome::Rejected, &lines).await;
    }
    // RFC 3207 §4: the keyword STARTTLS on a line of the EHLO reply.
    let offered = lines.iter().skip(1).any(|l| {
        l.split_whitespace()
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case("STARTTLS"))
    });
    if !offered {
        p.outcome = SmtpOutcome::NoStarttls;
        command(&mut conn, "QUIT", patience).await?;
        return Ok(());
    }
    command(&mut conn, "STARTTLS", patience).await?;
    let (code, lines) = reply(&mut conn, patience).await?;
    if code != 220 {
        return quit_after(conn, patience, SmtpOutcome::TlsFailed, &lines).await;
    }
    // RFC 3207 §5: nothing the server sent before the handshake may be read after it.
    let plain = conn.into_inner();
    let (tls, facts, chain) = match timeout(patience, trust.handshake(plain, host)).await {
        Err(_) => return Err(Stop::Timeout),
        Ok(Err(e)) => return Err(Stop::Reply(SmtpOutcome::TlsFailed, e)),
        Ok(Ok(done)) => done,
    };
    p.outcome = SmtpOutcome::Tls;
    p.dane = dane_match(trust, tlsa, &chain, host);
    p.tls = Some(facts);
    let mut conn = BufReader::new(tls);
    command(&mut conn, "QUIT", patience).await?;
    // The 221 is read so that the server closes first; its absence changes nothing.
    let _ = reply(&mut conn, patience).await;
    let _ = timeout(patience, conn.get_mut().shutdown()).await;
    Ok(())
}

/// Send QUIT after a reply that ends the probe as `outcome`.
async fn quit_after<S: AsyncBufRead + AsyncWrite + Unpin>(
    mut conn: S,
    patience: Duration,
    outcome: SmtpOutcome,
    lines: &[String],
) -> Result<(), Stop> {
    let _ = command(&mut conn, "QUIT", patience).await;
    Err(Stop::Reply(outcome, lines.join(" / ")))
}

async fn command<S: AsyncWrite + Unpin>(
    conn: &mut S,
    line: &str,
    patience: Duration,
) -> Result<(), Stop> {
    let write = async {
        conn.write_all(format!("{line}\r\n").as_bytes()).await?;
        conn.flush().await
    };
    timeout(patience, write)
        .await
        .map_err(|_| Stop::Timeout)??;
    Ok(())
}

/// One reply (RFC 5321 §4.2): lines `CODE-text` until `CODE text`; the code and the lines'
/// texts.
async fn reply<S: AsyncBufRead + Unpin>(
    conn: &mut S,
    patience: Duration,
) -> Result<(u16, Vec<String>), Stop> {
    let mut lines = Vec::new();
    loop {
        let mut raw = Vec::new();
        let mut limited = (&mut *conn).take(MAX_LINE as u64);
        let read = limited.read_until(b'\n', &mut raw);
        let n = timeout(patience, read).await.map_err(|_| Stop::Timeout)??;
        if n == 0 {
            return Err(Stop::Closed("closed before its reply ended".to_string()));
        }
        let line = String::from_utf8_lossy(&raw);
        let line = line.trim_end_matches(['\r', '\n']);
        let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
        let (Some(code), sep) = (code, line.as_bytes().get(3).copied()) else {
            return Err(Stop::Closed(format!("not an SMTP reply: {}", clip(line))));
        };
        lines.push(line.get(4..).unwrap_or("").to_string());
        if sep != Some(b'-') || lines.len() >= MAX_LINES {
            return Ok((code, lines));
        }
    }
}

fn clip(s: &str) -> String {
    s.chars().take(KEPT).collect()
}
