//! DMARC records parsed per RFC 7489 §6.3–6.4 and read under both RFC 7489 and its successor
//! RFC 9989 (DMARCbis: `np`, `psd`, `t` added; `pct`, `rf`, `ri` removed; a record without `p`
//! read as `p=none`), with the standard each verdict follows kept apart; and policy discovery
//! for a name without its own record under both: RFC 7489's Organizational Domain from the
//! Public Suffix List, and RFC 9989's DNS Tree Walk, over DNS the crawler supplies.

use serde::{Deserialize, Serialize};

use super::{PolicyDns, TxtLookup, is_dmarc_record, only_one};
use crate::code::Code;

crate::codes! {
    /// A DMARC policy (`p`, `sp`, `np`).
    pub enum Policy {
        None => "none",
        Quarantine => "quarantine",
        Reject => "reject",
    }
}

impl Policy {
    fn parse(v: &str) -> Option<Policy> {
        Policy::from_code(v)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Alignment {
    Relaxed,
    Strict,
}

/// Which specification a reading follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Standard {
    Rfc7489,
    Rfc9989,
}

/// A DMARC record's tags as published; a tag with a bad value is `None` and named in
/// `problems`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmarcRecord {
    pub p: Option<Policy>,
    pub sp: Option<Policy>,
    /// RFC 9989: policy for non-existent subdomains.
    pub np: Option<Policy>,
    /// RFC 7489 only (removed by RFC 9989).
    pub pct: Option<u8>,
    pub adkim: Option<Alignment>,
    pub aspf: Option<Alignment>,
    pub rua: Vec<String>,
    pub ruf: Vec<String>,
    pub fo: Option<String>,
    /// RFC 9989: `y`, `n` or `u`.
    pub psd: Option<char>,
    /// RFC 9989: testing mode.
    pub t: Option<bool>,
    pub problems: Vec<Problem>,
}

/// Something wrong inside a record that still reads as DMARC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Problem {
    /// No `p` tag (RFC 7489 §6.3: required; RFC 9989: read as none).
    MissingPolicy,
    /// A known tag with a value outside its grammar, e.g. `p=bogus`, `pct=150`.
    BadValue { tag: String, value: String },
    /// A tag given twice; the first is kept.
    DuplicateTag(String),
    /// RFC 7489 §6.3: "Unknown tags MUST be ignored"; listed for the researcher.
    UnknownTag(String),
    /// A part between `;` that is not `tag=value`.
    Syntax(String),
    /// §6.4: the version tag is not followed by `dmarc-sep` (`;`), as in `v=DMARC1 p=reject`:
    /// nothing after it can be read, so no policy applies under either standard.
    MissingSeparator(String),
}

crate::codes! {
    /// What is wrong in a name's DMARC records, as tables count it.
    pub enum ProblemKind {
        MultipleRecords => "multiple-records",
        MissingSeparator => "missing-separator",
        MissingPolicy => "missing-p",
        BadValue => "bad-value",
        DuplicateTag => "duplicate-tag",
        Syntax => "syntax",
        /// Ignored (§6.3: "Unknown tags MUST be ignored"); listed for the researcher.
        UnknownTag => "unknown-tag",
    }
}

impl Problem {
    pub fn kind(&self) -> ProblemKind {
        match self {
            Problem::MissingPolicy => ProblemKind::MissingPolicy,
            Problem::BadValue { .. } => ProblemKind::BadValue,
            Problem::DuplicateTag(_) => ProblemKind::DuplicateTag,
            Problem::UnknownTag(_) => ProblemKind::UnknownTag,
            Problem::Syntax(_) => ProblemKind::Syntax,
            Problem::MissingSeparator(_) => ProblemKind::MissingSeparator,
        }
    }

    pub fn code(&self) -> &'static str {
        self.kind().code()
    }
}

