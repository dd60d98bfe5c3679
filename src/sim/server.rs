//! The embedded authoritative server (hickory-server, UDP and TCP on loopback) that answers for
//! a [`Population`], with seeded fault injection.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hickory_proto::op::{Header, HeaderCounts, MessageType, Metadata, OpCode, ResponseCode};
use hickory_proto::rr::rdata::tlsa::{CertUsage, Matching, Selector};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NS, SOA, TLSA, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_server::Server;
use hickory_server::net::runtime::Time;
use hickory_server::net::xfer::Protocol;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;
use tokio::net::{TcpListener, UdpSocket};

use super::SimError;
use super::population::{Population, mix};
use super::records::{
    DMARC_SERVICE_SUFFIX, DmarcAnswer, HOSTILE_ZONE, HostRecords, Hostile, PROVIDER_MX_HOST,
    REPORT_AUTHORIZATION, SHARED_TXT, apex_txt, check_txt, dkim_txt, dmarc, dnssec_signed, hostile,
    mx_records, ns_hosts, own_hosts, provider_host, service_dmarc_txt,
};

const TTL: u32 = 3600;

/// One kind of misbehaviour the server can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// No answer at all: the client times out.
    Drop,
    ServFail,
    Refused,
    /// Over UDP, an empty answer with the TC bit; over TCP, the real answer.
    Truncate,
    /// Answer after this long.
    Delay(Duration),
}

impl FromStr for FaultKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "drop" => FaultKind::Drop,
            "servfail" => FaultKind::ServFail,
            "refused" => FaultKind::Refused,
            "truncate" => FaultKind::Truncate,
            _ => match s.strip_prefix("delay") {
                Some(ms) => FaultKind::Delay(parse_ms(ms.trim_start_matches(':'))?),
                None => return Err(format!("unknown fault {s:?}")),
            },
        })
    }
}

fn parse_ms(s: &str) -> Result<Duration, String> {
    s.trim_end_matches("ms")
        .parse()
        .map(Duration::from_millis)
        .map_err(|_| format!("bad delay {s:?}: write milliseconds, e.g. 50ms"))
}

/// Faults by share of queries (drawn per query, so retries can get through) and by name
/// (every query for that name, or a name under it, so retries cannot).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    pub drop: f64,
    pub servfail: f64,
    pub refused: f64,
    pub truncate: f64,
    /// Added to every answer over UDP.
    pub delay: Duration,
    pub names: HashMap<String, FaultKind>,
    /// A rate limit of queries a second for the names under a suffix, as an operator that
    /// limits each source: over it, REFUSED (counted: [`SimServer::over_limit`]).
    pub limits: Vec<(String, u32)>,
    pub seed: u64,
}

impl FromStr for Faults {
    type Err = String;
    /// `drop=0.1,servfail=0.05,refused=0.01,truncate=0.02,delay=50ms,seed=7,name:x.jp=drop,
    /// limit:ac.jp=20`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut f = Faults::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("fault {part:?} is not key=value"))?;
            let share = || -> Result<f64, String> {
                v.parse::<f64>()
                    .ok()
                    .filter(|x| (0.0..=1.0).contains(x))
                    .ok_or_else(|| format!("fault {k}: {v:?} is not a share between 0 and 1"))
            };
            match k {
                "drop" => f.drop = share()?,
                "servfail" => f.servfail = share()?,
                "refused" => f.refused = share()?,
                "truncate" => f.truncate = share()?,
                "delay" => f.delay = parse_ms(v)?,
                "seed" => f.seed = v.parse().map_err(|_| format!("bad seed {v:?}"))?,
                _ => match (k.strip_prefix("name:"), k.strip_prefix("limit:")) {
                    (Some(name), _) => {
                        f.names
                            .insert(name.trim_end_matches('.').to_ascii_lowercase(), v.parse()?);
                    }
                    (_, Some(suffix)) => {
                        let qps = v.parse().ok().filter(|q| *q > 0).ok_or_else(|| {
                            format!("limit {suffix}: {v:?} is not a number of queries a second")
                        })?;
                        f.limits
                            .push((suffix.trim_end_matches('.').to_ascii_lowercase(), qps));
                    }
                    _ => return Err(format!("unknown fault {k:?}")),
                },
            }
        }
        Ok(f)
    }
}

