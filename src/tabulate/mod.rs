//! The ministry's tables from `results.parquet` (Polars lazy queries), with the rounding rule
//! in one place and unresolved lookups kept out of every denominator.

mod checks;
mod render;
mod trend;

pub use checks::{compliance_prefecture_table, compliance_table, verdict_classes};
pub use render::{Lang, OutputFormat, Table, h, lg_label, protection_classes, render, type_label};
pub use trend::{TrendSeries, change_points, trend_series, trend_table};

use std::path::Path;

use polars::prelude::*;

use crate::policy::dmarc::Protection;
use crate::policy::spf::SpfVerdict;
use crate::zone::{JpType, Region, refdata};

#[derive(Debug, thiserror::Error)]
pub enum TabulateError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: polars::error::PolarsError,
    },
    #[error("query failed: {0}")]
    Query(#[from] polars::error::PolarsError),
}

/// `num / den` as a percentage rounded half up to `decimals` places, exactly (integer
/// arithmetic: no binary floating point at the .x5 edges). `None` when `den` is 0.
pub fn percent_half_up(num: u64, den: u64, decimals: u32) -> Option<String> {
    if den == 0 {
        return None;
    }
    let scale = 10u128.pow(decimals);
    let v = u128::from(num) * 100 * scale;
    let (mut q, r) = (v / u128::from(den), v % u128::from(den));
    if 2 * r >= u128::from(den) {
        q += 1;
    }
    Some(if decimals == 0 {
        q.to_string()
    } else {
        format!(
            "{}.{:0width$}",
            q / scale,
            q % scale,
            width = decimals as usize
        )
    })
}

/// One rate: how many have it, over how many it was settled for, and how many are unresolved
/// (left out of the denominator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Measure {
    pub count: u64,
    pub denominator: u64,
    pub unresolved: u64,
}

impl Measure {
    pub fn pct(&self, decimals: u32) -> Option<String> {
        percent_half_up(self.count, self.denominator, decimals)
    }
}

/// A row of the per-type table: MX over all names; SPF and DMARC over the names with MX.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TypeRow {
    pub names: u64,
    pub mx: Measure,
    pub null_mx: u64,
    pub spf: Measure,
    pub dmarc: Measure,
}

/// A row of the local-government table: every rate over all the group's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LgRow {
    pub names: u64,
    pub mx: Measure,
    pub spf: Measure,
    pub dmarc: Measure,
}

/// The grouping key of a local-government row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LgGroup {
    Region(Region),
    Prefecture(u8),
    All,
}

fn flag(name: &str) -> Expr {
    col(name).fill_null(lit(false))
}

fn known(name: &str) -> Expr {
    col(name).is_not_null()
}

fn count(e: Expr, alias: &str) -> Expr {
    e.cast(DataType::UInt64).sum().alias(alias)
}

/// The aggregations both tables need, per group.
fn aggregations(over_mx: bool) -> Vec<Expr> {
    let base = if over_mx { flag("has_mx") } else { lit(true) };
    vec![
        len().cast(DataType::UInt64).alias("names"),
        count(flag("has_mx"), "mx"),
        count(known("has_mx"), "mx_known"),
        count(flag("null_mx"), "null_mx"),
        count(base.clone().and(flag("has_spf")), "spf"),
        count(base.clone().and(known("has_spf")), "spf_known"),
        count(base.clone().and(col("has_spf").is_null()), "spf_unresolved"),
        count(base.clone().and(flag("has_dmarc")), "dmarc"),
        count(base.clone().and(known("has_dmarc")), "dmarc_known"),
        count(base.and(col("has_dmarc").is_null()), "dmarc_unresolved"),
    ]
}

struct Agg {
    names: u64,
    mx: Measure,
    null_mx: u64,
    spf: Measure,
    dmarc: Measure,
}

fn u(df: &DataFrame, name: &str, i: usize) -> u64 {
    df.column(name)
        .ok()
        .and_then(|c| c.get(i).ok())
        .and_then(|v| v.extract::<u64>())
        .unwrap_or(0)
}

