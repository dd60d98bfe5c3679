//! `mailcensus check`: one domain's records and verdicts, for reading or as JSON.

use std::sync::Arc;
use std::time::Duration;

use mailcensus::crawl::{Checks, CrawlOptions, Crawler, NameResult, Probe};
use mailcensus::dns::{ClientOptions, DnsClient, parse_server};
use mailcensus::policy::bimi::BimiStatus;
use mailcensus::policy::compliance::{Item, MailUse};
use mailcensus::policy::dmarc::{self, Protection, Standard};
use mailcensus::policy::judgement::Judgement;
use mailcensus::policy::spf;
use mailcensus::policy::tags::Published;
use mailcensus::zone::{ZoneEntry, classify, normalize};
use serde::Serialize;
use serde_json::json;

#[derive(clap::Args)]
pub struct Args {
    /// Domain names to check.
    #[arg(required = true)]
    domains: Vec<String>,
    /// Resolver to ask, ADDR[:PORT] (repeatable; default: the system's resolv.conf).
    #[arg(long = "resolver")]
    resolvers: Vec<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    #[arg(long, default_value_t = 2)]
    retries: u32,
    #[arg(long, default_value_t = 2000)]
    timeout_ms: u64,
    /// Lookups beyond MX, SPF and DMARC (see `survey --help`).
    #[arg(long, value_name = "LIST", default_value = "all")]
    checks: Checks,
}

/// An opt-in TXT lookup and what its records read as; null where the check did not run.
fn published<R: Serialize>(
    probe: &Option<Probe>,
    read: &Option<Published<R>>,
) -> serde_json::Value {
    let Some(p) = probe else {
        return serde_json::Value::Null;
    };
    let (status, parsed, problem) = match read {
        Some(Published::Valid(r)) => ("valid", json!(r), None),
        Some(Published::Invalid(why)) => ("invalid", json!(null), Some(why.clone())),
        Some(other) => (other.status().code(), json!(null), None),
        None => ("unresolved", json!(null), None),
    };
    json!({
        "outcome": p.outcome,
        "records": p.records,
        "status": status,
        "parsed": parsed,
        "problem": problem,
    })
}

/// The 2025 guideline's items for one name, each met (true), not (false) or not applicable
/// or unknown (null), in the guideline's words.
fn guideline(j: &Judgement) -> serde_json::Value {
    let Some(a) = &j.assessment else {
        return json!({ "verdict": null, "summary": "unresolved: a lookup the verdict needs failed" });
    };
    let applied = a.dmarc;
    let item = |ja: &str, en: &str, met: Option<bool>| json!({ "ja": ja, "en": en, "met": met });
    let (ja, en) = a.verdict.text();
    json!({
        "verdict": a.verdict,
        "meets_requirements": a.verdict.meets_requirements(),
        "summary_ja": ja,
        "summary_en": en,
        "dmarc_applied": applied,
        "items": [
            item("DMARCによる送信側の対策を行うこと", "DMARC published (own or Organizational Domain)",
                Some(applied != Protection::Absent && applied != Protection::Invalid)),
            item("DMARCポリシーを隔離(quarantine)又は拒否(reject)とすること(pct=100)",
                "DMARC policy quarantine or reject, applied to all mail",
                Some(matches!(applied, Protection::Quarantine | Protection::Reject))),
            item("電子メールを利用していないドメインについて、DMARCのポリシーを\"p=reject\"と設定する",
                "p=reject on a domain that sends no mail",
                (a.mail == MailUse::NoMail).then_some(applied == Protection::Reject)),
            item("BIMIの導入を検討するとよい", "BIMI considered",
                a.bimi.map(BimiStatus::has_logo)),
            item("SPF、DKIM及びDMARCを導入すること(DKIM公開鍵)",
                "DKIM keys published (SPF, DKIM and DMARC together)",
                a.dkim.and_then(|i| match i {
                    Item::Met => Some(true),
                    Item::NotMet => Some(false),
                    Item::Unknown | Item::NotApplicable => None,
                })),
        ],
        "dkim_item": a.dkim,
        "advice": a.advice.iter().map(|x| {
            let (ja, en) = x.text();
            json!({ "code": x, "ja": ja, "en": en })
        }).collect::<Vec<_>>(),
    })
}

