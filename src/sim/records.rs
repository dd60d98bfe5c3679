//! The records a simulated name publishes, from its truth. The variety exercises every rule a
//! survey must get right without changing the ministry's counts:
//!
//! Counted as declared (a TXT whose joined strings start `v=spf1` / `v=DMARC1`, RFC 7208 §4.5,
//! RFC 7489 §6.4): plain records; `include:`/`redirect=` chains to provider names this server
//! also serves; SPF split over several character-strings (RFC 7208 §3.3 joins them with nothing
//! between); several TXT records of which one is SPF; records over 512 octets (truncated over
//! UDP, fetched over TCP); invalid records that still declare (two SPF records: §4.5 permerror;
//! syntax errors; `+all`; `ptr`; 1 % each of SPF names with MX over the 10 DNS-querying terms,
//! over the 2 void lookups, and including itself (RFC 7208 §4.6.4, §5.2); DMARC without `p=`; a bad `p=`; `v=DMARC1 p=reject`, which
//! misses the `;` after the version, on 2 % of DMARC names with MX); `_dmarc` as a CNAME to a
//! reporting service; DMARCbis tags.
//!
//! Not declared: TXT that merely looks like a policy (`spf1 mx -all`, `v=spf10`,
//! `p=none; v=DMARC1` with `v` not first, `v=DMARC2`, `v=DMARC10`), placed only on names the
//! truth counts as without SPF / DMARC. SPF and DMARC on names without MX exist but never enter a rate.
//!
//! The opt-in checks' records, on names with MX, each picked by its own two digits of the
//! name's variant (so independent of the rest): BIMI 2 % with a logo and evidence (and 30 % of
//! the names with the soumu.go.jp DMARC record, as the ministry since November 2025), 2 %
//! self-asserted, 1 % declined, 1 % invalid (`l=http:`), 1 % two records; MTA-STS 6 % valid,
//! 1 % each bad `id`, two records, and `v=STSv1 ;` (which senders discard); TLS-RPT 7 % mailto,
//! 1 % https, 1 % each without `rua` and with only an `ftp:` URI. DMARC reports to the
//! reporting service are authorized (`*._report._dmarc.sim-dmarc-service.net`); those to
//! `sim-report-sink.net` are not. NS: four operators, the cloud one favoured by names with
//! DMARC (the provider-default effect), 12 % self-hosted, 3 % two operators. DNSSEC: 6 % of
//! all names answer with the AD bit.
//!
//! DKIM, MX hosts and DANE, on names with MX, each by its own draw: DKIM 40 % a selector
//! (`selector1._domainkey`, so `_domainkey` is an empty non-terminal), 5 % a legacy policy
//! record at `_domainkey` itself, the rest nothing (NXDOMAIN). Hosts: the provider's host has A
//! and AAAA; a name's own hosts have A, and AAAA on all of them for 30 %, on `mx1` only for
//! 5 %; for 3 % `mx1` has no address (a dangling MX); the addresses are on loopback, where
//! the simulated hosts listen (`transport.rs`). TLSA at `_25._tcp.<host>`: of the
//! DNSSEC-signed names, 60 % a DANE record on every own host (50 % DANE-EE with the hosts'
//! key's digest, 5 % DANE-EE with another, 5 % DANE-TA with the CA's key's), 10 % DANE-EE on
//! `mx1` only, 10 % a PKIX-EE record, 5 % a digest of the wrong length; of the unsigned, 3 % a
//! DANE-EE record that no client may use (no AD bit).

use super::population::{MxTruth, Truth, mix};
use super::transport::{
    HostClass, PROVIDER_INDEX, TlsaKind, ca_key_digest, host_address, host_class, host_key_digest,
};
use crate::policy::mailhost::{Dane, Dkim, Share};