/// The kinds of problem of a name's DMARC records (one record [`read`], or several), each
/// once, in [`ProblemKind::ALL`] order.
pub fn problems(read: &Result<DmarcRecord, DmarcError>) -> Vec<ProblemKind> {
    match read {
        Ok(r) => ProblemKind::ALL
            .iter()
            .copied()
            .filter(|k| r.problems.iter().any(|p| p.kind() == *k))
            .collect(),
        Err(DmarcError::MultipleRecords(_)) => vec![ProblemKind::MultipleRecords],
        Err(DmarcError::NoRecord) => Vec::new(),
    }
}

/// Why a name has no usable DMARC record at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DmarcError {
    NoRecord,
    /// RFC 7489 §6.6.3: several records at `_dmarc`: no policy applies.
    MultipleRecords(usize),
}

/// The one DMARC record among `_dmarc.<name>`'s TXT records.
pub fn select(txts: &[String]) -> Result<&str, DmarcError> {
    only_one(txts, is_dmarc_record).map_err(|n| match n {
        0 => DmarcError::NoRecord,
        n => DmarcError::MultipleRecords(n),
    })
}

/// A DMARC URI (RFC 7489 §6.4): `mailto:` (or another scheme) and an optional `!size[kmgt]`.
fn valid_uri(u: &str) -> bool {
    let u = u.trim();
    let base = match u.rsplit_once('!') {
        Some((b, size)) => {
            let digits = size.trim_end_matches(['k', 'm', 'g', 't']);
            if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
                return false;
            }
            b
        }
        None => u,
    };
    match base.split_once(':') {
        Some((scheme, rest)) => {
            !rest.is_empty()
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && (!scheme.eq_ignore_ascii_case("mailto") || rest.contains('@'))
        }
        None => false,
    }
}

/// Parse a record that [`is_dmarc_record`] accepts. Tag names are case-insensitive; values are
/// compared as the ABNF spells them (lower case keywords).
pub fn parse(record: &str) -> Option<DmarcRecord> {
    let end = super::dmarc_version_end(record)?;
    let mut r = DmarcRecord::default();
    let rest = record[end..].trim_start_matches([' ', '\t']);
    if !rest.is_empty() && !rest.starts_with(';') {
        r.problems.push(Problem::MissingSeparator(rest.to_string()));
        return Some(r);
    }
    let mut seen: Vec<String> = Vec::new();
    let parts: Vec<&str> = rest.split(';').skip(1).collect();
    for (i, part) in parts.iter().enumerate() {
        let part = part.trim_matches([' ', '\t']);
        // §6.4: one separator may end the record; an empty part elsewhere (`;;`) is not in
        // the grammar.
        if part.is_empty() {
            if i + 1 < parts.len() {
                r.problems.push(Problem::Syntax(String::new()));
            }
            continue;
        }
        let Some((tag, value)) = part.split_once('=').filter(|(t, _)| !t.trim().is_empty()) else {
            r.problems.push(Problem::Syntax(part.to_string()));
            continue;
        };
        let tag = tag.trim_matches([' ', '\t']).to_ascii_lowercase();
        let value = value.trim_matches([' ', '\t']);
        if seen.contains(&tag) {
            r.problems.push(Problem::DuplicateTag(tag));
            continue;
        }
        seen.push(tag.clone());
        if let Err(p) = read_tag(&mut r, &tag, value) {
            r.problems.push(p);
        }
    }
    if r.p.is_none() && !seen.iter().any(|t| t == "p") {
        r.problems.push(Problem::MissingPolicy);
    }
    Some(r)
}

