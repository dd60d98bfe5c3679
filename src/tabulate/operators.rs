//! The survey's health per DNS operator: for each operator the run knows of (the zone list's
//! `ns` column, else the `ns` check's answer), its names, their MX, TXT and DMARC lookups,
//! how those failed, and how long they took, so that whoever runs a survey sees where its
//! losses were and whom to ask.

use foldhash::HashMap;
use polars::prelude::*;

use super::render::{Table, h};
use super::{Lang, Results, TableName, TabulateError};
use crate::record::ListedOperators;
use crate::run::schema;

/// The three lookups' columns: outcome and milliseconds.
const LOOKUPS: [(&str, &str); 3] = [
    ("mx_outcome", "mx_ms"),
    ("txt_outcome", "txt_ms"),
    ("dmarc_outcome", "dmarc_ms"),
];

/// One operator's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperatorHealth {
    /// Empty in the row that folds the small operators.
    pub operator: String,
    /// In the folded row, how many operators it holds.
    pub folded: Option<u64>,
    pub names: u64,
    /// Names with one of the three lookups failed.
    pub unresolved_names: u64,
    pub lookups: u64,
    pub timeout: u64,
    pub servfail: u64,
    pub refused: u64,
    /// Every other failure (`error`, `badname`, `oversize`, `cname-loop`).
    pub other: u64,
    /// Nearest-rank percentiles of the lookups' milliseconds, failures included.
    pub median_ms: u32,
    pub p95_ms: u32,
}

/// The nearest-rank `p`-th percentile of sorted `v` (not empty).
fn percentile(v: &[u32], p: u64) -> u32 {
    let rank = (p * v.len() as u64).div_ceil(100).max(1);
    v[rank as usize - 1]
}

/// The table's rows: the [`ROWS`] operators with the most names (at least [`MIN_NAMES`]) and
/// the [`ROWS`] with the most unresolved names, most names first, then the rest folded into one row; none where the run knows no operator (no `ns` column
/// in its list, no `ns` check) or predates the lookups' milliseconds.
pub fn operator_health(r: &Results) -> Result<Option<Vec<OperatorHealth>>, TabulateError> {
    if !TableName::OperatorsHealth.in_schema(r.version) {
        return Ok(None);
    }
    let Some(ops) = per_operator(r)? else {
        return Ok(None);
    };
    let rows = fold_small(ops).into_iter().map(|(mut h, mut times)| {
        times.sort_unstable();
        if !times.is_empty() {
            h.median_ms = percentile(&times, 50);
            h.p95_ms = percentile(&times, 95);
        }
        h
    });
    Ok(Some(rows.collect()))
}

/// An operator's figures and its lookups' milliseconds.
type Counted = (OperatorHealth, Vec<u32>);

/// Each operator's names counted; none where the run knows no operator.
fn per_operator(r: &Results) -> Result<Option<HashMap<String, Counted>>, TabulateError> {
    let file = r.frame().collect_schema()?;
    // The list's `ns` column, carried through under the name the list gave it.
    let listed = file
        .iter()
        .find(|(name, t)| name.eq_ignore_ascii_case("ns") && **t == DataType::String)
        .map(|(name, _)| name.clone());
    let checked = file.contains(schema::DNS_OPERATOR.name);
    let mut select = vec![];
    if let Some(name) = &listed {
        select.push(col(name.clone()).alias("ns"));
    }
    if checked {
        select.push(col(schema::DNS_OPERATOR.name));
    }
    if select.is_empty() {
        return Ok(None);
    }
    for (outcome, ms) in LOOKUPS {
        select.extend([col(outcome), col(ms)]);
    }
    let df = r.frame().select(select).collect()?;
    let text = |name: &str| -> Result<Option<StringChunked>, TabulateError> {
        match df.column(name) {
            Ok(c) => Ok(Some(c.str()?.clone())),
            Err(_) => Ok(None),
        }
    };
    let (ns, checked) = (text("ns")?, text(schema::DNS_OPERATOR.name)?);
    let outcomes = LOOKUPS
        .iter()
        .map(|(o, _)| Ok(df.column(o)?.str()?.clone()))
        .collect::<Result<Vec<_>, TabulateError>>()?;
    let ms = LOOKUPS
        .iter()
        .map(|(_, m)| Ok(df.column(m)?.u32()?.clone()))
        .collect::<Result<Vec<_>, TabulateError>>()?;
    let mut listed = ListedOperators::default();
    let mut ops: HashMap<String, Counted> = HashMap::default();
    for i in 0..df.height() {
        let from_list = ns
            .as_ref()
            .and_then(|c| c.get(i))
            .and_then(|v| listed.of(v))
            .map(|k| k.to_string());
        let from_check = || checked.as_ref()?.get(i).map(str::to_string);
        let Some(key) = from_list.or_else(from_check) else {
            continue;
        };
        let (h, times) = ops.entry(key).or_default();
        h.names += 1;
        let mut failed = false;
        for (outcome, ms) in outcomes.iter().zip(&ms) {
            h.lookups += 1;
            let slot = match outcome.get(i).unwrap_or("error") {
                "answer" | "nxdomain" | "nodata" => None,
                "timeout" => Some(&mut h.timeout),
                "servfail" => Some(&mut h.servfail),
                "refused" => Some(&mut h.refused),
                _ => Some(&mut h.other),
            };
            if let Some(n) = slot {
                *n += 1;
                failed = true;
            }
            times.extend(ms.get(i));
        }
        h.unresolved_names += u64::from(failed);
    }
    Ok((!ops.is_empty()).then_some(ops))
}