/// TXT records above or beside the population that many names share: providers' SPF include
/// targets, and a DMARC record at the public suffix `tokyo.jp` (hypothetical, marked `psd=y` as
/// RFC 9989 lets a public suffix operator publish). RFC 9989's DNS Tree Walk applies it to
/// every Tokyo geographic name without a record of its own; RFC 7489 does not, since
/// `tokyo.jp` is on the Public Suffix List and `x.tokyo.jp` is its own Organizational Domain.
pub const SHARED_TXT: [(&str, &str); 6] = [
    ("_dmarc.tokyo.jp", "v=DMARC1; p=reject; psd=y"),
    ("_spf.sim-provider-a.net", "v=spf1 ip4:198.51.100.0/24 -all"),
    // A provider that authorises a whole /8 besides its relays, as the permissive includes
    // that measurement research finds (one provider's range let in for every customer).
    (
        "_spf.sim-provider-wide.net",
        "v=spf1 ip4:198.51.100.0/24 ip4:100.0.0.0/8 -all",
    ),
    (
        "_spf.sim-provider-b.net",
        "v=spf1 ip4:203.0.113.0/24 include:_spf.sim-provider-a.net ~all",
    ),
    (
        "_spf.sim-provider-c.net",
        "v=spf1 include:_spf.sim-provider-b.net -all",
    ),
    // Five DNS-querying terms deep: c, b, a, wide and itself.
    (
        "_spf.sim-provider-d.net",
        "v=spf1 include:_spf.sim-provider-c.net include:_spf.sim-provider-wide.net -all",
    ),
];
/// `_dmarc.<name>` of some names is a CNAME to `<name>.` + this.
pub const DMARC_SERVICE_SUFFIX: &str = "dmarc.sim-dmarc-service.net";
const DMARC_SERVICE_RECORD: &str = "v=DMARC1; p=none; rua=mailto:agg@sim-dmarc-service.net";
pub const PROVIDER_MX_HOST: &str = "mx.sim-mail.net";

/// MX (preference, exchange) of a name.
pub fn mx_records(name: &str, t: &Truth) -> Vec<(u16, String)> {
    match t.mx {
        MxTruth::Mx if t.variant.is_multiple_of(5) => vec![(10, PROVIDER_MX_HOST.to_string())],
        MxTruth::Mx if t.variant % 5 == 1 => {
            vec![(10, format!("mx1.{name}")), (20, format!("mx2.{name}"))]
        }
        MxTruth::Mx => vec![(10, format!("mx1.{name}"))],
        MxTruth::Null => vec![(0, ".".to_string())],
        MxTruth::None => Vec::new(),
    }
}

/// Apex TXT records, each a list of character-strings.
pub fn apex_txt(name: &str, t: &Truth) -> Vec<Vec<String>> {
    let v = t.spf_choice;
    let s = |x: &str| vec![x.to_string()];
    if !t.spf {
        return match v {
            0..=3 => vec![s("spf1 mx -all")],
            4..=5 => vec![s("v=spf10 mx")],
            6..=15 => vec![s(&format!("google-site-verification={:016x}", t.variant))],
            _ => Vec::new(),
        };
    }
    if t.mx != MxTruth::Mx {
        return vec![s("v=spf1 -all")];
    }
    match v {
        0..=29 => vec![s("v=spf1 mx -all")],
        30..=45 => vec![s("v=spf1 include:_spf.sim-provider-a.net ~all")],
        46..=47 => vec![s("v=spf1 include:_spf.sim-provider-wide.net ~all")],
        // No `all`: the default result is neutral (RFC 7208 §4.7).
        48..=49 => vec![s("v=spf1 mx")],
        50..=59 => vec![vec![
            "v=spf1 ip4:192.0.2.0/24 include:_spf.sim-prov".to_string(),
            "ider-b.net -all".to_string(),
        ]],
        60..=69 => vec![
            s(&format!("google-site-verification={:016x}", t.variant)),
            s("v=spf1 a mx ?all"),
        ],
        70..=77 => vec![s("v=spf1 redirect=_spf.sim-provider-a.net")],
        78..=81 => vec![s("v=spf1 -all"), s("v=spf1 mx ~all")],
        82..=85 => vec![s(
            "v=spf1 ip4:999.0.0.1 inclde:_spf.sim-provider-a.net -all",
        )],
        86..=87 => vec![s("v=spf1 +all")],
        88..=91 => vec![long_spf(name)],
        92..=95 => vec![s("v=spf1 include:_spf.sim-provider-c.net -all")],
        96 => vec![s("v=spf1 ptr -all")],
        // RFC 7208 §4.6.4: a, mx, d (5 deep), c (3 deep) and wide make 11 DNS-querying terms,
        // one over the 10 allowed.
        97 => vec![s(
            "v=spf1 a mx include:_spf.sim-provider-d.net include:_spf.sim-provider-c.net include:_spf.sim-provider-wide.net -all",
        )],
        // Three `a` targets that do not exist: one void lookup over the 2 allowed (§4.6.4).
        98 => vec![s(&format!(
            "v=spf1 a:void1.{name} a:void2.{name} a:void3.{name} mx -all"
        ))],
        // The record includes itself: a loop, permerror (§5.2).
        _ => vec![s(&format!("v=spf1 mx include:{name} -all"))],
    }
}

