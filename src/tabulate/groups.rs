//! Tables by a column the input carried through (a sector, a company): the ministry's table
//! per value, and organisations counted whole, covered when any of their domains is and
//! enforcing when all are, the way surveys of listed companies count them.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::Scope;
use super::render::{self, Lang, Table, h, ministry_table};
use super::{
    Measure, Results, TabulateError, TypeRow, add_type_row, count, is_in, known, totals_by,
};
use crate::policy::dmarc::Protection;
use crate::run::schema;

/// The label of rows whose grouping value is empty.
const NONE: &str = "(none)";

/// `column` must be one of the input's carried-through columns (or any results column).
fn check_column(r: &Results, column: &str) -> Result<(), TabulateError> {
    let names = r.frame().collect_schema()?;
    match names.contains(column) {
        true => Ok(()),
        false => {
            let schema_names: Vec<&str> = schema::columns().map(|c| c.name).collect();
            let inputs: Vec<String> = names
                .iter_names()
                .filter(|n| !schema_names.contains(&n.as_str()))
                .map(|n| n.to_string())
                .collect();
            Err(TabulateError::NoSuchColumn {
                column: column.to_string(),
                inputs: inputs.join(", "),
            })
        }
    }
}

/// The ministry's table per value of `column` (empty and missing values together), largest
/// group first, then all.
pub fn by_column(r: &Results, column: &str) -> Result<Vec<(String, TypeRow)>, TabulateError> {
    check_column(r, column)?;
    let mut rows: Vec<(String, TypeRow)> = totals_by(r.frame(), column, true)?
        .into_iter()
        .map(|(k, row)| (k.filter(|k| !k.is_empty()), row))
        .map(|(k, row)| (k.unwrap_or_else(|| NONE.to_string()), row))
        .collect();
    rows.sort_by(|a, b| b.1.names.cmp(&a.1.names).then(a.0.cmp(&b.0)));
    let mut all = TypeRow::default();
    rows.iter().for_each(|(_, row)| add_type_row(&mut all, row));
    rows.push(("ALL".to_string(), all));
    Ok(rows)
}

pub fn by_column_table(column: &str, rows: &[(String, TypeRow)], lang: Lang) -> Table {
    let rows: Vec<(String, TypeRow, Scope)> = rows
        .iter()
        .map(|(k, r)| {
            let scope = if k == "ALL" {
                Scope::Whole
            } else {
                Scope::Part
            };
            (k.clone(), *r, scope)
        })
        .collect();
    ministry_table(
        &format!("by_{column}"),
        h(
            lang,
            &format!("{column} ごとのSPF/DMARC設定状況(SPF・DMARCはMXありドメイン名に対する割合)"),
            &format!("SPF/DMARC adoption by {column} (SPF and DMARC over the names with MX)"),
        ),
        column.to_string(),
        &rows,
        lang,
    )
}

/// Known yes, known no, or unknown (a lookup failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    Yes,
    No,
    Unknown,
}

impl Tri {
    fn text(self) -> &'static str {
        match self {
            Tri::Yes => "yes",
            Tri::No => "no",
            Tri::Unknown => "-",
        }
    }
}

/// One organisation: its domains and, per measure, whether any and whether all have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityRow {
    pub entity: String,
    /// The value of the `--by` column its domains share (the first one's where they differ).
    pub group: Option<String>,
    pub domains: u64,
    /// SPF, DMARC, DMARC at quarantine or reject: (any domain, every domain).
    pub measures: [(Tri, Tri); 3],
}

/// The measures of an organisation, per domain: SPF, DMARC, and DMARC at quarantine or reject
/// as it applies (the Organizational Domain's included, RFC 7489); null where unresolved.
fn measure_exprs() -> [Expr; 3] {
    let enforced = is_in(
        &schema::DMARC_EFFECTIVE_7489,
        &[Protection::Quarantine, Protection::Reject],
    );
    [
        col(schema::HAS_SPF.name),
        col(schema::HAS_DMARC.name),
        when(known(&schema::DMARC_EFFECTIVE_7489))
            .then(enforced)
            .otherwise(lit(NULL).cast(DataType::Boolean)),
    ]
}

/// Covered when any domain is (unknown where none is and one is unresolved); every domain when
/// all are (unknown where none fails and one is unresolved).
fn any_all(yes: u64, no: u64, unknown: u64) -> (Tri, Tri) {
    let any = match (yes, unknown) {
        (1.., _) => Tri::Yes,
        (0, 1..) => Tri::Unknown,
        (0, 0) => Tri::No,
    };
    let all = match (no, unknown) {
        (1.., _) => Tri::No,
        (0, 1..) => Tri::Unknown,
        (0, 0) => Tri::Yes,
    };
    (any, all)
}

