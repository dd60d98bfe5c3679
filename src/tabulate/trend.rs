//! Month over month: each run's rates per JP type and per local-government region, and the
//! change from the run before, in percentage points computed exactly from the counts.

use super::render::{Lang, Table, h};
use super::{LgGroup, Measure, TabulateError, jp_type_table, localgov_tables, scan_results};
use crate::run::OpenedRun;

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
/// (`mx`, `spf`, `dmarc`) and its measure in each run, oldest first.
#[derive(Debug, Clone)]
pub struct TrendSeries {
    pub group: String,
    pub measure: &'static str,
    pub per_run: Vec<Measure>,
}

/// The rates of every run (in the order given: oldest first) per type and per region.
pub fn trend_series(runs: &[OpenedRun]) -> Result<Vec<TrendSeries>, TabulateError> {
    let mut series: Vec<TrendSeries> = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let lf = scan_results(&[run.dir.results()])?;
        let types = jp_type_table(lf.clone())?;
        let (regions, _) = localgov_tables(lf)?;
        let mut k = 0;
        let mut put = |group: String, measure: &'static str, m: Measure| {
            if i == 0 {
                series.push(TrendSeries {
                    group,
                    measure,
                    per_run: vec![m],
                });
            } else if let Some(s) = series.get_mut(k) {
                s.per_run.push(m);
            }
            k += 1;
        };
        for (t, row) in &types {
            let label = match t {
                Some(t) => format!("type:{}", t.code()),
                None => "type:ALL".to_string(),
            };
            put(label.clone(), "mx", row.mx);
            put(label.clone(), "spf", row.spf);
            put(label, "dmarc", row.dmarc);
        }
        for (g, row) in &regions {
            let label = match g {
                LgGroup::Region(r) => format!("localgov:{}", r.name_en()),
                _ => "localgov:All".to_string(),
            };
            put(label.clone(), "mx", row.mx);
            put(label.clone(), "spf", row.spf);
            put(label, "dmarc", row.dmarc);
        }
    }
    Ok(series)
}

/// [`trend_series`] of `runs` as one long table: group, measure, run, date, count,
/// denominator, rate, change.
pub fn trend_table(runs: &[OpenedRun], series: &[TrendSeries], lang: Lang) -> Table {
    let mut rows = Vec::new();
    for TrendSeries {
        group,
        measure,
        per_run,
    } in series
    {
        for (i, (m, run)) in per_run.iter().zip(runs).enumerate() {
            let change = match i {
                0 => None,
                _ => change_points(&per_run[i - 1], m),
            };
            rows.push(vec![
                group.clone(),
                measure.to_string(),
                run.label.clone(),
                run.manifest.started.clone(),
                m.count.to_string(),
                m.denominator.to_string(),
                m.pct(1).unwrap_or_else(|| "-".to_string()),
                change.unwrap_or_else(|| "-".to_string()),
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
