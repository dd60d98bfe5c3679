//! The policy agreement corpus (tests/data/policy-corpus.jsonl) served by the embedded server
//! and crawled over loopback: every entry's verdicts equal the ones it records, which were
//! checked against checkdmarc by `scripts/checkdmarc-agreement` (disagreements explained in
//! that script's notes and issue 7).

use crate::common;

use std::time::Duration;

use mailcensus::crawl::{CrawlOptions, Crawler};
use mailcensus::dns::{ClientOptions, DnsClient};
use mailcensus::policy::dmarc::{Protection, Standard};
use mailcensus::sim::{Corpus, Population, TypeSpec};
use mailcensus::zone::{ZoneEntry, classify, normalize};
use serde::Deserialize;

const CORPUS: &str = include_str!("../data/policy-corpus.jsonl");

#[derive(Deserialize)]
struct Line {
    name: String,
    case: String,
    expect: Expect,
}

#[derive(Deserialize, Debug, PartialEq)]
struct Expect {
    mx: String,
    spf: Option<String>,
    dmarc_7489: Option<String>,
    dmarc_9989: Option<String>,
    dmarc_source_9989: Option<String>,
}

#[test]
fn every_corpus_entry_gets_its_recorded_verdicts() {
    let lines: Vec<Line> = CORPUS
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let records: usize = CORPUS
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            ["txt", "dmarc"]
                .iter()
                .map(|k| v[k].as_array().map_or(0, Vec::len))
                .sum::<usize>()
        })
        .sum();
    assert!(records >= 300, "the corpus keeps at least 300 records");
    let pop = Population::new(1, Some(&TypeSpec::jp_2018().scaled(10_000)), None)
        .unwrap()
        .with_corpus(Corpus::parse(CORPUS).unwrap());
    let rt = common::runtime();
    let server = common::serve(&rt, pop);
    let opts = ClientOptions {
        timeout: Duration::from_millis(500),
        recursion_desired: false,
    };
    let client = rt
        .block_on(DnsClient::new(&[server.addr()], &opts))
        .unwrap();
    let crawler = Crawler::new(client, CrawlOptions::default());
    let mut wrong = Vec::new();
    for line in &lines {
        let name = normalize(&line.name).unwrap();
        let entry = ZoneEntry {
            line: 0,
            input: line.name.clone(),
            class: classify(&name),
            name,
            extra: Vec::new(),
        };
        let r = rt.block_on(crawler.crawl_one(entry));
        assert!(r.is_resolved(), "{}", line.name);
        let j = &r.judgement;
        let code = |p: Option<Protection>| p.map(|p| p.code().to_string());
        let got = Expect {
            mx: r
                .judgement
                .mx_kind
                .map(|k| k.code())
                .unwrap_or("-")
                .to_string(),
            spf: r.judgement.spf_verdict.map(|v| v.code().to_string()),
            dmarc_7489: code(j.dmarc_effective_7489),
            dmarc_9989: code(j.dmarc_effective_9989),
            dmarc_source_9989: r
                .discovery(Standard::Rfc9989)
                .map(|d| d.source().to_string()),
        };
        if got != line.expect {
            wrong.push(format!(
                "{} ({}): got {got:?}, want {:?}",
                line.name, line.case, line.expect
            ));
        }
    }
    rt.block_on(server.shutdown());
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
