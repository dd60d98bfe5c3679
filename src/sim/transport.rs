//! The simulated population's mail hosts and MTA-STS policy hosts over TCP, on loopback, under
//! a certificate authority the simulator makes: the ground truth of the starttls,
//! mta-sts-policy and (matched against the chains) dane checks.
//!
//! Every own MX host's address is `127.25.C.K`: `K` its index (1 for `mx1`, 2 for `mx2`; the
//! provider's `mx.sim-mail.net` is 25) and `C` its class, drawn per host: 71 % good
//! (STARTTLS, a certificate of the simulator's CA for its name), 5 % each an expired
//! certificate, a certificate for another name and a self-signed one, 10 % no STARTTLS, 2 %
//! silent (the connection is accepted and nothing is ever said) and 2 % refused (nothing
//! listens). The provider's host is good. Every host presents the same key, so that one TLSA
//! digest matches them all: of the DNSSEC-signed names' DANE-EE records (`records.rs`) most
//! carry its SHA-256, some another digest (a TLSA that matches nothing); DANE-TA records carry
//! the CA's key's, and match only the chains the CA signed for the right name, in date.
//!
//! A name with a valid `_mta-sts` record has `mta-sts.<name>` at `127.25.10.1`, where an HTTPS
//! server answers by the name it is asked for: 50 % a policy in mode `enforce` that matches its
//! MX (the provider's host by name, its own hosts by `*.<name>`), 15 % `testing`, 8 % patterns
//! that match none of its hosts, 5 % an invalid policy (`STSv2`), 4 % 404, 3 % `text/html`,
//! 2 % a redirect, 5 % an expired certificate; 2 % of the names have the policy host at the
//! silent address, 2 % at one where nothing listens, 4 % have none (NXDOMAIN).

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PKCS_ED25519, PublicKeyData,
};
use rustls::ServerConfig;
use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use time::{Duration, OffsetDateTime};
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use super::population::{MxTruth, Truth, mix};
use super::records::{PROVIDER_MX_HOST, mx_records, own_hosts, sts_record_valid, tlsa_kind};
use crate::policy::mailhost::{Dane, Share};
use crate::transport::StsOutcome;

/// The first two octets of every simulated mail host's address.
const NET: [u8; 2] = [127, 25];
/// The provider's host's index, the last octet of its address.
pub const PROVIDER_INDEX: u8 = 25;
/// The third octet of the HTTPS policy server's address.
const POLICY_CLASS_OCTET: u8 = 10;

/// How a simulated mail host behaves over SMTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostClass {
    Good = 1,
    Expired = 2,
    WrongName = 3,
    SelfSigned = 4,
    NoStarttls = 5,
    Silent = 6,
    Refused = 7,
}

impl HostClass {
    const LISTENING: [HostClass; 6] = [
        HostClass::Good,
        HostClass::Expired,
        HostClass::WrongName,
        HostClass::SelfSigned,
        HostClass::NoStarttls,
        HostClass::Silent,
    ];

    /// Whether the host speaks SMTP far enough to say whether it offers STARTTLS.
    fn answers(self) -> bool {
        !matches!(self, HostClass::Silent | HostClass::Refused)
    }

    /// Whether the host completes a TLS handshake (any certificate).
    fn tls(self) -> bool {
        self.answers() && self != HostClass::NoStarttls
    }
}

/// The class of a name's own host `k` (1 or 2).
pub fn host_class(t: &Truth, k: u8) -> HostClass {
    match mix(t.variant, &[20, u64::from(k)]) % 100 {
        0..=4 => HostClass::Expired,
        5..=9 => HostClass::WrongName,
        10..=14 => HostClass::SelfSigned,
        15..=24 => HostClass::NoStarttls,
        25..=26 => HostClass::Silent,
        27..=28 => HostClass::Refused,
        _ => HostClass::Good,
    }
}

/// The address of a host of `class` with index `k`.
pub fn host_address(class: HostClass, k: u8) -> [u8; 4] {
    [NET[0], NET[1], class as u8, k]
}

