//! What DNS tells of a name's mail beyond its policies: whether DKIM keys are published under
//! `_domainkey`, whether its MX hosts have addresses (IPv6 among them, or none: a dangling
//! MX), and whether they publish usable DANE TLSA records (RFC 7672); and, where the hosts
//! were asked over SMTP, whether they offer STARTTLS and what their certificates are worth.

use super::Seen;
use super::transport::{CertVerdict, DaneMatch, HostTls, SmtpOutcome};

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
    /// How many of the MX hosts have a property (an IPv6 address, STARTTLS, a valid
    /// certificate, a match in an MTA-STS policy).
    pub enum Share {
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
        /// Usable records, but a host that was asked presented a chain none of its records
        /// matches, or no TLS at all (the starttls check): a DANE sender defers its mail.
        Mismatch => "mismatch",
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
    /// What the host said over SMTP, where the starttls check ran.
    pub smtp: Option<HostTls>,
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
pub fn addresses(hosts: &[HostSeen]) -> (Option<Share>, Option<bool>) {
    let mut v6 = 0;
    let mut dangling = false;
    for h in hosts {
        let (Seen::Settled(a), Seen::Settled(aaaa)) = (h.a, h.aaaa) else {
            return (None, None);
        };
        v6 += usize::from(!aaaa.is_empty());
        dangling |= a.is_empty() && aaaa.is_empty();
    }
    (Some(Share::of(v6, hosts.len())), Some(dangling))
}

/// What one host's TLSA RRset is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostDane {
    Usable,
    Unusable,
    Mismatch,
    Unauthenticated,
    Absent,
}

/// The name's DANE status from its MX hosts' TLSA lookups and, where the starttls check
/// ran, the chains they presented; `None` when a lookup failed or a host with usable records
/// could not be reached (unknown, never invalid).
pub fn dane(hosts: &[HostSeen]) -> Option<Dane> {
    let mut seen = Vec::with_capacity(hosts.len());
    for h in hosts {
        let Seen::Settled(records) = h.tlsa else {
            return None;
        };
        seen.push(match (records.is_empty(), h.tlsa_ad) {
            (true, _) => HostDane::Absent,
            (false, Some(true)) if records.iter().any(|r| usable(r)) => match h.smtp {
                None => HostDane::Usable,
                Some(p) => match (p.outcome, p.dane) {
                    (SmtpOutcome::Tls, Some(DaneMatch::Match)) => HostDane::Usable,
                    (SmtpOutcome::Tls | SmtpOutcome::NoStarttls | SmtpOutcome::TlsFailed, _) => {
                        HostDane::Mismatch
                    }
                    _ => return None,
                },
            },
            (false, Some(true)) => HostDane::Unusable,
            (false, _) => HostDane::Unauthenticated,
        });
    }
    let usable = seen.iter().filter(|d| **d == HostDane::Usable).count();
    Some(if seen.contains(&HostDane::Mismatch) {
        Dane::Mismatch
    } else if usable > 0 && usable == seen.len() {
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

/// Over the MX hosts asked over SMTP (those with an address): how many offer STARTTLS,
/// complete a TLS 1.2 or later handshake, and present a certificate valid under WebPKI for
/// their name. `None` where the check did not run, no host has an address, or a host could
/// not be reached or refused to talk (unknown, never absent).
pub fn transport(hosts: &[HostSeen]) -> Option<[Share; 3]> {
    let mut asked = hosts
        .iter()
        .map(|h| h.smtp)
        .collect::<Option<Vec<HostTls>>>()?;
    asked.retain(|p| p.outcome != SmtpOutcome::NoAddress);
    if asked.is_empty() || asked.iter().any(|p| p.outcome.starttls().is_none()) {
        return None;
    }
    let share = |f: &dyn Fn(&HostTls) -> bool| {
        Share::of(asked.iter().filter(|p| f(p)).count(), asked.len())
    };
    Some([
        share(&|p| p.outcome.starttls() == Some(true)),
        share(&|p| p.cert.is_some()),
        share(&|p| p.cert == Some(CertVerdict::Valid)),
    ])
}

impl Share {
    /// `n` of `of` (at least one).
    pub fn of(n: usize, of: usize) -> Share {
        match n {
            0 => Share::None,
            _ if n == of => Share::All,
            _ => Share::Some,
        }
    }
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
            smtp: None,
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
        assert_eq!(addresses(&[h(&a, &aaaa)]), (Some(Share::All), Some(false)));
        assert_eq!(
            addresses(&[h(&a, &aaaa), h(&a, &[])]),
            (Some(Share::Some), Some(false))
        );
        assert_eq!(
            addresses(&[h(&a, &[]), h(&[], &[])]),
            (Some(Share::None), Some(true))
        );
        let failed = HostSeen {
            a: Seen::Failed,
            ..h(&a, &aaaa)
        };
        assert_eq!(addresses(&[failed]), (None, None));
    }

    fn probe(outcome: SmtpOutcome, cert: Option<CertVerdict>, dane: Option<DaneMatch>) -> HostTls {
        HostTls {
            outcome,
            cert,
            dane,
        }
    }

    #[test]
    fn dane_is_valid_only_where_the_chain_matches_and_unknown_where_unreached() {
        let good = v(&[&format!("3 1 1 {SHA256}")]);
        let valid = Some(CertVerdict::Valid);
        let dane_of = |p: &HostTls| {
            let h = HostSeen {
                smtp: Some(*p),
                ..host(&[], &[], &good, true)
            };
            dane(&[h])
        };
        let matched = probe(SmtpOutcome::Tls, valid, Some(DaneMatch::Match));
        assert_eq!(dane_of(&matched), Some(Dane::Valid));
        let other = probe(SmtpOutcome::Tls, valid, Some(DaneMatch::Mismatch));
        assert_eq!(dane_of(&other), Some(Dane::Mismatch));
        assert_eq!(
            dane_of(&probe(SmtpOutcome::NoStarttls, None, None)),
            Some(Dane::Mismatch)
        );
        assert_eq!(dane_of(&probe(SmtpOutcome::Timeout, None, None)), None);
    }

    #[test]
    fn transport_shares_over_the_hosts_with_an_address() {
        let none: Vec<String> = Vec::new();
        let shares = |ps: &[HostTls]| {
            let hosts: Vec<HostSeen> = ps
                .iter()
                .map(|p| HostSeen {
                    smtp: Some(*p),
                    ..host(&none, &none, &none, false)
                })
                .collect();
            transport(&hosts)
        };
        let good = probe(SmtpOutcome::Tls, Some(CertVerdict::Valid), None);
        let expired = probe(SmtpOutcome::Tls, Some(CertVerdict::Expired), None);
        let plain = probe(SmtpOutcome::NoStarttls, None, None);
        let gone = probe(SmtpOutcome::NoAddress, None, None);
        assert_eq!(
            shares(&[good, expired, gone]),
            Some([Share::All, Share::All, Share::Some])
        );
        assert_eq!(
            shares(&[good, plain]),
            Some([Share::Some, Share::Some, Share::Some])
        );
        assert_eq!(
            shares(&[good, probe(SmtpOutcome::Refused, None, None)]),
            None
        );
        assert_eq!(shares(&[gone]), None, "no host to ask");
    }
}
