//! The lookups a survey makes beyond the ministry's three (MX, SPF, DMARC), each opt-in.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

crate::codes! {
    /// One optional check.
    pub enum Check {
        /// `default._bimi.<name>` TXT.
        Bimi => "bimi",
        /// `_mta-sts.<name>` TXT (RFC 8461).
        MtaSts => "mta-sts",
        /// `_smtp._tls.<name>` TXT (RFC 8460).
        TlsRpt => "tls-rpt",
        /// `<name>._report._dmarc.<host>` TXT for each DMARC report destination outside the
        /// Organizational Domain (RFC 7489 §7.1).
        Rua => "rua",
        /// The AD bit of the MX reply, from a validating resolver.
        Dnssec => "dnssec",
        /// NS of the registered domain, for the DNS operator.
        Ns => "ns",
        /// `_domainkey.<name>` TXT: DKIM keys published below (RFC 8020 empty non-terminal).
        Dkim => "dkim",
        /// A and AAAA of each MX host: IPv6 reach, dangling MX.
        MxIp => "mx-ip",
        /// `_25._tcp.<host>` TLSA of each MX host (RFC 7672), read with the AD bit.
        Dane => "dane",
        /// SMTP to each MX host, once per run: STARTTLS, the handshake, the certificate; with
        /// dane, the TLSA records matched against the chain. Connects to the hosts.
        Starttls => "starttls",
        /// The MTA-STS policy fetched over HTTPS from `mta-sts.<name>` (RFC 8461 §3.3) where
        /// the `_mta-sts` record is valid (so it brings mta-sts). Connects to the hosts.
        MtaStsPolicy => "mta-sts-policy",
    }
}

impl Check {
    /// Whether the check connects to the name's servers (SMTP, HTTPS) rather than asking
    /// the DNS: such checks are named, never brought by `all`.
    pub fn connects(self) -> bool {
        matches!(self, Check::Starttls | Check::MtaStsPolicy)
    }
}

/// A set of checks; parsed from `all` (every check that asks the DNS), `none` or a
/// comma-separated list of codes (which may add to `all`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checks(BTreeSet<Check>);

impl Checks {
    /// Every check that asks the DNS.
    pub fn all() -> Checks {
        Checks(Check::ALL.into_iter().filter(|c| !c.connects()).collect())
    }

    pub fn has(&self, c: Check) -> bool {
        self.0.contains(&c)
    }
}

impl FromStr for Checks {
    type Err = String;
    fn from_str(s: &str) -> Result<Checks, String> {
        let mut set = BTreeSet::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part {
                "all" => set.extend(Checks::all().0),
                "none" => {}
                _ => {
                    let check = Check::ALL
                        .into_iter()
                        .find(|c| c.code() == part)
                        .ok_or_else(|| {
                            let codes: Vec<&str> = Check::ALL.iter().map(|c| c.code()).collect();
                            format!(
                                "unknown check {part:?}: write all, none or a list of {}",
                                codes.join(", ")
                            )
                        })?;
                    set.insert(check);
                }
            }
        }
        // The policy is fetched where the record says there is one.
        if set.contains(&Check::MtaStsPolicy) {
            set.insert(Check::MtaSts);
        }
        Ok(Checks(set))
    }
}

impl fmt::Display for Checks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let codes: Vec<&str> = self.0.iter().map(|c| c.code()).collect();
        match codes.is_empty() {
            true => f.write_str("none"),
            false => f.write_str(&codes.join(",")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print() {
        assert_eq!("all".parse::<Checks>().unwrap(), Checks::all());
        assert_eq!("none".parse::<Checks>().unwrap(), Checks::default());
        let c: Checks = "bimi, ns".parse().unwrap();
        assert!(c.has(Check::Bimi) && c.has(Check::Ns) && !c.has(Check::Rua));
        assert_eq!(c.to_string(), "bimi,ns");
        assert!("bimi,dkm".parse::<Checks>().unwrap_err().contains("dkm"));
        let c: Checks = "all,starttls,mta-sts-policy".parse().unwrap();
        assert!(c.has(Check::Starttls) && c.has(Check::Dane));
        assert!(!Checks::all().has(Check::Starttls) && !Checks::all().has(Check::MtaStsPolicy));
        let c: Checks = "mta-sts-policy".parse().unwrap();
        assert_eq!(c.to_string(), "mta-sts,mta-sts-policy");
    }
}
