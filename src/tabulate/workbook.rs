//! The tables as one Excel workbook, as the ministry hands them out: a first sheet with the
//! run's facts, then one sheet per table (named as its CSV file, its title and headers in the
//! language asked), counts as integers, rates as numbers shown as percent with the decimals
//! the rounding rule gives them, frozen headers, fitted columns, and a footnote that
//! unresolved names are kept apart.

use std::collections::HashSet;
use std::io::Write;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::render::{Lang, Table, h, number, numeric_columns};
use crate::run::Manifest;

/// The workbook's file name in a run folder's `tables/`.
pub const WORKBOOK_FILE: &str = "mailcensus.xlsx";

/// What goes into a workbook.
pub struct Book<'a> {
    /// One sheet each, in this order.
    pub tables: &'a [Table],
    /// The language of the tables, the facts and the footnotes.
    pub lang: Lang,
    /// The run whose facts make the first sheet (none for a trend, which spans several).
    pub run: Option<&'a Manifest>,
    /// The tables' rates leave unresolved names out (the survey's tables, not a query's).
    pub unresolved_apart: bool,
}

/// Write `book` as an .xlsx workbook to `out`.
pub fn write_workbook(book: &Book, mut out: impl Write) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let mut names = HashSet::new();
    let note = book.unresolved_apart.then(|| unresolved_note(book.lang));
    if let Some(m) = book.run {
        let facts = wb.add_worksheet();
        facts.set_name(sheet_name(h(book.lang, "調査の概要", "run"), &mut names))?;
        write_facts(facts, m, book.lang, &bold)?;
    }
    for t in book.tables {
        let sheet = wb.add_worksheet();
        sheet.set_name(sheet_name(t.name.clone(), &mut names))?;
        write_table(sheet, t, note.as_deref(), &bold)?;
    }
    out.write_all(&wb.save_to_buffer()?)?;
    Ok(out.flush()?)
}

/// A sheet name Excel takes: at most 31 characters, none of `[]:*?/\`, unique whatever the
/// case.
fn sheet_name(name: String, used: &mut HashSet<String>) -> String {
    let clean: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(31)
        .collect();
    let mut candidate = clean.clone();
    let mut n = 1;
    while !used.insert(candidate.to_lowercase()) {
        n += 1;
        let suffix = format!("~{n}");
        let keep = 31 - suffix.chars().count();
        candidate = clean.chars().take(keep).collect::<String>() + &suffix;
    }
    candidate
}

/// The run's facts, one a row: what was surveyed, when, through what, with what result.
fn write_facts(
    sheet: &mut Worksheet,
    m: &Manifest,
    lang: Lang,
    bold: &Format,
) -> Result<(), XlsxError> {
    let t = |ja: &str, en: &str| h(lang, ja, en);
    let text = |s: &str| Fact::Text(s.to_string());
    let psl = match &m.psl {
        Some(p) => p.display().to_string(),
        None => t("組み込み(psl クレート)", "built in (the psl crate)"),
    };
    let rows = [
        (t("入力", "input"), text(&m.input)),
        (t("対象月", "period"), Fact::Text(m.period().to_string())),
        (t("開始", "started"), text(&m.started)),
        (
            t("終了", "finished"),
            text(m.finished.as_deref().unwrap_or("-")),
        ),
        (t("リゾルバ", "resolvers"), text(&m.resolvers.join(", "))),
        (t("一覧の行", "list lines read"), Fact::Count(m.zone.read)),
        (t("重複", "duplicates"), Fact::Count(m.zone.duplicates)),
        (t("除外", "rejected"), Fact::Count(m.zone.rejected)),
        (
            t("調査したドメイン名", "names surveyed"),
            Fact::Count(m.names),
        ),
        (
            t("未解決のドメイン名", "unresolved names"),
            Fact::Count(m.unresolved_names),
        ),
        (
            t("ツール", "tool"),
            Fact::Text(format!("{} {}", m.tool, m.version)),
        ),
        (
            t("判定規則", "judgement rules"),
            Fact::Count(m.judged_by.into()),
        ),
        (t("公開接尾辞リスト", "Public Suffix List"), Fact::Text(psl)),
        (t("コマンド", "command"), text(&m.command.join(" "))),
    ];
    sheet.write_string_with_format(0, 0, t("調査の概要", "The run"), bold)?;
    for (i, (label, fact)) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string_with_format(row, 0, label, bold)?;
        match fact {
            Fact::Text(s) => sheet.write_string(row, 1, s)?,
            Fact::Count(n) => sheet.write_number(row, 1, *n as f64)?,
        };
    }
    sheet.write_string(rows.len() as u32 + 2, 0, unresolved_note(lang))?;
    sheet.autofit();
    Ok(())
}

