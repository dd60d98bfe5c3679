//! Inline SVG charts: grouped and stacked horizontal bars, small-multiple trend lines and a
//! tile map of the 47 prefectures. Every mark carries its count in a `<title>` (shown on
//! hover and read by screen readers) and bars are labelled beside them; colours are the
//! Okabe–Ito palette, distinguishable with the common colour-vision deficiencies.

use std::fmt::Write;

use crate::tabulate::{Measure, Scope, percent_half_up};

/// Okabe–Ito: blue, orange, bluish green, reddish purple, sky blue, vermillion, yellow.
pub const PALETTE: [&str; 7] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
];
/// Sequential blues for the tile map, light to dark, one per 20 points.
const SCALE: [&str; 5] = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];

const WIDTH: f64 = 760.0;
const LABEL_W: f64 = 170.0;
const PLOT_W: f64 = 400.0;
const FONT: &str = "font-family=\"sans-serif\" font-size=\"12\"";

/// Text safe inside SVG/HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Thousands separated, the way the ministry prints counts.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `12.3% (45/367)`, or `–` where nothing was settled.
pub fn share_text(m: &Measure, scope: Scope) -> String {
    match m.pct(scope) {
        Some(p) => format!("{p}% ({}/{})", thousands(m.count), thousands(m.denominator)),
        None => "–".to_string(),
    }
}

fn ratio(m: &Measure) -> Option<f64> {
    (m.denominator > 0).then(|| m.count as f64 / m.denominator as f64)
}

fn open(svg: &mut String, (width, height): (f64, f64), title: &str) {
    let _ = write!(
        svg,
        "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" {FONT}><title>{}</title>",
        esc(title)
    );
}

/// A legend of coloured keys from the plot's left edge, wrapped to the chart's width; the
/// markup, and the y under its last line.
fn legend(items: &[(String, &str)]) -> (String, f64) {
    let (mut svg, mut x, mut y) = (String::new(), LABEL_W, 16.0);
    for (label, color) in items {
        // Text width guessed at 12 px: wide (CJK) characters a full em, others about 0.6.
        let text: f64 = label
            .chars()
            .map(|c| if (c as u32) >= 0x1100 { 12.5 } else { 7.5 })
            .sum();
        let w = 24.0 + text;
        if x + w > WIDTH && x > LABEL_W {
            (x, y) = (LABEL_W, y + 18.0);
        }
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{color}\" stroke=\"#333\" stroke-width=\"0.5\"/><text x=\"{}\" y=\"{y}\">{}</text>",
            y - 10.0,
            x + 16.0,
            esc(label)
        );
        x += w;
    }
    (svg, y + 8.0)
}

/// The percentage axis under a plot: gridlines every 20 points and a title.
fn pct_axis(svg: &mut String, top: f64, bottom: f64, title: &str) {
    for i in 0..=5 {
        let x = LABEL_W + PLOT_W * f64::from(i) / 5.0;
        let _ = write!(
            svg,
            "<line x1=\"{x}\" y1=\"{top}\" x2=\"{x}\" y2=\"{bottom}\" stroke=\"#ddd\"/><text x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            bottom + 14.0,
            i * 20
        );
    }
    let _ = write!(
        svg,
        "<text class=\"axis-title\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        LABEL_W + PLOT_W / 2.0,
        bottom + 32.0,
        esc(title)
    );
}