/// How a name's MTA-STS policy host behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PolicyClass {
    Enforce,
    Testing,
    MxMismatch,
    Invalid,
    NotFound,
    WrongType,
    Redirect,
    ExpiredCert,
    Silent,
    Refused,
    NoHost,
}

/// The class of the policy host of a name with a valid `_mta-sts` record.
fn policy_class(t: &Truth) -> PolicyClass {
    match mix(t.variant, &[30]) % 100 {
        0..=49 => PolicyClass::Enforce,
        50..=64 => PolicyClass::Testing,
        65..=72 => PolicyClass::MxMismatch,
        73..=77 => PolicyClass::Invalid,
        78..=81 => PolicyClass::NotFound,
        82..=84 => PolicyClass::WrongType,
        85..=86 => PolicyClass::Redirect,
        87..=91 => PolicyClass::ExpiredCert,
        92..=93 => PolicyClass::Silent,
        94..=95 => PolicyClass::Refused,
        _ => PolicyClass::NoHost,
    }
}

/// The A record of `mta-sts.<name>`; `None` where the name has no such host.
pub fn policy_address(t: &Truth) -> Option<[u8; 4]> {
    if !sts_record_valid(t) {
        return None;
    }
    match policy_class(t) {
        PolicyClass::NoHost => None,
        PolicyClass::Silent => Some(host_address(HostClass::Silent, 1)),
        PolicyClass::Refused => Some(host_address(HostClass::Refused, 1)),
        _ => Some([NET[0], NET[1], POLICY_CLASS_OCTET, 1]),
    }
}

/// The policy file's text as served (before the class's HTTP faults).
fn policy_text(name: &str, t: &Truth) -> String {
    let class = policy_class(t);
    let version = match class {
        PolicyClass::Invalid => "STSv2",
        _ => "STSv1",
    };
    let mode = match class {
        PolicyClass::Testing => "testing",
        _ => "enforce",
    };
    let own = mx_records(name, t)
        .iter()
        .all(|(_, h)| h.ends_with(&format!(".{name}")));
    let patterns = match (class, own) {
        (PolicyClass::MxMismatch, _) => vec!["mx.sim-elsewhere.net".to_string()],
        (_, true) => vec![format!("*.{name}")],
        (_, false) => vec![PROVIDER_MX_HOST.to_string()],
    };
    let mx: String = patterns.iter().map(|p| format!("mx: {p}\r\n")).collect();
    format!("version: {version}\r\nmode: {mode}\r\n{mx}max_age: 604800\r\n")
}

/// What a correct survey finds of a name's transport, from the choices that make its hosts
/// (not from the hosts): the ground truth of the starttls and mta-sts-policy checks, and of
/// dane with the chains matched. `None` for a name without MX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportTruth {
    pub mx_starttls: Option<Share>,
    pub mx_tls: Option<Share>,
    pub mx_cert_valid: Option<Share>,
    pub dane: Option<Dane>,
    pub mta_sts_policy: Option<StsOutcome>,
    pub mta_sts_mx_match: Option<Share>,
    pub mta_sts_enforced: Option<bool>,
}

/// How one own host's TLSA records read against what the host presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsaKind {
    /// DANE-EE(3) with the key's digest: matches any chain the host presents.
    EeMatching,
    /// DANE-EE(3) with another digest.
    EeOther,
    /// DANE-TA(2) with the CA key's digest: matches the CA's chains for the right name.
    Ta,
}

