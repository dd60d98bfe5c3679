//! A delegation tree for a recursive resolver to walk: a root, `jp.` (which holds the
//! second-level suffixes, as JPRS's zone does) and [`OPERATORS`] DNS operators of Zipf sizes,
//! each on two loopback addresses of its own with a profile (fast, slow, lossy, rate-limited,
//! dead, half-dead, lame), all served from this process on port 53; with ground truth of which
//! names a resolver can reach.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hickory_proto::op::{Metadata, ResponseCode};
use hickory_proto::rr::rdata::{A, NS};
use hickory_proto::rr::{RData, Record, RecordType};
use hickory_server::Server;
use hickory_server::net::runtime::Time;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};

use super::SimError;
use super::population::{Population, mix};
use super::server::{Sections, bind_pair, fqdn, no_response, question, resolve, send};

/// DNS operators of the world.
pub const OPERATORS: usize = 133;
const TTL: u32 = 3600;
const ROOT: Ipv4Addr = Ipv4Addr::new(127, 53, 0, 1);
const JP: Ipv4Addr = Ipv4Addr::new(127, 53, 0, 2);
const ROOT_NS: &str = "a.root.sim";
const JP_NS: &str = "a.dns.jp";

/// How an operator's two servers behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Fast,
    /// Each answer 100 to 400 ms late.
    Slow,
    /// A fifth of the questions dropped.
    Lossy,
    /// 20 questions a second from one source; past it, REFUSED.
    Limited,
    /// Neither server answers.
    Dead,
    /// The first server never answers; the second does.
    HalfDead,
    /// Both answer REFUSED: delegated to servers that do not serve the zone.
    Lame,
}

impl Profile {
    /// Whether a resolver can get the operator's names' answers.
    pub fn reachable(self) -> bool {
        !matches!(self, Profile::Dead | Profile::Lame)
    }
}

/// Operator `k`'s profile: the five largest fast, then a fixed cycle over the rest.
pub fn profile(k: usize) -> Profile {
    const CYCLE: [Profile; 16] = [
        Profile::Fast,
        Profile::Slow,
        Profile::Fast,
        Profile::Lossy,
        Profile::Fast,
        Profile::Limited,
        Profile::Slow,
        Profile::Fast,
        Profile::Dead,
        Profile::Fast,
        Profile::HalfDead,
        Profile::Fast,
        Profile::Lame,
        Profile::Slow,
        Profile::Fast,
        Profile::Lossy,
    ];
    match k {
        0..5 => Profile::Fast,
        _ => CYCLE[(k - 5) % CYCLE.len()],
    }
}

/// The operator of a registered name: Zipf weights 1/(k+1), drawn by the name's hash.
pub fn operator_of(name: &str) -> usize {
    let total: f64 = (1..=OPERATORS).map(|k| 1.0 / k as f64).sum();
    let h = mix(0x3f1d, &[fnv(name)]);
    let mut x = (h >> 11) as f64 / (1u64 << 53) as f64 * total;
    for k in 0..OPERATORS {
        x -= 1.0 / (k + 1) as f64;
        if x < 0.0 {
            return k;
        }
    }
    OPERATORS - 1
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

/// Operator `k`'s name servers, `i` in 0..2: under a registered domain of its own, as real
/// operators' are (the survey tells operators apart by it).
pub fn ns_host(k: usize, i: usize) -> String {
    format!("ns{}.sim-op{k}.jp", i + 1)
}

pub fn ns_addr(k: usize, i: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 53, 1 + (k / 100) as u8, (2 * (k % 100) + 1 + i) as u8)
}

/// Operator and server of an NS host name of the world.
fn parse_ns_host(name: &str) -> Option<(usize, usize)> {
    let rest = name.strip_suffix(".jp")?;
    let (ns, op) = rest.split_once(".sim-op")?;
    let i: usize = ns.strip_prefix("ns")?.parse().ok()?;
    let k: usize = op.parse().ok()?;
    (k < OPERATORS && (1..=2).contains(&i)).then_some((k, i - 1))
}

/// The root hints file for Unbound (`root-hints:`).
pub fn root_hints() -> String {
    format!(".\t{TTL}\tIN\tNS\t{ROOT_NS}.\n{ROOT_NS}.\t{TTL}\tIN\tA\t{ROOT}\n")
}

#[derive(Clone, Copy)]
enum Role {
    Root,
    Jp,
    Operator(usize, usize),
}

struct WorldHandler {
    pop: Arc<Population>,
    role: Role,
    counter: AtomicU64,
    /// Per source address, for the rate-limited profile.
    limiter: governor::DefaultKeyedRateLimiter<std::net::IpAddr>,
    /// Questions refused or dropped by the rate limit.
    over_limit: Arc<AtomicU64>,
    /// Questions received by any server of the world.
    questions: Arc<AtomicU64>,
}

