//! The walking pipeline end to end over real loopback sockets: simulated population, embedded
//! server, crawl, results.parquet, the ministry's tables.

use crate::common;

use mailcensus::policy::dmarc::Protection;
use mailcensus::policy::spf::SpfVerdict;
use mailcensus::run::{RunDir, schema};
use mailcensus::sim::{Faults, LgSpec, Population, TypeSpec};
use mailcensus::tabulate::{
    LgGroup, Results, dmarc_strength_table, jp_type_table, localgov_tables, spf_error_table,
    spf_verdict_table,
};
use mailcensus::zone::JpType;

use common::serve_and_survey;

#[test]
fn scaled_2018_spec_reproduces_every_cell_through_the_server() {
    let spec = TypeSpec::jp_2018().scaled(100);
    let pop = Population::new(11, Some(&spec), None).unwrap();
    let (_dir, out, manifest) = serve_and_survey(pop, Faults::default(), |_| {});
    assert_eq!(manifest.unresolved_names, 0);
    let run = RunDir::open(&out).unwrap();
    let rows = jp_type_table(&Results::open(run.results()).unwrap()).unwrap();
    let (mut names, mut mx, mut spf, mut dmarc) = (0, 0, 0, 0);
    for (t, row) in &rows {
        let Some(t) = t else {
            assert_eq!(
                (row.names, row.mx.count, row.spf.count, row.dmarc.count),
                (names, mx, spf, dmarc)
            );
            continue;
        };
        let want = spec.get(*t);
        assert_eq!(row.names, want.total, "{t} names");
        assert_eq!(row.mx.count, want.mx, "{t} mx");
        assert_eq!(row.mx.denominator, want.total, "{t} mx denominator");
        assert_eq!(row.spf.count, want.spf, "{t} spf");
        assert_eq!(row.spf.denominator, want.mx, "{t} spf denominator");
        assert_eq!(row.dmarc.count, want.dmarc, "{t} dmarc");
        assert_eq!(
            (row.mx.unresolved, row.spf.unresolved, row.dmarc.unresolved),
            (0, 0, 0)
        );
        names += want.total;
        mx += want.mx;
        spf += want.spf;
        dmarc += want.dmarc;
    }
    assert!(rows.iter().all(|(t, _)| *t != Some(JpType::Other)));
    // DMARC strength: every declared record of an MX name lands in exactly one class.
    let strength = dmarc_strength_table(
        &Results::open(run.results()).unwrap(),
        &schema::DMARC_PROTECTION,
    )
    .unwrap();
    for ((t, counts), (_, row)) in strength.iter().zip(&rows) {
        let absent = counts[Protection::ALL.len() - 1];
        assert_eq!(counts.iter().sum::<u64>(), row.mx.count, "{t:?}");
        assert_eq!(row.mx.count - absent, row.dmarc.count, "{t:?}");
    }
    let verdicts = spf_verdict_table(&Results::open(run.results()).unwrap()).unwrap();
    for ((t, counts), (_, row)) in verdicts.iter().zip(&rows) {
        // Every class but `absent` (and the unresolved slot).
        let declared: u64 = counts[..SpfVerdict::settled().count() - 1].iter().sum();
        assert_eq!(
            declared, row.spf.count,
            "{t:?}: every declared record has a verdict"
        );
    }
    // Every name with MX and SPF has one error class (or `ok`).
    let errors = spf_error_table(&Results::open(run.results()).unwrap()).unwrap();
    for ((t, counts), (_, row)) in errors.iter().zip(&rows) {
        assert_eq!(counts.iter().sum::<u64>(), row.spf.count, "{t:?}");
        assert_eq!(*counts.last().unwrap(), 0, "{t:?}: nothing unresolved");
    }
    let all = &strength.iter().find(|(t, _)| t.is_none()).unwrap().1;
    assert!(
        all[..Protection::ALL.len() - 1].iter().all(|&n| n > 0),
        "{all:?}"
    );
    // Every declared SPF record is parsed: the simulated invalid ones are named, the rest
    // carry their `all` qualifier.
    use polars::prelude::*;
    let df = Results::open(run.results())
        .unwrap()
        .frame()
        .filter(col("has_spf").eq(lit(true)))
        .group_by([col("spf_error"), col("spf_all")])
        .agg([len()])
        .collect()
        .unwrap();
    let pairs: std::collections::HashSet<(Option<String>, Option<String>)> = (0..df.height())
        .map(|i| {
            (
                common::str_at(&df, "spf_error", i),
                common::str_at(&df, "spf_all", i),
            )
        })
        .collect();
    for want in [
        (Some("multiple-records"), None),
        (Some("syntax"), None),
        (None, Some("fail")),
        (None, Some("softfail")),
        (None, Some("neutral")),
        (None, Some("pass")),
    ] {
        let want = (want.0.map(String::from), want.1.map(String::from));
        assert!(pairs.contains(&want), "{want:?} not in {pairs:?}");
    }
    assert!(!pairs.iter().any(|(e, _)| e.as_deref() == Some("no-record")));
    // The include chain c -> b -> a counts three DNS-querying terms; the trees over a limit
    // of RFC 7208 §4.6.4 (11 terms, 3 void lookups) and the one that includes itself are
    // told apart.
    let trees = Results::open(run.results())
        .unwrap()
        .frame()
        .filter(col("spf_tree").is_not_null())
        .group_by([col("spf_tree")])
        .agg([
            col("spf_dns_terms").max().alias("max_terms"),
            col("spf_void_lookups").max().alias("max_void"),
        ])
        .sort(["spf_tree"], Default::default())
        .collect()
        .unwrap();
    let rows: Vec<(String, u32, u32)> = (0..trees.height())
        .map(|i| {
            let at = |c: &str| trees.column(c).unwrap().get(i).unwrap();
            (
                at("spf_tree").get_str().unwrap().to_string(),
                at("max_terms").extract::<u32>().unwrap(),
                at("max_void").extract::<u32>().unwrap(),
            )
        })
        .collect();
    let tree = |name: &str| rows.iter().find(|r| r.0 == name).map(|r| (r.1, r.2));
    assert_eq!(rows.len(), 4, "{trees}");
    assert_eq!(tree("ok").map(|t| t.0), Some(3), "{trees}");
    assert_eq!(tree("lookup-limit").map(|t| t.0), Some(11), "{trees}");
    assert_eq!(tree("void-limit").map(|t| t.1), Some(3), "{trees}");
    assert!(tree("loop").is_some(), "{trees}");
    // SPF records over 1,232 octets came truncated over UDP and whole over TCP.
    let long = mailcensus::run::JournalReader::open(&run)
        .unwrap()
        .map(Result::unwrap)
        .filter(|r| {
            r.txt
                .records
                .iter()
                .any(|t| t.len() > 1232 && t.ends_with(" -all"))
        })
        .count();
    assert!(long > 0);
}

