//! Registered names the Public Suffix List's PRIVATE section also lists are surveyed and typed
//! like any other; only its ICANN section makes a name unregistrable. `--psl FILE` reads a
//! newer list, sections included, without a rebuild.

use crate::common;

use std::path::Path;

use mailcensus::sim::{Faults, Population, TypeSpec};
use polars::prelude::*;

/// The first column of every row of a CSV file.
fn column(path: &Path, name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let i = r.headers().unwrap().iter().position(|h| h == name).unwrap();
    r.records().map(|row| row.unwrap()[i].to_string()).collect()
}

#[test]
fn private_section_names_are_surveyed_and_icann_suffixes_rejected() {
    let pop = Population::new(2018, Some(&TypeSpec::jp_2018().scaled(1000)), None).unwrap();
    let (_dir, out, manifest) = common::serve_and_survey(pop, Faults::default(), |cfg| {
        let list = cfg.input.with_file_name("private.txt");
        std::fs::write(&list, "moo.jp\nsakura.ne.jp\nco.jp\ntokyo.jp\n東京.jp\n").unwrap();
        cfg.input = list;
        cfg.format = mailcensus::zone::ZoneFormat::Text;
    });
    assert_eq!((manifest.names, manifest.unresolved_names), (2, 0));
    let df = LazyFrame::scan_parquet(
        PlRefPath::try_from_path(&out.join("results.parquet")).unwrap(),
        Default::default(),
    )
    .unwrap()
    .sort(["line"], Default::default())
    .collect()
    .unwrap();
    let text = |c: &str, i| common::str_at(&df, c, i).unwrap();
    assert_eq!(
        [0, 1].map(|i| (
            text("name", i),
            text("registered_domain", i),
            text("jp_type", i)
        )),
        [
            ("moo.jp".into(), "moo.jp".into(), "GENERAL".into()),
            ("sakura.ne.jp".into(), "sakura.ne.jp".into(), "NE".into()),
        ]
    );
    // The simulated population places both inside its counts, with MX.
    let has_mx = df.column("has_mx").unwrap().bool().unwrap();
    assert_eq!(has_mx.iter().collect::<Vec<_>>(), [Some(true); 2]);
    assert_eq!(
        column(&out.join("rejects.csv"), "reason"),
        ["public-suffix"; 3]
    );
}

#[test]
fn a_newer_list_from_a_file_decides_with_its_sections() {
    let dir = common::tempdir().unwrap();
    let psl = dir.path().join("public_suffix_list.dat");
    std::fs::write(
        &psl,
        "// ===BEGIN ICANN DOMAINS===\njp\nco.jp\nne.jp\n東京.jp\nnewsuffix.jp\n// ===END ICANN DOMAINS===\n\
         // ===BEGIN PRIVATE DOMAINS===\nmoo.jp\nsakura.ne.jp\n例え.jp\n// ===END PRIVATE DOMAINS===\n",
    )
    .unwrap();
    let list = dir.path().join("list.txt");
    std::fs::write(
        &list,
        "例え.jp\nsakura.ne.jp\nnewsuffix.jp\nco.jp\n東京.jp\n",
    )
    .unwrap();
    let classify = |with_file: bool| {
        let out = dir.path().join(format!("classified-{with_file}.csv"));
        let mut args = vec!["classify".to_string(), list.display().to_string()];
        args.extend(["--out".to_string(), out.display().to_string()]);
        if with_file {
            args.extend(["--psl".to_string(), psl.display().to_string()]);
        }
        common::mailcensus(&args);
        let rejects = column(&out.with_file_name("rejects.csv"), "reason");
        (column(&out, "domain"), column(&out, "jp_type"), rejects)
    };
    // The IDN private-section name is kept and typed; the file's own ICANN suffix is rejected.
    let (names, types, rejects) = classify(true);
    assert_eq!(names, ["xn--r8jz45g.jp", "sakura.ne.jp"]);
    assert_eq!(types, ["GENERAL", "NE"]);
    assert_eq!(rejects, ["public-suffix"; 3]);
    // The compiled list knows no `newsuffix.jp`: registrable there.
    let (names, _, rejects) = classify(false);
    assert_eq!(names, ["xn--r8jz45g.jp", "sakura.ne.jp", "newsuffix.jp"]);
    assert_eq!(rejects.len(), 2);
    // A file that is no list is refused, saying why.
    let bad = common::mailcensus_output(["--psl", list.to_str().unwrap(), "classify", "-"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a Public Suffix List"));
}
