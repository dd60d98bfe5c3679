//! The DNS client: the name servers the user names, asked over a pooled UDP transport with a
//! pipelined TCP connection for truncated replies, and the one typed outcome every lookup ends
//! in. One call is one attempt; retries and the rate limit are the crawler's.

mod tcp;
mod udp;
mod wire;

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, Record, RecordType};
use serde::{Deserialize, Serialize};

use tcp::{TcpError, TcpTransport};
pub use udp::grow_receive_buffer;
use udp::{Reply, UdpError, UdpTransport};
use wire::WireName;

#[derive(Debug, thiserror::Error)]
pub enum DnsClientError {
    #[error(
        "bad resolver address {0:?}: write an IP address with an optional port, e.g. 127.0.0.1:5353 or [::1]:53"
    )]
    BadAddress(String),
    #[error(
        "cannot read the system's resolver configuration: {0}; name the resolvers with --resolver"
    )]
    System(String),
    #[error("cannot build the resolver: {0}")]
    Build(String),
}

crate::codes! {
    /// How one lookup ended. `Answer` alone says what exists; the failures (`ServFail`,
    /// `Refused`, `Timeout`, `Error`) say nothing about the record and must never be read as
    /// "absent".
    pub enum Outcome {
        Answer => "answer",
        NxDomain => "nxdomain",
        NoData => "nodata",
        ServFail => "servfail",
        Refused => "refused",
        Timeout => "timeout",
        Error => "error",
        /// The question cannot be asked: the name is over 255 octets on the wire (RFC 1035
        /// §2.3.4) or otherwise not a domain name.
        BadName => "badname",
        /// The answer is over the client's bounds ([`MAX_RECORDS`], [`MAX_ANSWER_BYTES`],
        /// [`MAX_TXT_STRINGS`], [`MAX_CNAMES`]): a hostile or broken zone. Its records are not
        /// kept.
        Oversize => "oversize",
        /// The answer's CNAMEs point back to a name already in the chain.
        CnameLoop => "cname-loop",
        /// A reply to the question came but cannot be read (a TXT record with no
        /// character-string, RFC 1035 §3.3.14; RDATA past its length): the server's fault,
        /// known at once, and not asked again, since it would answer the same.
        Malformed => "malformed",
    }
}

/// Records kept from one answer at most.
pub const MAX_RECORDS: usize = 64;
/// Octets of record text kept from one answer at most (an SPF record is at most a few
/// hundred; 16 KiB holds any sane RRset).
pub const MAX_ANSWER_BYTES: usize = 16 * 1024;
/// TXT character-strings kept from one answer at most (a 16 KiB RRset needs 65).
pub const MAX_TXT_STRINGS: usize = 256;
/// CNAMEs followed in one answer at most (RFC 1034 §3.6.2 asks resolvers to bound chains).
pub const MAX_CNAMES: usize = 8;

impl Outcome {
    /// The lookup settled what the name has (records, or their absence).
    pub fn is_resolved(self) -> bool {
        matches!(self, Outcome::Answer | Outcome::NxDomain | Outcome::NoData)
    }

    /// Worth another attempt: the server may answer next time.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Outcome::Timeout | Outcome::ServFail | Outcome::Refused | Outcome::Error
        )
    }
}

/// The records of one answer, in presentation form: MX as `10 mx.example.jp.`, TXT with its
/// character-strings joined with nothing between (RFC 7208 §3.3), CNAME targets apart.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Answer {
    pub records: Vec<String>,
    /// The character-strings the TXT records came in, counted against [`MAX_TXT_STRINGS`].
    pub txt_strings: usize,
    pub cnames: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupResult {
    pub outcome: Outcome,
    pub answer: Answer,
    /// The error's text, for `Error` (and what a timeout or failure said).
    pub detail: Option<String>,
    /// The reply's AD bit (RFC 4035 §3.2.3: a validating resolver vouches for the answer, or
    /// for the denial, with DNSSEC); `None` where no reply came or it came over the TCP
    /// fallback, whose query does not ask for the bit.
    pub authentic: Option<bool>,
}

impl LookupResult {
    fn failed(outcome: Outcome, detail: String) -> LookupResult {
        LookupResult {
            outcome,
            answer: Answer::default(),
            detail: Some(detail),
            authentic: None,
        }
    }
}