/// Every organisation of `entity` (rows with an empty or no value are left out), in name order.
pub fn entities(
    r: &Results,
    entity: &str,
    by: Option<&str>,
) -> Result<Vec<EntityRow>, TabulateError> {
    check_column(r, entity)?;
    if let Some(by) = by {
        check_column(r, by)?;
    }
    let mut aggs = vec![len().cast(DataType::UInt64).alias("domains")];
    if let Some(by) = by {
        aggs.push(col(by).cast(DataType::String).first().alias("group"));
    }
    for (i, m) in measure_exprs().into_iter().enumerate() {
        aggs.push(count(
            m.clone().eq(lit(true)).fill_null(lit(false)),
            &format!("yes{i}"),
        ));
        aggs.push(count(
            m.clone().eq(lit(false)).fill_null(lit(false)),
            &format!("no{i}"),
        ));
        aggs.push(count(m.is_null(), &format!("unknown{i}")));
    }
    let df = r
        .frame()
        .filter(col(entity).is_not_null().and(col(entity).neq(lit(""))))
        .group_by([col(entity).cast(DataType::String).alias("entity")])
        .agg(aggs)
        .sort(["entity"], Default::default())
        .collect()?;
    let u = |name: &str, i: usize| super::u(&df, name, i);
    let names = df.column("entity")?.str()?;
    let groups = by
        .map(|_| df.column("group").and_then(|c| c.str().cloned()))
        .transpose()?;
    Ok((0..df.height())
        .filter_map(|i| {
            let measures = std::array::from_fn(|m| {
                any_all(
                    u(&format!("yes{m}"), i),
                    u(&format!("no{m}"), i),
                    u(&format!("unknown{m}"), i),
                )
            });
            Some(EntityRow {
                entity: names.get(i)?.to_string(),
                group: groups
                    .as_ref()
                    .and_then(|g| g.get(i))
                    .filter(|g| !g.is_empty())
                    .map(str::to_string),
                domains: u("domains", i),
                measures,
            })
        })
        .collect())
}

const MEASURES: [(&str, &str); 3] = [
    ("SPF", "spf"),
    ("DMARC", "dmarc"),
    ("quarantine以上", "quarantine_or_reject"),
];

/// The organisations counted (per `--by` group, then all) and the list of them.
pub fn entity_tables(entity: &str, rows: &[EntityRow], lang: Lang) -> [Table; 2] {
    [
        entity_summary(entity, rows, lang),
        entity_list(entity, rows, lang),
    ]
}

/// Per group, and `ALL`: its organisations, then per measure the organisations covered by
/// any of their domains and by all of them.
fn entity_groups(rows: &[EntityRow]) -> BTreeMap<String, (u64, [[Measure; 2]; 3])> {
    let mut groups: BTreeMap<String, (u64, [[Measure; 2]; 3])> = BTreeMap::new();
    for e in rows {
        for key in [
            e.group.clone().unwrap_or_else(|| NONE.to_string()),
            "ALL".into(),
        ] {
            let g = groups.entry(key).or_default();
            g.0 += 1;
            for (m, (any, all)) in e.measures.iter().enumerate() {
                for (slot, t) in [*any, *all].into_iter().enumerate() {
                    let measure = &mut g.1[m][slot];
                    match t {
                        Tri::Yes => {
                            measure.count += 1;
                            measure.denominator += 1;
                        }
                        Tri::No => measure.denominator += 1,
                        Tri::Unknown => measure.unresolved += 1,
                    }
                }
            }
        }
    }
    groups
}

/// The organisations counted per group.
fn entity_summary(entity: &str, rows: &[EntityRow], lang: Lang) -> Table {
    let has_groups = rows.iter().any(|e| e.group.is_some());
    let mut headers = vec![h(lang, "区分", "group"), h(lang, "組織数", "organisations")];
    for (ja, en) in MEASURES {
        for (wja, wen) in [
            ("いずれかのドメイン", "any_domain"),
            ("全ドメイン", "all_domains"),
        ] {
            headers.extend([
                h(lang, &format!("{ja}({wja})数"), &format!("{en}_{wen}")),
                h(lang, &format!("{ja}({wja})分母"), &format!("{en}_{wen}_of")),
                h(
                    lang,
                    &format!("{ja}({wja})率(%)"),
                    &format!("{en}_{wen}_pct"),
                ),
            ]);
        }
    }
    let summary_rows = entity_groups(rows)
        .iter()
        .filter(|(k, _)| has_groups || k.as_str() == "ALL")
        .map(|(k, (n, ms))| render::rated_row(k.clone(), *n, ms.iter().flatten()))
        .collect();
    Table {
        name: format!("entities_{entity}"),
        title: h(
            lang,
            &format!("{entity} ごとの集計:いずれかのドメインで設定(カバー)・全ドメインで設定"),
            &format!(
                "Organisations ({entity}): covered when any domain is, enforcing when all are"
            ),
        ),
        headers,
        rows: summary_rows,
    }
}

/// Each organisation with its domains and measures.
fn entity_list(entity: &str, rows: &[EntityRow], lang: Lang) -> Table {
    let mut list_headers = vec![
        entity.to_string(),
        h(lang, "区分", "group"),
        h(lang, "ドメイン名数", "domains"),
    ];
    for (ja, en) in MEASURES {
        list_headers.push(h(lang, &format!("{ja}(いずれか)"), &format!("{en}_any")));
        list_headers.push(h(lang, &format!("{ja}(全て)"), &format!("{en}_all")));
    }
    Table {
        name: format!("entity_list_{entity}"),
        title: h(
            lang,
            &format!("{entity} ごとの設定状況"),
            &format!("Each organisation ({entity})"),
        ),
        headers: list_headers,
        rows: rows
            .iter()
            .map(|e| {
                let mut row = vec![
                    e.entity.clone(),
                    e.group.clone().unwrap_or_default(),
                    e.domains.to_string(),
                ];
                for (any, all) in e.measures {
                    row.extend([any.text().to_string(), all.text().to_string()]);
                }
                row
            })
            .collect(),
    }
}