/// What a correct survey measures of the address space a name's SPF record lets pass,
/// from the choices that make its records (not from the records): `None` where the name
/// publishes no SPF record or an invalid one (a syntax error, two records, over a limit, a
/// loop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfTruth {
    pub ipv4_addresses: u64,
    pub ipv6_64s: u64,
    pub permissive: Vec<&'static str>,
}

pub fn spf_truth(t: &Truth) -> Option<SpfTruth> {
    let of = |ipv4_addresses, ipv6_64s, permissive: &[&'static str]| {
        Some(SpfTruth {
            ipv4_addresses,
            ipv6_64s,
            permissive: permissive.to_vec(),
        })
    };
    if !t.spf {
        return None;
    }
    let Some(mail) = mail_truth(t) else {
        return of(0, 0, &[]); // `v=spf1 -all`
    };
    // The MX hosts' addresses (`mx_records`, `own_hosts`, `provider_host`): one or two
    // hosts of 127.25.x.y, the first without one where it dangles; every AAAA in
    // 2001:db8::/64. The apex's A is 192.0.2.80, apart from them all.
    let hosts = if t.variant % 5 == 1 { 2 } else { 1 };
    let mx4 = hosts - u64::from(mail.mx_dangling);
    let mx6 = u64::from(mail.mx_ipv6 != Share::None);
    let (a, b) = (256, 512); // provider a's /24; b's own /24 and a's
    match t.spf_choice {
        0..=29 => of(mx4, mx6, &[]),
        30..=45 | 70..=77 => of(a, 0, &[]),
        46..=47 => of(a + (1 << 24), 0, &["over-65536", "over-16m"]),
        48..=49 => of(mx4, mx6, &["no-all"]),
        50..=59 => of(256 + b, 0, &[]),
        60..=69 => of(1 + mx4, mx6, &["neutral-all"]),
        78..=85 => None,
        86..=87 => of(
            1 << 32,
            u64::MAX,
            &["pass-all", "wide-ip4", "over-65536", "over-16m"],
        ),
        88..=91 => of(1 + mx4 + 96, mx6, &[]),
        92..=95 => of(b, 0, &[]),
        96 => of(0, 0, &["ptr"]),
        // Over a limit of §4.6.4, or a loop: permerror, no address space.
        _ => None,
    }
}

/// An SPF record of about 1,700 octets in ten strings: larger than any UDP answer a client
/// advertises by default (1,232 octets), so it comes truncated over UDP and whole over TCP.
fn long_spf(name: &str) -> Vec<String> {
    let mut out = vec![format!("v=spf1 a:{name} mx")];
    for chunk in 0..8 {
        let ips: Vec<String> = (0..12)
            .map(|k| format!(" ip4:198.51.{}.{}/32", chunk, k * 16))
            .collect();
        out.push(ips.concat());
    }
    out.push(" -all".to_string());
    out
}

/// What `_dmarc.<name>` holds.
pub enum DmarcAnswer {
    /// The name `_dmarc.<name>` does not exist.
    None,
    Txt(Vec<Vec<String>>),
    /// A CNAME to this name, which has [`service_dmarc_txt`].
    Cname(String),
}

