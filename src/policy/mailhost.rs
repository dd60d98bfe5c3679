//! What DNS tells of a name's mail beyond its policies: whether DKIM keys are published under
//! `_domainkey`, whether its MX hosts have addresses (IPv6 among them, or none: a dangling
//! MX), and whether they publish usable DANE TLSA records (RFC 7672).

use super::Seen;

crate::codes! {
    /// What `_domainkey.<name>` says of DKIM keys.
    pub enum Dkim {
        /// NOERROR: the name exists, so selectors (or the legacy policy record) exist below it
        /// (RFC 8020: NXDOMAIN would mean nothing below).
        Present => "present",
        /// NXDOMAIN: no selector below. A server that answers NXDOMAIN for empty non-terminals
        /// breaks RFC 8020 and shows its keys as absent: the count is a lower bound.
        Absent => "absent",
    }
}

impl Dkim {
    /// From the settled TXT lookup of `_domainkey.<name>`: NOERROR with or without records
    /// (an empty non-terminal) is present, NXDOMAIN absent.
    pub fn of(nxdomain: bool) -> Dkim {
        match nxdomain {
            true => Dkim::Absent,
            false => Dkim::Present,
        }
    }
}

crate::codes! {
    /// How many of the MX hosts have an IPv6 address.
    pub enum MxIpv6 {
        All => "all",
        Some => "some",
        None => "none",
    }
}

crate::codes! {
    /// The DANE TLSA records of the MX hosts as an SMTP client reads them (RFC 7672).
    pub enum Dane {
        /// Every MX host publishes a usable TLSA RRset, DNSSEC-authenticated.
        Valid => "valid",
        /// Some MX hosts do, others publish none.
        Partial => "partial",
        /// Authenticated TLSA records of which none is usable for SMTP (§3.1.3: PKIX usages;
        /// unknown selector or matching type; a digest of the wrong length).
        Invalid => "invalid",
        /// TLSA records without the AD bit: RFC 7672 §2.2 ignores them, as if absent.
        Unauthenticated => "unauthenticated",
        /// No MX host publishes TLSA records.
        None => "none",
    }
}

/// One MX host's lookups as the judgement sees them.
#[derive(Debug, Clone, Copy)]
pub struct HostSeen<'a> {
    pub a: Seen<'a>,
    pub aaaa: Seen<'a>,
    pub tlsa: Seen<'a>,
    /// The AD bit of the TLSA reply.
    pub tlsa_ad: Option<bool>,
}

/// The exchanges of MX records in presentation form (`PREF EXCHANGE`), lower-case without
/// the final dot, each once, in preference order; the null MX's `.` left out.
pub fn exchanges(mx: &[String]) -> Vec<String> {
    let mut hosts: Vec<(u16, String)> = mx
        .iter()
        .filter_map(|r| {
            let (pref, host) = r.split_once(' ')?;
            let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
            Some((pref.parse().ok()?, host)).filter(|(_, h)| !h.is_empty())
        })
        .collect();
    hosts.sort();
    let mut seen = std::collections::HashSet::new();
    hosts
        .into_iter()
        .filter_map(|(_, h)| seen.insert(h.clone()).then_some(h))
        .collect()
}

/// Where a name's DKIM keys live: selectors are `<selector>._domainkey.<name>` (RFC 6376
/// §3.6.2.1), and the survey knows no selector, so it asks the node above them.
pub fn dkim_owner(name: &str) -> String {
    format!("_domainkey.{name}")
}

/// The owner of an MX host's TLSA records (RFC 7672 §2.2.1: port 25, TCP).
pub fn tlsa_owner(host: &str) -> String {
    format!("_25._tcp.{host}")
}

/// The MX hosts' IPv6 reach and whether any has no address at all (`(None, None)` when a
/// lookup failed or the A/AAAA lookups were not made).
pub fn addresses(hosts: &[HostSeen]) -> (Option<MxIpv6>, Option<bool>) {
    let mut v6 = 0;
    let mut dangling = false;
    for h in hosts {
        let (Seen::Settled(a), Seen::Settled(aaaa)) = (h.a, h.aaaa) else {
            return (None, None);
        };
        v6 += usize::from(!aaaa.is_empty());
        dangling |= a.is_empty() && aaaa.is_empty();
    }
    let ipv6 = match v6 {
        0 => MxIpv6::None,
        n if n == hosts.len() => MxIpv6::All,
        _ => MxIpv6::Some,
    };
    (Some(ipv6), Some(dangling))
}

/// What one host's TLSA RRset is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostDane {
    Usable,
    Unusable,
    Unauthenticated,
    Absent,
}

/// The name's DANE status from its MX hosts' TLSA lookups; `None` when one failed.
pub fn dane(hosts: &[HostSeen]) -> Option<Dane> {
    let mut seen = Vec::with_capacity(hosts.len());
    for h in hosts {
        let Seen::Settled(records) = h.tlsa else {
            return None;
        };
        seen.push(match (records.is_empty(), h.tlsa_ad) {
            (true, _) => HostDane::Absent,
            (false, Some(true)) if records.iter().any(|r| usable(r)) => HostDane::Usable,
            (false, Some(true)) => HostDane::Unusable,
            (false, _) => HostDane::Unauthenticated,
        });
    }
    let usable = seen.iter().filter(|d| **d == HostDane::Usable).count();
    Some(if usable > 0 && usable == seen.len() {
        Dane::Valid
    } else if usable > 0 {
        Dane::Partial
    } else if seen.contains(&HostDane::Unusable) {
        Dane::Invalid
    } else if seen.contains(&HostDane::Unauthenticated) {
        Dane::Unauthenticated
    } else {
        Dane::None
    })
}

