//! The ministry's tables from `results.parquet` (Polars lazy queries over the columns the
//! [`schema`] declares), with the rounding rule in one place and unresolved lookups kept out
//! of every denominator. A results file is checked when opened: every column of its schema
//! version present with its type, every code one its enum knows.

mod checks;
mod diff;
mod groups;
mod operators;
mod registry;
mod render;
mod spf_space;
mod trend;
mod workbook;

pub use checks::{Guideline, OperatorRow};
pub use diff::{Change, Changed, diff, diff_counts, diff_table};
pub use groups::{EntityRow, Tri, by_column, by_column_table, entities, entity_tables};
pub use operators::{OperatorHealth, operator_health};
pub use registry::TableName;
pub use render::{
    Lang, OutputFormat, Table, h, lg_label, protection_classes, render, tables_json, type_label,
    verdict_classes,
};
pub use spf_space::{ProviderRow, SpaceRow};
pub use trend::{TrendSeries, change_points, trend_series, trend_table};
pub use workbook::{
    Book, INDEX_FILE, WORKBOOK_FILE, tables_index, unresolved_note, write_workbook,
};

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use crate::code::Code;
use crate::policy::dmarc::{Protection, Source};
use crate::policy::spf::{SpfErrorKind, SpfVerdict, TreeVerdict};
use crate::run::schema::{self, Column};
pub use crate::run::{Results, ResultsError};
use crate::zone::{JpType, Region, refdata};

#[derive(Debug, thiserror::Error)]
pub enum TabulateError {
    #[error(transparent)]
    Results(#[from] ResultsError),
    #[error("the results have no column `{column}`: give one of the input's columns ({inputs})")]
    NoSuchColumn { column: String, inputs: String },
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

/// What a rate is of, which decides how it is rounded. One rule for every output of the
/// ministry's rates (MX, SPF, DMARC), wherever they appear (`tabulate`, `--by`, `trend`, the
/// report): over the whole survey, two decimals, as the ministry publishes its all-.jp line;
/// over a part of it (a type, a region, a value of `--by`), one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Whole,
    Part,
}

impl Scope {
    /// The row of a type (`Some`) or of all of them (`None`).
    pub fn of_type(t: Option<JpType>) -> Scope {
        match t {
            None => Scope::Whole,
            Some(_) => Scope::Part,
        }
    }

    pub fn decimals(self) -> u32 {
        match self {
            Scope::Whole => 2,
            Scope::Part => 1,
        }
    }
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
    /// The rate in percent, rounded as [`Scope`] says.
    pub fn pct(&self, scope: Scope) -> Option<String> {
        percent_half_up(self.count, self.denominator, scope.decimals())
    }

