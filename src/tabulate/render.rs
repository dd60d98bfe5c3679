//! Tables as text: publication CSV (UTF-8 with BOM, Japanese headers by default), JSON,
//! Markdown, and aligned columns for the terminal.

use std::io::{self, Write};

use serde::Serialize;

use super::{LgGroup, LgRow, Measure, Rated, Scope, TableName, TypeRow, marks};
use crate::policy::compliance::Verdict;
use crate::policy::dmarc::Protection;
use crate::policy::spf::{SpfVerdict, TreeVerdict};
use crate::zone::{JpType, refdata};

crate::codes! {
    /// The language of headers and titles.
    pub enum Lang {
        Ja => "ja",
        En => "en",
    }
}

crate::codes! {
    /// How tables are written out.
    pub enum OutputFormat {
        /// Aligned columns for reading on a terminal.
        Table => "table",
        /// CSV; written with a UTF-8 BOM so that Excel opens the Japanese as is.
        Csv => "csv",
        Json => "json",
        Markdown => "markdown",
        /// An Excel workbook, a sheet a table (binary: redirect it to a file).
        Xlsx => "xlsx",
    }
}

/// A titled grid of cells; every count is published beside its percentage.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    /// File stem under `tables/`.
    pub name: String,
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

pub fn h(lang: Lang, ja: &str, en: &str) -> String {
    match lang {
        Lang::Ja => ja.to_string(),
        Lang::En => en.to_string(),
    }
}

fn measure_cells(m: &Measure, scope: Scope) -> [String; 3] {
    [
        m.count.to_string(),
        m.pct(scope).unwrap_or_else(|| "-".to_string()),
        m.unresolved.to_string(),
    ]
}

pub fn type_table(rows: &[(Option<JpType>, TypeRow)], lang: Lang) -> Table {
    let rows: Vec<(String, TypeRow, Scope)> = rows
        .iter()
        .map(|(t, r)| (type_label(*t, lang), *r, Scope::of_type(*t)))
        .collect();
    ministry_table(
        TableName::JpTypes.code(),
        h(
            lang,
            "JPドメイン名の種別ごとのSPF/DMARC設定状況(MXはドメイン名、SPF・DMARCはMXありドメイン名に対する割合。未解決は除く)",
            "SPF/DMARC adoption of JP domain names by registration type (MX over the names, SPF and DMARC over the names with MX; unresolved names kept apart)",
        ),
        h(lang, "種別", "type"),
        &rows,
        lang,
    )
}

/// The count, rate and unresolved headers of a measure (`MX`, `SPF`, `DMARC`); `of_mx`
/// (`対MX,`) where its rate is over the names with MX, which the English headers say with
/// `_of_mx`.
fn measure_headers(measure: &str, of_mx: &str, lang: Lang) -> [String; 3] {
    let en = measure.to_ascii_lowercase();
    let pct = match of_mx.is_empty() {
        true => format!("{en}_pct"),
        false => format!("{en}_pct_of_mx"),
    };
    [
        h(lang, &format!("{measure}数"), &en),
        h(lang, &format!("{measure}率({of_mx}%)"), &pct),
        h(
            lang,
            &format!("{measure}未解決"),
            &format!("{en}_unresolved"),
        ),
    ]
}

/// The ministry's table (names, MX over all, SPF and DMARC over the names with MX, each
/// with its unresolved) for labelled groups, each row rounded as its scope says.
pub fn ministry_table(
    name: &str,
    title: String,
    group_header: String,
    rows: &[(String, TypeRow, Scope)],
    lang: Lang,
) -> Table {
    let mut headers = vec![group_header, h(lang, "ドメイン名数", "domains")];
    headers.extend(measure_headers("MX", "", lang));
    headers.push(h(lang, "Null MX数", "null_mx"));
    headers.extend(measure_headers("SPF", "対MX,", lang));
    headers.extend(measure_headers("DMARC", "対MX,", lang));
    let body = rows
        .iter()
        .map(|(label, r, scope)| {
            let mut row = vec![label.clone(), r.names.to_string()];
            row.extend(measure_cells(&r.mx, *scope));
            row.push(r.null_mx.to_string());
            row.extend(measure_cells(&r.spf, *scope));
            row.extend(measure_cells(&r.dmarc, *scope));
            row
        })
        .collect();
    Table {
        name: name.to_string(),
        title,
        headers,
        rows: body,
    }
}

pub fn type_label(t: Option<JpType>, lang: Lang) -> String {
    match (t, lang) {
        (None, Lang::Ja) => "全体".to_string(),
        (None, Lang::En) => "ALL".to_string(),
        (Some(t), Lang::Ja) => t.name_ja().to_string(),
        (Some(t), Lang::En) => t.code().to_string(),
    }
}

