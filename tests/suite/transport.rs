//! The checks that connect, over the simulated mail and policy hosts on loopback: every name's
//! STARTTLS, TLS, certificate, DANE-against-the-chain and MTA-STS policy columns equal what
//! the population's hosts were made to do, each failure kind included; a host that never
//! answers leaves its names unknown and the run goes on; a host that 10,000 names share is
//! connected to once.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use mailcensus::policy::mailhost::{Dane, Share};
use mailcensus::run::Manifest;
use mailcensus::sim::{
    Faults, LgSpec, MxTruth, Population, SimServer, SimTransport, TransportTruth, TypeSpec,
    transport_truth,
};
use mailcensus::survey::{SurveyConfig, survey};
use mailcensus::tabulate::{self, Lang};
use mailcensus::transport::StsOutcome;
use mailcensus::zone::JpType;

/// Serve `pop` over DNS and its hosts over TCP, and survey `list` into `dir/run` with the
/// checks that connect (each step within 300 ms: the silent hosts' wait).
fn survey_hosts(pop: Population, list: &Path, dir: &Path) -> (Manifest, u64) {
    let pop = Arc::new(pop);
    common::runtime().block_on(async {
        let dns = SimServer::start(
            pop.clone(),
            Faults::default(),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        let hosts = SimTransport::start(pop, 0).await.unwrap();
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, hosts.ca_pem()).unwrap();
        let mut cfg: SurveyConfig = common::config(list, &dir.join("run"), dns.addr());
        cfg.crawl.checks = "ns,dane,starttls,mta-sts-policy".parse().unwrap();
        let t = &mut cfg.crawl.transport;
        (t.smtp_port, t.https_port) = (hosts.port(), hosts.port());
        (t.timeout_ms, t.rate, t.concurrency) = (300, 1_000_000, 256);
        t.ca_files.push(ca);
        let m = survey(&cfg, &mut mailcensus::survey::Quiet).await.unwrap();
        dns.shutdown().await;
        (m, hosts.accepted([127, 25, 1, 25]))
    })
}

type Found = [Option<String>; 7];

fn found(run: &Path) -> BTreeMap<String, Found> {
    let df = common::names_with_mx(run);
    let enforced = df
        .column("mta_sts_enforced")
        .unwrap()
        .bool()
        .unwrap()
        .clone();
    (0..df.height())
        .map(|i| {
            let s = |c| common::str_at(&df, c, i);
            let row = [
                s("mx_starttls"),
                s("mx_tls"),
                s("mx_cert_valid"),
                s("dane"),
                s("mta_sts_policy"),
                s("mta_sts_mx_match"),
                enforced.get(i).map(|b| b.to_string()),
            ];
            (s("name").unwrap(), row)
        })
        .collect()
}

fn expected(t: &TransportTruth) -> Found {
    let c = |v: Option<&'static str>| v.map(str::to_string);
    [
        c(t.mx_starttls.map(Share::code)),
        c(t.mx_tls.map(Share::code)),
        c(t.mx_cert_valid.map(Share::code)),
        c(t.dane.map(Dane::code)),
        c(t.mta_sts_policy.map(StsOutcome::code)),
        c(t.mta_sts_mx_match.map(Share::code)),
        t.mta_sts_enforced.map(|b| b.to_string()),
    ]
}