/// What the server answers for one question, before faults.
#[derive(Debug)]
pub struct Reply {
    pub rcode: ResponseCode,
    pub answers: Vec<Record>,
    /// Answer with the AD bit when the query asks for it: the server plays a validating
    /// resolver in front of the names that [`dnssec_signed`] says are signed.
    pub authentic: bool,
}

pub(super) fn fqdn(name: &str) -> Name {
    Name::from_ascii(format!("{name}.")).unwrap_or_else(|_| Name::root())
}

fn txt_records(owner: &Name, txts: Vec<Vec<String>>) -> Vec<Record> {
    txts.into_iter()
        .map(|strings| Record::from_rdata(owner.clone(), TTL, RData::TXT(TXT::new(strings))))
        .collect()
}

/// The server's own name, at the zone apex's NS and SOA.
const NAME_SERVER: &str = "ns.sim.invalid";

/// The question being answered: its owner name and type, and the replies it gets.
struct Question {
    owner: Name,
    qtype: RecordType,
}

impl Question {
    fn ok(&self, answers: Vec<Record>) -> Reply {
        Reply {
            rcode: ResponseCode::NoError,
            answers,
            authentic: false,
        }
    }

    fn nx(&self) -> Reply {
        Reply {
            rcode: ResponseCode::NXDomain,
            answers: Vec::new(),
            authentic: false,
        }
    }

    /// `records` where they are of the type asked (or ANY), none otherwise.
    fn pick(&self, rtype: RecordType, records: Vec<Record>) -> Vec<Record> {
        match self.qtype == rtype || self.qtype == RecordType::ANY {
            true => records,
            false => Vec::new(),
        }
    }

    /// The name holds these TXT records.
    fn txt(&self, txts: Vec<Vec<String>>) -> Reply {
        self.ok(self.pick(RecordType::TXT, txt_records(&self.owner, txts)))
    }

    fn a(&self, [a, b, c, d]: [u8; 4]) -> Reply {
        let record = Record::from_rdata(self.owner.clone(), TTL, RData::A(A::new(a, b, c, d)));
        self.ok(self.pick(RecordType::A, vec![record]))
    }
}

/// Answer `qname`/`qtype` from the population: the server's whole zone logic, each kind of
/// name asked in turn, the population's own names last.
pub fn resolve(pop: &Population, qname: &str, qtype: RecordType) -> Reply {
    let q = Question {
        owner: fqdn(qname),
        qtype,
    };
    server_names(qname, &q)
        .or_else(|| corpus_names(pop, qname, &q))
        .or_else(|| check_records(pop, qname).map(|txts| check_reply(&q, txts)))
        .or_else(|| {
            let (_, txt) = SHARED_TXT.iter().find(|(n, _)| *n == qname)?;
            Some(q.txt(vec![vec![txt.to_string()]]))
        })
        .or_else(|| mail_host(pop, qname, qtype, &q.owner))
        .or_else(|| policy_host(pop, qname, &q))
        .or_else(|| dkim_records(pop, qname, qtype, &q.owner))
        .or_else(|| dmarc_names(pop, qname, &q))
        .unwrap_or_else(|| apex(pop, qname, &q))
}

/// The zone apex and the server's own name, as the exported master file has them (a
/// recursive resolver in front, Unbound with a stub zone, asks for the root's NS and its
/// address before trusting us), and the hostile zone.
fn server_names(qname: &str, q: &Question) -> Option<Reply> {
    if qname.is_empty() {
        let ns = Record::from_rdata(q.owner.clone(), TTL, RData::NS(NS(fqdn(NAME_SERVER))));
        return Some(q.ok(q.pick(RecordType::NS, vec![ns])));
    }
    if qname == NAME_SERVER {
        return Some(q.a([127, 0, 0, 1]));
    }
    if qname.ends_with(HOSTILE_ZONE) {
        return Some(match hostile(qname) {
            Some(h) => q.ok(hostile_records(&q.owner, q.qtype, h)),
            None => q.nx(),
        });
    }
    None
}

