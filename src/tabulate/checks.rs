//! The tables of the opt-in checks and the 2025 guideline: compliance per type, per
//! prefecture and for government bodies (GO and LG), the checks' adoption per type, and
//! adoption per DNS operator. Rates leave unresolved names out of their denominators; a check
//! that did not run leaves its rate empty ("-").

use std::collections::HashMap;

use polars::prelude::*;

use super::render::{self, Lang, Table, h};
use super::{
    ClassRows, LgGroup, Measure, Rated, Results, TableName, TabulateError, add_counts, add_measure,
    class_counts, flag, is_in, known, rows_by_type, u,
};
use crate::policy::bimi::BimiStatus;
use crate::policy::compliance::Verdict;
use crate::policy::dmarc::{Protection, RuaVerdict};
use crate::policy::judgement::Dnssec;
use crate::policy::mailhost::{Dane, Dkim, Share};
use crate::policy::tags::Status;
use crate::run::schema::{self, Column};
use crate::zone::{JpType, Region, refdata};

/// One rate of a rates table: names where `hit` holds among those where `known` holds.
struct Rate {
    hit: Expr,
    known: Expr,
}

fn rate(hit: Expr, known: Expr) -> Rate {
    Rate {
        hit: hit.fill_null(lit(false)).and(known.clone()),
        known,
    }
}

/// The protection that applies (RFC 7489, the Organizational Domain's included) is one of
/// `values`.
fn effective(values: &[Protection]) -> Expr {
    is_in(&schema::DMARC_EFFECTIVE_7489, values)
}

fn bimi_logo() -> Rate {
    rate(
        is_in(
            &schema::BIMI,
            &[BimiStatus::Logo, BimiStatus::LogoWithEvidence],
        ),
        known(&schema::BIMI),
    )
}

fn meets() -> Rate {
    let meeting: Vec<Verdict> = Verdict::ALL
        .iter()
        .copied()
        .filter(|v| v.meets_requirements())
        .collect();
    rate(
        is_in(&schema::COMPLIANCE, &meeting),
        known(&schema::COMPLIANCE),
    )
}

