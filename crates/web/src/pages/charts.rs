//! Charts drawn on the server as SVG, with no JavaScript: stacked bars (with an optional
//! least-squares trend line through the totals) and line charts, over a run of categories
//! such as months.
//!
//! Every chart is drawn twice, once for a desktop column (960 units wide, shown at about one
//! unit a pixel) and once for a phone (360 units wide, taller, fewer axis labels); the
//! stylesheet's `app-chart--wide` and `app-chart--narrow` classes show one and hide the
//! other, so text stays at 14 px or more on both. Only SVG presentation attributes are
//! used (the pages' Content-Security-Policy refuses inline `style`). Each `<svg>` has
//! `role="img"`, a `<title>` and a `<desc>`; the page puts a table with every figure
//! beside it, so nothing depends on seeing the chart or telling its colours apart.
//! Geometry is worked out in `f64` pixels; the money shown in words is exact pence.

use maud::{Markup, html};
use onebudget_core::Money;

/// Colours from the GOV.UK palette, each with at least 3:1 contrast against white, ordered
/// so that neighbours (stacked segments, legend swatches) differ clearly in lightness too.
pub const PALETTE: [&str; 6] = [
    "#003078", // dark blue
    "#28a197", // turquoise
    "#912b88", // bright purple
    "#b58840", // brown
    "#00703c", // green
    "#5694ca", // light blue
];

/// The text and axis colour (GOV.UK black).
const INK: &str = "#0b0c0c";
/// Grid lines: light enough not to be read as data.
const GRID: &str = "#b1b4b6";

/// One named run of values, one per category; `None` is "no figure" (a month not reached).
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<i64>>,
}

/// What to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The series stacked into one bar per category, with the least-squares line through
    /// the bars' totals when `trend` is set.
    StackedBars { trend: bool },
    /// One bar per series side by side for each category (categories that are names, such
    /// as schemes: every one is labelled, on staggered rows when they do not fit on one).
    GroupedBars,
    /// One line per series, with a marker (a different shape per series) at each value.
    Lines,
}

/// A chart: its words, its categories (short labels such as "Apr 25") and its series.
#[derive(Clone, Debug)]
pub struct Chart {
    /// Unique on the page: the ids of the `<title>` and `<desc>` start with it.
    pub id: String,
    pub title: String,
    pub desc: String,
    pub kind: Kind,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
}

/// A rectangle in SVG units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Rect {
    pub fn right(&self) -> f64 {
        self.x + self.width
    }
    pub fn bottom(&self) -> f64 {
        self.y + self.height
    }
    pub fn intersects(&self, other: &Rect) -> bool {
        self.x < other.right()
            && other.x < self.right()
            && self.y < other.bottom()
            && other.y < self.bottom()
    }
}

/// The size a chart is drawn at.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub width: f64,
    pub height: f64,
    pub font: f64,
    pub class: &'static str,
    pub suffix: &'static str,
}

/// A desktop column: shown at one unit a pixel in GOV.UK's 960 px wide page.
pub const WIDE: Frame =
    Frame { width: 960.0, height: 440.0, font: 16.0, class: "app-chart--wide", suffix: "wide" };
/// A phone at 390 px: the column is 360 px, so again about one unit a pixel.
pub const NARROW: Frame =
    Frame { width: 360.0, height: 460.0, font: 14.0, class: "app-chart--narrow", suffix: "narrow" };

/// A legend entry's place: its swatch and where its words start (baseline).
#[derive(Clone, Debug)]
pub struct LegendItem {
    pub swatch: Rect,
    pub text_x: f64,
    pub text_y: f64,
    pub label: String,
}

/// Where everything goes in one frame.
#[derive(Clone, Debug)]
pub struct Layout {
    pub legend: Vec<LegendItem>,
    /// The box round the legend: above the plot, never inside it.
    pub legend_box: Rect,
    pub plot: Rect,
    /// The y axis's ticks, in pence, lowest first; the first and last bound the plot.
    pub ticks: Vec<i64>,
    /// Label every `label_every`-th category (1 labels all of them).
    pub label_every: usize,
    /// How many staggered rows the category labels take (grouped bars; otherwise 1).
    pub label_rows: usize,
    /// The width given to each category.
    pub slot: f64,
}

