//! Pure verdicts on published records, with no I/O: what counts as an SPF or DMARC record
//! (the ministry's "declared"), what an MX set means (RFC 7505 null MX), the BIMI, MTA-STS
//! and TLS-RPT records, and the 2025 guideline's verdict on a name.

pub mod bimi;
pub mod compliance;
pub mod dmarc;
pub mod judgement;
pub mod mailhost;
pub mod mta_sts;
pub mod spf;
pub mod tags;
pub mod tls_rpt;
pub mod transport;

use std::sync::{Arc, OnceLock};

/// What a TXT lookup made on the way (an SPF include or redirect target, a DMARC tree-walk
/// step) gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxtLookup {
    Records(Arc<TxtRecords>),
    /// NXDOMAIN or no TXT: for SPF a void lookup (RFC 7208 §4.6.4).
    Void,
    /// The lookup failed (timeout, SERVFAIL): a temperror, never "no record".
    Failed,
}

impl TxtLookup {
    pub fn records(txts: Vec<String>) -> TxtLookup {
        TxtLookup::Records(Arc::new(TxtRecords {
            txts,
            spf: OnceLock::new(),
        }))
    }
}

/// A name's TXT records (strings joined), shared by every name whose evaluation asks for them:
/// a provider's SPF record is included by hundreds of thousands of names, so it is parsed once
/// per run, not once per name.
#[derive(Debug)]
pub struct TxtRecords {
    txts: Vec<String>,
    spf: OnceLock<Result<Arc<spf::SpfRecord>, spf::SpfError>>,
}

impl TxtRecords {
    pub fn txts(&self) -> &[String] {
        &self.txts
    }

    /// The one SPF record among them, parsed on first use.
    pub fn spf(&self) -> Result<&Arc<spf::SpfRecord>, &spf::SpfError> {
        self.spf
            .get_or_init(|| spf::select(&self.txts).and_then(spf::parse).map(Arc::new))
            .as_ref()
    }
}

impl PartialEq for TxtRecords {
    fn eq(&self, other: &TxtRecords) -> bool {
        self.txts == other.txts
    }
}

impl Eq for TxtRecords {}

/// The question an SPF `a`, `mx` or `exists` term asks of its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostQuery {
    /// `a`: the target's address records. A survey has no sender, so no address family to
    /// follow: A decides whether the lookup is void (the family of nearly all mail); AAAA is
    /// asked beside it for the address space the term lets in.
    A,
    /// `mx`: the target's MX records, then (for the address space) their hosts' addresses.
    Mx,
    /// `exists`: whether the target has an A record.
    Exists,
}

/// What a [`HostQuery`] found: whether it found records (which void-lookup counting needs),
/// and for `a` and `mx` the addresses the term lets in (its A and AAAA records, or its MX
/// hosts'), `None` where they could not all be had (a lookup failed) or were not asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    Found(Option<spf::space::Addresses>),
    /// NXDOMAIN or NODATA: a void lookup (RFC 7208 §4.6.4).
    Void,
    /// The lookup failed (timeout, SERVFAIL): a temperror, never void.
    Failed,
    /// An `mx` target with more than 10 MX records: RFC 7208 §4.6.4, "the evaluation of
    /// each "MX" record MUST NOT result in querying more than 10 address records [...] If
    /// this limit is exceeded, the "mx" mechanism MUST produce a "permerror" result" (the
    /// test suite's `mx-limit`). The answer in hand says so; no address is asked.
    OverTenMx,
}

impl Presence {
    /// Settled, with the addresses `q` asks for in hand (`exists` asks none): worth keeping
    /// for the run.
    pub fn is_whole(&self, q: HostQuery) -> bool {
        match self {
            Presence::Failed => false,
            Presence::Found(None) => q == HostQuery::Exists,
            _ => true,
        }
    }
}

/// The DNS that policy evaluation needs, supplied by the crawler (rate-limited, cached).
pub trait PolicyDns {
    fn txt(&self, name: &str) -> impl std::future::Future<Output = TxtLookup> + Send;
    fn host(&self, name: &str, q: HostQuery) -> impl std::future::Future<Output = Presence> + Send;
}

