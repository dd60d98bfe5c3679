//! SPF records parsed to the letter of RFC 7208 (the ABNF of §12), into typed terms, with
//! every way a record can be invalid named. No DNS here: the lookup cost of include/redirect
//! chains is counted by the crawler through a resolver.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub mod space;

use self::space::{Fetched, pass_space};
use super::{HostQuery, PolicyDns, Presence, TxtLookup, is_spf_record, only_one};

crate::codes! {
    /// A directive's qualifier (§4.6.2), spelt as its result.
    pub enum Qualifier {
        Pass => "pass",
        Fail => "fail",
        SoftFail => "softfail",
        Neutral => "neutral",
    }
}

impl Qualifier {
    fn from_char(c: char) -> Option<Qualifier> {
        Some(match c {
            '+' => Qualifier::Pass,
            '-' => Qualifier::Fail,
            '~' => Qualifier::SoftFail,
            '?' => Qualifier::Neutral,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mechanism {
    All,
    Include(String),
    A {
        domain: Option<String>,
        cidr4: Option<u8>,
        cidr6: Option<u8>,
    },
    Mx {
        domain: Option<String>,
        cidr4: Option<u8>,
        cidr6: Option<u8>,
    },
    /// RFC 7208 §5.5: "This mechanism SHOULD NOT be published."
    Ptr(Option<String>),
    Ip4 {
        addr: Ipv4Addr,
        prefix: Option<u8>,
    },
    Ip6 {
        addr: Ipv6Addr,
        prefix: Option<u8>,
    },
    Exists(String),
}

impl Mechanism {
    /// Counts against the limit of 10 DNS-querying terms (§4.6.4).
    pub fn queries_dns(&self) -> bool {
        matches!(
            self,
            Mechanism::Include(_)
                | Mechanism::A { .. }
                | Mechanism::Mx { .. }
                | Mechanism::Ptr(_)
                | Mechanism::Exists(_)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directive {
    pub qualifier: Qualifier,
    pub mechanism: Mechanism,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Modifier {
    Redirect(String),
    Exp(String),
    /// §6: unknown modifiers are ignored, but must be syntactically valid.
    Unknown {
        name: String,
        value: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpfRecord {
    pub directives: Vec<Directive>,
    pub modifiers: Vec<Modifier>,
}

/// Why a record (or a set of TXT records) is not a valid SPF policy; every one is a permerror.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SpfError {
    /// No TXT record starts with `v=spf1`.
    NoRecord,
    /// §4.5: more than one record starts with `v=spf1`.
    MultipleRecords(usize),
    /// A term whose mechanism name is not one of RFC 7208's.
    UnknownMechanism(String),
    /// A term that breaks the §12 grammar, with why.
    Syntax { term: String, reason: String },
    /// §6: `redirect` or `exp` more than once.
    DuplicateModifier(String),
}

crate::codes! {
    /// The class of an [`SpfError`], as tables count it.
    pub enum SpfErrorKind {
        NoRecord => "no-record",
        MultipleRecords => "multiple-records",
        Syntax => "syntax",
        UnknownMechanism => "unknown-mechanism",
        DuplicateModifier => "duplicate-modifier",
    }
}

impl SpfError {
    pub fn kind(&self) -> SpfErrorKind {
        match self {
            SpfError::NoRecord => SpfErrorKind::NoRecord,
            SpfError::MultipleRecords(_) => SpfErrorKind::MultipleRecords,
            SpfError::UnknownMechanism(_) => SpfErrorKind::UnknownMechanism,
            SpfError::Syntax { .. } => SpfErrorKind::Syntax,
            SpfError::DuplicateModifier(_) => SpfErrorKind::DuplicateModifier,
        }
    }

    pub fn code(&self) -> &'static str {
        self.kind().code()
    }
}

impl fmt::Display for SpfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpfError::NoRecord => f.write_str("no SPF record"),
            SpfError::MultipleRecords(n) => write!(f, "{n} SPF records (RFC 7208 §4.5)"),
            SpfError::UnknownMechanism(t) => write!(f, "unknown mechanism in {t:?}"),
            SpfError::Syntax { term, reason } => write!(f, "{term:?}: {reason}"),
            SpfError::DuplicateModifier(m) => write!(f, "{m}= given twice (RFC 7208 §6)"),
        }
    }
}

fn syntax(term: &str, reason: impl Into<String>) -> SpfError {
    SpfError::Syntax {
        term: term.to_string(),
        reason: reason.into(),
    }
}

/// The one SPF record among a name's TXT records (strings already joined, §3.3).
pub fn select(txts: &[String]) -> Result<&str, SpfError> {
    only_one(txts, is_spf_record).map_err(|n| match n {
        0 => SpfError::NoRecord,
        n => SpfError::MultipleRecords(n),
    })
}

/// Parse one record that starts with `v=spf1`.
pub fn parse(record: &str) -> Result<SpfRecord, SpfError> {
    if !is_spf_record(record) {
        return Err(SpfError::NoRecord);
    }
    let mut out = SpfRecord {
        directives: Vec::new(),
        modifiers: Vec::new(),
    };
    // §12: terms = *( 1*SP ( directive / modifier ) ); only SP separates (not tabs).
    for term in record[6..].split(' ').filter(|t| !t.is_empty()) {
        match parse_term(term)? {
            Term::Directive(d) => out.directives.push(d),
            Term::Modifier(m) => {
                let name = match &m {
                    Modifier::Redirect(_) => Some("redirect"),
                    Modifier::Exp(_) => Some("exp"),
                    Modifier::Unknown { .. } => None,
                };
                if let Some(name) = name
                    && out.modifiers.iter().any(|x| same_kind(x, &m))
                {
                    return Err(SpfError::DuplicateModifier(name.to_string()));
                }
                out.modifiers.push(m);
            }
        }
    }
    Ok(out)
}

fn same_kind(a: &Modifier, b: &Modifier) -> bool {
    matches!(
        (a, b),
        (Modifier::Redirect(_), Modifier::Redirect(_)) | (Modifier::Exp(_), Modifier::Exp(_))
    )
}

enum Term {
    Directive(Directive),
    Modifier(Modifier),
}

fn parse_term(term: &str) -> Result<Term, SpfError> {
    // A modifier is `name=value` with name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ); a
    // mechanism never has `=` before its first `:` or `/`.
    let name_end = term.find(['=', ':', '/']).unwrap_or(term.len());
    if term[name_end..].starts_with('=') {
        return parse_modifier(term, &term[..name_end], &term[name_end + 1..]).map(Term::Modifier);
    }
    let mut chars = term.chars();
    let (qualifier, body) = match chars.next().and_then(Qualifier::from_char) {
        Some(q) => (q, &term[1..]),
        None => (Qualifier::Pass, term),
    };
    let name_end = body.find([':', '/']).unwrap_or(body.len());
    let (name, rest) = (body[..name_end].to_ascii_lowercase(), &body[name_end..]);
    let arg = rest.strip_prefix(':');
    let mechanism = match name.as_str() {
        "all" if rest.is_empty() => Mechanism::All,
        "all" => return Err(syntax(term, "`all` takes no argument")),
        "include" | "exists" => {
            let spec = arg.ok_or_else(|| syntax(term, "needs `:domain`"))?;
            let d = domain_spec(term, spec)?;
            if name == "include" {
                Mechanism::Include(d)
            } else {
                Mechanism::Exists(d)
            }
        }
        "a" | "mx" => {
            let (domain, cidr) = match arg {
                Some(a) => {
                    let (spec, cidr) = split_dual_cidr(a);
                    (Some(domain_spec(term, spec)?), cidr)
                }
                None => (None, rest),
            };
            let (cidr4, cidr6) = dual_cidr(term, cidr)?;
            if name == "a" {
                Mechanism::A {
                    domain,
                    cidr4,
                    cidr6,
                }
            } else {
                Mechanism::Mx {
                    domain,
                    cidr4,
                    cidr6,
                }
            }
        }
        "ptr" => match (arg, rest.is_empty()) {
            (Some(a), _) => Mechanism::Ptr(Some(domain_spec(term, a)?)),
            (None, true) => Mechanism::Ptr(None),
            (None, false) => return Err(syntax(term, "`ptr` takes no CIDR length")),
        },
        "ip4" => {
            let a = arg.ok_or_else(|| syntax(term, "needs `:address`"))?;
            let (addr, prefix) = split_prefix(a);
            let addr: Ipv4Addr = addr
                .parse()
                .map_err(|_| syntax(term, "not an IPv4 address"))?;
            Mechanism::Ip4 {
                addr,
                prefix: prefix.map(|p| cidr(term, p, 32)).transpose()?,
            }
        }
        "ip6" => {
            let a = arg.ok_or_else(|| syntax(term, "needs `:address`"))?;
            let (addr, prefix) = split_prefix(a);
            let addr: Ipv6Addr = addr
                .parse()
                .map_err(|_| syntax(term, "not an IPv6 address"))?;
            Mechanism::Ip6 {
                addr,
                prefix: prefix.map(|p| cidr(term, p, 128)).transpose()?,
            }
        }
        _ => return Err(SpfError::UnknownMechanism(term.to_string())),
    };
    Ok(Term::Directive(Directive {
        qualifier,
        mechanism,
    }))
}

/// The modifier `name=value` of `term`.
fn parse_modifier(term: &str, name: &str, value: &str) -> Result<Modifier, SpfError> {
    let valid_name = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid_name {
        return Err(syntax(term, "bad modifier name"));
    }
    Ok(match name.to_ascii_lowercase().as_str() {
        "redirect" => Modifier::Redirect(domain_spec(term, value)?),
        "exp" => Modifier::Exp(domain_spec(term, value)?),
        _ => {
            macro_string(term, value, true)?;
            Modifier::Unknown {
                name: name.to_string(),
                value: value.to_string(),
            }
        }
    })
}

fn split_prefix(a: &str) -> (&str, Option<&str>) {
    match a.split_once('/') {
        Some((addr, p)) => (addr, Some(p)),
        None => (a, None),
    }
}

/// §12: `"0" / %x31-39 0*1DIGIT` (0*2DIGIT for IPv6), at most `max`: no leading zeros.
fn cidr(term: &str, digits: &str, max: u8) -> Result<u8, SpfError> {
    let ok = !digits.is_empty()
        && digits.len() <= 3
        && digits.chars().all(|c| c.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    match digits.parse::<u8>() {
        Ok(n) if ok && n <= max => Ok(n),
        _ => Err(syntax(
            term,
            format!("bad CIDR length /{digits} (0 to {max})"),
        )),
    }
}

/// `a:` and `mx:`'s argument split into its domain-spec and its dual-cidr-length, which is
/// only a final `/digits`, `//digits` or `/digits//digits`: a macro-literal takes `/` and `:`
/// (%x21-24 / %x26-7E), so in `a:foo:bar/baz.example.com` all is domain-spec (§12).
fn split_dual_cidr(arg: &str) -> (&str, &str) {
    // Where `/DIGITS` ends `s`, the index of its slash.
    let slash_digits = |s: &str| {
        let t = s.trim_end_matches(|c: char| c.is_ascii_digit());
        (t.len() < s.len() && t.ends_with('/')).then(|| t.len() - 1)
    };
    let Some(i) = slash_digits(arg) else {
        return (arg, "");
    };
    let cut = match arg[..i].strip_suffix('/') {
        // `//ip6`, with an `/ip4` before it or not.
        Some(before) => slash_digits(before).unwrap_or(before.len()),
        None => i,
    };
    arg.split_at(cut)
}

/// `dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]`: `/24`, `//64`, `/24//64`.
fn dual_cidr(term: &str, s: &str) -> Result<(Option<u8>, Option<u8>), SpfError> {
    if s.is_empty() {
        return Ok((None, None));
    }
    let Some(s) = s.strip_prefix('/') else {
        return Err(syntax(term, "unexpected text after the mechanism"));
    };
    if let Some(v6) = s.strip_prefix('/') {
        return Ok((None, Some(cidr(term, v6, 128)?)));
    }
    match s.split_once("//") {
        Some((v4, v6)) => Ok((Some(cidr(term, v4, 32)?), Some(cidr(term, v6, 128)?))),
        None => Ok((Some(cidr(term, s, 32)?), None)),
    }
}

/// `domain-spec = macro-string domain-end`, `domain-end = ( "." toplabel [ "." ] ) /
/// macro-expand`.
fn domain_spec(term: &str, spec: &str) -> Result<String, SpfError> {
    macro_string(term, spec, false)?;
    // §4.3 and RFC 1035 §2.3.4: a zero-length label (but the root's, a final dot) or one over
    // 63 octets makes a name no query can carry. The ABNF lets `mail.example...com` through,
    // and the RFC 7208 test suite takes permerror or a no-match (`invalid-domain-empty-label`,
    // `invalid-domain-long`); it is the record's fault either way, never the DNS's, so it is
    // a syntax error here. Labels made by macros are the sender's and are not judged.
    let name = spec.strip_suffix('.').unwrap_or(spec);
    if let Some(bad) = literal_labels(name).find(|l| l.is_empty() || l.len() > 63) {
        return Err(syntax(
            term,
            match bad.is_empty() {
                true => "an empty label".to_string(),
                false => format!("a label of {} octets (63 at most)", bad.len()),
            },
        ));
    }
    if !spec.contains('%') && name.len() > 253 {
        return Err(syntax(term, "a name over 253 octets"));
    }
    if spec.ends_with('}') || spec.ends_with("%%") || spec.ends_with("%_") || spec.ends_with("%-") {
        return Ok(spec.to_string());
    }
    let trimmed = spec.strip_suffix('.').unwrap_or(spec);
    let Some((_, top)) = trimmed.rsplit_once('.') else {
        return Err(syntax(term, "domain needs at least two labels"));
    };
    // toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
    let alnum = |c: char| c.is_ascii_alphanumeric();
    let valid_top = !top.is_empty()
        && top.chars().all(|c| alnum(c) || c == '-')
        && top.starts_with(alnum)
        && top.ends_with(alnum)
        && (top.contains('-') || top.chars().any(|c| c.is_ascii_alphabetic()));
    if !valid_top {
        return Err(syntax(term, format!("bad top label {top:?}")));
    }
    Ok(spec.to_string())
}

/// The labels of a domain-spec that hold no macro (a macro's delimiters may be dots: the
/// labels are cut outside `%{...}` only).
fn literal_labels(name: &str) -> impl Iterator<Item = &str> {
    let (mut in_macro, mut after_percent) = (false, false);
    name.split(move |c| {
        match c {
            '{' if after_percent => in_macro = true,
            '}' => in_macro = false,
            _ => {}
        }
        // `%%` is a literal percent sign, not the start of a macro.
        after_percent = c == '%' && !after_percent;
        c == '.' && !in_macro
    })
    .filter(|l| !l.contains('%'))
}

/// §7.1 macro-string; `c`, `r`, `t` are only allowed in explanation text (§7.3), which is
/// never parsed here, so `in_exp_text` only relaxes them for unknown modifiers' values.
fn macro_string(term: &str, s: &str, in_exp_text: bool) -> Result<(), SpfError> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => match b.get(i + 1) {
                Some(b'%' | b'_' | b'-') => i += 2,
                Some(b'{') => {
                    let close = s[i..]
                        .find('}')
                        .ok_or_else(|| syntax(term, "unterminated macro"))?;
                    let body = &s[i + 2..i + close];
                    let mut chars = body.chars();
                    let letter = chars.next().map(|c| c.to_ascii_lowercase());
                    let allowed = match letter {
                        Some('s' | 'l' | 'o' | 'd' | 'i' | 'p' | 'h' | 'v') => true,
                        Some('c' | 'r' | 't') => in_exp_text,
                        _ => false,
                    };
                    if !allowed {
                        return Err(syntax(term, format!("bad macro letter in %{{{body}}}")));
                    }
                    // transformers = *DIGIT [ "r" ], then *delimiter
                    let rest: String = chars.collect();
                    let digits =
                        rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                    // §7.3: "If a DIGIT is specified, the value MUST be at least one."
                    if digits > 0 && rest[..digits].trim_start_matches('0').is_empty() {
                        return Err(syntax(term, format!("zero parts in %{{{body}}}")));
                    }
                    let after = &rest[digits..];
                    let after = after.strip_prefix(['r', 'R']).unwrap_or(after);
                    if !after.chars().all(|c| ".-+,/_=".contains(c)) {
                        return Err(syntax(
                            term,
                            format!("bad macro transformer in %{{{body}}}"),
                        ));
                    }
                    i += close + 1;
                }
                _ => return Err(syntax(term, "a lone `%` (write `%%`)")),
            },
            // macro-literal = %x21-24 / %x26-7E
            0x21..=0x7e => i += 1,
            _ => return Err(syntax(term, "a character outside visible ASCII")),
        }
    }
    Ok(())
}

impl SpfRecord {
    /// The directives an evaluation can reach: §4.6.2 stops at the first match, and `all`
    /// always matches, so nothing after it is ever evaluated.
    pub fn evaluated(&self) -> impl Iterator<Item = &Directive> {
        let end = self
            .directives
            .iter()
            .position(|d| d.mechanism == Mechanism::All)
            .map_or(self.directives.len(), |i| i + 1);
        self.directives[..end].iter()
    }

    /// Terms that make DNS queries (§4.6.4: include, a, mx, ptr, exists, redirect) "during
    /// SPF evaluation", counted for the worst case (no earlier mechanism matches): terms after
    /// `all` are never reached, and `redirect` is ignored beside `all` (§6.1).
    pub fn dns_terms(&self) -> usize {
        self.evaluated()
            .filter(|d| d.mechanism.queries_dns())
            .count()
            + usize::from(self.applied_redirect().is_some())
    }

    /// The qualifier of the `all` mechanism, if any.
    pub fn all(&self) -> Option<Qualifier> {
        self.directives
            .iter()
            .find(|d| d.mechanism == Mechanism::All)
            .map(|d| d.qualifier)
    }

    pub fn redirect(&self) -> Option<&str> {
        self.modifiers.iter().find_map(|m| match m {
            Modifier::Redirect(d) => Some(d.as_str()),
            _ => None,
        })
    }

    /// The `redirect=` evaluation reaches: none beside `all`, which it never gets past (§6.1).
    pub fn applied_redirect(&self) -> Option<&str> {
        self.redirect().filter(|_| self.all().is_none())
    }

    /// §6.1: "If all mechanism is present, the redirect modifier MUST be ignored": almost
    /// always a publishing mistake.
    pub fn redirect_ignored(&self) -> bool {
        self.all().is_some() && self.redirect().is_some()
    }

    /// Who else the record lets send for `domain`: the registered domains of its `include:`
    /// targets and of the `redirect=` that applies (its `%{d}` expanded), apart from
    /// `domain`'s own, in record order, once each. Targets whose macros need a sender are
    /// left out.
    pub fn providers(&self, domain: &str) -> Vec<String> {
        let domain = domain.to_ascii_lowercase();
        let own = crate::psl::domain_str(&domain)
            .unwrap_or(&domain)
            .to_string();
        let includes = self.evaluated().filter_map(|d| match &d.mechanism {
            Mechanism::Include(t) => Some(t.as_str()),
            _ => None,
        });
        let mut out: Vec<String> = Vec::new();
        for spec in includes.chain(self.applied_redirect()) {
            let Some(t) = target_name(spec, &domain) else {
                continue;
            };
            let Some(registered) = crate::psl::domain_str(&t).map(str::to_string) else {
                continue;
            };
            if registered != own && !out.contains(&registered) {
                out.push(registered);
            }
        }
        out
    }

    /// The one provider the record hands everything to, if it does: every mechanism it
    /// evaluates an `include:` of that registered domain, its `all` not `+all`, and a
    /// `redirect=` that applies (if any) to it too. Such a record lets pass exactly what the
    /// provider's records do, which is how the providers table learns a provider's own space.
    pub fn sole_provider(&self, domain: &str) -> Option<String> {
        let [provider] = <[String; 1]>::try_from(self.providers(domain)).ok()?;
        let of = |spec: &str| {
            let t = target_name(spec, &domain.to_ascii_lowercase())?;
            crate::psl::domain_str(&t).map(|d| d == provider)
        };
        let only_includes = self.evaluated().all(|d| match &d.mechanism {
            Mechanism::Include(t) => d.qualifier == Qualifier::Pass && of(t) == Some(true),
            Mechanism::All => d.qualifier != Qualifier::Pass,
            _ => false,
        });
        let redirect = self.applied_redirect();
        (only_includes && redirect.is_none_or(|r| of(r) == Some(true))).then_some(provider)
    }

    pub fn uses_ptr(&self) -> bool {
        self.directives
            .iter()
            .any(|d| matches!(d.mechanism, Mechanism::Ptr(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::fake::v;

    fn ok(r: &str) -> SpfRecord {
        parse(r).unwrap_or_else(|e| panic!("{r:?}: {e}"))
    }

    #[test]
    fn rfc_7208_appendix_a_examples_parse() {
        for r in [
            "v=spf1 +all",
            "v=spf1 a -all",
            "v=spf1 a:example.org -all",
            "v=spf1 mx -all",
            "v=spf1 mx:example.org -all",
            "v=spf1 mx mx:example.org -all",
            "v=spf1 mx/30 mx:example.org/30 -all",
            "v=spf1 ptr -all",
            "v=spf1 ip4:192.0.2.128/28 -all",
            "v=spf1 include:example.com include:example.net -all",
            "v=spf1 redirect=example.org",
            "v=spf1 mx -all exp=explain._spf.%{d}",
            "v=spf1 -include:ip4._spf.%{d} -include:ptr._spf.%{d} +all",
            "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all",
            "v=spf1 ip6:2001:db8::/32 a//64 a:x.example.com/24//48 ?all",
        ] {
            ok(r);
        }
        let r = ok("v=spf1 mx/30 mx:example.org/30 -all");
        assert_eq!(
            r.directives[1].mechanism,
            Mechanism::Mx {
                domain: Some("example.org".into()),
                cidr4: Some(30),
                cidr6: None
            }
        );
        assert_eq!(r.all(), Some(Qualifier::Fail));
        assert_eq!(r.dns_terms(), 2);
        assert_eq!(ok("v=spf1 redirect=_spf.example.org").dns_terms(), 1);
        // Evaluation never gets past `all`, and ignores redirect beside it (§4.6.2, §6.1).
        assert_eq!(ok("v=spf1 -all mx a").dns_terms(), 0);
        assert_eq!(
            ok("v=spf1 mx redirect=_spf.example.org -all").dns_terms(),
            1
        );
        assert_eq!(ok("v=spf1").directives.len(), 0);
        assert_eq!(ok("V=SPF1 MX ~ALL").all(), Some(Qualifier::SoftFail));
    }

    #[test]
    fn every_error_is_named() {
        let err = |r: &str| parse(r).unwrap_err();
        assert_eq!(err("v=spf10 mx").code(), "no-record");
        assert_eq!(
            err("v=spf1 inclde:x.example -all").code(),
            "unknown-mechanism"
        );
        assert_eq!(err("v=spf1 ip4:999.0.0.1 -all").code(), "syntax");
        assert_eq!(err("v=spf1 ip4:192.0.2.0/33").code(), "syntax");
        assert_eq!(err("v=spf1 ip4:192.0.2.0/024").code(), "syntax");
        assert_eq!(err("v=spf1 ip6:2001:db8::/129").code(), "syntax");
        assert_eq!(err("v=spf1 include -all").code(), "syntax");
        assert_eq!(err("v=spf1 include:localhost -all").code(), "syntax");
        assert_eq!(err("v=spf1 include:example.123 -all").code(), "syntax");
        assert_eq!(err("v=spf1 all:x.example").code(), "syntax");
        assert_eq!(err("v=spf1 exists:%{x}.example.com").code(), "syntax");
        assert_eq!(err("v=spf1 exists:%{c}.example.com").code(), "syntax");
        assert_eq!(err("v=spf1 a:50%.example.com").code(), "syntax");
        assert_eq!(err("v=spf1 exists:%{d0}.example.com").code(), "syntax");
        ok("v=spf1 exists:%{d10}.example.com");
        // Only SP separates terms (§12 `terms = *( 1*SP ( directive / modifier ) )`).
        assert_eq!(err("v=spf1 ip4:192.0.2.1\t-all").code(), "syntax");
        // A domain-spec ends in "." toplabel (§7.1), so one label or a port is not one.
        assert_eq!(err("v=spf1 a:corpus-sim -all").code(), "syntax");
        assert_eq!(err("v=spf1 mx:example.jp:25 -all").code(), "syntax");
        assert_eq!(err("v=spf1 1bad=x").code(), "syntax");
        assert_eq!(
            err("v=spf1 redirect=a.example redirect=b.example").code(),
            "duplicate-modifier"
        );
        assert_eq!(
            err("v=spf1 exp=a.example exp=b.example").code(),
            "duplicate-modifier"
        );
        // Unknown modifiers are fine (§6); so are repeated unknown ones.
        ok("v=spf1 foo=bar foo=baz -all");
    }

    /// The RFC 7208 test suite's `a-colon-domain`: a macro-literal takes `:` and `/`, and a
    /// dual-cidr-length is only a final `/digits` (§12), so all of it is the domain-spec.
    #[test]
    fn a_domain_spec_may_hold_colons_and_slashes() {
        for m in ["a", "mx"] {
            let r = ok(&format!("v=spf1 {m}:foo:bar/baz.example.com -all"));
            let (domain, cidr4, cidr6) = match &r.directives[0].mechanism {
                Mechanism::A {
                    domain,
                    cidr4,
                    cidr6,
                }
                | Mechanism::Mx {
                    domain,
                    cidr4,
                    cidr6,
                } => (domain.as_deref(), *cidr4, *cidr6),
                other => panic!("{other:?}"),
            };
            assert_eq!(
                (domain, cidr4, cidr6),
                (Some("foo:bar/baz.example.com"), None, None)
            );
        }
        let r = ok("v=spf1 mx:foo:bar/baz.example.com/24//64 -all");
        assert_eq!(
            r.directives[0].mechanism,
            Mechanism::Mx {
                domain: Some("foo:bar/baz.example.com".into()),
                cidr4: Some(24),
                cidr6: Some(64)
            }
        );
        assert_eq!(split_dual_cidr("x.example//64"), ("x.example", "//64"));
        assert_eq!(split_dual_cidr("x.example/8"), ("x.example", "/8"));
        assert_eq!(split_dual_cidr("x.example/"), ("x.example/", ""));
    }

    /// The suite's `invalid-domain-empty-label` and `invalid-domain-long`: a name no query can
    /// carry is the record's error (permerror), not a temperror of the DNS.
    #[test]
    fn a_target_that_cannot_be_a_domain_name_is_a_syntax_error() {
        let err = |r: &str| parse(r).map(|_| ()).map_err(|e| e.code());
        let long = "a".repeat(64);
        assert_eq!(err("v=spf1 a:mail.example...com -all"), Err("syntax"));
        assert_eq!(err(&format!("v=spf1 a:{long}.example.com")), Err("syntax"));
        assert_eq!(err("v=spf1 include:.example.com"), Err("syntax"));
        let name_261 = format!("{}.example.com", ["abcdefghi"; 25].join("."));
        assert_eq!(err(&format!("v=spf1 a:{name_261}")), Err("syntax"));
        // 63 octets is a label; a final dot is the root's; a macro's label is the sender's.
        ok(&format!("v=spf1 a:{}.example.com. -all", &long[1..]));
        ok("v=spf1 exists:%{l}.%{ir..}.example.com -all");
    }

    /// RFC 7208 §12, production by production: terms that must parse, and terms that must
    /// not (each in `v=spf1 TERM`), written for the production each one exercises.
    #[test]
    fn section_12_productions() {
        let long = "a".repeat(63);
        let label_64 = format!("a:{long}b.example.com");
        let label_63 = format!("a:{long}.example.com");
        let productions: [(&str, Vec<&str>, Vec<&str>); 9] = [
            (
                "domain-spec",
                vec![
                    "a:example.com",
                    "a:example.com.",
                    "a:foo:bar/baz.example.com",
                    "mx:foo:bar/baz.example.com",
                    "include:_spf.example.com",
                    "a:a{b}.example.com",
                    "exists:%{i}._spf.example.com",
                    "a:%{d}",
                    "ptr:example.com",
                    &label_63,
                ],
                vec![
                    "a:",
                    "include:",
                    "ptr:",
                    "a:example",
                    "a:mail.example...com",
                    "a:.example.com",
                    &label_64,
                    "a:example.com/",
                    "mx:example.jp:25",
                    "exists:ex%ample.com",
                ],
            ),
            (
                "macro-string",
                vec![
                    "exists:%{i}.%{l1r+-}._spf.%{d}",
                    "exists:%{ir}.%{v}.arpa._spf.%{d2}",
                    "a:%%.example.com",
                    "a:%_x.example.com",
                    "a:%-x.example.com",
                    "exists:%{S}.%{H}.%{O}.%{P}.example.com",
                ],
                vec![
                    "a:50%.example.com",
                    "exists:%z.example.com",
                    "exists:%{i.example.com",
                    "exists:example.com%",
                    "a:ex\u{7f}ample.com",
                ],
            ),
            (
                "macro-expand",
                vec![
                    "exists:%{d10}.example.com",
                    "exists:%{l-}.example.com",
                    "exists:%{ir.-+,/_=}.example.com",
                    "exists:%{d2r}.example.com",
                    "foo=%{c}.%{r}.%{t}",
                ],
                vec![
                    "exists:%{x}.example.com",
                    "exists:%{c}.example.com",
                    "exists:%{r}.example.com",
                    "exists:%{t}.example.com",
                    "exists:%{d0}.example.com",
                    "exists:%{dr2}.example.com",
                    "exists:%{d2rr}.example.com",
                    "exists:%{d*}.example.com",
                    "exists:%{}.example.com",
                ],
            ),
            (
                "toplabel",
                vec![
                    "a:example.xn--zckzah",
                    "a:example.c0m",
                    "a:example.123a",
                    "a:example.1-2",
                    "a:example.a",
                    "a:example.com.",
                ],
                vec![
                    "a:example.123",
                    "a:111.222.33.44",
                    "a:example.-com",
                    "a:example.com-",
                    "a:example.co_m",
                    "a:example",
                    "a:example.",
                ],
            ),
            (
                "ip4-cidr-length",
                vec![
                    "ip4:192.0.2.0/0",
                    "ip4:192.0.2.0/9",
                    "ip4:192.0.2.1/32",
                    "ip4:192.0.2.1",
                    "a/24",
                    "mx:example.org/30",
                ],
                vec![
                    "ip4:192.0.2.0/33",
                    "ip4:192.0.2.0/024",
                    "ip4:192.0.2.0/00",
                    "ip4:192.0.2.0/",
                    "ip4:192.0.2.0/-1",
                    "ip4:192.0.2.0/1a",
                    "a/",
                    "ip4:192.0.2",
                ],
            ),
            (
                "ip6-cidr-length",
                vec![
                    "ip6:2001:db8::/0",
                    "ip6:2001:db8::/32",
                    "ip6:2001:db8::1/128",
                    "ip6:::1",
                    "a//64",
                    "mx:example.org//126",
                ],
                vec![
                    "ip6:2001:db8::/129",
                    "ip6:2001:db8::/064",
                    "ip6:2001:db8::/",
                    "a//",
                    "a//1234",
                    "ip6:2001:db8::g",
                    "ip6:192.0.2.1",
                ],
            ),
            (
                "dual-cidr-length",
                vec![
                    "a/24//64",
                    "mx:example.org/30//126",
                    "a//0",
                    "a:foo:bar/baz.example.com/24",
                    "a:x.example.com/0//0",
                ],
                vec![
                    "a/24/64",
                    "a//64/24",
                    "a/24//64//64",
                    "a:example.com/24/",
                    "a:example.com//64/24",
                    "a///64",
                    "ptr/24",
                ],
            ),
            (
                "modifier name",
                vec![
                    "foo=bar",
                    "f-o_o.bar9=x",
                    "x1=",
                    "Redirect=_spf.example.com",
                    "exp=explain.example.com",
                    "foo=bar foo=baz",
                ],
                vec![
                    "1foo=bar",
                    "-foo=bar",
                    "fo@o=bar",
                    "redirect=",
                    "exp=",
                    "redirect=a.example.com redirect=b.example.com",
                    "moo.cow/far_out=man:dog/cat",
                    "foo=%{x}",
                ],
            ),
            (
                "qualifier",
                vec![
                    "+all",
                    "-all",
                    "~all",
                    "?all",
                    "+a",
                    "-mx",
                    "~include:x.example.com",
                    "?ip4:192.0.2.1",
                ],
                vec![
                    "!all",
                    "++all",
                    "+-all",
                    "-redirect=x.example.com",
                    "+",
                    "~",
                ],
            ),
        ];
        for (production, valid, invalid) in &productions {
            for t in valid {
                let r = format!("v=spf1 {t}");
                assert!(
                    parse(&r).is_ok(),
                    "{production}: {r:?} is valid: {:?}",
                    parse(&r)
                );
            }
            for t in invalid {
                let r = format!("v=spf1 {t}");
                assert!(parse(&r).is_err(), "{production}: {r:?} is not valid");
            }
            assert!(valid.len() >= 5 && invalid.len() >= 5, "{production}");
        }
    }

    #[test]
    fn selection_and_warnings() {
        assert_eq!(select(&v(&["x", "v=spf1 -all"])).unwrap(), "v=spf1 -all");
        assert_eq!(select(&v(&["x"])), Err(SpfError::NoRecord));
        assert_eq!(
            select(&v(&["v=spf1 -all", "v=spf1 mx ~all"])),
            Err(SpfError::MultipleRecords(2))
        );
        let r = ok("v=spf1 ptr redirect=_spf.example.com -all");
        assert!(r.redirect_ignored() && r.uses_ptr());
        // Providers: includes and the redirect that applies, by registered domain, the
        // name's own left out.
        let r = ok(
            "v=spf1 include:_spf.google.com include:spf.protection.outlook.com \
             include:_spf.example.co.jp include:%{d}.spf.mail.example.net \
             include:%{i}.x.example.org include:_netblocks.google.com redirect=x.example.org",
        );
        assert_eq!(
            r.providers("www.example.co.jp"),
            ["google.com", "outlook.com", "example.net", "example.org"]
        );
        assert_eq!(
            ok("v=spf1 mx redirect=_spf.sender.example.org").providers("a.jp"),
            ["example.org"]
        );
        // A sole provider: nothing but includes of it (and a redirect to it), no `+all`.
        let sole = |r: &str| ok(r).sole_provider("a.jp");
        assert_eq!(
            sole("v=spf1 include:_spf.google.com include:_netblocks.google.com ~all").as_deref(),
            Some("google.com")
        );
        assert_eq!(
            sole("v=spf1 redirect=_spf.sender.example.org").as_deref(),
            Some("example.org")
        );
        for r in [
            "v=spf1 include:_spf.google.com +all",
            "v=spf1 ip4:192.0.2.1 include:_spf.google.com -all",
            "v=spf1 include:_spf.google.com include:spf.protection.outlook.com -all",
            "v=spf1 include:_spf.a.jp include:_spf.google.com -all",
            "v=spf1 -include:_spf.google.com -all",
            "v=spf1 -all",
        ] {
            assert_eq!(sole(r), None, "{r}");
        }
    }
}

crate::codes! {
    /// A name's SPF in one word, as a survey tabulates it.
    pub enum SpfVerdict {
        /// Ends in `-all`.
        HardFail => "hard-fail",
        /// Ends in `~all`.
        SoftFail => "soft-fail",
        /// Ends in `?all`, or in no `all` at all (§4.7: the default result is neutral).
        Neutral => "neutral",
        /// Ends in `+all`: anyone may send.
        PassAll => "pass-all",
        /// Several records, a syntax error, a loop, or a broken include/redirect target:
        /// permerror.
        Invalid => "invalid",
        /// Over the 10 DNS-querying terms, the 2 void lookups or an `mx` target's 10 MX
        /// records of §4.6.4: permerror.
        LookupLimit => "lookup-limit",
        /// A lookup on the way failed.
        TempError => "temperror",
        Absent => "absent",
    }
}

impl SpfVerdict {
    /// The verdicts a name settles on: all but `temperror`, which says that a lookup on the
    /// way failed, so that tables count the name as unresolved.
    pub fn settled() -> impl Iterator<Item = SpfVerdict> {
        SpfVerdict::ALL
            .into_iter()
            .filter(|v| *v != SpfVerdict::TempError)
    }

    /// From the record's parse and its tree.
    pub fn of(parsed: Result<&SpfRecord, &SpfError>, tree: Option<&TreeCost>) -> SpfVerdict {
        match (parsed, tree.map(|t| t.verdict)) {
            (Err(SpfError::NoRecord), _) => SpfVerdict::Absent,
            (Err(_), _) => SpfVerdict::Invalid,
            (
                Ok(_),
                Some(TreeVerdict::LookupLimit | TreeVerdict::VoidLimit | TreeVerdict::MxLimit),
            ) => SpfVerdict::LookupLimit,
            (Ok(_), Some(TreeVerdict::Loop | TreeVerdict::BrokenTarget)) => SpfVerdict::Invalid,
            (Ok(_), Some(TreeVerdict::TempError)) => SpfVerdict::TempError,
            (Ok(r), _) => match tree.map_or(r.all(), |t| t.final_all) {
                Some(Qualifier::Fail) => SpfVerdict::HardFail,
                Some(Qualifier::SoftFail) => SpfVerdict::SoftFail,
                Some(Qualifier::Pass) => SpfVerdict::PassAll,
                Some(Qualifier::Neutral) | None => SpfVerdict::Neutral,
            },
        }
    }
}

crate::codes! {
    /// How an SPF record's include/redirect tree came out, evaluated without a sender address.
    pub enum TreeVerdict {
        Ok => "ok",
        /// More than 10 DNS-querying terms over the tree (§4.6.4): permerror.
        LookupLimit => "lookup-limit",
        /// More than 2 void lookups (§4.6.4): permerror.
        VoidLimit => "void-limit",
        /// An include or redirect leads back to a record already being evaluated.
        Loop => "loop",
        /// An include or redirect target without exactly one valid SPF record (§5.2, §6.1).
        BrokenTarget => "broken-target",
        /// A lookup on the way failed: temperror.
        TempError => "temperror",
        /// An `mx` target with more than 10 MX records (§4.6.4): permerror.
        MxLimit => "mx-limit",
    }
}

crate::codes! {
    /// How an SPF record lets in more than its own senders, as measurement research counts
    /// it (e.g. "Lazy Gatekeepers", IMC 2023).
    pub enum Permissive {
        /// Evaluation ends in `+all`: anyone passes.
        PassAll => "pass-all",
        /// Ends in `?all`: no verdict on anyone else.
        NeutralAll => "neutral-all",
        /// No `all` and no `redirect`: the default result is neutral (§4.7).
        NoAll => "no-all",
        /// A `ptr` mechanism (§5.5: "SHOULD NOT be used").
        Ptr => "ptr",
        /// A run of more than a /8 of IPv4 addresses passes.
        WideIp4 => "wide-ip4",
        /// More than 65,536 IPv4 addresses (a /16) pass.
        Over65536 => "over-65536",
        /// More than 16,777,216 IPv4 addresses (a /8) pass.
        Over16m => "over-16m",
    }
}

impl TreeCost {
    /// The ways the record is permissive; the address counts only where they are known.
    pub fn permissive(&self) -> Vec<Permissive> {
        let ipv4 = self.ipv4_addresses.unwrap_or(0);
        [
            (self.final_all == Some(Qualifier::Pass), Permissive::PassAll),
            (
                self.final_all == Some(Qualifier::Neutral),
                Permissive::NeutralAll,
            ),
            (self.final_all.is_none(), Permissive::NoAll),
            (self.ptr, Permissive::Ptr),
            (self.wide_ip4, Permissive::WideIp4),
            (ipv4 > 1 << 16, Permissive::Over65536),
            (ipv4 > 1 << 24, Permissive::Over16m),
        ]
        .into_iter()
        .filter_map(|(on, code)| on.then_some(code))
        .collect()
    }
}

/// The DNS cost of a record's tree: terms counted, the verdict, and what the tree lets in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeCost {
    pub dns_terms: u32,
    pub void_lookups: u32,
    pub verdict: TreeVerdict,
    /// The `all` that ends evaluation for a sender no mechanism matches: the record's own, or
    /// the one its `redirect=` chain reaches (§6.1).
    pub final_all: Option<Qualifier>,
    /// IPv4 addresses and IPv6 /64s for which the record's evaluation passes
    /// ([`space`]); `None` unless the tree came out `ok` with every target's
    /// addresses in hand.
    pub ipv4_addresses: Option<u64>,
    pub ipv6_64s: Option<u64>,
    /// A `ptr` mechanism is evaluated somewhere in the tree (§5.5: SHOULD NOT be used).
    pub ptr: bool,
    /// A run of more than [`WIDE_IP4`] IPv4 addresses passes.
    pub wide_ip4: bool,
}

/// Lookups made in one evaluation at most: each answers one DNS-querying term (an include or
/// redirect target's TXT, an `a`, `mx` or `exists` target's records), and past 10 terms the
/// answer is already permerror, so a hostile record can never cost more queries than this.
pub const MAX_TREE_LOOKUPS: u32 = 11;

/// What one DNS-querying term of a record asks.
enum Step<'a> {
    /// `include:` or `redirect=`: the target's SPF record.
    Record(&'a str),
    /// `a`, `mx`, `exists`: whether the target has records (`a` and `mx` without a target
    /// ask the domain the record belongs to).
    Host(&'a str, HostQuery),
}

/// The DNS-querying terms of `rec`, published at `here`, in evaluation order: the directives
/// up to `all`, then `redirect=` when there is no `all` (§6.1). `ptr` is not asked: it needs
/// the sender's address.
fn steps<'a>(rec: &'a SpfRecord, here: &'a str) -> Vec<Step<'a>> {
    let mut out: Vec<Step> = rec
        .evaluated()
        .filter_map(|d| match &d.mechanism {
            Mechanism::Include(t) => Some(Step::Record(t)),
            Mechanism::A { domain, .. } => {
                Some(Step::Host(domain.as_deref().unwrap_or(here), HostQuery::A))
            }
            Mechanism::Mx { domain, .. } => {
                Some(Step::Host(domain.as_deref().unwrap_or(here), HostQuery::Mx))
            }
            Mechanism::Exists(t) => Some(Step::Host(t, HostQuery::Exists)),
            _ => None,
        })
        .collect();
    out.extend(rec.applied_redirect().map(Step::Record));
    out
}

/// A record on the tree walk's stack: the name's own, or a target's as the run-wide cache
/// shares it.
enum Held<'a> {
    Root(&'a SpfRecord),
    Target(Arc<SpfRecord>),
}

impl Held<'_> {
    fn record(&self) -> &SpfRecord {
        match self {
            Held::Root(r) => r,
            Held::Target(r) => r,
        }
    }
}

/// A domain-spec with its macros expanded, where they need only `domain`, the domain whose
/// record is being evaluated: `%{d}` with its transformers (§7.3: the value split at the
/// delimiters, `.` by default, reversed with `r`, its rightmost DIGIT parts kept, joined with
/// `.`; an upper-case letter URL-escapes the value) and the escapes `%%`, `%_`, `%-`. `None`
/// where a macro needs the sender (`s`, `l`, `o`, `i`, `p`, `h`, `v`). An expansion over 253
/// octets loses labels from the left until it fits (§7.3).
fn expand_for_domain(spec: &str, domain: &str) -> Option<String> {
    let mut out = String::with_capacity(spec.len() + domain.len());
    let mut rest = spec;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        rest = match after.as_bytes().first()? {
            b'%' => (out.push('%'), &after[1..]).1,
            b'_' => (out.push(' '), &after[1..]).1,
            b'-' => (out.push_str("%20"), &after[1..]).1,
            b'{' => {
                let close = after.find('}')?;
                let mut body = after[1..close].chars();
                let letter = body.next()?;
                if !letter.eq_ignore_ascii_case(&'d') {
                    return None;
                }
                let t = body.as_str();
                let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                let keep = (digits > 0).then(|| t[..digits].parse().unwrap_or(usize::MAX));
                let (reverse, delimiters) = match t[digits..].strip_prefix(['r', 'R']) {
                    Some(d) => (true, d),
                    None => (false, &t[digits..]),
                };
                let delimiters = if delimiters.is_empty() {
                    "."
                } else {
                    delimiters
                };
                let mut parts: Vec<&str> = domain.split(|c| delimiters.contains(c)).collect();
                if reverse {
                    parts.reverse();
                }
                if let Some(n) = keep {
                    parts.drain(..parts.len().saturating_sub(n));
                }
                let value = parts.join(".");
                match letter.is_ascii_uppercase() {
                    true => value.bytes().for_each(|b| match b {
                        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                            out.push(char::from(b))
                        }
                        _ => out.push_str(&format!("%{b:02X}")),
                    }),
                    false => out.push_str(&value),
                }
                &after[close + 1..]
            }
            _ => return None,
        };
    }
    out.push_str(rest);
    while out.trim_end_matches('.').len() > 253 {
        let cut = out.find('.')?;
        out.drain(..=cut);
    }
    Some(out)
}

/// The name a term's domain-spec asks, for `domain`: its `%{d}` expanded
/// ([`expand_for_domain`]), lower-case, without a final dot; `None` where it needs a sender.
pub fn target_name(spec: &str, domain: &str) -> Option<String> {
    expand_for_domain(spec, domain).map(|t| t.trim_end_matches('.').to_ascii_lowercase())
}

/// Follow `include:` and `redirect=`, and look up the targets of `a`, `mx` and `exists`, from
/// `record`, published at `domain`, counting what §4.6.4 limits: 10 DNS-querying terms and 2
/// void lookups (an answer with no records, or NXDOMAIN). Targets whose macros need only the
/// domain (`%{d}`) are expanded; those that need a sender are skipped. At most
/// [`MAX_TREE_LOOKUPS`] lookups.
pub async fn tree_cost<S: PolicyDns>(domain: &str, record: &SpfRecord, src: &S) -> TreeCost {
    let domain = domain.to_ascii_lowercase();
    let mut walk = Walk {
        cost: TreeCost {
            dns_terms: 0,
            void_lookups: 0,
            verdict: TreeVerdict::Ok,
            final_all: record.all(),
            ipv4_addresses: None,
            ipv6_64s: None,
            ptr: false,
            wide_ip4: false,
        },
        pending_redirect: redirect_of(record, &domain),
        lookups: 0,
        fetched: Fetched::default(),
        stack: vec![(Held::Root(record), vec![domain.clone()])],
    };
    if let Some(stop) = walk.run(src).await {
        walk.cost.verdict = stop;
        return walk.cost;
    }
    let mut cost = walk.cost;
    if cost.verdict == TreeVerdict::Ok
        && let Some(space) = pass_space(record, &domain, &walk.fetched)
    {
        cost.ipv4_addresses = Some(space.ipv4_addresses());
        cost.ipv6_64s = Some(space.ipv6_64s());
        cost.wide_ip4 = space.v4.widest() > WIDE_IP4;
    }
    cost
}

/// The redirect `r`, published at `here`, applies, as the name it asks.
fn redirect_of(r: &SpfRecord, here: &str) -> Option<String> {
    target_name(r.applied_redirect()?, here)
}

/// The tree walk under way: what it has counted, what it fetched, and the records still to
/// visit (depth-first, each with the chain of names leading to it).
struct Walk<'r> {
    cost: TreeCost,
    /// The name whose record decides `final_all`: the redirect chain's next target.
    pending_redirect: Option<String>,
    lookups: u32,
    fetched: Fetched,
    stack: Vec<(Held<'r>, Vec<String>)>,
}

impl Walk<'_> {
    /// Visit every record; the verdict that stopped the walk early, if one did.
    async fn run<S: PolicyDns>(&mut self, src: &S) -> Option<TreeVerdict> {
        while let Some((held, chain)) = self.stack.pop() {
            let rec = held.record();
            self.cost.ptr |= rec
                .evaluated()
                .any(|d| matches!(d.mechanism, Mechanism::Ptr(_)));
            self.cost.dns_terms += rec.dns_terms() as u32;
            if self.cost.dns_terms > 10 {
                return Some(TreeVerdict::LookupLimit);
            }
            let here = chain.last().expect("the chain starts at the domain");
            for step in steps(rec, here) {
                let target = match step {
                    Step::Record(t) | Step::Host(t, _) => t,
                };
                let Some(t) = target_name(target, here) else {
                    continue;
                };
                if matches!(step, Step::Record(_)) && chain.contains(&t) {
                    return Some(TreeVerdict::Loop);
                }
                self.lookups += 1;
                if self.lookups > MAX_TREE_LOOKUPS {
                    return Some(TreeVerdict::LookupLimit);
                }
                let found = match step {
                    Step::Host(_, q) => self.host(t, q, src).await,
                    Step::Record(_) => self.record(t, &chain, src).await,
                };
                if let Some(stop) = self.count(found) {
                    return Some(stop);
                }
            }
        }
        None
    }

    /// An `a`, `mx` or `exists` target asked; the addresses of `a` and `mx` kept for the
    /// address space.
    async fn host<S: PolicyDns>(&mut self, t: String, q: HostQuery, src: &S) -> Presence {
        let found = src.host(&t, q).await;
        if let Presence::Found(Some(addrs)) = &found {
            match q {
                HostQuery::A => self.fetched.a.insert(t, Arc::clone(addrs)),
                HostQuery::Mx => self.fetched.mx.insert(t, Arc::clone(addrs)),
                HostQuery::Exists => None,
            };
        }
        found
    }

    /// An include or redirect target's record asked, and pushed to visit.
    async fn record<S: PolicyDns>(&mut self, t: String, chain: &[String], src: &S) -> Presence {
        match src.txt(&t).await {
            TxtLookup::Records(txts) => {
                match txts.spf() {
                    Ok(next) => {
                        if self.pending_redirect.as_deref() == Some(t.as_str()) {
                            self.cost.final_all = next.all();
                            self.pending_redirect = redirect_of(next.as_ref(), &t);
                        }
                        self.fetched.records.insert(t.clone(), Arc::clone(next));
                        let mut c = chain.to_vec();
                        c.push(t);
                        self.stack.push((Held::Target(Arc::clone(next)), c));
                    }
                    Err(_) => self.cost.verdict = TreeVerdict::BrokenTarget,
                }
                Presence::Found(None)
            }
            TxtLookup::Void => {
                // §5.2, §6.1: a target without a record is a permerror, and the lookup is
                // void besides.
                self.cost.verdict = TreeVerdict::BrokenTarget;
                Presence::Void
            }
            TxtLookup::Failed => Presence::Failed,
        }
    }

    /// What a lookup found, counted; the verdict that ends the walk, if it does.
    fn count(&mut self, found: Presence) -> Option<TreeVerdict> {
        match found {
            Presence::Found(_) => None,
            Presence::Void => {
                self.cost.void_lookups += 1;
                (self.cost.void_lookups > 2).then_some(TreeVerdict::VoidLimit)
            }
            Presence::Failed => Some(TreeVerdict::TempError),
            Presence::OverTenMx => Some(TreeVerdict::MxLimit),
        }
    }
}

/// A run of IPv4 addresses let pass wider than this (a /8) is `wide-ip4`.
pub const WIDE_IP4: u128 = 1 << 24;

#[cfg(test)]
mod tree_tests {
    use super::*;
    use crate::policy::fake::{Fake, rec};

    fn cost(record: &str, zone: Vec<(&str, TxtLookup)>) -> TreeCost {
        let src = Fake::new(zone);
        let r = parse(record).unwrap();
        futures::executor::block_on(tree_cost("example.jp", &r, &src))
    }

    #[test]
    fn counts_terms_over_the_tree() {
        let c = cost(
            "v=spf1 redirect=r.example",
            vec![
                ("r.example", rec("v=spf1 redirect=s.example")),
                ("s.example", rec("v=spf1 mx ~all")),
            ],
        );
        assert_eq!((c.dns_terms, c.final_all), (3, Some(Qualifier::SoftFail)));
        let root = parse("v=spf1 redirect=r.example").unwrap();
        assert_eq!(SpfVerdict::of(Ok(&root), Some(&c)), SpfVerdict::SoftFail);
        assert_eq!(
            SpfVerdict::of(Ok(&parse("v=spf1 mx").unwrap()), None),
            SpfVerdict::Neutral
        );
        assert_eq!(
            SpfVerdict::of(Err(&SpfError::NoRecord), None),
            SpfVerdict::Absent
        );
        assert_eq!(
            SpfVerdict::of(Err(&SpfError::MultipleRecords(2)), None),
            SpfVerdict::Invalid
        );
        let c = cost(
            "v=spf1 mx include:a.example -all",
            vec![
                ("a.example", rec("v=spf1 a include:b.example ~all")),
                ("b.example", rec("v=spf1 ip4:192.0.2.0/24 -all")),
            ],
        );
        assert_eq!((c.dns_terms, c.verdict), (4, TreeVerdict::Ok));
    }

    /// RFC 7208 §4.6.4: "SPF implementations SHOULD limit 'void lookups' to two. [...] If
    /// this limit is exceeded, the check_host() function MUST return 'permerror'." A void
    /// lookup is any of the DNS-querying terms' queries that returns no records: an `a`,
    /// `mx` or `exists` target as well as an include or redirect target.
    #[test]
    fn void_lookups_of_a_mx_and_exists_targets_count() {
        let host = |n: &'static str, q| (n, q, Presence::Found(None));
        let provider = ("_spf.provider.example", rec("v=spf1 ip4:192.0.2.0/24 -all"));
        let with = |record: &str, hosts| {
            let src = Fake::new(vec![provider.clone()]).with_hosts(hosts);
            let r = parse(record).unwrap();
            let c = futures::executor::block_on(tree_cost("example.jp", &r, &src));
            (c, SpfVerdict::of(Ok(&r), Some(&c)))
        };
        let limit = (3, TreeVerdict::VoidLimit, SpfVerdict::LookupLimit);
        for record in [
            "v=spf1 a:gone1.example a:gone2.example a:gone3.example -all",
            "v=spf1 mx:nomx1.example mx:nomx2.example mx:nomx3.example -all",
            "v=spf1 exists:x1.example exists:x2.example exists:x3.example -all",
        ] {
            let (c, v) = with(record, vec![]);
            assert_eq!((c.void_lookups, c.verdict, v), limit, "{record}");
        }
        // Two void lookups are allowed: with a valid include the record stands.
        let (c, v) = with(
            "v=spf1 a:gone1.example mx:nomx1.example include:_spf.provider.example -all",
            vec![],
        );
        assert_eq!(
            (c.void_lookups, c.verdict, v),
            (2, TreeVerdict::Ok, SpfVerdict::HardFail)
        );
        // `a` and `mx` without a target ask the record's own domain; targets that answer are
        // not void.
        let (c, _) = with(
            "v=spf1 a mx exists:up.example a:gone.example -all",
            vec![
                host("example.jp", HostQuery::A),
                host("example.jp", HostQuery::Mx),
                host("up.example", HostQuery::Exists),
            ],
        );
        assert_eq!((c.void_lookups, c.verdict), (1, TreeVerdict::Ok));
        // A failed lookup is a temperror, never void; a macro target is not asked.
        let src =
            Fake::new(vec![]).with_hosts(vec![("down.example", HostQuery::A, Presence::Failed)]);
        let r = parse("v=spf1 exists:%{i}.x.example a:down.example -all").unwrap();
        let c = futures::executor::block_on(tree_cost("example.jp", &r, &src));
        assert_eq!((c.void_lookups, c.verdict), (0, TreeVerdict::TempError));
        // An `mx` target of eleven MX hosts (the suite's `mx-limit`) is a permerror, which no
        // later term undoes.
        let (c, v) = with(
            "v=spf1 mx a:gone.example -all",
            vec![("example.jp", HostQuery::Mx, Presence::OverTenMx)],
        );
        assert_eq!(
            (c.verdict, v),
            (TreeVerdict::MxLimit, SpfVerdict::LookupLimit)
        );
    }

    /// RFC 7208 §7.4's examples of `%{d}` (the domain being evaluated is known without a
    /// sender); the sender's macros are not expanded.
    #[test]
    fn domain_macros_expand_as_section_7_shows() {
        let d = "email.example.com";
        for (spec, want) in [
            ("%{d}", "email.example.com"),
            ("%{d4}", "email.example.com"),
            ("%{d3}", "email.example.com"),
            ("%{d2}", "example.com"),
            ("%{d1}", "com"),
            ("%{dr}", "com.example.email"),
            ("%{d2r}", "example.email"),
            ("%{d}.x%%y%_z%-", "email.example.com.x%y z%20"),
            ("%{D}", "email.example.com"),
            ("_spf.%{d}.", "_spf.email.example.com."),
        ] {
            assert_eq!(expand_for_domain(spec, d).as_deref(), Some(want), "{spec}");
        }
        assert_eq!(
            expand_for_domain("%{l-r}.x", "a-b.c").as_deref(),
            None,
            "l needs the sender"
        );
        assert_eq!(
            expand_for_domain("%{dr-}", "a-b.c").as_deref(),
            Some("b.c.a")
        );
        for spec in ["%{i}.bl.example", "%{s}", "%{o}", "%{h}.x", "%{p}", "%{v}"] {
            assert_eq!(expand_for_domain(spec, d), None, "{spec}");
        }
        let long = format!("{}.example.com", ["abcdefghi"; 30].join("."));
        let cut = expand_for_domain("%{d}", &long).unwrap();
        assert!(cut.len() <= 253 && long.ends_with(&cut) && cut.starts_with("abc"));
        // An include whose expanded target publishes no SPF is a permerror (§5.2), as pyspf
        // reads the corpus's `include:%{d}.corpus-sim.jp`.
        let c = cost("v=spf1 include:%{d}.x.example -all", vec![]);
        assert_eq!(c.verdict, TreeVerdict::BrokenTarget);
        let c = cost(
            "v=spf1 include:%{d}.x.example -all",
            vec![("example.jp.x.example", rec("v=spf1 ip4:192.0.2.1 -all"))],
        );
        assert_eq!((c.verdict, c.dns_terms), (TreeVerdict::Ok, 1));
    }

    #[test]
    fn limits_loops_voids_and_failures_are_named() {
        let many: String = (0..11).map(|i| format!(" a:h{i}.example")).collect();
        let c = cost(&format!("v=spf1{many} -all"), vec![]);
        assert_eq!(c.verdict, TreeVerdict::LookupLimit);
        let c = cost(
            "v=spf1 include:a.example -all",
            vec![
                ("a.example", rec("v=spf1 include:b.example -all")),
                ("b.example", rec("v=spf1 include:a.example -all")),
            ],
        );
        assert_eq!(c.verdict, TreeVerdict::Loop);
        let c = cost(
            "v=spf1 include:x.example include:y.example include:z.example -all",
            vec![],
        );
        assert_eq!((c.void_lookups, c.verdict), (3, TreeVerdict::VoidLimit));
        let c = cost("v=spf1 include:gone.example -all", vec![]);
        assert_eq!(c.verdict, TreeVerdict::BrokenTarget);
        let c = cost(
            "v=spf1 redirect=t.example",
            vec![("t.example", TxtLookup::Failed)],
        );
        assert_eq!(c.verdict, TreeVerdict::TempError);
        // Fan-out: each level includes two more; the evaluation stops within its bounds.
        let names: Vec<String> = (0..65).map(|i| format!("n{i}.example")).collect();
        let zone = (0..32)
            .map(|i| {
                let r = format!(
                    "v=spf1 include:{} include:{} -all",
                    names[2 * i + 1],
                    names[2 * i + 2]
                );
                (names[i].as_str(), rec(&r))
            })
            .collect();
        let c = cost("v=spf1 include:n0.example -all", zone);
        assert_eq!(c.verdict, TreeVerdict::LookupLimit);
    }
}