/// A class table: counts per class of the names with MX, unresolved, and the share of the
/// classes `share` marks among the settled ones; one row per labelled group.
fn class_render(
    name: TableName,
    title: String,
    group_header: String,
    classes: Vec<String>,
    (share, share_header): (Vec<bool>, String),
    rows: Vec<(String, &Vec<u64>)>,
    lang: Lang,
) -> Table {
    let mut headers = vec![group_header, h(lang, "MXありドメイン名数", "mx_domains")];
    headers.extend(classes);
    headers.push(h(lang, "未解決", "unresolved"));
    headers.push(share_header);
    let body = rows
        .into_iter()
        .map(|(label, counts)| {
            let total: u64 = counts.iter().sum();
            let mut row = vec![label, total.to_string()];
            row.extend(counts.iter().map(u64::to_string));
            row.push(
                Measure::of_classes(counts, &share)
                    .pct(Scope::Part)
                    .unwrap_or_else(|| "-".to_string()),
            );
            row
        })
        .collect();
    Table {
        name: name.code().to_string(),
        title,
        headers,
        rows: body,
    }
}

fn by_type(rows: &[(Option<JpType>, Vec<u64>)], lang: Lang) -> Vec<(String, &Vec<u64>)> {
    rows.iter()
        .map(|(t, c)| (type_label(*t, lang), c))
        .collect()
}

pub fn protection_classes(lang: Lang) -> Vec<String> {
    Protection::ALL
        .iter()
        .map(|p| match (p, lang) {
            (Protection::Reduced, Lang::Ja) => "pct<100".to_string(),
            (Protection::Invalid, Lang::Ja) => "無効".to_string(),
            (Protection::Absent, Lang::Ja) => "DMARCなし".to_string(),
            (p, _) => p.code().to_string(),
        })
        .collect()
}

fn strong_header(lang: Lang) -> (Vec<bool>, String) {
    (
        marks(Protection::enforced),
        h(lang, "quarantine以上率(%)", "quarantine_or_reject_pct"),
    )
}

/// Which DMARC reading a strength table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strength {
    /// The name's own record, RFC 7489.
    Own,
    /// The policy that applies after RFC 9989 discovery (own or inherited).
    Effective9989,
}

/// DMARC policy strength of the names with MX and the share at quarantine or reject.
pub fn strength_table(rows: &[(Option<JpType>, Vec<u64>)], which: Strength, lang: Lang) -> Table {
    let (name, title) = match which {
        Strength::Own => (
            TableName::DmarcStrength,
            h(
                lang,
                "DMARCポリシーの強さ(MXありドメイン名、自身のレコード、RFC 7489による読み)",
                "DMARC policy strength of names with MX (own record, RFC 7489 reading)",
            ),
        ),
        Strength::Effective9989 => (
            TableName::DmarcEffective,
            h(
                lang,
                "適用されるDMARCポリシーの強さ(MXありドメイン名、上位ドメインからの継承を含む、RFC 9989)",
                "DMARC policy that applies to names with MX, inherited ones included (RFC 9989 tree walk)",
            ),
        ),
    };
    class_render(
        name,
        title,
        h(lang, "種別", "type"),
        protection_classes(lang),
        strong_header(lang),
        by_type(rows, lang),
        lang,
    )
}

/// DMARC policy strength of the local governments' names with MX, per region.
pub fn lg_strength_table(rows: &[(LgGroup, Vec<u64>)], lang: Lang) -> Table {
    class_render(
        TableName::DmarcStrengthLocalgovRegions,
        h(
            lang,
            "地方公共団体のDMARCポリシーの強さ(MXありドメイン名、地域別、RFC 7489による読み)",
            "DMARC policy strength of local governments with MX by region (RFC 7489 reading)",
        ),
        h(lang, "地域", "region"),
        protection_classes(lang),
        strong_header(lang),
        rows.iter().map(|(g, c)| (lg_label(*g, lang), c)).collect(),
        lang,
    )
}