pub fn transport_truth(name: &str, t: &Truth) -> Option<TransportTruth> {
    let tlsa = |k| tlsa_kind(t, k);
    if t.mx != MxTruth::Mx {
        return None;
    }
    // (class, index) of each host with an address; a name without hosts of its own has the
    // provider's.
    let own = own_hosts(name, t);
    let hosts: Vec<(HostClass, u8)> = match own.is_empty() {
        true => vec![(HostClass::Good, PROVIDER_INDEX)],
        false => own
            .iter()
            .zip(1u8..)
            .filter(|(h, _)| h.a.is_some())
            .map(|(_, k)| (host_class(t, k), k))
            .collect(),
    };
    let reached = !hosts.is_empty() && hosts.iter().all(|(c, _)| c.answers());
    let share = |f: fn(HostClass) -> bool| {
        reached.then(|| Share::of(hosts.iter().filter(|(c, _)| f(*c)).count(), hosts.len()))
    };
    let mail = super::records::mail_truth(t)?;
    let dane = match mail.dane {
        Dane::Valid | Dane::Partial => {
            let mut verdict = Some(mail.dane);
            for (class, k) in &hosts {
                let Some(kind) = tlsa(*k) else { continue };
                if !class.answers() {
                    verdict = None;
                    break;
                }
                let matched = match kind {
                    TlsaKind::EeMatching => class.tls(),
                    TlsaKind::EeOther => false,
                    TlsaKind::Ta => *class == HostClass::Good,
                };
                if !matched {
                    verdict = Some(Dane::Mismatch);
                }
            }
            // A dangling host with usable records cannot be asked: unknown.
            let dangling_dane = own
                .iter()
                .zip(1u8..)
                .any(|(h, k)| h.a.is_none() && tlsa(k).is_some());
            verdict.filter(|_| !dangling_dane)
        }
        other => Some(other),
    };
    let (policy, mx_match, enforced) = match sts_record_valid(t) {
        false => (None, None, Some(false)),
        true => {
            let class = policy_class(t);
            let outcome = match class {
                PolicyClass::Enforce | PolicyClass::Testing | PolicyClass::MxMismatch => {
                    StsOutcome::Fetched
                }
                PolicyClass::Invalid => StsOutcome::Invalid,
                PolicyClass::NotFound | PolicyClass::WrongType | PolicyClass::Redirect => {
                    StsOutcome::HttpError
                }
                PolicyClass::ExpiredCert => StsOutcome::TlsFailed,
                PolicyClass::Silent => StsOutcome::Timeout,
                PolicyClass::Refused => StsOutcome::Refused,
                PolicyClass::NoHost => StsOutcome::NoAddress,
            };
            let mx_match = match class {
                PolicyClass::Enforce | PolicyClass::Testing => Some(Share::All),
                PolicyClass::MxMismatch => Some(Share::None),
                _ => None,
            };
            let enforced = outcome.reached().then_some(class == PolicyClass::Enforce);
            (Some(outcome), mx_match, enforced)
        }
    };
    Some(TransportTruth {
        mx_starttls: share(|c| c.tls()),
        mx_tls: share(|c| c.tls()),
        mx_cert_valid: share(|c| c == HostClass::Good),
        dane,
        mta_sts_policy: policy,
        mta_sts_mx_match: mx_match,
        mta_sts_enforced: enforced,
    })
}

/// The simulator's keys, made from fixed seeds so that every process (the DNS server that
/// publishes the TLSA digests, the mail server that presents the key, Postfix given the
/// files) agrees: Ed25519, its PKCS#8 v1 encoding (RFC 8410) built around the seed.
fn key_pkcs8(tag: &str) -> Vec<u8> {
    let digest = ::ring::digest::digest(
        &::ring::digest::SHA256,
        format!("mailcensus sim {tag}").as_bytes(),
    );
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(digest.as_ref());
    der
}

fn key_pair(tag: &str) -> KeyPair {
    let der = key_pkcs8(tag);
    KeyPair::from_pkcs8_der_and_sign_algo(&PrivatePkcs8KeyDer::from(der.as_slice()), &PKCS_ED25519)
        .expect("an Ed25519 key from 32 bytes")
}

/// The SHA-256 of a key's SubjectPublicKeyInfo: what a TLSA record with selector 1 and
/// matching type 1 carries.
fn spki_sha256(tag: &str) -> Vec<u8> {
    let key = key_pair(tag);
    ::ring::digest::digest(&::ring::digest::SHA256, &key.subject_public_key_info())
        .as_ref()
        .to_vec()
}

/// The TLSA digest of the key every simulated mail host presents.
pub fn host_key_digest() -> Vec<u8> {
    static DIGEST: OnceLock<Vec<u8>> = OnceLock::new();
    DIGEST.get_or_init(|| spki_sha256(HOST_KEY)).clone()
}