#[test]
fn dmarc_discovery_reads_the_public_suffix_record_only_under_rfc_9989() {
    use polars::prelude::*;
    let spec = TypeSpec::jp_2018().scaled(100);
    let pop = Population::new(5, Some(&spec), None).unwrap();
    let (_dir, out, _) = serve_and_survey(pop, Faults::default(), |_| {});
    let run = RunDir::open(&out).unwrap();
    let df = Results::open(run.results())
        .unwrap()
        .frame()
        .select([
            col("name"),
            col("has_dmarc"),
            col("dmarc_source_7489"),
            col("dmarc_source_9989"),
            col("dmarc_inherited_from_9989"),
            col("dmarc_effective_9989"),
        ])
        .collect()
        .unwrap();
    let s = |c: &str, i: usize| common::str_at(&df, c, i);
    let mut inherited = 0;
    for i in 0..df.height() {
        let name = s("name", i).unwrap();
        let own = df.column("has_dmarc").unwrap().get(i).unwrap() == AnyValue::Boolean(true);
        // Tokyo geographic names without a record inherit tokyo.jp's p=reject by the tree walk;
        // RFC 7489 stops at their Organizational Domain, themselves.
        let want_9989 = match (name.ends_with(".tokyo.jp"), own) {
            (_, true) => "own",
            (true, false) => "inherited",
            (false, false) => "none",
        };
        assert_eq!(
            s("dmarc_source_9989", i).as_deref(),
            Some(want_9989),
            "{name}"
        );
        assert_eq!(
            s("dmarc_source_7489", i).as_deref(),
            Some(if own { "own" } else { "none" }),
            "{name}"
        );
        if want_9989 == "inherited" {
            assert_eq!(
                s("dmarc_inherited_from_9989", i).as_deref(),
                Some("tokyo.jp")
            );
            assert_eq!(s("dmarc_effective_9989", i).as_deref(), Some("reject"));
            inherited += 1;
        }
    }
    assert!(inherited > 0);
}

#[test]
fn the_1788_local_governments_reproduce_the_region_table() {
    let lg = LgSpec::lg_2018();
    let pop = Population::new(2018, None, Some(&lg)).unwrap();
    let (_dir, out, _) = serve_and_survey(pop, Faults::default(), |_| {});
    let run = RunDir::open(&out).unwrap();
    let (regions, prefectures) = localgov_tables(&Results::open(run.results()).unwrap()).unwrap();
    for (region, want) in &lg.regions {
        let (_, got) = regions
            .iter()
            .find(|(g, _)| *g == LgGroup::Region(*region))
            .unwrap();
        assert_eq!(
            (got.names, got.mx.count, got.spf.count, got.dmarc.count),
            (want.total, want.total, want.spf, want.dmarc),
            "{region}"
        );
    }
    let (_, all) = regions.last().unwrap();
    assert_eq!((all.names, all.spf.count, all.dmarc.count), (1788, 1435, 3));
    assert_eq!(
        all.spf.pct(mailcensus::tabulate::Scope::Part).unwrap(),
        "80.3"
    );
    assert_eq!(
        all.dmarc.pct(mailcensus::tabulate::Scope::Part).unwrap(),
        "0.2"
    );
    assert_eq!(prefectures.len(), 47);
    assert_eq!(prefectures.iter().map(|(_, r)| r.names).sum::<u64>(), 1788);
}

#[test]
fn full_2018_population_matches_the_spec_by_ground_truth() {
    let spec = TypeSpec::jp_2018();
    let lg = LgSpec::lg_2018();
    let pop = Population::new(2018, Some(&spec), Some(&lg)).unwrap();
    let mut counts = std::collections::HashMap::<JpType, [u64; 4]>::new();
    for s in pop.names() {
        let c = counts.entry(s.jp_type).or_default();
        let mx = s.truth.mx == mailcensus::sim::MxTruth::Mx;
        c[0] += 1;
        c[1] += u64::from(mx);
        c[2] += u64::from(mx && s.truth.spf);
        c[3] += u64::from(mx && s.truth.dmarc);
    }
    for (t, want) in &spec.types {
        assert_eq!(
            counts[t],
            [want.total, want.mx, want.spf, want.dmarc],
            "{t}"
        );
    }
    assert_eq!(counts[&JpType::Other][0], 22);
    assert_eq!(pop.len(), 1_485_202 + 22);
}
