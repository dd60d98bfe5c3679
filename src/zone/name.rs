//! Normalising one zone-list line into a domain name (RFC 1035 syntax, IDN via UTS 46), or the
//! stable reason it cannot be one.

use idna::AsciiDenyList;
use idna::uts46::{DnsLength, Hyphens, Uts46};

crate::codes! {
    /// Why a line of a zone list could not be used. The codes are stable: they appear in
    /// `rejects.csv` and scripts may match on them.
    pub enum RejectReason {
        /// Nothing but white space where a name should be.
        Empty => "empty",
        /// A label that is empty, has a character outside letters, digits and hyphen, or starts
        /// or ends with a hyphen (RFC 1123 §2.1 host-name syntax).
        BadLabel => "bad-label",
        /// A label over 63 octets (RFC 1035 §2.3.4).
        LabelTooLong => "label-too-long",
        /// A name over 253 octets in text form (RFC 1035 §2.3.4's 255 on the wire).
        TooLong => "too-long",
        /// A single label, or a top-level domain the Public Suffix List does not know.
        NotUnderTld => "not-under-tld",
        /// The name is itself a public suffix of the list's ICANN section (`co.jp`,
        /// `tokyo.jp`, `東京.jp`, `x.kawasaki.jp`): nobody registers it.
        PublicSuffix => "public-suffix",
        /// Non-ASCII text that UTS 46 cannot map to an A-label.
        BadIdn => "bad-idn",
        /// A CSV row that could not be read (wrong field count, bad quoting, bad UTF-8).
        BadRow => "bad-row",
        /// An IPv4 or IPv6 address (`192.0.2.1`, `2001:db8::1`, `[::1]`), not a domain name.
        IpAddress => "ip-address",
        /// A wildcard pattern (`*.co.jp`), not a name one can ask about.
        Wildcard => "wildcard",
    }
}

/// Dots that UTS 46 maps to U+002E: ideographic full stop, full-width and half-width full stop.
fn is_dot(c: char) -> bool {
    matches!(c, '.' | '\u{3002}' | '\u{FF0E}' | '\u{FF61}')
}

/// Normalise one name: trim, lower case, one trailing dot stripped, U-labels (and full-width
/// dots) to A-labels by UTS 46 with STD3 rules, then length and label checks.
pub fn normalize(raw: &str) -> Result<String, RejectReason> {
    let trimmed = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
    if trimmed.is_empty() {
        return Err(RejectReason::Empty);
    }
    let unbracketed = trimmed.trim_start_matches('[').trim_end_matches(']');
    if unbracketed.parse::<std::net::IpAddr>().is_ok() {
        return Err(RejectReason::IpAddress);
    }
    if trimmed.starts_with("*.") {
        return Err(RejectReason::Wildcard);
    }
    let without_dot = match trimmed.char_indices().next_back() {
        Some((i, c)) if is_dot(c) => &trimmed[..i],
        _ => trimmed,
    };
    let name = if without_dot.is_ascii() {
        let lower = without_dot.to_ascii_lowercase();
        check_ascii(&lower)?;
        // An A-label must also decode: `xn--` followed by garbage is no IDN.
        if lower.split('.').any(|l| l.starts_with("xn--")) {
            idna_to_ascii(&lower)?;
        }
        lower
    } else {
        let ascii = idna_to_ascii(without_dot)?;
        check_ascii(&ascii)?;
        ascii
    };
    // Only the ICANN section says what nobody registers: a name the PRIVATE section lists
    // (`moo.jp`, `sakura.ne.jp`: a company offering names below its own) is itself a
    // registered domain, surveyed like any other.
    match crate::psl::suffix(&name) {
        Some(s) if s.typ() == Some(crate::psl::Type::Icann) && s.as_bytes().len() == name.len() => {
            Err(RejectReason::PublicSuffix)
        }
        Some(_) => Ok(name),
        None => Err(RejectReason::NotUnderTld),
    }
}

fn idna_to_ascii(name: &str) -> Result<String, RejectReason> {
    Uts46::new()
        .to_ascii(
            name.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::Check,
            DnsLength::Ignore,
        )
        .map(|cow| cow.into_owned())
        .map_err(|_| RejectReason::BadIdn)
}

