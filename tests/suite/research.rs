//! The research commands over two surveys of simulated populations whose specs differ in one
//! type's DMARC count (40 more CO names; same seed, so the same names and the 40 are new): `trend` shows exactly that change and no other,
//! `query` joins the two runs, `report` renders both with the trend.

use crate::common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use mailcensus::sim::{Faults, Population, TypeSpec};
use mailcensus::zone::JpType;
use polars::prelude::*;

struct Runs {
    before: TypeSpec,
    run1: PathBuf,
    run2: PathBuf,
}

/// The two runs, surveyed once for all the tests here, under the test target's scratch folder.
fn runs() -> &'static Runs {
    static RUNS: OnceLock<Runs> = OnceLock::new();
    RUNS.get_or_init(|| {
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("research");
        let _ = std::fs::remove_dir_all(&base);
        let (d1, d2) = (base.join("month1"), base.join("month2"));
        std::fs::create_dir_all(&d1).unwrap();
        std::fs::create_dir_all(&d2).unwrap();
        let before = TypeSpec::jp_2018().scaled(200);
        let mut after = before.clone();
        after
            .types
            .iter_mut()
            .find(|(t, _)| *t == JpType::Co)
            .unwrap()
            .1
            .dmarc += 40;
        let pop = |seed, spec: &TypeSpec| Population::new(seed, Some(spec), None).unwrap();
        let (run1, _) = common::survey_into(pop(1, &before), Faults::default(), &d1, |_| {});
        // The later run starts later: the manifest's clock has one-second resolution.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let (run2, _) = common::survey_into(pop(1, &after), Faults::default(), &d2, |_| {});
        Runs { before, run1, run2 }
    })
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

#[test]
fn trend_shows_the_difference_between_two_specs() {
    let Runs { before, run1, run2 } = runs();
    let stdout = common::mailcensus([
        "trend".as_ref(),
        "--lang".as_ref(),
        "en".as_ref(),
        "--format".as_ref(),
        "csv".as_ref(),
        run2.as_os_str(),
        run1.as_os_str(),
    ]);
    let text = String::from_utf8(stdout).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (count, change) = (column("count"), column("change_points"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let (_, b) = before.types.iter().find(|(t, _)| *t == JpType::Co).unwrap();
    let get = |group: &str, measure: &str, second: bool| {
        rows.iter()
            .filter(|r| &r[0] == group && &r[1] == measure)
            .nth(usize::from(second))
            .unwrap()
            .clone()
    };
    let first = get("type:CO", "dmarc", false);
    let second = get("type:CO", "dmarc", true);
    assert_eq!(first[count].parse::<u64>().unwrap(), b.dmarc);
    assert_eq!(second[count].parse::<u64>().unwrap(), b.dmarc + 40);
    assert_eq!(&first[change], "-");
    let want = mailcensus::tabulate::change_points(
        &mailcensus::tabulate::Measure {
            count: b.dmarc,
            denominator: b.mx,
            unresolved: 0,
        },
        &mailcensus::tabulate::Measure {
            count: b.dmarc + 40,
            denominator: b.mx,
            unresolved: 0,
        },
    )
    .unwrap();
    assert_eq!(&second[change], want.as_str());
    assert!(second[change].starts_with('+') && &second[change] != "+0.0");
    // Nothing else moved.
    for r in rows.iter().filter(|r| &r[change] != "-") {
        let moved = (&r[0] == "type:CO" || &r[0] == "type:ALL") && &r[1] == "dmarc";
        assert_eq!(moved, &r[change] != "+0.0", "{r:?}");
    }
}

/// The JSON of a command, parsed.
fn json<I, S>(args: I) -> serde_json::Value
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    serde_json::from_slice(&common::mailcensus(args)).unwrap()
}

/// The rows of the table `name` of a JSON document.
fn json_rows<'a>(doc: &'a serde_json::Value, name: &str) -> &'a Vec<serde_json::Value> {
    doc["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no table {name}"))["rows"]
        .as_array()
        .unwrap()
}

