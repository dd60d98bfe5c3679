//! Month over month: each run's rates per JP type and per local-government region, and the
//! change from the run before, in percentage points computed exactly from the counts.

use std::collections::BTreeMap;

use super::render::{Lang, Table, h};
use super::{Core, LgGroup, Measure, Scope};
use crate::run::OpenedRun;
use crate::zone::{JpType, Region};

/// `a` → `b` in percentage points, rounded half away from zero to one decimal, exactly:
/// `(b.count/b.den - a.count/a.den) * 100`. `None` when either denominator is 0.
pub fn change_points(a: &Measure, b: &Measure) -> Option<String> {
    if a.denominator == 0 || b.denominator == 0 {
        return None;
    }
    let (ac, ad) = (i128::from(a.count), i128::from(a.denominator));
    let (bc, bd) = (i128::from(b.count), i128::from(b.denominator));
    // Tenths of a point: 1000 * (bc/bd - ac/ad) = 1000 * (bc*ad - ac*bd) / (ad*bd).
    let num = 1000 * (bc * ad - ac * bd);
    let den = ad * bd;
    let (q, r) = (num / den, num % den);
    let tenths = if 2 * r.abs() >= den {
        q + num.signum()
    } else {
        q
    };
    let sign = if tenths < 0 { "-" } else { "+" };
    Some(format!("{sign}{}.{}", tenths.abs() / 10, tenths.abs() % 10))
}

/// One rate followed across runs: its group (`type:CO`, `localgov:Kanto`, …), what it measures
/// (`mx`, `spf`, `dmarc`) and its measure in each run, oldest first; `None` in a run that has
/// no such group (no names outside .jp, say).
#[derive(Debug, Clone)]
pub struct TrendSeries {
    pub group: String,
    pub scope: Scope,
    pub measure: &'static str,
    pub per_run: Vec<Option<Measure>>,
}

/// The rates of every run (in the order given: oldest first) per type and per region, each
/// series keyed by its group and measure, never by its position in a run's table.
pub fn trend_series(runs: &[&Core]) -> Vec<TrendSeries> {
    // (rank of the group in the published order, measure) → label and measure per run.
    let mut series: BTreeMap<(usize, usize), TrendSeries> = BTreeMap::new();
    for (i, core) in runs.iter().enumerate() {
        let types = core.types.iter().map(|(t, row)| {
            let rank = match t {
                Some(JpType::Other) => JpType::ALL.len(),
                Some(t) => JpType::ALL.iter().position(|x| x == t).unwrap_or(0),
                None => JpType::ALL.len() - 1,
            };
            let label = t.map_or("ALL", |t| t.code());
            let group = format!("type:{label}");
            (
                rank,
                group,
                Scope::of_type(*t),
                [row.mx, row.spf, row.dmarc],
            )
        });
        let regions = core.regions.iter().map(|(g, row)| {
            let (rank, label) = match g {
                LgGroup::Region(r) => (
                    Region::ALL.iter().position(|x| x == r).unwrap_or(0),
                    r.name_en(),
                ),
                _ => (Region::ALL.len(), "All"),
            };
            (
                100 + rank,
                format!("localgov:{label}"),
                Scope::Part,
                [row.mx, row.spf, row.dmarc],
            )
        });
        for (rank, group, scope, measures) in types.chain(regions) {
            for (m, (name, value)) in MEASURES.iter().zip(measures).enumerate() {
                let s = series.entry((rank, m)).or_insert_with(|| TrendSeries {
                    group: group.clone(),
                    scope,
                    measure: name,
                    per_run: vec![None; runs.len()],
                });
                s.per_run[i] = Some(value);
            }
        }
    }
    series.into_values().collect()
}

const MEASURES: [&str; 3] = ["mx", "spf", "dmarc"];

/// [`trend_series`] of `runs` as one long table: group, measure, run, date, count,
/// denominator, rate, change.
pub fn trend_table(runs: &[OpenedRun], series: &[TrendSeries], lang: Lang) -> Table {
    let mut rows = Vec::new();
    for TrendSeries {
        group,
        scope,
        measure,
        per_run,
    } in series
    {
        for (i, (m, run)) in per_run.iter().zip(runs).enumerate() {
            let before = i.checked_sub(1).and_then(|b| per_run[b].as_ref());
            let change = before
                .zip(m.as_ref())
                .and_then(|(a, b)| change_points(a, b));
            let dash = || "-".to_string();
            rows.push(vec![
                group.clone(),
                measure.to_string(),
                run.label.clone(),
                run.manifest.period().to_string(),
                run.manifest.started.clone(),
                m.map_or_else(dash, |m| m.count.to_string()),
                m.map_or_else(dash, |m| m.denominator.to_string()),
                m.and_then(|m| m.pct(*scope)).unwrap_or_else(dash),
                change.unwrap_or_else(dash),
            ]);
        }
    }
    Table {
        name: "trend".to_string(),
        title: h(
            lang,
            "推移:種別・地域ごとの設定率と前回からの増減(ポイント)",
            "Trend: rates per type and region, and the change from the previous run (points)",
        ),
        headers: vec![
            h(lang, "区分", "group"),
            h(lang, "指標", "measure"),
            h(lang, "調査", "run"),
            h(lang, "対象月", "period"),
            h(lang, "調査開始", "started"),
            h(lang, "数", "count"),
            h(lang, "分母", "denominator"),
            h(lang, "率(%)", "pct"),
            h(lang, "前回比(ポイント)", "change_points"),
        ],
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(count: u64, denominator: u64) -> Measure {
        Measure {
            count,
            denominator,
            unresolved: 0,
        }
    }

    #[test]
    fn change_is_exact_and_signed() {
        assert_eq!(change_points(&m(1, 4), &m(1, 2)).unwrap(), "+25.0");
        assert_eq!(change_points(&m(1, 2), &m(1, 4)).unwrap(), "-25.0");
        assert_eq!(change_points(&m(1, 3), &m(1, 3)).unwrap(), "+0.0");
        // 1/8 - 0 = 12.5 points exactly; 1/16 = 6.25 → 6.3 (half away from zero).
        assert_eq!(change_points(&m(0, 8), &m(1, 16)).unwrap(), "+6.3");
        assert_eq!(change_points(&m(1, 16), &m(0, 8)).unwrap(), "-6.3");
        assert_eq!(change_points(&m(0, 0), &m(1, 2)), None);
    }
}
