//! What SPF records let in, tabulated: per JP type, how many records let over 65,536 and over
//! 16,777,216 IPv4 addresses pass, the median, and the permissive endings and `ptr`; and the
//! include providers, the registered domains the records hand their mail to, by names.

use std::collections::HashMap;

use polars::prelude::*;

use super::render::{Table, h, type_label};
use super::{Lang, Results, TabulateError, flag, known, percent_half_up, rows_by_type};
use crate::code::Code;
use crate::policy::spf::Permissive;
use crate::run::schema::{
    HAS_MX, HAS_SPF, JP_TYPE, SPF_IPV4_ADDRESSES, SPF_PERMISSIVE, SPF_PROVIDERS,
};
use crate::zone::JpType;

pub const SPF_SPACE_TABLE: &str = "spf_permissive";
pub const SPF_PROVIDERS_TABLE: &str = "spf_providers";
/// The results schema whose columns the two tables need.
pub const SPF_SPACE_SINCE: u32 = 8;

/// One row: the names with MX whose SPF address space was measured, and what they let in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpaceRow {
    pub names: u64,
    pub over_65536: u64,
    pub over_16m: u64,
    /// Nearest-rank median of the IPv4 addresses let pass; none without names.
    pub median_ipv4: Option<u64>,
    /// Names per [`Permissive`] code, in its order.
    pub permissive: Vec<u64>,
}

fn nearest_rank_median(v: &mut [u64]) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    Some(v[v.len().div_ceil(2) - 1])
}

fn u64s(df: &DataFrame, name: &str) -> Result<UInt64Chunked, TabulateError> {
    Ok(df.column(name)?.cast(&DataType::UInt64)?.u64()?.clone())
}

/// The rows per JP type (then all of .jp, then names outside it).
pub fn spf_space_rows(r: &Results) -> Result<Vec<(Option<JpType>, SpaceRow)>, TabulateError> {
    let measured = r
        .frame()
        .filter(flag(&HAS_MX).and(known(&SPF_IPV4_ADDRESSES)));
    let df = measured
        .clone()
        .select([col(JP_TYPE.name), col(SPF_IPV4_ADDRESSES.name)])
        .collect()?;
    let mut values: HashMap<String, Vec<u64>> = HashMap::new();
    let types = df.column(JP_TYPE.name)?.str()?.clone();
    let ipv4 = u64s(&df, SPF_IPV4_ADDRESSES.name)?;
    for (t, v) in types.iter().zip(ipv4.iter()) {
        if let (Some(t), Some(v)) = (t, v) {
            values.entry(t.to_string()).or_default().push(v);
        }
    }
    let codes = measured
        .select([col(JP_TYPE.name), col(SPF_PERMISSIVE.name)])
        .explode(
            by_name([SPF_PERMISSIVE.name], true, false),
            ExplodeOptions {
                empty_as_null: true,
                keep_nulls: false,
            },
        )
        .filter(col(SPF_PERMISSIVE.name).is_not_null())
        .group_by([col(JP_TYPE.name), col(SPF_PERMISSIVE.name)])
        .agg([len().alias("n")])
        .collect()?;
    let mut by_type: HashMap<String, SpaceRow> = HashMap::new();
    let (ct, cc, cn) = (
        codes.column(JP_TYPE.name)?.str()?.clone(),
        codes.column(SPF_PERMISSIVE.name)?.str()?.clone(),
        u64s(&codes, "n")?,
    );
    for ((t, c), n) in ct.iter().zip(cc.iter()).zip(cn.iter()) {
        let (Some(t), Some(c), Some(n)) = (t, c, n) else {
            continue;
        };
        let row = by_type.entry(t.to_string()).or_default();
        row.permissive.resize(Permissive::ALL.len(), 0);
        if let Some(i) = Permissive::ALL.iter().position(|p| p.code() == c) {
            row.permissive[i] += n;
        }
    }
    for (t, mut v) in values {
        let row = by_type.entry(t).or_default();
        row.permissive.resize(Permissive::ALL.len(), 0);
        row.names = v.len() as u64;
        row.over_65536 = v.iter().filter(|&&x| x > 1 << 16).count() as u64;
        row.over_16m = v.iter().filter(|&&x| x > 1 << 24).count() as u64;
        // Medians cannot be summed: each type's is its own, and the all-.jp row's is made
        // from every value below.
        row.median_ipv4 = nearest_rank_median(&mut v);
    }
    let mut rows = rows_by_type(by_type, SpaceRow::default(), |all, r| {
        all.names += r.names;
        all.over_65536 += r.over_65536;
        all.over_16m += r.over_16m;
        all.permissive.resize(Permissive::ALL.len(), 0);
        for (a, b) in all.permissive.iter_mut().zip(&r.permissive) {
            *a += b;
        }
    });
    let mut jp: Vec<u64> = types
        .iter()
        .zip(ipv4.iter())
        .filter(|(t, _)| t.is_some_and(|t| JpType::from_code(t).is_some_and(JpType::is_jp)))
        .filter_map(|(_, v)| v)
        .collect();
    if let Some((_, all)) = rows.iter_mut().find(|(t, _)| t.is_none()) {
        all.median_ipv4 = nearest_rank_median(&mut jp);
    }
    Ok(rows)
}