/// The policy corpus's names, their records and `_dmarc` records, and the empty
/// non-terminals above them.
fn corpus_names(pop: &Population, qname: &str, q: &Question) -> Option<Reply> {
    let c = pop.corpus()?;
    if let Some(txts) = c.txt_at(qname) {
        return Some(q.txt(txts.clone()));
    }
    if let Some(e) = c.get(qname) {
        return Some(match q.qtype {
            RecordType::MX => q.ok(corpus_mx(&q.owner, &e.mx)),
            RecordType::A => q.a([192, 0, 2, 80]),
            _ => q.txt(e.txt.clone()),
        });
    }
    if let Some(e) = qname.strip_prefix("_dmarc.").and_then(|d| c.get(d))
        && !e.dmarc.is_empty()
    {
        return Some(q.txt(e.dmarc.clone()));
    }
    // An empty non-terminal (`_domainkey` above a selector): NOERROR, no data (RFC 8020).
    // Checked after the entries, which have records of their own below them too.
    c.is_above_records(qname).then(|| q.ok(Vec::new()))
}

/// An opt-in check's owner name: its TXT records, or NXDOMAIN where it has none.
fn check_reply(q: &Question, txts: Vec<Vec<String>>) -> Reply {
    match txts.is_empty() {
        true => q.nx(),
        false => q.txt(txts),
    }
}

/// `_dmarc.<name>` (a record, none, or a CNAME to the DMARC service) and the service's own
/// names.
fn dmarc_names(pop: &Population, qname: &str, q: &Question) -> Option<Reply> {
    if let Some(d) = qname.strip_suffix(DMARC_SERVICE_SUFFIX) {
        let d = d.trim_end_matches('.');
        return Some(match pop.lookup(d).map(|t| dmarc(d, &t)) {
            Some(DmarcAnswer::Cname(_)) => q.txt(service_dmarc_txt()),
            _ => q.nx(),
        });
    }
    let d = qname.strip_prefix("_dmarc.")?;
    let Some(truth) = pop.lookup(d) else {
        return Some(q.nx());
    };
    Some(match dmarc(d, &truth) {
        DmarcAnswer::None => q.nx(),
        DmarcAnswer::Txt(txts) => q.txt(txts),
        DmarcAnswer::Cname(target) => {
            let tname = fqdn(&target);
            let cname = RData::CNAME(CNAME(tname.clone()));
            let mut answers = vec![Record::from_rdata(q.owner.clone(), TTL, cname)];
            if q.qtype != RecordType::CNAME {
                answers.extend(q.pick(RecordType::TXT, txt_records(&tname, service_dmarc_txt())));
            }
            q.ok(answers)
        }
    })
}

/// A population name's own records: NS, MX, TXT and an address.
fn apex(pop: &Population, qname: &str, q: &Question) -> Reply {
    let Some(truth) = pop.lookup(qname) else {
        return q.nx();
    };
    let owner = &q.owner;
    let answers = match q.qtype {
        RecordType::NS => ns_hosts(qname, &truth)
            .iter()
            .map(|h| Record::from_rdata(owner.clone(), TTL, RData::NS(NS(fqdn(h)))))
            .collect(),
        RecordType::MX => mx_records(qname, &truth)
            .into_iter()
            .map(|(pref, host)| {
                let exchange = if host == "." {
                    Name::root()
                } else {
                    fqdn(&host)
                };
                Record::from_rdata(owner.clone(), TTL, RData::MX(MX::new(pref, exchange)))
            })
            .collect(),
        RecordType::TXT => txt_records(owner, apex_txt(qname, &truth)),
        RecordType::A => q.a([192, 0, 2, 80]).answers,
        _ => Vec::new(),
    };
    Reply {
        authentic: dnssec_signed(&truth),
        ..q.ok(answers)
    }
}