fn check_ascii(name: &str) -> Result<(), RejectReason> {
    if name.len() > 253 {
        return Err(RejectReason::TooLong);
    }
    let mut labels = 0;
    for label in name.split('.') {
        labels += 1;
        if label.len() > 63 {
            return Err(RejectReason::LabelTooLong);
        }
        let bytes = label.as_bytes();
        let ok = !bytes.is_empty()
            && bytes[0] != b'-'
            && bytes[bytes.len() - 1] != b'-'
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
        if !ok {
            return Err(RejectReason::BadLabel);
        }
    }
    if labels < 2 {
        return Err(RejectReason::NotUnderTld);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_names_are_trimmed_lowered_and_undotted() {
        assert_eq!(normalize("  Example.CO.JP. ").unwrap(), "example.co.jp");
        assert_eq!(normalize("\u{FEFF}soumu.go.jp").unwrap(), "soumu.go.jp");
    }

    #[test]
    fn japanese_names_become_a_labels() {
        assert_eq!(normalize("日本語.jp").unwrap(), "xn--wgv71a119e.jp");
        assert_eq!(
            normalize("東京.jp").unwrap_err(),
            RejectReason::PublicSuffix
        );
        assert_eq!(
            normalize("例え.東京.jp").unwrap(),
            "xn--r8jz45g.xn--1lqs71d.jp"
        );
        assert_eq!(
            normalize("例え。東京．jp").unwrap(),
            "xn--r8jz45g.xn--1lqs71d.jp"
        );
        assert_eq!(normalize("ＥＸＡＭＰＬＥ．ｊｐ").unwrap(), "example.jp");
    }

    #[test]
    fn malformed_names_have_codes() {
        assert_eq!(normalize("   ").unwrap_err(), RejectReason::Empty);
        assert_eq!(normalize("a..jp").unwrap_err(), RejectReason::BadLabel);
        assert_eq!(normalize("-a.jp").unwrap_err(), RejectReason::BadLabel);
        assert_eq!(normalize("a_b.jp").unwrap_err(), RejectReason::BadLabel);
        assert_eq!(normalize("a b.jp").unwrap_err(), RejectReason::BadLabel);
        assert_eq!(
            normalize(&format!("{}.jp", "a".repeat(64))).unwrap_err(),
            RejectReason::LabelTooLong
        );
        let long = format!("{}.jp", vec!["a".repeat(60); 5].join("."));
        assert_eq!(normalize(&long).unwrap_err(), RejectReason::TooLong);
        assert_eq!(
            normalize("localhost").unwrap_err(),
            RejectReason::NotUnderTld
        );
        assert_eq!(
            normalize("example.invalidtld").unwrap_err(),
            RejectReason::NotUnderTld
        );
        assert_eq!(normalize("co.jp").unwrap_err(), RejectReason::PublicSuffix);
        assert_eq!(normalize("xn--zz.jp").unwrap_err(), RejectReason::BadIdn);
        assert_eq!(normalize("a\u{0}b.jp").unwrap_err(), RejectReason::BadLabel);
        assert_eq!(normalize("a\u{FFFD}.jp").unwrap_err(), RejectReason::BadIdn);
        for ip in ["192.0.2.1", "2001:db8::1", "[::1]", " 10.0.0.1 "] {
            assert_eq!(normalize(ip).unwrap_err(), RejectReason::IpAddress, "{ip}");
        }
        assert_eq!(normalize("*.co.jp").unwrap_err(), RejectReason::Wildcard);
    }

    /// Only the Public Suffix List's ICANN section says what nobody registers; a name its
    /// PRIVATE section lists is a registered domain like any other.
    #[test]
    fn only_icann_suffixes_are_rejected() {
        for registrable in ["moo.jp", "hateblo.jp", "sakura.ne.jp", "city.kawasaki.jp"] {
            assert_eq!(normalize(registrable).unwrap(), registrable);
        }
        for suffix in ["co.jp", "tokyo.jp", "東京.jp", "x.kawasaki.jp", "ne.jp"] {
            assert_eq!(
                normalize(suffix).unwrap_err(),
                RejectReason::PublicSuffix,
                "{suffix}"
            );
        }
    }
}
