//! An SVG overview picture, drawn without any external program.
//!
//! A model of thousands of resources cannot be read node by node, so the picture shows
//! the structure: PDs on the top row, resource spaces on the bottom row (each listing how
//! many resources of each type it holds), and aggregated edges between them: a PD ->
//! space line labelled with how many of the space's resources the PD HOLDs (`+S` when it
//! holds the space itself), REQUEST arcs between PDs above the PDs (labelled with the
//! types), HOLD arcs between PDs, and MAP arcs between spaces below the spaces (labelled
//! with the number of resource MAPs that run between them). Spaces are ordered by where
//! their holders stand, which keeps lines short. For every single node, use DOT.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write;

use crate::check::spaces_of;
use crate::model::{EdgeKind, Model, NodeIdx, NodeKind};

const CHAR_W: f64 = 7.2;
const LINE_H: f64 = 16.0;
const GAP: f64 = 36.0;
const MARGIN: f64 = 30.0;

/// Escapes text for SVG.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

struct Boxed {
    idx: NodeIdx,
    lines: Vec<String>,
    x: f64,
    w: f64,
    h: f64,
}

impl Boxed {
    fn new(idx: NodeIdx, lines: Vec<String>) -> Boxed {
        let longest = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        let w = (longest as f64 * CHAR_W + 20.0).max(70.0);
        let h = lines.len() as f64 * LINE_H + 12.0;
        Boxed { idx, lines, x: 0.0, w, h }
    }

    fn cx(&self) -> f64 {
        self.x + self.w / 2.0
    }
}

fn place(row: &mut [Boxed], width: f64) {
    let total: f64 = row.iter().map(|b| b.w).sum::<f64>() + GAP * row.len().saturating_sub(1) as f64;
    let mut x = (width - total) / 2.0;
    for b in row {
        b.x = x;
        x += b.w + GAP;
    }
}

fn row_width(row: &[Boxed]) -> f64 {
    row.iter().map(|b| b.w).sum::<f64>() + GAP * row.len().saturating_sub(1) as f64
}

/// An arc between two x positions at height `y`, bulging by `dir` (-1 up, +1 down), with a
/// label at its top.
fn arc(svg: &mut String, (x1, x2): (f64, f64), y: f64, dir: f64, (color, dash): (&str, &str), label: &str) {
    let span = (x2 - x1).abs();
    let bulge = if span < 1.0 { 40.0 } else { (span * 0.3).clamp(30.0, 110.0) };
    let (x1, x2) = if span < 1.0 { (x1 - 14.0, x2 + 14.0) } else { (x1, x2) };
    let cy = y + dir * bulge * 2.0;
    let _ = writeln!(
        svg,
        r#"<path d="M {x1:.1} {y:.1} Q {:.1} {cy:.1} {x2:.1} {y:.1}" fill="none" stroke="{color}" stroke-width="1.5"{dash} marker-end="url(#arrow-{})"/>"#,
        (x1 + x2) / 2.0,
        color.trim_start_matches('#')
    );
    // The label sits a quarter of the way along, near the source: arcs leaving different
    // boxes never share a label spot, while apexes of similar spans would.
    let t = 0.25;
    let lx = (1.0 - t) * (1.0 - t) * x1 + 2.0 * (1.0 - t) * t * (x1 + x2) / 2.0 + t * t * x2;
    let ly = (1.0 - t) * (1.0 - t) * y + 2.0 * (1.0 - t) * t * cy + t * t * y + if dir < 0.0 { -4.0 } else { 12.0 };
    let _ = writeln!(
        svg,
        r#"<text x="{lx:.1}" y="{ly:.1}" text-anchor="middle" class="label" fill="{color}" stroke="white" stroke-width="3" paint-order="stroke">{}</text>"#,
        escape(label)
    );
}

