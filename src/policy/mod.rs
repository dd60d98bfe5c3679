//! Pure verdicts on published records, with no I/O: what counts as an SPF or DMARC record
//! (the ministry's "declared"), what an MX set means (RFC 7505 null MX), the BIMI, MTA-STS
//! and TLS-RPT records, and the 2025 guideline's verdict on a name.

pub mod bimi;
pub mod compliance;
pub mod dmarc;
pub mod mta_sts;
pub mod spf;
pub mod tags;
pub mod tls_rpt;

use serde::{Deserialize, Serialize};

/// What a TXT lookup made on the way (an SPF include or redirect target, a DMARC tree-walk
/// step) gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxtLookup {
    Records(Vec<String>),
    /// NXDOMAIN or no TXT: for SPF a void lookup (RFC 7208 §4.6.4).
    Void,
    /// The lookup failed (timeout, SERVFAIL): a temperror, never "no record".
    Failed,
}

/// The DNS that policy evaluation needs, supplied by the crawler (rate-limited, cached).
pub trait TxtSource {
    fn txt(&self, name: &str) -> impl std::future::Future<Output = TxtLookup> + Send;
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

/// Whether a TXT record at `_dmarc.<name>` is a DMARC record.
///
/// RFC 7489 §6.4 ABNF: `dmarc-version = "v" *WSP "=" *WSP %x44 %x4d %x41 %x52 %x43 %x31`: the
/// tag name is case-insensitive, `DMARC1` is case-sensitive, white space may surround `=`, and
/// it must be the first tag, followed by `;` (after optional white space) or the end. RFC 9989
/// keeps the same rule.
pub fn is_dmarc_record(txt: &str) -> bool {
    let wsp = |s: &str| s.trim_start_matches([' ', '\t']).to_string();
    let Some(rest) = txt.strip_prefix(['v', 'V']) else {
        return false;
    };
    let rest = wsp(rest);
    let Some(rest) = rest.strip_prefix('=') else {
        return false;
    };
    let rest = wsp(rest);
    let Some(rest) = rest.strip_prefix("DMARC1") else {
        return false;
    };
    let rest = wsp(rest);
    rest.is_empty() || rest.starts_with(';')
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

/// What an MX answer says about mail to the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MxKind {
    /// At least one real exchange.
    Hosts,
    /// RFC 7505 §3: one MX with preference 0 and exchange "." says "no mail accepted".
    Null,
    /// A null MX beside other MX records, which RFC 7505 §3 forbids; mail still has hosts.
    NullWithHosts,
    /// No MX records.
    None,
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

    pub fn code(self) -> &'static str {
        match self {
            MxKind::Hosts => "hosts",
            MxKind::Null => "null",
            MxKind::NullWithHosts => "null-with-hosts",
            MxKind::None => "none",
        }
    }
}

/// A zone in memory for the policy tests: names not listed are void.
#[cfg(test)]
pub(crate) mod fake {
    use super::{TxtLookup, TxtSource};
    use std::collections::HashMap;

    pub struct Fake(HashMap<String, TxtLookup>);

    impl Fake {
        pub fn new(zone: Vec<(&str, TxtLookup)>) -> Fake {
            Fake(zone.into_iter().map(|(n, l)| (n.to_string(), l)).collect())
        }
    }

    impl TxtSource for Fake {
        fn txt(&self, name: &str) -> impl std::future::Future<Output = TxtLookup> + Send {
            let r = self.0.get(name).cloned().unwrap_or(TxtLookup::Void);
            async move { r }
        }
    }

    pub fn rec(s: &str) -> TxtLookup {
        TxtLookup::Records(vec![s.to_string()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(!is_dmarc_record("v=dmarc1; p=none"));
        assert!(!is_dmarc_record("p=none; v=DMARC1"));
        assert!(!is_dmarc_record("v=DMARC2; p=none"));
        assert!(!is_dmarc_record("v=DMARC1x"));
    }

    #[test]
    fn null_mx() {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
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