/// Parse `ADDR[:PORT]`, `[V6]:PORT`; port 53 by default.
pub fn parse_server(s: &str) -> Result<SocketAddr, DnsClientError> {
    if let Ok(sa) = SocketAddr::from_str(s) {
        return Ok(sa);
    }
    IpAddr::from_str(s.trim_start_matches('[').trim_end_matches(']'))
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| DnsClientError::BadAddress(s.to_string()))
}

/// Options of the client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// How long one attempt waits for an answer.
    pub timeout: Duration,
    /// Ask for recursion (needed through a recursive resolver; harmless to an authoritative).
    pub recursion_desired: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(2),
            recursion_desired: true,
        }
    }
}

/// How long one attempt waits for its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Patience {
    /// The server's retransmission timeout (its measured round trips), at most the timeout.
    Rto,
    /// The whole timeout: the last attempt, where a late answer must still count.
    Full,
}

/// UDP sockets per name server: enough message IDs for any concurrency, few enough to poll.
const SOCKETS_PER_SERVER: usize = 16;

/// A client with no cache (a survey asks each question once; an answer from cache would hide a
/// failure), no search list, one attempt per call. Queries go round-robin over the servers'
/// pooled UDP transports; a truncated reply is asked again over the same server's TCP
/// connection.
pub struct DnsClient {
    udp: Vec<UdpTransport>,
    tcp: Vec<TcpTransport>,
    next: AtomicUsize,
    timeout: Duration,
}

/// The name servers of the system's resolv.conf, with their UDP ports.
fn system_servers() -> Result<Vec<SocketAddr>, DnsClientError> {
    let (config, _) = hickory_resolver::system_conf::read_system_conf()
        .map_err(|e| DnsClientError::System(e.to_string()))?;
    Ok(config
        .name_servers()
        .iter()
        .map(|ns| {
            let port = ns.connections.first().map_or(53, |c| c.port);
            SocketAddr::new(ns.ip, port)
        })
        .collect())
}

impl DnsClient {
    /// Point at these servers; empty means the system's resolv.conf. Starts the sockets'
    /// receive tasks on the current Tokio runtime.
    pub async fn new(
        servers: &[SocketAddr],
        opts: &ClientOptions,
    ) -> Result<DnsClient, DnsClientError> {
        let servers = if servers.is_empty() {
            system_servers()?
        } else {
            servers.to_vec()
        };
        if servers.is_empty() {
            return Err(DnsClientError::System(
                "resolv.conf names no name server".to_string(),
            ));
        }
        let mut udp = Vec::with_capacity(servers.len());
        for sa in &servers {
            udp.push(
                UdpTransport::connect(*sa, SOCKETS_PER_SERVER, opts.recursion_desired)
                    .await
                    .map_err(|e| DnsClientError::Build(format!("UDP socket to {sa}: {e}")))?,
            );
        }
        let tcp = servers
            .iter()
            .map(|sa| TcpTransport::new(*sa, opts.recursion_desired))
            .collect();
        Ok(DnsClient {
            udp,
            tcp,
            next: AtomicUsize::new(0),
            timeout: opts.timeout,
        })
    }

    /// One attempt at `name`/`rtype`. A `Patience::Rto` attempt gives up after the server's
    /// retransmission timeout, for callers that will try again.
    pub async fn lookup(&self, name: &str, rtype: RecordType, patience: Patience) -> LookupResult {
        let qname = match WireName::parse(name) {
            Ok(n) => n,
            Err(e) => return LookupResult::failed(Outcome::BadName, format!("bad name: {e}")),
        };
        let server = self.next.fetch_add(1, Ordering::Relaxed) % self.udp.len();
        let udp = &self.udp[server];
        let timeout = match patience {
            Patience::Rto => udp.first_timeout(self.timeout),
            Patience::Full => self.timeout,
        };
        let timed_out = || LookupResult::failed(Outcome::Timeout, "request timed out".to_string());
        match udp.query(&qname, rtype, timeout).await {
            Ok(reply) if !reply.truncated() => read(reply, rtype),
            // Truncated, or no free message ID: asked again over TCP, with the whole timeout.
            // Boxed: only the few truncated replies need the TCP query's room in their future.
            Ok(_) | Err(UdpError::Busy) => {
                match Box::pin(self.tcp[server].query(&qname, rtype, self.timeout)).await {
                    Ok(reply) => read(reply, rtype),
                    Err(TcpError::Timeout) => timed_out(),
                    Err(TcpError::Failed(detail)) => LookupResult::failed(Outcome::Error, detail),
                }
            }
            Err(UdpError::Timeout) => timed_out(),
        }
    }
}