/// An MX host's answers (its A and AAAA, or its `_25._tcp` TLSA records); `None` when
/// `qname` is no MX host of the population. A host with no record at all does not exist.
fn mail_host(pop: &Population, qname: &str, qtype: RecordType, owner: &Name) -> Option<Reply> {
    let (host, tlsa) = match qname.strip_prefix("_25._tcp.") {
        Some(h) => (h, true),
        None => (qname, false),
    };
    let (h, signed) = match host == PROVIDER_MX_HOST {
        true => (provider_host(), false),
        false => {
            let d = host
                .strip_prefix("mx1.")
                .or_else(|| host.strip_prefix("mx2."))?;
            let truth = pop.lookup(d)?;
            let h = own_hosts(d, &truth).into_iter().find(|h| h.host == host)?;
            (h, dnssec_signed(&truth))
        }
    };
    let records = host_records(&h, owner, tlsa);
    let exists = !records.is_empty() || (!tlsa && !h.tlsa.is_empty());
    Some(Reply {
        rcode: match exists {
            true => ResponseCode::NoError,
            false => ResponseCode::NXDomain,
        },
        answers: records
            .into_iter()
            .filter(|r| r.record_type() == qtype || qtype == RecordType::ANY)
            .collect(),
        authentic: signed,
    })
}

/// `mta-sts.<name>`: the MTA-STS policy host's address, or NXDOMAIN where the name has none;
/// `None` when `qname` is not below a population name.
fn policy_host(pop: &Population, qname: &str, q: &Question) -> Option<Reply> {
    let truth = pop.lookup(qname.strip_prefix("mta-sts.")?)?;
    Some(match super::transport::policy_address(&truth) {
        Some(addr) => q.a(addr),
        None => q.nx(),
    })
}

/// A host's address records, or its TLSA records (at `owner`, its `_25._tcp` name).
fn host_records(h: &HostRecords, owner: &Name, tlsa: bool) -> Vec<Record> {
    let rdata: Vec<RData> = match tlsa {
        true => h
            .tlsa
            .iter()
            .map(|(u, s, m, data)| {
                let t = TLSA::new(
                    CertUsage::from(*u),
                    Selector::from(*s),
                    Matching::from(*m),
                    data.clone(),
                );
                RData::TLSA(t)
            })
            .collect(),
        false => {
            let a = h.a.map(|[a, b, c, d]| RData::A(A::new(a, b, c, d)));
            let aaaa = h.ipv6().map(|ip| RData::AAAA(AAAA(ip)));
            a.into_iter().chain(aaaa).collect()
        }
    };
    rdata
        .into_iter()
        .map(|r| Record::from_rdata(owner.clone(), TTL, r))
        .collect()
}

/// The DKIM records at or below `_domainkey.<name>`: a selector's TXT, the empty
/// non-terminal above it (NOERROR, no data), or NXDOMAIN; `None` when `qname` is not there.
fn dkim_records(pop: &Population, qname: &str, qtype: RecordType, owner: &Name) -> Option<Reply> {
    let (_, name) = qname.split_once("_domainkey.")?;
    let truth = pop.lookup(name)?;
    let records = dkim_txt(name, &truth);
    let suffix = format!(".{qname}");
    let exact: Vec<Vec<String>> = records
        .iter()
        .filter(|(o, _)| o == qname && matches!(qtype, RecordType::TXT | RecordType::ANY))
        .map(|(_, t)| t.clone())
        .collect();
    let exists = records
        .iter()
        .any(|(o, _)| o == qname || o.ends_with(&suffix));
    Some(Reply {
        rcode: match exists {
            true => ResponseCode::NoError,
            false => ResponseCode::NXDomain,
        },
        answers: txt_records(owner, exact),
        authentic: false,
    })
}

