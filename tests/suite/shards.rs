//! Sharded surveys: 1, 2, 3 and 7 shards of one simulated population, merged, equal the
//! unsharded run name by name and table by table; a shuffled list gives the same shards; a
//! missing, repeated, foreign or unsharded folder is refused with its reason.

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use mailcensus::run::{MergeError, Shard, merge};
use mailcensus::sim::{Population, TypeSpec};
use mailcensus::survey::{Quiet, survey};
use mailcensus::tabulate::{Lang, tables};
use polars::prelude::*;

/// The results by name, without how long each lookup took (no two crawls take the same).
fn results(run: &Path) -> DataFrame {
    LazyFrame::scan_parquet(
        PlRefPath::try_from_path(&run.join("results.parquet")).unwrap(),
        ScanArgsParquet::default(),
    )
    .unwrap()
    .drop(cols(["mx_ms", "txt_ms", "dmarc_ms"]))
    .sort(["name"], SortMultipleOptions::default())
    .collect()
    .unwrap()
}

fn names(run: &Path) -> BTreeSet<String> {
    let df = results(run);
    (0..df.height())
        .filter_map(|i| common::str_at(&df, "name", i))
        .collect()
}

fn tables_json(run: &Path) -> String {
    serde_json::to_string(&tables(run.join("results.parquet"), Lang::En).unwrap()).unwrap()
}

#[test]
fn merged_shards_equal_the_unsharded_run() {
    let pop = Population::new(7, Some(&TypeSpec::jp_2018().scaled(500)), None).unwrap();
    let dir = common::tempdir().unwrap();
    let list = common::write_zonelist(&pop, dir.path());
    // The same list, lines shuffled (the header stays first).
    let shuffled = dir.path().join("shuffled.csv");
    let text = std::fs::read_to_string(&list).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    lines.sort_by_key(|l| l.bytes().rev().collect::<Vec<u8>>());
    std::fs::write(&shuffled, format!("{header}\n{}\n", lines.join("\n"))).unwrap();

    let rt = common::runtime();
    let server = common::serve(&rt, pop);
    let run = |input: &Path, out: PathBuf, shard: Option<Shard>| -> PathBuf {
        let mut cfg = common::config(input, &out, server.addr());
        cfg.shard = shard;
        rt.block_on(survey(&cfg, &mut Quiet)).unwrap();
        out
    };
    let whole = run(&list, dir.path().join("whole"), None);
    let want = results(&whole);
    assert!(want.height() > 2000);
    let want_tables = tables_json(&whole);

    let mut three = Vec::new();
    for n in [1, 2, 3, 7] {
        let parts: Vec<PathBuf> = (1..=n)
            .map(|k| {
                let shard = Shard { index: k, count: n };
                run(&list, dir.path().join(format!("s{k}of{n}")), Some(shard))
            })
            .collect();
        if n > 1 {
            // Every shard holds a part, and together they hold no name twice.
            let sizes: Vec<usize> = parts.iter().map(|p| names(p).len()).collect();
            assert!(sizes.iter().all(|&s| s > 0), "{n}: {sizes:?}");
            assert_eq!(sizes.iter().sum::<usize>(), want.height());
        }
        // Given in reverse order: merge orders them by shard.
        let mut given = parts.clone();
        given.reverse();
        let out = dir.path().join(format!("merged{n}"));
        let m = merge(&given, &out, vec!["test".into()]).unwrap();
        assert_eq!(m.names, want.height() as u64);
        assert_eq!(m.shard, None);
        assert_eq!(m.merged_from.len(), n as usize);
        let got = results(&out);
        assert!(
            got.equals_missing(&want),
            "{n} shards: merged results differ"
        );
        assert_eq!(tables_json(&out), want_tables, "{n} shards: tables differ");
        if n == 3 {
            three = parts;
        }
    }

    // A shuffled list gives the same shards.
    let shuffled_two = run(
        &shuffled,
        dir.path().join("shuffled2of3"),
        Some(Shard { index: 2, count: 3 }),
    );
    assert_eq!(names(&shuffled_two), names(&three[1]));

    // What merge refuses.
    let refused = |paths: Vec<PathBuf>| {
        let out = dir.path().join("refused");
        let e = merge(&paths, &out, vec![]).unwrap_err();
        assert!(!out.join("manifest.json").exists(), "{e}: left a manifest");
        e
    };
    let e = refused(vec![three[0].clone(), three[2].clone()]);
    assert!(matches!(e, MergeError::Missing { .. }), "{e}");
    assert!(e.to_string().contains("shards 2 of 3 are missing"), "{e}");
    let e = refused(vec![three[0].clone(), three[1].clone(), three[1].clone()]);
    assert!(matches!(e, MergeError::Twice { .. }), "{e}");
    let e = refused(vec![
        three[0].clone(),
        shuffled_two.clone(),
        three[2].clone(),
    ]);
    assert!(
        matches!(e, MergeError::Foreign { what: "input", .. }),
        "{e}"
    );
    let e = refused(vec![three[0].clone(), dir.path().join("s2of2")]);
    assert!(matches!(e, MergeError::Split { .. }), "{e}");
    let e = refused(vec![whole.clone()]);
    assert!(matches!(e, MergeError::NotAShard(_)), "{e}");
    rt.block_on(server.shutdown());
}