/// The permissive codes with a column of their own (the two address bounds have theirs).
const CODE_COLUMNS: [(Permissive, &str, &str); 5] = [
    (Permissive::PassAll, "+all(%)", "pass_all_pct"),
    (Permissive::NeutralAll, "?all(%)", "neutral_all_pct"),
    (Permissive::NoAll, "allなし(%)", "no_all_pct"),
    (Permissive::Ptr, "ptr(%)", "ptr_pct"),
    (Permissive::WideIp4, "/8を超える連続範囲(%)", "wide_ip4_pct"),
];

pub fn spf_space_table(rows: &[(Option<JpType>, SpaceRow)], lang: Lang) -> Table {
    let t = |ja: &str, en: &str| h(lang, ja, en);
    let pct = |n: u64, d: u64| percent_half_up(n, d, 1).unwrap_or_else(|| "-".to_string());
    let mut headers = vec![
        t("種別", "type"),
        t(
            "SPFの許可範囲を測れたドメイン名(MXあり)",
            "names with MX whose SPF address space was measured",
        ),
        t("65,536超のIPv4アドレスを許可(%)", "over_65536_pct"),
        t("16,777,216超のIPv4アドレスを許可(%)", "over_16m_pct"),
        t("許可するIPv4アドレス数の中央値", "median_ipv4_addresses"),
    ];
    headers.extend(CODE_COLUMNS.iter().map(|(_, ja, en)| t(ja, en)));
    Table {
        name: SPF_SPACE_TABLE.to_string(),
        title: t(
            "SPFレコードが許可する送信元の広さ(MXあり、SPFが有効で許可範囲を測れたドメイン名に対する割合。未解決は除く)",
            "What SPF records let in (share of names with MX and a valid SPF record whose address space was measured; unresolved names kept apart)",
        ),
        headers,
        rows: rows
            .iter()
            .map(|(ty, r)| {
                let mut row = vec![
                    type_label(*ty, lang),
                    r.names.to_string(),
                    pct(r.over_65536, r.names),
                    pct(r.over_16m, r.names),
                    r.median_ipv4
                        .map_or_else(|| "-".to_string(), |m| m.to_string()),
                ];
                row.extend(CODE_COLUMNS.iter().map(|(p, _, _)| {
                    let i = Permissive::ALL.iter().position(|q| q == p).unwrap_or(0);
                    pct(r.permissive.get(i).copied().unwrap_or(0), r.names)
                }));
                row
            })
            .collect(),
    }
}

/// One include provider: the names whose SPF record includes (or redirects to) it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderRow {
    /// Empty in the row that folds the rest.
    pub provider: String,
    pub folded: Option<u64>,
    pub names: u64,
    /// Of them, names whose record's address space was measured, its median, and how many
    /// let over 65,536 addresses pass.
    pub measured: u64,
    pub median_ipv4: Option<u64>,
    pub over_65536: u64,
}

/// Providers given a row each at the most, by names.
const PROVIDER_ROWS: usize = 30;

