//! One name's record as `mailcensus check` shows it: its lookups, what their records read
//! as, and the verdicts of its judgement, typed for JSON and written out for reading. The
//! records are parsed again only to show their terms and tags; every verdict is the
//! judgement's.

use std::fmt;

use serde::{Serialize, Serializer};

use super::{NameResult, Probe, RuaCheck};
use crate::dns::Outcome;
use crate::policy::MxKind;
use crate::policy::compliance::{Advice, Item, Verdict};
use crate::policy::dmarc::{
    self, DmarcRecord, ProblemKind, Protection, RuaVerdict, Source, Standard,
};
use crate::policy::mailhost::{Dane, Share};
use crate::policy::spf::{self, SpfRecord, SpfVerdict, TreeVerdict};
use crate::policy::tags::Published;
use crate::transport::{SmtpProbe, StsFetch};
use crate::zone::JpType;

/// A lookup's outcome and records.
#[derive(Serialize)]
pub struct Lookup<'a> {
    pub outcome: Outcome,
    pub records: &'a [String],
}

impl<'a> Lookup<'a> {
    fn of(p: &'a Probe) -> Lookup<'a> {
        Lookup {
            outcome: p.outcome,
            records: &p.records,
        }
    }
}

#[derive(Serialize)]
pub struct MxShown<'a> {
    pub outcome: Outcome,
    pub records: &'a [String],
    pub kind: Option<MxKind>,
}

/// The one SPF record read, or why there is none to read; `None` (shown `"unresolved"`)
/// where the TXT lookup failed.
#[derive(Serialize)]
#[serde(untagged)]
pub enum SpfShown<'a> {
    Record {
        text: &'a str,
        summary: String,
        record: Option<SpfRecord>,
    },
    Error {
        error: &'static str,
        summary: String,
    },
}

/// Where the DMARC policy that applies under one standard was found.
#[derive(Serialize)]
pub struct Applies<'a> {
    pub source: Source,
    pub inherited_from: Option<&'a str>,
    pub protection: Option<Protection>,
}

#[derive(Serialize)]
pub struct DmarcShown<'a> {
    pub outcome: Outcome,
    pub records: &'a [String],
    pub parsed: Option<DmarcRecord>,
    pub problems: &'a [ProblemKind],
    pub protection_rfc7489: Option<Protection>,
    pub protection_rfc9989: Option<Protection>,
    pub applies_rfc7489: Option<Applies<'a>>,
    pub applies_rfc9989: Option<Applies<'a>>,
}

/// An opt-in TXT lookup and what its records read as.
#[derive(Serialize)]
pub struct PublishedShown<'a, R> {
    pub outcome: Outcome,
    pub records: &'a [String],
    /// `valid`, `invalid`, `multiple`, `absent`, or `unresolved`.
    pub status: &'static str,
    pub parsed: Option<&'a R>,
    pub problem: Option<&'a str>,
}

impl<'a, R> PublishedShown<'a, R> {
    fn of(probe: &'a Option<Probe>, read: &'a Option<Published<R>>) -> Option<Self> {
        let p = probe.as_ref()?;
        let (status, parsed, problem) = match read {
            Some(Published::Valid(r)) => ("valid", Some(r), None),
            Some(Published::Invalid(why)) => ("invalid", None, Some(why.as_str())),
            Some(other) => (other.status().code(), None, None),
            None => ("unresolved", None, None),
        };
        Some(PublishedShown {
            outcome: p.outcome,
            records: &p.records,
            status,
            parsed,
            problem,
        })
    }
}

#[derive(Serialize)]
pub struct ReportsShown<'a> {
    pub verdict: Option<RuaVerdict>,
    pub destinations: &'a [RuaCheck],
}

#[derive(Serialize)]
pub struct DkimShown<'a> {
    pub outcome: Outcome,
    pub records: &'a [String],
    pub status: &'static str,
}

#[derive(Serialize)]
pub struct HostShown<'a> {
    pub host: &'a str,
    pub a: Option<Lookup<'a>>,
    pub aaaa: Option<Lookup<'a>>,
    pub tlsa: Option<Lookup<'a>>,
    pub tlsa_ad: Option<bool>,
    /// What the host said over SMTP (the starttls check).
    pub smtp: Option<&'a SmtpProbe>,
}

#[derive(Serialize)]
pub struct MxHostsShown<'a> {
    pub hosts: Vec<HostShown<'a>>,
    pub ipv6: Option<Share>,
    pub dangling: Option<bool>,
    pub dane: Option<Dane>,
    pub starttls: Option<Share>,
    pub tls: Option<Share>,
    pub cert_valid: Option<Share>,
}

/// The MTA-STS policy as fetched, and whether a sender enforces it.
#[derive(Serialize)]
pub struct StsPolicyShown<'a> {
    #[serde(flatten)]
    pub fetch: &'a StsFetch,
    pub enforced: Option<bool>,
}

