//! Pictures of a result set as standalone SVG: a **timeline** of its dated facts (a day as a
//! tick, a month or a year as a band, an approximate date faded, a bounded date as a band
//! between its ends, undated facts listed apart) and a **graph** of the entities and facts its
//! rows connect. `--format svg` writes both; the page of `dalil serve` shows them one by one.
//!
//! Every mark carries `data-row` (its row in the result), `data-kind` and `data-id`, so the
//! page can open the fact and its `why` on a click.

use crate::date::{Date, End, Precision, Qualifier};
use crate::eval::ResultSet;
use crate::store::{Database, Type, Value, entity_cols};
use std::fmt::Write;

/// Which picture(s) to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Picture {
    /// The timeline above the graph.
    Both,
    Timeline,
    Graph,
}

const WIDTH: f64 = 960.0;
const LABEL_W: f64 = 250.0;
const LANE: f64 = 30.0;
const FONT: &str = "DejaVu Sans, Noto Sans, Noto Sans Arabic, Arial, sans-serif";
/// Colours for kinds (by first appearance) — Okabe–Ito, readable for colour-blind viewers.
const PALETTE: [&str; 7] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8c6d31",
];

/// The result as one standalone SVG document.
pub fn render_svg(db: &Database, rs: &ResultSet, picture: Picture) -> String {
    let mut parts: Vec<(String, f64)> = Vec::new();
    if picture != Picture::Graph
        && let Some(t) = timeline(db, rs)
    {
        parts.push(t);
    }
    if picture != Picture::Timeline
        && let Some(g) = graph(db, rs)
    {
        parts.push(g);
    }
    if parts.is_empty() {
        let what = match picture {
            Picture::Timeline => "no dated facts to draw",
            Picture::Graph => "no entities to draw",
            Picture::Both => "no dated facts and no entities to draw",
        };
        parts.push((
            format!(
                "<text class=\"empty\" x=\"{}\" y=\"34\" text-anchor=\"middle\">({what})</text>",
                WIDTH / 2.0
            ),
            60.0,
        ));
    }
    let height: f64 = parts.iter().map(|(_, h)| h).sum();
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"dalil-picture\" width=\"{WIDTH}\" \
         height=\"{height:.0}\" viewBox=\"0 0 {WIDTH} {height:.0}\" font-family=\"{FONT}\" \
         font-size=\"13\">\n<style>{STYLE}</style>\n<rect class=\"bg\" width=\"100%\" height=\"100%\"/>\n"
    );
    let mut y = 0.0;
    for (body, h) in parts {
        let _ = writeln!(out, "<g transform=\"translate(0 {y:.0})\">\n{body}</g>");
        y += h;
    }
    out.push_str("</svg>\n");
    out
}

const STYLE: &str = "\
.bg{fill:#fff}\
.title{font-size:15px;font-weight:bold;fill:#222}\
.axis line,.axis path{stroke:#888;stroke-width:1}\
.axis text{fill:#555;font-size:11px}\
.axis .grid{stroke:#e6e6e6;stroke-width:1}\
.break{stroke:#888;stroke-width:1.5;fill:none}\
.label{fill:#222;font-size:12px}\
.date{fill:#444;font-size:11px}\
.mark{cursor:pointer}\
.mark .band{fill-opacity:.75}\
.mark.approx .band{fill-opacity:.25;stroke-dasharray:4 3}\
.mark.approx circle{fill-opacity:.35}\
.mark:hover .band,.mark:hover circle{stroke:#000;stroke-width:1.5}\
.undated{fill:#555;font-size:12px}\
.empty{fill:#777;font-style:italic}\
.edge{stroke:#999;stroke-width:1.2}\
.edge-label{fill:#777;font-size:10px}\
.node circle{stroke:#fff;stroke-width:1.5}\
.node text{fill:#222;font-size:12px}\
.fact rect{fill-opacity:.15;stroke-width:1.5}\
.fact text{font-size:11px}\
.legend text{font-size:11px;fill:#333}";

/// XML-escaped text.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters, with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut t: String = text.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The kind a row of the result shows, when it shows one fact.
fn row_kind(db: &Database, rs: &ResultSet, row: usize) -> String {
    match rs.sources.get(row).copied().flatten() {
        Some((k, _)) => db.kind(k).name.clone(),
        None => String::new(),
    }
}