/// The rows: the largest operators and those that lost the most names, each a row, most
/// names first; the rest folded into one.
fn fold_small(ops: HashMap<String, Counted>) -> Vec<Counted> {
    let mut all: Vec<(String, Counted)> = ops.into_iter().collect();
    all.sort_by(|a, b| b.1.0.names.cmp(&a.1.0.names).then(a.0.cmp(&b.0)));
    // The largest operators, and those that lost the most names, each a row; the many
    // small ones (a registrant's own servers) folded into one, so the table stays one a
    // reader can take in. `query` has every name's operator and times.
    let mut by_losses: Vec<usize> = (0..all.len()).collect();
    by_losses.sort_by_key(|&i| std::cmp::Reverse(all[i].1.0.unresolved_names));
    let large = all
        .iter()
        .take(ROWS)
        .filter(|o| o.1.0.names >= MIN_NAMES)
        .count();
    let kept: foldhash::HashSet<usize> = (0..large)
        .chain(
            by_losses
                .into_iter()
                .take(ROWS)
                .filter(|&i| all[i].1.0.unresolved_names > 0),
        )
        .collect();
    let mut rows = Vec::new();
    let mut rest = (OperatorHealth::default(), Vec::new(), 0u64);
    for (i, (operator, (mut h, times))) in all.into_iter().enumerate() {
        if kept.contains(&i) {
            h.operator = operator;
            rows.push((h, times));
            continue;
        }
        let (r, t, n) = &mut rest;
        r.names += h.names;
        r.unresolved_names += h.unresolved_names;
        r.lookups += h.lookups;
        r.timeout += h.timeout;
        r.servfail += h.servfail;
        r.refused += h.refused;
        r.other += h.other;
        t.extend(times);
        *n += 1;
    }
    if rest.2 > 0 {
        let (mut r, t, n) = rest;
        r.folded = Some(n);
        rows.push((r, t));
    }
    rows
}

/// Operators given a row each at the most, by names and again by names lost.
const ROWS: usize = 50;
/// Names an operator serves at the least to have a row for its size (a registrant's own
/// servers are folded unless they lost names).
const MIN_NAMES: u64 = 10;
pub fn operator_table(rows: &[OperatorHealth], lang: Lang) -> Table {
    let t = |ja: &str, en: &str| h(lang, ja, en);
    Table {
        name: TableName::OperatorsHealth.code().to_string(),
        title: t(
            "DNS事業者ごとの調査の状況(MX・TXT・DMARC の問い合わせ。未解決は件数のみ、時間は失敗を含む)",
            "The survey per DNS operator (MX, TXT and DMARC lookups; failures counted apart, times include them)",
        ),
        headers: vec![
            t("DNS事業者", "DNS operator"),
            t("ドメイン名数", "names"),
            t("未解決のドメイン名", "unresolved names"),
            t("問い合わせ数", "lookups"),
            t("タイムアウト", "timeout"),
            "SERVFAIL".to_string(),
            "REFUSED".to_string(),
            t("その他の失敗", "other failures"),
            t("中央値(ミリ秒)", "median ms"),
            t("95パーセンタイル(ミリ秒)", "95th percentile ms"),
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    match r.folded {
                        Some(n) => t(
                            &format!("(その他 {n} 事業者)"),
                            &format!("({n} other operators)"),
                        ),
                        None => r.operator.clone(),
                    },
                    r.names.to_string(),
                    r.unresolved_names.to_string(),
                    r.lookups.to_string(),
                    r.timeout.to_string(),
                    r.servfail.to_string(),
                    r.refused.to_string(),
                    r.other.to_string(),
                    r.median_ms.to_string(),
                    r.p95_ms.to_string(),
                ]
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u32> = (1..=20).collect();
        assert_eq!(percentile(&v, 50), 10);
        assert_eq!(percentile(&v, 95), 19);
        assert_eq!(percentile(&[7], 95), 7);
        assert_eq!(percentile(&[1, 2], 50), 1);
    }
}