/// How wide a run of text is at most: 0.6 em a character is more than GDS Transport and
/// Arial need, so a label given this room is never cut off.
fn text_width(text: &str, font: f64) -> f64 {
    f64::from(u32::try_from(text.chars().count()).unwrap_or(u32::MAX)) * font * 0.6
}

fn count(n: usize) -> f64 {
    f64::from(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Round y-axis ticks covering `low ..= high` (pence, `low <= 0 <= high` not required):
/// 0 and multiples of a "nice" step of 1, 2 or 5 × 10ⁿ whole pounds, chosen so that there
/// are at most about `target` intervals. Always at least two ticks, and 0 is one of them
/// whenever the range reaches it.
pub fn nice_ticks(low: i64, high: i64, target: i64) -> Vec<i64> {
    let low = low.min(0);
    let high = high.max(0);
    let span = high.saturating_sub(low).max(1);
    let raw = ceil_div(span, target.max(1)).max(100);
    let mut power: i64 = 100; // £1
    while power.saturating_mul(10) <= raw && power < i64::MAX / 10 {
        power = power.saturating_mul(10);
    }
    let step = [1_i64, 2, 5, 10]
        .iter()
        .map(|m| power.saturating_mul(*m))
        .find(|s| *s >= raw)
        .unwrap_or(power.saturating_mul(10));
    let first = ceil_div(low.saturating_neg(), step).saturating_mul(step).saturating_neg();
    let mut ticks = vec![first];
    let mut at = first;
    while at < high {
        at = at.saturating_add(step);
        ticks.push(at);
        if at == i64::MAX {
            break;
        }
    }
    if ticks.len() < 2 {
        ticks.push(first.saturating_add(step));
    }
    ticks
}

/// `a ÷ b` rounded up, for `a >= 0` and `b > 0`.
fn ceil_div(a: i64, b: i64) -> i64 {
    a / b + i64::from(a % b != 0)
}

/// A tick's label: "£0", "£500", "£50k", "£2.5k", "£1.2m".
pub fn tick_label(pence: i64) -> String {
    let sign = if pence < 0 { "−" } else { "" };
    let pounds = pence.unsigned_abs() / 100;
    let (unit, suffix) = if pounds >= 1_000_000 {
        (1_000_000, "m")
    } else if pounds >= 1_000 {
        (1_000, "k")
    } else {
        (1, "")
    };
    let whole = pounds / unit;
    let rest = pounds % unit;
    let mut text = format!("{sign}£{whole}");
    if rest != 0 {
        // Up to three decimals, trailing zeros dropped: ticks are round, so this is short.
        let decimals = format!("{:0width$}", rest, width = unit.to_string().len() - 1);
        text.push('.');
        text.push_str(decimals.trim_end_matches('0'));
    }
    text.push_str(suffix);
    text
}

/// The least-squares straight line through `values` at x = 0, 1, 2, …: `(intercept,
/// slope)`, or `None` with fewer than two values.
pub fn least_squares(values: &[i64]) -> Option<(f64, f64)> {
    if values.len() < 2 {
        return None;
    }
    let n = count(values.len());
    let mean_x = (n - 1.0) / 2.0;
    #[allow(clippy::cast_precision_loss)] // drawing only: pixels, not money
    let mean_y = values.iter().map(|v| *v as f64).sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, v) in values.iter().enumerate() {
        let dx = count(i) - mean_x;
        #[allow(clippy::cast_precision_loss)]
        let dy = *v as f64 - mean_y;
        sxy += dx * dy;
        sxx += dx * dx;
    }
    let slope = sxy / sxx;
    Some((mean_y - slope * mean_x, slope))
}

/// A y axis from the ticks' range to the plot's height.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    low: f64,
    high: f64,
    top: f64,
    bottom: f64,
}