#[derive(Serialize)]
pub struct NsShown<'a> {
    pub outcome: Outcome,
    pub hosts: &'a [String],
    pub operators: Option<&'a [String]>,
}

/// One item of the guideline: met (true), not (false), or not applicable or unknown (null).
#[derive(Serialize)]
pub struct ItemShown {
    pub ja: &'static str,
    pub en: &'static str,
    pub met: Option<bool>,
}

#[derive(Serialize)]
pub struct AdviceShown {
    pub code: Advice,
    pub ja: &'static str,
    pub en: &'static str,
}

/// The 2025 guideline's verdict and items, in its words.
#[derive(Serialize)]
#[serde(untagged)]
pub enum GuidelineShown {
    Assessed {
        verdict: Verdict,
        meets_requirements: bool,
        summary_ja: &'static str,
        summary_en: &'static str,
        dmarc_applied: Protection,
        items: Vec<ItemShown>,
        dkim_item: Option<Item>,
        advice: Vec<AdviceShown>,
    },
    /// A lookup the verdict needs failed.
    Unresolved {
        verdict: Option<Verdict>,
        summary: &'static str,
    },
}

/// One name as `check` shows it.
#[derive(Serialize)]
pub struct NameReport<'a> {
    pub domain: &'a str,
    pub registered_domain: &'a str,
    pub jp_type: JpType,
    pub prefecture: Option<u8>,
    pub mx: MxShown<'a>,
    pub txt: Lookup<'a>,
    #[serde(serialize_with = "unresolved_if_none")]
    pub spf: Option<SpfShown<'a>>,
    pub spf_verdict: Option<SpfVerdict>,
    pub spf_tree: Option<TreeVerdict>,
    pub spf_dns_terms: Option<u32>,
    pub spf_void_lookups: Option<u32>,
    pub dmarc: DmarcShown<'a>,
    pub bimi: Option<PublishedShown<'a, crate::policy::bimi::BimiRecord>>,
    pub mta_sts: Option<PublishedShown<'a, crate::policy::mta_sts::StsRecord>>,
    pub mta_sts_policy: Option<StsPolicyShown<'a>>,
    pub tls_rpt: Option<PublishedShown<'a, crate::policy::tls_rpt::TlsRptRecord>>,
    pub dmarc_reports: Option<ReportsShown<'a>>,
    pub dnssec: Option<&'static str>,
    pub dkim: Option<DkimShown<'a>>,
    pub mx_hosts: Option<MxHostsShown<'a>>,
    pub ns: Option<NsShown<'a>>,
    pub guideline_2025: GuidelineShown,
}

fn unresolved_if_none<S: Serializer>(v: &Option<SpfShown>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(shown) => shown.serialize(s),
        None => s.serialize_str("unresolved"),
    }
}

fn spf_shown(r: &NameResult) -> Option<SpfShown<'_>> {
    let j = &r.judgement;
    j.has_spf?;
    Some(match (&j.spf_error, j.spf_records.as_slice()) {
        (Some(e), _) => SpfShown::Error {
            error: e.code(),
            summary: e.to_string(),
        },
        (None, [text]) => {
            let record = spf::parse(text).ok();
            SpfShown::Record {
                text,
                summary: format!(
                    "all={}, {} DNS-querying terms",
                    j.spf_all.map_or("none", |q| q.code()),
                    record.as_ref().map_or(0, |r| r.dns_terms())
                ),
                record,
            }
        }
        (None, _) => SpfShown::Error {
            error: "no-record",
            summary: "no SPF record".to_string(),
        },
    })
}

fn guideline_shown(r: &NameResult) -> GuidelineShown {
    let Some(a) = &r.judgement.assessment else {
        return GuidelineShown::Unresolved {
            verdict: None,
            summary: "unresolved: a lookup the verdict needs failed",
        };
    };
    let (summary_ja, summary_en) = a.verdict.text();
    GuidelineShown::Assessed {
        verdict: a.verdict,
        meets_requirements: a.verdict.meets_requirements(),
        summary_ja,
        summary_en,
        dmarc_applied: a.dmarc,
        items: a
            .items()
            .into_iter()
            .map(|(item, met)| {
                let (ja, en) = item.text();
                ItemShown { ja, en, met }
            })
            .collect(),
        dkim_item: a.dkim,
        advice: a
            .advice
            .iter()
            .map(|&code| {
                let (ja, en) = code.text();
                AdviceShown { code, ja, en }
            })
            .collect(),
    }
}