/// Names and rates per value of the string expression `key`.
fn rates_by(
    lf: LazyFrame,
    key: Expr,
    rates: &[Rate],
) -> Result<HashMap<String, Rated>, TabulateError> {
    let mut aggs = vec![len().cast(DataType::UInt64).alias("names")];
    for (i, r) in rates.iter().enumerate() {
        aggs.push(super::count(r.hit.clone(), &format!("hit{i}")));
        aggs.push(super::count(r.known.clone(), &format!("known{i}")));
    }
    let df = lf.group_by([key.alias("key")]).agg(aggs).collect()?;
    let keys = df.column("key")?.str()?;
    let mut out = HashMap::new();
    for i in 0..df.height() {
        let Some(k) = keys.get(i) else {
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
        out.insert(k.to_string(), (names, measures));
    }
    Ok(out)
}

fn add_rated(a: &mut Rated, b: &Rated) {
    a.0 += b.0;
    a.1.iter_mut()
        .zip(&b.1)
        .for_each(|(x, y)| add_measure(x, y));
}

/// The government groups of the government table, in its row order.
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

const GOV_RATES: [(&str, &str); 6] = [
    ("DMARCあり", "dmarc"),
    ("quarantine以上", "quarantine_or_reject"),
    ("メール不使用でreject", "no_mail_reject"),
    ("BIMIロゴ", "bimi_logo"),
    ("基準を満たす", "meets_guideline"),
    ("推奨事項なし", "fully_compliant"),
];

fn gov_rates() -> Vec<Rate> {
    let eff = &schema::DMARC_EFFECTIVE_7489;
    let declared: Vec<Protection> = Protection::ALL
        .iter()
        .copied()
        .filter(|p| *p != Protection::Absent)
        .collect();
    vec![
        rate(effective(&declared), known(eff)),
        rate(
            effective(&[Protection::Quarantine, Protection::Reject]),
            known(eff),
        ),
        rate(
            effective(&[Protection::Reject]),
            flag(&schema::NO_MAIL).and(known(eff)),
        ),
        bimi_logo(),
        meets(),
        rate(
            is_in(&schema::COMPLIANCE, &[Verdict::Compliant]),
            known(&schema::COMPLIANCE),
        ),
    ]
}

/// What a ministry officer publishes: the guideline's measures for government bodies, over
/// all their names (DMARC as it applies, the Organizational Domain's included, RFC 7489).
fn gov_rows(r: &Results) -> Result<Vec<Rated>, TabulateError> {
    // Prefectures' own local-government codes are PP000C; municipalities' PPnnnC, nnn >= 100.
    let lgcode = col(schema::LGCODE.name);
    let prefectural = lgcode.clone().str().slice(lit(2), lit(3)).eq(lit("000"));
    let group = when(is_in(&schema::JP_TYPE, &[JpType::Go]))
        .then(lit(GOV_GROUPS[0].0))
        .when(lgcode.clone().is_not_null().and(prefectural))
        .then(lit(GOV_GROUPS[3].0))
        .when(lgcode.is_not_null())
        .then(lit(GOV_GROUPS[4].0))
        .otherwise(lit(NULL).cast(DataType::String));
    let rates = gov_rates();
    let mut by = rates_by(r.frame(), group, &rates)?;
    // A part of the go.jp row, so grouped apart.
    let central = r.frame().filter(flag(&schema::CENTRAL_GOVERNMENT));
    by.extend(rates_by(central, lit(GOV_GROUPS[1].0), &rates)?);
    let empty = (0, vec![Measure::default(); rates.len()]);
    let mut take = |g: usize| by.remove(GOV_GROUPS[g].0).unwrap_or_else(|| empty.clone());
    let (go, central, pref, muni) = (take(0), take(1), take(3), take(4));
    let mut localgov = pref.clone();
    add_rated(&mut localgov, &muni);
    Ok(vec![go, central, localgov, pref, muni])
}

const CHECK_RATES: [(&str, &str); 6] = [
    ("BIMIロゴ", "bimi_logo"),
    ("BIMI(VMC付き)", "bimi_with_evidence"),
    ("MTA-STS", "mta_sts"),
    ("TLS-RPT", "tls_rpt"),
    ("DNSSEC(AD)", "dnssec_ad"),
    ("外部rua承認済(対外部rua)", "external_rua_authorized"),
];

const MAIL_HOST_RATES: [(&str, &str); 6] = [
    ("DKIM公開鍵あり(下限)", "dkim_lower_bound"),
    ("全MXホストにIPv6", "mx_ipv6_all"),
    ("一部MXホストにIPv6", "mx_ipv6_some"),
    ("アドレスのないMXホスト", "mx_dangling"),
    ("DANE有効", "dane_valid"),
    ("DANE一部・無効・未認証", "dane_broken"),
];

/// DKIM, IPv6 of mail and DANE among the names with MX, per type.
fn mail_host_rows(r: &Results) -> Result<Vec<(Option<JpType>, Rated)>, TabulateError> {
    let (ipv6, dane) = (&schema::MX_IPV6, &schema::DANE);
    let rates = vec![
        rate(is_in(&schema::DKIM, &[Dkim::Present]), known(&schema::DKIM)),
        rate(is_in(ipv6, &[Share::All]), known(ipv6)),
        rate(is_in(ipv6, &[Share::Some]), known(ipv6)),
        rate(flag(&schema::MX_DANGLING), known(&schema::MX_DANGLING)),
        rate(is_in(dane, &[Dane::Valid]), known(dane)),
        rate(
            is_in(dane, &[Dane::Partial, Dane::Invalid, Dane::Unauthenticated]),
            known(dane),
        ),
    ];
    rows_by_type_of(r, &rates)
}

const TRANSPORT_RATES: [(&str, &str); 6] = [
    ("全MXホストがSTARTTLS", "starttls_all"),
    ("全MXホストがTLS1.2以上", "tls12_all"),
    ("全MXホストの証明書が有効", "cert_valid_all"),
    ("DANE照合一致", "dane_matching"),
    ("DANE照合不一致", "dane_mismatch"),
    ("MTA-STS強制(方針取得・全MX一致)", "mta_sts_enforced"),
];

/// What the mail hosts and policy hosts said over TCP ([`TRANSPORT_RATES`]), among the names
/// with MX: a name whose host could not be reached is in no denominator.
fn transport_rates() -> Vec<Rate> {
    let all = |c: &'static Column| rate(is_in(c, &[Share::All]), known(c));
    let dane = &schema::DANE;
    let of_mx = |r: Rate| Rate {
        hit: r.hit.and(flag(&schema::HAS_MX)),
        known: r.known.and(flag(&schema::HAS_MX)),
    };
    [
        all(&schema::MX_STARTTLS),
        all(&schema::MX_TLS),
        all(&schema::MX_CERT_VALID),
        rate(is_in(dane, &[Dane::Valid]), known(dane)),
        rate(is_in(dane, &[Dane::Mismatch]), known(dane)),
        rate(
            flag(&schema::MTA_STS_ENFORCED),
            known(&schema::MTA_STS_ENFORCED),
        ),
    ]
    .into_iter()
    .map(of_mx)
    .collect()
}

/// The transport rates of the local governments' names, per region in the published order,
/// then all.
fn transport_region_rows(r: &Results) -> Result<Vec<(LgGroup, Rated)>, TabulateError> {
    let rates = transport_rates();
    let empty = || (0, vec![Measure::default(); rates.len()]);
    let lg = r
        .frame()
        .filter(known(&schema::LGCODE).and(flag(&schema::HAS_MX)));
    let mut by = rates_by(lg, col(schema::REGION.name), &rates)?;
    let mut all = empty();
    let mut rows = Vec::new();
    for region in Region::ALL {
        let row = by.remove(region.name_ja()).unwrap_or_else(empty);
        add_rated(&mut all, &row);
        rows.push((LgGroup::Region(region), row));
    }
    rows.push((LgGroup::All, all));
    Ok(rows)
}

/// Names and `rates` among the names with MX, per type and summed.
fn rows_by_type_of(
    r: &Results,
    rates: &[Rate],
) -> Result<Vec<(Option<JpType>, Rated)>, TabulateError> {
    let by = rates_by(
        r.frame().filter(flag(&schema::HAS_MX)),
        col(schema::JP_TYPE.name),
        rates,
    )?;
    Ok(rows_by_type(
        by,
        (0, vec![Measure::default(); rates.len()]),
        add_rated,
    ))
}

/// Adoption of the opt-in checks' records by the names with MX, per type.
fn check_rows(r: &Results) -> Result<Vec<(Option<JpType>, Rated)>, TabulateError> {
    let verified = &schema::DMARC_RUA_VERIFIED;
    let rates = vec![
        bimi_logo(),
        rate(
            is_in(&schema::BIMI, &[BimiStatus::LogoWithEvidence]),
            known(&schema::BIMI),
        ),
        rate(
            is_in(&schema::MTA_STS, &[Status::Valid]),
            known(&schema::MTA_STS),
        ),
        rate(
            is_in(&schema::TLS_RPT, &[Status::Valid]),
            known(&schema::TLS_RPT),
        ),
        rate(
            is_in(&schema::DNSSEC, &[Dnssec::Secure]),
            known(&schema::DNSSEC),
        ),
        rate(
            is_in(verified, &[RuaVerdict::Authorized]),
            is_in(
                verified,
                &[RuaVerdict::Authorized, RuaVerdict::Unauthorized],
            ),
        ),
    ];
    rows_by_type_of(r, &rates)
}

/// Operators listed by name at most; the rest are summed as "other".
const TOP_OPERATORS: usize = 20;

/// A row of the operator table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperatorRow {
    /// An operator: the registered domain of its NS hosts.
    Named(String),
    /// The operators past the largest [`TOP_OPERATORS`].
    Other,
    /// Names served by their own registered domain's hosts.
    SelfHosted,
}