/// Where the DMARC policy of the names with MX comes from, and where the two standards'
/// readings part.
pub fn discovery_table(rows: &[(Option<JpType>, Vec<u64>)], lang: Lang) -> Table {
    let mut headers = vec![
        h(lang, "種別", "type"),
        h(lang, "自身のDMARCあり", "own_record"),
        h(lang, "継承(RFC 7489 組織ドメイン)", "inherited_rfc7489"),
        h(lang, "継承(RFC 9989 ツリーウォーク)", "inherited_rfc9989"),
        h(lang, "両規格で継承元が異なる", "discovery_differs"),
    ];
    headers.push(h(lang, "未解決", "unresolved"));
    let body = rows
        .iter()
        .map(|(t, counts)| {
            let mut row = vec![type_label(*t, lang)];
            row.extend(counts.iter().map(u64::to_string));
            row
        })
        .collect();
    Table {
        name: TableName::DmarcDiscovery.code().to_string(),
        title: h(
            lang,
            "DMARCポリシーの所在(MXありドメイン名):自身のレコードと上位ドメインからの継承",
            "Where the DMARC policy of names with MX comes from: own record or inherited",
        ),
        headers,
        rows: body,
    }
}

/// SPF verdicts of the names with MX and the share ending in `-all` (a failed tree lookup
/// among the unresolved).
pub fn spf_verdict_table(rows: &[(Option<JpType>, Vec<u64>)], lang: Lang) -> Table {
    let classes = SpfVerdict::settled()
        .map(|v| match (v, lang) {
            (SpfVerdict::Invalid, Lang::Ja) => "無効".to_string(),
            (SpfVerdict::LookupLimit, Lang::Ja) => "参照上限超過".to_string(),
            (SpfVerdict::Absent, Lang::Ja) => "SPFなし".to_string(),
            (v, _) => v.code().to_string(),
        })
        .collect();
    class_render(
        TableName::SpfVerdicts,
        h(
            lang,
            "SPFの判定(MXありドメイン名、RFC 7208)",
            "SPF verdicts of names with MX (RFC 7208)",
        ),
        h(lang, "種別", "type"),
        classes,
        (
            SpfVerdict::settled()
                .map(|v| v == SpfVerdict::HardFail)
                .collect(),
            h(lang, "-all率(%)", "hard_fail_pct"),
        ),
        by_type(rows, lang),
        lang,
    )
}

/// SPF error classes of the names with MX that publish SPF, and the share without error.
pub fn spf_error_table(rows: &[(Option<JpType>, Vec<u64>)], lang: Lang) -> Table {
    let classes = super::spf_error_classes();
    let mut t = class_render(
        TableName::SpfErrors,
        h(
            lang,
            "SPFレコードのエラー分類(MX・SPFありドメイン名、RFC 7208)",
            "SPF error classes of names with MX and SPF (RFC 7208)",
        ),
        h(lang, "種別", "type"),
        classes.iter().map(|c| c.to_string()).collect(),
        (
            classes
                .iter()
                .map(|c| *c != TreeVerdict::Ok.code())
                .collect(),
            h(lang, "エラー率(%)", "error_pct"),
        ),
        by_type(rows, lang),
        lang,
    );
    t.headers[1] = h(lang, "MX・SPFありドメイン名数", "mx_spf_domains");
    t
}

/// A rates table: per group its names, then for each rate the count, its denominator (the
/// names it was settled for; a check that did not run settles none) and the percentage.
pub fn rates_table(
    name: TableName,
    title: String,
    group_header: String,
    rates: &[(&str, &str)],
    rows: Vec<(String, Rated)>,
    lang: Lang,
) -> Table {
    let mut headers = vec![group_header, h(lang, "ドメイン名数", "domains")];
    for &(ja, en) in rates {
        headers.extend([
            h(lang, &format!("{ja}数"), en),
            h(lang, &format!("{ja}(分母)"), &format!("{en}_of")),
            h(lang, &format!("{ja}率(%)"), &format!("{en}_pct")),
        ]);
    }
    let body = rows
        .into_iter()
        .map(|(label, (names, ms))| rated_row(label, names, &ms))
        .collect();
    Table {
        name: name.to_string(),
        title,
        headers,
        rows: body,
    }
}

/// The compliance verdicts' class labels, short enough for a column header.
pub fn verdict_classes(lang: Lang) -> Vec<String> {
    Verdict::ALL
        .iter()
        .map(|v| {
            let ja = match v {
                Verdict::Compliant => "適合",
                Verdict::CompliantWithAdvice => "適合(推奨事項あり)",
                Verdict::NoMailNotReject => "メール不使用でreject以外",
                Verdict::WeakPolicy => "none・一部適用",
                Verdict::DmarcInvalid => "DMARC無効",
                Verdict::NoDmarc => "DMARCなし",
            };
            h(lang, ja, v.code())
        })
        .collect()
}