#[test]
fn the_all_jp_rate_reads_the_same_everywhere_and_json_is_typed() {
    let Runs { run1, run2, .. } = runs();
    let (r1, r2) = (run1.to_str().unwrap(), run2.to_str().unwrap());
    // Whatever --lang says, JSON keys are English and the Japanese titles stand beside.
    let tab = json(["tabulate", r2, "--format", "json", "--by", "sector"]);
    let types = &tab["tables"][0];
    assert_eq!(types["name"], "jp_types");
    assert_eq!(
        types["title_ja"],
        "JPドメイン名の種別ごとのSPF/DMARC設定状況(MXはドメイン名、SPF・DMARCはMXありドメイン名に対する割合。未解決は除く)"
    );
    assert_eq!(types["columns"][0]["ja"], "種別");
    let all = json_rows(&tab, "jp_types").last().unwrap();
    assert_eq!(all["type"], "ALL");
    let (spf, mx) = (all["spf"].as_u64().unwrap(), all["mx"].as_u64().unwrap());
    let exact = mailcensus::tabulate::percent_half_up(spf, mx, 2).unwrap();
    assert_eq!(all["spf_pct_of_mx"].as_f64(), exact.parse().ok(), "{all}");
    let by = json_rows(&tab, "by_sector").last().unwrap();
    assert_eq!(
        (&by["sector"], &by["spf_pct_of_mx"]),
        (&"ALL".into(), &all["spf_pct_of_mx"])
    );
    // A type's rate has one decimal, a number as well.
    let co = json_rows(&tab, "jp_types")
        .iter()
        .find(|r| r["type"] == "CO")
        .unwrap();
    let one = mailcensus::tabulate::percent_half_up(
        co["spf"].as_u64().unwrap(),
        co["mx"].as_u64().unwrap(),
        1,
    );
    assert_eq!(
        co["spf_pct_of_mx"].as_f64(),
        one.unwrap().parse().ok(),
        "{co}"
    );

    let trend = json(["trend", r1, r2, "--format", "json"]);
    let point = json_rows(&trend, "trend")
        .iter()
        .rfind(|r| r["group"] == "type:ALL" && r["measure"] == "spf")
        .unwrap();
    assert_eq!(point["pct"], all["spf_pct_of_mx"], "{point}");
    assert!(
        point["count"].is_u64() && point["change_points"].is_number(),
        "{point}"
    );

    let dir = common::tempdir().unwrap();
    let html = dir.path().join("report.html");
    common::mailcensus(["report", r2, "--out", html.to_str().unwrap()]);
    let html = std::fs::read_to_string(html).unwrap();
    assert!(
        html.contains(&format!("{exact}%")),
        "the headline has {exact}%"
    );
    // Every section, and the index beside the CSV tables, says unresolved names are apart.
    let note = mailcensus::tabulate::unresolved_note(mailcensus::tabulate::Lang::Ja);
    let sections: Vec<&str> = html.split("<section").skip(1).collect();
    assert!(sections.len() > 4, "{}", sections.len());
    for s in &sections {
        let s = &s[..s.find("</section>").unwrap()];
        assert!(s.contains(&note), "a section without the footnote: {s:.60}");
    }
    common::mailcensus(["tabulate", r2, "--write-tables"]);
    let tables = Path::new(r2).join("tables");
    let index = std::fs::read_to_string(tables.join(mailcensus::tabulate::INDEX_FILE)).unwrap();
    let mut listed = 0;
    for f in std::fs::read_dir(&tables).unwrap() {
        let file = f.unwrap().file_name().into_string().unwrap();
        if let Some(stem) = file.strip_suffix(".csv") {
            let line = index.lines().find(|l| l.starts_with(&format!("{file}\t")));
            let title = line.map(|l| l.split('\t').nth(1).unwrap());
            assert!(
                title.is_some_and(|t| !t.is_empty()),
                "{stem} not in the index"
            );
            listed += 1;
        }
    }
    assert!(listed > 10 && index.trim_end().ends_with(&note), "{index}");
}

fn names_of(run: &std::path::Path, filter: Expr) -> HashSet<String> {
    let df = LazyFrame::scan_parquet(
        PlRefPath::try_from_path(&run.join("results.parquet")).unwrap(),
        ScanArgsParquet::default(),
    )
    .unwrap()
    .filter(filter)
    .select([col("name")])
    .collect()
    .unwrap();
    (0..df.height())
        .filter_map(|i| common::str_at(&df, "name", i))
        .collect()
}