/// The row's `id`, when it has one.
fn row_id(db: &Database, rs: &ResultSet, row: usize) -> Option<String> {
    let c = rs.columns.iter().position(|c| c == "id")?;
    match &rs.rows[row][c] {
        Value::Null => None,
        v => Some(db.display(v)),
    }
}

/// A short name for a row: its first two telling values (not the id, dates, lists or cites).
fn row_label(db: &Database, rs: &ResultSet, row: usize) -> String {
    let mut parts = Vec::new();
    for (c, v) in rs.rows[row].iter().enumerate() {
        let skip = matches!(rs.types.get(c), Some(Type::Date | Type::List | Type::Bool))
            || rs.columns[c] == "id"
            || v.is_null();
        if !skip {
            parts.push(db.display(v));
        }
        if parts.len() == 2 {
            break;
        }
    }
    if parts.is_empty() {
        row_id(db, rs, row).unwrap_or_else(|| format!("row {}", row + 1))
    } else {
        parts.join(" · ")
    }
}

fn mark_attrs(db: &Database, rs: &ResultSet, row: usize) -> String {
    let mut a = format!(
        " data-row=\"{row}\" data-kind=\"{}\"",
        esc(&row_kind(db, rs, row))
    );
    // The row's own id, or else the first fact it refers to (`dated_event(event: …)`).
    let refers = || {
        rs.rows[row].iter().find_map(|v| match v {
            Value::Ref(s) => Some(db.interner.resolve(*s).to_string()),
            _ => None,
        })
    };
    if let Some(id) = row_id(db, rs, row).or_else(refers) {
        let _ = write!(a, " data-id=\"{}\"", esc(&id));
    }
    a
}

/// A continuous stretch of days drawn to scale; long gaps between stretches are cut out.
struct Segment {
    lo: i32,
    hi: i32,
    x0: f64,
    x1: f64,
}

/// Gaps longer than this many days are cut out of the axis.
const MAX_GAP: i32 = 200;
const BREAK_W: f64 = 26.0;

struct Scale {
    segments: Vec<Segment>,
}

impl Scale {
    fn new(intervals: &[(i32, i32)], x0: f64, x1: f64) -> Scale {
        let mut sorted = intervals.to_vec();
        sorted.sort();
        // (first day, last day, marks in it)
        let mut clusters: Vec<(i32, i32, usize)> = Vec::new();
        for (lo, hi) in sorted {
            match clusters.last_mut() {
                Some(c) if lo - c.1 <= MAX_GAP => {
                    c.1 = c.1.max(hi);
                    c.2 += 1;
                }
                _ => clusters.push((lo, hi, 1)),
            }
        }
        // Some room around each stretch, so a tick is never on the edge.
        let padded: Vec<(i32, i32)> = clusters
            .iter()
            .map(|&(lo, hi, _)| {
                let pad = ((hi - lo) / 12).max(12);
                (lo - pad, hi + 1 + pad)
            })
            .collect();
        let room = (x1 - x0) - BREAK_W * (padded.len().saturating_sub(1)) as f64;
        // A stretch with more marks gets more room; a long one somewhat more.
        let weights: Vec<f64> = padded
            .iter()
            .zip(&clusters)
            .map(|((l, h), c)| ((h - l) as f64).sqrt() * (1.0 + c.2 as f64))
            .collect();
        let sum: f64 = weights.iter().sum();
        let mut x = x0;
        let mut segments = Vec::new();
        for ((lo, hi), w) in padded.into_iter().zip(weights) {
            let width = room * w / sum;
            segments.push(Segment {
                lo,
                hi,
                x0: x,
                x1: x + width,
            });
            x += width + BREAK_W;
        }
        Scale { segments }
    }

    /// The x of the start of `day`.
    fn x(&self, day: i32) -> f64 {
        let s = self
            .segments
            .iter()
            .find(|s| day <= s.hi)
            .or(self.segments.last())
            .expect("a scale has at least one segment");
        let day = day.clamp(s.lo, s.hi);
        s.x0 + (s.x1 - s.x0) * (day - s.lo) as f64 / (s.hi - s.lo).max(1) as f64
    }
}

fn day_of(y: i32, m: u32) -> i32 {
    Date::month(y, m).map_or(0, |d| d.lo)
}