/// One name's lookups and its judgement. The records are parsed again here only to show
/// their terms and tags; every verdict is the judgement's.
fn report(r: &NameResult) -> serde_json::Value {
    let j = &r.judgement;
    let spf = match (&j.spf_error, j.spf_records.as_slice()) {
        (Some(e), _) => json!({ "error": e.code(), "summary": e.to_string() }),
        (None, [text]) => {
            let rec = spf::parse(text).ok();
            json!({
                "text": text,
                "summary": format!(
                    "all={}, {} DNS-querying terms",
                    j.spf_all.map_or("none", |q| q.code()),
                    rec.as_ref().map_or(0, |r| r.dns_terms())
                ),
                "record": rec,
            })
        }
        (None, _) => json!({ "error": "no-record", "summary": "no SPF record" }),
    };
    let discovery = |std: Standard| {
        let effective = match std {
            Standard::Rfc7489 => j.dmarc_effective_7489,
            Standard::Rfc9989 => j.dmarc_effective_9989,
        };
        r.discovery(std).map(|d| {
            json!({
                "source": d.source(),
                "inherited_from": d.inherited_from(),
                "protection": effective,
            })
        })
    };
    json!({
        "domain": r.name,
        "registered_domain": r.registered_domain,
        "jp_type": r.jp_type,
        "prefecture": r.prefecture,
        "mx": { "outcome": r.mx.outcome, "records": r.mx.records, "kind": j.mx_kind },
        "txt": { "outcome": r.txt.outcome, "records": r.txt.records },
        "spf": if j.has_spf.is_some() { spf } else { json!("unresolved") },
        "spf_verdict": j.spf_verdict,
        "spf_tree": r.spf_tree.map(|t| t.verdict),
        "spf_dns_terms": r.spf_tree.map(|t| t.dns_terms),
        "spf_void_lookups": r.spf_tree.map(|t| t.void_lookups),
        "dmarc": {
            "outcome": r.dmarc.outcome,
            "records": r.dmarc.records,
            "parsed": dmarc::read(&j.dmarc_records).ok(),
            "problems": j.dmarc_problems,
            "protection_rfc7489": j.dmarc_protection,
            "protection_rfc9989": j.dmarc_protection_9989,
            "applies_rfc7489": discovery(Standard::Rfc7489),
            "applies_rfc9989": discovery(Standard::Rfc9989),
        },
        "bimi": published(&r.bimi, &j.bimi),
        "mta_sts": published(&r.mta_sts, &j.mta_sts),
        "tls_rpt": published(&r.tls_rpt, &j.tls_rpt),
        "dmarc_reports": r.rua_checks.as_ref().map(|cs| json!({
            "verdict": j.dmarc_rua_verified,
            "destinations": cs,
        })),
        "dnssec": r.dnssec_checked.then(|| j.dnssec.map_or("unknown", |d| d.code())),
        "dkim": r.dkim.as_ref().map(|p| json!({
            "outcome": p.outcome,
            "records": p.records,
            "status": j.dkim.map_or("unknown", |d| d.code()),
        })),
        "mx_hosts": r.mx_hosts.as_ref().map(|hs| json!({
            "hosts": hs.iter().map(|h| {
                let records = |p: &Option<Probe>| p.as_ref().map(|p| json!({
                    "outcome": p.outcome,
                    "records": p.records,
                }));
                json!({
                    "host": h.host,
                    "a": records(&h.a),
                    "aaaa": records(&h.aaaa),
                    "tlsa": records(&h.tlsa),
                    "tlsa_ad": h.tlsa.as_ref().and_then(|p| p.authentic),
                })
            }).collect::<Vec<_>>(),
            "ipv6": j.mx_ipv6,
            "dangling": j.mx_dangling,
            "dane": j.dane,
        })),
        "ns": r.ns.as_ref().map(|p| json!({
            "outcome": p.outcome,
            "hosts": p.records,
            "operators": j.dns_operators,
        })),
        "guideline_2025": guideline(j),
    })
}

