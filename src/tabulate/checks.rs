//! The tables of the opt-in checks and the 2025 guideline: compliance per type, per
//! prefecture and for government bodies (GO and LG), the checks' adoption per type, and
//! adoption per DNS operator. Rates leave unresolved names out of their denominators; a check
//! that did not run leaves its rate empty ("-").

use std::collections::HashMap;

use polars::prelude::*;

use super::render::{self, Lang, Table, h};
use super::{
    ClassRows, Measure, TabulateError, add_counts, add_measure, class_counts, flag, known,
    rows_by_type, u,
};
use crate::policy::compliance::Verdict;
use crate::zone::refdata;

/// One rate of a rates table: names where `hit` holds among those where `known` holds.
pub struct Rate {
    pub header: (&'static str, &'static str),
    hit: Expr,
    known: Expr,
}

fn rate(header: (&'static str, &'static str), hit: Expr, known: Expr) -> Rate {
    Rate {
        header,
        hit: hit.fill_null(lit(false)).and(known.clone()),
        known,
    }
}

fn is_in(column: &str, codes: &[&str]) -> Expr {
    codes
        .iter()
        .map(|c| col(column).eq(lit(*c)))
        .reduce(|a, b| a.or(b))
        .expect("at least one code")
        .fill_null(lit(false))
}

fn effective_at_least_quarantine() -> Expr {
    is_in("dmarc_effective_7489", &["quarantine", "reject"])
}

fn bimi_logo() -> Rate {
    rate(
        ("BIMIロゴ", "bimi_logo"),
        is_in("bimi", &["logo", "logo-evidence"]),
        known("bimi"),
    )
}

fn meets() -> Rate {
    rate(
        ("基準を満たす", "meets_guideline"),
        is_in("compliance", &["compliant", "compliant-advice"]),
        known("compliance"),
    )
}

/// A group's names and its rates.
type Rated = (u64, Vec<Measure>);

/// Names and rates per value of the string expression `key`.
fn rates_by(
    lf: LazyFrame,
    key: Expr,
    rates: &[Rate],
) -> Result<HashMap<String, Rated>, TabulateError> {
    let mut aggs = vec![len().cast(DataType::UInt64).alias("names")];
    for (i, r) in rates.iter().enumerate() {
        aggs.push(
            r.hit
                .clone()
                .cast(DataType::UInt64)
                .sum()
                .alias(format!("hit{i}")),
        );
        aggs.push(
            r.known
                .clone()
                .cast(DataType::UInt64)
                .sum()
                .alias(format!("known{i}")),
        );
    }
    let df = lf.group_by([key.alias("key")]).agg(aggs).collect()?;
    let mut out = HashMap::new();
    for i in 0..df.height() {
        let Some(k) = df.column("key")?.get(i)?.get_str().map(str::to_string) else {
            continue;
        };
        let names = u(&df, "names", i);
        let measures = (0..rates.len())
            .map(|j| {
                let denominator = u(&df, &format!("known{j}"), i);
                Measure {
                    count: u(&df, &format!("hit{j}"), i),
                    denominator,
                    unresolved: names - denominator,
                }
            })
            .collect();
        out.insert(k, (names, measures));
    }
    Ok(out)
}

/// The 2025 guideline's verdicts of all names (mail domains and no-mail domains alike), per
/// type.
pub fn compliance_table(lf: LazyFrame) -> Result<ClassRows, TabulateError> {
    let codes: Vec<&str> = Verdict::ALL.iter().map(|v| v.code()).collect();
    Ok(rows_by_type(
        class_counts(lf, "jp_type", col("compliance"), &codes)?,
        vec![0; codes.len() + 1],
        add_counts,
    ))
}

/// The same per prefecture, over the names that have one (geographic names and local
/// governments; with `localgov_only`, the local governments'), in JIS order.
pub fn compliance_prefecture_table(
    lf: LazyFrame,
    localgov_only: bool,
) -> Result<Vec<(u8, Vec<u64>)>, TabulateError> {
    let codes: Vec<&str> = Verdict::ALL.iter().map(|v| v.code()).collect();
    let lf = lf.filter(col("prefecture_code").is_not_null());
    let lf = match localgov_only {
        true => lf.filter(col("lgcode").is_not_null()),
        false => lf,
    };
    let mut by_pref = class_counts(lf, "prefecture", col("compliance"), &codes)?;
    Ok(refdata()
        .prefectures
        .iter()
        .filter_map(|p| Some((p.code, by_pref.remove(&p.name_ja)?)))
        .collect())
}