#[test]
fn every_name_reads_as_its_hosts_behave() {
    let types = TypeSpec::jp_2018().scaled(100);
    let pop =
        || Population::with_local_governments_beside(2018, &types, &LgSpec::lg_2018()).unwrap();
    let truth = pop();
    let dir = common::tempdir().unwrap();
    let list = common::write_zonelist(&truth, dir.path());
    let (manifest, _) = survey_hosts(pop(), &list, dir.path());
    // A host that never answers leaves its names' transport unknown, never unresolved.
    assert_eq!(manifest.unresolved_names, 0);
    let found = found(&dir.path().join("run"));
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (name, got) in &found {
        let t = transport_truth(name, &truth.lookup(name).unwrap()).unwrap();
        let want = expected(&t);
        assert_eq!(got, &want, "{name}");
        for (i, v) in want.iter().enumerate() {
            *seen
                .entry(format!("{i}:{}", v.as_deref().unwrap_or("null")))
                .or_default() += 1;
        }
    }
    // Every kind appears, so each comparison above was made: unknown hosts, each share, a
    // chain that matches no TLSA record, every way a policy fetch ends.
    for kind in [
        "0:all",
        "0:some",
        "0:none",
        "0:null",
        "2:none",
        "2:some",
        "3:valid",
        "3:mismatch",
        "3:null",
    ] {
        assert!(seen.contains_key(kind), "no {kind} in {seen:?}");
    }
    for o in StsOutcome::ALL {
        assert!(
            seen.contains_key(&format!("4:{o}")),
            "no policy {o} in {seen:?}"
        );
    }
    // Days to the soonest end of validity: 80 for the simulator's certificates, minus 10 for
    // its expired ones.
    let df = common::names_with_mx(&dir.path().join("run"));
    let days: Vec<i32> = df
        .column("mx_cert_days_left")
        .unwrap()
        .i32()
        .unwrap()
        .iter()
        .flatten()
        .collect();
    let (lo, hi) = (days.iter().min().unwrap(), days.iter().max().unwrap());
    assert!(
        (-11..=-10).contains(lo) && (79..=80).contains(hi),
        "{lo} {hi}"
    );
    let cost = manifest.transport.expect("the checks' cost");
    assert!(
        cost.smtp_connections > 100 && cost.https_connections > 10,
        "{cost:?}"
    );
    // The tables count what the names say: per type, per region of the local governments,
    // per DNS operator, the unknown names in no denominator.
    let tables = tabulate::tables(dir.path().join("run/results.parquet"), Lang::En).unwrap();
    let all_hosts = found
        .values()
        .filter(|f| f[0].as_deref() == Some("all"))
        .count();
    let unknown = found.values().filter(|f| f[0].is_none()).count();
    // The types' `ALL` is .jp's; the names outside it have a row of their own.
    let other = tabulate::type_label(Some(JpType::Other), Lang::En);
    for (name, labels) in [
        ("transport", vec!["ALL", other.as_str()]),
        ("transport_localgov_regions", vec!["All"]),
        ("transport_dns_operators", vec![]),
    ] {
        let t = tables.iter().find(|t| t.name == name).unwrap();
        let col = |h: &str| t.headers.iter().position(|x| x == h).unwrap();
        let sum = |h: &str| -> usize {
            let rows = t
                .rows
                .iter()
                .filter(|r| labels.is_empty() || labels.contains(&r[0].as_str()));
            rows.map(|r| r[col(h)].parse::<usize>().unwrap()).sum()
        };
        match name {
            "transport_localgov_regions" => assert!(sum("starttls_all") > 0, "{name}: {t:?}"),
            _ => {
                assert_eq!(sum("starttls_all"), all_hosts, "{name}");
                assert_eq!(sum("starttls_all_of") + unknown, found.len(), "{name}");
            }
        }
    }
}

#[test]
fn a_host_that_ten_thousand_names_share_is_asked_once() {
    let pop = || Population::new(2018, Some(&TypeSpec::jp_2018().scaled(10)), None).unwrap();
    let whole = pop();
    let provider: Vec<String> = whole
        .names()
        .filter(|s| s.truth.mx == MxTruth::Mx && s.truth.variant.is_multiple_of(5))
        .map(|s| s.name)
        .take(10_000)
        .collect();
    assert_eq!(provider.len(), 10_000);
    let dir = common::tempdir().unwrap();
    let list = dir.path().join("list.csv");
    std::fs::write(&list, format!("domain\n{}\n", provider.join("\n"))).unwrap();
    let (manifest, accepted) = survey_hosts(pop(), &list, dir.path());
    assert_eq!(manifest.names, 10_000);
    assert_eq!(
        accepted, 1,
        "mx.sim-mail.net was connected to {accepted} times"
    );
    let found = found(&dir.path().join("run"));
    assert_eq!(found.len(), 10_000);
    assert!(found.values().all(|f| f[0].as_deref() == Some("all")));
    let cost = manifest.transport.unwrap();
    assert_eq!(cost.smtp_connections, 1, "{cost:?}");
}