/// The TLSA digest of the CA's key.
pub fn ca_key_digest() -> Vec<u8> {
    static DIGEST: OnceLock<Vec<u8>> = OnceLock::new();
    DIGEST.get_or_init(|| spki_sha256(CA_KEY)).clone()
}

const HOST_KEY: &str = "host key";
const CA_KEY: &str = "ca key";

/// What a certificate says of its host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertKind {
    Good,
    Expired,
    WrongName,
    SelfSigned,
}

/// The simulator's certificate authority, and the certificates it makes for hosts.
pub struct SimPki {
    ca: rcgen::Certificate,
    ca_params: CertificateParams,
    ca_key: KeyPair,
    host_key: KeyPair,
}

impl SimPki {
    pub fn new() -> SimPki {
        let now = OffsetDateTime::now_utc();
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("no names");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "mailcensus simulator CA");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = now - Duration::days(30);
        params.not_after = now + Duration::days(3650);
        let ca_key = key_pair(CA_KEY);
        let ca = params.self_signed(&ca_key).expect("the CA signs itself");
        SimPki {
            ca,
            ca_params: params,
            ca_key,
            host_key: key_pair(HOST_KEY),
        }
    }

    /// The CA's certificate, PEM: what `--ca-file` is given.
    pub fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// A chain for `host` (end entity first) and the key that goes with it.
    pub fn chain(
        &self,
        host: &str,
        kind: CertKind,
    ) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let chain = self
            .certificates(host, kind)
            .iter()
            .map(|c| c.der().clone())
            .collect();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.host_key.serialize_der()));
        (chain, key)
    }

    fn certificates(&self, host: &str, kind: CertKind) -> Vec<rcgen::Certificate> {
        let now = OffsetDateTime::now_utc();
        let name = match kind {
            CertKind::WrongName => "mail.sim-elsewhere.net".to_string(),
            _ => host.to_string(),
        };
        let mut params = CertificateParams::new(vec![name.clone()]).expect("a DNS name");
        params.distinguished_name.push(DnType::CommonName, name);
        (params.not_before, params.not_after) = match kind {
            CertKind::Expired => (now - Duration::days(400), now - Duration::days(10)),
            _ => (now - Duration::days(10), now + Duration::days(80)),
        };
        let issuer = Issuer::from_params(&self.ca_params, &self.ca_key);
        match kind {
            CertKind::SelfSigned => vec![params.self_signed(&self.host_key).expect("signs")],
            _ => vec![
                params.signed_by(&self.host_key, &issuer).expect("signs"),
                self.ca.clone(),
            ],
        }
    }

    /// A chain and key in PEM, for a real server (Postfix, nginx) to present.
    pub fn chain_pem(&self, host: &str) -> (String, String) {
        let chain = self.certificates(host, CertKind::Good);
        (
            chain.iter().map(|c| c.pem()).collect(),
            self.host_key.serialize_pem(),
        )
    }
}

impl Default for SimPki {
    fn default() -> Self {
        SimPki::new()
    }
}

/// Chooses a host's chain by the name the client asks for (SNI): `Fixed` for a mail host of
/// one class, `Policy` for the policy server, whose names' classes decide.
enum Chooser {
    Fixed(CertKind),
    Policy(Arc<super::Population>),
}

struct ByName {
    pki: Arc<SimPki>,
    chooser: Chooser,
    provider: Arc<CryptoProvider>,
}

impl std::fmt::Debug for ByName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the simulated hosts' certificates, by name")
    }
}

impl ResolvesServerCert for ByName {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let host = hello.server_name().unwrap_or("unnamed.invalid").to_string();
        let kind = match &self.chooser {
            Chooser::Fixed(kind) => *kind,
            Chooser::Policy(pop) => {
                let t = host.strip_prefix("mta-sts.").and_then(|n| pop.lookup(n));
                match t.map(|t| policy_class(&t)) {
                    Some(PolicyClass::ExpiredCert) => CertKind::Expired,
                    _ => CertKind::Good,
                }
            }
        };
        let (chain, key) = self.pki.chain(&host, kind);
        let key = self.provider.key_provider.load_private_key(key).ok()?;
        Some(Arc::new(CertifiedKey::new(chain, key)))
    }
}

