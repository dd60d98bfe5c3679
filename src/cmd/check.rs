//! `mailcensus check`: one domain's records and verdicts, for reading or as JSON.

use std::sync::Arc;
use std::time::Duration;

use mailcensus::crawl::{CrawlOptions, Crawler, NameResult};
use mailcensus::dns::{ClientOptions, DnsClient, Outcome, parse_server};
use mailcensus::policy::dmarc::{self, Standard};
use mailcensus::policy::spf;
use mailcensus::zone::{ZoneEntry, classify, normalize};
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
}

fn report(r: &NameResult) -> serde_json::Value {
    let spf = match spf::select(&r.txt.records).and_then(|t| spf::parse(t).map(|p| (t, p))) {
        Ok((text, rec)) => json!({
            "text": text,
            "summary": format!(
                "all={}, {} DNS-querying terms",
                rec.all().map_or("none", |q| q.code()),
                rec.dns_terms()
            ),
            "record": rec,
        }),
        Err(e) => json!({ "error": e.code(), "summary": e.to_string() }),
    };
    let dmarc_read = dmarc::read(&r.dmarc.records);
    let exists = r.mx.outcome != Outcome::NxDomain;
    let discovery = |std: Standard| {
        r.discovery(std).map(|d| {
            json!({
                "source": d.code(),
                "inherited_from": d.inherited_from(),
                "protection": d.protection(&dmarc_read, std, exists).map(|p| p.code()),
            })
        })
    };
    json!({
        "domain": r.name,
        "registered_domain": r.registered_domain,
        "jp_type": r.jp_type.code(),
        "prefecture": r.prefecture,
        "mx": { "outcome": r.mx.outcome.code(), "records": r.mx.records, "kind": r.mx_kind.map(|k| k.code()) },
        "txt": { "outcome": r.txt.outcome.code(), "records": r.txt.records },
        "spf": if r.txt.outcome.is_resolved() { spf } else { json!("unresolved") },
        "spf_verdict": r.spf_verdict.map(|v| v.code()),
        "spf_tree": r.spf_tree.map(|t| t.code()),
        "spf_dns_terms": r.spf_dns_terms,
        "dmarc": {
            "outcome": r.dmarc.outcome.code(),
            "records": r.dmarc.records,
            "parsed": dmarc_read.as_ref().ok(),
            "protection_rfc7489": r.has_dmarc.map(|_| dmarc::protection_of(&dmarc_read, Standard::Rfc7489).code()),
            "protection_rfc9989": r.has_dmarc.map(|_| dmarc::protection_of(&dmarc_read, Standard::Rfc9989).code()),
            "applies_rfc7489": discovery(Standard::Rfc7489),
            "applies_rfc9989": discovery(Standard::Rfc9989),
        },
    })
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
