//! Random faults: retries recover what they can, what they cannot is unresolved (never read as
//! absent), and `retry_unresolved` finishes the job later.

use crate::common;

use std::collections::HashMap;
use std::sync::Arc;

use mailcensus::crawl::NameResult;
use mailcensus::policy::MxKind;
use mailcensus::policy::spf::TreeVerdict;
use mailcensus::run::{RunDir, latest_rows};
use mailcensus::sim::{Faults, Population, SimServer, TypeSpec};
use mailcensus::survey::{Quiet, retry_unresolved};
use mailcensus::tabulate::{Results, jp_type_table, spf_verdict_table};

use common::{config, runtime, serve_and_survey};

fn population() -> Population {
    Population::new(21, Some(&TypeSpec::jp_2018().scaled(300)), None).unwrap()
}

fn rows(out: &std::path::Path) -> HashMap<String, NameResult> {
    latest_rows(&RunDir::open(out).unwrap())
        .unwrap()
        .map(|r| {
            let r = r.unwrap();
            (r.name.clone(), r)
        })
        .collect()
}

/// `--retry-unresolved` on the run at `out`, against the population served without faults:
/// the manifest after it, and how many names it asked again.
fn retry_cleanly(out: &std::path::Path) -> (mailcensus::run::Manifest, u64) {
    retry_cleanly_with(out, Vec::new())
}