/// The zone of the world that holds `qname`: the nearest enclosing name of the population.
fn zone_of<'a>(pop: &Population, qname: &'a str) -> Option<&'a str> {
    let mut s = qname;
    loop {
        if s.ends_with(".jp") && pop.lookup(s).is_some() {
            return Some(s);
        }
        s = s.split_once('.')?.1;
    }
}

fn a(name: &str, addr: Ipv4Addr) -> Record {
    Record::from_rdata(fqdn(name), TTL, RData::A(A(addr)))
}

fn ns(zone: &str, host: &str) -> Record {
    Record::from_rdata(fqdn(zone), TTL, RData::NS(NS(fqdn(host))))
}

/// What one server says: the code, answers, authority (a referral's NS) and additional
/// (glue); `None`: no answer at all.
struct Said {
    code: ResponseCode,
    authoritative: bool,
    answers: Vec<Record>,
    authority: Vec<Record>,
    glue: Vec<Record>,
}

impl Said {
    fn answer(code: ResponseCode, answers: Vec<Record>) -> Said {
        Said {
            code,
            authoritative: true,
            answers,
            authority: Vec::new(),
            glue: Vec::new(),
        }
    }

    fn flat(pop: &Population, qname: &str, qtype: RecordType) -> Said {
        let r = resolve(pop, qname, qtype);
        Said::answer(r.rcode, r.answers)
    }

    fn referral(zone: &str, hosts: &[(String, Ipv4Addr)]) -> Said {
        Said {
            code: ResponseCode::NoError,
            authoritative: false,
            answers: Vec::new(),
            authority: hosts.iter().map(|(h, _)| ns(zone, h)).collect(),
            glue: hosts.iter().map(|(h, ip)| a(h, *ip)).collect(),
        }
    }

    fn refused() -> Said {
        Said {
            authoritative: false,
            ..Said::answer(ResponseCode::Refused, Vec::new())
        }
    }
}

fn operator_hosts(k: usize) -> Vec<(String, Ipv4Addr)> {
    (0..2).map(|i| (ns_host(k, i), ns_addr(k, i))).collect()
}

impl WorldHandler {
    fn say(&self, qname: &str, qtype: RecordType) -> Said {
        let pop = &self.pop;
        match self.role {
            Role::Root => match qname {
                "" => Said {
                    glue: vec![a(ROOT_NS, ROOT)],
                    ..Said::answer(ResponseCode::NoError, vec![ns("", ROOT_NS)])
                },
                ROOT_NS => Said::answer(ResponseCode::NoError, vec![a(ROOT_NS, ROOT)]),
                q if q == "jp" || q.ends_with(".jp") => {
                    Said::referral("jp", &[(JP_NS.to_string(), JP)])
                }
                _ => Said::flat(pop, qname, qtype),
            },
            Role::Jp => {
                if qname == "jp" {
                    return Said::answer(ResponseCode::NoError, vec![ns("jp", JP_NS)]);
                }
                if qname == JP_NS {
                    return Said::answer(ResponseCode::NoError, vec![a(JP_NS, JP)]);
                }
                if let Some((k, i)) = parse_ns_host(qname) {
                    let answers = match qtype {
                        RecordType::A => vec![a(qname, ns_addr(k, i))],
                        _ => Vec::new(),
                    };
                    return Said::answer(ResponseCode::NoError, answers);
                }
                match zone_of(pop, qname) {
                    Some(z) => Said::referral(z, &operator_hosts(operator_of(z))),
                    None => Said::flat(pop, qname, qtype),
                }
            }
            Role::Operator(k, _) => match zone_of(pop, qname) {
                Some(z) if operator_of(z) == k => match (qtype, qname == z) {
                    (RecordType::NS, true) => Said::answer(
                        ResponseCode::NoError,
                        operator_hosts(k).iter().map(|(h, _)| ns(z, h)).collect(),
                    ),
                    _ => Said::flat(pop, qname, qtype),
                },
                _ => Said::refused(),
            },
        }
    }

    /// The operator profile's say on this question: `None` to answer, `Some(None)` to stay
    /// silent, `Some(Some(code))` to answer with that code.
    async fn profile(&self, source: std::net::IpAddr) -> Option<Option<ResponseCode>> {
        let Role::Operator(k, i) = self.role else {
            return None;
        };
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let draw = mix(k as u64 * 2 + i as u64, &[n]) % 1000;
        match profile(k) {
            Profile::Fast => None,
            Profile::Slow => {
                tokio::time::sleep(Duration::from_millis(100 + draw * 300 / 1000)).await;
                None
            }
            Profile::Lossy => (draw < 200).then_some(None),
            Profile::Limited => match self.limiter.check_key(&source) {
                Ok(()) => None,
                Err(_) => {
                    self.over_limit.fetch_add(1, Ordering::Relaxed);
                    Some(Some(ResponseCode::Refused))
                }
            },
            Profile::Dead => Some(None),
            Profile::HalfDead if i == 0 => Some(None),
            Profile::HalfDead => None,
            Profile::Lame => Some(Some(ResponseCode::Refused)),
        }
    }
}