/// The simulated mail and policy hosts, listening on loopback on one port.
pub struct SimTransport {
    port: u16,
    pki: Arc<SimPki>,
    accepted: Arc<Mutex<HashMap<Ipv4Addr, u64>>>,
    tasks: Vec<JoinHandle<()>>,
}

impl SimTransport {
    /// Listen at every class's addresses (and the policy server's) on `port`, or on one free
    /// port where it is 0.
    pub async fn start(pop: Arc<super::Population>, port: u16) -> io::Result<SimTransport> {
        let pki = Arc::new(SimPki::new());
        let provider = Arc::new(ring::default_provider());
        let config = |chooser| {
            let resolver = Arc::new(ByName {
                pki: pki.clone(),
                chooser,
                provider: provider.clone(),
            });
            let c = ServerConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .expect("TLS 1.2 and 1.3")
                .with_no_client_auth()
                .with_cert_resolver(resolver);
            TlsAcceptor::from(Arc::new(c))
        };
        let mut roles: Vec<([u8; 4], Role)> = Vec::new();
        for class in HostClass::LISTENING {
            let kind = match class {
                HostClass::Expired => CertKind::Expired,
                HostClass::WrongName => CertKind::WrongName,
                HostClass::SelfSigned => CertKind::SelfSigned,
                _ => CertKind::Good,
            };
            for k in [1, 2, PROVIDER_INDEX] {
                let role = match class {
                    HostClass::Silent => Role::Silent,
                    _ => Role::Smtp(class, config(Chooser::Fixed(kind))),
                };
                roles.push((host_address(class, k), role));
            }
        }
        roles.push((
            [NET[0], NET[1], POLICY_CLASS_OCTET, 1],
            Role::Https(config(Chooser::Policy(pop.clone())), pop),
        ));
        let addrs = roles.iter().map(|(a, _)| Ipv4Addr::from(*a));
        let (port, listeners) = bind_all(addrs, port).await?;
        let accepted: Arc<Mutex<HashMap<Ipv4Addr, u64>>> = Arc::default();
        let tasks = listeners
            .into_iter()
            .zip(roles)
            .map(|(listener, (addr, role))| {
                let accepted = accepted.clone();
                let role = Arc::new(role);
                tokio::spawn(async move {
                    while let Ok((tcp, _)) = listener.accept().await {
                        *accepted
                            .lock()
                            .expect("count")
                            .entry(Ipv4Addr::from(addr))
                            .or_default() += 1;
                        let role = role.clone();
                        tokio::spawn(async move {
                            let _ = role.serve(tcp).await;
                        });
                    }
                })
            })
            .collect();
        Ok(SimTransport {
            port,
            pki,
            accepted,
            tasks,
        })
    }

    /// The port every simulated host listens on (`--smtp-port`, `--https-port`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The CA's certificate, PEM (`--ca-file`).
    pub fn ca_pem(&self) -> String {
        self.pki.ca_pem()
    }

    /// Connections accepted at `addr` so far.
    pub fn accepted(&self, addr: [u8; 4]) -> u64 {
        let map = self.accepted.lock().expect("count");
        map.get(&Ipv4Addr::from(addr)).copied().unwrap_or(0)
    }

    /// Connections accepted over all hosts so far.
    pub fn accepted_total(&self) -> u64 {
        self.accepted.lock().expect("count").values().sum()
    }
}