pub fn dmarc(name: &str, t: &Truth) -> DmarcAnswer {
    let v = t.dmarc_choice;
    let one = |x: String| DmarcAnswer::Txt(vec![vec![x]]);
    if !t.dmarc {
        return match v {
            0..=2 => one("p=none; v=DMARC1".to_string()),
            3 => one("v=DMARC2; p=none".to_string()),
            4 => one("v=DMARC10; p=reject".to_string()),
            _ => DmarcAnswer::None,
        };
    }
    // A domain without mail: the 2025 guideline asks for p=reject; a fifth stop at
    // quarantine.
    if t.mx != MxTruth::Mx {
        return match v {
            0..=79 => one("v=DMARC1; p=reject".to_string()),
            _ => one("v=DMARC1; p=quarantine".to_string()),
        };
    }
    match v {
        0..=39 => one(format!("v=DMARC1; p=none; rua=mailto:dmarc@{name}")),
        40..=54 => one(format!(
            "v=DMARC1; p=quarantine; sp=quarantine; pct=100;adkim=r;aspf=r; rua=mailto:rua-report@{name}; ruf=mailto:ruf-report@{name}"
        )),
        55..=64 => one("v=DMARC1; p=reject; sp=reject; adkim=s; aspf=s".to_string()),
        65..=67 => {
            one("v=DMARC1; p=quarantine; pct=25; rua=mailto:agg@sim-dmarc-service.net".to_string())
        }
        68..=69 => one(format!(
            "v=DMARC1; p=quarantine; pct=25; rua=mailto:d@{name},mailto:agg@{REPORT_SINK}"
        )),
        70..=79 => DmarcAnswer::Cname(format!("{name}.{DMARC_SERVICE_SUFFIX}")),
        80..=84 => one(format!("v=DMARC1; rua=mailto:d@{name}")),
        85..=89 => one("v=DMARC1;p=reject;np=reject;psd=n;t=n".to_string()),
        90..=94 => DmarcAnswer::Txt(vec![vec![
            "v=DMARC1; p=none; ".to_string(),
            format!("rua=mailto:x@{name}"),
        ]]),
        95..=96 => one("v=DMARC1 p=reject".to_string()),
        _ => one("v=DMARC1; p=bogus".to_string()),
    }
}

/// A report destination that never authorizes anyone's reports (RFC 7489 §7.1).
pub const REPORT_SINK: &str = "sim-report-sink.net";
/// The reporting service's authorization for every domain's reports (a wildcard).
pub const REPORT_AUTHORIZATION: (&str, &str) =
    ("*._report._dmarc.sim-dmarc-service.net", "v=DMARC1");

/// Two decimal digits of the variant from the `k`th up: independent choices per check.
fn digits(t: &Truth, k: u32) -> u64 {
    (t.variant / 10u64.pow(k)) % 100
}

fn sts_choice(t: &Truth) -> u64 {
    digits(t, 6)
}

/// The name publishes one valid `_mta-sts` record (so a policy host, `transport.rs`).
pub fn sts_record_valid(t: &Truth) -> bool {
    t.mx == MxTruth::Mx && sts_choice(t) <= 5
}

