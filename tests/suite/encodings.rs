//! Zone lists as ministry offices send them: the same list in UTF-16 (Excel's "Unicode
//! text") and Shift_JIS (Excel's CSV in Japan) surveys to the same rows as in UTF-8, and a
//! list read in the wrong encoding stops with an error instead of surveying nothing.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use mailcensus::run::{RunDir, latest_rows};
use mailcensus::sim::{Population, TypeSpec};

fn population() -> Population {
    Population::new(33, Some(&TypeSpec::jp_2018().scaled(2000)), None).unwrap()
}

/// The population's list with a Japanese column, and Japanese (IDN) names besides.
fn utf8_list(pop: &Population, dir: &Path) -> String {
    let list = std::fs::read_to_string(common::write_zonelist(pop, dir)).unwrap();
    let mut lines = list.lines();
    let mut out = format!("{},organisation\n", lines.next().unwrap());
    for (i, line) in lines.enumerate() {
        out.push_str(&format!("{line},組織{i}(株式会社)\n"));
    }
    let width = out.lines().next().unwrap().split(',').count();
    for idn in ["日本語.jp", "総務省テスト.jp", "ドメイン名例.jp"] {
        out.push_str(&format!("{idn}{},漢字のみの組織\n", ",".repeat(width - 2)));
    }
    out
}

/// Name → (its input, its carried-through columns, its three lookups' outcomes).
fn rows(out: &Path) -> BTreeMap<String, (String, Vec<String>, [String; 3])> {
    latest_rows(&RunDir::open(out).unwrap())
        .unwrap()
        .map(|r| {
            let r = r.unwrap();
            let outcomes = [&r.mx, &r.txt, &r.dmarc].map(|p| p.outcome.to_string());
            (r.name.clone(), (r.input.clone(), r.extra.clone(), outcomes))
        })
        .collect()
}

#[test]
fn utf16_and_shift_jis_lists_survey_to_the_utf8_rows() {
    let dir = common::tempdir().unwrap();
    let text = utf8_list(&population(), dir.path());
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let (sjis, _, lossy) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!lossy);
    let mut runs = Vec::new();
    for (label, bytes) in [
        ("utf-8", text.as_bytes().to_vec()),
        ("utf-16", utf16),
        ("shift_jis", sjis.into_owned()),
    ] {
        let list = dir.path().join(format!("{label}.csv"));
        std::fs::write(&list, bytes).unwrap();
        let out = dir.path().join(label);
        let m = common::survey_list(population(), Default::default(), &list, &out, |_| {});
        assert_eq!(m.zone.rejected, 0, "{label}");
        runs.push((label, rows(&out)));
    }
    let (_, want) = &runs[0];
    assert!(
        want.contains_key("xn--wgv71a119e.jp"),
        "the IDN read as 日本語.jp"
    );
    assert!(
        want.values()
            .any(|(_, extra, _)| extra.iter().any(|e| e.contains("組織")))
    );
    for (label, got) in &runs[1..] {
        assert_eq!(got, want, "{label}");
    }
}

#[test]
fn a_list_read_in_the_wrong_encoding_stops_with_an_error() {
    let dir = common::tempdir().unwrap();
    let text = utf8_list(&population(), dir.path());
    let list = dir.path().join("utf16.csv");
    let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    std::fs::write(&list, utf16).unwrap();
    // Never the working folder's rejects.csv, the default.
    let rejects = dir.path().join("rejects.csv");
    let rt = common::runtime();
    let server = common::serve(&rt, population());
    for args in [
        vec![
            "classify",
            list.to_str().unwrap(),
            "--encoding",
            "utf-8",
            "--rejects",
            rejects.to_str().unwrap(),
        ],
        vec![
            "survey",
            list.to_str().unwrap(),
            "--encoding",
            "shift_jis",
            "--format",
            "text",
            "--resolver",
            &server.addr().to_string(),
            "--out",
            dir.path().join("run").to_str().unwrap(),
            "--quiet",
        ],
    ] {
        let o = common::mailcensus_output(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?} exited 0: {err}");
        assert!(err.contains("--encoding"), "{err}");
    }
    // Without a byte-order mark, the zeros give UTF-16 away.
    let o = common::mailcensus_output([
        "classify",
        list.to_str().unwrap(),
        "--rejects",
        rejects.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    rt.block_on(server.shutdown());
}