impl<'a> NameReport<'a> {
    pub fn of(r: &'a NameResult) -> NameReport<'a> {
        let j = &r.judgement;
        let applies = |standard: Standard| {
            let protection = match standard {
                Standard::Rfc7489 => j.dmarc_effective_7489,
                Standard::Rfc9989 => j.dmarc_effective_9989,
            };
            r.discovery(standard).map(|d| Applies {
                source: d.source(),
                inherited_from: d.inherited_from(),
                protection,
            })
        };
        NameReport {
            domain: &r.name,
            registered_domain: &r.registered_domain,
            jp_type: r.jp_type,
            prefecture: r.prefecture,
            mx: MxShown {
                outcome: r.mx.outcome,
                records: &r.mx.records,
                kind: j.mx_kind,
            },
            txt: Lookup::of(&r.txt),
            spf: spf_shown(r),
            spf_verdict: j.spf_verdict,
            spf_tree: r.spf_tree.map(|t| t.verdict),
            spf_dns_terms: r.spf_tree.map(|t| t.dns_terms),
            spf_void_lookups: r.spf_tree.map(|t| t.void_lookups),
            dmarc: DmarcShown {
                outcome: r.dmarc.outcome,
                records: &r.dmarc.records,
                parsed: dmarc::read(&j.dmarc_records).ok(),
                problems: &j.dmarc_problems,
                protection_rfc7489: j.dmarc_protection,
                protection_rfc9989: j.dmarc_protection_9989,
                applies_rfc7489: applies(Standard::Rfc7489),
                applies_rfc9989: applies(Standard::Rfc9989),
            },
            bimi: PublishedShown::of(&r.bimi, &j.bimi),
            mta_sts: PublishedShown::of(&r.mta_sts, &j.mta_sts),
            tls_rpt: PublishedShown::of(&r.tls_rpt, &j.tls_rpt),
            dmarc_reports: r.rua_checks.as_deref().map(|destinations| ReportsShown {
                verdict: j.dmarc_rua_verified,
                destinations,
            }),
            dnssec: r
                .dnssec_checked
                .then(|| j.dnssec.map_or("unknown", |d| d.code())),
            dkim: r.dkim.as_ref().map(|p| DkimShown {
                outcome: p.outcome,
                records: &p.records,
                status: j.dkim.map_or("unknown", |d| d.code()),
            }),
            mx_hosts: r.mx_hosts.as_ref().map(|hosts| MxHostsShown {
                hosts: hosts
                    .iter()
                    .map(|h| HostShown {
                        host: &h.host,
                        a: h.a.as_ref().map(Lookup::of),
                        aaaa: h.aaaa.as_ref().map(Lookup::of),
                        tlsa: h.tlsa.as_ref().map(Lookup::of),
                        tlsa_ad: h.tlsa.as_ref().and_then(|p| p.authentic),
                        smtp: h.smtp.as_ref(),
                    })
                    .collect(),
                ipv6: j.mx_ipv6,
                dangling: j.mx_dangling,
                dane: j.dane,
                starttls: j.mx_starttls,
                tls: j.mx_tls,
                cert_valid: j.mx_cert_valid,
            }),
            mta_sts_policy: r.mta_sts_policy.as_ref().map(|fetch| StsPolicyShown {
                fetch,
                enforced: j.mta_sts_enforced,
            }),
            ns: r.ns.as_ref().map(|p| NsShown {
                outcome: p.outcome,
                hosts: &p.records,
                operators: j.dns_operators.as_deref(),
            }),
            guideline_2025: guideline_shown(r),
        }
    }
}

/// A value as the text form shows it: a code or text as is, a list or number as JSON, `-`
/// for none.
fn cell(v: impl Serialize) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Null) | Err(_) => "-".to_string(),
        Ok(x) => x.to_string(),
    }
}

