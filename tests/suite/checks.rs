//! The opt-in checks over the embedded server: each record's reading (valid, invalid, absent,
//! several), report-destination verification, NS operators, the AD bit, and every verdict of
//! the 2025 guideline, from named records served beside a population; then a survey of the
//! simulated population in which every verdict and status appears in the tables.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use mailcensus::crawl::{Checks, CrawlOptions, Crawler, NameResult};
use mailcensus::dns::{ClientOptions, DnsClient};
use mailcensus::policy::bimi::BimiStatus;
use mailcensus::policy::compliance::{Advice, Item, Verdict};
use mailcensus::policy::dmarc::RuaVerdict;
use mailcensus::sim::{Corpus, Faults, Population, SimServer, TypeSpec};
use mailcensus::tabulate::{self, Lang};
use mailcensus::zone::{ZoneEntry, classify, normalize};
use serde_json::json;

/// One named domain: MX, apex TXT, `_dmarc` TXT, and TXT at other owners.
fn entry(name: &str, mx: &[&str], txt: &[&str], dmarc: &[&str], at: &[(&str, &[&str])]) -> String {
    let strings = |xs: &[&str]| xs.iter().map(|x| vec![x.to_string()]).collect::<Vec<_>>();
    let at: serde_json::Map<String, serde_json::Value> = at
        .iter()
        .map(|(owner, txts)| (format!("{owner}.{name}"), json!(strings(txts))))
        .collect();
    json!({ "name": name, "mx": mx, "txt": strings(txt), "dmarc": strings(dmarc), "at": at })
        .to_string()
}

const MX: &[&str] = &["10 mx.example.net."];
const SOUMU: &str = "v=DMARC1; p=quarantine; sp=quarantine; pct=100;adkim=r;aspf=r; rua=mailto:rua-report@soumu.go.jp; ruf=mailto:ruf-report@soumu.go.jp";
/// A DKIM key at a selector: `_domainkey` above it is an empty non-terminal.
const DKIM: (&str, &[&str]) = (
    "s1._domainkey",
    &["v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="],
);
const LOGO: &str = "v=BIMI1; l=https://www.example.jp/logo.svg; a=https://www.example.jp/vmc.pem";

fn corpus() -> String {
    let reject = &["v=DMARC1; p=reject"][..];
    let spf = &["v=spf1 mx -all"][..];
    let mut lines = vec![
        // The seed-004 record of soumu.go.jp, with BIMI as the ministry since November 2025.
        entry(
            "soumu.go.jp",
            MX,
            spf,
            &[SOUMU],
            &[("default._bimi", &[LOGO]), DKIM],
        ),
        entry(
            "reject-bimi.jp",
            MX,
            spf,
            reject,
            &[("default._bimi", &[LOGO]), DKIM],
        ),
        entry("reject-only.jp", MX, spf, reject, &[]),
        entry("nomail-reject.jp", &["0 ."], &["v=spf1 -all"], reject, &[]),
        entry(
            "nomail-quarantine.jp",
            &[],
            &["v=spf1 -all"],
            &["v=DMARC1; p=quarantine"],
            &[],
        ),
        entry(
            "weak.jp",
            MX,
            spf,
            &["v=DMARC1; p=none"],
            &[("default._bimi", &[LOGO])],
        ),
        entry("reduced.jp", MX, spf, &["v=DMARC1; p=reject; pct=50"], &[]),
        entry(
            "two-dmarc.jp",
            MX,
            spf,
            &["v=DMARC1; p=reject", "v=DMARC1; p=none"],
            &[],
        ),
        entry("no-dmarc.jp", MX, spf, &[], &[]),
        // BIMI, MTA-STS and TLS-RPT: valid, invalid, several.
        entry(
            "bimi-self.jp",
            MX,
            spf,
            reject,
            &[(
                "default._bimi",
                &["v=BIMI1; l=https://x.test/l.svg; a=self"],
            )],
        ),
        entry(
            "bimi-declined.jp",
            MX,
            spf,
            reject,
            &[("default._bimi", &["v=BIMI1; l=; a=;"])],
        ),
        entry(
            "bimi-invalid.jp",
            MX,
            spf,
            reject,
            &[("default._bimi", &["v=BIMI1; l=http://x.test/l.svg"])],
        ),
        entry(
            "bimi-several.jp",
            MX,
            spf,
            reject,
            &[("default._bimi", &[LOGO, "v=BIMI1; l=;"])],
        ),
        entry(
            "sts.jp",
            MX,
            spf,
            reject,
            &[
                ("_mta-sts", &["v=STSv1; id=20251101T000000;"]),
                ("_smtp._tls", &["v=TLSRPTv1; rua=mailto:tls@sts.jp"]),
            ],
        ),
        entry(
            "sts-invalid.jp",
            MX,
            spf,
            reject,
            &[
                ("_mta-sts", &["v=STSv1; id=2025-11-01"]),
                ("_smtp._tls", &["v=TLSRPTv1;"]),
            ],
        ),
        entry(
            "sts-several.jp",
            MX,
            spf,
            reject,
            &[
                ("_mta-sts", &["v=STSv1; id=1", "v=STSv1; id=2"]),
                (
                    "_smtp._tls",
                    &[
                        "v=TLSRPTv1; rua=mailto:a@x.jp",
                        "v=TLSRPTv1; rua=mailto:b@x.jp",
                    ],
                ),
            ],
        ),
        // External report destinations: one authorizes (RFC 7489 §7.1), one does not.
        entry(
            "rua-ok.jp",
            MX,
            spf,
            &["v=DMARC1; p=none; rua=mailto:agg@vendor-sim.net"],
            &[],
        ),
        entry(
            "rua-bad.jp",
            MX,
            spf,
            &["v=DMARC1; p=none; rua=mailto:agg@vendor-sim.net,mailto:x@sink-sim.net"],
            &[],
        ),
        entry("unresolved.jp", MX, spf, reject, &[]),
        entry("mof.go.jp", MX, spf, &["v=DMARC1; p=none"], &[]),
    ];
    lines.push(
        json!({ "name": "vendor-sim.net", "at": {
            "rua-ok.jp._report._dmarc.vendor-sim.net": [["v=DMARC1"]],
            "rua-bad.jp._report._dmarc.vendor-sim.net": [["v=DMARC1"]],
        }})
        .to_string(),
    );
    lines.join("\n")
}