/// The TXT records of the opt-in checks at a name: (owner, records).
pub fn check_txt(name: &str, t: &Truth) -> Vec<(String, Vec<Vec<String>>)> {
    if t.mx != MxTruth::Mx {
        return Vec::new();
    }
    let s = |x: String| vec![x];
    let soumu_style = t.dmarc && (40..=54).contains(&t.dmarc_choice);
    let logo = format!("https://www.{name}/bimi/logo.svg");
    let vmc = format!("https://www.{name}/bimi/vmc.pem");
    let bimi: Vec<Vec<String>> = match digits(t, 4) {
        0..=29 if soumu_style => vec![s(format!("v=BIMI1; l={logo}; a={vmc}"))],
        0..=1 => vec![s(format!("v=BIMI1; l={logo}; a={vmc}"))],
        2..=3 => vec![s(format!("v=BIMI1; l={logo};"))],
        4 => vec![s("v=BIMI1; l=; a=;".to_string())],
        5 => vec![s(format!("v=BIMI1; l=http://www.{name}/logo.svg"))],
        6 => vec![
            s(format!("v=BIMI1; l={logo}")),
            s("v=BIMI1; l=;".to_string()),
        ],
        _ => Vec::new(),
    };
    let sts: Vec<Vec<String>> = match sts_choice(t) {
        0..=5 => vec![s("v=STSv1; id=20251101T000000;".to_string())],
        6 => vec![s("v=STSv1; id=2025-11-01".to_string())],
        7 => vec![
            s("v=STSv1; id=1".to_string()),
            s("v=STSv1; id=2".to_string()),
        ],
        8 => vec![s("v=STSv1 ; id=20251101".to_string())],
        _ => Vec::new(),
    };
    let rpt: Vec<Vec<String>> = match digits(t, 8) {
        0..=6 => vec![s(format!("v=TLSRPTv1; rua=mailto:tlsrpt@{name}"))],
        7 => vec![s(
            "v=TLSRPTv1; rua=https://tlsrpt.sim-dmarc-service.net/v1".to_string()
        )],
        8 => vec![s("v=TLSRPTv1;".to_string())],
        9 => vec![s(format!("v=TLSRPTv1; rua=ftp://{name}/tlsrpt"))],
        _ => Vec::new(),
    };
    [
        (crate::policy::bimi::owner(name), bimi),
        (crate::policy::mta_sts::owner(name), sts),
        (crate::policy::tls_rpt::owner(name), rpt),
    ]
    .into_iter()
    .filter(|(_, r)| !r.is_empty())
    .collect()
}

/// The NS hosts of a name (as a registered domain).
pub fn ns_hosts(name: &str, t: &Truth) -> Vec<String> {
    let pair = |op: &str| vec![format!("ns1.{op}"), format!("ns2.{op}")];
    let (cloud, a, b) = ("sim-cloud-dns.net", "sim-dns-a.jp", "sim-dns-b.ne.jp");
    // Names with DMARC lean to the operator whose default publishes it.
    let cut = if t.dmarc {
        [40, 70, 85, 97]
    } else {
        [10, 55, 85, 97]
    };
    match digits(t, 10) {
        n if n < cut[0] => pair(cloud),
        n if n < cut[1] => pair(a),
        n if n < cut[2] => pair(b),
        n if n < cut[3] => pair(name),
        _ => vec![format!("ns1.{a}"), format!("ns1.{cloud}")],
    }
}

/// A draw in `0..100` for the choice `k`, independent of the variant's digits.
fn draw(t: &Truth, k: u64) -> u64 {
    mix(t.variant, &[k]) % 100
}

/// A name's DKIM records: (owner, TXT strings).
pub fn dkim_txt(name: &str, t: &Truth) -> Vec<(String, Vec<String>)> {
    if t.mx != MxTruth::Mx {
        return Vec::new();
    }
    let owner = crate::policy::mailhost::dkim_owner(name);
    match draw(t, 1) {
        0..=39 => vec![(
            format!("selector1.{owner}"),
            vec![format!(
                "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GN{:016x}",
                t.variant
            )],
        )],
        40..=44 => vec![(owner, vec!["o=~".to_string()])],
        _ => Vec::new(),
    }
}

/// What one MX host of a name publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRecords {
    pub host: String,
    pub a: Option<[u8; 4]>,
    pub aaaa: Option<u16>,
    /// TLSA records as (usage, selector, matching, data).
    pub tlsa: Vec<(u8, u8, u8, Vec<u8>)>,
}

impl HostRecords {
    /// The IPv6 address, `2001:db8::` and the last group.
    pub fn ipv6(&self) -> Option<std::net::Ipv6Addr> {
        self.aaaa
            .map(|g| std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, g))
    }
}

/// The provider's MX host: A and AAAA, no TLSA.
pub fn provider_host() -> HostRecords {
    HostRecords {
        host: PROVIDER_MX_HOST.to_string(),
        a: Some(host_address(HostClass::Good, PROVIDER_INDEX)),
        aaaa: Some(0x25),
        tlsa: Vec::new(),
    }
}