const OPERATOR_RATES: [(&str, &str); 5] = [
    ("MX", "mx"),
    ("SPF(対MX)", "spf_of_mx"),
    ("DMARC(対MX)", "dmarc_of_mx"),
    ("quarantine以上(対MX)", "quarantine_or_reject_of_mx"),
    ("基準を満たす", "meets_guideline"),
];

/// The ministry's rates and the guideline's, per DNS operator ([`OPERATOR_RATES`]).
fn adoption_rates() -> Vec<Rate> {
    let mx = flag(&schema::HAS_MX);
    vec![
        rate(flag(&schema::HAS_MX), known(&schema::HAS_MX)),
        rate(
            flag(&schema::HAS_SPF),
            mx.clone().and(known(&schema::HAS_SPF)),
        ),
        rate(
            flag(&schema::HAS_DMARC),
            mx.clone().and(known(&schema::HAS_DMARC)),
        ),
        rate(
            effective(&[Protection::Quarantine, Protection::Reject]),
            mx.and(known(&schema::DMARC_EFFECTIVE_7489)),
        ),
        meets(),
    ]
}

/// `rates` per DNS operator (the registered domain of the NS hosts), the largest first:
/// names operating their own DNS are one row, the operators past the largest
/// [`TOP_OPERATORS`] another.
fn operator_rows(r: &Results, rates: &[Rate]) -> Result<Vec<(OperatorRow, Rated)>, TabulateError> {
    // No registered domain contains a space, so this key cannot be an operator's.
    const SELF: &str = "self hosted";
    let op = &schema::DNS_OPERATOR;
    let key = when(col(op.name).eq(col(schema::REGISTERED_DOMAIN.name)))
        .then(lit(SELF))
        .otherwise(col(op.name));
    let by = rates_by(r.frame().filter(known(op)), key, rates)?;
    let mut rows: Vec<(String, Rated)> = by.into_iter().collect();
    rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
    let own = rows
        .iter()
        .position(|(k, _)| k == SELF)
        .map(|i| (OperatorRow::SelfHosted, rows.remove(i).1));
    let mut out: Vec<(OperatorRow, Rated)> = Vec::new();
    if rows.len() > TOP_OPERATORS {
        let rest = rows.split_off(TOP_OPERATORS);
        let mut other = (0, vec![Measure::default(); rates.len()]);
        for (_, r) in &rest {
            add_rated(&mut other, r);
        }
        out.extend(rows.into_iter().map(|(k, r)| (OperatorRow::Named(k), r)));
        out.push((OperatorRow::Other, other));
    } else {
        out.extend(rows.into_iter().map(|(k, r)| (OperatorRow::Named(k), r)));
    }
    out.extend(own);
    Ok(out)
}