/// What a reply to a question of type `rtype` says.
fn read(reply: Reply, rtype: RecordType) -> LookupResult {
    match reply {
        Reply::Fast(r) => settle(ResponseCode::from(0, r.rcode), r.authentic, r.answer),
        Reply::Full(m) => settle(
            m.metadata.response_code,
            m.metadata.authentic_data,
            answer_of(&m.answers, rtype),
        ),
        Reply::Malformed { detail, .. } => LookupResult::failed(Outcome::Malformed, detail),
    }
}

/// The records of type `rtype` (MX, TXT, NS, A, AAAA, TLSA; CNAMEs on the way kept apart) in
/// presentation form, names as A-labels (the form they are asked in).
fn answer_of(records: &[Record], rtype: RecordType) -> Answer {
    let mut answer = Answer::default();
    for record in records {
        match &record.data {
            RData::MX(mx) if rtype == RecordType::MX => {
                answer
                    .records
                    .push(format!("{} {}", mx.preference, mx.exchange.to_ascii()))
            }
            RData::TXT(txt) if rtype == RecordType::TXT => {
                let strings = txt.txt_data.iter().map(|s| String::from_utf8_lossy(s));
                answer.records.push(strings.collect());
                answer.txt_strings += txt.txt_data.len();
            }
            RData::NS(ns) if rtype == RecordType::NS => answer.records.push(ns.0.to_ascii()),
            RData::A(a) if rtype == RecordType::A => answer.records.push(a.0.to_string()),
            RData::AAAA(a) if rtype == RecordType::AAAA => answer.records.push(a.0.to_string()),
            // `USAGE SELECTOR MATCHING HEX` (RFC 6698 §2.2).
            RData::TLSA(t) if rtype == RecordType::TLSA => answer.records.push(t.to_string()),
            RData::CNAME(c) => answer.cnames.push(c.0.to_string()),
            _ => {}
        }
    }
    answer
}

fn settled(answer: Answer) -> LookupResult {
    let bytes: usize = answer.records.iter().map(String::len).sum();
    let over = if answer.records.len() > MAX_RECORDS {
        Some(format!(
            "{} records (limit {MAX_RECORDS})",
            answer.records.len()
        ))
    } else if bytes > MAX_ANSWER_BYTES {
        Some(format!(
            "{bytes} octets of records (limit {MAX_ANSWER_BYTES})"
        ))
    } else if answer.txt_strings > MAX_TXT_STRINGS {
        Some(format!("over {MAX_TXT_STRINGS} TXT character-strings"))
    } else if answer.cnames.len() > MAX_CNAMES {
        Some(format!(
            "{} CNAMEs (limit {MAX_CNAMES})",
            answer.cnames.len()
        ))
    } else {
        None
    };
    if let Some(detail) = over {
        return LookupResult::failed(Outcome::Oversize, detail);
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(again) = answer
        .cnames
        .iter()
        .find(|c| !seen.insert(c.to_ascii_lowercase()))
    {
        return LookupResult::failed(Outcome::CnameLoop, format!("CNAME loop at {again}"));
    }
    let outcome = if answer.records.is_empty() {
        Outcome::NoData
    } else {
        Outcome::Answer
    };
    LookupResult {
        outcome,
        answer,
        detail: None,
        authentic: None,
    }
}

/// What a reply with this RCODE, AD bit and answer says.
fn settle(code: ResponseCode, authentic: bool, answer: Answer) -> LookupResult {
    let authentic = Some(authentic);
    match code {
        ResponseCode::NoError => match settled(answer) {
            r if r.outcome.is_resolved() => LookupResult { authentic, ..r },
            r => r,
        },
        ResponseCode::NXDomain => LookupResult {
            outcome: Outcome::NxDomain,
            answer,
            detail: None,
            authentic,
        },
        ResponseCode::ServFail => LookupResult::failed(Outcome::ServFail, "SERVFAIL".into()),
        ResponseCode::Refused => LookupResult::failed(Outcome::Refused, "REFUSED".into()),
        code => LookupResult::failed(Outcome::Error, format!("response code {code}")),
    }
}