/// The same with the options `changed` from the run's own.
fn retry_cleanly_with(
    out: &std::path::Path,
    changed: Vec<String>,
) -> (mailcensus::run::Manifest, u64) {
    runtime().block_on(async {
        let server = SimServer::start(
            Arc::new(population()),
            Faults::default(),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        let mut cfg = config(std::path::Path::new("unused"), out, server.addr());
        cfg.changed = changed;
        let r = retry_unresolved(&cfg, &mut Quiet).await.unwrap();
        server.shutdown().await;
        r
    })
}

#[test]
fn ten_percent_drops_and_five_percent_servfail_change_no_settled_answer() {
    let (_d1, clean_out, clean) = serve_and_survey(population(), Faults::default(), |_| {});
    assert_eq!(clean.unresolved_names, 0);
    let faults: Faults = "drop=0.10,servfail=0.05,seed=3".parse().unwrap();
    let (_d2, out, faulty) = serve_and_survey(population(), faults, |_| {});
    let (want, got) = (rows(&clean_out), rows(&out));
    assert_eq!(got.len(), want.len());
    let mut unresolved = 0;
    for (name, g) in &got {
        let w = &want[name];
        for (gp, wp) in [(&g.mx, &w.mx), (&g.txt, &w.txt), (&g.dmarc, &w.dmarc)] {
            if gp.outcome.is_resolved() {
                assert_eq!(
                    (gp.outcome, &gp.records),
                    (wp.outcome, &wp.records),
                    "{name}"
                );
            } else {
                assert!(gp.attempts == 3, "{name}: gave up before the retries");
            }
        }
        unresolved += u64::from(!g.is_resolved());
    }
    assert_eq!(unresolved, faulty.unresolved_names);
    assert!(unresolved > 0, "the faults were too mild to test anything");
    // The manifest counts the lookups that needed another attempt, as the rows hold them.
    let retried: u64 = got
        .values()
        .map(|g| g.probes().filter(|(_, p)| p.attempts > 1).count() as u64)
        .sum();
    assert!(retried > unresolved, "drops retried and then answered");
    assert_eq!(faulty.retried_lookups, retried);
    assert_eq!(clean.retried_lookups, 0);
    // Per type: a settled count never exceeds the clean one, and what is missing is exactly
    // what is unresolved.
    let clean_t =
        jp_type_table(&Results::open(clean_out.join("results.parquet")).unwrap()).unwrap();
    let faulty_t = jp_type_table(&Results::open(out.join("results.parquet")).unwrap()).unwrap();
    for ((t, c), (_, f)) in clean_t.iter().zip(&faulty_t) {
        assert_eq!(f.names, c.names, "{t:?}");
        assert_eq!(f.mx.denominator + f.mx.unresolved, c.names, "{t:?}");
        assert!(f.mx.count <= c.mx.count && f.mx.count + f.mx.unresolved >= c.mx.count);
    }
}

#[test]
fn retry_unresolved_recrawls_only_the_failures_and_supersedes_them() {
    let faults: Faults = "drop=0.3,seed=5".parse().unwrap();
    let (_dir, out, first) = serve_and_survey(population(), faults, |c| c.crawl.retries = 1);
    // The failed lookups were asked twice: rows whose work the retry's rows replace.
    assert!(first.unresolved_names > 0 && first.retried_lookups > 0);
    let changed = vec!["--timeout-ms 300".to_string()];
    let (manifest, retried) = retry_cleanly_with(&out, changed);
    assert_eq!(retried, first.unresolved_names);
    assert_eq!(manifest.unresolved_names, 0);
    assert_eq!(manifest.names, first.names);
    // The options the retry ran with are recorded; the work counters only grow.
    assert_eq!(manifest.option_changes.len(), 1);
    assert!(
        manifest.option_changes[0].ends_with(" --retry-unresolved: --timeout-ms 300"),
        "{:?}",
        manifest.option_changes
    );
    assert_eq!(manifest.retried, first.retried + retried);
    assert!(manifest.retried_lookups >= first.retried_lookups);
    assert!(first.retried_lookups > rows(&out).values().map(|r| r.retried_lookups()).sum());
    let journaled = mailcensus::run::retried_lookups(&RunDir::open(&out).unwrap()).unwrap();
    assert_eq!(manifest.retried_lookups, journaled);
    // Nothing left to ask: a second retry changes nothing, `finished` and counters included.
    let (again, none) = retry_cleanly(&out);
    assert_eq!(none, 0);
    assert_eq!(again.finished, manifest.finished);
    assert_eq!(
        (again.retried, again.retried_lookups),
        (manifest.retried, manifest.retried_lookups)
    );
    let (_d, clean_out, _) = serve_and_survey(population(), Faults::default(), |_| {});
    let (want, got) = (rows(&clean_out), rows(&out));
    assert_eq!(got.len(), want.len());
    for (name, w) in &want {
        assert_eq!(got[name].mx.records, w.mx.records, "{name}");
        assert_eq!(got[name].judgement.has_spf, w.judgement.has_spf, "{name}");
        assert_eq!(
            got[name].judgement.has_dmarc, w.judgement.has_dmarc,
            "{name}"
        );
    }
    let t = jp_type_table(&Results::open(out.join("results.parquet")).unwrap()).unwrap();
    let (_, all) = t.iter().find(|(t, _)| t.is_none()).unwrap();
    assert_eq!(all.names, first.names, "results hold one row per name");
    assert_eq!(all.mx.unresolved, 0);
}

/// A survey's last pass with a short pause and wait, for the tests.
fn quick_last_pass(c: &mut mailcensus::survey::SurveyConfig) {
    c.crawl.last_pass = Some(mailcensus::crawl::LastPass {
        pause_ms: 50,
        timeout_ms: 600,
    });
}

#[test]
fn the_last_pass_asks_the_failures_again_and_writes_one_row_a_name() {
    let faults: Faults = "drop=0.3,seed=8".parse().unwrap();
    let (_d, out, m) = serve_and_survey(population(), faults, |c| {
        c.crawl.retries = 1;
        quick_last_pass(c);
    });
    let pass = m.last_pass.expect("names failed, so the last pass ran");
    assert!(pass.names > 0 && pass.recovered > 0, "{pass:?}");
    assert_eq!(pass.broken, 0, "no operator is known: none is broken");
    // The journal holds the main pass's row and the last pass's; the latest stands, in the
    // results file and in the manifest's counts alike.
    let got = rows(&out);
    assert_eq!(m.names, got.len() as u64);
    let unresolved = got.values().filter(|r| !r.is_resolved()).count() as u64;
    assert_eq!(m.unresolved_names, unresolved);
    assert_eq!(
        unresolved,
        pass.names - pass.recovered,
        "only the last pass's failures remain"
    );
    let t = jp_type_table(&Results::open(out.join("results.parquet")).unwrap()).unwrap();
    let (_, all) = t.iter().find(|(t, _)| t.is_none()).unwrap();
    assert_eq!(all.names, m.names, "results hold one row per name");
    let (_d2, clean_out, _) = serve_and_survey(population(), Faults::default(), |_| {});
    for (name, w) in rows(&clean_out) {
        let g = &got[&name];
        if g.is_resolved() {
            assert_eq!(g.judgement.has_spf, w.judgement.has_spf, "{name}");
            assert_eq!(g.mx.records, w.mx.records, "{name}");
        }
    }
}

#[test]
fn a_silent_operator_is_asked_again_only_through_its_scouts() {
    let pop = population();
    let dir = common::tempdir().unwrap();
    // Six names served by an operator that never answers, each of the rest by its own; the
    // zone list says which (an `ns` column, as JPRS's zone data carries it). One of the six is
    // answered SERVFAIL, as a recursive resolver answers some of a dead operator's names once
    // its own retries are spent: the operator still reads as dead.
    let names: Vec<String> = pop.names().map(|s| s.name.clone()).collect();
    let dead: Vec<&String> = names.iter().step_by(names.len() / 6).take(6).collect();
    let mut list = String::from("domain,ns\n");
    for n in &names {
        let ns = match dead.contains(&n) {
            true => "ns1.quiet-dns.ne.jp;ns2.quiet-dns.ne.jp".to_string(),
            false => format!("ns.{n}"),
        };
        list.push_str(&format!("{n},{ns}\n"));
    }
    let list_path = dir.path().join("list.csv");
    std::fs::write(&list_path, list).unwrap();
    let faults: Faults = dead
        .iter()
        .enumerate()
        .map(|(i, n)| format!("name:{n}={}", if i == 5 { "servfail" } else { "drop" }))
        .collect::<Vec<_>>()
        .join(",")
        .parse()
        .unwrap();
    let out = dir.path().join("run");
    let m = common::survey_list(pop, faults, &list_path, &out, quick_last_pass);
    let pass = m.last_pass.unwrap();
    assert_eq!((pass.names, pass.recovered, pass.broken), (2, 0, 4));
    assert_eq!(m.unresolved_names, 6);
    // The two scouts were asked once more, at the pass's wait; the others keep the rows of
    // their three attempts in the main pass. None of them reads as absent.
    let got = rows(&out);
    let mut attempts: Vec<u32> = dead.iter().map(|n| got[*n].mx.attempts).collect();
    attempts.sort();
    assert_eq!(attempts, [1, 1, 3, 3, 3, 3]);
    for (i, n) in dead.iter().enumerate() {
        let r = &got[*n];
        assert_eq!(r.met_silence(), i != 5, "{n}");
        assert_eq!(
            (
                r.judgement.mx_kind,
                r.judgement.has_spf,
                r.judgement.has_dmarc
            ),
            (None, None, None),
            "{n} read as absent"
        );
    }
}

#[test]
fn a_tree_lookup_that_timed_out_is_unresolved_until_a_retry_settles_it() {
    // Every include of the provider times out: the names whose SPF record includes it (directly
    // or through another provider) have a record, but no verdict.
    let faults: Faults = "name:_spf.sim-provider-a.net=drop".parse().unwrap();
    let (_dir, out, first) = serve_and_survey(population(), faults, |c| {
        c.crawl.retries = 0;
        c.crawl.last_pass = None;
    });
    let first_rows = rows(&out);
    let failed: Vec<&String> = first_rows
        .values()
        .filter(|r| {
            r.spf_tree
                .is_some_and(|t| t.verdict == TreeVerdict::TempError)
        })
        .map(|r| {
            assert!(
                !r.is_resolved(),
                "{}: a failed tree lookup is no verdict",
                r.name
            );
            assert_eq!(r.judgement.has_spf, Some(true), "{}", r.name);
            &r.name
        })
        .collect();
    assert!(!failed.is_empty(), "no name includes the provider");
    assert_eq!(first.unresolved_names, failed.len() as u64);
    assert_eq!(first.followed_unresolved["spf_tree"], failed.len() as u64);
    // In the SPF verdicts' and errors' tables they are unresolved, out of every share's
    // denominator.
    let results = Results::open(out.join("results.parquet")).unwrap();
    let verdicts = spf_verdict_table(&results).unwrap();
    let (_, all) = verdicts.iter().find(|(t, _)| t.is_none()).unwrap();
    let with_mx = failed
        .iter()
        .filter(|n| {
            first_rows[**n]
                .judgement
                .mx_kind
                .is_some_and(MxKind::has_hosts)
        })
        .count();
    assert_eq!(*all.last().unwrap(), with_mx as u64);
    let errors = mailcensus::tabulate::spf_error_table(&results).unwrap();
    let (_, all) = errors.iter().find(|(t, _)| t.is_none()).unwrap();
    assert_eq!(*all.last().unwrap(), with_mx as u64);

    let (manifest, retried) = retry_cleanly(&out);
    assert_eq!(retried, failed.len() as u64);
    assert_eq!(manifest.unresolved_names, 0);
    assert_eq!(manifest.followed_unresolved.get("spf_tree"), None);
    let (_d, clean_out, _) = serve_and_survey(population(), Faults::default(), |_| {});
    let (want, got) = (rows(&clean_out), rows(&out));
    for name in failed {
        assert_eq!(
            got[name].judgement.spf_verdict, want[name].judgement.spf_verdict,
            "{name}"
        );
        assert_eq!(got[name].spf_tree, want[name].spf_tree, "{name}");
    }
}
