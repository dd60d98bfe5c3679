//! The results schema as tables, trend and README see it: series keyed by group and measure,
//! never by position; a results file missing a column of its own schema version is an error
//! naming the column, while a run from an older mailcensus tabulates what its columns allow
//! and says which tables it lacks; the README lists exactly the schema's columns.

use crate::common;

use std::path::{Path, PathBuf};

use mailcensus::run::schema::{self, SCHEMA_VERSION};
use mailcensus::sim::{Faults, LgSpec, Population};
use mailcensus::tabulate::{Core, Lang, LgGroup, Results, ResultsError, TableName, Tabulation};
use polars::prelude::*;

/// The 1,788 local governments, 22 of whose names lie outside .jp, surveyed twice into `dir`:
/// as listed, and with the names outside .jp left out of the list.
fn two_runs(dir: &Path) -> (PathBuf, PathBuf) {
    let pop = || Population::new(2018, None, Some(&LgSpec::lg_2018())).unwrap();
    let (with_other, _) = common::survey_into(pop(), Faults::default(), &dir.join("a"), |_| {});
    // The later run starts later: the manifest's clock has one-second resolution.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (jp_only, _) = common::survey_into(pop(), Faults::default(), &dir.join("b"), |cfg| {
        let text = std::fs::read_to_string(&cfg.input).unwrap();
        let kept: Vec<&str> = text
            .lines()
            .enumerate()
            .filter(|(i, l)| *i == 0 || l.split(',').next().is_some_and(|d| d.ends_with(".jp")))
            .map(|(_, l)| l)
            .collect();
        let list = cfg.input.with_file_name("jp-only.csv");
        std::fs::write(&list, kept.join("\n") + "\n").unwrap();
        cfg.input = list;
    });
    (with_other, jp_only)
}

