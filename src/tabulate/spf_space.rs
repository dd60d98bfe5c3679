//! What SPF records let in, tabulated: per JP type and per local-government region, how many
//! records let over 65,536 and over 16,777,216 IPv4 addresses pass, the median, and the
//! permissive endings and `ptr`; and the include providers, the registered domains the
//! records hand their mail to, by names.

use std::collections::HashMap;

use polars::prelude::*;

use super::render::{Table, h, lg_label, type_label};
use super::{Lang, LgGroup, Results, TableName, TabulateError, flag, known, percent_half_up};
use crate::code::Code;
use crate::policy::spf::{self, Permissive};
use crate::run::schema::{
    HAS_MX, HAS_SPF, JP_TYPE, LGCODE, NAME, REGION, SPF_IPV4_ADDRESSES, SPF_PERMISSIVE,
    SPF_PROVIDERS, SPF_RECORDS,
};
use crate::zone::{JpType, Region};

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

/// The measured names of `rows`, by the value of `key`: their IPv4 address counts, and
/// their names per [`Permissive`] code.
#[derive(Default)]
struct Grouped {
    values: HashMap<String, Vec<u64>>,
    codes: HashMap<String, Vec<u64>>,
}

impl Grouped {
    fn of(r: &Results, rows: Expr, key: &str) -> Result<Grouped, TabulateError> {
        let measured = r.frame().filter(rows.and(known(&SPF_IPV4_ADDRESSES)));
        let df = measured
            .clone()
            .select([col(key), col(SPF_IPV4_ADDRESSES.name)])
            .collect()?;
        let mut g = Grouped::default();
        let keys = df.column(key)?.str()?.clone();
        for (k, v) in keys.iter().zip(u64s(&df, SPF_IPV4_ADDRESSES.name)?.iter()) {
            if let (Some(k), Some(v)) = (k, v) {
                g.values.entry(k.to_string()).or_default().push(v);
            }
        }
        let codes = measured
            .select([col(key), col(SPF_PERMISSIVE.name)])
            .explode(
                by_name([SPF_PERMISSIVE.name], true, false),
                ExplodeOptions {
                    empty_as_null: true,
                    keep_nulls: false,
                },
            )
            .filter(col(SPF_PERMISSIVE.name).is_not_null())
            .group_by([col(key), col(SPF_PERMISSIVE.name)])
            .agg([len().alias("n")])
            .collect()?;
        let (ck, cc, cn) = (
            codes.column(key)?.str()?.clone(),
            codes.column(SPF_PERMISSIVE.name)?.str()?.clone(),
            u64s(&codes, "n")?,
        );
        for ((k, c), n) in ck.iter().zip(cc.iter()).zip(cn.iter()) {
            let (Some(k), Some(c), Some(n)) = (k, c, n) else {
                continue;
            };
            let counts = g
                .codes
                .entry(k.to_string())
                .or_insert_with(|| vec![0; Permissive::ALL.len()]);
            if let Some(i) = Permissive::ALL.iter().position(|p| p.code() == c) {
                counts[i] += n;
            }
        }
        Ok(g)
    }

    /// The row of the keys `keep` takes, together (a median is of their values, not a sum).
    fn row(&self, keep: impl Fn(&str) -> bool) -> SpaceRow {
        let mut v: Vec<u64> = Vec::new();
        let mut permissive = vec![0; Permissive::ALL.len()];
        for (k, values) in self.values.iter().filter(|(k, _)| keep(k)) {
            v.extend(values);
            for (a, b) in permissive
                .iter_mut()
                .zip(self.codes.get(k).into_iter().flatten())
            {
                *a += b;
            }
        }
        SpaceRow {
            names: v.len() as u64,
            over_65536: v.iter().filter(|&&x| x > 1 << 16).count() as u64,
            over_16m: v.iter().filter(|&&x| x > 1 << 24).count() as u64,
            median_ipv4: nearest_rank_median(&mut v),
            permissive,
        }
    }
}

/// The rows per JP type of the names with MX, then all of .jp, then names outside it.
pub fn spf_space_rows(r: &Results) -> Result<Vec<(Option<JpType>, SpaceRow)>, TabulateError> {
    let g = Grouped::of(r, flag(&HAS_MX), JP_TYPE.name)?;
    let jp = |k: &str| JpType::from_code(k).is_some_and(|t| t.is_jp());
    let mut rows: Vec<(Option<JpType>, SpaceRow)> = JpType::ALL
        .iter()
        .filter(|t| t.is_jp())
        .map(|t| (Some(*t), g.row(|k| k == t.code())))
        .collect();
    rows.push((None, g.row(jp)));
    if g.values.contains_key(JpType::Other.code()) {
        rows.push((Some(JpType::Other), g.row(|k| k == JpType::Other.code())));
    }
    Ok(rows)
}

