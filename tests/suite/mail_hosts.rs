//! The dkim, mx-ip and dane checks over the embedded server: every name's DKIM presence
//! (an empty non-terminal against NXDOMAIN), its MX hosts' IPv6 and dangling hosts, and its
//! DANE status (TLSA with and without the AD bit, unusable records) equal to what the
//! simulated population publishes; a failed lookup stays unresolved, never absent.

use crate::common;

use std::collections::BTreeMap;

use mailcensus::code::Code;
use mailcensus::crawl::Checks;
use mailcensus::policy::mailhost::{Dane, Dkim, Share};
use mailcensus::sim::{Faults, MailTruth, Population, TypeSpec, mail_truth};
use mailcensus::tabulate::{self, Lang};

fn population() -> Population {
    Population::new(2018, Some(&TypeSpec::jp_2018().scaled(100)), None).unwrap()
}

/// Each name's (dkim, mx_ipv6, mx_dangling, dane) as the results file has them.
type Found = (Option<String>, Option<String>, Option<bool>, Option<String>);

fn found(run: &std::path::Path) -> BTreeMap<String, Found> {
    let df = common::names_with_mx(run);
    let dangling = df.column("mx_dangling").unwrap().bool().unwrap().clone();
    (0..df.height())
        .map(|i| {
            let s = |c| common::str_at(&df, c, i);
            (
                s("name").unwrap(),
                (s("dkim"), s("mx_ipv6"), dangling.get(i), s("dane")),
            )
        })
        .collect()
}

fn expected(t: &MailTruth) -> Found {
    (
        Some(t.dkim.code().to_string()),
        Some(t.mx_ipv6.code().to_string()),
        Some(t.mx_dangling),
        Some(t.dane.code().to_string()),
    )
}

fn mail_checks() -> Checks {
    "dkim,mx-ip,dane".parse().unwrap()
}

#[test]
fn every_name_reads_as_the_population_publishes_it() {
    let truth = population();
    let (_dir, out, manifest) = common::serve_and_survey(population(), Faults::default(), |c| {
        c.crawl.checks = mail_checks();
    });
    assert_eq!(manifest.unresolved_names, 0);
    let found = found(&out);
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (name, got) in &found {
        let t = mail_truth(&truth.lookup(name).unwrap()).unwrap();
        assert_eq!(got, &expected(&t), "{name}");
        for code in [t.dkim.code(), t.mx_ipv6.code(), t.dane.code()] {
            *seen.entry(code).or_default() += 1;
        }
        *seen
            .entry(if t.mx_dangling {
                "dangling"
            } else {
                "addressed"
            })
            .or_default() += 1;
    }
    // Every status of every check appears, so each comparison above was made (`mismatch`
    // needs the chains, which the starttls check brings: tests/suite/transport.rs).
    let dane = Dane::CODES.iter().filter(|c| **c != Dane::Mismatch.code());
    let codes = Dkim::CODES.iter().chain(Share::CODES).chain(dane);
    for code in codes.chain(&["dangling", "addressed"]) {
        assert!(seen.get(code).is_some_and(|&n| n > 0), "{code}: {seen:?}");
    }
    // The table counts what the names say.
    let tables = tabulate::tables(out.join("results.parquet"), Lang::En).unwrap();
    let table = tables.iter().find(|t| t.name == "mail_hosts").unwrap();
    let all = table.rows.iter().find(|r| r[0] == "ALL").unwrap();
    let cell = |h: &str| {
        let i = table.headers.iter().position(|x| x == h).unwrap();
        all[i].parse::<usize>().unwrap()
    };
    assert_eq!(cell("dkim_lower_bound"), seen["present"]);
    assert_eq!(cell("dane_valid"), seen["valid"]);
    assert_eq!(cell("mx_dangling"), seen["dangling"]);
}

#[test]
fn a_failed_lookup_stays_unresolved() {
    let pop = population();
    let pick = |want: &dyn Fn(&MailTruth) -> bool| {
        pop.names()
            .find(|s| mail_truth(&s.truth).is_some_and(|t| want(&t)) && s.name.ends_with(".co.jp"))
            .unwrap()
            .name
    };
    let dkim = pick(&|t| t.dkim == Dkim::Present);
    let dane = pick(&|t| t.dane == Dane::Valid && t.mx_ipv6 == Share::None);
    let host = pick(&|t| t.dane == Dane::Unauthenticated);
    assert!(dkim != dane && dane != host);
    let faults: Faults = format!(
        "name:_domainkey.{dkim}=drop,name:_25._tcp.mx1.{dane}=servfail,name:mx1.{host}=drop"
    )
    .parse()
    .unwrap();
    let (_dir, out, manifest) = common::serve_and_survey(population(), faults, |c| {
        c.crawl.checks = mail_checks();
    });
    assert_eq!(manifest.unresolved_names, 3);
    let found = found(&out);
    let t = |n: &str| expected(&mail_truth(&pop.lookup(n).unwrap()).unwrap());
    // Only the failed lookup's reading is unknown; the name's other readings stand.
    let (_, v6, dangling, d) = t(&dkim);
    assert_eq!(found[&dkim], (None, v6, dangling, d));
    let (d, v6, dangling, _) = t(&dane);
    assert_eq!(found[&dane], (d, v6, dangling, None));
    let (d, ..) = t(&host);
    assert_eq!(found[&host], (d, None, None, None));
}
