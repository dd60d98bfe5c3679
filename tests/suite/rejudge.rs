//! A run judged by older rules says so, and `rejudge` brings it to this version's: a fix of
//! the rules must not read as a change in the country's DNS.

use crate::common;

use std::fs::File;
use std::path::Path;

use mailcensus::policy::judgement::JUDGEMENT_RULES;
use mailcensus::run::RunDir;
use mailcensus::sim::{Corpus, Faults, Population, TypeSpec};
use polars::prelude::*;

const CORPUS: &str = include_str!("../data/policy-corpus.jsonl");
/// `v=spf1 a:foo:bar/baz.corpus-sim.jp -all`: rules 1 read it as a syntax error.
const COLON: &str = "s106.corpus-sim.jp";

fn population() -> Population {
    Population::new(1, Some(&TypeSpec::jp_2018().scaled(10_000)), None)
        .unwrap()
        .with_corpus(Corpus::parse(CORPUS).unwrap())
}

fn verdict(run: &Path, name: &str) -> (Option<String>, Option<String>) {
    let df = ParquetReader::new(File::open(run.join("results.parquet")).unwrap())
        .finish()
        .unwrap()
        .lazy()
        .filter(col("name").eq(lit(name)))
        .select([col("spf_verdict"), col("spf_error")])
        .collect()
        .unwrap();
    (
        common::str_at(&df, "spf_verdict", 0),
        common::str_at(&df, "spf_error", 0),
    )
}

/// Make `run` look as rules 1 left it: its manifest without the rules' number, and the colon
/// record read as a syntax error.
fn judge_as_rules_1(run: &Path) {
    let m = run.join("manifest.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&m).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("judged_by");
    std::fs::write(&m, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    let path = run.join("results.parquet");
    let is = || col("name").eq(lit(COLON));
    let mut df = ParquetReader::new(File::open(&path).unwrap())
        .finish()
        .unwrap()
        .lazy()
        .with_columns([
            when(is())
                .then(lit("invalid"))
                .otherwise(col("spf_verdict"))
                .alias("spf_verdict"),
            when(is())
                .then(lit("syntax"))
                .otherwise(col("spf_error"))
                .alias("spf_error"),
        ])
        .collect()
        .unwrap();
    ParquetWriter::new(File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();
}

#[test]
fn a_run_of_older_rules_warns_until_it_is_judged_again() {
    let dir = common::tempdir().unwrap();
    let list = dir.path().join("list.csv");
    std::fs::write(
        &list,
        format!("domain\n{COLON}\ns108.corpus-sim.jp\ns000.corpus-sim.jp\n"),
    )
    .unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    for out in [&old, &new] {
        common::survey_list(population(), Faults::default(), &list, out, |_| {});
    }
    assert_eq!(verdict(&old, COLON), (Some("hard-fail".into()), None));
    judge_as_rules_1(&old);
    assert_eq!(
        RunDir::open(&old)
            .unwrap()
            .read_manifest()
            .unwrap()
            .judged_by,
        1
    );
    assert_eq!(
        verdict(&old, COLON),
        (Some("invalid".into()), Some("syntax".into()))
    );
    let trend = |want_warning: bool| {
        let out = common::mailcensus_output(["trend".as_ref(), old.as_os_str(), new.as_os_str()]);
        assert!(out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            err.contains("mailcensus rejudge") && err.contains("(rules 1)"),
            want_warning,
            "{err}"
        );
    };
    trend(true);
    common::mailcensus(["rejudge".as_ref(), old.as_os_str()]);
    assert_eq!(verdict(&old, COLON), (Some("hard-fail".into()), None));
    let m = RunDir::open(&old).unwrap().read_manifest().unwrap();
    assert_eq!((m.judged_by, m.names), (JUDGEMENT_RULES, 3));
    assert!(old.join("tables/spf_permissive.csv").is_file());
    trend(false);
}