/// The rows per region of the local governments' names with MX, then all of them.
pub fn spf_space_region_rows(r: &Results) -> Result<Vec<(LgGroup, SpaceRow)>, TabulateError> {
    let g = Grouped::of(r, known(&LGCODE).and(flag(&HAS_MX)), REGION.name)?;
    let mut rows: Vec<(LgGroup, SpaceRow)> = Region::ALL
        .iter()
        .map(|x| (LgGroup::Region(*x), g.row(|k| k == x.name_ja())))
        .collect();
    rows.push((LgGroup::All, g.row(|_| true)));
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

/// The types' table.
pub fn spf_space_table(rows: &[(Option<JpType>, SpaceRow)], lang: Lang) -> Table {
    let labelled = rows.iter().map(|(t, r)| (type_label(*t, lang), r));
    space_table(
        TableName::SpfPermissive,
        h(
            lang,
            "SPFレコードが許可する送信元の広さ(MXあり、SPFが有効で許可範囲を測れたドメイン名に対する割合。未解決は除く)",
            "What SPF records let in (share of names with MX and a valid SPF record whose address space was measured; unresolved names kept apart)",
        ),
        h(lang, "種別", "type"),
        labelled,
        lang,
    )
}

/// The local governments' table.
pub fn spf_space_region_table(rows: &[(LgGroup, SpaceRow)], lang: Lang) -> Table {
    let labelled = rows.iter().map(|(g, r)| (lg_label(*g, lang), r));
    space_table(
        TableName::SpfPermissiveLocalgovRegions,
        h(
            lang,
            "地方公共団体のSPFレコードが許可する送信元の広さ(地方別、MXあり、SPFが有効で許可範囲を測れたドメイン名に対する割合。未解決は除く)",
            "What the SPF records of local governments let in, by region (share of names with MX and a valid SPF record whose address space was measured; unresolved names kept apart)",
        ),
        h(lang, "地方", "region"),
        labelled,
        lang,
    )
}

fn space_table<'a>(
    name: TableName,
    title: String,
    first: String,
    rows: impl Iterator<Item = (String, &'a SpaceRow)>,
    lang: Lang,
) -> Table {
    let t = |ja: &str, en: &str| h(lang, ja, en);
    let pct = |n: u64, d: u64| percent_half_up(n, d, 1).unwrap_or_else(|| "-".to_string());
    let mut headers = vec![
        first,
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
        name: name.code().to_string(),
        title,
        headers,
        rows: rows
            .map(|(label, r)| {
                let mut row = vec![
                    label,
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
    /// The IPv4 addresses the provider's own records let pass: the most frequent space of
    /// the names that include nothing else ([`crate::policy::spf::SpfRecord::sole_provider`]);
    /// none where no name does.
    pub own_ipv4: Option<u64>,
}

/// Each provider's own space, from the names whose record hands everything to it.
fn own_spaces(r: &Results) -> Result<HashMap<String, u64>, TabulateError> {
    let df = r
        .frame()
        .filter(flag(&HAS_MX).and(known(&SPF_IPV4_ADDRESSES)))
        .select([
            col(NAME.name),
            col(SPF_RECORDS.name),
            col(SPF_IPV4_ADDRESSES.name),
        ])
        .collect()?;
    let names = df.column(NAME.name)?.str()?.clone();
    let records = df.column(SPF_RECORDS.name)?.list()?.clone();
    let ipv4 = u64s(&df, SPF_IPV4_ADDRESSES.name)?;
    // Provider → space → names.
    let mut seen: HashMap<String, HashMap<u64, u64>> = HashMap::new();
    for i in 0..df.height() {
        let (Some(name), Some(recs), Some(v)) =
            (names.get(i), records.get_as_series(i), ipv4.get(i))
        else {
            continue;
        };
        let recs = recs.str()?.clone();
        // One declared record: the tree was walked from it.
        let (1, Some(text)) = (recs.len(), recs.get(0)) else {
            continue;
        };
        if let Some(p) = spf::parse(text)
            .ok()
            .and_then(|rec| rec.sole_provider(name))
        {
            *seen.entry(p).or_default().entry(v).or_default() += 1;
        }
    }
    Ok(seen
        .into_iter()
        .filter_map(|(p, counts)| {
            let most = counts
                .into_iter()
                .max_by_key(|&(v, n)| (n, std::cmp::Reverse(v)))?;
            Some((p, most.0))
        })
        .collect())
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
    let own = own_spaces(r)?;
    let mut all: Vec<(String, (u64, Vec<u64>))> = by.into_iter().collect();
    all.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
    let row = |provider: String, names: u64, mut v: Vec<u64>| ProviderRow {
        own_ipv4: own.get(&provider).copied(),
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
        name: TableName::SpfProviders.code().to_string(),
        title: t(
            "SPFの include・redirect 先(登録ドメイン)ごとの利用(MXありでSPFを設定したドメイン名に対する割合。未解決は除く)",
            "SPF include and redirect providers by registered domain (share of names with MX that publish SPF; unresolved names kept apart)",
        ),
        headers: vec![
            t("include・redirect 先", "provider"),
            t("利用するドメイン名数", "names"),
            t("利用率(%)", "share_pct"),
            t(
                "その事業者のSPFが許可するIPv4アドレス数",
                "provider_ipv4_addresses",
            ),
            t("うち許可範囲を測れたドメイン名", "measured"),
            t(
                "それらのSPFが許可するIPv4アドレス数の中央値",
                "median_ipv4_addresses_of_their_records",
            ),
            t("それらのうち65,536超を許可(%)", "over_65536_pct"),
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
                    r.own_ipv4.map_or_else(|| "-".into(), |n| n.to_string()),
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