/// The government groups of [`gov_table`], in its row order.
const GOV_GROUPS: [(&str, &str); 5] = [
    ("政府機関等(go.jp)", "government (go.jp)"),
    (
        "うち中央省庁等(40機関)",
        "of which central government (40 bodies)",
    ),
    ("地方公共団体 全体", "local governments, all"),
    ("都道府県", "prefectures"),
    ("市区町村", "municipalities"),
];

fn gov_rates() -> Vec<Rate> {
    let eff = "dmarc_effective_7489";
    let no_mail = flag("no_mail");
    vec![
        rate(
            ("DMARCあり", "dmarc"),
            col(eff).neq(lit("absent")),
            known(eff),
        ),
        rate(
            ("quarantine以上", "quarantine_or_reject"),
            effective_at_least_quarantine(),
            known(eff),
        ),
        rate(
            ("メール不使用でreject", "no_mail_reject"),
            col(eff).eq(lit("reject")),
            no_mail.and(known(eff)),
        ),
        bimi_logo(),
        meets(),
        rate(
            ("推奨事項なし", "fully_compliant"),
            col("compliance").eq(lit("compliant")),
            known("compliance"),
        ),
    ]
}

/// What a ministry officer publishes: the guideline's measures for government bodies, over
/// all their names (DMARC as it applies, the Organizational Domain's included, RFC 7489).
pub fn gov_table(lf: LazyFrame, lang: Lang) -> Result<Table, TabulateError> {
    // Prefectures' own local-government codes are PP000C; municipalities' PPnnnC, nnn >= 100.
    let prefectural = col("lgcode").str().slice(lit(2), lit(3)).eq(lit("000"));
    let group = when(col("jp_type").eq(lit("GO")))
        .then(lit(GOV_GROUPS[0].0))
        .when(col("lgcode").is_not_null().and(prefectural))
        .then(lit(GOV_GROUPS[3].0))
        .when(col("lgcode").is_not_null())
        .then(lit(GOV_GROUPS[4].0))
        .otherwise(lit(NULL).cast(DataType::String));
    let rates = gov_rates();
    let mut by = rates_by(lf.clone(), group, &rates)?;
    // A part of the go.jp row, so grouped apart.
    let central = lf.filter(flag("central_government"));
    by.extend(rates_by(central, lit(GOV_GROUPS[1].0), &rates)?);
    let empty = (0, vec![Measure::default(); rates.len()]);
    let mut take = |g: usize| by.remove(GOV_GROUPS[g].0).unwrap_or_else(|| empty.clone());
    let (go, central, pref, muni) = (take(0), take(1), take(3), take(4));
    let mut localgov = pref.clone();
    add_rated(&mut localgov, &muni);
    let rows = vec![
        (GOV_GROUPS[0], go),
        (GOV_GROUPS[1], central),
        (GOV_GROUPS[2], localgov),
        (GOV_GROUPS[3], pref),
        (GOV_GROUPS[4], muni),
    ];
    Ok(render::rates_table(
        "compliance_government",
        h(
            lang,
            "政府機関等・地方公共団体の2025年ガイドライン対応状況(6.2.2(1)-3、DMARCは組織ドメインからの適用を含む)",
            "Government bodies against the 2025 guideline (6.2.2(1)-3; DMARC as it applies, Organizational Domain included)",
        ),
        h(lang, "区分", "group"),
        &rates,
        rows.into_iter()
            .map(|((ja, en), r)| (h(lang, ja, en), r))
            .collect(),
        lang,
    ))
}