/// The TXT records at an opt-in check's owner name (`default._bimi.`, `_mta-sts.`,
/// `_smtp._tls.` under a name, or a report destination's authorization); empty when the name
/// has none there; `None` when `qname` is not such an owner.
fn check_records(pop: &Population, qname: &str) -> Option<Vec<Vec<String>>> {
    let (wildcard, auth) = REPORT_AUTHORIZATION;
    if let Some(asker) = qname.strip_suffix(&wildcard[1..]) {
        return Some(match asker.is_empty() {
            true => Vec::new(),
            false => vec![vec![auth.to_string()]],
        });
    }
    let name = ["default._bimi.", "_mta-sts.", "_smtp._tls."]
        .iter()
        .find_map(|p| qname.strip_prefix(p))?;
    let truth = pop.lookup(name)?;
    Some(
        check_txt(name, &truth)
            .into_iter()
            .find(|(o, _)| o == qname)
            .map(|(_, txts)| txts)
            .unwrap_or_default(),
    )
}

/// MX records given as `PREF EXCHANGE`; a malformed one is left out.
fn corpus_mx(owner: &Name, mx: &[String]) -> Vec<Record> {
    mx.iter()
        .filter_map(|m| {
            let (pref, host) = m.split_once(' ')?;
            let exchange = if host == "." {
                Name::root()
            } else {
                fqdn(host.trim_end_matches('.'))
            };
            let rdata = RData::MX(MX::new(pref.parse().ok()?, exchange));
            Some(Record::from_rdata(owner.clone(), TTL, rdata))
        })
        .collect()
}

fn hostile_records(owner: &Name, qtype: RecordType, h: Hostile) -> Vec<Record> {
    let txt = |owner: &Name, strings: Vec<Vec<u8>>| {
        let refs: Vec<&[u8]> = strings.iter().map(Vec::as_slice).collect();
        Record::from_rdata(owner.clone(), TTL, RData::TXT(TXT::from_bytes(refs)))
    };
    match h {
        Hostile::Txt(records) if qtype == RecordType::TXT => {
            records.into_iter().map(|r| txt(owner, r)).collect()
        }
        Hostile::Chain(targets, end) => {
            let mut out = Vec::new();
            let mut from = owner.clone();
            for t in targets {
                let to = fqdn(&t);
                out.push(Record::from_rdata(
                    from,
                    TTL,
                    RData::CNAME(CNAME(to.clone())),
                ));
                from = to;
            }
            if let (Some(strings), RecordType::TXT) = (end, qtype) {
                out.push(txt(&from, strings));
            }
            out
        }
        Hostile::Mx(exchanges, _) if qtype == RecordType::MX => exchanges
            .into_iter()
            .filter_map(|labels| Name::from_labels(labels).ok())
            .map(|x| Record::from_rdata(owner.clone(), TTL, RData::MX(MX::new(10, x))))
            .collect(),
        Hostile::Mx(_, records) if qtype == RecordType::TXT => {
            records.into_iter().map(|r| txt(owner, r)).collect()
        }
        _ => Vec::new(),
    }
}

struct Handler {
    pop: Arc<Population>,
    faults: Faults,
    counter: AtomicU64,
    soa: Record,
    /// One limiter for each of `faults.limits`, in order.
    limiters: Vec<governor::DefaultDirectRateLimiter>,
    over_limit: Arc<AtomicU64>,
}

/// Whether `qname` is `suffix` or a name under it.
fn under(qname: &str, suffix: &str) -> bool {
    qname == suffix || qname.strip_suffix(suffix).is_some_and(|p| p.ends_with('.'))
}

