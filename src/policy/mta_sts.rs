//! MTA-STS (RFC 8461): the TXT record at `_mta-sts.<name>` that says a policy is published
//! (§3.1), the policy file itself as fetched from `mta-sts.<name>` (§3.2), and whether the
//! name's MX hosts match its `mx` patterns (§4.1).

use serde::{Deserialize, Serialize};

use super::mailhost::Share;
use super::tags::{self, Published};

/// The TXT owner name of a domain's MTA-STS record.
pub fn owner(name: &str) -> String {
    format!("_mta-sts.{name}")
}

const VERSION: &str = "v=STSv1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StsRecord {
    /// `sts-id = %s"id=" 1*32(ALPHA / DIGIT)`: changes when the policy does.
    pub id: String,
    /// Extension fields, kept for the researcher (§3.1: unknown fields are ignored).
    pub extensions: Vec<(String, String)>,
}

/// The name's MTA-STS record among its `_mta-sts` TXT records.
pub fn read(txts: &[String]) -> Published<StsRecord> {
    Published::read(txts, VERSION, parse)
}

/// One record, to the §3.1 grammar:
/// `sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim]`, with
/// `sts-id = %s"id=" 1*32(ALPHA / DIGIT)` required.
pub fn parse(record: &str) -> Result<StsRecord, String> {
    let (id, extensions) = tags::versioned(record, VERSION, "id")?;
    if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!("id {id:?} is not 1 to 32 letters and digits"));
    }
    Ok(StsRecord {
        id: id.to_string(),
        extensions: extensions
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
    })
}

/// The host that serves a domain's policy, and the path of the policy on it (§3.3).
pub fn policy_host(name: &str) -> String {
    format!("mta-sts.{name}")
}

pub const POLICY_PATH: &str = "/.well-known/mta-sts.txt";

crate::codes! {
    /// What a sending MTA does with hosts that fail the policy (§5).
    pub enum StsMode {
        Enforce => "enforce",
        Testing => "testing",
        None => "none",
    }
}

/// A policy file that parsed (§3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StsPolicy {
    pub mode: StsMode,
    /// Seconds a sender may cache the policy (at most 31,557,600: a year).
    pub max_age: u32,
    /// The `mx` patterns, lower-case: a host name, or `*.` and a domain (§4.1).
    pub mx: Vec<String>,
}

/// §3.2's limit on `max_age`.
const MAX_AGE_LIMIT: u64 = 31_557_600;

/// A policy file's text, to §3.2:
/// `sts-policy-record = *WSP sts-policy-field *WSP *(sts-policy-term *WSP sts-policy-field
/// *WSP) [sts-policy-term]` with `sts-policy-field-delim = ":" *WSP` and terms LF or CRLF.
/// `version` (`STSv1`), `mode` and `max_age` each exactly once, `mx` once or more (a policy in
/// mode `none` may have none); fields of other names are extensions and ignored. The field
/// names and `STSv1` are case-sensitive (`%s` in the grammar).
pub fn parse_policy(text: &str) -> Result<StsPolicy, String> {
    let (mut version, mut mode, mut max_age, mut mx) = (None, None, None, Vec::new());
    let once = |slot: &mut Option<String>, key: &str, value: &str| match slot {
        Some(_) => Err(format!("{key} appears twice")),
        None => {
            *slot = Some(value.to_string());
            Ok(())
        }
    };
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let field = line.trim_matches([' ', '\t']);
        if field.is_empty() {
            continue;
        }
        let (key, value) = field
            .split_once(':')
            .ok_or_else(|| format!("{field:?} is not a field (name: value)"))?;
        let value = value.trim_start_matches([' ', '\t']);
        match key {
            "version" => once(&mut version, key, value)?,
            "mode" => once(&mut mode, key, value)?,
            "max_age" => once(&mut max_age, key, value)?,
            "mx" => mx.push(value.to_ascii_lowercase()),
            _ => {}
        }
    }
    match version.as_deref() {
        Some("STSv1") => {}
        Some(v) => return Err(format!("version {v:?} is not STSv1")),
        None => return Err("no version".to_string()),
    }
    let mode = match mode.as_deref() {
        Some("enforce") => StsMode::Enforce,
        Some("testing") => StsMode::Testing,
        Some("none") => StsMode::None,
        Some(m) => return Err(format!("mode {m:?} is none of enforce, testing, none")),
        None => return Err("no mode".to_string()),
    };
    // `sts-policy-max-age-value = 1*10(DIGIT)`, at most a year.
    let max_age = max_age.ok_or("no max_age")?;
    let seconds = (!max_age.is_empty() && max_age.len() <= 10)
        .then(|| max_age.parse::<u64>().ok())
        .flatten()
        .filter(|s| *s <= MAX_AGE_LIMIT)
        .ok_or_else(|| format!("max_age {max_age:?} is not 0 to {MAX_AGE_LIMIT} seconds"))?;
    if mx.is_empty() && mode != StsMode::None {
        return Err("no mx pattern".to_string());
    }
    if let Some(bad) = mx.iter().find(|p| !valid_pattern(p)) {
        return Err(format!("mx {bad:?} is not a host name or *. and a domain"));
    }
    Ok(StsPolicy {
        mode,
        max_age: seconds as u32,
        mx,
    })
}