/// A table of the 2025 guideline's verdicts over all the group's names, and the share meeting
/// its requirements.
fn verdict_render(
    name: TableName,
    title: String,
    group_header: String,
    rows: Vec<(String, &Vec<u64>)>,
    lang: Lang,
) -> Table {
    let mut t = class_render(
        name,
        title,
        group_header,
        verdict_classes(lang),
        (
            marks(Verdict::meets_requirements),
            h(lang, "基準を満たす率(%)", "meets_guideline_pct"),
        ),
        rows,
        lang,
    );
    t.headers[1] = h(lang, "ドメイン名数", "domains");
    t
}

/// The 2025 guideline's verdicts per type.
pub fn compliance_table(rows: &[(Option<JpType>, Vec<u64>)], lang: Lang) -> Table {
    verdict_render(
        TableName::Compliance,
        h(
            lang,
            "2025年ガイドライン(6.2.2(1)-3)に照らした判定(全ドメイン名、DMARCは組織ドメインからの適用を含む)",
            "Verdicts against the 2025 guideline (6.2.2(1)-3), all names (DMARC as it applies)",
        ),
        h(lang, "種別", "type"),
        by_type(rows, lang),
        lang,
    )
}

/// The same per prefecture.
pub fn compliance_prefecture_table(rows: &[(u8, Vec<u64>)], lang: Lang) -> Table {
    verdict_render(
        TableName::CompliancePrefectures,
        h(
            lang,
            "都道府県別 2025年ガイドラインに照らした判定(都道府県に属するドメイン名)",
            "Verdicts against the 2025 guideline by prefecture (names with a prefecture)",
        ),
        h(lang, "都道府県", "prefecture"),
        rows.iter()
            .map(|(c, v)| (lg_label(LgGroup::Prefecture(*c), lang), v))
            .collect(),
        lang,
    )
}

pub fn lg_label(g: LgGroup, lang: Lang) -> String {
    match (g, lang) {
        (LgGroup::Region(x), Lang::Ja) => x.name_ja().to_string(),
        (LgGroup::Region(x), Lang::En) => x.name_en().to_string(),
        (LgGroup::Prefecture(c), l) => refdata()
            .prefecture(c)
            .map(|p| match l {
                Lang::Ja => p.name_ja.clone(),
                Lang::En => p.name_en.clone(),
            })
            .unwrap_or_else(|| c.to_string()),
        (LgGroup::All, Lang::Ja) => "全国".to_string(),
        (LgGroup::All, Lang::En) => "All".to_string(),
    }
}

/// A local-government table, per region or (`by_pref`) per prefecture.
pub fn lg_table(name: TableName, rows: &[(LgGroup, LgRow)], by_pref: bool, lang: Lang) -> Table {
    let mut headers = vec![if by_pref {
        h(lang, "都道府県", "prefecture")
    } else {
        h(lang, "地域", "region")
    }];
    headers.push(h(lang, "ドメイン名数", "domains"));
    for m in ["MX", "SPF", "DMARC"] {
        headers.extend(measure_headers(m, "", lang));
    }
    let body = rows
        .iter()
        .map(|(g, r)| {
            let label = lg_label(*g, lang);
            let mut row = vec![label, r.names.to_string()];
            row.extend(measure_cells(&r.mx, Scope::Part));
            row.extend(measure_cells(&r.spf, Scope::Part));
            row.extend(measure_cells(&r.dmarc, Scope::Part));
            row
        })
        .collect();
    Table {
        name: name.to_string(),
        title: if by_pref {
            h(
                lang,
                "地方公共団体のSPF/DMARC設定状況(都道府県別、地方公共団体のドメイン名に対する割合。未解決は除く)",
                "SPF/DMARC of local governments by prefecture (shares of the names of the local governments; unresolved names kept apart)",
            )
        } else {
            h(
                lang,
                "地方公共団体のSPF/DMARC設定状況(地域別、地方公共団体のドメイン名に対する割合。未解決は除く)",
                "SPF/DMARC of local governments by region (shares of the names of the local governments; unresolved names kept apart)",
            )
        },
        headers,
        rows: body,
    }
}