/// One tag's value read into `r`; the problem where the value breaks the tag's grammar or
/// the tag is unknown.
fn read_tag(r: &mut DmarcRecord, tag: &str, value: &str) -> Result<(), Problem> {
    // ABNF quoted strings are case-insensitive (RFC 5234 §2.3): `p=Reject` is reject.
    let keyword = value.to_ascii_lowercase();
    let bad = || Problem::BadValue {
        tag: tag.to_string(),
        value: value.to_string(),
    };
    let uris = |v: &str| -> Option<Vec<String>> {
        let list: Vec<String> = v.split(',').map(|u| u.trim().to_string()).collect();
        list.iter().all(|u| valid_uri(u)).then_some(list)
    };
    match tag {
        "p" | "sp" | "np" => {
            let p = Policy::parse(&keyword).ok_or_else(bad)?;
            match tag {
                "p" => r.p = Some(p),
                "sp" => r.sp = Some(p),
                _ => r.np = Some(p),
            }
        }
        "pct" => match value.parse::<u8>() {
            Ok(n) if n <= 100 => r.pct = Some(n),
            _ => return Err(bad()),
        },
        "adkim" | "aspf" => {
            let a = match keyword.as_str() {
                "r" => Alignment::Relaxed,
                "s" => Alignment::Strict,
                _ => return Err(bad()),
            };
            match tag {
                "adkim" => r.adkim = Some(a),
                _ => r.aspf = Some(a),
            }
        }
        "rua" | "ruf" => {
            let list = uris(value).ok_or_else(bad)?;
            match tag {
                "rua" => r.rua = list,
                _ => r.ruf = list,
            }
        }
        "fo" => {
            if !keyword
                .split(':')
                .all(|o| matches!(o.trim(), "0" | "1" | "d" | "s"))
            {
                return Err(bad());
            }
            r.fo = Some(keyword);
        }
        "psd" => match keyword.as_str() {
            "y" | "n" | "u" => r.psd = keyword.chars().next(),
            _ => return Err(bad()),
        },
        "t" => match keyword.as_str() {
            "y" => r.t = Some(true),
            "n" => r.t = Some(false),
            _ => return Err(bad()),
        },
        // RFC 7489 tags that RFC 9989 removed: known, kept only as syntax here.
        "rf" | "ri" => {}
        _ => return Err(Problem::UnknownTag(tag.to_string())),
    }
    Ok(())
}

crate::codes! {
    /// How well a name is protected, as the 2025 standards ask (quarantine or reject at
    /// 100 %), strongest first.
    pub enum Protection {
        Reject => "reject",
        Quarantine => "quarantine",
        /// Quarantine or reject applied to part of the mail: `pct` < 100 (RFC 7489) or testing
        /// mode `t=y` (RFC 9989).
        Reduced => "pct-reduced",
        None => "none",
        /// A record that yields no policy (several records; RFC 7489: no valid `p` and no
        /// valid `rua`).
        Invalid => "invalid",
        Absent => "absent",
    }
}

impl Protection {
    /// Quarantine or reject on all the mail: what the 2025 standards ask.
    pub fn enforced(self) -> bool {
        matches!(self, Protection::Reject | Protection::Quarantine)
    }
}

/// The verdict for a name's `_dmarc` TXT records under one standard.
pub fn protection(txts: &[String], standard: Standard) -> Protection {
    protection_of(&read(txts), standard)
}

/// The one DMARC record of a name, parsed.
pub fn read(txts: &[String]) -> Result<DmarcRecord, DmarcError> {
    select(txts).map(|r| parse(r).expect("selected records are DMARC records"))
}

/// Which of a record's policies applies to the name being judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applies {
    /// The record is the name's own: `p`.
    Own,
    /// The record is an ancestor's: `sp`, else `p` (RFC 7489 §6.3); under RFC 9989 a name
    /// that does not exist takes `np` first.
    Subdomain { exists: bool },
}

/// The verdict from a record already [`read`], so one parse serves both standards.
pub fn protection_of(read: &Result<DmarcRecord, DmarcError>, standard: Standard) -> Protection {
    protection_applying(read, standard, Applies::Own)
}