impl Handler {
    fn fault_for(&self, qname: &str) -> Option<FaultKind> {
        for ((suffix, _), limiter) in self.faults.limits.iter().zip(&self.limiters) {
            if under(qname, suffix) && limiter.check().is_err() {
                self.over_limit.fetch_add(1, Ordering::Relaxed);
                return Some(FaultKind::Refused);
            }
        }
        if let Some(k) = self
            .faults
            .names
            .iter()
            .find(|(n, _)| under(qname, n))
            .map(|(_, k)| *k)
        {
            return Some(k);
        }
        let f = &self.faults;
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let r = (mix(f.seed, &[n]) >> 11) as f64 / (1u64 << 53) as f64;
        let mut edge = 0.0;
        for (share, kind) in [
            (f.drop, FaultKind::Drop),
            (f.servfail, FaultKind::ServFail),
            (f.refused, FaultKind::Refused),
            (f.truncate, FaultKind::Truncate),
        ] {
            edge += share;
            if r < edge {
                return Some(kind);
            }
        }
        None
    }
}

pub(super) fn no_response(request: &Request) -> ResponseInfo {
    let mut metadata = Metadata::new(request.metadata.id, MessageType::Response, OpCode::Query);
    metadata.response_code = ResponseCode::ServFail;
    ResponseInfo::from(Header {
        metadata,
        counts: HeaderCounts::default(),
    })
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        response_handle: R,
    ) -> ResponseInfo {
        let Some((qname, qtype)) = question(request) else {
            return no_response(request);
        };
        let fault = self.fault_for(&qname);
        // The added latency is for UDP: hickory-server answers the queries of one TCP
        // connection one after another, so a sleep there would model a server that does not
        // pipeline (RFC 7766 §6.2.1.1), not a distant one.
        if !self.faults.delay.is_zero() && request.protocol() == Protocol::Udp {
            tokio::time::sleep(self.faults.delay).await;
        }
        let mut metadata = Metadata::response_from_request(&request.metadata);
        metadata.authoritative = true;
        metadata.recursion_available = false;
        let reply = match fault {
            Some(FaultKind::Drop) => return no_response(request),
            Some(FaultKind::ServFail) => Some(ResponseCode::ServFail),
            Some(FaultKind::Refused) => Some(ResponseCode::Refused),
            Some(FaultKind::Truncate) if request.protocol() == Protocol::Udp => {
                metadata.truncation = true;
                Some(ResponseCode::NoError)
            }
            Some(FaultKind::Delay(d)) => {
                tokio::time::sleep(d).await;
                None
            }
            _ => None,
        };
        let (answers, soa) = match reply {
            Some(code) => {
                metadata.response_code = code;
                metadata.authoritative = code == ResponseCode::NoError;
                (Vec::new(), None)
            }
            None => {
                let r = resolve(&self.pop, &qname, qtype);
                metadata.response_code = r.rcode;
                metadata.authentic_data = r.authentic && request.metadata.authentic_data;
                let soa = r.answers.is_empty().then(|| self.soa.clone());
                (r.answers, soa)
            }
        };
        let sections = Sections {
            answers: &answers,
            authority: &[],
            soa: soa.as_ref(),
            additional: &[],
        };
        send(request, response_handle, metadata, sections).await
    }
}

/// The question of a request: its name (lower case, no final dot) and type.
pub(super) fn question(request: &Request) -> Option<(String, RecordType)> {
    let info = request.request_info().ok()?;
    let qname = info.query.name().to_ascii();
    let qname = qname.trim_end_matches('.').to_ascii_lowercase();
    Some((qname, info.query.query_type()))
}

/// The sections of a reply.
pub(super) struct Sections<'a> {
    pub answers: &'a [Record],
    pub authority: &'a [Record],
    pub soa: Option<&'a Record>,
    pub additional: &'a [Record],
}