    /// The names of the classes `hit` marks among the settled ones, from a class row (a count
    /// per class, then the unresolved).
    pub fn of_classes(counts: &[u64], hit: &[bool]) -> Measure {
        let (unresolved, classes) = counts.split_last().expect("a class row ends in unresolved");
        debug_assert_eq!(classes.len(), hit.len());
        Measure {
            count: classes
                .iter()
                .zip(hit)
                .filter(|(_, h)| **h)
                .map(|(n, _)| n)
                .sum(),
            denominator: classes.iter().sum(),
            unresolved: *unresolved,
        }
    }
}

/// A group's names and its rates (of a rates table).
pub type Rated = (u64, Vec<Measure>);

/// Which of `T`'s classes `pick` takes, in `T::ALL` order (for [`Measure::of_classes`]).
pub fn marks<T: Code>(pick: impl Fn(T) -> bool) -> Vec<bool> {
    T::ALL.iter().map(|&c| pick(c)).collect()
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

/// A presence flag read as false where the lookup failed (for counting the ones that hold).
fn flag(c: &Column) -> Expr {
    col(c.name).fill_null(lit(false))
}

/// The column is settled (not null).
fn known(c: &Column) -> Expr {
    col(c.name).is_not_null()
}

/// The code column `c` holds one of `values` (false where null).
fn is_in<T: Code>(c: &Column, values: &[T]) -> Expr {
    c.codes_of(values)
        .into_iter()
        .map(|v| col(c.name).eq(lit(v)))
        .reduce(|a, b| a.or(b))
        .expect("at least one code")
        .fill_null(lit(false))
}

fn count(e: Expr, alias: &str) -> Expr {
    e.cast(DataType::UInt64).sum().alias(alias)
}

/// The aggregations both tables need, per group.
fn aggregations(over_mx: bool) -> Vec<Expr> {
    use schema::{HAS_DMARC, HAS_MX, HAS_SPF, NULL_MX};
    let base = if over_mx { flag(&HAS_MX) } else { lit(true) };
    vec![
        len().cast(DataType::UInt64).alias("names"),
        count(flag(&HAS_MX), "mx"),
        count(known(&HAS_MX), "mx_known"),
        count(flag(&NULL_MX), "null_mx"),
        count(base.clone().and(flag(&HAS_SPF)), "spf"),
        count(base.clone().and(known(&HAS_SPF)), "spf_known"),
        count(
            base.clone().and(col(HAS_SPF.name).is_null()),
            "spf_unresolved",
        ),
        count(base.clone().and(flag(&HAS_DMARC)), "dmarc"),
        count(base.clone().and(known(&HAS_DMARC)), "dmarc_known"),
        count(base.and(col(HAS_DMARC.name).is_null()), "dmarc_unresolved"),
    ]
}

/// An aggregated count: the column of an aggregation this module named itself, so a missing
/// one is a programming error.
fn u(df: &DataFrame, name: &str, i: usize) -> u64 {
    df.column(name)
        .unwrap_or_else(|_| panic!("aggregate {name} computed"))
        .get(i)
        .ok()
        .and_then(|v| v.extract::<u64>())
        .unwrap_or(0)
}

fn read_agg(df: &DataFrame, i: usize) -> TypeRow {
    let names = u(df, "names", i);
    let mx_known = u(df, "mx_known", i);
    TypeRow {
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

/// Totals per value of the string column `key` (rows whose key is null left out).
fn group_totals(
    lf: LazyFrame,
    key: &Column,
    over_mx: bool,
) -> Result<HashMap<String, TypeRow>, TabulateError> {
    Ok(totals_by(lf, key.name, over_mx)?
        .into_iter()
        .filter_map(|(k, r)| Some((k?, r)))
        .collect())
}

/// Totals per value of the column `key` (read as text; `None`: the rows where it is null).
fn totals_by(
    lf: LazyFrame,
    key: &str,
    over_mx: bool,
) -> Result<Vec<(Option<String>, TypeRow)>, TabulateError> {
    let df = lf
        .group_by([col(key).cast(DataType::String)])
        .agg(aggregations(over_mx))
        .collect()?;
    let keys = df.column(key)?.str()?.clone();
    Ok((0..df.height())
        .map(|i| (keys.get(i).map(str::to_string), read_agg(&df, i)))
        .collect())
}

/// Rows of the per-type table.
pub type TypeRows = Vec<(Option<JpType>, TypeRow)>;

/// The ministry's per-type table: each JP type in the published order, then all of .jp
/// (`None`), then names outside .jp if there are any (never part of the all-.jp line).
pub fn jp_type_table(r: &Results) -> Result<TypeRows, TabulateError> {
    let by_type = group_totals(r.frame(), &schema::JP_TYPE, true)?;
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

fn lg_row(t: &TypeRow) -> LgRow {
    LgRow {
        names: t.names,
        mx: t.mx,
        spf: t.spf,
        dmarc: t.dmarc,
    }
}

fn add_lg_row(acc: &mut LgRow, r: &LgRow) {
    acc.names += r.names;
    add_measure(&mut acc.mx, &r.mx);
    add_measure(&mut acc.spf, &r.spf);
    add_measure(&mut acc.dmarc, &r.dmarc);
}

/// The local-government table: the names of the 1,788 (those with a local-government code),
/// per region in the published order, then all; and per prefecture.
pub fn localgov_tables(r: &Results) -> Result<(LgRows, LgRows), TabulateError> {
    let lg = r.frame().filter(known(&schema::LGCODE));
    let prefs = group_totals(lg, &schema::PREFECTURE_CODE, false)?;
    let rd = refdata();
    let mut by_pref: Vec<(u8, LgRow)> = prefs
        .iter()
        .filter_map(|(k, t)| Some((k.parse::<u8>().ok()?, lg_row(t))))
        .collect();
    by_pref.sort_by_key(|(c, _)| *c);
    let mut regions = Vec::new();
    let mut all = LgRow::default();
    for region in Region::ALL {
        let mut acc = LgRow::default();
        for (code, r) in &by_pref {
            if rd.prefecture(*code).map(|p| p.region) == Some(region) {
                add_lg_row(&mut acc, r);
            }
        }
        add_lg_row(&mut all, &acc);
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
/// lookup unresolved), per value of the string column `key`. A value outside `codes` is an
/// error (the file was checked on opening, so it means a table asked the wrong column).
fn class_counts(
    lf: LazyFrame,
    key: &Column,
    value: Expr,
    codes: &[&str],
) -> Result<HashMap<String, Vec<u64>>, TabulateError> {
    let column = "class";
    let df = lf
        .group_by([col(key.name), value.alias(column)])
        .agg([len().cast(DataType::UInt64).alias("n")])
        .collect()?;
    let width = codes.len() + 1;
    let (keys, classes) = (df.column(key.name)?.str()?, df.column(column)?.str()?);
    let mut by_key: HashMap<String, Vec<u64>> = HashMap::new();
    for i in 0..df.height() {
        let Some(k) = keys.get(i) else { continue };
        let slot = match classes.get(i) {
            None => width - 1,
            Some(c) => codes.iter().position(|x| *x == c).ok_or_else(|| {
                polars_err!(ComputeError: "class {c:?} of column {} is not one of {codes:?}", key.name)
            })?,
        };
        by_key
            .entry(k.to_string())
            .or_insert_with(|| vec![0; width])[slot] += u(&df, "n", i);
    }
    Ok(by_key)
}

/// How the names with MX of each JP type fall into `classes` (values of the code enum `T`
/// in `column`), then all of .jp, then names outside .jp; a name in none of them (null, or a
/// failure such as SPF's `temperror`) counted unresolved.
fn class_table<T: Code>(
    r: &Results,
    column: &Column,
    classes: &[T],
) -> Result<ClassRows, TabulateError> {
    let codes = column.codes_of(classes);
    let value = when(is_in(column, classes))
        .then(col(column.name))
        .otherwise(lit(NULL).cast(DataType::String));
    let by_type = class_counts(
        r.frame().filter(flag(&schema::HAS_MX)),
        &schema::JP_TYPE,
        value,
        &codes,
    )?;
    Ok(rows_by_type(by_type, vec![0; codes.len() + 1], add_counts))
}

/// Values keyed by JP type code as rows: each .jp type in the published order (`zero` where it
/// has none), all of .jp (summed with `add`), then names outside .jp if there are any (never
/// part of the all-.jp line).
fn rows_by_type<T: Clone>(
    mut by_type: HashMap<String, T>,
    zero: T,
    add: impl Fn(&mut T, &T),
) -> Vec<(Option<JpType>, T)> {
    let mut rows = Vec::new();
    let mut all = zero.clone();
    for t in JpType::ALL.iter().copied().filter(|t| t.is_jp()) {
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

/// DMARC policy strength of the local governments' names with MX, per region in the
/// published order, then all.
pub fn localgov_strength_table(r: &Results) -> Result<Vec<(LgGroup, Vec<u64>)>, TabulateError> {
    let codes = schema::DMARC_PROTECTION.codes_of(&Protection::ALL);
    let lg = r
        .frame()
        .filter(known(&schema::LGCODE).and(flag(&schema::HAS_MX)));
    let by_region = class_counts(
        lg,
        &schema::REGION,
        col(schema::DMARC_PROTECTION.name),
        &codes,
    )?;
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

/// DMARC policy strength of the names with MX, from their own record read under RFC 7489
/// ([`schema::DMARC_PROTECTION`]), or after policy discovery ([`schema::DMARC_EFFECTIVE_9989`]).
pub fn dmarc_strength_table(r: &Results, column: &Column) -> Result<ClassRows, TabulateError> {
    class_table(r, column, &Protection::ALL)
}

/// SPF verdicts of the names with MX, per [`SpfVerdict::settled`]: a name whose include tree
/// met a failed lookup (`temperror`) has no verdict yet and is counted unresolved.
pub fn spf_verdict_table(r: &Results) -> Result<ClassRows, TabulateError> {
    let settled: Vec<SpfVerdict> = SpfVerdict::settled().collect();
    class_table(r, &schema::SPF_VERDICT, &settled)
}

/// The classes of [`spf_error_table`]: a parse error (RFC 7208 §4.5, §4.6, §6), else how
/// the include/redirect tree came out, `ok` last. A tree that met a failed lookup
/// (`temperror`) is no class: the name is unresolved.
pub fn spf_error_classes() -> Vec<&'static str> {
    let errors = SpfErrorKind::ALL
        .iter()
        .filter(|k| **k != SpfErrorKind::NoRecord)
        .map(|k| k.code());
    let trees = TreeVerdict::ALL
        .iter()
        .filter(|t| !matches!(t, TreeVerdict::Ok | TreeVerdict::TempError))
        .map(|t| t.code());
    errors
        .chain(trees)
        .chain([TreeVerdict::Ok.code()])
        .collect()
}

/// SPF error classes of the names with MX that publish SPF, per type.
pub fn spf_error_table(r: &Results) -> Result<ClassRows, TabulateError> {
    use schema::{SPF_ERROR, SPF_TREE};
    let class = when(known(&SPF_ERROR))
        .then(col(SPF_ERROR.name))
        .when(is_in(&SPF_TREE, &[TreeVerdict::TempError]))
        .then(lit(NULL).cast(DataType::String))
        .otherwise(col(SPF_TREE.name));
    let with_spf = r
        .frame()
        .filter(flag(&schema::HAS_SPF).and(flag(&schema::HAS_MX)));
    let classes = spf_error_classes();
    Ok(rows_by_type(
        class_counts(with_spf, &schema::JP_TYPE, class, &classes)?,
        vec![0; classes.len() + 1],
        add_counts,
    ))
}

/// Policy discovery per type, over the names with MX: a record of their own, a policy
/// inherited from an ancestor under RFC 7489 and under RFC 9989, names whose two discoveries
/// part, and names where discovery was unresolved.
pub fn dmarc_discovery_table(r: &Results) -> Result<ClassRows, TabulateError> {
    use schema::{
        DMARC_EFFECTIVE_7489, DMARC_EFFECTIVE_9989, DMARC_INHERITED_FROM_7489,
        DMARC_INHERITED_FROM_9989, DMARC_SOURCE_7489, DMARC_SOURCE_9989,
    };
    let (from7, from9) = (
        col(DMARC_INHERITED_FROM_7489.name),
        col(DMARC_INHERITED_FROM_9989.name),
    );
    // The two discoveries part: one found an ancestor's policy the other did not, or another.
    let differ = from7
        .neq_missing(from9)
        .and(known(&DMARC_SOURCE_7489).and(known(&DMARC_SOURCE_9989)));
    let inherited = |c: &Column| is_in(c, &[Source::Inherited]);
    let unresolved = col(DMARC_EFFECTIVE_7489.name)
        .is_null()
        .or(col(DMARC_EFFECTIVE_9989.name).is_null());
    let df = r
        .frame()
        .filter(flag(&schema::HAS_MX))
        .group_by([col(schema::JP_TYPE.name)])
        .agg([
            count(flag(&schema::HAS_DMARC), "own"),
            count(inherited(&DMARC_SOURCE_7489), "i7489"),
            count(inherited(&DMARC_SOURCE_9989), "i9989"),
            count(differ, "differ"),
            count(unresolved, "unresolved"),
        ])
        .collect()?;
    let cols = ["own", "i7489", "i9989", "differ", "unresolved"];
    let types = df.column(schema::JP_TYPE.name)?.str()?;
    let by_type = (0..df.height())
        .filter_map(|i| {
            let counts = cols.iter().map(|c| u(&df, c, i)).collect();
            Some((types.get(i)?.to_string(), counts))
        })
        .collect();
    Ok(rows_by_type(by_type, vec![0; cols.len()], add_counts))
}

/// The figures the trend and the report's headline take from every run: per type, per
/// region, and the DMARC strength per type.
pub struct Core {
    pub types: TypeRows,
    pub regions: LgRows,
    pub prefectures: LgRows,
    pub strength: ClassRows,
}

impl Core {
    pub fn of(r: &Results) -> Result<Core, TabulateError> {
        let (regions, prefectures) = localgov_tables(r)?;
        Ok(Core {
            types: jp_type_table(r)?,
            regions,
            prefectures,
            strength: match TableName::DmarcStrength.in_schema(r.version) {
                true => dmarc_strength_table(r, &schema::DMARC_PROTECTION)?,
                false => Vec::new(),
            },
        })
    }
}

/// Every table of a run, computed once: what the `tables/` CSV, the terminal and the report
/// show.
pub struct Tabulation {
    pub core: Core,
    pub effective: ClassRows,
    pub discovery: ClassRows,
    pub lg_strength: Vec<(LgGroup, Vec<u64>)>,
    pub spf_verdicts: ClassRows,
    pub spf_errors: ClassRows,
    /// The 2025 guideline's tables; `None` where the run predates their columns.
    pub guideline: Option<Guideline>,
    /// The survey's health per DNS operator, where the run knows its names' operators.
    pub operators: Option<Vec<OperatorHealth>>,
    /// What SPF records let in per type, and their include providers with the names with
    /// MX that publish SPF; `None` where the run predates the columns.
    pub spf_space: Option<Vec<(Option<JpType>, spf_space::SpaceRow)>>,
    pub spf_space_regions: Option<Vec<(LgGroup, spf_space::SpaceRow)>>,
    pub spf_providers: Option<(Vec<spf_space::ProviderRow>, u64)>,
    /// Tables left out because the run's results predate their columns.
    pub skipped: Vec<TableName>,
}

impl Tabulation {
    pub fn of(r: &Results) -> Result<Tabulation, TabulateError> {
        let has = |t: TableName| t.in_schema(r.version);
        let readings = has(TableName::DmarcStrength);
        let space = has(TableName::SpfPermissive);
        let skipped = TableName::ALL.into_iter().filter(|t| !has(*t)).collect();
        let when = |on: bool, f: &dyn Fn() -> Result<ClassRows, TabulateError>| match on {
            true => f(),
            false => Ok(Vec::new()),
        };
        Ok(Tabulation {
            core: Core::of(r)?,
            effective: when(readings, &|| {
                dmarc_strength_table(r, &schema::DMARC_EFFECTIVE_9989)
            })?,
            discovery: when(readings, &|| dmarc_discovery_table(r))?,
            lg_strength: match readings {
                true => localgov_strength_table(r)?,
                false => Vec::new(),
            },
            spf_verdicts: when(readings, &|| spf_verdict_table(r))?,
            spf_errors: when(readings, &|| spf_error_table(r))?,
            guideline: match has(TableName::Compliance) {
                true => Some(Guideline::of(r)?),
                false => None,
            },
            operators: operators::operator_health(r)?,
            spf_space: space.then(|| spf_space::spf_space_rows(r)).transpose()?,
            spf_space_regions: space
                .then(|| spf_space::spf_space_region_rows(r))
                .transpose()?,
            spf_providers: space.then(|| spf_space::provider_rows(r)).transpose()?,
            skipped,
        })
    }

    /// The tables, in the order they are published.
    pub fn tables(&self, lang: Lang) -> Vec<Table> {
        let c = &self.core;
        let readings = !c.strength.is_empty();
        let mut out = vec![render::type_table(&c.types, lang)];
        if readings {
            out.extend([
                render::strength_table(&c.strength, render::Strength::Own, lang),
                render::strength_table(&self.effective, render::Strength::Effective9989, lang),
                render::discovery_table(&self.discovery, lang),
                render::spf_verdict_table(&self.spf_verdicts, lang),
                render::spf_error_table(&self.spf_errors, lang),
            ]);
        }
        out.extend([
            render::lg_table(TableName::LocalgovRegions, &c.regions, false, lang),
            render::lg_table(TableName::LocalgovPrefectures, &c.prefectures, true, lang),
        ]);
        if readings {
            out.push(render::lg_strength_table(&self.lg_strength, lang));
        }
        if let Some(g) = &self.guideline {
            out.extend(g.tables(lang));
        }
        if let Some(rows) = &self.spf_space {
            out.push(spf_space::spf_space_table(rows, lang));
        }
        if let Some(rows) = &self.spf_space_regions {
            out.push(spf_space::spf_space_region_table(rows, lang));
        }
        if let Some((rows, with_spf)) = &self.spf_providers {
            out.push(spf_space::provider_table(rows, *with_spf, lang));
        }
        if let Some(ops) = &self.operators {
            out.push(operators::operator_table(ops, lang));
        }
        out
    }
}

/// Every table of the results file at `path`.
pub fn tables(path: impl AsRef<Path>, lang: Lang) -> Result<Vec<Table>, TabulateError> {
    Ok(Tabulation::of(&Results::open(path)?)?.tables(lang))
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