#[test]
fn query_joins_two_runs() {
    let Runs { run1, run2, .. } = runs();
    // CO names with DMARC in the later run but not the earlier one, by a join on name.
    let sql = "SELECT b.name FROM results_1 a JOIN results_2 b ON a.name = b.name \
               WHERE b.jp_type = 'CO' AND b.has_dmarc AND NOT a.has_dmarc ORDER BY b.name";
    let out = text(common::mailcensus([
        "query".as_ref(),
        sql.as_ref(),
        "--format".as_ref(),
        "csv".as_ref(),
        run2.as_os_str(),
        run1.as_os_str(),
    ]));
    let got: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(out.lines().next(), Some("name"));
    let co_dmarc = |run| names_of(run, col("jp_type").eq(lit("CO")).and(col("has_dmarc")));
    let all1 = names_of(run1, lit(true));
    let want: HashSet<String> = co_dmarc(run2)
        .into_iter()
        .filter(|n| all1.contains(n) && !co_dmarc(run1).contains(n))
        .collect();
    assert_eq!(want.len(), 40);
    assert_eq!(
        got.iter().map(|s| s.to_string()).collect::<HashSet<_>>(),
        want
    );
    assert!(got.windows(2).all(|w| w[0] < w[1]), "ORDER BY kept");

    // The runs view joined to results: names per run date, typed in JSON.
    let sql = "SELECT x.run_seq, r.names, COUNT(*) AS rows FROM results x \
               JOIN runs r ON x.run_seq = r.run_seq GROUP BY x.run_seq, r.names ORDER BY x.run_seq";
    let json: serde_json::Value = serde_json::from_slice(&common::mailcensus([
        "query".as_ref(),
        sql.as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        run1.as_os_str(),
        run2.as_os_str(),
    ]))
    .unwrap();
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for (i, (row, run)) in rows.iter().zip([run1, run2]).enumerate() {
        assert_eq!(row["run_seq"], serde_json::json!(i + 1));
        assert_eq!(row["rows"], row["names"]);
        assert_eq!(
            row["rows"].as_u64().unwrap() as usize,
            names_of(run, lit(true)).len()
        );
    }
}

#[test]
fn bad_sql_says_what_polars_said_and_lists_the_columns() {
    let Runs { run1, .. } = runs();
    for (sql, polars_says) in [
        ("SELECT no_such_column FROM results", "no_such_column"),
        ("SELEC name FROM results", "SELEC"),
        ("SELECT name FROM no_such_table", "no_such_table"),
    ] {
        let out = common::mailcensus_output(["query".as_ref(), sql.as_ref(), run1.as_os_str()]);
        assert!(!out.status.success(), "{sql}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(polars_says), "{sql}: {err}");
        assert!(err.contains("Tables and their columns"), "{err}");
        for line in [
            "  results: line, input, name,",
            "  runs: run, run_seq, run_date,",
            "  results_1: ",
        ] {
            assert!(err.contains(line), "{line} missing from: {err}");
        }
        assert!(err.contains("dmarc_rua_outside"), "{err}");
    }
}

#[test]
fn report_renders_both_runs_with_the_trend() {
    let Runs { run1, run2, .. } = runs();
    let dir = common::tempdir().unwrap();
    let (en, ja) = (dir.path().join("en.html"), dir.path().join("ja.html"));
    common::mailcensus([
        "report".as_ref(),
        run2.as_os_str(),
        "--compare".as_ref(),
        run1.as_os_str(),
        "--lang".as_ref(),
        "en".as_ref(),
        "--out".as_ref(),
        en.as_os_str(),
    ]);
    common::mailcensus([
        "report".as_ref(),
        run2.as_os_str(),
        "--out".as_ref(),
        ja.as_os_str(),
    ]);
    let en = std::fs::read_to_string(en).unwrap();
    let ja = std::fs::read_to_string(ja).unwrap();
    // Self-contained: nothing fetched at view time, no scripts.
    for page in [&en, &ja] {
        for banned in ["<script", "src=", "href=", "url(", "@import", "<link"] {
            assert!(!page.contains(banned), "{banned} in the page");
        }
        // SPF, DMARC and the 2025 guideline: 47 tiles each.
        assert_eq!(page.matches("class=\"tile\"").count(), 3 * 47);
        assert!(page.matches("<svg").count() >= 6);
    }
    assert!(ja.starts_with("<!DOCTYPE html>\n<html lang=\"ja\">"));
    assert!(ja.contains("メール送信ドメイン認証の設定状況"));
    assert!(!ja.contains("id=\"trend\""), "no trend without --compare");
    assert!(en.contains("<html lang=\"en\">") && en.contains("id=\"trend\""));
    // The headline change and the trend panels come from the two runs: DMARC rose for CO.
    assert!(en.contains(" pt</span>"));
    assert!(en.contains("class=\"line\""));
    // Every chart and table of the run is on the page.
    let tables =
        mailcensus::tabulate::tables(run2.join("results.parquet"), mailcensus::tabulate::Lang::En)
            .unwrap();
    // minijinja's HTML escaping also writes '/' as an entity.
    let shown = en.replace("&#x2f;", "/");
    for t in &tables {
        assert!(
            shown.contains(&mailcensus::report::esc(&t.title)),
            "{} missing",
            t.name
        );
    }
}

/// The statements of the README's research examples (`mailcensus query "..." runs/...`).
fn readme_examples() -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split_once("## Research queries")
        .and_then(|(_, rest)| rest.split_once("\n## "))
        .map(|(s, _)| s)
        .unwrap();
    section
        .lines()
        .filter_map(|l| l.strip_prefix("mailcensus query \""))
        .map(|l| l.split_once('"').unwrap().0.to_string())
        .collect()
}