/// A cell as a number, where it is one: an integer, a decimal (a rate, a change in points
/// such as `+1.5`); `None` for text and for numbers written with a leading zero (a prefecture
/// code `01`), which stay text.
pub(super) fn number(cell: &str) -> Option<f64> {
    let digits = cell.trim_start_matches(['+', '-']);
    let leading_zero = digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.");
    if leading_zero || !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    cell.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Which columns of `t` hold numbers: every cell a number or `-` (none), at least one a
/// number; never the first, the row's label.
pub(super) fn numeric_columns(t: &Table) -> Vec<bool> {
    (0..t.headers.len())
        .map(|i| {
            let cells = || t.rows.iter().filter_map(|r| r.get(i)).filter(|c| *c != "-");
            i > 0 && cells().next().is_some() && cells().all(|c| number(c).is_some())
        })
        .collect()
}

/// A cell of a numeric column as JSON: an integer, a decimal, or null for `-`.
fn json_number(cell: &str) -> serde_json::Value {
    match cell.parse::<i64>() {
        Ok(n) => n.into(),
        Err(_) => number(cell)
            .and_then(serde_json::Number::from_f64)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
    }
}

/// The rows of `t` as JSON objects keyed by `keys`: numeric columns ([`numeric_columns`])
/// have numbers (`-` is null), the others text.
fn typed_rows(t: &Table, keys: &[String]) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let numeric = numeric_columns(t);
    t.rows
        .iter()
        .map(|r| {
            keys.iter()
                .zip(r)
                .zip(&numeric)
                .map(|((k, cell), &numeric)| {
                    let v = match numeric {
                        true => json_number(cell),
                        false => serde_json::Value::String(cell.clone()),
                    };
                    (k.clone(), v)
                })
                .collect()
        })
        .collect()
}

/// Tables as one JSON document: per table its name, English and Japanese titles, its columns
/// (the English key and the Japanese header) and its rows keyed in English, numbers as
/// numbers. `en` and `ja` are the same tables in each language.
pub fn tables_json(en: &[Table], ja: &[Table]) -> serde_json::Value {
    let tables: Vec<serde_json::Value> = en
        .iter()
        .zip(ja)
        .map(|(e, j)| {
            let columns: Vec<serde_json::Value> = e
                .headers
                .iter()
                .zip(&j.headers)
                .map(|(key, ja)| serde_json::json!({ "key": key, "ja": ja }))
                .collect();
            serde_json::json!({
                "name": e.name,
                "title": e.title,
                "title_ja": j.title,
                "columns": columns,
                "rows": typed_rows(e, &e.headers),
            })
        })
        .collect();
    serde_json::json!({ "tables": tables })
}

/// Display width with East Asian wide characters as two columns.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
        .sum()
}

pub fn render(t: &Table, format: OutputFormat, mut out: impl Write) -> io::Result<()> {
    match format {
        OutputFormat::Csv => {
            out.write_all("\u{FEFF}".as_bytes())?;
            let mut w = csv::Writer::from_writer(out);
            w.write_record(&t.headers)?;
            for r in &t.rows {
                w.write_record(r)?;
            }
            w.flush()
        }
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &typed_rows(t, &t.headers))?;
            writeln!(out)
        }
        // One table alone: a query's result, whose column names are English. The survey's
        // tables go whole into one workbook with the run's facts (`write_workbook`).
        OutputFormat::Xlsx => {
            let book = super::Book {
                tables: std::slice::from_ref(t),
                lang: Lang::En,
                run: None,
                unresolved_apart: false,
            };
            super::write_workbook(&book, out).map_err(io::Error::other)
        }
        OutputFormat::Markdown => {
            writeln!(out, "### {}\n", t.title)?;
            writeln!(out, "| {} |", t.headers.join(" | "))?;
            let seps: Vec<String> = t
                .headers
                .iter()
                .enumerate()
                .map(|(i, _)| if i == 0 { "---" } else { "---:" }.to_string())
                .collect();
            writeln!(out, "|{}|", seps.join("|"))?;
            for r in &t.rows {
                writeln!(out, "| {} |", r.join(" | "))?;
            }
            Ok(())
        }
        OutputFormat::Table => {
            let cols = t.headers.len();
            let widths: Vec<usize> = (0..cols)
                .map(|i| {
                    t.rows
                        .iter()
                        .map(|r| width(&r[i]))
                        .chain([width(&t.headers[i])])
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let line = |cells: &[String]| -> String {
                cells
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let pad = " ".repeat(widths[i] - width(c));
                        if i == 0 {
                            format!("{c}{pad}")
                        } else {
                            format!("{pad}{c}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("  ")
            };
            writeln!(out, "{}", t.title)?;
            writeln!(out, "{}", line(&t.headers))?;
            for r in &t.rows {
                writeln!(out, "{}", line(r))?;
            }
            Ok(())
        }
    }
}

/// A rates table's row: the label, the names, then count, denominator and % of each measure.
pub fn rated_row<'a>(
    label: String,
    names: u64,
    measures: impl IntoIterator<Item = &'a Measure>,
) -> Vec<String> {
    let mut row = vec![label, names.to_string()];
    for m in measures {
        row.extend([
            m.count.to_string(),
            m.denominator.to_string(),
            m.pct(Scope::Part).unwrap_or_else(|| "-".to_string()),
        ]);
    }
    row
}