#[async_trait::async_trait]
impl RequestHandler for WorldHandler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        response_handle: R,
    ) -> ResponseInfo {
        self.questions.fetch_add(1, Ordering::Relaxed);
        let Some((qname, qtype)) = question(request) else {
            return no_response(request);
        };
        let said = match self.profile(request.src().ip()).await {
            Some(None) => return no_response(request),
            Some(Some(code)) => Said {
                authoritative: false,
                ..Said::answer(code, Vec::new())
            },
            None => self.say(&qname, qtype),
        };
        let mut metadata = Metadata::response_from_request(&request.metadata);
        metadata.authoritative = said.authoritative;
        metadata.recursion_available = false;
        metadata.response_code = said.code;
        let sections = Sections {
            answers: &said.answers,
            authority: &said.authority,
            soa: None,
            additional: &said.glue,
        };
        send(request, response_handle, metadata, sections).await
    }
}

/// The world being served: every server, the count of questions it received and of those
/// its rate-limited operators refused.
pub struct SimWorld {
    servers: Vec<Server<WorldHandler>>,
    over_limit: Arc<AtomicU64>,
    questions: Arc<AtomicU64>,
}

impl SimWorld {
    /// Serve the world of `pop` on port `port` of its loopback addresses (53 for a resolver
    /// that reads root hints).
    pub async fn start(pop: Arc<Population>, port: u16) -> Result<SimWorld, SimError> {
        let over_limit = Arc::new(AtomicU64::new(0));
        let questions = Arc::new(AtomicU64::new(0));
        let mut roles = vec![(Role::Root, ROOT), (Role::Jp, JP)];
        for k in 0..OPERATORS {
            for i in 0..2 {
                roles.push((Role::Operator(k, i), ns_addr(k, i)));
            }
        }
        let mut servers = Vec::new();
        for (role, ip) in roles {
            let (udp, tcp) = bind_pair(SocketAddr::from((ip, port))).await?;
            let qps = std::num::NonZeroU32::new(20).expect("positive");
            let handler = WorldHandler {
                pop: Arc::clone(&pop),
                role,
                counter: AtomicU64::new(0),
                limiter: governor::RateLimiter::keyed(governor::Quota::per_second(qps)),
                over_limit: Arc::clone(&over_limit),
                questions: Arc::clone(&questions),
            };
            let mut server = Server::new(handler);
            server.register_socket(udp);
            server.register_listener(tcp, Duration::from_secs(10), 64 * 1024);
            servers.push(server);
        }
        Ok(SimWorld {
            servers,
            over_limit,
            questions,
        })
    }

    /// Questions received so far by any server of the world.
    pub fn questions(&self) -> u64 {
        self.questions.load(Ordering::Relaxed)
    }

    /// Questions the rate-limited operators refused so far.
    pub fn over_limit(&self) -> u64 {
        self.over_limit.load(Ordering::Relaxed)
    }

    pub async fn shutdown(self) {
        for mut s in self.servers {
            let _ = s.shutdown_gracefully().await;
        }
    }
}

/// The world's zone list with its ground truth: each name, its NS hosts (an `ns` column, as
/// JPRS's zone data has them), what it publishes, and whether a resolver can reach it.
pub fn write_world_list(pop: &Population, out: impl std::io::Write) -> Result<u64, SimError> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "domain",
        "ns",
        "truth_mx",
        "truth_spf",
        "truth_dmarc",
        "truth_profile",
        "truth_reachable",
    ])
    .map_err(super::csv_io)?;
    let mut n = 0;
    for s in pop.names() {
        let k = operator_of(&s.name);
        let p = profile(k);
        w.write_record([
            s.name.as_str(),
            &format!("{} {}", ns_host(k, 0), ns_host(k, 1)),
            s.truth.mx.code(),
            if s.truth.spf { "1" } else { "0" },
            if s.truth.dmarc { "1" } else { "0" },
            &format!("{p:?}").to_ascii_lowercase(),
            if p.reachable() { "1" } else { "0" },
        ])
        .map_err(super::csv_io)?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_have_zipf_sizes_and_their_hosts_parse_back() {
        let mut sizes = vec![0u32; OPERATORS];
        for i in 0..20_000 {
            sizes[operator_of(&format!("n{i}.co.jp"))] += 1;
        }
        assert!(
            sizes[0] > 2 * sizes[1] - 400 && sizes[0] > 10 * sizes[20],
            "{sizes:?}"
        );
        let mut domains = std::collections::HashSet::new();
        for k in [0, 99, 100, 132] {
            for i in 0..2 {
                assert_eq!(parse_ns_host(&ns_host(k, i)), Some((k, i)));
                domains.insert(crate::zone::registered_domain(&ns_host(k, i)).to_string());
            }
        }
        assert_eq!(
            domains.len(),
            4,
            "one registered domain per operator: {domains:?}"
        );
        assert_eq!(ns_addr(132, 1), Ipv4Addr::new(127, 53, 2, 66));
    }
}