impl Scale {
    pub fn new(ticks: &[i64], plot: &Rect) -> Scale {
        #[allow(clippy::cast_precision_loss)]
        let low = ticks.first().copied().unwrap_or(0) as f64;
        #[allow(clippy::cast_precision_loss)]
        let high = ticks.last().copied().unwrap_or(1) as f64;
        Scale {
            low,
            high: if high > low { high } else { low + 1.0 },
            top: plot.y,
            bottom: plot.bottom(),
        }
    }
    /// The y of a value in pence (fractions allowed, for the trend line).
    pub fn y(&self, value: f64) -> f64 {
        self.bottom - (value - self.low) / (self.high - self.low) * (self.bottom - self.top)
    }
}

impl Chart {
    /// Each category's total (the stacked bar's height); `None` counts as 0.
    pub fn totals(&self) -> Vec<i64> {
        (0..self.categories.len())
            .map(|i| {
                self.series
                    .iter()
                    .map(|s| s.values.get(i).copied().flatten().unwrap_or(0))
                    .fold(0_i64, i64::saturating_add)
            })
            .collect()
    }

    /// The trend line: `(intercept, slope, last category it spans)`. It runs through the
    /// totals up to the last category with any value, so months not reached yet (empty at
    /// the end of a period) do not drag it down.
    pub fn trend(&self) -> Option<(f64, f64, usize)> {
        if self.kind != (Kind::StackedBars { trend: true }) {
            return None;
        }
        let totals = self.totals();
        let last = self.categories.len().checked_sub(1)?;
        let end = (0..=last).rev().find(|i| {
            self.series.iter().any(|s| matches!(s.values.get(*i), Some(Some(v)) if *v != 0))
        })?;
        let (a, b) = least_squares(totals.get(..=end)?)?;
        Some((a, b, end))
    }

    /// The lowest and highest values the y axis must show.
    fn extent(&self) -> (i64, i64) {
        let mut low = 0_i64;
        let mut high = 0_i64;
        match self.kind {
            Kind::StackedBars { .. } => {
                for i in 0..self.categories.len() {
                    let (mut up, mut down) = (0_i64, 0_i64);
                    for s in &self.series {
                        let v = s.values.get(i).copied().flatten().unwrap_or(0);
                        if v >= 0 {
                            up = up.saturating_add(v);
                        } else {
                            down = down.saturating_add(v);
                        }
                    }
                    high = high.max(up);
                    low = low.min(down);
                }
            }
            Kind::Lines | Kind::GroupedBars => {
                for v in self.series.iter().flat_map(|s| s.values.iter().flatten()) {
                    high = high.max(*v);
                    low = low.min(*v);
                }
            }
        }
        if let Some((a, b, end)) = self.trend() {
            let last = a + b * count(end);
            for end in [a, last] {
                #[allow(clippy::cast_possible_truncation)]
                let end = end.round() as i64;
                high = high.max(end);
                low = low.min(end);
            }
        }
        (low, high)
    }

    fn legend_labels(&self) -> Vec<String> {
        let mut labels: Vec<String> = self.series.iter().map(|s| s.name.clone()).collect();
        if self.trend().is_some() {
            labels.push("Trend (least squares)".to_owned());
        }
        labels
    }

    /// Where the legend, plot and labels go in `frame`.
    pub fn layout(&self, frame: &Frame) -> Layout {
        let font = frame.font;
        let margin = 8.0;
        let swatch = font;
        let row = font * 1.6;
        // The legend: items left to right, wrapping, above everything else.
        let mut legend = Vec::new();
        let (mut x, mut y) = (margin, margin);
        let mut right: f64 = margin;
        for label in self.legend_labels() {
            let item = swatch + font * 0.5 + text_width(&label, font);
            if x > margin && x + item > frame.width - margin {
                x = margin;
                y += row;
            }
            legend.push(LegendItem {
                swatch: Rect { x, y: y + (row - swatch) / 2.0, width: swatch, height: swatch },
                text_x: x + swatch + font * 0.5,
                text_y: y + row / 2.0 + font * 0.35,
                label,
            });
            right = right.max(x + item);
            x += item + font * 1.5;
        }
        let legend_box = Rect {
            x: margin,
            y: margin,
            width: right - margin,
            height: if legend.is_empty() { 0.0 } else { y + row - margin },
        };
        let (low, high) = self.extent();
        let ticks = nice_ticks(low, high, 5);
        let tick_width =
            ticks.iter().map(|t| text_width(&tick_label(*t), font)).fold(0.0, f64::max);
        let label_width = self.categories.iter().map(|c| text_width(c, font)).fold(0.0, f64::max);
        let left = margin + tick_width + font * 0.5;
        // Room on the right for half the last category's label.
        let plot_right = frame.width - margin.max(label_width / 2.0);
        // Half a line above the top tick's label, clear of the legend.
        let top = legend_box.bottom() + font * 1.5;
        let slot = (plot_right - left) / count(self.categories.len().max(1));
        let fits = |n: usize| count(n) * slot >= label_width + font;
        let (label_every, label_rows) = if self.kind == Kind::GroupedBars {
            (1, (1..=4).find(|rows| fits(*rows)).unwrap_or(4))
        } else {
            let every = [1_usize, 2, 3, 4, 6, 12, 24, 36, 60, 120]
                .into_iter()
                .find(|every| fits(*every))
                .unwrap_or(self.categories.len().max(1));
            (every, 1)
        };
        let bottom = frame.height - margin - font * 1.3 * count(label_rows) - font * 0.3;
        let plot = Rect { x: left, y: top, width: plot_right - left, height: bottom - top };
        Layout { legend, legend_box, plot, ticks, label_every, label_rows, slot }
    }

