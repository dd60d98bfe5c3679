//! Runs labelled by the month they describe: surveyed out of order, they are read in period
//! order, and a diff given the wrong way round is refused.

use crate::common;

use mailcensus::run::Period;
use mailcensus::sim::{Faults, Population, TypeSpec};

fn population() -> Population {
    Population::new(44, Some(&TypeSpec::jp_2018().scaled(3000)), None).unwrap()
}

#[test]
fn runs_surveyed_out_of_order_read_in_period_order() {
    let dir = common::tempdir().unwrap();
    let list = common::write_zonelist(&population(), dir.path());
    // Surveyed November first, then September, then October.
    let runs: Vec<_> = [
        ("a-nov", "2026-11"),
        ("b-sep", "2026-09"),
        ("c-oct", "2026-10"),
    ]
    .into_iter()
    .map(|(name, period)| {
        let out = dir.path().join(name);
        let m = common::survey_list(population(), Faults::default(), &list, &out, |c| {
            c.period = Some(period.parse().unwrap());
        });
        assert_eq!(m.period(), period.parse::<Period>().unwrap());
        out.to_str().unwrap().to_string()
    })
    .collect();
    let manifest = std::fs::read_to_string(dir.path().join("a-nov/manifest.json")).unwrap();
    assert!(manifest.contains("\"period\": \"2026-11\""), "{manifest}");

    let order = |text: &str| {
        let at = |label: &str| {
            text.find(label)
                .unwrap_or_else(|| panic!("{label} in {text}"))
        };
        (at("b-sep") < at("c-oct"), at("c-oct") < at("a-nov"))
    };
    let trend = common::mailcensus(["trend", &runs[0], &runs[1], &runs[2], "--format", "csv"]);
    assert_eq!(order(&String::from_utf8(trend).unwrap()), (true, true));
    let sql = "SELECT run, period FROM runs ORDER BY run_seq";
    let q = common::mailcensus([
        "query", "--format", "csv", sql, &runs[0], &runs[1], &runs[2],
    ]);
    let q = String::from_utf8(q).unwrap();
    assert_eq!(order(&q), (true, true));
    assert!(q.contains("b-sep,2026-09"), "{q}");

    // November before September: refused, nothing written.
    let reversed = common::mailcensus_output(["diff", &runs[0], &runs[1]]);
    let err = String::from_utf8_lossy(&reversed.stderr);
    assert!(!reversed.status.success(), "{err}");
    assert!(err.contains("Give the older run first"), "{err}");
    assert!(!dir.path().join("b-sep/diff.csv").exists());
    assert!(!dir.path().join("a-nov/diff.csv").exists());
    let forward = common::mailcensus_output(["diff", &runs[1], &runs[0]]);
    assert!(
        forward.status.success(),
        "{}",
        String::from_utf8_lossy(&forward.stderr)
    );
    assert!(dir.path().join("a-nov/diff.csv").exists());
}

#[test]
fn a_period_is_a_month() {
    for bad in ["2026-13", "2026-1", "26-11", "2026/11", "2026-00"] {
        assert!(bad.parse::<Period>().is_err(), "{bad}");
    }
    assert_eq!(
        Period::of_time("2026-11-30T23:59:59Z"),
        "2026-11".parse().ok()
    );
}