/// The 2025 guideline's verdicts of the names of `lf` (mail domains and no-mail domains
/// alike), per value of `key`.
fn verdicts_by(lf: LazyFrame, key: &Column) -> Result<HashMap<String, Vec<u64>>, TabulateError> {
    let codes = schema::COMPLIANCE.codes_of(&Verdict::ALL);
    class_counts(lf, key, col(schema::COMPLIANCE.name), &codes)
}

/// The verdicts per prefecture, over the names that have one (geographic names and local
/// governments; with `localgov_only`, the local governments'), in JIS order.
fn verdicts_per_prefecture(
    r: &Results,
    localgov_only: bool,
) -> Result<Vec<(u8, Vec<u64>)>, TabulateError> {
    let lf = r.frame().filter(known(&schema::PREFECTURE_CODE));
    let lf = match localgov_only {
        true => lf.filter(known(&schema::LGCODE)),
        false => lf,
    };
    let mut by_pref = verdicts_by(lf, &schema::PREFECTURE)?;
    Ok(refdata()
        .prefectures
        .iter()
        .filter_map(|p| Some((p.code, by_pref.remove(&p.name_ja)?)))
        .collect())
}

/// The guideline's tables of a run, computed once.
pub struct Guideline {
    /// Verdicts per type (all names), then unresolved.
    pub compliance: ClassRows,
    /// Verdicts per prefecture: of all names with one, and of the local governments'.
    pub prefectures: Vec<(u8, Vec<u64>)>,
    pub localgov_prefectures: Vec<(u8, Vec<u64>)>,
    /// The government table's rows, in [`GOV_GROUPS`] order.
    pub government: Vec<Rated>,
    pub checks: Vec<(Option<JpType>, Rated)>,
    pub operators: Vec<(OperatorRow, Rated)>,
    /// `None` where the run predates the columns.
    pub mail_hosts: Option<Vec<(Option<JpType>, Rated)>>,
    /// `None` where the run predates the columns.
    pub transport: Option<TransportRows>,
}