/// Writes the SVG picture.
pub fn write(model: &Model, out: &mut dyn Write) -> std::io::Result<()> {
    let pds: Vec<NodeIdx> = model.nodes_of(NodeKind::Pd).map(|(i, _)| i).collect();
    let pd_pos: BTreeMap<NodeIdx, usize> = pds.iter().enumerate().map(|(i, p)| (*p, i)).collect();

    // Per space: resource counts by type; per (PD, space): holds; per (space, space): maps.
    let mut space_of: BTreeMap<NodeIdx, NodeIdx> = BTreeMap::new();
    let mut contents: BTreeMap<NodeIdx, BTreeMap<&str, usize>> = BTreeMap::new();
    let mut unplaced = 0usize;
    for (r, node) in model.nodes_of(NodeKind::Resource) {
        match spaces_of(model, r)[..] {
            [s] => {
                space_of.insert(r, s);
                *contents.entry(s).or_default().entry(&*node.ty).or_default() += 1;
            }
            _ => unplaced += 1,
        }
    }
    let mut holds: BTreeMap<(NodeIdx, NodeIdx), (usize, bool)> = BTreeMap::new();
    let mut requests: BTreeMap<(NodeIdx, NodeIdx), Vec<&str>> = BTreeMap::new();
    let mut pd_holds: BTreeSet<(NodeIdx, NodeIdx)> = BTreeSet::new();
    let mut maps: BTreeMap<(NodeIdx, NodeIdx), (bool, usize)> = BTreeMap::new();
    for (_, e) in model.edges() {
        let (from, to) = (model.node(e.from), model.node(e.to));
        match (e.kind, from.kind, to.kind) {
            (EdgeKind::Hold, NodeKind::Pd, NodeKind::Space) => holds.entry((e.from, e.to)).or_default().1 = true,
            (EdgeKind::Hold, NodeKind::Pd, NodeKind::Resource) => {
                if let Some(s) = space_of.get(&e.to) {
                    holds.entry((e.from, *s)).or_default().0 += 1;
                }
            }
            (EdgeKind::Hold, NodeKind::Pd, NodeKind::Pd) => {
                pd_holds.insert((e.from, e.to));
            }
            (EdgeKind::Request, NodeKind::Pd, NodeKind::Pd) => {
                requests.entry((e.from, e.to)).or_default().push(e.request_type.as_str())
            }
            (EdgeKind::Map, NodeKind::Space, NodeKind::Space) => maps.entry((e.from, e.to)).or_default().0 = true,
            (EdgeKind::Map, NodeKind::Resource, NodeKind::Resource) => {
                if let (Some(a), Some(b)) = (space_of.get(&e.from), space_of.get(&e.to)) {
                    maps.entry((*a, *b)).or_default().1 += 1;
                }
            }
            _ => {}
        }
    }

    // Spaces ordered by the mean position of the PDs holding into them.
    let mut spaces: Vec<(f64, NodeIdx)> = model
        .nodes_of(NodeKind::Space)
        .map(|(s, _)| {
            let holders: Vec<f64> = holds.keys().filter(|(_, sp)| *sp == s).map(|(p, _)| pd_pos[p] as f64).collect();
            let mean = if holders.is_empty() { f64::MAX } else { holders.iter().sum::<f64>() / holders.len() as f64 };
            (mean, s)
        })
        .collect();
    spaces.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));

    let mut top: Vec<Boxed> = pds
        .iter()
        .map(|p| {
            let n = model.node(*p);
            Boxed::new(*p, if n.name.is_empty() { vec![n.id.clone()] } else { vec![n.name.clone(), n.id.clone()] })
        })
        .collect();
    let mut bottom: Vec<Boxed> = spaces
        .iter()
        .map(|(_, s)| {
            let n = model.node(*s);
            let mut lines = vec![format!("{} ({})", n.id, n.ty)];
            for (ty, count) in contents.get(s).into_iter().flatten() {
                lines.push(format!("{count} × {ty}"));
            }
            Boxed::new(*s, lines)
        })
        .collect();
    let width = (row_width(&top).max(row_width(&bottom)) + 2.0 * MARGIN).max(480.0);
    place(&mut top, width);
    place(&mut bottom, width);
    // Room above the PDs for the arcs between them (an arc rises at most 110 px).
    let top_y = if requests.is_empty() && pd_holds.is_empty() { 60.0 } else { 180.0 };
    let top_h = top.iter().map(|b| b.h).fold(0.0, f64::max);
    let bottom_y = top_y + top_h + 220.0;
    let bottom_h = bottom.iter().map(|b| b.h).fold(0.0, f64::max);
    // Room below the spaces for MAP arcs (at most 110 px deep) and the legend.
    let height = bottom_y + bottom_h + 130.0 + 80.0;
    let at = |row: &[Boxed], idx: NodeIdx| row.iter().find(|b| b.idx == idx).map(Boxed::cx).unwrap_or(0.0);

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="Helvetica, Arial, sans-serif" font-size="12">"#
    );
    svg.push_str("<style>.label{font-size:10px}.title{font-size:15px;font-weight:bold}</style>\n<defs>\n");
    for color in ["222222", "c0392b", "1d4ed8", "7b2cbf"] {
        let _ = writeln!(
            svg,
            r##"<marker id="arrow-{color}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#{color}"/></marker>"##
        );
    }
    svg.push_str("</defs>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    let mut title = format!(
        "OSmosis model: {} PDs, {} resource spaces, {} resources, {} edges",
        pds.len(),
        bottom.len(),
        model.nodes_of(NodeKind::Resource).count(),
        model.edge_count()
    );
    if unplaced > 0 {
        title = format!("{title} ({unplaced} resources in no single space are not drawn)");
    }
    let _ = writeln!(svg, r#"<text x="{MARGIN}" y="28" class="title">{}</text>"#, escape(&title));

    // PD -> space hold lines first, so boxes are drawn over them.
    for ((pd, space), (count, whole)) in &holds {
        let (x1, y1) = (at(&top, *pd), top_y + top_h);
        let (x2, y2) = (at(&bottom, *space), bottom_y);
        let _ = writeln!(
            svg,
            r##"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="#222222" stroke-width="1" opacity="0.6" marker-end="url(#arrow-222222)"/>"##
        );
        let label = match (count, whole) {
            (0, _) => "S".to_string(),
            (n, true) => format!("{n}+S"),
            (n, false) => n.to_string(),
        };
        let (lx, ly) = (x1 + (x2 - x1) * 0.75, y1 + (y2 - y1) * 0.75);
        let _ = writeln!(
            svg,
            r#"<text x="{lx:.1}" y="{ly:.1}" text-anchor="middle" class="label" stroke="white" stroke-width="3" paint-order="stroke">{label}</text>"#
        );
    }
    for ((from, to), types) in &requests {
        let label = format!("REQUEST {}", types.join(","));
        let dashed = ("#c0392b", r#" stroke-dasharray="5 3""#);
        arc(&mut svg, (at(&top, *from) - 6.0, at(&top, *to) + 6.0), top_y, -1.0, dashed, &label);
    }
    for (from, to) in &pd_holds {
        arc(&mut svg, (at(&top, *from), at(&top, *to)), top_y, -1.0, ("#7b2cbf", ""), "HOLD");
    }
    for ((from, to), (space_map, resource_maps)) in &maps {
        let label = match (space_map, resource_maps) {
            (true, 0) => "MAP".to_string(),
            (true, n) => format!("MAP ({n})"),
            (false, n) => format!("({n}), no space MAP"),
        };
        let y = bottom_y + bottom_h;
        arc(&mut svg, (at(&bottom, *from) - 6.0, at(&bottom, *to) + 6.0), y, 1.0, ("#1d4ed8", ""), &label);
    }
    for (row, y, fill) in [(&top, top_y, "#f6d55c"), (&bottom, bottom_y, "#f1e3c3")] {
        for b in row.iter() {
            let _ = writeln!(
                svg,
                r##"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" rx="6" fill="{fill}" stroke="#555555"/>"##,
                b.x, b.w, b.h
            );
            for (i, line) in b.lines.iter().enumerate() {
                let weight = if i == 0 { r#" font-weight="bold""# } else { "" };
                let _ = writeln!(
                    svg,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="middle"{weight}>{}</text>"#,
                    b.cx(),
                    y + 18.0 + i as f64 * LINE_H,
                    escape(line)
                );
            }
        }
    }
    let legend = [
        ("#222222", "PD → space: resources held in it (+S: holds the space)"),
        ("#c0392b", "REQUEST between PDs, with resource types"),
        ("#7b2cbf", "HOLD of a PD by a PD"),
        ("#1d4ed8", "MAP between spaces (n: resource MAPs between their resources)"),
    ];
    for (i, (color, text)) in legend.iter().enumerate() {
        let y = height - 70.0 + i as f64 * 15.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{MARGIN}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{color}" stroke-width="2"/><text x="{:.1}" y="{y:.1}" class="label">{}</text>"#,
            y - 4.0,
            MARGIN + 24.0,
            y - 4.0,
            MARGIN + 30.0,
            escape(text)
        );
    }
    svg.push_str("</svg>\n");
    out.write_all(svg.as_bytes())
}