/// Adoption of the opt-in checks' records by the names with MX, per type.
pub fn checks_table(lf: LazyFrame, lang: Lang) -> Result<Table, TabulateError> {
    let rates = vec![
        bimi_logo(),
        rate(
            ("BIMI(VMC付き)", "bimi_with_evidence"),
            is_in("bimi", &["logo-evidence"]),
            known("bimi"),
        ),
        rate(
            ("MTA-STS", "mta_sts"),
            is_in("mta_sts", &["valid"]),
            known("mta_sts"),
        ),
        rate(
            ("TLS-RPT", "tls_rpt"),
            is_in("tls_rpt", &["valid"]),
            known("tls_rpt"),
        ),
        rate(
            ("DNSSEC(AD)", "dnssec_ad"),
            is_in("dnssec", &["secure"]),
            known("dnssec"),
        ),
        rate(
            ("外部rua承認済(対外部rua)", "external_rua_authorized"),
            is_in("dmarc_rua_verified", &["authorized"]),
            is_in("dmarc_rua_verified", &["authorized", "unauthorized"]),
        ),
    ];
    let by = rates_by(lf.filter(flag("has_mx")), col("jp_type"), &rates)?;
    let rows = rows_by_type(by, (0, vec![Measure::default(); rates.len()]), add_rated);
    Ok(render::rates_table(
        "checks",
        h(
            lang,
            "BIMI・MTA-STS・TLS-RPT・DNSSEC・DMARCレポート送付先の確認(MXありドメイン名)",
            "BIMI, MTA-STS, TLS-RPT, DNSSEC and DMARC report destinations (names with MX)",
        ),
        h(lang, "種別", "type"),
        &rates,
        rows.into_iter()
            .map(|(t, r)| (render::type_label(t, lang), r))
            .collect(),
        lang,
    ))
}

fn add_rated(a: &mut Rated, b: &Rated) {
    a.0 += b.0;
    a.1.iter_mut()
        .zip(&b.1)
        .for_each(|(x, y)| add_measure(x, y));
}

/// Operators listed by name at most; the rest are summed as "other".
const TOP_OPERATORS: usize = 20;

/// Adoption per DNS operator (the registered domain of the NS hosts), the largest first:
/// names operating their own DNS are one row, the operators past the largest
/// [`TOP_OPERATORS`] another.
pub fn operator_table(lf: LazyFrame, lang: Lang) -> Result<Table, TabulateError> {
    let self_hosted = h(lang, "(自組織で運用)", "(self-hosted)");
    let op = when(col("dns_operator").eq(col("registered_domain")))
        .then(lit(self_hosted.clone()))
        .otherwise(col("dns_operator"));
    let mx = flag("has_mx");
    let rates = vec![
        rate(("MX", "mx"), flag("has_mx"), known("has_mx")),
        rate(
            ("SPF(対MX)", "spf_of_mx"),
            flag("has_spf"),
            mx.clone().and(known("has_spf")),
        ),
        rate(
            ("DMARC(対MX)", "dmarc_of_mx"),
            flag("has_dmarc"),
            mx.clone().and(known("has_dmarc")),
        ),
        rate(
            ("quarantine以上(対MX)", "quarantine_or_reject_of_mx"),
            effective_at_least_quarantine(),
            mx.and(known("dmarc_effective_7489")),
        ),
        meets(),
    ];
    let by = rates_by(lf.filter(known("dns_operator")), op, &rates)?;
    let mut rows: Vec<(String, Rated)> = by.into_iter().collect();
    rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
    let own = rows
        .iter()
        .position(|(k, _)| *k == self_hosted)
        .map(|i| rows.remove(i));
    if rows.len() > TOP_OPERATORS {
        let rest = rows.split_off(TOP_OPERATORS);
        let mut other = (0, vec![Measure::default(); rates.len()]);
        for (_, r) in &rest {
            add_rated(&mut other, r);
        }
        rows.push((h(lang, "その他", "other"), other));
    }
    rows.extend(own);
    Ok(render::rates_table(
        "dns_operators",
        h(
            lang,
            "DNS事業者(NSホストの登録ドメイン)ごとの設定状況",
            "Adoption by DNS operator (registered domain of the NS hosts)",
        ),
        h(lang, "DNS事業者", "dns_operator"),
        &rates,
        rows,
        lang,
    ))
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