fn read_agg(df: &DataFrame, i: usize) -> Agg {
    let names = u(df, "names", i);
    let mx_known = u(df, "mx_known", i);
    Agg {
        names,
        mx: Measure {
            count: u(df, "mx", i),
            denominator: mx_known,
            unresolved: names - mx_known,
        },
        null_mx: u(df, "null_mx", i),
        spf: Measure {
            count: u(df, "spf", i),
            denominator: u(df, "spf_known", i),
            unresolved: u(df, "spf_unresolved", i),
        },
        dmarc: Measure {
            count: u(df, "dmarc", i),
            denominator: u(df, "dmarc_known", i),
            unresolved: u(df, "dmarc_unresolved", i),
        },
    }
}

/// Scan the results of one or several runs as one frame.
pub fn scan_results(paths: &[impl AsRef<Path>]) -> Result<LazyFrame, TabulateError> {
    let frames = paths
        .iter()
        .map(|p| {
            let p = p.as_ref();
            LazyFrame::scan_parquet(
                PlRefPath::try_from_path(p).map_err(|source| TabulateError::Read {
                    path: p.display().to_string(),
                    source,
                })?,
                ScanArgsParquet::default(),
            )
            .map_err(|source| TabulateError::Read {
                path: p.display().to_string(),
                source,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(concat(frames, UnionArgs::default())?)
}

fn group_totals(
    lf: LazyFrame,
    key: Expr,
    over_mx: bool,
) -> Result<Vec<(AnyValue<'static>, Agg)>, TabulateError> {
    let df = lf.group_by([key]).agg(aggregations(over_mx)).collect()?;
    let keys = df.columns()[0].clone();
    Ok((0..df.height())
        .map(|i| {
            (
                keys.get(i)
                    .map(|v| v.into_static())
                    .unwrap_or(AnyValue::Null),
                read_agg(&df, i),
            )
        })
        .collect())
}

/// The ministry's per-type table: each JP type in the published order, then all of .jp
/// (`None`), then names outside .jp if there are any (never part of the all-.jp line).
pub fn jp_type_table(lf: LazyFrame) -> Result<Vec<(Option<JpType>, TypeRow)>, TabulateError> {
    let groups = group_totals(lf, col("jp_type"), true)?;
    let row_of = |a: &Agg| TypeRow {
        names: a.names,
        mx: a.mx,
        null_mx: a.null_mx,
        spf: a.spf,
        dmarc: a.dmarc,
    };
    let mut by_type = std::collections::HashMap::new();
    for (k, a) in &groups {
        if let Some(t) = k.get_str().and_then(|s| s.parse::<JpType>().ok()) {
            by_type.insert(t.code().to_string(), row_of(a));
        }
    }
    Ok(rows_by_type(by_type, TypeRow::default(), add_type_row))
}

/// Add counts slot by slot; shaped `(&mut T, &T)` to be the adder of [`rows_by_type`].
#[allow(clippy::ptr_arg)]
fn add_counts(a: &mut Vec<u64>, b: &Vec<u64>) {
    a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
}

fn add_measure(a: &mut Measure, b: &Measure) {
    a.count += b.count;
    a.denominator += b.denominator;
    a.unresolved += b.unresolved;
}

fn add_type_row(all: &mut TypeRow, r: &TypeRow) {
    all.names += r.names;
    all.null_mx += r.null_mx;
    add_measure(&mut all.mx, &r.mx);
    add_measure(&mut all.spf, &r.spf);
    add_measure(&mut all.dmarc, &r.dmarc);
}

/// Rows of a local-government table.
pub type LgRows = Vec<(LgGroup, LgRow)>;

/// The local-government table: the names of the 1,788 (those with a local-government code),
/// per region in the published order, then all; and per prefecture.
pub fn localgov_tables(lf: LazyFrame) -> Result<(LgRows, LgRows), TabulateError> {
    let lg = lf.filter(col("lgcode").is_not_null());
    let prefs = group_totals(lg, col("prefecture_code"), false)?;
    let row_of = |a: &Agg| LgRow {
        names: a.names,
        mx: a.mx,
        spf: a.spf,
        dmarc: a.dmarc,
    };
    let rd = refdata();
    let mut by_pref: Vec<(u8, LgRow)> = prefs
        .iter()
        .filter_map(|(k, a)| {
            let code = k.extract::<u8>()?;
            Some((code, row_of(a)))
        })
        .collect();
    by_pref.sort_by_key(|(c, _)| *c);
    let add = |acc: &mut LgRow, r: &LgRow| {
        acc.names += r.names;
        add_measure(&mut acc.mx, &r.mx);
        add_measure(&mut acc.spf, &r.spf);
        add_measure(&mut acc.dmarc, &r.dmarc);
    };
    let mut regions = Vec::new();
    let mut all = LgRow::default();
    for region in Region::ALL {
        let mut acc = LgRow::default();
        for (code, r) in &by_pref {
            if rd.prefecture(*code).map(|p| p.region) == Some(region) {
                add(&mut acc, r);
            }
        }
        add(&mut all, &acc);
        regions.push((LgGroup::Region(region), acc));
    }
    regions.push((LgGroup::All, all));
    let prefectures = by_pref
        .into_iter()
        .map(|(c, r)| (LgGroup::Prefecture(c), r))
        .collect();
    Ok((regions, prefectures))
}

/// Rows of a class table: a type (`None`: all of .jp) and its counts per class, then
/// unresolved.
pub type ClassRows = Vec<(Option<JpType>, Vec<u64>)>;

/// How the names of `lf` fall into the classes `codes` of `value` (the last slot: null, the
/// lookup unresolved), per value of the string column `key`.
fn class_counts(
    lf: LazyFrame,
    key: &str,
    value: Expr,
    codes: &[&str],
) -> Result<std::collections::HashMap<String, Vec<u64>>, TabulateError> {
    let column = "class";
    let df = lf
        .group_by([col(key), value.alias(column)])
        .agg([len().cast(DataType::UInt64).alias("n")])
        .collect()?;
    let width = codes.len() + 1;
    let mut by_key: std::collections::HashMap<String, Vec<u64>> = Default::default();
    for i in 0..df.height() {
        let get = |c: &str| df.column(c).ok().and_then(|c| c.get(i).ok());
        let Some(k) = get(key).and_then(|v| v.get_str().map(str::to_string)) else {
            continue;
        };
        let slot = get(column)
            .and_then(|v| v.get_str().map(str::to_string))
            .and_then(|p| codes.iter().position(|x| *x == p))
            .unwrap_or(width - 1);
        by_key.entry(k).or_insert_with(|| vec![0; width])[slot] += u(&df, "n", i);
    }
    Ok(by_key)
}

/// How the names with MX of each JP type fall into the classes `codes` of `column`, then all
/// of .jp, then names outside .jp.
pub fn class_table(
    lf: LazyFrame,
    column: &str,
    codes: &[&str],
) -> Result<ClassRows, TabulateError> {
    let by_type = class_counts(lf.filter(flag("has_mx")), "jp_type", col(column), codes)?;
    Ok(rows_by_type(by_type, vec![0; codes.len() + 1], add_counts))
}

/// Values keyed by JP type code as rows: each .jp type in the published order (`zero` where it
/// has none), all of .jp (summed with `add`), then names outside .jp if there are any (never
/// part of the all-.jp line).
fn rows_by_type<T: Clone>(
    mut by_type: std::collections::HashMap<String, T>,
    zero: T,
    add: impl Fn(&mut T, &T),
) -> Vec<(Option<JpType>, T)> {
    let mut rows = Vec::new();
    let mut all = zero.clone();
    for t in JpType::ALL.into_iter().filter(|t| t.is_jp()) {
        let r = by_type.remove(t.code()).unwrap_or_else(|| zero.clone());
        add(&mut all, &r);
        rows.push((Some(t), r));
    }
    rows.push((None, all));
    if let Some(other) = by_type.remove(JpType::Other.code()) {
        rows.push((Some(JpType::Other), other));
    }
    rows
}

/// The same for the local governments' names with MX, per region in the published order,
/// then all.
pub fn localgov_class_table(
    lf: LazyFrame,
    column: &str,
    codes: &[&str],
) -> Result<Vec<(LgGroup, Vec<u64>)>, TabulateError> {
    let lg = lf.filter(col("lgcode").is_not_null().and(flag("has_mx")));
    let by_region = class_counts(lg, "region", col(column), codes)?;
    let mut rows = Vec::new();
    let mut all = vec![0; codes.len() + 1];
    for region in Region::ALL {
        let r = by_region
            .get(region.name_ja())
            .cloned()
            .unwrap_or_else(|| vec![0; codes.len() + 1]);
        add_counts(&mut all, &r);
        rows.push((LgGroup::Region(region), r));
    }
    rows.push((LgGroup::All, all));
    Ok(rows)
}

fn protection_codes() -> Vec<&'static str> {
    Protection::ALL.iter().map(|p| p.code()).collect()
}

/// DMARC policy strength of the names with MX, from their own record read under RFC 7489
/// (`dmarc_protection`), or after policy discovery (`dmarc_effective_7489`/`_9989`).
pub fn dmarc_strength_table(lf: LazyFrame, column: &str) -> Result<ClassRows, TabulateError> {
    class_table(lf, column, &protection_codes())
}

/// SPF verdicts of the names with MX, per [`SpfVerdict::ALL`].
pub fn spf_verdict_table(lf: LazyFrame) -> Result<ClassRows, TabulateError> {
    let codes: Vec<&str> = SpfVerdict::ALL.iter().map(|v| v.code()).collect();
    class_table(lf, "spf_verdict", &codes)
}

/// The classes of [`spf_error_table`]: a parse error (RFC 7208 §4.5, §4.6, §6), else how
/// the include/redirect tree came out.
pub const SPF_ERROR_CLASSES: [&str; 10] = [
    "multiple-records",
    "syntax",
    "unknown-mechanism",
    "duplicate-modifier",
    "lookup-limit",
    "void-limit",
    "loop",
    "broken-target",
    "temperror",
    "ok",
];

/// SPF error classes of the names with MX that publish SPF, per type.
pub fn spf_error_table(lf: LazyFrame) -> Result<ClassRows, TabulateError> {
    let class = when(col("spf_error").is_not_null())
        .then(col("spf_error"))
        .otherwise(col("spf_tree"));
    let with_spf = lf.filter(flag("has_spf").and(flag("has_mx")));
    Ok(rows_by_type(
        class_counts(with_spf, "jp_type", class, &SPF_ERROR_CLASSES)?,
        vec![0; SPF_ERROR_CLASSES.len() + 1],
        add_counts,
    ))
}

/// Policy discovery per type, over the names with MX: a record of their own, a policy
/// inherited from an ancestor under RFC 7489 and under RFC 9989, names whose two discoveries
/// part, and names where discovery was unresolved.
pub fn dmarc_discovery_table(lf: LazyFrame) -> Result<ClassRows, TabulateError> {
    let src = |std: &str, code: &str| col(format!("dmarc_source_{std}").as_str()).eq(lit(code));
    let from = |std: &str| col(format!("dmarc_inherited_from_{std}").as_str());
    // The two discoveries part: one found an ancestor's policy the other did not, or another.
    let differ = from("7489")
        .neq_missing(from("9989"))
        .and(known("dmarc_source_7489").and(known("dmarc_source_9989")));
    let (e7, e9) = (col("dmarc_effective_7489"), col("dmarc_effective_9989"));
    let df = lf
        .filter(flag("has_mx"))
        .group_by([col("jp_type")])
        .agg([
            count(flag("has_dmarc"), "own"),
            count(src("7489", "inherited").fill_null(lit(false)), "i7489"),
            count(src("9989", "inherited").fill_null(lit(false)), "i9989"),
            count(differ, "differ"),
            count(e7.is_null().or(e9.is_null()), "unresolved"),
        ])
        .collect()?;
    let cols = ["own", "i7489", "i9989", "differ", "unresolved"];
    let by_type = (0..df.height())
        .filter_map(|i| {
            let t = df.column("jp_type").ok()?.get(i).ok()?;
            let counts = cols.iter().map(|c| u(&df, c, i)).collect();
            Some((t.get_str()?.to_string(), counts))
        })
        .collect();
    Ok(rows_by_type(by_type, vec![0; cols.len()], add_counts))
}

/// All tables of a run, ready to render.
pub fn tables(results: &[impl AsRef<Path>], lang: Lang) -> Result<Vec<Table>, TabulateError> {
    let lf = scan_results(results)?;
    let types = jp_type_table(lf.clone())?;
    let (regions, prefectures) = localgov_tables(lf.clone())?;
    let strength = dmarc_strength_table(lf.clone(), "dmarc_protection")?;
    let effective = dmarc_strength_table(lf.clone(), "dmarc_effective_9989")?;
    let discovery = dmarc_discovery_table(lf.clone())?;
    let lg_strength = localgov_class_table(lf.clone(), "dmarc_protection", &protection_codes())?;
    let spf = spf_verdict_table(lf.clone())?;
    let spf_errors = spf_error_table(lf.clone())?;
    let mut out = vec![
        render::type_table(&types, lang),
        render::strength_table(&strength, render::Strength::Own, lang),
        render::strength_table(&effective, render::Strength::Effective9989, lang),
        render::discovery_table(&discovery, lang),
        render::spf_verdict_table(&spf, lang),
        render::spf_error_table(&spf_errors, lang),
        render::lg_table("localgov_regions", &regions, false, lang),
        render::lg_table("localgov_prefectures", &prefectures, true, lang),
        render::lg_strength_table(&lg_strength, lang),
    ];
    // Runs written before the 2025 checks existed have none of their columns.
    if has_guideline_columns(&lf)? {
        let compliance = checks::compliance_table(lf.clone())?;
        let compliance_prefs = checks::compliance_prefecture_table(lf.clone(), false)?;
        out.extend([
            checks::gov_table(lf.clone(), lang)?,
            render::compliance_table(&compliance, lang),
            render::compliance_prefecture_table(&compliance_prefs, lang),
            checks::checks_table(lf.clone(), lang)?,
            checks::operator_table(lf, lang)?,
        ]);
    }
    Ok(out)
}

/// Whether the results carry the verdict and check columns (runs since issue 12 do).
pub fn has_guideline_columns(lf: &LazyFrame) -> Result<bool, TabulateError> {
    Ok(lf.clone().collect_schema()?.contains("compliance"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_up_at_the_edges() {
        assert_eq!(percent_half_up(1, 8, 1).unwrap(), "12.5");
        assert_eq!(percent_half_up(1, 16, 1).unwrap(), "6.3"); // 6.25 → 6.3
        assert_eq!(percent_half_up(1, 16, 2).unwrap(), "6.25");
        assert_eq!(percent_half_up(1, 32, 2).unwrap(), "3.13"); // 3.125 → 3.13
        assert_eq!(percent_half_up(1, 40, 1).unwrap(), "2.5");
        assert_eq!(percent_half_up(1, 80, 1).unwrap(), "1.3"); // 1.25 → 1.3
        assert_eq!(percent_half_up(0, 5, 1).unwrap(), "0.0");
        assert_eq!(percent_half_up(5, 5, 1).unwrap(), "100.0");
        assert_eq!(percent_half_up(211, 251, 1).unwrap(), "84.1");
        assert_eq!(percent_half_up(1_212_359, 1_485_202, 2).unwrap(), "81.63");
        assert_eq!(percent_half_up(1, 0, 1), None);
        // 0.145 in binary floating point is 0.14499…: integer arithmetic still rounds up.
        assert_eq!(percent_half_up(145, 100_000, 1).unwrap(), "0.1");
        assert_eq!(percent_half_up(29, 200, 1).unwrap(), "14.5");
        assert_eq!(percent_half_up(29, 2000, 1).unwrap(), "1.5"); // 1.45 → 1.5
    }
}
