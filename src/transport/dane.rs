//! DANE for SMTP (RFC 7672 §3): the TLSA records of an MX host matched against the chain it
//! presented.

use rustls::pki_types::ServerName;

use super::tls::{Trust, judge, spki};
use crate::policy::mailhost::usable;
use crate::policy::transport::{CertVerdict, DaneMatch};

/// The usable records of `tlsa` against `chain` (end entity first), for `host`; `None` where
/// none is usable or no chain was presented.
///
/// §3.1.1 DANE-EE(3): the end entity's certificate (selector 0) or key (1) matches; its names
/// and dates are not checked ("the certificate's validity period and names are ignored").
/// §3.1.2 DANE-TA(2): a certificate of the chain other than the end entity matches, and the
/// chain verifies with it as the only trust anchor, names included (§3.2.2: the reference
/// identifiers are the MX host's name).
pub fn dane_match(
    trust: &Trust,
    tlsa: &[String],
    chain: &[Vec<u8>],
    host: &str,
) -> Option<DaneMatch> {
    let records: Vec<Tlsa> = tlsa
        .iter()
        .filter(|r| usable(r))
        .filter_map(|r| Tlsa::parse(r))
        .collect();
    if records.is_empty() || chain.is_empty() {
        return None;
    }
    let name = ServerName::try_from(host.to_string()).ok()?;
    let matched = records.iter().any(|r| match r.usage {
        3 => r.matches(&chain[0]),
        _ => chain[1..].iter().any(|ta| {
            r.matches(ta)
                && trust
                    .anchored(ta)
                    .is_some_and(|v| judge(&v, chain, &name) == CertVerdict::Valid)
        }),
    });
    Some(match matched {
        true => DaneMatch::Match,
        false => DaneMatch::Mismatch,
    })
}

/// A TLSA record (`USAGE SELECTOR MATCHING HEX`), its data decoded.
struct Tlsa {
    usage: u8,
    selector: u8,
    matching: u8,
    data: Vec<u8>,
}

impl Tlsa {
    fn parse(record: &str) -> Option<Tlsa> {
        let mut f = record.split_whitespace();
        let mut num = || f.next()?.parse::<u8>().ok();
        let (usage, selector, matching) = (num()?, num()?, num()?);
        let hex: String = f.collect();
        let data = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()?;
        Some(Tlsa {
            usage,
            selector,
            matching,
            data,
        })
    }

    /// RFC 6698 §2.1.2-2.1.3: the certificate or its SubjectPublicKeyInfo, whole or hashed.
    fn matches(&self, cert: &[u8]) -> bool {
        let selected = match self.selector {
            0 => cert.to_vec(),
            _ => match spki(cert) {
                Some(k) => k,
                None => return false,
            },
        };
        let digest = |alg| ring::digest::digest(alg, &selected).as_ref().to_vec();
        let presented = match self.matching {
            0 => selected,
            1 => digest(&ring::digest::SHA256),
            _ => digest(&ring::digest::SHA512),
        };
        presented == self.data
    }
}
