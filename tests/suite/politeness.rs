//! Politeness per DNS operator, where the zone list says who serves each name (an `ns`
//! column): no operator is asked faster than its limit, counted at the server, and a dead
//! operator's names do not hold up the others'.

use crate::common;

use mailcensus::crawl::NameResult;
use mailcensus::run::{JournalReader, RunDir};
use mailcensus::sim::{Faults, Population, TypeSpec};
use mailcensus::tabulate::{Results, operator_health};

/// The population's zone list with an `ns` column: `ns(name)` for each name.
fn list_with_ns(
    pop: &Population,
    dir: &std::path::Path,
    ns: impl Fn(&str) -> String,
) -> std::path::PathBuf {
    let mut list = String::from("domain,ns\n");
    for s in pop.names() {
        list.push_str(&format!("{},{}\n", s.name, ns(&s.name)));
    }
    let path = dir.join("list.csv");
    std::fs::write(&path, list).unwrap();
    path
}

/// Each name served by an operator of its own, the `.ac.jp` names by one for all of them.
fn campus_and_own(name: &str) -> String {
    match name.ends_with(".ac.jp") {
        true => "ns1.campus-dns.ac.jp ns2.campus-dns.ac.jp".to_string(),
        false => format!("ns.{name}"),
    }
}

#[test]
fn no_operator_is_asked_past_its_limit_counted_at_the_server() {
    let pop = || Population::new(9, Some(&TypeSpec::jp_2018().scaled(200)), None).unwrap();
    let campus = pop().names().filter(|s| s.name.ends_with(".ac.jp")).count();
    assert!(campus >= 10, "{campus} .ac.jp names");
    let dir = common::tempdir().unwrap();
    let list = list_with_ns(&pop(), dir.path(), campus_and_own);
    // The campus operator refuses a source past 20 queries a second.
    let faults = || -> Faults { "limit:ac.jp=20".parse().unwrap() };
    let survey = |out: &str, qps: Option<u32>| {
        let out = dir.path().join(out);
        let mut refused = 0;
        let m = common::survey_list_counting(pop(), faults(), &list, &out, &mut refused, |c| {
            c.crawl.operator_qps = qps;
        });
        (m, refused)
    };
    let (polite, refused) = survey("polite", Some(15));
    assert_eq!(refused, 0, "the server refused queries over its limit");
    assert_eq!(polite.unresolved_names, 0);
    // Without a limit of its own, the run overruns the campus operator (and the survey
    // reads its refusals as unresolved, never as absent).
    let (_, refused) = survey("rude", None);
    assert!(refused > 0, "the test's limit was never reached");
}

/// The journal's rows in the order the names finished.
fn finish_order(out: &std::path::Path) -> Vec<NameResult> {
    JournalReader::open(&RunDir::open(out).unwrap())
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_dead_operators_names_do_not_hold_up_the_others() {
    let pop = || Population::new(12, Some(&TypeSpec::jp_2018().scaled(600)), None).unwrap();
    let names: Vec<String> = pop().names().map(|s| s.name).collect();
    // The first 24 names of the list are served by an operator that never answers: bunched,
    // as a registry's alphabetical list bunches one registrant's names.
    let dead: Vec<String> = names[..24].to_vec();
    let faults = || -> Faults {
        dead.iter()
            .map(|n| format!("name:{n}=drop"))
            .collect::<Vec<_>>()
            .join(",")
            .parse()
            .unwrap()
    };
    let dir = common::tempdir().unwrap();
    let list = list_with_ns(&pop(), dir.path(), |n| match dead.iter().any(|d| d == n) {
        true => "ns1.gone-dns.jp ns2.gone-dns.jp".to_string(),
        false => format!("ns.{n}"),
    });
    // The same list with the column under another name: no operator known.
    let blind = dir.path().join("blind.csv");
    let text = std::fs::read_to_string(&list).unwrap();
    std::fs::write(&blind, text.replacen("domain,ns", "domain,nameservers", 1)).unwrap();
    // How many dead names finished before the last live one.
    let dead_before_last_live = |list: &std::path::Path, out: &str| {
        let out = dir.path().join(out);
        let m = common::survey_list(pop(), faults(), list, &out, |c| {
            c.crawl.concurrency = 16;
            c.crawl.operator_concurrency = 4;
            c.client.timeout = std::time::Duration::from_millis(100);
        });
        assert_eq!(m.unresolved_names, dead.len() as u64);
        let order = finish_order(&out);
        let last_live = order.iter().rposition(|r| r.is_resolved()).unwrap();
        order[..last_live]
            .iter()
            .filter(|r| !r.is_resolved())
            .count()
    };
    // By operator, the dead one's names go out in turn with the others' and at most four at a
    // time: every live name finishes before half of the dead ones have.
    let polite = dead_before_last_live(&list, "polite");
    assert!(
        polite < dead.len() / 2,
        "{polite} dead names before the last live one"
    );
    // The survey's health per operator names the dead one and what its lookups met.
    let out = dir.path().join("polite");
    let health = operator_health(&Results::open(out.join("results.parquet")).unwrap())
        .unwrap()
        .expect("the list names operators");
    assert_eq!(
        health.iter().map(|h| h.names).sum::<u64>(),
        names.len() as u64
    );
    let gone = health.iter().find(|h| h.operator == "gone-dns.jp").unwrap();
    assert_eq!(
        (
            gone.names,
            gone.unresolved_names,
            gone.lookups,
            gone.timeout
        ),
        (24, 24, 72, 72)
    );
    assert!(gone.median_ms >= 100, "{gone:?}: each waited its timeout");
    for h in health.iter().filter(|h| h.operator != "gone-dns.jp") {
        assert_eq!(
            (h.unresolved_names, h.timeout, h.servfail),
            (0, 0, 0),
            "{h:?}"
        );
    }
    // ... and `tabulate` writes it with the other tables.
    common::mailcensus([
        "tabulate",
        out.to_str().unwrap(),
        "--lang",
        "en",
        "--format",
        "csv",
        "--write-tables",
    ]);
    let csv = std::fs::read_to_string(out.join("tables/operators_health.csv")).unwrap();
    assert!(csv.contains("gone-dns.jp,24,24,72,72,0,0,0,"), "{csv}");
    // In list order, the dead names take every slot first and the live ones wait.
    let blind = dead_before_last_live(&blind, "blind");
    assert!(
        blind >= dead.len() / 2,
        "{blind} dead names before the last live one"
    );
}