#[test]
fn every_readme_research_example_runs() {
    let Runs { run1, run2, .. } = runs();
    let examples = readme_examples();
    assert!(examples.len() >= 5, "{examples:?}");
    for sql in &examples {
        let out = common::mailcensus_output([
            "query".as_ref(),
            sql.as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
            run1.as_os_str(),
            run2.as_os_str(),
        ]);
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(rows.is_array(), "{sql}");
    }
}

#[test]
fn every_result_type_prints_in_every_format() {
    let Runs { run1, run2, .. } = runs();
    let dir = common::tempdir().unwrap();
    let sql = dir.path().join("types.sql");
    // Counts over runs (UInt32, summed by Polars in UInt128), 128-bit integers, a boolean
    // with nulls, a date, a timestamp, lists, a float, a null. (Polars SQL casts to no
    // DECIMAL; the README lists that.)
    std::fs::write(
        &sql,
        "SELECT COUNT(*) AS n, CAST(MAX(line) AS UHUGEINT) AS wide, CAST(-1 AS HUGEINT) AS signed,\n\
         1.25 AS dec, FIRST(has_mx) AS first_mx,\n\
         MIN(run_date) AS d, STRPTIME(CAST(MIN(run_date) AS VARCHAR) || ' 12:34:56', '%Y-%m-%d %H:%M:%S') AS ts,\n\
         FIRST(mx_answers) AS answers, AVG(spf_dns_terms) AS mean, NULL AS nothing\n\
         FROM results WHERE jp_type = 'GO'",
    )
    .unwrap();
    let query = |format: &str, out: Option<&std::path::Path>| {
        let mut args = vec![
            "query".to_string(),
            "-f".to_string(),
            sql.display().to_string(),
            run1.display().to_string(),
            run2.display().to_string(),
            "--format".to_string(),
            format.to_string(),
        ];
        if let Some(o) = out {
            args.extend(["--out".to_string(), o.display().to_string()]);
        }
        String::from_utf8(common::mailcensus(&args)).unwrap()
    };
    let table = query("table", None);
    assert!(table.starts_with("1 row\n"), "{table}");
    let csv = query("csv", None);
    let json: serde_json::Value = serde_json::from_str(&query("json", None)).unwrap();
    let markdown = query("markdown", None);
    let row = &json[0];
    let n = row["n"].as_u64().unwrap();
    assert!(n > 0);
    assert_eq!(row["signed"], -1);
    assert_eq!(row["dec"], 1.25);
    assert_eq!(row["nothing"], serde_json::Value::Null);
    assert!(row["answers"].is_array() && row["mean"].is_number());
    let date = row["d"].as_str().unwrap();
    assert_eq!(date.len(), 10);
    assert!(row["ts"].as_str().unwrap().contains("12:34:56"));
    let keys: Vec<&str> = [
        "n", "wide", "signed", "dec", "first_mx", "d", "ts", "answers",
    ]
    .to_vec();
    assert!(
        csv.starts_with(&(keys.join(",") + ",mean,nothing\n")),
        "{csv}"
    );
    for text in [&table, &csv, &markdown] {
        assert!(
            text.contains("1.25") && text.contains(date) && text.contains("12:34:56"),
            "{text}"
        );
    }
    // Saved as Parquet, CSV and JSON, with the same values.
    for ext in ["parquet", "csv", "json"] {
        let out = dir.path().join(format!("saved.{ext}"));
        query("csv", Some(&out));
        assert!(std::fs::metadata(&out).unwrap().len() > 0, "{ext}");
    }
    let saved = ParquetReader::new(std::fs::File::open(dir.path().join("saved.parquet")).unwrap())
        .finish()
        .unwrap();
    assert_eq!(saved.height(), 1);
    assert_eq!(
        saved.column("n").unwrap().get(0).unwrap().extract::<u64>(),
        Some(n)
    );
}