enum Fact {
    Text(String),
    Count(u64),
}

/// The file beside the CSV tables that says what each is over, since a CSV file has no room
/// for a title or a footnote that a reader of its cells would not trip on.
pub const INDEX_FILE: &str = "README.txt";

/// The text of [`INDEX_FILE`]: each table's file and its title (which names the rates'
/// denominators), then the footnote every table shares.
pub fn tables_index(tables: &[Table], lang: Lang) -> String {
    let mut out = h(
        lang,
        "各表のファイルと表題(率の分母を含む)\n\n",
        "Each table's file and title (which names what its rates are over)\n\n",
    );
    for t in tables {
        out.push_str(&format!("{}.csv\t{}\n", t.name, t.title));
    }
    out.push_str(&format!("{WORKBOOK_FILE}\t"));
    out.push_str(&h(
        lang,
        "全表を1冊にしたもの\n",
        "every table in one workbook\n",
    ));
    out.push('\n');
    out.push_str(&unresolved_note(lang));
    out.push('\n');
    out
}

/// The footnote of every survey table: unresolved names are kept apart.
pub fn unresolved_note(lang: Lang) -> String {
    h(
        lang,
        "未解決(タイムアウト・SERVFAIL 等)のドメイン名は分母に含めず、未解決の列に別に数えています。",
        "Names whose lookups stayed unresolved (timeouts, SERVFAIL) are left out of every denominator and counted apart in the unresolved columns.",
    )
}

/// What a numeric column holds, from its header in either language.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Number,
    /// A rate in percent: shown as percent, with the decimals its cell has.
    Rate,
    /// A change in percentage points, signed.
    Points,
}

fn kind(header: &str, numeric: bool) -> Kind {
    let rate = header == "pct"
        || header.ends_with("_pct")
        || header.contains("_pct_")
        || header.contains("(%)")
        || header.contains("(%)");
    match numeric {
        false => Kind::Text,
        true if header == "change_points" || header.contains("(ポイント)") => Kind::Points,
        true if rate => Kind::Rate,
        true => Kind::Number,
    }
}

/// One table: its title, its headers (frozen), its rows, the footnote.
fn write_table(
    sheet: &mut Worksheet,
    t: &Table,
    note: Option<&str>,
    bold: &Format,
) -> Result<(), XlsxError> {
    let kinds: Vec<Kind> = t
        .headers
        .iter()
        .zip(numeric_columns(t))
        .map(|(header, numeric)| kind(header, numeric))
        .collect();
    let points = Format::new().set_num_format("+0.0;-0.0;0.0");
    let percent: Vec<Format> = ["0%", "0.0%", "0.00%"]
        .iter()
        .map(|f| Format::new().set_num_format(*f))
        .collect();
    sheet.write_string_with_format(0, 0, &t.title, bold)?;
    for (c, header) in t.headers.iter().enumerate() {
        sheet.write_string_with_format(1, c as u16, header, bold)?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        let r = r as u32 + 2;
        for (c, (cell, kind)) in row.iter().zip(&kinds).enumerate() {
            let c = c as u16;
            match (kind, number(cell)) {
                (Kind::Text, _) | (_, None) => sheet.write_string(r, c, cell)?,
                (Kind::Number, Some(x)) => sheet.write_number(r, c, x)?,
                (Kind::Points, Some(x)) => sheet.write_number_with_format(r, c, x, &points)?,
                (Kind::Rate, Some(x)) => {
                    let decimals = cell.split_once('.').map_or(0, |(_, d)| d.len()).min(2);
                    sheet.write_number_with_format(r, c, x / 100.0, &percent[decimals])?
                }
            };
        }
    }
    if let Some(note) = note {
        sheet.write_string(t.rows.len() as u32 + 3, 0, note)?;
    }
    sheet.set_freeze_panes(2, 1)?;
    sheet.autofit();
    Ok(())
}