/// Whether a TXT record (its strings already joined, RFC 7208 §3.3) is an SPF record.
///
/// RFC 7208 §4.5: keep records that begin with the version section "v=spf1", terminated by a
/// space or the end of the record. The ABNF of §12 (`version = "v=spf1"`) is case-insensitive
/// (RFC 5234 §2.3), so `V=SPF1` counts and `v=spf10` does not.
pub fn is_spf_record(txt: &str) -> bool {
    let b = txt.as_bytes();
    b.len() >= 6 && b[..6].eq_ignore_ascii_case(b"v=spf1") && (b.len() == 6 || b[6] == b' ')
}

/// Whether a TXT record at `_dmarc.<name>` is a DMARC record: what the ministry counts as
/// declared (設定), valid or not.
///
/// RFC 7489 §6.4 ABNF: `dmarc-version = "v" *WSP "=" *WSP %x44 %x4d %x41 %x52 %x43 %x31`: the
/// tag name is case-insensitive, `DMARC1` is case-sensitive, white space may surround `=`, and
/// it must be the first tag. The record is declared when the version is followed by the end,
/// white space or `;`: `v=DMARC1 p=reject` (no separator) was meant as DMARC and is read as a
/// declared record that breaks the grammar ([`dmarc::Problem::MissingSeparator`]), never as
/// absent; `v=DMARC10`, `v=DMARC2` or `p=none; v=DMARC1` are not DMARC. RFC 9989 keeps the
/// same version tag.
pub fn is_dmarc_record(txt: &str) -> bool {
    dmarc_version_end(txt).is_some()
}

/// Where the version tag of a declared DMARC record ends (see [`is_dmarc_record`]).
pub(crate) fn dmarc_version_end(txt: &str) -> Option<usize> {
    let wsp = |s: &str| s.trim_start_matches([' ', '\t']).len();
    let rest = txt.strip_prefix(['v', 'V'])?;
    let rest = &rest[rest.len() - wsp(rest)..];
    let rest = rest.strip_prefix('=')?;
    let rest = &rest[rest.len() - wsp(rest)..];
    let rest = rest.strip_prefix("DMARC1")?;
    match rest.chars().next() {
        None | Some(' ' | '\t' | ';') => Some(txt.len() - rest.len()),
        Some(_) => None,
    }
}

/// The one record among `txts` that `is_record` accepts; otherwise how many there are (0, or
/// more than one: RFC 7208 §4.5 and RFC 7489 §6.6.3 both make several records no policy).
fn only_one(txts: &[String], is_record: fn(&str) -> bool) -> Result<&str, usize> {
    let mut found = txts.iter().filter(|t| is_record(t));
    match (found.next(), found.count()) {
        (Some(one), 0) => Ok(one),
        (None, _) => Err(0),
        (Some(_), more) => Err(more + 1),
    }
}

crate::codes! {
    /// What an MX answer says about mail to the name.
    pub enum MxKind {
        /// At least one real exchange.
        Hosts => "hosts",
        /// RFC 7505 §3: one MX with preference 0 and exchange "." says "no mail accepted".
        Null => "null",
        /// A null MX beside other MX records, which RFC 7505 §3 forbids; mail still has hosts.
        NullWithHosts => "null-with-hosts",
        /// No MX records.
        None => "none",
    }
}

impl MxKind {
    /// From MX records in presentation form `PREF EXCHANGE`.
    pub fn of(records: &[String]) -> MxKind {
        let is_null = |r: &String| {
            let mut parts = r.split_whitespace();
            let pref = parts.next();
            let exchange = parts.next();
            exchange == Some(".") && pref.is_some()
        };
        let nulls = records.iter().filter(|r| is_null(r)).count();
        match (nulls, records.len()) {
            (_, 0) => MxKind::None,
            (1, 1) if records[0].starts_with("0 ") => MxKind::Null,
            (0, _) => MxKind::Hosts,
            (n, total) if n == total => MxKind::Null,
            _ => MxKind::NullWithHosts,
        }
    }

    /// The ministry's "has MX": some host accepts mail.
    pub fn has_hosts(self) -> bool {
        matches!(self, MxKind::Hosts | MxKind::NullWithHosts)
    }
}