#[test]
fn a_parse_error_points_into_the_statement() {
    let Runs { run1, .. } = runs();
    let out = common::mailcensus_output([
        "query".as_ref(),
        "SELECT name\nFROM results WHERE jp_type = = 'GO'".as_ref(),
        run1.as_os_str(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("at line 2, column"), "{err}");
    assert!(
        err.contains("FROM results WHERE jp_type = = 'GO'\n"),
        "{err}"
    );
    assert!(err.contains('^'), "{err}");
}

/// The zone list of a run as written: domain → (sector, company, truth_mx, truth_spf,
/// truth_dmarc).
fn truth(run: &std::path::Path) -> HashMap<String, (String, String, bool, bool, bool)> {
    let list = run.parent().unwrap().join("zonelist.csv");
    let mut r = csv::Reader::from_path(list).unwrap();
    let h = r.headers().unwrap().clone();
    let at = |name: &str| h.iter().position(|x| x == name).unwrap();
    let (d, s, c, mx, spf, dmarc) = (
        at("domain"),
        at("sector"),
        at("company"),
        at("truth_mx"),
        at("truth_spf"),
        at("truth_dmarc"),
    );
    r.records()
        .map(|row| {
            let row = row.unwrap();
            (
                row[d].to_string(),
                (
                    row[s].to_string(),
                    row[c].to_string(),
                    &row[mx] == "mx",
                    &row[spf] == "1",
                    &row[dmarc] == "1",
                ),
            )
        })
        .collect()
}

#[test]
fn by_sector_and_per_company_match_the_ground_truth() {
    use mailcensus::tabulate::{Results, Tri, by_column, entities};
    let Runs { run1, .. } = runs();
    let results = Results::open(run1.join("results.parquet")).unwrap();
    let truth = truth(run1);
    // Per sector: names, MX over all, SPF and DMARC over the names with MX.
    let rows = by_column(&results, "sector").unwrap();
    let mut want: HashMap<String, [u64; 4]> = HashMap::new();
    for (sector, _, mx, spf, dmarc) in truth.values() {
        let key = if sector.is_empty() {
            "(none)"
        } else {
            sector.as_str()
        };
        let w = want.entry(key.to_string()).or_default();
        w[0] += 1;
        w[1] += u64::from(*mx);
        w[2] += u64::from(*mx && *spf);
        w[3] += u64::from(*mx && *dmarc);
    }
    assert_eq!(rows.len(), want.len() + 1, "{rows:?}");
    for (sector, row) in &rows[..rows.len() - 1] {
        let got = [row.names, row.mx.count, row.spf.count, row.dmarc.count];
        assert_eq!(got, want[sector], "{sector}");
    }
    assert!(want.contains_key("bank") && want.contains_key("ec") && want.contains_key("logistics"));
    // Per company: covered when any domain has it, all when every one does.
    let companies = entities(&results, "company", Some("sector")).unwrap();
    let mut members: HashMap<&str, Vec<(bool, bool)>> = HashMap::new();
    for (_, company, _, spf, dmarc) in truth.values() {
        if !company.is_empty() {
            members.entry(company).or_default().push((*spf, *dmarc));
        }
    }
    assert_eq!(companies.len(), members.len());
    let tri = |b: bool| if b { Tri::Yes } else { Tri::No };
    let mut several = 0;
    for e in &companies {
        let m = &members[e.entity.as_str()];
        assert_eq!(e.domains as usize, m.len(), "{}", e.entity);
        several += usize::from(m.len() > 1);
        let spf = (tri(m.iter().any(|x| x.0)), tri(m.iter().all(|x| x.0)));
        let dmarc = (tri(m.iter().any(|x| x.1)), tri(m.iter().all(|x| x.1)));
        assert_eq!((e.measures[0], e.measures[1]), (spf, dmarc), "{}", e.entity);
        assert_eq!(e.group.as_deref(), e.entity.split('-').next());
    }
    assert!(several > 10, "companies of several domains: {several}");
    // Displayed, the tables leave the run folder as the survey wrote it.
    let tables = |run: &Path| -> BTreeMap<String, Vec<u8>> {
        std::fs::read_dir(run.join("tables"))
            .into_iter()
            .flatten()
            .map(|e| {
                let p = e.unwrap().path();
                (p.display().to_string(), std::fs::read(&p).unwrap())
            })
            .collect()
    };
    common::mailcensus([
        "tabulate".as_ref(),
        run1.as_os_str(),
        "--write-tables".as_ref(),
    ]);
    let before = tables(run1);
    assert!(before.len() > 10, "{}", before.len());
    let args = [
        "tabulate".as_ref(),
        run1.as_os_str(),
        "--by".as_ref(),
        "sector".as_ref(),
        "--entity".as_ref(),
        "company".as_ref(),
        "--lang".as_ref(),
        "en".as_ref(),
    ];
    let shown = common::mailcensus(
        args.iter()
            .chain([&"--format".as_ref(), &"markdown".as_ref()]),
    );
    assert!(String::from_utf8(shown).unwrap().contains("| sector |"));
    assert_eq!(
        tables(run1),
        before,
        "tabulate without --write-tables wrote into tables/"
    );
    // Asked to, the CLI writes both tables and the per-sector one.
    common::mailcensus(args.iter().chain([&"--write-tables".as_ref()]));
    for t in ["by_sector", "entities_company", "entity_list_company"] {
        assert!(
            run1.join("tables").join(format!("{t}.csv")).is_file(),
            "{t}"
        );
    }
    let bad = common::mailcensus_output([
        "tabulate".as_ref(),
        run1.as_os_str(),
        "--by".as_ref(),
        "sectr".as_ref(),
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no column `sectr`"));
}

#[test]
fn diff_finds_every_change_and_no_other() {
    use mailcensus::tabulate::{Change, Results, diff};
    let Runs { run1, run2, .. } = runs();
    let open = |r: &std::path::Path| Results::open(r.join("results.parquet")).unwrap();
    let changes = diff(&open(run1), &open(run2)).unwrap();
    // The later spec has 40 more CO names with DMARC (same seed, same names): exactly those.
    let (t1, t2) = (truth(run1), truth(run2));
    let adopted: HashSet<String> = t2
        .iter()
        .filter(|(n, v)| v.2 && v.4 && t1.get(*n).is_some_and(|w| !w.4))
        .map(|(n, _)| n.clone())
        .collect();
    assert_eq!(adopted.len(), 40);
    assert!(
        changes.iter().all(|c| c.change == Change::DmarcAdopted),
        "{changes:?}"
    );
    let got: HashSet<String> = changes.iter().map(|c| c.name.clone()).collect();
    assert_eq!(got, adopted);
    // The CLI: counts per type, and every change as CSV.
    let out = text(common::mailcensus([
        "diff".as_ref(),
        run1.as_os_str(),
        run2.as_os_str(),
        "--lang".as_ref(),
        "en".as_ref(),
        "--format".as_ref(),
        "csv".as_ref(),
    ]));
    assert!(out.contains("\nCO,0,0,40,0,"), "{out}");
    let csv = std::fs::read_to_string(run2.join("diff.csv")).unwrap();
    assert_eq!(csv.lines().count(), 41);
}