impl Drop for SimTransport {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Bind every address at `port`; where it is 0, at the port the first address gets free,
/// again from the start where another process holds that port at one of the others.
async fn bind_all(
    addrs: impl Iterator<Item = Ipv4Addr> + Clone,
    port: u16,
) -> io::Result<(u16, Vec<TcpListener>)> {
    let mut last = None;
    let tries = if port == 0 { 50 } else { 1 };
    for _ in 0..tries {
        let mut all = addrs.clone();
        let first = all.next().expect("an address");
        let l = TcpListener::bind(SocketAddr::from((first, port))).await?;
        let port = l.local_addr()?.port();
        let mut listeners = vec![l];
        let mut ok = true;
        for a in all {
            match TcpListener::bind(SocketAddr::from((a, port))).await {
                Ok(l) => listeners.push(l),
                Err(e) => {
                    last = Some(e);
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            return Ok((port, listeners));
        }
    }
    Err(last.expect("a failure"))
}

/// What a listener does with a connection.
enum Role {
    Smtp(HostClass, TlsAcceptor),
    Silent,
    Https(TlsAcceptor, Arc<super::Population>),
}

impl Role {
    async fn serve(&self, tcp: TcpStream) -> io::Result<()> {
        match self {
            // Accepts and says nothing, until the client gives up.
            Role::Silent => {
                let mut tcp = tcp;
                tokio::io::copy(&mut tcp, &mut tokio::io::sink()).await?;
                Ok(())
            }
            Role::Smtp(class, acceptor) => smtp(tcp, *class, acceptor).await,
            Role::Https(acceptor, pop) => https(tcp, acceptor, pop).await,
        }
    }
}

async fn smtp(tcp: TcpStream, class: HostClass, acceptor: &TlsAcceptor) -> io::Result<()> {
    let mut conn = BufReader::new(tcp);
    conn.write_all(b"220 sim.invalid ESMTP mailcensus simulator\r\n")
        .await?;
    if !commands(&mut conn, class != HostClass::NoStarttls).await? {
        return Ok(());
    }
    let tls = acceptor.accept(conn.into_inner()).await?;
    commands(&mut BufReader::new(tls), false).await?;
    Ok(())
}

/// Answer commands until QUIT (false) or STARTTLS (true) or the end of the connection.
async fn commands<S: AsyncBufRead + AsyncWrite + Unpin>(
    conn: &mut S,
    offer: bool,
) -> io::Result<bool> {
    loop {
        let mut line = String::new();
        if conn.take(1024).read_line(&mut line).await? == 0 {
            return Ok(false);
        }
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" if offer => {
                b"250-sim.invalid\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
            }
            "EHLO" => b"250-sim.invalid\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
            "STARTTLS" if offer => {
                conn.write_all(b"220 2.0.0 Ready to start TLS\r\n").await?;
                conn.flush().await?;
                return Ok(true);
            }
            "QUIT" => {
                conn.write_all(b"221 2.0.0 Bye\r\n").await?;
                conn.shutdown().await?;
                return Ok(false);
            }
            _ => b"502 5.5.2 Command not recognized\r\n",
        };
        conn.write_all(reply).await?;
        conn.flush().await?;
    }
}

async fn https(tcp: TcpStream, acceptor: &TlsAcceptor, pop: &super::Population) -> io::Result<()> {
    let tls = acceptor.accept(tcp).await?;
    let host = tls.get_ref().1.server_name().unwrap_or("").to_string();
    let mut conn = BufReader::new(tls);
    // The request's head, to its blank line.
    loop {
        let mut line = String::new();
        if conn.read_line(&mut line).await? == 0 || line.trim().is_empty() {
            break;
        }
    }
    let name = host.strip_prefix("mta-sts.").unwrap_or("");
    let truth = pop.lookup(name);
    let (status, media, body) = match truth.as_ref().map(|t| (policy_class(t), t)) {
        None => ("404 Not Found", "text/plain", String::new()),
        Some((PolicyClass::NotFound, _)) => ("404 Not Found", "text/plain", String::new()),
        Some((PolicyClass::Redirect, _)) => ("302 Found", "text/plain", String::new()),
        Some((PolicyClass::WrongType, t)) => ("200 OK", "text/html", policy_text(name, t)),
        Some((_, t)) => ("200 OK", "text/plain; charset=utf-8", policy_text(name, t)),
    };
    let location = match status.starts_with("302") {
        true => "Location: https://www.sim-elsewhere.net/.well-known/mta-sts.txt\r\n",
        false => "",
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {media}\r\nContent-Length: {}\r\n{location}Connection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await?;
    conn.write_all(body.as_bytes()).await?;
    conn.shutdown().await
}