fn ymd(day: i32) -> (i32, u32) {
    use chrono::Datelike;
    let d = chrono::NaiveDate::from_num_days_from_ce_opt(day).unwrap_or_default();
    (d.year(), d.month())
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Axis ticks of one segment: months when there is room for them, else years.
fn ticks(seg: &Segment) -> Vec<(i32, String, bool)> {
    let (y0, m0) = ymd(seg.lo);
    let (y1, _) = ymd(seg.hi);
    let mut out = Vec::new();
    let months = ((seg.hi - seg.lo) / 30).max(1);
    let per_month = (seg.x1 - seg.x0) / months as f64;
    if per_month >= 14.0 {
        let step = if per_month >= 34.0 {
            1
        } else if per_month >= 18.0 {
            3
        } else {
            6
        };
        let (mut y, mut m) = (y0, m0);
        loop {
            let day = day_of(y, m);
            if day > seg.hi {
                break;
            }
            if day >= seg.lo && (m - 1) % step == 0 {
                let text = if m == 1 {
                    y.to_string()
                } else if out.is_empty() {
                    format!("{} {y}", MONTHS[m as usize - 1])
                } else {
                    MONTHS[m as usize - 1].to_string()
                };
                out.push((day, text, m == 1));
            }
            (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        }
    } else {
        let years = (y1 - y0).max(1);
        let step = [1, 2, 5, 10, 20, 50, 100]
            .into_iter()
            .find(|s| years / s <= 8)
            .unwrap_or(100);
        for y in y0..=y1 {
            let day = day_of(y, 1);
            if day >= seg.lo && day <= seg.hi && y % step == 0 {
                out.push((day, y.to_string(), true));
            }
        }
    }
    if out.is_empty() {
        // A stretch inside one year: its year as the only label, at its middle.
        let mid = (seg.lo + seg.hi) / 2;
        out.push((mid, ymd(mid).0.to_string(), false));
    }
    out
}

/// Colours by kind, in order of first appearance.
struct Colours(Vec<String>);

impl Colours {
    fn of(&mut self, kind: &str) -> &'static str {
        let i = match self.0.iter().position(|k| k == kind) {
            Some(i) => i,
            None => {
                self.0.push(kind.to_string());
                self.0.len() - 1
            }
        };
        PALETTE[i % PALETTE.len()]
    }
}

/// How a date is drawn: the days it covers on the axis and its shape.
#[derive(Clone, Copy)]
struct Drawn {
    lo: i32,
    hi: i32,
    /// `day` (a tick), `month` or `year` (a band), `interval` (a band between two ends).
    class: &'static str,
    /// Approximate or uncertain (`~`, `?`, `%`), or open-ended: drawn faded.
    faded: bool,
}

/// Days an open end (`2025-09/..`) is drawn past its known end.
const OPEN_END_DAYS: i32 = 45;

/// How `d` is drawn, or `None` when it has no known day at all (`../..`).
fn drawn(d: &Date) -> Option<Drawn> {
    let (lo, hi, open) = match (d.earliest(), d.latest()) {
        (Some(lo), Some(hi)) => (lo, hi, false),
        (Some(lo), None) => (lo, lo + OPEN_END_DAYS, true),
        (None, Some(hi)) => (hi - OPEN_END_DAYS, hi, true),
        (None, None) => return None,
    };
    let qualified = |e: End| matches!(e, End::Known(_, q) if q != Qualifier::Exact);
    let class = match (d.start, d.end) {
        (End::Known(Precision::Day, _), None) if lo == hi => "day",
        (End::Known(Precision::Month, _), None) => "month",
        (End::Known(Precision::Year, _), None) => "year",
        _ => "interval",
    };
    Some(Drawn {
        lo,
        hi,
        class,
        faded: open || qualified(d.start) || d.end.is_some_and(qualified),
    })
}

/// The timeline and its height, or `None` when the result has no date column.
fn timeline(db: &Database, rs: &ResultSet) -> Option<(String, f64)> {
    let date_cols: Vec<usize> = (0..rs.columns.len())
        .filter(|&c| rs.types.get(c) == Some(&Type::Date))
        .collect();
    if date_cols.is_empty() {
        return None;
    }
    let mut marks: Vec<(usize, usize, Date, Drawn)> = Vec::new();
    let mut undated = Vec::new();
    for (r, row) in rs.rows.iter().enumerate() {
        let before = marks.len();
        for &c in &date_cols {
            if let Value::Date(d) = &row[c]
                && let Some(shape) = drawn(d)
            {
                marks.push((r, c, *d, shape));
            }
        }
        if marks.len() == before {
            undated.push(r);
        }
    }
    marks.sort_by(|a, b| a.2.sort_cmp(&b.2).then(a.0.cmp(&b.0)));
    let mut svg = String::new();
    let title = if marks.is_empty() {
        "Timeline (no dated facts)".to_string()
    } else {
        format!("Timeline — {} dated", marks.len())
    };
    let _ = writeln!(svg, "<g class=\"timeline\" id=\"timeline\">");
    let _ = writeln!(
        svg,
        "<text class=\"title\" x=\"16\" y=\"26\">{title}</text>"
    );
    let top = 44.0;
    let mut y = top;
    if !marks.is_empty() {
        let intervals: Vec<(i32, i32)> = marks.iter().map(|m| (m.3.lo, m.3.hi)).collect();
        let scale = Scale::new(&intervals, LABEL_W + 10.0, WIDTH - 80.0);
        let axis_y = top + LANE * marks.len() as f64 + 8.0;
        // Grid lines and axis.
        let _ = writeln!(svg, "<g class=\"axis\">");
        for seg in &scale.segments {
            let _ = writeln!(
                svg,
                "<line x1=\"{:.1}\" y1=\"{axis_y:.1}\" x2=\"{:.1}\" y2=\"{axis_y:.1}\"/>",
                seg.x0, seg.x1
            );
            for (day, text, major) in ticks(seg) {
                let x = scale.x(day);
                let _ = writeln!(
                    svg,
                    "<line class=\"grid\" x1=\"{x:.1}\" y1=\"{top:.1}\" x2=\"{x:.1}\" y2=\"{axis_y:.1}\"/>\
                     <line x1=\"{x:.1}\" y1=\"{axis_y:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\"/>\
                     <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\"{}>{}</text>",
                    axis_y + 5.0,
                    axis_y + 18.0,
                    if major { " font-weight=\"bold\"" } else { "" },
                    esc(&text)
                );
            }
        }
        for pair in scale.segments.windows(2) {
            // A cut in the axis: two slanted strokes in the gap.
            let mid = (pair[0].x1 + pair[1].x0) / 2.0;
            let _ = writeln!(
                svg,
                "<path class=\"break\" d=\"M{:.1} {:.1} l6 -10 M{:.1} {:.1} l6 -10\"/>",
                mid - 6.0,
                axis_y + 5.0,
                mid,
                axis_y + 5.0
            );
        }
        let _ = writeln!(svg, "</g>");
        let mut colours = Colours(Vec::new());
        for (lane, &(r, c, d, shape)) in marks.iter().enumerate() {
            let cy = top + LANE * lane as f64 + LANE / 2.0;
            let kind = row_kind(db, rs, r);
            let colour = colours.of(&kind);
            let class = shape.class;
            let (x0, x1) = (
                scale.x(shape.lo),
                scale.x(shape.hi + 1).max(scale.x(shape.lo) + 3.0),
            );
            let figure = if class == "day" {
                let x = (x0 + x1) / 2.0;
                format!(
                    "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"{colour}\" stroke-width=\"2\"/>\
                     <circle cx=\"{x:.1}\" cy=\"{cy:.1}\" r=\"6\" fill=\"{colour}\"/>",
                    cy - 11.0,
                    cy + 11.0
                )
            } else {
                let mut f = format!(
                    "<rect class=\"band\" x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"14\" rx=\"3\" fill=\"{colour}\" stroke=\"{colour}\"/>",
                    cy - 7.0,
                    x1 - x0
                );
                if class == "interval" {
                    // A bounded date: its known ends drawn as ticks.
                    let ends = [(d.earliest().is_some(), x0), (d.latest().is_some(), x1)];
                    for (_, x) in ends.into_iter().filter(|e| e.0) {
                        let _ = write!(
                            f,
                            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"{colour}\" stroke-width=\"2\"/>",
                            cy - 10.0,
                            cy + 10.0
                        );
                    }
                }
                f
            };
            let date_text = d.to_string();
            // The date to the right of its mark, or to its left when there is no room.
            let text_w = 6.5 * date_text.chars().count() as f64;
            let after = x1 + if class == "day" { 8.0 } else { 6.0 };
            let (date_x, anchor) = if after + text_w > WIDTH - 4.0 {
                (x0 - if class == "day" { 8.0 } else { 6.0 }, "end")
            } else {
                (after, "start")
            };
            let label = row_label(db, rs, r);
            let field = &rs.columns[c];
            let field_note = if date_cols.len() > 1 {
                format!(" ({field})")
            } else {
                String::new()
            };
            let _ = writeln!(
                svg,
                "<g class=\"mark {class}{}\"{} data-date=\"{}\" data-precision=\"{class}\">\
                 <title>{}{}: {}</title>\
                 <text class=\"label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>{figure}\
                 <text class=\"date\" x=\"{date_x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text></g>",
                if shape.faded { " approx" } else { "" },
                mark_attrs(db, rs, r),
                esc(&date_text),
                esc(&kind),
                esc(&field_note),
                esc(&label),
                LABEL_W,
                cy + 4.0,
                esc(&clip(&format!("{label}{field_note}"), 33)),
                cy + 4.0,
                esc(&date_text),
            );
        }
        y = axis_y + 30.0;
    }
    if !undated.is_empty() {
        let _ = writeln!(
            svg,
            "<text class=\"undated\" x=\"16\" y=\"{:.1}\" font-weight=\"bold\">Undated ({}):</text>",
            y + 6.0,
            undated.len()
        );
        y += 12.0;
        for &r in undated.iter().take(30) {
            y += 18.0;
            let _ = writeln!(
                svg,
                "<g class=\"mark undated-fact\"{}><text class=\"undated\" x=\"28\" y=\"{y:.1}\">• {}</text></g>",
                mark_attrs(db, rs, r),
                esc(&clip(&row_label(db, rs, r), 100))
            );
        }
        if undated.len() > 30 {
            y += 18.0;
            let _ = writeln!(
                svg,
                "<text class=\"undated\" x=\"28\" y=\"{y:.1}\">… and {} more</text>",
                undated.len() - 30
            );
        }
        y += 16.0;
    }
    let _ = writeln!(svg, "</g>");
    Some((svg, y + 8.0))
}

/// A node of the graph: an entity or a fact.
struct Node {
    key: String,
    label: String,
    /// The entity's type (country, person, …) or the fact's kind.
    group: String,
    is_fact: bool,
    row: Option<usize>,
    x: f64,
    y: f64,
}

struct Graph {
    nodes: Vec<Node>,
    edges: Vec<(usize, usize, String, String)>,
}

impl Graph {
    fn node(&mut self, key: String, make: impl FnOnce() -> Node) -> usize {
        if let Some(i) = self.nodes.iter().position(|n| n.key == key) {
            return i;
        }
        self.nodes.push(make());
        self.nodes.len() - 1
    }

    fn value_node(&mut self, db: &Database, v: &Value) -> Option<usize> {
        match v {
            Value::Entity(s) => {
                let key = format!("e:{}", db.interner.resolve(*s));
                Some(self.node(key.clone(), || Node {
                    key,
                    label: db.entity_label(*s).to_string(),
                    group: match db.entity_field(*s, entity_cols::TYPE) {
                        Value::Text(t) => db.interner.resolve(t).to_string(),
                        _ => "entity".into(),
                    },
                    is_fact: false,
                    row: None,
                    x: 0.0,
                    y: 0.0,
                }))
            }
            Value::Ref(s) => {
                let id = db.interner.resolve(*s).to_string();
                let kind = db
                    .fact_by_id(*s)
                    .map_or(String::new(), |(k, _)| db.kind(k).name.clone());
                Some(self.fact_node(id, kind, None))
            }
            _ => None,
        }
    }

    fn fact_node(&mut self, id: String, kind: String, row: Option<usize>) -> usize {
        let key = format!("f:{id}");
        let i = self.node(key.clone(), || Node {
            key,
            label: id,
            group: kind,
            is_fact: true,
            row,
            x: 0.0,
            y: 0.0,
        });
        if self.nodes[i].row.is_none() {
            self.nodes[i].row = row;
        }
        i
    }
}

/// Most nodes drawn; a bigger result is cut (the title says so).
const MAX_NODES: usize = 150;

/// The graph and its height, or `None` when the rows connect no entities.
fn graph(db: &Database, rs: &ResultSet) -> Option<(String, f64)> {
    let mut g = Graph {
        nodes: Vec::new(),
        edges: Vec::new(),
    };
    let mut cut = false;
    for (r, row) in rs.rows.iter().enumerate() {
        if g.nodes.len() >= MAX_NODES {
            cut = true;
            break;
        }
        let kind = row_kind(db, rs, r);
        let values: Vec<(usize, &String)> = row
            .iter()
            .zip(&rs.columns)
            .filter(|(_, c)| c.as_str() != "id")
            .filter_map(|(v, c)| g.value_node(db, v).map(|n| (n, c)))
            .collect();
        // A row with an id is a fact: it is the hub of its values. A row without one
        // (a derived row) links its first value to the others.
        let hub = match row_id(db, rs, r) {
            Some(id) if !values.is_empty() => Some(g.fact_node(id, kind.clone(), Some(r))),
            _ => None,
        };
        let (hub, rest) = match hub {
            Some(h) => (h, &values[..]),
            None if values.len() >= 2 => (values[0].0, &values[1..]),
            None => continue,
        };
        for &(n, field) in rest {
            if n == hub {
                continue;
            }
            // Two fields linking the same pair (a visit's host and place) make one line.
            match g.edges.iter_mut().find(|e| e.0 == hub && e.1 == n) {
                Some(e) if !e.2.split(", ").any(|f| f == field) => {
                    e.2.push_str(", ");
                    e.2.push_str(field);
                }
                Some(_) => {}
                None => g.edges.push((hub, n, field.clone(), kind.clone())),
            }
        }
    }
    if g.edges.is_empty() {
        return None;
    }
    let height = (260.0 + 26.0 * g.nodes.len() as f64).clamp(360.0, 760.0);
    layout(&mut g, WIDTH - 260.0, height - 70.0);
    let mut svg = String::new();
    let _ = writeln!(svg, "<g class=\"graph\" id=\"graph\">");
    let entities = g.nodes.iter().filter(|n| !n.is_fact).count();
    let _ = writeln!(
        svg,
        "<text class=\"title\" x=\"16\" y=\"26\">Graph — {entities} entities, {} facts{}</text>",
        g.nodes.len() - entities,
        if cut { " (cut at the first rows)" } else { "" }
    );
    let (ox, oy) = (40.0, 50.0);
    // When every edge has the same field, the title says it once instead of on every edge.
    let one_field = g.edges.iter().all(|e| e.2 == g.edges[0].2);
    if one_field {
        let _ = writeln!(
            svg,
            "<text class=\"edge-label\" x=\"16\" y=\"44\">every line: {}</text>",
            esc(&g.edges[0].2)
        );
    }
    for (a, b, field, kind) in &g.edges {
        let (na, nb) = (&g.nodes[*a], &g.nodes[*b]);
        let (x1, y1, x2, y2) = (na.x + ox, na.y + oy, nb.x + ox, nb.y + oy);
        // The kinds of the facts at its ends, so the page can hide the edges of a kind.
        let ends: Vec<&str> = [na, nb]
            .iter()
            .filter(|n| n.is_fact)
            .map(|n| n.group.as_str())
            .collect();
        let label = if one_field {
            String::new()
        } else {
            format!(
                "<text class=\"edge-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                (x1 + x2) / 2.0,
                (y1 + y2) / 2.0 - 3.0,
                esc(field)
            )
        };
        let _ = writeln!(
            svg,
            "<g class=\"edge-group\" data-kind=\"{}\" data-fact-kinds=\"{}\"><title>{}</title><line class=\"edge\" x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\"/>{label}</g>",
            esc(kind),
            esc(&ends.join(" ")),
            esc(field),
        );
    }
    let mut kind_colours = Colours(Vec::new());
    let mut type_colours = Colours(Vec::new());
    let mut legend: Vec<(String, &'static str, bool)> = Vec::new();
    for n in &g.nodes {
        let (x, y) = (n.x + ox, n.y + oy);
        if n.is_fact {
            let colour = kind_colours.of(&n.group);
            if !legend.iter().any(|l| l.0 == n.group && l.2) {
                legend.push((n.group.clone(), colour, true));
            }
            let text = clip(&n.label, 26);
            let w = 8.0 + 6.6 * text.chars().count() as f64;
            let row = n
                .row
                .map_or(String::new(), |r| format!(" data-row=\"{r}\""));
            let (left, top, base) = (x - w / 2.0, y - 10.0, y + 4.0);
            // A white box under the tinted one, so lines do not show through.
            let _ = writeln!(
                svg,
                "<g class=\"node fact mark\" data-kind=\"{}\" data-id=\"{}\"{row}><title>{}: {}</title>\
                 <rect x=\"{left:.1}\" y=\"{top:.1}\" width=\"{w:.1}\" height=\"20\" rx=\"4\" fill=\"#fff\"/>\
                 <rect x=\"{left:.1}\" y=\"{top:.1}\" width=\"{w:.1}\" height=\"20\" rx=\"4\" fill=\"{colour}\" stroke=\"{colour}\"/>\
                 <text x=\"{x:.1}\" y=\"{base:.1}\" text-anchor=\"middle\">{}</text></g>",
                esc(&n.group),
                esc(&n.label),
                esc(&n.group),
                esc(&n.label),
                esc(&text)
            );
        } else {
            // Entity colours come after the kinds' in the palette, so they differ.
            let colour = type_colours.of(&format!("type:{}", n.group));
            let colour = PALETTE
                [(PALETTE.iter().position(|c| *c == colour).unwrap_or(0) + 3) % PALETTE.len()];
            if !legend.iter().any(|l| l.0 == n.group && !l.2) {
                legend.push((n.group.clone(), colour, false));
            }
            let _ = writeln!(
                svg,
                "<g class=\"node entity\" data-entity=\"{}\"><title>{} ({})</title>\
                 <circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"9\" fill=\"{colour}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\">{}</text></g>",
                esc(&n.key[2..]),
                esc(&n.label),
                esc(&n.group),
                x + 12.0,
                y + 4.0,
                esc(&clip(&n.label, 30))
            );
        }
    }
    // Legend on the right.
    let lx = WIDTH - 190.0;
    let _ = writeln!(svg, "<g class=\"legend\">");
    for (i, (name, colour, fact)) in legend.iter().enumerate() {
        let ly = 56.0 + 18.0 * i as f64;
        let shape = if *fact {
            format!(
                "<rect x=\"{lx}\" y=\"{:.1}\" width=\"14\" height=\"10\" rx=\"2\" fill=\"{colour}\" fill-opacity=\".4\" stroke=\"{colour}\"/>",
                ly - 9.0
            )
        } else {
            format!(
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"{colour}\"/>",
                lx + 7.0,
                ly - 4.0
            )
        };
        let _ = writeln!(
            svg,
            "{shape}<text x=\"{:.1}\" y=\"{ly:.1}\">{}{}</text>",
            lx + 20.0,
            esc(&clip(name, 22)),
            if *fact { "" } else { " (entity)" }
        );
    }
    let _ = writeln!(svg, "</g>\n</g>");
    Some((svg, height))
}

/// Places the nodes with a few hundred rounds of a force-directed layout (Fruchterman and
/// Reingold): connected nodes pull together, all nodes push apart. Deterministic: the nodes
/// start on a circle in the order they were met.
fn layout(g: &mut Graph, w: f64, h: f64) {
    let n = g.nodes.len();
    let (cx, cy) = (w / 2.0, h / 2.0);
    for (i, node) in g.nodes.iter_mut().enumerate() {
        let a = std::f64::consts::TAU * i as f64 / n as f64;
        node.x = cx + cx * 0.8 * a.cos();
        node.y = cy + cy * 0.8 * a.sin();
    }
    let k = ((w * h) / n.max(1) as f64).sqrt() * 0.75;
    let mut temp = w / 8.0;
    let rounds = 300;
    for _ in 0..rounds {
        let mut disp = vec![(0.0f64, 0.0f64); n];
        for i in 0..n {
            for j in (i + 1)..n {
                let dx = g.nodes[i].x - g.nodes[j].x;
                let dy = g.nodes[i].y - g.nodes[j].y;
                let d = (dx * dx + dy * dy).sqrt().max(0.01);
                let f = k * k / d;
                disp[i].0 += dx / d * f;
                disp[i].1 += dy / d * f;
                disp[j].0 -= dx / d * f;
                disp[j].1 -= dy / d * f;
            }
        }
        for (a, b, _, _) in &g.edges {
            let dx = g.nodes[*a].x - g.nodes[*b].x;
            let dy = g.nodes[*a].y - g.nodes[*b].y;
            let d = (dx * dx + dy * dy).sqrt().max(0.01);
            let f = d * d / k;
            disp[*a].0 -= dx / d * f;
            disp[*a].1 -= dy / d * f;
            disp[*b].0 += dx / d * f;
            disp[*b].1 += dy / d * f;
        }
        for (node, (dx, dy)) in g.nodes.iter_mut().zip(disp) {
            // A weak pull to the centre keeps unconnected parts on the page.
            let (dx, dy) = (dx + (cx - node.x) * 0.6, dy + (cy - node.y) * 0.6);
            let d = (dx * dx + dy * dy).sqrt().max(0.01);
            node.x += dx / d * d.min(temp);
            node.y += dy / d * d.min(temp);
        }
        temp = (temp * 0.985).max(1.0);
    }
    // Fit the drawing to the box.
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for node in &g.nodes {
        x0 = x0.min(node.x);
        x1 = x1.max(node.x);
        y0 = y0.min(node.y);
        y1 = y1.max(node.y);
    }
    let sx = if x1 > x0 {
        (w - 120.0) / (x1 - x0)
    } else {
        1.0
    };
    let sy = if y1 > y0 { (h - 20.0) / (y1 - y0) } else { 1.0 };
    for node in &mut g.nodes {
        node.x = 60.0 + (node.x - x0) * sx;
        node.y = 10.0 + (node.y - y0) * sy;
    }
    separate(g, w, h);
}

/// The box a node's drawing takes, as (left, right) of its centre.
fn extent(n: &Node) -> (f64, f64) {
    if n.is_fact {
        let half = (8.0 + 6.6 * clip(&n.label, 26).chars().count() as f64) / 2.0;
        (half, half)
    } else {
        (10.0, 14.0 + 7.0 * clip(&n.label, 30).chars().count() as f64)
    }
}

/// Moves overlapping nodes apart (up and down, a little sideways), so no label hides another.
fn separate(g: &mut Graph, w: f64, h: f64) {
    const ROW: f64 = 24.0;
    for _ in 0..60 {
        let mut moved = false;
        for i in 0..g.nodes.len() {
            for j in (i + 1)..g.nodes.len() {
                let (a, b) = (&g.nodes[i], &g.nodes[j]);
                let ((al, ar), (bl, br)) = (extent(a), extent(b));
                let overlap_x = (a.x + ar).min(b.x + br) - (a.x - al).max(b.x - bl);
                let overlap_y = ROW - (a.y - b.y).abs();
                if overlap_x > 0.0 && overlap_y > 0.0 {
                    let push = overlap_y / 2.0 + 0.5;
                    let dir = if a.y <= b.y { -1.0 } else { 1.0 };
                    let side = if a.x <= b.x { -1.0 } else { 1.0 };
                    g.nodes[i].y = (g.nodes[i].y + dir * push).clamp(0.0, h);
                    g.nodes[j].y = (g.nodes[j].y - dir * push).clamp(0.0, h);
                    g.nodes[i].x = (g.nodes[i].x + side * 2.0).clamp(0.0, w);
                    g.nodes[j].x = (g.nodes[j].x - side * 2.0).clamp(0.0, w);
                    moved = true;
                }
            }
        }
        if !moved {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_cuts_long_gaps_and_keeps_order() {
        let y2005 = Date::year(2005).unwrap();
        let aug = Date::month(2025, 8).unwrap();
        let sep = Date::day(2025, 9, 14).unwrap();
        let s = Scale::new(
            &[(y2005.lo, y2005.hi), (aug.lo, aug.hi), (sep.lo, sep.hi)],
            0.0,
            600.0,
        );
        assert_eq!(s.segments.len(), 2);
        assert!(s.x(y2005.hi) < s.x(aug.lo));
        assert!(s.x(aug.hi) < s.x(sep.lo));
        assert!(s.x(sep.hi) <= 600.0);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