/// Whether a TLSA record (`USAGE SELECTOR MATCHING HEX`) is usable by an SMTP client.
///
/// RFC 7672 §3.1.3: "SMTP client treatment of TLSA RRs with certificate usages PKIX-TA(0) or
/// PKIX-EE(1) is undefined" and they are to be treated as unusable; DANE-TA(2) and DANE-EE(3)
/// are. RFC 6698 §2.1.2-2.1.3 and RFC 7671 §4: selector 0 (full certificate) or 1
/// (SubjectPublicKeyInfo); matching 0 (exact), 1 (SHA2-256: 32 octets) or 2 (SHA2-512: 64
/// octets); records with other values are unusable.
pub fn usable(record: &str) -> bool {
    let mut f = record.split_whitespace();
    let (Some(usage), Some(selector), Some(matching)) = (f.next(), f.next(), f.next()) else {
        return false;
    };
    let data: String = f.collect();
    let octets = data.len() / 2;
    let hex = data.len().is_multiple_of(2) && data.bytes().all(|b| b.is_ascii_hexdigit());
    let length_ok = match matching {
        "0" => octets > 0,
        "1" => octets == 32,
        "2" => octets == 64,
        _ => false,
    };
    matches!(usage, "2" | "3") && matches!(selector, "0" | "1") && hex && length_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::fake::v;

    const SHA256: &str = "8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1";

    #[test]
    fn exchanges_in_preference_order_each_once() {
        let mx = v(&[
            "20 MX2.example.jp.",
            "10 mx1.example.jp.",
            "30 mx1.example.jp.",
        ]);
        assert_eq!(exchanges(&mx), v(&["mx1.example.jp", "mx2.example.jp"]));
        assert!(exchanges(&v(&["0 ."])).is_empty());
    }

    #[test]
    fn tlsa_usability_follows_rfc_7672() {
        let sha512 = SHA256.repeat(2);
        assert!(usable(&format!("3 1 1 {SHA256}")));
        assert!(usable(&format!("2 0 2 {sha512}")));
        assert!(usable("3 0 0 3082010a"));
        assert!(!usable(&format!("1 1 1 {SHA256}")), "PKIX-EE");
        assert!(!usable(&format!("0 0 1 {SHA256}")), "PKIX-TA");
        assert!(!usable("3 1 1 abcd"), "a SHA2-256 digest of 2 octets");
        assert!(!usable(&format!("3 2 1 {SHA256}")), "selector 2");
        assert!(!usable(&format!("3 1 3 {SHA256}")), "matching 3");
        assert!(!usable("3 1"));
    }

    fn host<'a>(a: &'a [String], aaaa: &'a [String], tlsa: &'a [String], ad: bool) -> HostSeen<'a> {
        HostSeen {
            a: Seen::Settled(a),
            aaaa: Seen::Settled(aaaa),
            tlsa: Seen::Settled(tlsa),
            tlsa_ad: Some(ad),
        }
    }

    #[test]
    fn dane_over_hosts() {
        let good = v(&[&format!("3 1 1 {SHA256}")]);
        let bad = v(&[&format!("0 0 1 {SHA256}")]);
        let h = |tlsa, ad| host(&[], &[], tlsa, ad);
        assert_eq!(dane(&[h(&good, true), h(&good, true)]), Some(Dane::Valid));
        assert_eq!(dane(&[h(&good, true), h(&[], true)]), Some(Dane::Partial));
        assert_eq!(dane(&[h(&bad, true)]), Some(Dane::Invalid));
        assert_eq!(dane(&[h(&good, false)]), Some(Dane::Unauthenticated));
        assert_eq!(dane(&[h(&[], false)]), Some(Dane::None));
        let failed = HostSeen {
            tlsa: Seen::Failed,
            ..h(&[], true)
        };
        assert_eq!(dane(&[h(&good, true), failed]), None);
    }

    #[test]
    fn addresses_over_hosts() {
        let (a, aaaa) = (v(&["192.0.2.1"]), v(&["2001:db8::1"]));
        let h = |x, y| host(x, y, &[], false);
        assert_eq!(addresses(&[h(&a, &aaaa)]), (Some(MxIpv6::All), Some(false)));
        assert_eq!(
            addresses(&[h(&a, &aaaa), h(&a, &[])]),
            (Some(MxIpv6::Some), Some(false))
        );
        assert_eq!(
            addresses(&[h(&a, &[]), h(&[], &[])]),
            (Some(MxIpv6::None), Some(true))
        );
        let failed = HostSeen {
            a: Seen::Failed,
            ..h(&a, &aaaa)
        };
        assert_eq!(addresses(&[failed]), (None, None));
    }
}
