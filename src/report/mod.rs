//! The HTML report: one self-contained page (inline CSS and SVG, nothing fetched at view
//! time) with the headline rates, the ministry's tables, charts of them and, given older
//! runs, the trend. The page's template and styles live in `reports/` and are built in.

mod chart;

pub use chart::{Series, Tile, esc, grouped_bars, stacked_bars, thousands, tile_map, trend_panels};

use std::collections::BTreeMap;

use minijinja::Environment;
use serde::Serialize;

use crate::policy::dmarc::Protection;
use crate::run::{OpenedRun, ResultsError};
use crate::tabulate::{
    self, Core, Guideline, Lang, LgGroup, LgRow, Measure, Results, Scope, Table, TabulateError,
    Tabulation, TrendSeries, change_points, h, lg_label, protection_classes, spf_error_classes,
    type_label, unresolved_note,
};

const TEMPLATE: &str = include_str!("../../reports/report.html.j2");
const STYLE: &str = include_str!("../../reports/report.css");

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Tabulate(#[from] TabulateError),
    #[error(transparent)]
    Results(#[from] ResultsError),
    #[error("the report template failed: {0}")]
    Template(#[from] minijinja::Error),
}

/// A headline figure: a rate, its counts, and its change since the previous run.
#[derive(Serialize)]
struct Headline {
    label: String,
    value: String,
    detail: String,
    change: Option<String>,
}

#[derive(Serialize)]
struct RunInfo {
    label: String,
    started: String,
    finished: Option<String>,
    input: String,
    names: String,
    unresolved: String,
}

#[derive(Serialize)]
struct Chart {
    title: String,
    svg: String,
    note: String,
}

#[derive(Serialize)]
struct Page {
    lang: &'static str,
    title: String,
    style: &'static str,
    run: RunInfo,
    older: Vec<String>,
    headlines: Vec<Headline>,
    charts: BTreeMap<&'static str, Chart>,
    tables: BTreeMap<String, Table>,
    text: BTreeMap<&'static str, String>,
}

/// The rates the page leads with: MX over all of .jp, SPF and DMARC over the names with MX,
/// DMARC at quarantine or reject over the same, and local governments' DMARC.
fn headline_measures(c: &Core) -> Vec<Measure> {
    let all = c
        .types
        .iter()
        .find(|(t, _)| t.is_none())
        .map(|(_, r)| *r)
        .unwrap_or_default();
    let strong = c
        .strength
        .iter()
        .find(|(t, _)| t.is_none())
        .map(|(_, counts)| Measure::of_classes(counts, &tabulate::marks(Protection::enforced)))
        .unwrap_or_default();
    let lg = c
        .regions
        .iter()
        .find(|(g, _)| *g == LgGroup::All)
        .map(|(_, r)| r.dmarc)
        .unwrap_or_default();
    vec![all.mx, all.spf, all.dmarc, strong, lg]
}

fn text(lang: Lang) -> BTreeMap<&'static str, String> {
    let t = |ja: &str, en: &str| h(lang, ja, en);
    BTreeMap::from([
        ("run", t("調査", "Run")),
        ("started", t("調査開始", "Started")),
        ("finished", t("調査終了", "Finished")),
        ("input", t("入力", "Input")),
        ("names", t("ドメイン名数", "Names")),
        ("unresolved", t("未解決のドメイン名", "Unresolved names")),
        ("compared", t("比較した調査", "Compared with")),
        ("headline", t("主な指標", "Headline rates")),
        ("types", t("種別ごとの設定状況", "By registration type")),
        ("localgov", t("地方公共団体", "Local governments")),
        ("dmarc", t("DMARCポリシーの強さ", "DMARC policy strength")),
        ("spf", t("SPFの誤り", "SPF errors")),
        (
            "guideline",
            t(
                "2025年ガイドラインとその他の確認",
                "The 2025 guideline and further checks",
            ),
        ),
        (
            "guideline_note",
            t(
                "政府機関等の対策基準策定のためのガイドライン(令和7年度版)6.2.2(1)-3:DMARCは quarantine 又は reject、メールを利用していないドメインは p=reject、BIMIの導入を検討。DKIMは統一基準の SPF・DKIM・DMARC の一項目として、_domainkey の有無で判定(下限)。調査時に --checks を指定しなかった確認は「-」。",
                "Government guideline (FY2025) 6.2.2(1)-3: DMARC at quarantine or reject, p=reject on domains without mail, BIMI to be considered; DKIM, which the unified standards ask for beside SPF and DMARC, judged from `_domainkey` (a lower bound). Checks the run did not make read \"-\".",
            ),
        ),
        (
            "operators",
            t("DNS事業者ごとの調査の状況", "The survey per DNS operator"),
        ),
        (
            "operators_note",
            t(
                "入力の ns 列(なければ ns の確認)が示す DNS 事業者ごと。未解決の問い合わせが多い事業者は、問い合わせ先の不調か調査の速度超過を示す(再調査は mailcensus survey --retry-unresolved)。",
                "Per DNS operator, as the list's ns column (or the ns check) names it. An operator with many failed lookups was down, or asked faster than it answers: ask it again with mailcensus survey --retry-unresolved.",
            ),
        ),
        (
            "spf_space_note",
            t(
                "SPFレコードが pass とする送信元アドレスの広さ(ip4・ip6、a・mx の宛先のアドレス、include・redirect 先を評価の順に)。exists・ptr と送信者に依存するマクロは数えられません。",
                "The sender addresses an SPF record passes (its ip4 and ip6, its a and mx targets' addresses, its include and redirect targets, in evaluation order); exists, ptr and macros that need a sender cannot be counted.",
            ),
        ),
        ("trend", t("推移", "Trend")),
        ("tables", t("表", "Tables")),
        ("unresolved_note", unresolved_note(lang)),
        (
            "footer",
            t(
                "mailcensus が調査結果(results.parquet)から作成。率は件数から正確に四捨五入しています。",
                "Made by mailcensus from the run's results.parquet; rates are rounded half up from the exact counts.",
            ),
        ),
    ])
}

fn change(history: &[Vec<Measure>], i: usize) -> Option<String> {
    let n = history.len();
    (n >= 2).then(|| change_points(&history[n - 2][i], &history[n - 1][i]))?
}

/// The headline figures of the last run of `history` (one list of measures per run, oldest
/// first), each with its change since the run before.
fn headlines(history: &[Vec<Measure>], lang: Lang) -> Vec<Headline> {
    let t = |ja: &str, en: &str| h(lang, ja, en);
    let labels = [
        (t("MX設定率", "MX rate"), Scope::Whole),
        (t("SPF設定率(対MX)", "SPF rate (of MX)"), Scope::Whole),
        (t("DMARC設定率(対MX)", "DMARC rate (of MX)"), Scope::Whole),
        (
            t(
                "DMARC quarantine以上(対MX)",
                "DMARC quarantine or reject (of MX)",
            ),
            Scope::Whole,
        ),
        (
            t("地方公共団体のDMARC設定率", "Local governments' DMARC rate"),
            Scope::Part,
        ),
    ];
    labels
        .into_iter()
        .enumerate()
        .map(|(i, (label, scope))| {
            let m = history.last().map(|h| h[i]).unwrap_or_default();
            Headline {
                label,
                value: m
                    .pct(scope)
                    .map_or_else(|| "–".to_string(), |p| format!("{p}%")),
                detail: format!("{} / {}", thousands(m.count), thousands(m.denominator)),
                change: change(history, i),
            }
        })
        .collect()
}

/// A tile map of the local governments' rates: its chart key, the rate, its title (ja, en).
type TileMap = (
    &'static str,
    fn(&LgRow) -> Measure,
    &'static str,
    &'static str,
);

/// The charts of the ministry's measures per type and per region.
fn adoption_charts(c: &Core, lang: Lang, charts: &mut BTreeMap<&'static str, Chart>) {
    let t = |ja: &str, en: &str| h(lang, ja, en);
    let type_names: Vec<(String, Scope)> = c
        .types
        .iter()
        .map(|(ty, _)| (type_label(*ty, lang), Scope::of_type(*ty)))
        .collect();
    charts.insert(
        "types",
        Chart {
            title: t(
                "種別ごとの SPF・DMARC 設定率(MXありドメイン名に対する割合)",
                "SPF and DMARC rates by type (share of names with MX)",
            ),
            svg: grouped_bars(
                &t("種別ごとの設定率", "Rates by type"),
                &t("設定率(%)", "Rate (%)"),
                &type_names,
                &[
                    (
                        "SPF".to_string(),
                        c.types.iter().map(|(_, r)| r.spf).collect(),
                    ),
                    (
                        "DMARC".to_string(),
                        c.types.iter().map(|(_, r)| r.dmarc).collect(),
                    ),
                ],
            ),
            note: t(
                "棒の横に率と件数(設定数/分母)。",
                "Beside each bar: the rate and counts (with / denominator).",
            ),
        },
    );
    let region_names: Vec<(String, Scope)> = c
        .regions
        .iter()
        .map(|(g, _)| (lg_label(*g, lang), Scope::Part))
        .collect();
    charts.insert(
        "regions",
        Chart {
            title: t(
                "地方ごとの地方公共団体の設定率",
                "Local governments' rates by region",
            ),
            svg: grouped_bars(
                &t("地方ごとの設定率", "Rates by region"),
                &t("設定率(%)", "Rate (%)"),
                &region_names,
                &[
                    (
                        "MX".to_string(),
                        c.regions.iter().map(|(_, r)| r.mx).collect(),
                    ),
                    (
                        "SPF".to_string(),
                        c.regions.iter().map(|(_, r)| r.spf).collect(),
                    ),
                    (
                        "DMARC".to_string(),
                        c.regions.iter().map(|(_, r)| r.dmarc).collect(),
                    ),
                ],
            ),
            note: t(
                "地方公共団体(1,788団体)のドメイン名全体に対する割合。",
                "Share of all the local governments' names (1,788 bodies).",
            ),
        },
    );
}

/// The tile maps of the local governments' SPF and DMARC rates per prefecture.
fn tile_charts(c: &Core, lang: Lang, charts: &mut BTreeMap<&'static str, Chart>) {
    let t = |ja: &str, en: &str| h(lang, ja, en);
    let pref = |code: u8| {
        c.prefectures
            .iter()
            .find(|(g, _)| *g == LgGroup::Prefecture(code))
            .map(|(_, r)| *r)
            .unwrap_or_default()
    };
    let maps: [TileMap; 2] = [
        (
            "tiles_spf",
            |r| r.spf,
            "都道府県別 地方公共団体の SPF 設定率",
            "Local governments' SPF rate by prefecture",
        ),
        (
            "tiles_dmarc",
            |r| r.dmarc,
            "都道府県別 地方公共団体の DMARC 設定率",
            "Local governments' DMARC rate by prefecture",
        ),
    ];
    for (key, measure, ja, en) in maps {
        let tiles = prefecture_tiles(lang, |code| measure(&pref(code)));
        charts.insert(
            key,
            Chart {
                title: t(ja, en),
                svg: tile_map(&t(ja, en), &t("設定率", "Rate"), &tiles),
                note: t(
                    "1マス1都道府県。マスに率、ポインタを重ねると件数。",
                    "One tile per prefecture with its rate; hover for the counts.",
                ),
            },
        );
    }
}

/// The charts of the policies' readings: DMARC strength and SPF errors per type.
fn reading_charts(tab: &Tabulation, lang: Lang, charts: &mut BTreeMap<&'static str, Chart>) {
    let t = |ja: &str, en: &str| h(lang, ja, en);
    let strength = &tab.core.strength;
    let strength_colors = [
        "#009E73", "#56B4E9", "#F0E442", "#E69F00", "#D55E00", "#BBBBBB", "#666666",
    ];
    let mut strength_classes: Vec<(String, &str)> = protection_classes(lang)
        .into_iter()
        .zip(strength_colors)
        .collect();
    strength_classes.push((t("未解決", "unresolved"), strength_colors[6]));
    debug_assert_eq!(Protection::ALL.len() + 1, strength_classes.len());
    charts.insert(
        "strength",
        Chart {
            title: t("種別ごとの DMARC ポリシーの強さ(MXありドメイン名)", "DMARC policy strength by type (names with MX)"),
            svg: stacked_bars(
                &t("DMARCポリシーの強さ", "DMARC policy strength"),
                &t("割合(%)", "Share (%)"),
                &strength.iter().map(|(ty, _)| type_label(*ty, lang)).collect::<Vec<_>>(),
                &strength_classes,
                &strength.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>(),
            ),
            note: t(
                "政府統一基準(2025)は quarantine 以上を求めています。pct<100 は一部のメールにだけ適用されるポリシー。",
                "The 2025 government standards ask for quarantine or reject; pct<100 applies the policy to part of the mail only.",
            ),
        },
    );
    // One a class of `spf_error_classes` (`ok` last, green), then "other".
    let spf_colors = [
        "#D55E00", "#E69F00", "#CC79A7", "#F0E442", "#0072B2", "#56B4E9", "#000000", "#999999",
        "#BBBBBB", "#882255", "#009E73", "#666666",
    ];
    let classes = spf_error_classes();
    debug_assert_eq!(classes.len() + 1, spf_colors.len());
    let mut spf_classes: Vec<(String, &str)> = classes
        .iter()
        .map(|c| c.to_string())
        .zip(spf_colors)
        .collect();
    spf_classes.push((t("その他", "other"), spf_colors[spf_colors.len() - 1]));
    let spf_errors = &tab.spf_errors;
    charts.insert(
        "spf_errors",
        Chart {
            title: t("種別ごとの SPF レコードの誤り(MX・SPFありドメイン名)", "SPF record errors by type (names with MX and SPF)"),
            svg: stacked_bars(
                &t("SPFの誤り", "SPF errors"),
                &t("割合(%)", "Share (%)"),
                &spf_errors.iter().map(|(ty, _)| type_label(*ty, lang)).collect::<Vec<_>>(),
                &spf_classes,
                &spf_errors.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>(),
            ),
            note: t("ok 以外は RFC 7208 に照らした誤り(構文、DNS参照10回超、ループ等)。", "Every class but ok is an error under RFC 7208 (syntax, over 10 DNS lookups, loops, ...)."),
        },
    );
}

/// The charts of the 2025 guideline: the local governments meeting it per prefecture, and the
/// verdicts per type.
fn guideline_charts(g: &Guideline, lang: Lang, charts: &mut BTreeMap<&'static str, Chart>) {
    let t = |ja: &str, en: &str| h(lang, ja, en);
    let tiles = prefecture_tiles(lang, |code| {
        g.localgov_prefectures
            .iter()
            .find(|(c, _)| *c == code)
            .map_or_else(Measure::default, |(_, v)| Guideline::meeting(v))
    });
    let title = t(
        "都道府県別 地方公共団体の2025年ガイドライン適合率",
        "Local governments meeting the 2025 guideline by prefecture",
    );
    charts.insert(
        "tiles_guideline",
        Chart {
            svg: tile_map(&title, &t("適合率", "Rate"), &tiles),
            title,
            note: t(
                "DMARC quarantine 以上(メール不使用のドメインは reject)の地方公共団体のドメイン名の割合。",
                "Share of the local governments' names with DMARC at quarantine or reject (reject where they send no mail).",
            ),
        },
    );
    let verdict_colors = [
        "#009E73", "#56B4E9", "#CC79A7", "#E69F00", "#D55E00", "#BBBBBB", "#666666",
    ];
    let mut verdict_classes: Vec<(String, &str)> = tabulate::verdict_classes(lang)
        .into_iter()
        .zip(verdict_colors)
        .collect();
    verdict_classes.push((t("未解決", "unresolved"), verdict_colors[6]));
    charts.insert(
        "compliance",
        Chart {
            title: t(
                "種別ごとの 2025年ガイドラインに照らした判定(全ドメイン名)",
                "Verdicts against the 2025 guideline by type (all names)",
            ),
            svg: stacked_bars(
                &t("ガイドラインに照らした判定", "Guideline verdicts"),
                &t("割合(%)", "Share (%)"),
                &g.compliance
                    .iter()
                    .map(|(ty, _)| type_label(*ty, lang))
                    .collect::<Vec<_>>(),
                &verdict_classes,
                &g.compliance.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>(),
            ),
            note: t(
                "DMARCは組織ドメインからの適用を含む(RFC 7489)。未解決はDNSの応答が得られなかったもの。",
                "DMARC as it applies, the Organizational Domain's included (RFC 7489); unresolved: a lookup the verdict needs failed.",
            ),
        },
    );
}

/// Render the report of the last of `runs` (oldest first), whose tabulation is `this`; the
/// earlier runs give the trend and the headlines' changes.
pub fn render_report(
    runs: &[OpenedRun],
    this: &Tabulation,
    lang: Lang,
) -> Result<String, ReportError> {
    let run = runs.last().expect("at least one run");
    let older: Vec<Core> = runs[..runs.len() - 1]
        .iter()
        .map(|r| Core::of(&Results::open(r.dir.results())?))
        .collect::<Result<_, TabulateError>>()?;
    let cores: Vec<&Core> = older.iter().chain([&this.core]).collect();
    let history: Vec<Vec<Measure>> = cores.iter().map(|c| headline_measures(c)).collect();

    let mut charts = BTreeMap::new();
    adoption_charts(&this.core, lang, &mut charts);
    tile_charts(&this.core, lang, &mut charts);
    if !this.core.strength.is_empty() {
        reading_charts(this, lang, &mut charts);
    }
    if let Some(g) = &this.guideline {
        guideline_charts(g, lang, &mut charts);
    }
    let mut tables: BTreeMap<String, Table> = this
        .tables(lang)
        .into_iter()
        .map(|t| (t.name.clone(), t))
        .collect();
    if let [.., previous, _] = runs {
        let series = tabulate::trend_series(&cores);
        charts.insert("trend", trend_chart(runs, &series, lang));
        let trend = tabulate::trend_table(runs, &series, lang);
        tables.insert(trend.name.clone(), trend);
        let changes = tabulate::diff(
            &Results::open(previous.dir.results())?,
            &Results::open(run.dir.results())?,
        )?;
        let counts = tabulate::diff_counts(&changes, lang);
        tables.insert(counts.name.clone(), counts);
    }

    let t = |ja: &str, en: &str| h(lang, ja, en);
    let page = Page {
        lang: lang.code(),
        title: t(
            "メール送信ドメイン認証の設定状況",
            "How domains protect their mail",
        ),
        style: STYLE,
        run: RunInfo {
            label: run.label.clone(),
            started: run.manifest.started.clone(),
            finished: run.manifest.finished.clone(),
            input: run.manifest.input.clone(),
            names: thousands(run.manifest.names),
            unresolved: thousands(run.manifest.unresolved_names),
        },
        older: runs[..runs.len() - 1]
            .iter()
            .map(|r| format!("{} ({})", r.label, r.date()))
            .collect(),
        headlines: headlines(&history, lang),
        charts,
        tables,
        text: text(lang),
    };
    let mut env = Environment::new();
    // Named .html so that minijinja escapes every value not marked safe.
    env.add_template("report.html", TEMPLATE)?;
    Ok(env.get_template("report.html")?.render(&page)?)
}

/// All 47 prefecture tiles with the measure `of` each (grey where it has no names).
fn prefecture_tiles(lang: Lang, of: impl Fn(u8) -> Measure) -> Vec<Tile> {
    (1..=47u8)
        .map(|code| Tile {
            code,
            label: crate::zone::refdata()
                .prefecture(code)
                .map(|p| match lang {
                    Lang::Ja => p.label_ja.clone(),
                    Lang::En => p.name_en.clone(),
                })
                .unwrap_or_default(),
            measure: of(code),
        })
        .collect()
}

/// Small multiples of the trend: one panel per type, lines for MX, SPF and DMARC.
fn trend_chart(runs: &[OpenedRun], series: &[TrendSeries], lang: Lang) -> Chart {
    let mut panels: Vec<(String, Scope, Series)> = Vec::new();
    for s in series {
        let Some(group) = s.group.strip_prefix("type:") else {
            continue;
        };
        if panels.last().is_none_or(|(g, ..)| g != group) {
            panels.push((group.to_string(), s.scope, Vec::new()));
        }
        let panel = &mut panels.last_mut().expect("pushed above").2;
        // A run without the group has no point there.
        let per_run = s.per_run.iter().map(|m| m.unwrap_or_default()).collect();
        panel.push((s.measure.to_uppercase(), per_run));
    }
    // Runs by date, or by folder where two share a day.
    let dates: std::collections::HashSet<&str> = runs.iter().map(OpenedRun::date).collect();
    let runs: Vec<String> = runs
        .iter()
        .map(|r| match dates.len() == runs.len() {
            true => r.date().to_string(),
            false => r.label.clone(),
        })
        .collect();
    let title = h(lang, "種別ごとの設定率の推移", "Rates by type, run by run");
    Chart {
        svg: trend_panels(&title, &runs, &panels),
        title,
        note: h(
            lang,
            "MX は全ドメイン名、SPF・DMARC は MX ありドメイン名に対する割合。点に件数。",
            "MX over all names, SPF and DMARC over names with MX; hover a point for its counts.",
        ),
    }
}