/// The verdict of a record for a name it applies to as `applies` says.
pub fn protection_applying(
    read: &Result<DmarcRecord, DmarcError>,
    standard: Standard,
    applies: Applies,
) -> Protection {
    let rec = match read {
        Ok(r) => r,
        Err(DmarcError::NoRecord) => return Protection::Absent,
        Err(DmarcError::MultipleRecords(_)) => return Protection::Invalid,
    };
    if rec
        .problems
        .iter()
        .any(|p| matches!(p, Problem::MissingSeparator(_)))
    {
        return Protection::Invalid;
    }
    let bad_sp = rec
        .problems
        .iter()
        .any(|p| matches!(p, Problem::BadValue { tag, .. } if tag == "sp"));
    let tagged = match (applies, standard) {
        (Applies::Own, _) => rec.p,
        (Applies::Subdomain { exists: false }, Standard::Rfc9989) => rec.np.or(rec.sp).or(rec.p),
        (Applies::Subdomain { .. }, _) => rec.sp.or(rec.p),
    };
    let policy = match standard {
        // RFC 7489 §6.6.3: a record without a valid p, or with an invalid sp, acts as p=none
        // when it has a valid rua; otherwise no DMARC processing applies.
        Standard::Rfc7489 if rec.p.is_none() || bad_sp => {
            if rec.rua.is_empty() {
                return Protection::Invalid;
            }
            Policy::None
        }
        // RFC 9989: a record without a usable p is read as p=none.
        _ => tagged.unwrap_or(Policy::None),
    };
    let reduced = match standard {
        Standard::Rfc7489 => rec.pct.is_some_and(|n| n < 100),
        Standard::Rfc9989 => rec.t == Some(true),
    };
    match policy {
        Policy::None => Protection::None,
        _ if reduced => Protection::Reduced,
        Policy::Quarantine => Protection::Quarantine,
        Policy::Reject => Protection::Reject,
    }
}

/// Where the policy that applies to a name was found, under one standard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Discovery {
    /// The name's own `_dmarc` records decide.
    Own,
    /// The name has no record of its own; this ancestor's DMARC records apply.
    Inherited { from: String, records: Vec<String> },
    /// No record at the name nor at any ancestor asked.
    NotFound,
    /// A lookup on the way failed: unknown, never "no policy".
    Failed,
}

crate::codes! {
    /// Where discovery found the policy, as tables count it.
    pub enum Source {
        Own => "own",
        Inherited => "inherited",
        None => "none",
        Failed => "failed",
    }
}

impl Discovery {
    pub fn source(&self) -> Source {
        match self {
            Discovery::Own => Source::Own,
            Discovery::Inherited { .. } => Source::Inherited,
            Discovery::NotFound => Source::None,
            Discovery::Failed => Source::Failed,
        }
    }

    pub fn inherited_from(&self) -> Option<&str> {
        match self {
            Discovery::Inherited { from, .. } => Some(from),
            _ => None,
        }
    }

    /// The protection that applies to the name after discovery; `None` where a lookup failed.
    /// `own` is the name's own record [`read`]; `exists` is false when the name is NXDOMAIN.
    pub fn protection(
        &self,
        own: &Result<DmarcRecord, DmarcError>,
        standard: Standard,
        exists: bool,
    ) -> Option<Protection> {
        Some(match self {
            Discovery::Own => protection_of(own, standard),
            Discovery::Inherited { records, .. } => {
                protection_applying(&read(records), standard, Applies::Subdomain { exists })
            }
            Discovery::NotFound => Protection::Absent,
            Discovery::Failed => return None,
        })
    }
}

/// RFC 7489 §3.2: the Organizational Domain is the public suffix (the whole Public Suffix List,
/// private section included, as the RFC points to it) plus one label.
pub fn organizational_domain(name: &str) -> &str {
    crate::psl::domain_str(name).unwrap_or(name)
}