/// A zone in memory for the policy tests: names not listed are void.
#[cfg(test)]
pub(crate) mod fake {
    use super::{HostQuery, PolicyDns, Presence, TxtLookup};
    use std::collections::HashMap;

    /// TXT records by name; address and MX answers by (name, question), the rest void.
    pub struct Fake(
        HashMap<String, TxtLookup>,
        HashMap<(String, HostQuery), Presence>,
    );

    impl Fake {
        pub fn new(zone: Vec<(&str, TxtLookup)>) -> Fake {
            let txt = zone.into_iter().map(|(n, l)| (n.to_string(), l)).collect();
            Fake(txt, HashMap::new())
        }

        pub fn with_hosts(mut self, hosts: Vec<(&str, HostQuery, Presence)>) -> Fake {
            self.1
                .extend(hosts.into_iter().map(|(n, q, p)| ((n.to_string(), q), p)));
            self
        }
    }

    impl PolicyDns for Fake {
        fn txt(&self, name: &str) -> impl std::future::Future<Output = TxtLookup> + Send {
            let r = self.0.get(name).cloned().unwrap_or(TxtLookup::Void);
            async move { r }
        }

        fn host(
            &self,
            name: &str,
            q: HostQuery,
        ) -> impl std::future::Future<Output = Presence> + Send {
            let r = self
                .1
                .get(&(name.to_string(), q))
                .cloned()
                .unwrap_or(Presence::Void);
            async move { r }
        }
    }

    pub fn rec(s: &str) -> TxtLookup {
        TxtLookup::records(vec![s.to_string()])
    }

    /// Records as a lookup returns them.
    pub fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }
}

/// One lookup as the judgement sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen<'a> {
    /// The check was not asked for.
    NotAsked,
    /// The lookup failed after retries: unknown, never absent.
    Failed,
    /// What it settled: the records, empty for NXDOMAIN and NODATA.
    Settled(&'a [String]),
}

impl<'a> Seen<'a> {
    pub(crate) fn settled(self) -> Option<&'a [String]> {
        match self {
            Seen::Settled(r) => Some(r),
            _ => None,
        }
    }

    /// `None` where not asked, `Some(None)` where failed.
    pub(crate) fn asked(self) -> Option<Option<&'a [String]>> {
        match self {
            Seen::NotAsked => None,
            Seen::Failed => Some(None),
            Seen::Settled(r) => Some(Some(r)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::fake::v;

    #[test]
    fn spf_version_section() {
        assert!(is_spf_record("v=spf1 -all"));
        assert!(is_spf_record("v=spf1"));
        assert!(is_spf_record("V=SPF1 mx"));
        assert!(!is_spf_record("v=spf10 mx"));
        assert!(!is_spf_record("spf1 mx -all"));
        assert!(!is_spf_record(" v=spf1 -all"));
        assert!(!is_spf_record("v=spf1\t-all"));
    }

    #[test]
    fn dmarc_version_tag() {
        assert!(is_dmarc_record("v=DMARC1; p=none"));
        assert!(is_dmarc_record("v=DMARC1;p=none"));
        assert!(is_dmarc_record("v = DMARC1 ; p=none"));
        assert!(is_dmarc_record("V=DMARC1"));
        // Declared, though the grammar breaks after the version (no `;`): read as invalid.
        assert!(is_dmarc_record("v=DMARC1 p=reject"));
        assert!(is_dmarc_record("v=DMARC1\t,p=none"));
        assert!(!is_dmarc_record("v=dmarc1; p=none"));
        assert!(!is_dmarc_record("p=none; v=DMARC1"));
        assert!(!is_dmarc_record("v=DMARC2; p=none"));
        assert!(!is_dmarc_record("v=DMARC10; p=none"));
        assert!(!is_dmarc_record("v=DMARC1x"));
    }

    #[test]
    fn null_mx() {
        assert_eq!(MxKind::of(&v(&["0 ."])), MxKind::Null);
        assert_eq!(MxKind::of(&v(&["10 mx.example.jp."])), MxKind::Hosts);
        assert_eq!(
            MxKind::of(&v(&["0 .", "10 mx.example.jp."])),
            MxKind::NullWithHosts
        );
        assert_eq!(MxKind::of(&[]), MxKind::None);
        assert!(!MxKind::Null.has_hosts());
    }
}