/// One group of bars per category, one bar per series, each labelled with its rate and
/// counts. `series` holds a name and one measure per category; each category says what its
/// rates are of.
pub fn grouped_bars(
    title: &str,
    axis: &str,
    categories: &[(String, Scope)],
    series: &[(String, Vec<Measure>)],
) -> String {
    const BAR: f64 = 14.0;
    let group_h = BAR * series.len() as f64 + 10.0;
    let items: Vec<(String, &str)> = series
        .iter()
        .zip(PALETTE)
        .map(|((n, _), c)| (n.clone(), c))
        .collect();
    let (keys, top) = legend(&items);
    let bottom = top + group_h * categories.len() as f64;
    let mut svg = String::new();
    open(&mut svg, (WIDTH, bottom + 44.0), title);
    svg.push_str(&keys);
    pct_axis(&mut svg, top, bottom, axis);
    for (i, (cat, scope)) in categories.iter().enumerate() {
        let y0 = top + group_h * i as f64;
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            LABEL_W - 8.0,
            y0 + group_h / 2.0 + 4.0,
            esc(cat)
        );
        for (k, ((name, measures), color)) in series.iter().zip(PALETTE).enumerate() {
            let m = measures.get(i).copied().unwrap_or_default();
            let y = y0 + 5.0 + BAR * k as f64;
            let w = ratio(&m).unwrap_or(0.0) * PLOT_W;
            let _ = write!(
                svg,
                "<rect class=\"bar\" x=\"{LABEL_W}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"{color}\"><title>{} {}: {}</title></rect><text class=\"value\" x=\"{:.1}\" y=\"{}\" font-size=\"10\">{}</text>",
                BAR - 2.0,
                esc(cat),
                esc(name),
                share_text(&m, *scope),
                LABEL_W + w + 4.0,
                y + BAR - 4.0,
                share_text(&m, *scope)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// One 100 % bar per category, split into classes; each row's total beside it.
pub fn stacked_bars(
    title: &str,
    axis: &str,
    categories: &[String],
    classes: &[(String, &str)],
    rows: &[Vec<u64>],
) -> String {
    const BAR: f64 = 18.0;
    let (keys, top) = legend(classes);
    let bottom = top + (BAR + 8.0) * categories.len() as f64;
    let mut svg = String::new();
    open(&mut svg, (WIDTH, bottom + 44.0), title);
    svg.push_str(&keys);
    pct_axis(&mut svg, top, bottom, axis);
    for (i, (cat, row)) in categories.iter().zip(rows).enumerate() {
        let y = top + 4.0 + (BAR + 8.0) * i as f64;
        let total: u64 = row.iter().sum();
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            LABEL_W - 8.0,
            y + BAR - 5.0,
            esc(cat)
        );
        let mut x = LABEL_W;
        for ((label, color), n) in classes.iter().zip(row) {
            if *n == 0 || total == 0 {
                continue;
            }
            let w = PLOT_W * *n as f64 / total as f64;
            let pct = percent_half_up(*n, total, 1).unwrap_or_default();
            let _ = write!(
                svg,
                "<rect class=\"bar\" x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{BAR}\" fill=\"{color}\" stroke=\"#fff\" stroke-width=\"0.5\"><title>{} {}: {} ({pct}%)</title></rect>",
                esc(cat),
                esc(label),
                thousands(*n)
            );
            x += w;
        }
        let _ = write!(
            svg,
            "<text class=\"value\" x=\"{}\" y=\"{}\" font-size=\"10\">n = {}</text>",
            LABEL_W + PLOT_W + 6.0,
            y + BAR - 5.0,
            thousands(total)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Named series of measures, one measure per run (or per category).
pub type Series = Vec<(String, Vec<Measure>)>;

/// Small multiples: one panel per category with a line per series across the runs, so that
/// each panel stays readable with a dozen categories.
pub fn trend_panels(title: &str, runs: &[String], panels: &[(String, Scope, Series)]) -> String {
    const PW: f64 = 240.0;
    const PH: f64 = 150.0;
    const COLS: usize = 3;
    let rows = panels.len().div_ceil(COLS);
    let names: Vec<(String, &str)> = panels
        .first()
        .map(|(_, _, s)| {
            s.iter()
                .zip(PALETTE)
                .map(|((n, _), c)| (n.clone(), c))
                .collect()
        })
        .unwrap_or_default();
    let (keys, top) = legend(&names);
    let mut svg = String::new();
    open(
        &mut svg,
        (WIDTH, top + 10.0 + (PH + 30.0) * rows as f64),
        title,
    );
    svg.push_str(&keys);
    for (p, (label, scope, series)) in panels.iter().enumerate() {
        let corner = (
            10.0 + (PW + 10.0) * (p % COLS) as f64,
            top + 10.0 + (PH + 30.0) * (p / COLS) as f64,
        );
        trend_panel(&mut svg, corner, (PW, PH), (label, *scope), runs, series);
    }
    svg.push_str("</svg>");
    svg
}

/// One panel of [`trend_panels`] at `(px, py)`, `(pw, ph)` in size: its title, the 0, 50 and
/// 100 % lines, the runs along the bottom, and a line per series with a point per run.
fn trend_panel(
    svg: &mut String,
    (px, py): (f64, f64),
    (pw, ph): (f64, f64),
    (label, scope): (&str, Scope),
    runs: &[String],
    series: &Series,
) {
    let (left, right, top, bottom) = (px + 30.0, px + pw - 10.0, py + 20.0, py + ph - 10.0);
    let _ = write!(
        svg,
        "<text x=\"{px}\" y=\"{}\" font-weight=\"bold\">{}</text>",
        py + 10.0,
        esc(label)
    );
    for v in [0, 50, 100] {
        let y = bottom - (bottom - top) * f64::from(v) / 100.0;
        let _ = write!(
            svg,
            "<line x1=\"{left}\" y1=\"{y}\" x2=\"{right}\" y2=\"{y}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"10\">{v}%</text>",
            left - 4.0,
            y + 3.0
        );
    }
    let x_at = |i: usize| match runs.len() {
        1 => (left + right) / 2.0,
        n => left + (right - left) * i as f64 / (n - 1) as f64,
    };
    for (i, run) in runs.iter().enumerate() {
        let anchor = match i {
            0 => "start",
            _ if i + 1 == runs.len() => "end",
            _ => "middle",
        };
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"{anchor}\" font-size=\"9\">{}</text>",
            x_at(i),
            bottom + 12.0,
            esc(run)
        );
    }
    for ((name, measures), color) in series.iter().zip(PALETTE) {
        let points: Vec<(usize, f64, f64, &Measure)> = measures
            .iter()
            .enumerate()
            .filter_map(|(i, m)| ratio(m).map(|r| (i, x_at(i), bottom - (bottom - top) * r, m)))
            .collect();
        let path: Vec<String> = points
            .iter()
            .map(|(_, x, y, _)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            svg,
            "<polyline class=\"line\" points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>",
            path.join(" ")
        );
        for (i, x, y, m) in &points {
            let _ = write!(
                svg,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" fill=\"{color}\"><title>{} {} {}: {}</title></circle>",
                esc(label),
                esc(name),
                esc(runs.get(*i).map_or("", String::as_str)),
                share_text(m, scope)
            );
        }
    }
}

/// One prefecture on the tile map.
pub struct Tile {
    /// JIS X 0401 code, 1 to 47.
    pub code: u8,
    pub label: String,
    pub measure: Measure,
}

/// (column, row) of each prefecture, by JIS code: a grid that keeps neighbours next to each
/// other, Hokkaido at the top right and Okinawa apart at the bottom left.
const GRID: [(u8, u8); 47] = [
    (12, 0), // 01 Hokkaido
    (12, 1), // 02 Aomori
    (12, 2), // 03 Iwate
    (12, 3), // 04 Miyagi
    (11, 2), // 05 Akita
    (11, 3), // 06 Yamagata
    (11, 4), // 07 Fukushima
    (12, 5), // 08 Ibaraki
    (11, 5), // 09 Tochigi
    (10, 5), // 10 Gunma
    (10, 6), // 11 Saitama
    (12, 6), // 12 Chiba
    (11, 6), // 13 Tokyo
    (11, 7), // 14 Kanagawa
    (10, 4), // 15 Niigata
    (9, 4),  // 16 Toyama
    (8, 4),  // 17 Ishikawa
    (7, 5),  // 18 Fukui
    (9, 6),  // 19 Yamanashi
    (9, 5),  // 20 Nagano
    (8, 5),  // 21 Gifu
    (10, 7), // 22 Shizuoka
    (8, 6),  // 23 Aichi
    (7, 7),  // 24 Mie
    (7, 6),  // 25 Shiga
    (6, 5),  // 26 Kyoto
    (5, 6),  // 27 Osaka
    (5, 5),  // 28 Hyogo
    (6, 6),  // 29 Nara
    (6, 7),  // 30 Wakayama
    (4, 5),  // 31 Tottori
    (3, 5),  // 32 Shimane
    (4, 6),  // 33 Okayama
    (3, 6),  // 34 Hiroshima
    (2, 6),  // 35 Yamaguchi
    (5, 7),  // 36 Tokushima
    (4, 7),  // 37 Kagawa
    (3, 7),  // 38 Ehime
    (4, 8),  // 39 Kochi
    (1, 7),  // 40 Fukuoka
    (0, 7),  // 41 Saga
    (0, 8),  // 42 Nagasaki
    (1, 8),  // 43 Kumamoto
    (2, 7),  // 44 Oita
    (2, 8),  // 45 Miyazaki
    (1, 9),  // 46 Kagoshima
    (0, 10), // 47 Okinawa
];

/// The 47 prefectures as tiles shaded by rate (one shade per 20 points), each with its
/// rate and counts; tiles without names are grey.
pub fn tile_map(title: &str, legend_title: &str, tiles: &[Tile]) -> String {
    const S: f64 = 52.0;
    let (x0, y0) = (10.0, 60.0);
    let height = y0 + S * 11.0 + 10.0;
    let mut svg = String::new();
    open(&mut svg, (2.0 * x0 + S * 13.0, height), title);
    let _ = write!(svg, "<text x=\"10\" y=\"16\">{}</text>", esc(legend_title));
    for (i, color) in SCALE.iter().enumerate() {
        let x = 10.0 + 64.0 * i as f64;
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"24\" width=\"60\" height=\"12\" fill=\"{color}\" stroke=\"#333\" stroke-width=\"0.5\"/><text x=\"{x}\" y=\"50\" font-size=\"10\">{}–{}%</text>",
            i * 20,
            (i + 1) * 20
        );
    }
    for t in tiles {
        let Some(&(c, r)) = GRID.get(usize::from(t.code).wrapping_sub(1)) else {
            continue;
        };
        let (x, y) = (x0 + S * f64::from(c), y0 + S * f64::from(r));
        let (fill, ink, value) = match ratio(&t.measure) {
            Some(v) => {
                let bin = ((v * 5.0) as usize).min(4);
                let ink = if bin >= 3 { "#fff" } else { "#000" };
                (
                    SCALE[bin],
                    ink,
                    format!(
                        "{}%",
                        percent_half_up(t.measure.count, t.measure.denominator, 0)
                            .unwrap_or_default()
                    ),
                )
            }
            None => ("#d9d9d9", "#000", "–".to_string()),
        };
        let _ = write!(
            svg,
            "<g class=\"tile\" data-code=\"{:02}\"><rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" rx=\"4\" fill=\"{fill}\" stroke=\"#fff\" stroke-width=\"2\"><title>{}: {}</title></rect><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{ink}\" pointer-events=\"none\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{ink}\" pointer-events=\"none\">{value}</text></g>",
            t.code,
            S - 2.0,
            S - 2.0,
            esc(&t.label),
            share_text(&t.measure, Scope::Part),
            x + S / 2.0 - 1.0,
            y + 20.0,
            esc(&t.label),
            x + S / 2.0 - 1.0,
            y + 38.0
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prefecture_has_its_own_tile() {
        let mut seen = std::collections::HashSet::new();
        for cell in GRID {
            assert!(seen.insert(cell), "two prefectures on {cell:?}");
        }
        let tiles: Vec<Tile> = (1..=47)
            .map(|code| Tile {
                code,
                label: format!("P{code}"),
                measure: Measure {
                    count: u64::from(code),
                    denominator: 47,
                    unresolved: 0,
                },
            })
            .collect();
        let svg = tile_map("t", "rate", &tiles);
        assert_eq!(svg.matches("class=\"tile\"").count(), 47);
        assert!(svg.contains("P47: 100.0% (47/47)"));
    }

    #[test]
    fn labels_are_escaped_and_counts_separated() {
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(thousands(1_485_202), "1,485,202");
        assert_eq!(thousands(999), "999");
        let m = Measure {
            count: 1,
            denominator: 8,
            unresolved: 0,
        };
        assert_eq!(share_text(&m, Scope::Part), "12.5% (1/8)");
        assert_eq!(share_text(&m, Scope::Whole), "12.50% (1/8)");
        let svg = grouped_bars(
            "t",
            "%",
            &[("<x>".to_string(), Scope::Part)],
            &[("s".to_string(), vec![m])],
        );
        assert!(svg.contains("&lt;x&gt;") && !svg.contains("<x>"));
        assert!(svg.contains("width=\"50.0\""));
    }
}