/// `sts-policy-mx-value = ["*."] Domain`.
fn valid_pattern(p: &str) -> bool {
    let domain = p.strip_prefix("*.").unwrap_or(p);
    domain.contains('.')
        && domain.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// §4.1: a host matches a pattern that names it, or `*.` and its parent domain ("the
/// wildcard character `*` matches only the left-most label"), case-insensitively.
pub fn host_matches(host: &str, pattern: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(parent) => host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
        None => host == pattern,
    }
}

/// How many of `hosts` some pattern of `policy` matches; `None` without hosts.
pub fn mx_match(policy: &StsPolicy, hosts: &[String]) -> Option<Share> {
    let matched = hosts
        .iter()
        .filter(|h| policy.mx.iter().any(|p| host_matches(h, p)))
        .count();
    (!hosts.is_empty()).then(|| Share::of(matched, hosts.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::fake::v;
    use crate::policy::tags::Status;

    #[test]
    fn valid_records() {
        let r = read(&v(&["v=STSv1; id=20251101T000000;"]));
        assert_eq!(r.valid().unwrap().id, "20251101T000000");
        let r = read(&v(&["v=STSv1;id=abc; ext-1=x", "some other text"]));
        assert_eq!(
            r.valid().unwrap().extensions,
            vec![("ext-1".into(), "x".into())]
        );
    }

    #[test]
    fn invalid_absent_several() {
        for bad in [
            "v=STSv1;",
            "v=STSv1; id=",
            "v=STSv1; id=has-dash",
            "v=STSv1; id=a; id=b",
            "v=STSv1 ; id=a",
            &format!("v=STSv1; id={}", "a".repeat(33)),
        ] {
            assert_eq!(read(&v(&[bad])).status(), Status::Invalid, "{bad}");
        }
        assert_eq!(read(&v(&["v=STSv2; id=a"])), Published::Absent);
        assert_eq!(read(&v(&[])), Published::Absent);
        assert_eq!(
            read(&v(&["v=STSv1; id=a", "v=STSv1; id=b"])),
            Published::Multiple(2)
        );
    }

    #[test]
    fn policies_to_the_grammar() {
        let p = parse_policy(
            "version: STSv1\r\nmode: enforce\r\nmx: mail.example.jp\r\nmx: *.Example.NET\r\nmax_age: 86400\r\n",
        )
        .unwrap();
        assert_eq!(p.mode, StsMode::Enforce);
        assert_eq!((p.max_age, p.mx.len()), (86400, 2));
        // LF alone, tabs after the colon, an extension, no final line break.
        let p = parse_policy("mode:\tnone\nmax_age: 0\nversion: STSv1\next: x").unwrap();
        assert_eq!((p.mode, p.max_age, p.mx.len()), (StsMode::None, 0, 0));
        for bad in [
            "version: STSv2\nmode: enforce\nmx: a.jp\nmax_age: 1",
            "version: STSv1\nmode: Enforce\nmx: a.jp\nmax_age: 1",
            "Version: STSv1\nmode: enforce\nmx: a.jp\nmax_age: 1",
            "version: STSv1\nmode: enforce\nmax_age: 1",
            "version: STSv1\nmode: enforce\nmx: a.jp\nmax_age: 31557601",
            "version: STSv1\nmode: enforce\nmx: a.jp\nmax_age: -1",
            "version: STSv1\nmode: enforce\nmode: none\nmx: a.jp\nmax_age: 1",
            "version: STSv1\nmode: enforce\nmx: a..jp\nmax_age: 1",
            "version: STSv1\nmode: enforce\nmx: *.*.jp\nmax_age: 1",
            "<html>not found</html>",
        ] {
            assert!(parse_policy(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_wildcard_matches_one_label() {
        assert!(host_matches("MX1.example.jp.", "mx1.example.jp"));
        assert!(host_matches("mx1.example.jp", "*.example.jp"));
        assert!(!host_matches("a.mx1.example.jp", "*.example.jp"));
        assert!(!host_matches("example.jp", "*.example.jp"));
        let p = parse_policy("version: STSv1\nmode: testing\nmx: *.a.jp\nmax_age: 1").unwrap();
        let hosts = |h: &[&str]| h.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            mx_match(&p, &hosts(&["x.a.jp", "y.a.jp"])),
            Some(Share::All)
        );
        assert_eq!(
            mx_match(&p, &hosts(&["x.a.jp", "y.b.jp"])),
            Some(Share::Some)
        );
        assert_eq!(mx_match(&p, &hosts(&["y.b.jp"])), Some(Share::None));
        assert_eq!(mx_match(&p, &[]), None);
    }
}