/// Send a reply. hickory-server queues UDP responses in a 32-slot channel and drops what
/// does not fit (`try_send`); answers released together (after a delay, say) overflow it.
/// Wait for a slot rather than turn an answer into a client timeout.
pub(super) async fn send<R: ResponseHandler>(
    request: &Request,
    mut response_handle: R,
    metadata: Metadata,
    s: Sections<'_>,
) -> ResponseInfo {
    for _ in 0..1000 {
        let mut b = MessageResponseBuilder::from_message_request(request);
        if let Some(edns) = &request.edns {
            b.edns(edns);
        }
        let response = b.build(
            metadata,
            s.answers.iter(),
            s.authority.iter(),
            s.soa,
            s.additional.iter(),
        );
        if let Ok(info) = response_handle.send_response(response).await {
            return info;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    no_response(request)
}

/// A running simulated server; dropping it leaves the tasks running until the runtime ends,
/// [`SimServer::shutdown`] stops them.
pub struct SimServer {
    addr: SocketAddr,
    server: Server<Handler>,
    over_limit: Arc<AtomicU64>,
}

impl SimServer {
    /// Bind UDP and TCP on the same port of `bind` (port 0: a free one) and serve.
    pub async fn start(
        pop: Arc<Population>,
        faults: Faults,
        bind: SocketAddr,
    ) -> Result<SimServer, SimError> {
        let (udp, tcp) = bind_pair(bind).await?;
        let addr = udp.local_addr().map_err(SimError::Bind)?;
        let soa = Record::from_rdata(
            Name::root(),
            TTL,
            RData::SOA(SOA::new(
                fqdn(NAME_SERVER),
                fqdn("hostmaster.sim.invalid"),
                1,
                3600,
                600,
                86400,
                300,
            )),
        );
        // A second's worth at once, then the rate: what a per-source limit of an operator
        // grants.
        let limiters = faults
            .limits
            .iter()
            .map(|&(_, qps)| {
                let qps = std::num::NonZeroU32::new(qps).expect("parsed as positive");
                governor::RateLimiter::direct(governor::Quota::per_second(qps))
            })
            .collect();
        let over_limit = Arc::new(AtomicU64::new(0));
        let handler = Handler {
            pop,
            faults,
            counter: AtomicU64::new(0),
            soa,
            limiters,
            over_limit: Arc::clone(&over_limit),
        };
        let mut server = Server::new(handler);
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(10), 64 * 1024);
        Ok(SimServer {
            addr,
            server,
            over_limit,
        })
    }

    /// Queries refused for being over a `limit:` of the faults, so far.
    pub fn over_limit(&self) -> u64 {
        self.over_limit.load(Ordering::Relaxed)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub async fn shutdown(mut self) {
        let _ = self.server.shutdown_gracefully().await;
    }

    /// Serve until the process is stopped.
    pub async fn wait(mut self) -> Result<(), SimError> {
        self.server
            .block_until_done()
            .await
            .map_err(|e| SimError::Bind(std::io::Error::other(e.to_string())))
    }
}

pub(super) async fn bind_pair(bind: SocketAddr) -> Result<(UdpSocket, TcpListener), SimError> {
    let mut last = None;
    for _ in 0..20 {
        let udp = UdpSocket::bind(bind).await.map_err(SimError::Bind)?;
        crate::dns::grow_receive_buffer(&udp);
        let addr = udp.local_addr().map_err(SimError::Bind)?;
        match TcpListener::bind(addr).await {
            Ok(tcp) => return Ok((udp, tcp)),
            // The UDP port's TCP twin is taken: with port 0, try another.
            Err(e) if bind.port() == 0 => last = Some(e),
            Err(e) => return Err(SimError::Bind(e)),
        }
    }
    Err(SimError::Bind(last.expect("tried at least once")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_apex_answers_as_the_master_file_does() {
        let pop = Population::new(
            1,
            Some(&crate::sim::TypeSpec::jp_2018().scaled(10_000)),
            None,
        )
        .unwrap();
        let ns = resolve(&pop, "", RecordType::NS);
        assert_eq!(ns.rcode, ResponseCode::NoError);
        assert_eq!(ns.answers.len(), 1);
        let a = resolve(&pop, NAME_SERVER, RecordType::A);
        assert_eq!((a.rcode, a.answers.len()), (ResponseCode::NoError, 1));
        assert_eq!(resolve(&pop, "", RecordType::TXT).answers.len(), 0);
    }
}