/// The records of a name's own MX hosts (`mx1.`, `mx2.` under it).
pub fn own_hosts(name: &str, t: &Truth) -> Vec<HostRecords> {
    let addr = draw(t, 2);
    let other: Vec<u8> = (0..4u64)
        .flat_map(|k| mix(t.variant, &[4, k]).to_be_bytes())
        .collect();
    mx_records(name, t)
        .into_iter()
        .filter(|(_, h)| h.ends_with(name) && h != ".")
        .enumerate()
        .map(|(i, (_, host))| {
            let first = i == 0;
            let last = i as u8 + 1;
            let tlsa = match tlsa_kind(t, last) {
                Some(TlsaKind::EeMatching) => vec![(3, 1, 1, host_key_digest())],
                Some(TlsaKind::EeOther) => vec![(3, 1, 1, other.clone())],
                Some(TlsaKind::Ta) => vec![(2, 1, 1, ca_key_digest())],
                None => match (dnssec_signed(t), draw(t, 3)) {
                    (true, 70..=79) => vec![(1, 1, 1, other.clone())],
                    (true, 80..=84) => vec![(3, 1, 1, other[..2].to_vec())],
                    (false, 0..=2) => vec![(3, 1, 1, host_key_digest())],
                    _ => Vec::new(),
                },
            };
            let dangling = first && (95..=97).contains(&addr);
            HostRecords {
                a: (!dangling).then(|| host_address(host_class(t, last), last)),
                aaaa: match addr {
                    0..=29 => Some(u16::from(last)),
                    30..=34 if first => Some(u16::from(last)),
                    _ => None,
                },
                tlsa,
                host,
            }
        })
        .collect()
}

/// The usable, authenticated TLSA record of a name's own host `k`, where it has one: of the
/// DNSSEC-signed names, 50 % a DANE-EE record with the hosts' key's digest on every own host,
/// 5 % one with another digest, 5 % a DANE-TA record with the CA's key's, 10 % the key's
/// digest on `mx1` only.
pub fn tlsa_kind(t: &Truth, k: u8) -> Option<TlsaKind> {
    if !dnssec_signed(t) {
        return None;
    }
    match draw(t, 3) {
        0..=49 => Some(TlsaKind::EeMatching),
        50..=54 => Some(TlsaKind::EeOther),
        55..=59 => Some(TlsaKind::Ta),
        60..=69 if k == 1 => Some(TlsaKind::EeMatching),
        _ => None,
    }
}

/// What a correct survey finds of a name's DKIM keys and mail hosts, from the choices that
/// make its records (not from the records): the ground truth of the dkim, mx-ip and dane
/// checks. `None` for a name without MX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailTruth {
    pub dkim: Dkim,
    pub mx_ipv6: Share,
    pub mx_dangling: bool,
    pub dane: Dane,
}

pub fn mail_truth(t: &Truth) -> Option<MailTruth> {
    if t.mx != MxTruth::Mx {
        return None;
    }
    let provider = t.variant.is_multiple_of(5);
    let two_hosts = t.variant % 5 == 1;
    let dangling = !provider && (95..=97).contains(&draw(t, 2));
    let mx_ipv6 = match (provider, draw(t, 2)) {
        (true, _) => Share::All,
        (false, 0..=29) => Share::All,
        (false, 30..=34) if two_hosts => Share::Some,
        (false, 30..=34) => Share::All,
        _ => Share::None,
    };
    let dane = match (provider, dnssec_signed(t), draw(t, 3)) {
        (true, ..) => Dane::None,
        (false, true, 0..=59) => Dane::Valid,
        (false, true, 60..=69) if two_hosts => Dane::Partial,
        (false, true, 60..=69) => Dane::Valid,
        (false, true, 70..=84) => Dane::Invalid,
        (false, false, 0..=2) => Dane::Unauthenticated,
        _ => Dane::None,
    };
    Some(MailTruth {
        dkim: match draw(t, 1) {
            0..=44 => Dkim::Present,
            _ => Dkim::Absent,
        },
        mx_ipv6,
        mx_dangling: dangling,
        dane,
    })
}

/// The name's answers carry the AD bit (a validating resolver in front of a signed zone).
pub fn dnssec_signed(t: &Truth) -> bool {
    digits(t, 12) < 6
}