/// The providers of the names with MX, most names first, the rest folded into one row; with
/// the names with MX that publish SPF, the denominator of their shares.
pub fn provider_rows(r: &Results) -> Result<(Vec<ProviderRow>, u64), TabulateError> {
    let with_spf = r
        .frame()
        .filter(flag(&HAS_MX).and(flag(&HAS_SPF)))
        .select([len().alias("n")])
        .collect()?;
    let with_spf = u64s(&with_spf, "n")?.get(0).unwrap_or(0);
    let df = r
        .frame()
        .filter(flag(&HAS_MX))
        .select([col(SPF_PROVIDERS.name), col(SPF_IPV4_ADDRESSES.name)])
        .explode(
            by_name([SPF_PROVIDERS.name], true, false),
            ExplodeOptions {
                empty_as_null: false,
                keep_nulls: false,
            },
        )
        .collect()?;
    let providers = df.column(SPF_PROVIDERS.name)?.str()?.clone();
    let ipv4 = u64s(&df, SPF_IPV4_ADDRESSES.name)?;
    let mut by: HashMap<String, (u64, Vec<u64>)> = HashMap::new();
    for (p, v) in providers.iter().zip(ipv4.iter()) {
        let Some(p) = p else { continue };
        let e = by.entry(p.to_string()).or_default();
        e.0 += 1;
        e.1.extend(v);
    }
    let mut all: Vec<(String, (u64, Vec<u64>))> = by.into_iter().collect();
    all.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
    let row = |provider: String, names: u64, mut v: Vec<u64>| ProviderRow {
        provider,
        folded: None,
        names,
        measured: v.len() as u64,
        over_65536: v.iter().filter(|&&x| x > 1 << 16).count() as u64,
        median_ipv4: nearest_rank_median(&mut v),
    };
    let rest = all.split_off(all.len().min(PROVIDER_ROWS));
    let mut rows: Vec<ProviderRow> = all.into_iter().map(|(p, (n, v))| row(p, n, v)).collect();
    if !rest.is_empty() {
        let folded = rest.len() as u64;
        let (names, values) = rest
            .into_iter()
            .fold((0, Vec::new()), |(n, mut v), (_, (m, w))| {
                v.extend(w);
                (n + m, v)
            });
        rows.push(ProviderRow {
            folded: Some(folded),
            ..row(String::new(), names, values)
        });
    }
    Ok((rows, with_spf))
}

pub fn provider_table(rows: &[ProviderRow], with_spf: u64, lang: Lang) -> Table {
    let t = |ja: &str, en: &str| h(lang, ja, en);
    Table {
        name: SPF_PROVIDERS_TABLE.to_string(),
        title: t(
            "SPFの include・redirect 先(登録ドメイン)ごとの利用(MXありでSPFを設定したドメイン名に対する割合。未解決は除く)",
            "SPF include and redirect providers by registered domain (share of names with MX that publish SPF; unresolved names kept apart)",
        ),
        headers: vec![
            t("include・redirect 先", "provider"),
            t("利用するドメイン名数", "names"),
            t("利用率(%)", "share_pct"),
            t("許可範囲を測れたドメイン名", "measured"),
            t("許可するIPv4アドレス数の中央値", "median_ipv4_addresses"),
            t("65,536超を許可(%)", "over_65536_pct"),
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    match r.folded {
                        Some(n) => t(&format!("(その他 {n} 件)"), &format!("({n} others)")),
                        None => r.provider.clone(),
                    },
                    r.names.to_string(),
                    percent_half_up(r.names, with_spf, 1).unwrap_or_else(|| "-".into()),
                    r.measured.to_string(),
                    r.median_ipv4.map_or_else(|| "-".into(), |m| m.to_string()),
                    percent_half_up(r.over_65536, r.measured, 1).unwrap_or_else(|| "-".into()),
                ]
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::nearest_rank_median;

    #[test]
    fn the_median_is_the_nearest_rank() {
        assert_eq!(nearest_rank_median(&mut []), None);
        assert_eq!(nearest_rank_median(&mut [5]), Some(5));
        assert_eq!(nearest_rank_median(&mut [9, 1]), Some(1));
        assert_eq!(nearest_rank_median(&mut [3, 1, 2]), Some(2));
    }
}