/// Crawl `names` with every check through the embedded server serving the corpus, with
/// every query about `unresolved.jp`'s DMARC dropped.
fn crawl(names: &[&str]) -> Vec<NameResult> {
    let pop = Population::new(1, Some(&TypeSpec::jp_2018().scaled(10_000)), None)
        .unwrap()
        .with_corpus(Corpus::parse(&corpus()).unwrap());
    let rt = common::runtime();
    rt.block_on(async {
        let faults: Faults = "name:_dmarc.unresolved.jp=drop".parse().unwrap();
        let server = SimServer::start(Arc::new(pop), faults, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let opts = ClientOptions {
            timeout: Duration::from_millis(300),
            recursion_desired: false,
        };
        let client = DnsClient::new(&[server.addr()], &opts).await.unwrap();
        let crawler = Crawler::new(
            client,
            CrawlOptions {
                retries: 1,
                backoff_ms: 10,
                checks: Checks::all(),
                ..CrawlOptions::default()
            },
        );
        let mut out = Vec::new();
        for n in names {
            let name = normalize(n).unwrap();
            let e = ZoneEntry {
                line: 0,
                input: n.to_string(),
                class: classify(&name),
                name,
                extra: Vec::new(),
            };
            out.push(crawler.crawl_one(e).await);
        }
        server.shutdown().await;
        out
    })
}

fn verdict(r: &NameResult) -> Option<Verdict> {
    r.judgement.compliance()
}

#[test]
fn every_guideline_verdict_over_the_embedded_server() {
    let names = [
        "soumu.go.jp",
        "reject-bimi.jp",
        "reject-only.jp",
        "nomail-reject.jp",
        "nomail-quarantine.jp",
        "weak.jp",
        "reduced.jp",
        "two-dmarc.jp",
        "no-dmarc.jp",
        "unresolved.jp",
    ];
    let rs = crawl(&names);
    let got: Vec<Option<Verdict>> = rs.iter().map(verdict).collect();
    assert_eq!(
        got,
        vec![
            Some(Verdict::CompliantWithAdvice),
            Some(Verdict::Compliant),
            Some(Verdict::CompliantWithAdvice),
            Some(Verdict::Compliant),
            Some(Verdict::NoMailNotReject),
            Some(Verdict::WeakPolicy),
            Some(Verdict::WeakPolicy),
            Some(Verdict::DmarcInvalid),
            Some(Verdict::NoDmarc),
            // A dropped `_dmarc` query is unknown, never "no DMARC".
            None,
        ]
    );
    assert_eq!(
        rs[0].judgement.assessment.clone().unwrap().advice,
        vec![Advice::MoveToReject]
    );
    // No DKIM key under `_domainkey` (NXDOMAIN): the DKIM item is not met.
    assert_eq!(
        rs[2].judgement.assessment.clone().unwrap().advice,
        vec![Advice::ConsiderBimi, Advice::PublishDkim]
    );
    let dkim: Vec<Option<Item>> = rs
        .iter()
        .map(|r| r.judgement.assessment.as_ref().and_then(|a| a.dkim))
        .collect();
    assert_eq!(
        dkim[..5],
        [
            Some(Item::Met),
            Some(Item::Met),
            Some(Item::NotMet),
            Some(Item::NotApplicable),
            Some(Item::NotApplicable)
        ]
    );
    assert_eq!(
        rs[5].judgement.assessment.clone().unwrap().advice,
        vec![
            Advice::SetQuarantineOrReject,
            Advice::BimiNeedsEnforcement,
            Advice::PublishDkim
        ]
    );
    assert!(!rs[9].is_resolved());
}

#[test]
fn each_record_valid_invalid_absent_several() {
    let rs = crawl(&[
        "reject-bimi.jp",
        "bimi-self.jp",
        "bimi-declined.jp",
        "bimi-invalid.jp",
        "bimi-several.jp",
        "reject-only.jp",
        "sts.jp",
        "sts-invalid.jp",
        "sts-several.jp",
    ]);
    let bimi: Vec<BimiStatus> = rs[..6]
        .iter()
        .map(|r| r.judgement.bimi_status.unwrap())
        .collect();
    assert_eq!(
        bimi,
        vec![
            BimiStatus::LogoWithEvidence,
            BimiStatus::Logo,
            BimiStatus::Declined,
            BimiStatus::Invalid,
            BimiStatus::Multiple,
            BimiStatus::Absent,
        ]
    );
    let code = |p: Option<&str>| p.map(str::to_string);
    let sts: Vec<_> = rs[5..]
        .iter()
        .map(|r| code(r.judgement.mta_sts.as_ref().map(|p| p.status().code())))
        .collect();
    let rpt: Vec<_> = rs[5..]
        .iter()
        .map(|r| code(r.judgement.tls_rpt.as_ref().map(|p| p.status().code())))
        .collect();
    let expect: Vec<_> = ["absent", "valid", "invalid", "multiple"]
        .iter()
        .map(|c| Some(c.to_string()))
        .collect();
    assert_eq!(sts, expect);
    assert_eq!(rpt, expect);
    assert_eq!(
        rs[6]
            .judgement
            .mta_sts
            .as_ref()
            .unwrap()
            .valid()
            .unwrap()
            .id,
        "20251101T000000"
    );
}

#[test]
fn external_report_destinations_are_verified() {
    let rs = crawl(&["rua-ok.jp", "rua-bad.jp", "reject-only.jp", "no-dmarc.jp"]);
    assert_eq!(
        rs[0].judgement.dmarc_rua_verified,
        Some(RuaVerdict::Authorized)
    );
    assert_eq!(
        rs[1].judgement.dmarc_rua_verified,
        Some(RuaVerdict::Unauthorized)
    );
    let bad = rs[1].rua_checks.as_ref().unwrap();
    assert_eq!(
        bad.iter()
            .map(|c| (c.host.as_str(), c.authorized))
            .collect::<Vec<_>>(),
        vec![
            ("vendor-sim.net", Some(true)),
            ("sink-sim.net", Some(false))
        ]
    );
    assert_eq!(
        rs[2].judgement.dmarc_rua_verified,
        Some(RuaVerdict::NoneOutside)
    );
    // No DMARC record, no destinations: not checked.
    assert_eq!(rs[3].judgement.dmarc_rua_verified, None);
}

#[test]
fn a_survey_with_every_check_shows_every_verdict_and_status() {
    let pop = Population::new(2018, Some(&TypeSpec::jp_2018().scaled(100)), None).unwrap();
    let (_dir, out, manifest) = common::serve_and_survey(pop, Faults::default(), |c| {
        c.crawl.checks = Checks::all();
    });
    assert_eq!(manifest.unresolved_names, 0);
    let tables = tabulate::tables(out.join("results.parquet"), Lang::En).unwrap();
    let find = |n: &str| tables.iter().find(|t| t.name == n).unwrap();
    // The all-.jp row of the verdict table: every verdict counted, none unresolved.
    let compliance = find("compliance");
    let all = compliance.rows.iter().find(|r| r[0] == "ALL").unwrap();
    let counts: Vec<u64> = all[2..2 + Verdict::ALL.len() + 1]
        .iter()
        .map(|c| c.parse().unwrap())
        .collect();
    assert!(
        counts[..Verdict::ALL.len()].iter().all(|&n| n > 0),
        "{:?}",
        compliance.headers.iter().zip(all).collect::<Vec<_>>()
    );
    assert_eq!(counts[Verdict::ALL.len()], 0);
    let df = tabulate::Results::open(out.join("results.parquet"))
        .unwrap()
        .frame()
        .collect()
        .unwrap();
    let statuses = |c: &str| {
        let mut v: Vec<String> = (0..df.height())
            .filter_map(|i| common::str_at(&df, c, i))
            .collect();
        v.sort();
        v.dedup();
        v
    };
    assert_eq!(
        statuses("bimi"),
        [
            "absent",
            "declined",
            "invalid",
            "logo",
            "logo-evidence",
            "multiple"
        ]
    );
    assert_eq!(
        statuses("mta_sts"),
        ["absent", "invalid", "multiple", "valid"]
    );
    assert_eq!(statuses("tls_rpt"), ["absent", "invalid", "valid"]);
    assert_eq!(statuses("dnssec"), ["insecure", "secure"]);
    assert_eq!(
        statuses("dmarc_rua_verified"),
        ["authorized", "none-outside", "unauthorized"]
    );
    let operators = find("dns_operators");
    let labels: Vec<&str> = operators.rows.iter().map(|r| r[0].as_str()).collect();
    for op in [
        "sim-dns-a.jp",
        "sim-dns-b.ne.jp",
        "sim-cloud-dns.net",
        "(self-hosted)",
    ] {
        assert!(labels.contains(&op), "{labels:?}");
    }
    // The operator the names with DMARC favour shows the highest DMARC rate.
    let dmarc_pct = |op: &str| -> f64 {
        let row = operators.rows.iter().find(|r| r[0] == op).unwrap();
        let i = operators
            .headers
            .iter()
            .position(|h| h == "dmarc_of_mx_pct")
            .unwrap();
        row[i].parse().unwrap()
    };
    assert!(dmarc_pct("sim-cloud-dns.net") > dmarc_pct("sim-dns-b.ne.jp"));
    assert!(find("checks").rows.len() >= 12);
    assert_eq!(find("compliance_government").rows.len(), 5);
    // The report shows the guideline's section, its chart and its prefecture tiles.
    let html = out.join("checks.html");
    common::mailcensus([
        "report",
        out.to_str().unwrap(),
        "--lang",
        "en",
        "--out",
        html.to_str().unwrap(),
    ]);
    let page = std::fs::read_to_string(html).unwrap();
    assert!(page.contains("id=\"guideline\""));
    assert!(page.contains("Local governments meeting the 2025 guideline by prefecture"));
    assert!(page.contains("Verdicts against the 2025 guideline by type"));
}

#[test]
fn check_reads_the_seed_004_record_as_compliant_but_for_reject() {
    let pop = Population::new(1, Some(&TypeSpec::jp_2018().scaled(10_000)), None)
        .unwrap()
        .with_corpus(Corpus::parse(&corpus()).unwrap());
    let rt = common::runtime();
    let server = common::serve(&rt, pop);
    let addr = server.addr().to_string();
    let stdout = common::mailcensus(["check", "--json", "--resolver", &addr, "soumu.go.jp"]);
    let v: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    let g = &v[0]["guideline_2025"];
    assert_eq!(g["verdict"], "compliant-advice");
    assert_eq!(g["meets_requirements"], true);
    let met: Vec<serde_json::Value> = g["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["met"].clone())
        .collect();
    // DMARC, quarantine or reject, (no-mail rule not applicable), BIMI, DKIM.
    assert_eq!(
        met,
        vec![
            json!(true),
            json!(true),
            json!(null),
            json!(true),
            json!(true)
        ]
    );
    assert_eq!(
        v[0]["mx"]["kind"], "hosts",
        "the apex answers beside the records below it"
    );
    assert_eq!(v[0]["dkim"]["status"], "present");
    assert_eq!(v[0]["dkim"]["outcome"], "nodata");
    let advice = g["advice"].as_array().unwrap();
    assert_eq!(advice.len(), 1);
    assert_eq!(advice[0]["code"], "move-to-reject");
    assert!(advice[0]["ja"].as_str().unwrap().contains("reject"));
    let text = String::from_utf8(common::mailcensus([
        "check",
        "--resolver",
        &addr,
        "soumu.go.jp",
    ]))
    .unwrap();
    assert!(
        text.contains("2025 guideline (6.2.2(1)-3): compliant-advice"),
        "{text}"
    );
    assert!(
        text.contains("✓ DMARCポリシーを隔離(quarantine)又は拒否(reject)とすること"),
        "{text}"
    );
    rt.block_on(server.shutdown());
}

#[test]
fn runs_from_before_the_checks_still_tabulate_and_report() {
    use polars::prelude::{ParquetWriter, PlSmallStr};
    let pop = Population::new(3, Some(&TypeSpec::jp_2018().scaled(1000)), None).unwrap();
    let (_dir, out, _) = common::serve_and_survey(pop, Faults::default(), |_| {});
    let path = out.join("results.parquet");
    // The columns of results schema 4 (the checks) and later, dropped: the results as an
    // older run wrote them.
    let added: Vec<&str> = mailcensus::run::schema::columns()
        .filter(|c| c.since >= 4)
        .map(|c| c.name)
        .collect();
    let df = tabulate::Results::open(&path)
        .unwrap()
        .frame()
        .collect()
        .unwrap();
    let mut old = df.drop_many(added.iter().map(|c| PlSmallStr::from(*c)));
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut old)
        .unwrap();
    let tables = tabulate::tables(&path, Lang::En).unwrap();
    assert_eq!(tables.len(), 9);
    assert!(tables.iter().all(|t| !t.name.starts_with("compliance")));
    let html = out.join("old.html");
    common::mailcensus([
        "report",
        out.to_str().unwrap(),
        "--out",
        html.to_str().unwrap(),
    ]);
    let page = std::fs::read_to_string(html).unwrap();
    assert!(page.contains("id=\"dmarc\"") && !page.contains("id=\"guideline\""));
}

#[test]
fn the_government_table_counts_the_central_government_apart() {
    let pop = Population::new(1, Some(&TypeSpec::jp_2018().scaled(10_000)), None)
        .unwrap()
        .with_corpus(Corpus::parse(&corpus()).unwrap());
    let dir = common::tempdir().unwrap();
    let list = dir.path().join("list.csv");
    std::fs::write(&list, "domain\nsoumu.go.jp\nmof.go.jp\nreject-only.jp\n").unwrap();
    let out = dir.path().join("run");
    let rt = common::runtime();
    let server = common::serve(&rt, pop);
    let mut cfg = common::config(&list, &out, server.addr());
    cfg.crawl.checks = Checks::all();
    rt.block_on(mailcensus::survey::survey(
        &cfg,
        &mut mailcensus::survey::Quiet,
    ))
    .unwrap();
    rt.block_on(server.shutdown());
    let tables = tabulate::tables(out.join("results.parquet"), Lang::En).unwrap();
    let gov = tables
        .iter()
        .find(|t| t.name == "compliance_government")
        .unwrap();
    let cell = |row: usize, header: &str| {
        let i = gov.headers.iter().position(|h| h == header).unwrap();
        gov.rows[row][i].clone()
    };
    // go.jp: both bodies; of which central government: both; soumu.go.jp alone meets it.
    for row in [0, 1] {
        assert_eq!(cell(row, "domains"), "2");
        assert_eq!(cell(row, "meets_guideline"), "1");
        assert_eq!(cell(row, "meets_guideline_pct"), "50.0");
        assert_eq!(cell(row, "bimi_logo"), "1");
    }
    assert_eq!(gov.rows[1][0], "of which central government (40 bodies)");
    assert_eq!(cell(2, "domains"), "0");
}