/// The checks that connect, per type, per local-government region and per DNS operator.
pub struct TransportRows {
    pub types: Vec<(Option<JpType>, Rated)>,
    pub regions: Vec<(LgGroup, Rated)>,
    pub operators: Vec<(OperatorRow, Rated)>,
}

impl TransportRows {
    fn of(r: &Results) -> Result<TransportRows, TabulateError> {
        let rates = transport_rates();
        Ok(TransportRows {
            types: rows_by_type_of(r, &rates)?,
            regions: transport_region_rows(r)?,
            operators: operator_rows(r, &rates)?,
        })
    }
}

/// An operator row's label.
fn operator_label(o: &OperatorRow, lang: Lang) -> String {
    match o {
        OperatorRow::Named(n) => n.clone(),
        OperatorRow::Other => h(lang, "その他", "other"),
        OperatorRow::SelfHosted => h(lang, "(自組織で運用)", "(self-hosted)"),
    }
}

impl Guideline {
    pub fn of(r: &Results) -> Result<Guideline, TabulateError> {
        let by_type = verdicts_by(r.frame(), &schema::JP_TYPE)?;
        Ok(Guideline {
            compliance: rows_by_type(by_type, vec![0; Verdict::ALL.len() + 1], add_counts),
            prefectures: verdicts_per_prefecture(r, false)?,
            localgov_prefectures: verdicts_per_prefecture(r, true)?,
            government: gov_rows(r)?,
            checks: check_rows(r)?,
            operators: operator_rows(r, &adoption_rates())?,
            mail_hosts: match TableName::MailHosts.in_schema(r.version) {
                true => Some(mail_host_rows(r)?),
                false => None,
            },
            transport: match TableName::Transport.in_schema(r.version) {
                true => Some(TransportRows::of(r)?),
                false => None,
            },
        })
    }

    /// The share meeting the guideline out of a verdict row.
    pub fn meeting(counts: &[u64]) -> Measure {
        Measure::of_classes(counts, &super::marks(Verdict::meets_requirements))
    }

