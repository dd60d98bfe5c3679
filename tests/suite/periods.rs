//! Runs labelled by the month they describe: three months of the simulated population,
//! surveyed out of order, are read in period order; a diff given the wrong way round is
//! refused, and the right way round finds exactly the changes the population made.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common;

use mailcensus::run::Period;
use mailcensus::sim::{Faults, Population, TypeSpec};

fn population() -> Population {
    Population::new(44, Some(&TypeSpec::jp_2018().scaled(300)), None).unwrap()
}

/// The (name, change) pairs of the ground truth due after month `from`, up to month `to`.
fn truth(from: u32, to: u32) -> BTreeSet<(String, String)> {
    population()
        .names()
        .filter_map(|s| {
            let (month, change) = s.change?;
            (from < month && month <= to).then(|| (s.name, change.code().to_string()))
        })
        .collect()
}

/// The (name, change) pairs `diff` finds from `old` to `new`.
fn found(old: &str, new: &str, out: &Path) -> BTreeSet<(String, String)> {
    let o = out.to_str().unwrap();
    common::mailcensus(["diff", old, new, "--lang", "en", "--out", o]);
    let text = std::fs::read_to_string(out).unwrap();
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    r.records()
        .map(|row| {
            let row = row.unwrap();
            (row[0].to_string(), row[2].to_string())
        })
        .collect()
}

#[test]
fn runs_surveyed_out_of_order_read_in_period_order() {
    let dir = common::tempdir().unwrap();
    let list = common::write_zonelist(&population(), dir.path());
    // Surveyed November (month 2) first, then September (month 0), then October (month 1).
    let runs: Vec<_> = [
        ("a-nov", "2026-11", 2),
        ("b-sep", "2026-09", 0),
        ("c-oct", "2026-10", 1),
    ]
    .into_iter()
    .map(|(name, period, month)| {
        let out = dir.path().join(name);
        let pop = population().at_month(month);
        let m = common::survey_list(pop, Faults::default(), &list, &out, |c| {
            c.period = Some(period.parse().unwrap());
        });
        assert_eq!(m.unresolved_names, 0);
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

    // Each month's changes, and two months' at once, are exactly the population's.
    let (sep, oct, nov) = (&runs[1], &runs[2], &runs[0]);
    let out = dir.path().join("changes.csv");
    for (old, new, from, to) in [(sep, oct, 0, 1), (oct, nov, 1, 2), (sep, nov, 0, 2)] {
        let (want, got) = (truth(from, to), found(old, new, &out));
        assert!(want.len() > 20, "{from}..{to}: {want:?}");
        assert_eq!(
            got.difference(&want).collect::<Vec<_>>(),
            Vec::<&(String, String)>::new(),
            "{from}..{to}: found, not in the truth"
        );
        assert_eq!(got, want, "{from}..{to}: in the truth, not found");
    }
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