pub fn service_dmarc_txt() -> Vec<Vec<String>> {
    vec![vec![DMARC_SERVICE_RECORD.to_string()]]
}

/// Names under this zone publish hostile records, to test the client's bounds.
pub const HOSTILE_ZONE: &str = "hostile-sim.net";

/// What a hostile name publishes: (owner, CNAME target or TXT strings) in answer order.
pub enum Hostile {
    Txt(Vec<Vec<Vec<u8>>>),
    /// A chain of CNAMEs from the query name, then TXT at the end (if any).
    Chain(Vec<String>, Option<Vec<Vec<u8>>>),
    /// MX records whose exchange has these raw labels, and TXT records beside them.
    Mx(Vec<Vec<Vec<u8>>>, Vec<Vec<Vec<u8>>>),
}

/// The hostile records at `qname`, if it is one of the hostile names.
pub fn hostile(qname: &str) -> Option<Hostile> {
    let label = qname.strip_suffix(HOSTILE_ZONE)?.trim_end_matches('.');
    let z = HOSTILE_ZONE;
    Some(match label {
        // 80 TXT records of 250 octets: 20 kB, only over TCP.
        "huge-txt" => Hostile::Txt(
            (0..80)
                .map(|i| vec![format!("{i:03}{}", "x".repeat(247)).into_bytes()])
                .collect(),
        ),
        // One TXT record of 4,000 one-octet strings.
        "many-strings" => Hostile::Txt(vec![vec![b"a".to_vec(); 4000]]),
        "_dmarc.cname-chain" => Hostile::Chain(
            (1..=12).map(|i| format!("c{i}.{z}")).collect(),
            Some(vec![b"v=DMARC1; p=none".to_vec()]),
        ),
        "_dmarc.cname-loop" => Hostile::Chain(
            vec![
                format!("loop-a.{z}"),
                format!("loop-b.{z}"),
                format!("loop-a.{z}"),
            ],
            None,
        ),
        // Bytes no text field expects: NUL, 0xff, quote, backslash, DEL, invalid UTF-8.
        "odd-bytes" => Hostile::Txt(vec![
            vec![b"v=spf1 -all".to_vec()],
            vec![vec![0x00, 0xff, b'"', b'\\', 0x7f, 0xc3, 0x28]],
        ]),
        "odd-mx" => Hostile::Mx(
            vec![vec![
                vec![0x00, 0xff, b'.', b' '],
                b"hostile-sim".to_vec(),
                b"net".to_vec(),
            ]],
            vec![],
        ),
        // Eleven MX hosts under an SPF record whose `mx` must look at them all: RFC 7208
        // §4.6.4 caps an `mx` mechanism at ten (permerror), here and through `mx:`.
        "many-mx" => Hostile::Mx(
            (1..=11)
                .map(|i| {
                    vec![
                        format!("mx{i}").into_bytes(),
                        b"hostile-sim".to_vec(),
                        b"net".to_vec(),
                    ]
                })
                .collect(),
            vec![vec![b"v=spf1 mx -all".to_vec()]],
        ),
        "spf-many-mx" => Hostile::Txt(vec![vec![
            format!("v=spf1 mx:many-mx.{z} -all").into_bytes(),
        ]]),
        // A TXT record with no character-string at all (RFC 1035 §3.3.14 wants one or more):
        // RDLENGTH 0, which no reader takes.
        "empty-txt" => Hostile::Txt(vec![vec![]]),
        // An SPF record that includes itself.
        "spf-loop" => Hostile::Txt(vec![vec![
            format!("v=spf1 include:spf-loop.{z} -all").into_bytes(),
        ]]),
        // An endless binary tree of includes: fanN includes fan(2N+1) and fan(2N+2).
        l if l
            .strip_prefix("fan")
            .is_some_and(|n| n.parse::<u64>().is_ok()) =>
        {
            let n: u64 = l[3..].parse().ok()?;
            Hostile::Txt(vec![vec![
                format!(
                    "v=spf1 include:fan{}.{z} include:fan{}.{z} -all",
                    2 * n + 1,
                    2 * n + 2
                )
                .into_bytes(),
            ]])
        }
        _ => return None,
    })
}