/// The opt-in checks' lines, each where its check ran.
fn print_checks(v: &serde_json::Value, s: &dyn Fn(&str) -> String) {
    for (label, key) in [
        ("BIMI", "bimi"),
        ("MTA-STS", "mta_sts"),
        ("TLS-RPT", "tls_rpt"),
    ] {
        if !v[key].is_null() {
            let why = v[key]["problem"].as_str().map(|p| format!(" ({p})"));
            println!(
                "  {label:<8}{}  {}{}",
                s(&format!("/{key}/status")),
                s(&format!("/{key}/records")),
                why.unwrap_or_default()
            );
        }
    }
    if !v["dmarc_reports"].is_null() {
        println!(
            "  Reports {}  (RFC 7489 §7.1 external destinations)",
            s("/dmarc_reports/verdict")
        );
    }
    if !v["dnssec"].is_null() {
        println!("  DNSSEC {}  (the resolver's AD bit)", s("/dnssec"));
    }
    if !v["ns"].is_null() {
        println!(
            "  NS     {}  operators {}",
            s("/ns/hosts"),
            s("/ns/operators")
        );
    }
    if !v["dkim"].is_null() {
        println!(
            "  DKIM   {}  (`_domainkey`: {}; a lower bound)",
            s("/dkim/status"),
            s("/dkim/outcome")
        );
    }
    if !v["mx_hosts"].is_null() {
        println!(
            "  Mail hosts  IPv6 {}  dangling {}  DANE {}",
            s("/mx_hosts/ipv6"),
            s("/mx_hosts/dangling"),
            s("/mx_hosts/dane")
        );
        for h in v["mx_hosts"]["hosts"].as_array().into_iter().flatten() {
            let r = |k: &str| match &h[k]["records"] {
                serde_json::Value::Null => "-".to_string(),
                x => x.to_string(),
            };
            println!(
                "    {}  A {}  AAAA {}  TLSA {} (AD {})",
                h["host"].as_str().unwrap_or(""),
                r("a"),
                r("aaaa"),
                r("tlsa"),
                h["tlsa_ad"]
            );
        }
    }
}

fn print_text(v: &serde_json::Value) {
    let s = |p: &str| match v.pointer(p) {
        Some(serde_json::Value::String(x)) => x.clone(),
        Some(serde_json::Value::Null) | None => "-".to_string(),
        Some(x) => x.to_string(),
    };
    println!(
        "{}  ({} {})",
        v["domain"].as_str().unwrap_or(""),
        s("/jp_type"),
        s("/registered_domain")
    );
    println!("  MX     {}  {}", s("/mx/outcome"), s("/mx/records"));
    println!(
        "  SPF    {}  {}",
        v.pointer("/spf/text")
            .and_then(|t| t.as_str())
            .unwrap_or("-"),
        v.pointer("/spf/summary")
            .and_then(|t| t.as_str())
            .unwrap_or("unresolved")
    );
    println!(
        "         verdict {}  tree {}  DNS-querying terms {}",
        s("/spf_verdict"),
        s("/spf_tree"),
        s("/spf_dns_terms")
    );
    println!(
        "  DMARC  {}  {}  own record: RFC 7489 {}, RFC 9989 {}",
        s("/dmarc/outcome"),
        s("/dmarc/records"),
        s("/dmarc/protection_rfc7489"),
        s("/dmarc/protection_rfc9989")
    );
    for (std, key) in [
        ("RFC 7489", "applies_rfc7489"),
        ("RFC 9989", "applies_rfc9989"),
    ] {
        let d = |f: &str| s(&format!("/dmarc/{key}/{f}"));
        println!(
            "         applies ({std}): {}  source {}  from {}",
            d("protection"),
            d("source"),
            d("inherited_from")
        );
    }
    print_checks(v, &s);
    let g = &v["guideline_2025"];
    println!(
        "  2025 guideline (6.2.2(1)-3): {}  {}",
        s("/guideline_2025/verdict"),
        s("/guideline_2025/summary_ja")
    );
    let mark = |m: &serde_json::Value| match m.as_bool() {
        Some(true) => "✓",
        Some(false) => "✗",
        None => "-",
    };
    for item in g["items"].as_array().into_iter().flatten() {
        println!(
            "    {} {}",
            mark(&item["met"]),
            item["ja"].as_str().unwrap_or("")
        );
    }
    for a in g["advice"].as_array().into_iter().flatten() {
        println!("    → {}", a["ja"].as_str().unwrap_or(""));
    }
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let resolvers = a
        .resolvers
        .iter()
        .map(|r| parse_server(r))
        .collect::<Result<Vec<_>, _>>()?;
    let opts = ClientOptions {
        timeout: Duration::from_millis(a.timeout_ms),
        recursion_desired: true,
    };
    let reports = super::runtime()?.block_on(async {
        let client = DnsClient::new(&resolvers, &opts).await?;
        let crawler = Arc::new(Crawler::new(
            client,
            CrawlOptions {
                retries: a.retries,
                checks: a.checks.clone(),
                ..CrawlOptions::default()
            },
        ));
        let mut out = Vec::new();
        for d in &a.domains {
            let name = normalize(d)
                .map_err(|e| anyhow::anyhow!("{d:?} is not a usable domain name ({e})"))?;
            let entry = ZoneEntry {
                line: 0,
                input: d.clone(),
                class: classify(&name),
                name,
                extra: Vec::new(),
            };
            out.push(report(&crawler.crawl_one(entry).await));
        }
        anyhow::Ok(out)
    })?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        reports.iter().for_each(print_text);
    }
    Ok(())
}