impl NameReport<'_> {
    /// The opt-in checks' lines, each where its check ran.
    fn fmt_checks(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let published = [
            (
                "BIMI",
                self.bimi.as_ref().map(|p| (p.status, p.records, p.problem)),
            ),
            (
                "MTA-STS",
                self.mta_sts
                    .as_ref()
                    .map(|p| (p.status, p.records, p.problem)),
            ),
            (
                "TLS-RPT",
                self.tls_rpt
                    .as_ref()
                    .map(|p| (p.status, p.records, p.problem)),
            ),
        ];
        for (label, shown) in published {
            if let Some((status, records, problem)) = shown {
                let why = problem.map(|p| format!(" ({p})")).unwrap_or_default();
                writeln!(f, "  {label:<8}{status}  {}{why}", cell(records))?;
            }
        }
        if let Some(d) = &self.dmarc_reports {
            writeln!(
                f,
                "  Reports {}  (RFC 7489 §7.1 external destinations)",
                cell(d.verdict)
            )?;
        }
        if let Some(d) = self.dnssec {
            writeln!(f, "  DNSSEC {d}  (the resolver's AD bit)")?;
        }
        if let Some(ns) = &self.ns {
            writeln!(
                f,
                "  NS     {}  operators {}",
                cell(ns.hosts),
                cell(ns.operators)
            )?;
        }
        if let Some(d) = &self.dkim {
            writeln!(
                f,
                "  DKIM   {}  (`_domainkey`: {}; a lower bound)",
                d.status,
                cell(d.outcome)
            )?;
        }
        if let Some(p) = &self.mta_sts_policy {
            let policy = p.fetch.policy.as_ref();
            writeln!(
                f,
                "  MTA-STS policy {}  mode {}  max_age {}  mx match {}  enforced {}{}",
                p.fetch.outcome,
                cell(policy.map(|p| p.mode)),
                cell(policy.map(|p| p.max_age)),
                cell(p.fetch.mx_match),
                cell(p.enforced),
                p.fetch
                    .error
                    .as_ref()
                    .map_or(String::new(), |e| format!("  ({e})"))
            )?;
        }
        if let Some(m) = &self.mx_hosts {
            writeln!(
                f,
                "  Mail hosts  IPv6 {}  dangling {}  DANE {}  STARTTLS {}  TLS {}  valid certificate {}",
                cell(m.ipv6),
                cell(m.dangling),
                cell(m.dane),
                cell(m.starttls),
                cell(m.tls),
                cell(m.cert_valid)
            )?;
            let records =
                |l: &Option<Lookup>| l.as_ref().map_or("-".to_string(), |l| cell(l.records));
            for h in &m.hosts {
                writeln!(
                    f,
                    "    {}  A {}  AAAA {}  TLSA {} (AD {})",
                    h.host,
                    records(&h.a),
                    records(&h.aaaa),
                    records(&h.tlsa),
                    h.tlsa_ad.map_or("null".to_string(), |a| a.to_string())
                )?;
                if let Some(p) = h.smtp {
                    let tls = p.tls.as_ref();
                    writeln!(
                        f,
                        "      SMTP {}  {}  certificate {}  {} days left  DANE {}{}",
                        p.outcome,
                        tls.map_or("-".to_string(), |t| format!(
                            "{} {}",
                            cell(t.version),
                            t.cipher
                        )),
                        cell(tls.map(|t| t.cert)),
                        cell(tls.and_then(|t| t.days_left)),
                        cell(p.dane),
                        p.error
                            .as_ref()
                            .map_or(String::new(), |e| format!("  ({e})"))
                    )?;
                }
            }
        }
        Ok(())
    }

    fn fmt_guideline(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.guideline_2025 {
            GuidelineShown::Unresolved { summary, .. } => {
                writeln!(f, "  2025 guideline (6.2.2(1)-3): -  {summary}")
            }
            GuidelineShown::Assessed {
                verdict,
                summary_ja,
                items,
                advice,
                ..
            } => {
                writeln!(f, "  2025 guideline (6.2.2(1)-3): {verdict}  {summary_ja}")?;
                for i in items {
                    let mark = match i.met {
                        Some(true) => "✓",
                        Some(false) => "✗",
                        None => "-",
                    };
                    writeln!(f, "    {mark} {}", i.ja)?;
                }
                for a in advice {
                    writeln!(f, "    → {}", a.ja)?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for NameReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}  ({} {})",
            self.domain, self.jp_type, self.registered_domain
        )?;
        writeln!(f, "  MX     {}  {}", self.mx.outcome, cell(self.mx.records))?;
        let (text, summary) = match &self.spf {
            Some(SpfShown::Record { text, summary, .. }) => (*text, summary.as_str()),
            Some(SpfShown::Error { summary, .. }) => ("-", summary.as_str()),
            None => ("-", "unresolved"),
        };
        writeln!(f, "  SPF    {text}  {summary}")?;
        writeln!(
            f,
            "         verdict {}  tree {}  DNS-querying terms {}",
            cell(self.spf_verdict),
            cell(self.spf_tree),
            cell(self.spf_dns_terms)
        )?;
        let d = &self.dmarc;
        writeln!(
            f,
            "  DMARC  {}  {}  own record: RFC 7489 {}, RFC 9989 {}",
            d.outcome,
            cell(d.records),
            cell(d.protection_rfc7489),
            cell(d.protection_rfc9989)
        )?;
        for (standard, applies) in [
            ("RFC 7489", &d.applies_rfc7489),
            ("RFC 9989", &d.applies_rfc9989),
        ] {
            let (protection, source, from) = match applies {
                Some(a) => (cell(a.protection), cell(a.source), cell(a.inherited_from)),
                None => ("-".to_string(), "-".to_string(), "-".to_string()),
            };
            writeln!(
                f,
                "         applies ({standard}): {protection}  source {source}  from {from}"
            )?;
        }
        self.fmt_checks(f)?;
        self.fmt_guideline(f)
    }
}