    /// Both frames: the wide one and the narrow one, one shown at a time by the stylesheet.
    pub fn render(&self) -> Markup {
        html! { (self.render_frame(&WIDE)) (self.render_frame(&NARROW)) }
    }

    /// The chart drawn in one frame.
    pub fn render_frame(&self, frame: &Frame) -> Markup {
        let layout = self.layout(frame);
        let plot = layout.plot;
        let scale = Scale::new(&layout.ticks, &plot);
        let font = frame.font;
        let id = format!("{}-{}", self.id, frame.suffix);
        let centre = |i: usize| plot.x + layout.slot * (count(i) + 0.5);
        let money = |v: i64| Money::from_pence(v).to_string();
        let trend = self.trend();
        html! {
            svg class={ "app-chart " (frame.class) } role="img"
                aria-labelledby={ (id) "-title " (id) "-desc" }
                width=(frame.width) height=(frame.height)
                viewBox={ "0 0 " (frame.width) " " (frame.height) }
                xmlns="http://www.w3.org/2000/svg" font-size=(font) fill=(INK) {
                title id={ (id) "-title" } { (self.title) }
                desc id={ (id) "-desc" } { (self.desc) }
                g.app-chart__legend {
                    @for (i, item) in layout.legend.iter().enumerate() {
                        @let s = item.swatch;
                        @if i < self.series.len() {
                            @match self.kind {
                                Kind::StackedBars { .. } | Kind::GroupedBars => {
                                    rect x=(s.x) y=(s.y) width=(s.width) height=(s.height) fill=(colour(i)) {}
                                }
                                Kind::Lines => {
                                    line x1=(s.x) y1=(s.y + s.height / 2.0) x2=(s.right()) y2=(s.y + s.height / 2.0)
                                        stroke=(colour(i)) stroke-width="3" stroke-dasharray=(dashes(i)) {}
                                    (marker(i, s.x + s.width / 2.0, s.y + s.height / 2.0, font * 0.3))
                                }
                            }
                        } @else {
                            line x1=(s.x) y1=(s.y + s.height / 2.0) x2=(s.right()) y2=(s.y + s.height / 2.0)
                                stroke=(INK) stroke-width="3" stroke-dasharray="6 3" {}
                        }
                        text x=(item.text_x) y=(item.text_y) { (item.label) }
                    }
                }
                g.app-chart__axis {
                    @for tick in &layout.ticks {
                        @let ty = scale.y(tick_f64(*tick));
                        line x1=(plot.x) y1=(ty) x2=(plot.right()) y2=(ty)
                            stroke=(if *tick == 0 { INK } else { GRID }) stroke-width="1" {}
                        text x=(plot.x - font * 0.4) y=(ty + font * 0.35) text-anchor="end" { (tick_label(*tick)) }
                    }
                    @for (i, label) in self.categories.iter().enumerate() {
                        @if i % layout.label_every == 0 {
                            text x=(centre(i)) y=(plot.bottom() + font * 1.3 * count(1 + i % layout.label_rows)) text-anchor="middle" { (label) }
                        }
                    }
                }
                @match self.kind {
                    Kind::StackedBars { .. } => {
                        g.app-chart__bars {
                            @for (i, category) in self.categories.iter().enumerate() {
                                @let bar = (layout.slot * 0.7).max(1.0);
                                @let x = centre(i) - bar / 2.0;
                                @let mut up = 0_i64;
                                @let mut down = 0_i64;
                                @for (k, s) in self.series.iter().enumerate() {
                                    @if let Some(v) = s.values.get(i).copied().flatten() {
                                        @let (from, to) = if v >= 0 { let f = up; up = up.saturating_add(v); (f, up) } else { let f = down; down = down.saturating_add(v); (f, down) };
                                        @let (y1, y2) = (scale.y(tick_f64(from)), scale.y(tick_f64(to)));
                                        rect x=(x) y=(y1.min(y2)) width=(bar) height=((y1 - y2).abs())
                                            fill=(colour(k)) stroke="#ffffff" stroke-width="1" {
                                            title { (category) ", " (s.name) ": " (money(v)) }
                                        }
                                    }
                                }
                            }
                        }
                        @if let Some((a, b, end)) = trend {
                            @let (x1, y1, x2, y2) = (centre(0), scale.y(a), centre(end), scale.y(a + b * count(end)));
                            g.app-chart__trend {
                                line x1=(x1) y1=(y1) x2=(x2) y2=(y2) stroke="#ffffff" stroke-width="6" {}
                                line x1=(x1) y1=(y1) x2=(x2) y2=(y2) stroke=(INK) stroke-width="3" stroke-dasharray="6 3" {}
                            }
                        }
                    }
                    Kind::GroupedBars => {
                        g.app-chart__bars {
                            @for (i, category) in self.categories.iter().enumerate() {
                                @let group = layout.slot * 0.8;
                                @let bar = group / count(self.series.len().max(1));
                                @for (k, s) in self.series.iter().enumerate() {
                                    @if let Some(v) = s.values.get(i).copied().flatten() {
                                        @let (y1, y2) = (scale.y(0.0), scale.y(tick_f64(v)));
                                        rect x=(centre(i) - group / 2.0 + bar * count(k)) y=(y1.min(y2)) width=(bar) height=((y1 - y2).abs())
                                            fill=(colour(k)) stroke="#ffffff" stroke-width="1" {
                                            title { (category) ", " (s.name) ": " (money(v)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    Kind::Lines => {
                        @for (k, s) in self.series.iter().enumerate() {
                            @let points: Vec<(usize, i64)> = s.values.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i, v))).collect();
                            g.app-chart__series {
                                polyline fill="none" stroke=(colour(k)) stroke-width="3" stroke-dasharray=(dashes(k))
                                    points=(points.iter().map(|(i, v)| format!("{:.1},{:.1}", centre(*i), scale.y(tick_f64(*v)))).collect::<Vec<_>>().join(" ")) {}
                                @for (i, v) in &points {
                                    g.app-chart__point {
                                        title { (self.categories.get(*i).map_or("", String::as_str)) ", " (s.name) ": " (money(*v)) }
                                        (marker(k, centre(*i), scale.y(tick_f64(*v)), font * 0.3))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[allow(clippy::cast_precision_loss)] // drawing only
fn tick_f64(pence: i64) -> f64 {
    pence as f64
}

fn colour(index: usize) -> &'static str {
    PALETTE.get(index % PALETTE.len()).copied().unwrap_or(INK)
}

/// The first series of a line chart is dashed (a plan), the others solid.
fn dashes(index: usize) -> &'static str {
    if index == 0 { "8 4" } else { "none" }
}

/// A marker whose shape tells the series apart without colour: circle, square, diamond.
fn marker(index: usize, x: f64, y: f64, r: f64) -> Markup {
    let fill = colour(index);
    html! {
        @match index % 3 {
            0 => { circle.app-chart__marker cx=(x) cy=(y) r=(r * 1.2) fill=(fill) stroke="#ffffff" stroke-width="1" {} }
            1 => { rect.app-chart__marker x=(x - r) y=(y - r) width=(r * 2.0) height=(r * 2.0) fill=(fill) stroke="#ffffff" stroke-width="1" {} }
            _ => { path.app-chart__marker d=(format!("M{x:.1},{:.1} L{:.1},{y:.1} L{x:.1},{:.1} L{:.1},{y:.1} Z", y - r * 1.4, x + r * 1.4, y + r * 1.4, x - r * 1.4)) fill=(fill) stroke="#ffffff" stroke-width="1" {} }
        }
    }
}

/// "Apr 25" for "2025-04"; anything else is returned as it is.
pub fn short_month(month: &str) -> String {
    const NAMES: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let mut parts = month.splitn(2, '-');
    match (parts.next(), parts.next().and_then(|m| m.parse::<usize>().ok())) {
        (Some(year), Some(m)) if year.len() == 4 => {
            match (NAMES.get(m.wrapping_sub(1)), year.get(2..)) {
                (Some(name), Some(yy)) => format!("{name} {yy}"),
                _ => month.to_owned(),
            }
        }
        _ => month.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spend(trend: bool) -> Chart {
        Chart {
            id: "t".to_owned(),
            title: "Spending by month".to_owned(),
            desc: "Three funders over six months.".to_owned(),
            kind: Kind::StackedBars { trend },
            categories: ["2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09"]
                .iter()
                .map(|m| short_month(m))
                .collect(),
            series: vec![
                Series {
                    name: "NHS North Integrated Care Board".to_owned(),
                    values: vec![
                        Some(4_000_000),
                        Some(4_500_000),
                        Some(0),
                        Some(5_000_000),
                        Some(4_200_000),
                        Some(3_900_000),
                    ],
                },
                Series {
                    name: "North County Council".to_owned(),
                    values: vec![
                        Some(2_000_000),
                        Some(2_100_000),
                        Some(2_200_000),
                        None,
                        Some(2_400_000),
                        Some(2_500_000),
                    ],
                },
                Series {
                    name: "Better Care Fund pool".to_owned(),
                    values: vec![
                        Some(1_000_000),
                        Some(1_000_000),
                        Some(1_000_000),
                        Some(1_000_000),
                        Some(1_000_000),
                        Some(1_000_000),
                    ],
                },
            ],
        }
    }

    #[test]
    fn ticks_are_round_money_from_zero_past_the_largest_value() {
        // £123,456.78 over 5 intervals: a raw step of £24,691.36, so £50k steps.
        assert_eq!(nice_ticks(0, 12_345_678, 5), vec![0, 5_000_000, 10_000_000, 15_000_000]);
        // £100,000 exactly: £20k steps ending on £100k, not beyond.
        assert_eq!(
            nice_ticks(0, 10_000_000, 5),
            vec![0, 2_000_000, 4_000_000, 6_000_000, 8_000_000, 10_000_000]
        );
        // Nothing at all: still an axis from £0 to £1.
        assert_eq!(nice_ticks(0, 0, 5), vec![0, 100]);
        // A refund month below zero: the axis reaches below £0 by whole steps.
        assert_eq!(nice_ticks(-150_000, 900_000, 5), vec![-500_000, 0, 500_000, 1_000_000]);
        assert_eq!(tick_label(0), "£0");
        assert_eq!(tick_label(5_000_000), "£50k");
        assert_eq!(tick_label(250_000), "£2.5k");
        assert_eq!(tick_label(50_000), "£500");
        assert_eq!(tick_label(120_000_000), "£1.2m");
        assert_eq!(tick_label(-500_000), "−£5k");
    }

    #[test]
    fn the_least_squares_line_of_a_known_series() {
        // y = 1 + 2x exactly.
        assert_eq!(least_squares(&[1, 3, 5, 7]), Some((1.0, 2.0)));
        // 2, 4, 5, 4, 5: Sxy = 6, Sxx = 10, so slope 0.6 and intercept 4 − 0.6 × 2 = 2.8.
        let (a, b) = least_squares(&[2, 4, 5, 4, 5]).unwrap_or_default();
        assert!((a - 2.8).abs() < 1e-9 && (b - 0.6).abs() < 1e-9, "{a} {b}");
        assert_eq!(least_squares(&[5]), None);
    }

    #[test]
    fn the_trend_stops_at_the_last_month_with_spending() {
        let mut chart = spend(true);
        // Totals £70,000, £76,000, £32,000, £60,000, £76,000, £74,000, then two months
        // not reached yet.
        chart.categories.extend(["Oct 25".to_owned(), "Nov 25".to_owned()]);
        for s in &mut chart.series {
            s.values.extend([None, Some(0)]);
        }
        let (a, b, end) = chart.trend().unwrap_or_default();
        assert_eq!(end, 5);
        // By hand over x = 0..5: Σ(x − 2.5)·y = −17.5m − 11.4m − 1.6m + 3.0m + 11.4m + 18.5m
        // = 2.4m pence and Σ(x − 2.5)² = 17.5, so the slope is 2,400,000 / 17.5 =
        // 137,142.857… and the intercept 6,466,666.67 − 2.5 × 137,142.857 = 6,123,809.52.
        assert!((b - 2_400_000.0 / 17.5).abs() < 1e-6, "{b}");
        assert!((a - (38_800_000.0 / 6.0 - 2.5 * 2_400_000.0 / 17.5)).abs() < 1e-6, "{a}");
        assert_eq!(spend(false).trend(), None);
    }

    #[test]
    fn values_map_inside_the_plot_area() {
        let chart = spend(true);
        for frame in [WIDE, NARROW] {
            let layout = chart.layout(&frame);
            let scale = Scale::new(&layout.ticks, &layout.plot);
            assert_eq!(scale.y(0.0), layout.plot.bottom());
            let top = tick_f64(*layout.ticks.last().unwrap_or(&0));
            assert!((scale.y(top) - layout.plot.y).abs() < 1e-9);
            // Every month's total is inside the plot.
            for total in chart.totals() {
                let y = scale.y(tick_f64(total));
                assert!(y >= layout.plot.y && y <= layout.plot.bottom(), "{total} at {y}");
            }
            assert!(layout.plot.x > 0.0 && layout.plot.right() <= frame.width);
            assert!(layout.plot.bottom() < frame.height);
        }
    }

    #[test]
    fn the_legend_is_outside_the_plot_area_however_long_the_names() {
        let mut chart = spend(true);
        chart.series.push(Series {
            name: "A funder with a very long name indeed, longer than a phone is wide".to_owned(),
            values: vec![Some(1); 6],
        });
        for frame in [WIDE, NARROW] {
            let layout = chart.layout(&frame);
            assert_eq!(layout.legend.len(), 5, "four funders and the trend");
            assert!(!layout.legend_box.intersects(&layout.plot));
            // And clear of the top tick's label, which sits half a line above the plot.
            assert!(layout.legend_box.bottom() + frame.font <= layout.plot.y);
            for item in &layout.legend {
                assert!(!item.swatch.intersects(&layout.plot));
                assert!(item.swatch.y >= layout.legend_box.y);
                assert!(item.swatch.bottom() <= layout.legend_box.bottom());
            }
        }
    }

    #[test]
    fn every_value_is_drawn_with_its_amount() {
        let chart = spend(true);
        for frame in [WIDE, NARROW] {
            let svg = chart.render_frame(&frame).into_string();
            // One segment per value given (17: one month has no council figure).
            assert_eq!(svg.matches("<rect").count() - 3, 17, "{svg}");
            assert!(
                svg.contains("<title>Jul 25, NHS North Integrated Care Board: £50,000.00</title>")
            );
            assert!(svg.contains("<title>Sep 25, Better Care Fund pool: £10,000.00</title>"));
            assert!(!svg.contains("Jul 25, North County Council"));
            assert_eq!(svg.matches("stroke-dasharray=\"6 3\"").count(), 2, "trend and its legend");
        }
        let lines = Chart {
            kind: Kind::Lines,
            series: vec![
                Series { name: "Budget".to_owned(), values: vec![Some(10), Some(20), Some(30)] },
                Series { name: "Spent".to_owned(), values: vec![Some(12), Some(19), None] },
            ],
            categories: vec!["Apr 25".to_owned(), "May 25".to_owned(), "Jun 25".to_owned()],
            ..spend(false)
        };
        let svg = lines.render_frame(&WIDE).into_string();
        assert_eq!(svg.matches("<g class=\"app-chart__point\">").count(), 5);
        assert!(svg.contains("<title>May 25, Spent: £0.19</title>"));
        assert_eq!(svg.matches("<polyline").count(), 2);
    }

    #[test]
    fn the_svg_is_an_image_with_a_title_and_description() {
        let svg = spend(false).render().into_string();
        assert_eq!(svg.matches("role=\"img\"").count(), 2);
        assert!(svg.contains("aria-labelledby=\"t-wide-title t-wide-desc\""));
        assert!(svg.contains("<title id=\"t-wide-title\">Spending by month</title>"));
        assert!(svg.contains("<desc id=\"t-narrow-desc\">Three funders over six months.</desc>"));
        assert!(!svg.contains("style="), "the pages' CSP refuses inline styles");
        assert!(!svg.contains("Trend"));
    }

    #[test]
    fn month_labels_are_short_and_thinned_to_fit() {
        assert_eq!(short_month("2025-04"), "Apr 25");
        assert_eq!(short_month("2026-12"), "Dec 26");
        assert_eq!(short_month("2026-13"), "2026-13");
        let mut chart = spend(false);
        chart.categories = (0..24).map(|i| format!("M{i:04}")).collect();
        for s in &mut chart.series {
            s.values = vec![Some(100); 24];
        }
        let wide = chart.layout(&WIDE);
        let narrow = chart.layout(&NARROW);
        for (frame, layout) in [(WIDE, &wide), (NARROW, &narrow)] {
            // Labels placed every `label_every` slots never touch each other.
            assert!(count(layout.label_every) * layout.slot >= text_width("M0000", frame.font));
        }
        assert!(narrow.label_every > wide.label_every);
        assert!(wide.label_every <= 3, "most months labelled at 960 px");
    }

    #[test]
    fn grouped_bars_label_every_category_on_staggered_rows() {
        let chart = Chart {
            kind: Kind::GroupedBars,
            categories: ["REABLEMENT", "DISCHARGE", "CARERS", "COMMUNITY", "EQUIPMENT"]
                .iter()
                .map(|c| (*c).to_owned())
                .collect(),
            series: vec![
                Series { name: "Budget to date".to_owned(), values: vec![Some(500); 5] },
                Series {
                    name: "Actual to date".to_owned(),
                    values: vec![Some(400), Some(600), None, Some(0), Some(10)],
                },
            ],
            ..spend(false)
        };
        let narrow = chart.layout(&NARROW);
        assert_eq!(narrow.label_every, 1);
        assert!(narrow.label_rows >= 2, "ten letters do not fit a fifth of 360 px");
        assert!(count(narrow.label_rows) * narrow.slot >= text_width("REABLEMENT", NARROW.font));
        assert!(
            narrow.plot.bottom() + NARROW.font * 1.3 * count(narrow.label_rows) <= NARROW.height
        );
        for frame in [WIDE, NARROW] {
            let svg = chart.render_frame(&frame).into_string();
            // Two legend swatches and nine bars (one value is missing).
            assert_eq!(svg.matches("<rect").count(), 2 + 9, "{svg}");
            for code in ["REABLEMENT", "DISCHARGE", "CARERS", "COMMUNITY", "EQUIPMENT"] {
                assert!(svg.contains(&format!(">{code}</text>")), "{code} labelled");
            }
            assert!(svg.contains("<title>DISCHARGE, Actual to date: £6.00</title>"));
        }
        assert_eq!(chart.layout(&WIDE).label_rows, 1);
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let luminance = |hex: &str| {
            let channel = |i: usize| {
                let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0)) / 255.0;
                if c <= 0.039_28 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
            };
            0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
        };
        let (x, y) = (luminance(a), luminance(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn the_colours_stand_out_against_white_and_their_neighbours() {
        for colour in PALETTE {
            assert!(contrast(colour, "#ffffff") >= 3.0, "{colour} against white");
        }
        for pair in PALETTE.windows(2) {
            assert!(contrast(pair[0], pair[1]) >= 1.5, "{pair:?}");
        }
    }
}
