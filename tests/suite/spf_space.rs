//! The address space each SPF record lets pass, against the population's ground truth: over
//! the embedded server, every name's `spf_ipv4_addresses`, `spf_ipv6_64s` and
//! `spf_permissive` are what its records were made to let in, and a name whose include
//! target never answers keeps them null, never 0.

use crate::common;

use std::collections::BTreeMap;

use mailcensus::policy::spf::TreeVerdict;
use mailcensus::run::{RunDir, latest_rows};
use mailcensus::sim::{Faults, MxTruth, Population, TypeSpec, spf_truth};
use mailcensus::tabulate::{Results, Tabulation};

fn population() -> Population {
    Population::new(5, Some(&TypeSpec::jp_2018().scaled(300)), None).unwrap()
}

#[test]
fn every_names_address_space_is_what_its_records_let_in() {
    let truth = population();
    // Provider b's record never answers: the names that include it, directly or through
    // provider c, have a tree that failed.
    let faults: Faults = "name:_spf.sim-provider-b.net=drop".parse().unwrap();
    let (_dir, out, _) = common::serve_and_survey(population(), faults, |_| {});
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    // What the tables must count: names with MX whose space was measured, those over 2^24,
    // and the names that include the wide provider.
    let (mut measured, mut over_16m, mut wide) = (0u64, 0u64, 0u64);
    for r in latest_rows(&RunDir::open(&out).unwrap()).unwrap() {
        let r = r.unwrap();
        let t = truth.lookup(&r.name).unwrap();
        let tree = r.spf_tree;
        let space = tree.map(|t| (t.ipv4_addresses, t.ipv6_64s));
        let with_mx = t.spf && t.mx == MxTruth::Mx;
        // Provider d includes c; the record over the lookup limit includes d, c and wide.
        let through_b = with_mx && matches!(t.spf_choice, 50..=59 | 92..=95 | 97);
        wide += u64::from(with_mx && matches!(t.spf_choice, 46..=47 | 97));
        if through_b {
            assert_eq!(
                tree.map(|t| t.verdict),
                Some(TreeVerdict::TempError),
                "{}",
                r.name
            );
            assert_eq!(space, Some((None, None)), "{}: null, never 0", r.name);
            *seen.entry("null: include timed out").or_default() += 1;
            continue;
        }
        match spf_truth(&t) {
            None => assert!(
                space.is_none_or(|s| s == (None, None)),
                "{}: {space:?}",
                r.name
            ),
            Some(want) => {
                let tree = tree.unwrap_or_else(|| panic!("{}: no tree", r.name));
                let got: Vec<&str> = tree.permissive().iter().map(|p| p.code()).collect();
                assert_eq!(
                    (tree.ipv4_addresses, tree.ipv6_64s, &got),
                    (
                        Some(want.ipv4_addresses),
                        Some(want.ipv6_64s),
                        &want.permissive
                    ),
                    "{}",
                    r.name
                );
                if t.mx == MxTruth::Mx {
                    measured += 1;
                    over_16m += u64::from(want.ipv4_addresses > 1 << 24);
                }
                for code in got {
                    *seen.entry(code).or_default() += 1;
                }
                *seen.entry("measured").or_default() += 1;
            }
        }
    }
    // The tables: the all-.jp row of `spf_permissive`, and the wide provider's row of
    // `spf_providers` with the /8 and /24 it lets in.
    let tab = Tabulation::of(&Results::open(out.join("results.parquet")).unwrap()).unwrap();
    let rows = tab.spf_space.expect("schema 8 has the table");
    let (_, all) = rows.iter().find(|(t, _)| t.is_none()).unwrap();
    assert_eq!((all.names, all.over_16m), (measured, over_16m));
    let (providers, _) = tab.spf_providers.expect("schema 8 has the table");
    let p = providers
        .iter()
        .find(|p| p.provider == "sim-provider-wide.net")
        .unwrap();
    assert_eq!((p.names, p.median_ipv4), (wide, Some(256 + (1 << 24))));
    // A provider's own space, from the names that include nothing else: provider b is only
    // ever included beside an ip4 block (and its includers' trees failed here), so unknown.
    let own = |name: &str| {
        providers
            .iter()
            .find(|p| p.provider == name)
            .and_then(|p| p.own_ipv4)
    };
    assert_eq!(own("sim-provider-wide.net"), Some(256 + (1 << 24)));
    assert_eq!(own("sim-provider-a.net"), Some(256));
    assert_eq!(own("sim-provider-b.net"), None);
    for kind in [
        "measured",
        "null: include timed out",
        "pass-all",
        "neutral-all",
        "no-all",
        "ptr",
        "wide-ip4",
        "over-65536",
        "over-16m",
    ] {
        assert!(seen.get(kind).is_some_and(|&n| n > 0), "{kind}: {seen:?}");
    }
}