    /// The tables, in [`TableName`] order; the mail hosts' where the run has it.
    pub fn tables(&self, lang: Lang) -> Vec<Table> {
        let gov = GOV_GROUPS
            .iter()
            .zip(&self.government)
            .map(|((ja, en), r)| (h(lang, ja, en), r.clone()))
            .collect();
        let by_type = |rows: &[(Option<JpType>, Rated)]| {
            rows.iter()
                .map(|(t, r)| (render::type_label(*t, lang), r.clone()))
                .collect()
        };
        let checks = by_type(&self.checks);
        let by_operator = |rows: &[(OperatorRow, Rated)]| {
            rows.iter()
                .map(|(o, r)| (operator_label(o, lang), r.clone()))
                .collect()
        };
        let operators = by_operator(&self.operators);
        let mut tables = vec![
            render::rates_table(
                TableName::ComplianceGovernment,
                h(
                    lang,
                    "政府機関等・地方公共団体の2025年ガイドライン対応状況(6.2.2(1)-3、DMARCは組織ドメインからの適用を含む。率は分母の列の判定できたドメイン名に対する割合)",
                    "Government bodies against the 2025 guideline (6.2.2(1)-3; DMARC as it applies, Organizational Domain included; each rate over its denominator column, the names it was settled for)",
                ),
                h(lang, "区分", "group"),
                &GOV_RATES,
                gov,
                lang,
            ),
            render::compliance_table(&self.compliance, lang),
            render::compliance_prefecture_table(&self.prefectures, lang),
            render::rates_table(
                TableName::Checks,
                h(
                    lang,
                    "BIMI・MTA-STS・TLS-RPT・DNSSEC・DMARCレポート送付先の確認(MXありドメイン名)",
                    "BIMI, MTA-STS, TLS-RPT, DNSSEC and DMARC report destinations (names with MX)",
                ),
                h(lang, "種別", "type"),
                &CHECK_RATES,
                checks,
                lang,
            ),
            render::rates_table(
                TableName::DnsOperators,
                h(
                    lang,
                    "DNS事業者(NSホストの登録ドメイン)ごとの設定状況(率は分母の列の判定できたドメイン名に対する割合)",
                    "Adoption by DNS operator (registered domain of the NS hosts; each rate over its denominator column, the names it was settled for)",
                ),
                h(lang, "DNS事業者", "dns_operator"),
                &OPERATOR_RATES,
                operators,
                lang,
            ),
        ];
        if let Some(rows) = &self.mail_hosts {
            tables.push(render::rates_table(
                TableName::MailHosts,
                h(
                    lang,
                    "DKIM・MXホストのIPv6・DANE(MXありドメイン名)",
                    "DKIM, IPv6 of the MX hosts and DANE (names with MX)",
                ),
                h(lang, "種別", "type"),
                &MAIL_HOST_RATES,
                by_type(rows),
                lang,
            ));
        }
        if let Some(t) = &self.transport {
            let regions = t
                .regions
                .iter()
                .map(|(g, r)| (render::lg_label(*g, lang), r.clone()))
                .collect();
            let over = h(
                lang,
                "率はMXありドメイン名に対する割合。接続できなかったホストのあるドメイン名は分母から除く",
                "rates over the names with MX; names with a host that could not be reached left out of the denominators",
            );
            for (name, ja, en, label, rows) in [
                (
                    TableName::Transport,
                    "",
                    "",
                    h(lang, "種別", "type"),
                    by_type(&t.types),
                ),
                (
                    TableName::TransportLocalgovRegions,
                    "地方公共団体の地域別の",
                    "Local governments by region: ",
                    h(lang, "地域", "region"),
                    regions,
                ),
                (
                    TableName::TransportDnsOperators,
                    "DNS事業者ごとの",
                    "By DNS operator: ",
                    h(lang, "DNS事業者", "dns_operator"),
                    by_operator(&t.operators),
                ),
            ] {
                let title = h(
                    lang,
                    &format!("{ja}MXホストのSTARTTLS・証明書・DANE照合とMTA-STS方針({over})"),
                    &format!(
                        "{en}STARTTLS, certificates and DANE matched at the MX hosts, and MTA-STS policies ({over})"
                    ),
                );
                tables.push(render::rates_table(
                    name,
                    title,
                    label,
                    &TRANSPORT_RATES,
                    rows,
                    lang,
                ));
            }
        }
        tables
    }
}