#[test]
fn trend_gives_each_series_its_own_runs_figures() {
    let dir = common::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("a")).unwrap();
    std::fs::create_dir_all(dir.path().join("b")).unwrap();
    let (a, b) = two_runs(dir.path());
    let core = |run: &Path| Core::of(&Results::open(run.join("results.parquet")).unwrap()).unwrap();
    let (ca, cb) = (core(&a), core(&b));
    assert!(ca.types.iter().any(|(t, _)| t.is_some_and(|t| !t.is_jp())));
    assert!(cb.types.iter().all(|(t, _)| t.is_none_or(|t| t.is_jp())));
    let out = common::mailcensus([
        "trend",
        "--lang",
        "en",
        "--format",
        "csv",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    let text = String::from_utf8(out).unwrap();
    let mut rows = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = rows.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (count, denominator) = (column("count"), column("denominator"));
    // group, measure, run → (count, denominator) as the trend printed them.
    let mut printed = std::collections::HashMap::new();
    for r in rows.records() {
        let r = r.unwrap();
        printed.insert(
            (r[0].to_string(), r[1].to_string(), r[2].to_string()),
            (r[count].to_string(), r[denominator].to_string()),
        );
    }
    // Every figure of each run's own tables, under its own group and measure.
    let mut checked = 0;
    // Both folders are named `run`, so the trend labels each by its path.
    let (la, lb) = (a.display().to_string(), b.display().to_string());
    for (run, c) in [(&la, &ca), (&lb, &cb)] {
        let types = c.types.iter().map(|(t, r)| {
            let g = format!("type:{}", t.map_or("ALL", |t| t.code()));
            (g, [r.mx, r.spf, r.dmarc])
        });
        let regions = c.regions.iter().map(|(g, r)| {
            let g = match g {
                LgGroup::Region(x) => format!("localgov:{}", x.name_en()),
                _ => "localgov:All".to_string(),
            };
            (g, [r.mx, r.spf, r.dmarc])
        });
        for (group, measures) in types.chain(regions) {
            for (m, name) in measures.iter().zip(["mx", "spf", "dmarc"]) {
                let got = &printed[&(group.clone(), name.to_string(), run.to_string())];
                assert_eq!(
                    got,
                    &(m.count.to_string(), m.denominator.to_string()),
                    "{group} {name} in {run}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, (13 + 9) * 3 + (12 + 9) * 3);
    // The group run b does not have reads "-" there, and has no change.
    let other = &printed[&("type:OTHER".into(), "mx".into(), lb.clone())];
    assert_eq!(other, &("-".to_string(), "-".to_string()));
}

/// A copy of `results.parquet` with `change` applied to its frame, as another file.
fn rewritten(src: &Path, dst: &Path, change: impl FnOnce(DataFrame) -> DataFrame) {
    let df = ParquetReader::new(std::fs::File::open(src).unwrap())
        .finish()
        .unwrap();
    let mut df = change(df);
    ParquetWriter::new(std::fs::File::create(dst).unwrap())
        .finish(&mut df)
        .unwrap();
}

#[test]
fn a_missing_or_renamed_column_is_named_and_older_runs_say_what_they_lack() {
    let pop = Population::new(2018, None, Some(&LgSpec::lg_2018())).unwrap();
    let (dir, out, _) = common::serve_and_survey(pop, Faults::default(), |_| {});
    let results = out.join("results.parquet");
    let full = Tabulation::of(&Results::open(&results).unwrap()).unwrap();
    assert!(full.skipped.is_empty());
    assert_eq!(Results::open(&results).unwrap().version, SCHEMA_VERSION);
    // Published in the registry's order, every table of the current schema but the operators'
    // health (this list has no `ns` column and the survey no `ns` check).
    let published: Vec<String> = full.tables(Lang::En).into_iter().map(|t| t.name).collect();
    let registry: Vec<&str> = TableName::ALL
        .iter()
        .filter(|t| **t != TableName::OperatorsHealth)
        .map(|t| t.code())
        .collect();
    assert_eq!(published, registry);

    // A column renamed in a current file: the error names it, for the library and the CLI.
    let renamed = dir.path().join("renamed.parquet");
    rewritten(&results, &renamed, |mut df| {
        df.rename("has_mx", "has_mx_renamed".into()).unwrap();
        df
    });
    match Results::open(&renamed) {
        Err(ResultsError::MissingColumn { column, .. }) => assert_eq!(column, "has_mx"),
        other => panic!("{:?}", other.err()),
    }
    std::fs::copy(&renamed, &results).unwrap();
    let tab = common::mailcensus_output(["tabulate", out.to_str().unwrap()]);
    assert!(!tab.status.success());
    let err = String::from_utf8_lossy(&tab.stderr);
    assert!(err.contains("lacks the column `has_mx`"), "{err}");

    // An unknown code is an error naming the column and the value, not "unresolved".
    let coded = dir.path().join("coded.parquet");
    let original = dir.path().join("original.parquet");
    rewritten(&renamed, &original, |mut df| {
        df.rename("has_mx_renamed", "has_mx".into()).unwrap();
        df
    });
    // In a column of codes and in a list of codes alike.
    let bad_codes = [
        ("dmarc_protection", lit("quarantined"), "quarantined"),
        (
            "dmarc_problems",
            lit("p=quarantined").implode(false).first(),
            "p=quarantined",
        ),
    ];
    for (column, value, code) in bad_codes {
        rewritten(&original, &coded, |df| {
            df.lazy()
                .with_column(value.alias(column))
                .collect()
                .unwrap()
        });
        match Results::open(&coded) {
            Err(e @ ResultsError::UnknownCode { .. }) => {
                let named = format!("`{column}` holds \"{code}\"");
                assert!(e.to_string().contains(&named), "{e}")
            }
            other => panic!("{:?}", other.err()),
        }
    }
    // Only a file this process has just written skips the code check; resuming a finished
    // run tabulates a file found on disk, and checks it.
    assert!(Results::open_written(&coded).is_ok());
    std::fs::copy(&coded, &results).unwrap();
    let resumed = common::mailcensus_output(["survey", "--resume", out.to_str().unwrap()]);
    assert!(!resumed.status.success());
    let err = String::from_utf8_lossy(&resumed.stderr);
    assert!(
        err.contains("`dmarc_problems` holds \"p=quarantined\""),
        "{err}"
    );
    std::fs::copy(&original, &results).unwrap();

    // The results as each older schema wrote them: every table its columns allow, the same
    // figures, and the rest named as left out.
    for version in 1..SCHEMA_VERSION {
        let old = dir.path().join(format!("v{version}.parquet"));
        rewritten(&original, &old, |df| {
            let newer: Vec<PlSmallStr> = schema::columns()
                .filter(|c| c.since > version)
                .map(|c| c.name.into())
                .collect();
            df.drop_many(newer)
        });
        let r = Results::open(&old).unwrap();
        assert_eq!(r.version, version);
        let t = Tabulation::of(&r).unwrap();
        assert_eq!(t.core.types, full.core.types, "schema {version}");
        assert_eq!(t.core.regions, full.core.regions, "schema {version}");
        let names: Vec<String> = t.tables(Lang::En).iter().map(|t| t.name.clone()).collect();
        let all: Vec<String> = full
            .tables(Lang::En)
            .iter()
            .map(|t| t.name.clone())
            .collect();
        for name in &all {
            let skipped = t.skipped.iter().any(|s| s.code() == name);
            assert!(names.contains(name) != skipped, "schema {version}: {name}");
        }
        assert_eq!(version >= 4, t.guideline.is_some());
    }
}

#[test]
fn the_readme_lists_the_schema_columns() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = "<!-- columns: made by `mailcensus columns`; a test keeps them equal -->\n";
    let end = "<!-- end of columns -->";
    let listed = readme
        .split_once(start)
        .and_then(|(_, rest)| rest.split_once(end))
        .map(|(table, _)| table)
        .expect("the README's column list between its markers");
    assert_eq!(
        listed,
        schema::markdown(),
        "README.md's column list differs from the schema: paste in `mailcensus columns`"
    );
}