/// The domain part of a `mailto:` report URI (RFC 7489 §6.2: `mailto:local@host`, with an
/// optional `!size` limit), lower-cased; `None` for other schemes or no `@`.
pub fn report_host(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once(':')?;
    if !scheme.eq_ignore_ascii_case("mailto") {
        return None;
    }
    let addr = rest.split('!').next()?;
    let host = addr.rsplit_once('@')?.1.trim_end_matches('.');
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Whether any report URI sends reports outside the name's Organizational Domain: the
/// destinations RFC 7489 §7.1 requires to be verified (`<name>._report._dmarc.<host>`).
pub fn reports_outside(name: &str, uris: &[String]) -> bool {
    !external_report_hosts(name, uris).is_empty()
}

/// The report destinations' hosts outside the name's Organizational Domain, each once, in
/// the record's order.
pub fn external_report_hosts(name: &str, uris: &[String]) -> Vec<String> {
    let own = organizational_domain(name);
    let mut hosts: Vec<String> = Vec::new();
    for h in uris.iter().filter_map(|u| report_host(u)) {
        if organizational_domain(&h) != own && !hosts.contains(&h) {
            hosts.push(h);
        }
    }
    hosts
}

/// RFC 7489 §7.1: where a report destination `host` says it accepts reports about `name`.
pub fn authorization_name(name: &str, host: &str) -> String {
    format!("{name}._report._dmarc.{host}")
}

/// RFC 7489 §7.1: the destination accepts the reports when one of the TXT records at its
/// [`authorization_name`] begins with `v=DMARC1`; otherwise "the Mail Receiver MUST NOT send
/// reports" there. (A `rua` in that record, which would override the destination, is not
/// followed.)
pub fn authorizes(txts: &[String]) -> bool {
    txts.iter().any(|t| is_dmarc_record(t))
}

crate::codes! {
    /// What the verification of a name's external report destinations found.
    pub enum RuaVerdict {
        /// Every destination lies inside the Organizational Domain: nothing to verify.
        NoneOutside => "none-outside",
        /// Every external destination publishes its authorization.
        Authorized => "authorized",
        /// At least one external destination does not: its reports are never sent.
        Unauthorized => "unauthorized",
        /// A lookup failed and no destination was found unauthorized.
        Failed => "failed",
    }
}

impl RuaVerdict {
    /// From each destination's answer: `Some(authorized)`, or `None` where its lookup failed.
    pub fn of(answers: impl IntoIterator<Item = Option<bool>>) -> RuaVerdict {
        let mut verdict = RuaVerdict::NoneOutside;
        for a in answers {
            verdict = match (verdict, a) {
                (_, Some(false)) | (RuaVerdict::Unauthorized, _) => RuaVerdict::Unauthorized,
                (_, None) | (RuaVerdict::Failed, _) => RuaVerdict::Failed,
                (_, Some(true)) => RuaVerdict::Authorized,
            };
        }
        verdict
    }
}

/// The names RFC 9989's DNS Tree Walk asks after the name itself (§4.10.1): with 8 or more
/// labels, jump to the last 7; then drop one label at a time down to the top-level domain.
/// At most 7, so the walk is at most 8 queries.
pub fn tree_walk_targets(name: &str) -> Vec<&str> {
    let labels = name.split('.').count();
    let mut targets = Vec::new();
    let mut rest = name;
    let mut count = labels;
    while count > 1 {
        let drop = if count >= 8 && rest.len() == name.len() {
            count - 7
        } else {
            1
        };
        for _ in 0..drop {
            rest = rest.split_once('.').map_or("", |(_, r)| r);
        }
        count -= drop;
        targets.push(rest);
    }
    targets
}

/// Find the policy that applies to `name`, whose own `_dmarc` TXT records are `own`.
///
/// RFC 7489 §6.6.3: with no DMARC record at the name, ask once at the Organizational Domain;
/// several records there mean no DMARC processing. RFC 9989 §4.10: walk up the tree and stop
/// at the first ancestor with exactly one DMARC record; several records at one step are
/// discarded and the walk goes on (so a name with several records of its own may inherit).
pub async fn discover<S: PolicyDns>(
    name: &str,
    own: &[String],
    standard: Standard,
    dns: &S,
) -> Discovery {
    let own_read = select(own);
    let targets = match (standard, &own_read) {
        (_, Ok(_)) => return Discovery::Own,
        (Standard::Rfc7489, Err(DmarcError::MultipleRecords(_))) => return Discovery::Own,
        (Standard::Rfc7489, Err(DmarcError::NoRecord)) => {
            let org = organizational_domain(name);
            if org == name {
                return Discovery::NotFound;
            }
            vec![org]
        }
        (Standard::Rfc9989, Err(_)) => tree_walk_targets(name),
    };
    for target in targets {
        let records = match dns.txt(&format!("_dmarc.{target}")).await {
            TxtLookup::Records(r) => r,
            TxtLookup::Void => continue,
            TxtLookup::Failed => return Discovery::Failed,
        };
        let dmarc: Vec<String> = records
            .txts()
            .iter()
            .filter(|t| is_dmarc_record(t))
            .cloned()
            .collect();
        let usable = match standard {
            Standard::Rfc7489 => !dmarc.is_empty(),
            Standard::Rfc9989 => dmarc.len() == 1,
        };
        if usable {
            return Discovery::Inherited {
                from: target.to_string(),
                records: dmarc,
            };
        }
    }
    if matches!(own_read, Err(DmarcError::MultipleRecords(_))) {
        return Discovery::Own;
    }
    Discovery::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::fake::v;

    #[test]
    fn report_destinations_outside_the_organization() {
        assert_eq!(
            report_host("mailto:d@Reports.Example.NET!10m").as_deref(),
            Some("reports.example.net")
        );
        assert_eq!(report_host("https://example.net/r"), None);
        assert_eq!(report_host("mailto:nobody"), None);
        let uris = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        // Same Organizational Domain (soumu.go.jp) for a subdomain's reports: inside.
        assert!(!reports_outside(
            "mail.soumu.go.jp",
            &uris(&["mailto:rua@soumu.go.jp"])
        ));
        assert!(reports_outside(
            "example.co.jp",
            &uris(&["mailto:rua@example.co.jp", "mailto:x@dmarc.vendor.example"])
        ));
        assert!(!reports_outside("example.co.jp", &[]));
        assert_eq!(
            external_report_hosts(
                "example.co.jp",
                &uris(&[
                    "mailto:a@dmarc.vendor.example",
                    "mailto:b@DMARC.vendor.example",
                    "mailto:c@example.co.jp"
                ])
            ),
            vec!["dmarc.vendor.example"]
        );
        assert_eq!(
            authorization_name("example.co.jp", "dmarc.vendor.example"),
            "example.co.jp._report._dmarc.dmarc.vendor.example"
        );
        assert!(authorizes(&uris(&["v=DMARC1"])));
        assert!(!authorizes(&uris(&["v=DMARC2", "hello"])));
    }

    #[test]
    fn rua_verdicts() {
        assert_eq!(RuaVerdict::of([]), RuaVerdict::NoneOutside);
        assert_eq!(RuaVerdict::of([Some(true)]), RuaVerdict::Authorized);
        assert_eq!(RuaVerdict::of([Some(true), None]), RuaVerdict::Failed);
        assert_eq!(
            RuaVerdict::of([Some(false), None, Some(true)]),
            RuaVerdict::Unauthorized
        );
        assert_eq!(
            RuaVerdict::of([None, Some(false)]),
            RuaVerdict::Unauthorized
        );
    }
    use crate::policy::fake::{Fake, rec};

    #[test]
    fn the_2025_soumu_record_reads_as_quarantine() {
        let r = "v=DMARC1; p=quarantine; sp=quarantine; pct=100;adkim=r;aspf=r; rua=mailto:rua-report@soumu.go.jp; ruf=mailto:ruf-report@soumu.go.jp";
        let rec = parse(r).unwrap();
        assert_eq!(rec.p, Some(Policy::Quarantine));
        assert_eq!(rec.sp, Some(Policy::Quarantine));
        assert_eq!(rec.pct, Some(100));
        assert_eq!(rec.rua, ["mailto:rua-report@soumu.go.jp"]);
        assert!(rec.problems.is_empty(), "{:?}", rec.problems);
        for s in [Standard::Rfc7489, Standard::Rfc9989] {
            assert_eq!(protection(&v(&[r]), s), Protection::Quarantine);
        }
    }

    #[test]
    fn rfc_7489_examples_and_readings() {
        // §B.2.1 and §B.2.3 style records.
        let r = parse("v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com").unwrap();
        assert_eq!(r.p, Some(Policy::None));
        let r = parse("v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com,mailto:tld-test@thirdparty.example.net!10m; pct=25").unwrap();
        assert_eq!(r.rua.len(), 2);
        assert_eq!(r.pct, Some(25));
        let t = v(&["v=DMARC1; p=quarantine; pct=25"]);
        assert_eq!(protection(&t, Standard::Rfc7489), Protection::Reduced);
        // RFC 9989 removed pct: the same record is plain quarantine there.
        assert_eq!(protection(&t, Standard::Rfc9989), Protection::Quarantine);
        let t = v(&["v=DMARC1;p=reject;t=y"]);
        assert_eq!(protection(&t, Standard::Rfc9989), Protection::Reduced);
        assert_eq!(protection(&t, Standard::Rfc7489), Protection::Reject);
    }

    #[test]
    fn missing_and_bad_policies_differ_by_standard() {
        let no_p_rua = v(&["v=DMARC1; rua=mailto:d@example.jp"]);
        assert_eq!(protection(&no_p_rua, Standard::Rfc7489), Protection::None);
        let no_p = v(&["v=DMARC1; adkim=s"]);
        assert_eq!(protection(&no_p, Standard::Rfc7489), Protection::Invalid);
        assert_eq!(protection(&no_p, Standard::Rfc9989), Protection::None);
        let bogus = v(&["v=DMARC1; p=bogus"]);
        assert_eq!(protection(&bogus, Standard::Rfc7489), Protection::Invalid);
        let rec = parse("v=DMARC1; p=bogus").unwrap();
        assert_eq!(rec.problems[0].code(), "bad-value");
        assert!(!rec.problems.contains(&Problem::MissingPolicy));
        assert!(
            parse("v=DMARC1; adkim=s")
                .unwrap()
                .problems
                .contains(&Problem::MissingPolicy)
        );
    }

    #[test]
    fn errors_and_problems_are_named() {
        assert_eq!(
            protection(&v(&["p=none; v=DMARC1"]), Standard::Rfc7489),
            Protection::Absent
        );
        assert_eq!(protection(&[], Standard::Rfc9989), Protection::Absent);
        let two = v(&["v=DMARC1; p=none", "v=DMARC1; p=reject"]);
        assert_eq!(select(&two), Err(DmarcError::MultipleRecords(2)));
        assert_eq!(protection(&two, Standard::Rfc9989), Protection::Invalid);
        let rec = parse("v=DMARC1; p=reject; p=none; foo=bar; pct=150; rua=bob; junk").unwrap();
        assert_eq!(rec.p, Some(Policy::Reject), "the first p is kept");
        let codes: Vec<&str> = rec.problems.iter().map(Problem::code).collect();
        assert_eq!(
            codes,
            [
                "duplicate-tag",
                "unknown-tag",
                "bad-value",
                "bad-value",
                "syntax"
            ]
        );
        // ABNF keywords are case-insensitive; `;;` and a nameless tag are outside the grammar.
        assert_eq!(parse("v=DMARC1; p=Reject").unwrap().p, Some(Policy::Reject));
        let rec = parse("v=DMARC1; p=reject;; =x;").unwrap();
        let codes: Vec<&str> = rec.problems.iter().map(Problem::code).collect();
        assert_eq!(codes, ["syntax", "syntax"]);
        assert!(parse("v=DMARC1; p=none;").unwrap().problems.is_empty());
        let bis = parse("v=DMARC1;p=reject;np=reject;psd=n;t=n").unwrap();
        assert_eq!(
            (bis.np, bis.psd, bis.t),
            (Some(Policy::Reject), Some('n'), Some(false))
        );
    }

    #[test]
    fn tree_walk_targets_follow_rfc_9989() {
        // RFC 9989's own example: eight queries in all for a 13-label name.
        let t = tree_walk_targets("a.b.c.d.e.f.g.h.i.j.mail.example.com");
        assert_eq!(t.len(), 7);
        assert_eq!(t[0], "g.h.i.j.mail.example.com");
        assert_eq!(t[6], "com");
        assert_eq!(tree_walk_targets("x.tokyo.jp"), ["tokyo.jp", "jp"]);
        assert!(tree_walk_targets("jp").is_empty());
    }

    #[test]
    fn organizational_domains_follow_the_psl() {
        assert_eq!(organizational_domain("www.example.co.jp"), "example.co.jp");
        assert_eq!(organizational_domain("x.tokyo.jp"), "x.tokyo.jp");
        assert_eq!(organizational_domain("a.b.example.com"), "example.com");
    }

    fn walk(name: &str, own: &[&str], std: Standard, zone: Vec<(&str, TxtLookup)>) -> Discovery {
        let dns = Fake::new(zone);
        futures::executor::block_on(discover(name, &v(own), std, &dns))
    }

    #[test]
    fn the_readings_differ_under_a_public_suffix_with_a_record() {
        let zone = || vec![("_dmarc.tokyo.jp", rec("v=DMARC1; p=reject; psd=y"))];
        // x.tokyo.jp is its own Organizational Domain: RFC 7489 looks no further.
        assert_eq!(
            walk("x.tokyo.jp", &[], Standard::Rfc7489, zone()),
            Discovery::NotFound
        );
        let d = walk("x.tokyo.jp", &[], Standard::Rfc9989, zone());
        assert_eq!(d.inherited_from(), Some("tokyo.jp"));
        let none = Err(DmarcError::NoRecord);
        assert_eq!(
            d.protection(&none, Standard::Rfc9989, true),
            Some(Protection::Reject)
        );
        let own = ["v=DMARC1; p=none"];
        assert_eq!(
            walk("x.tokyo.jp", &own, Standard::Rfc9989, zone()),
            Discovery::Own
        );
    }

    #[test]
    fn subdomains_take_sp_then_np_for_names_that_do_not_exist() {
        let zone = || {
            vec![(
                "_dmarc.example.co.jp",
                rec("v=DMARC1; p=reject; sp=quarantine; np=none; pct=50"),
            )]
        };
        let none = Err(DmarcError::NoRecord);
        let d = walk("www.example.co.jp", &[], Standard::Rfc7489, zone());
        assert_eq!(d.inherited_from(), Some("example.co.jp"));
        assert_eq!(
            d.protection(&none, Standard::Rfc7489, true),
            Some(Protection::Reduced)
        );
        let d = walk("www.example.co.jp", &[], Standard::Rfc9989, zone());
        assert_eq!(
            d.protection(&none, Standard::Rfc9989, true),
            Some(Protection::Quarantine)
        );
        assert_eq!(
            d.protection(&none, Standard::Rfc9989, false),
            Some(Protection::None)
        );
    }

    #[test]
    fn several_records_and_failures_are_not_absence() {
        let two = vec![
            "v=DMARC1; p=none".to_string(),
            "v=DMARC1; p=reject".to_string(),
        ];
        let zone = || {
            vec![
                ("_dmarc.b.example.jp", TxtLookup::records(two.clone())),
                ("_dmarc.example.jp", rec("v=DMARC1; p=quarantine")),
            ]
        };
        let none = Err(DmarcError::NoRecord);
        // RFC 7489: several records at the Organizational Domain: no policy (invalid).
        let org_two = vec![("_dmarc.example.jp", TxtLookup::records(two.clone()))];
        let d = walk("a.b.example.jp", &[], Standard::Rfc7489, org_two);
        assert_eq!(d.inherited_from(), Some("example.jp"));
        assert_eq!(
            d.protection(&none, Standard::Rfc7489, true),
            Some(Protection::Invalid)
        );
        // Several records of its own: no policy, and no look further.
        let d = walk("b.example.jp", &two_refs(&two), Standard::Rfc7489, zone());
        assert_eq!(d, Discovery::Own);
        // RFC 9989 discards the step with several records and walks on.
        let d = walk("a.b.example.jp", &[], Standard::Rfc9989, zone());
        assert_eq!(d.inherited_from(), Some("example.jp"));
        assert_eq!(
            d.protection(&none, Standard::Rfc9989, true),
            Some(Protection::Quarantine)
        );
        let failed = walk(
            "a.example.jp",
            &[],
            Standard::Rfc9989,
            vec![("_dmarc.example.jp", TxtLookup::Failed)],
        );
        assert_eq!(failed, Discovery::Failed);
        assert_eq!(failed.protection(&none, Standard::Rfc9989, true), None);
    }

    fn two_refs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
}
