//! The printed shapes of a zone's characters, for what the OCR cannot tell apart.
//!
//! In OCR-B, the zone's font (ICAO 9303, ISO 1073-2), the digits stand taller than the capital
//! letters: `0` rises to 773 units where `O` stops at 721, `8` against `B`, `5` against `S`,
//! `2` against `Z`, `1` against `I` alike (about 7 % of the letters' height). So a glyph the OCR
//! reads as `O` in a field that may hold both letters and digits is a zero when it is as tall as
//! the digits of the same zone, and a letter when it is as short as its letters. The heights of
//! both kinds are measured on the document itself, on characters whose kind the layout fixes
//! (dates and check digits are digits; states, nationality and names are letters): a glyph is
//! decided only when the two kinds differ clearly on this document and the glyph lies well
//! inside one of them. A font or a photo where they do not differ gives no decision.
//!
//! A zone line is segmented into its characters by connected components: OCR-B draws every
//! character of the zone in one stroke, so a line of a layout 44 characters wide has 44 of
//! them. A line that does not (touching or broken characters, dirt) gives no measure.

use crate::mrz::{Mrz, PositionKind, Repair, field_at, position_kind};
use crate::vision::{self, Plane};

/// One character found on a zone line, measured to a fraction of a pixel.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Glyph {
    /// Centre along the line, in pixels of the measured cut.
    pub x: f32,
    pub top: f32,
    pub bottom: f32,
    /// Enclosed background regions (`0`, `O`, `D` have one; `8`, `B` two).
    pub holes: u8,
    /// Bounding box of its ink in the measured cut (inclusive).
    pub bbox: (usize, usize, usize, usize),
}

impl Glyph {
    pub fn height(&self) -> f32 {
        self.bottom - self.top
    }
}

/// The characters of a cut band, line by line from the top, each sorted along the line.
#[derive(Clone)]
pub(crate) struct GlyphLines {
    pub lines: Vec<Vec<Glyph>>,
    /// The cut they were found on, divided by its paper level.
    norm: Plane,
    /// The ink threshold on `norm`.
    threshold: f32,
}

/// A connected component of ink with its bounding box.
struct Component {
    x0: usize,
    x1: usize,
    y0: usize,
    y1: usize,
    pixels: Vec<usize>,
}

impl GlyphLines {
    /// Segments a band cut upright with characters about `text_px` high.
    pub fn measure(cut: &Plane, text_px: f32) -> Self {
        let norm = normalised(cut, text_px);
        let t = vision::otsu(&norm);
        let mask: Vec<bool> = norm.data.iter().map(|&v| v < t).collect();
        let min_pixels = (text_px * text_px * 0.03) as usize;
        let comps = components(&mask, norm.w, norm.h, min_pixels.max(4));
        // Characters (fillers included) are at least half the text height and at most a little
        // more than it; specks, rules and merged lines are not characters.
        let mut chars: Vec<&Component> = comps
            .iter()
            .filter(|c| {
                let h = (c.y1 - c.y0 + 1) as f32;
                let w = (c.x1 - c.x0 + 1) as f32;
                h >= 0.45 * text_px && h <= 1.6 * text_px && w <= 1.3 * text_px
            })
            .collect();
        chars.sort_by_key(|a| a.y0 + a.y1);
        let mut rows: Vec<Vec<&Component>> = Vec::new();
        for c in chars {
            let cy = (c.y0 + c.y1) as f32 / 2.0;
            match rows.last_mut() {
                Some(row)
                    if {
                        let r = row[row.len() - 1];
                        cy - (r.y0 + r.y1) as f32 / 2.0 < 0.5 * text_px
                    } =>
                {
                    row.push(c)
                }
                _ => rows.push(vec![c]),
            }
        }
        let lines = rows
            .into_iter()
            .map(|mut row| {
                row.sort_by_key(|c| c.x0);
                row.iter().map(|c| measure_glyph(&norm, c, t)).collect()
            })
            .collect();
        Self {
            lines,
            norm,
            threshold: t,
        }
    }

    /// The zone layout's shape (lines, characters per line) these glyphs form, if any.
    pub fn layout(&self) -> Option<(usize, usize)> {
        [(2, 44), (3, 30), (2, 36)]
            .into_iter()
            .find(|&(n, w)| self.zone(n, w).is_some())
    }

    /// The zone set again from its own glyphs at an even pitch, straight on its baselines and
    /// with nothing between them: a reading of it does not see the wide, uneven spacing,
    /// perspective or dirt that make the OCR add or drop characters; `pitch` is the distance
    /// between characters in glyph heights.
    pub fn reset(&self, pitch: f32) -> Option<Plane> {
        let (n, w) = self.layout()?;
        let zone = self.zone(n, w)?;
        let h = self.reset_height()?;
        let pitch = (h * pitch).ceil() as usize;
        let gap = (h * 1.7).ceil() as usize;
        let margin = h.ceil() as usize;
        let paper = (self.threshold + 255.0) / 2.0;
        let mut out = Plane::new(2 * margin + w * pitch, 2 * margin + n * gap);
        out.data.fill(255.0);
        for (li, line) in zone.iter().enumerate() {
            let mut bottoms: Vec<usize> = line.iter().map(|g| g.bbox.3).collect();
            bottoms.sort_unstable();
            let base = bottoms[bottoms.len() / 2];
            let dest_base = margin + li * gap + h.ceil() as usize;
            for (i, g) in line.iter().enumerate() {
                let (x0, y0, x1, y1) = g.bbox;
                let (x0, y0) = (x0.saturating_sub(1), y0.saturating_sub(1));
                let (x1, y1) = ((x1 + 1).min(self.norm.w - 1), (y1 + 1).min(self.norm.h - 1));
                let gw = x1 - x0 + 1;
                let dx = (margin + i * pitch + pitch / 2).saturating_sub(gw / 2);
                for y in y0..=y1 {
                    let Some(dy) = (dest_base + y).checked_sub(base) else {
                        continue;
                    };
                    if dy >= out.h {
                        continue;
                    }
                    for x in x0..=x1 {
                        let tx = dx + x - x0;
                        if tx < out.w {
                            // Paper around the glyph's ink is set to white, so that the
                            // box it was cut from does not show.
                            let src = self.norm.at(x, y);
                            let src = if src > paper { 255.0 } else { src };
                            let v = &mut out.data[dy * out.w + tx];
                            *v = v.min(src);
                        }
                    }
                }
            }
        }
        Some(out)
    }

    /// The median glyph height of the zone, which [`GlyphLines::reset`] sets its lines by.
    fn reset_height(&self) -> Option<f32> {
        let (n, w) = self.layout()?;
        let mut heights: Vec<f32> = self
            .zone(n, w)?
            .iter()
            .flatten()
            .map(Glyph::height)
            .collect();
        heights.sort_by(f32::total_cmp);
        Some(heights[heights.len() / 2].max(4.0))
    }

    /// The `n` consecutive lines of exactly `width` characters each, when there are such.
    pub fn zone(&self, n: usize, width: usize) -> Option<&[Vec<Glyph>]> {
        (0..=self.lines.len().checked_sub(n)?)
            .map(|i| &self.lines[i..i + n])
            .find(|ls| ls.iter().all(|l| l.len() == width))
    }
}

/// The cut divided by its local paper level, so that shading does not move the threshold.
fn normalised(cut: &Plane, text_px: f32) -> Plane {
    let k = (text_px * 1.5) as usize | 1;
    let paper = vision::box_blur(&vision::dilate(cut, k, k), (text_px / 2.0) as usize, 1);
    let mut out = cut.clone();
    for (v, p) in out.data.iter_mut().zip(&paper.data) {
        *v = (*v / p.max(1.0)).clamp(0.0, 1.0) * 255.0;
    }
    out
}

/// 8-connected components of `mask` with at least `min_pixels` pixels.
fn components(mask: &[bool], w: usize, h: usize, min_pixels: usize) -> Vec<Component> {
    let mut seen = vec![false; mask.len()];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut pixels = Vec::new();
        let (mut x0, mut x1, mut y0, mut y1) = (usize::MAX, 0, usize::MAX, 0);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            pixels.push(i);
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
            for dy in -1isize..=1 {
                for dx in -1isize..=1 {
                    let (nx, ny) = (x as isize + dx, y as isize + dy);
                    if nx < 0 || ny < 0 || nx >= w as isize || ny >= h as isize {
                        continue;
                    }
                    let j = ny as usize * w + nx as usize;
                    if mask[j] && !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        if pixels.len() >= min_pixels {
            out.push(Component {
                x0,
                x1,
                y0,
                y1,
                pixels,
            });
        }
    }
    out
}

/// Top and bottom of a component where its darkest column profile crosses the threshold,
/// interpolated between rows; and its holes.
fn measure_glyph(norm: &Plane, c: &Component, t: f32) -> Glyph {
    let profile = |y: usize| {
        (c.x0..=c.x1)
            .map(|x| norm.at(x, y))
            .fold(f32::INFINITY, f32::min)
    };
    let crossing = |inside: usize, outside: usize| {
        let (a, b) = (profile(outside), profile(inside));
        let f = if a > b {
            ((a - t) / (a - b)).clamp(0.0, 1.0)
        } else {
            0.5
        };
        outside as f32 + f * (inside as f32 - outside as f32)
    };
    let top = if c.y0 > 0 {
        crossing(c.y0, c.y0 - 1)
    } else {
        c.y0 as f32
    };
    let bottom = if c.y1 + 1 < norm.h {
        crossing(c.y1, c.y1 + 1)
    } else {
        c.y1 as f32
    };
    Glyph {
        x: (c.x0 + c.x1) as f32 / 2.0,
        top,
        bottom,
        holes: holes(norm.w, c),
        bbox: (c.x0, c.y0, c.x1, c.y1),
    }
}

/// Background regions inside a component's box that do not reach the box's edge.
fn holes(w: usize, c: &Component) -> u8 {
    let (bw, bh) = (c.x1 - c.x0 + 1, c.y1 - c.y0 + 1);
    let mut own = vec![false; bw * bh];
    for &i in &c.pixels {
        own[(i / w - c.y0) * bw + (i % w - c.x0)] = true;
    }
    let mut seen = own.clone();
    let mut count = 0u8;
    let mut stack = Vec::new();
    for start in 0..own.len() {
        if seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let (mut edge, mut size) = (false, 0usize);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % bw, i / bw);
            size += 1;
            if x == 0 || y == 0 || x + 1 == bw || y + 1 == bh {
                edge = true;
            }
            let mut push = |j: usize| {
                if !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            };
            if x > 0 {
                push(i - 1);
            }
            if x + 1 < bw {
                push(i + 1);
            }
            if y > 0 {
                push(i - bw);
            }
            if y + 1 < bh {
                push(i + bw);
            }
        }
        // A hole of a pixel or two is a speck of paper in a heavy stroke.
        if !edge && size >= 3 {
            count = count.saturating_add(1);
        }
    }
    count
}

/// Whether a glyph is drawn as a digit or as a letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Digit,
    Letter,
}

/// Holes the OCR-B glyph of a character has (`None`: the glyph is not checked).
fn expected_holes(c: char) -> Option<u8> {
    match c {
        'B' | '8' => Some(2),
        'A' | 'D' | 'O' | 'P' | 'Q' | 'R' | '0' | '6' | '9' => Some(1),
        'C' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M' | 'N' | 'S' | 'T' | 'U' | 'V'
        | 'W' | 'X' | 'Y' | 'Z' | '1' | '2' | '3' | '5' | '7' | '<' => Some(0),
        _ => None,
    }
}

/// Top edges of a zone's glyphs as a straight line per zone line (common slope, since the
/// band was straightened as a whole) lifted by `lift` for digits: `top = a[line] + slope × x −
/// lift × digit`, fitted by least squares on the characters whose kind the layout fixes.
#[derive(Debug, Clone)]
pub(crate) struct ShapeModel {
    a: Vec<f64>,
    slope: f64,
    /// How much higher a digit's top stands than a letter's, in pixels of the cut.
    pub lift: f64,
    /// Scatter of the reference tops around the fit.
    pub sigma: f64,
    /// Mean height of the reference glyphs.
    pub height: f64,
    /// Reference glyphs on each line: a line's level rests on them.
    per_line: Vec<usize>,
}

/// At least this many reference glyphs of each kind: fewer say little about the scatter.
const MIN_REFERENCES: usize = 4;
/// The digits' lift must stand this many times the scatter above zero for any decision.
const MIN_SEPARATION: f64 = 5.0;
/// ... and be at least this fraction of the glyphs' height (OCR-B's is 7 %).
const MIN_LIFT: f64 = 0.04;
/// A glyph is decided only on a line with this many references, which set the line's level.
const MIN_LINE_REFERENCES: usize = 4;
/// A glyph lifted this fraction of the digits' lift or more is drawn as a digit.
const DIGIT_FROM: f64 = 0.6;
/// A glyph lifted this fraction or less is drawn as a letter.
const LETTER_UP_TO: f64 = 0.35;

impl ShapeModel {
    /// Fits the model to `zone` read as `lines`; `None` when the references are too few or
    /// the glyphs do not line up with the characters read (their holes disagree).
    pub fn fit(
        zone: &[Vec<Glyph>],
        lines: &[Vec<char>],
        kind: impl Fn(usize, usize) -> PositionKind,
    ) -> Option<Self> {
        let n = zone.len();
        if lines.len() != n {
            return None;
        }
        let (mut checked, mut agree) = (0usize, 0usize);
        // Rows of the design matrix: one-hot line, x, -digit; and the observed top.
        let mut rows: Vec<(usize, f64, f64, f64)> = Vec::new();
        let (mut digits, mut letters) = (0, 0);
        let mut heights = 0.0;
        for (li, (gl, chars)) in zone.iter().zip(lines).enumerate() {
            if gl.len() != chars.len() {
                return None;
            }
            for (i, (g, &c)) in gl.iter().zip(chars).enumerate() {
                if let Some(h) = expected_holes(c) {
                    checked += 1;
                    agree += usize::from(g.holes == h);
                }
                if c == '<' {
                    continue;
                }
                let d = match kind(li, i) {
                    PositionKind::Digit if c.is_ascii_digit() => 1.0,
                    PositionKind::Letter if c.is_ascii_uppercase() => 0.0,
                    _ => continue,
                };
                if d > 0.0 {
                    digits += 1;
                } else {
                    letters += 1;
                }
                rows.push((li, f64::from(g.x), d, f64::from(g.top)));
                heights += f64::from(g.height());
            }
        }
        // Glyphs whose holes do not match what was read are not the characters read: the
        // segmentation and the reading are out of step.
        if checked == 0 || agree * 10 < checked * 9 {
            return None;
        }
        if digits < MIN_REFERENCES || letters < MIN_REFERENCES {
            return None;
        }
        let x_scale = zone
            .iter()
            .flatten()
            .map(|g| f64::from(g.x))
            .fold(1.0, f64::max);
        let (mut sol, mut sigma) = fit_rows(&rows, n, x_scale)?;
        // A reference touched by dirt, a guilloche line or a broken stroke is not one: the few
        // (at most one in ten) beyond 2.5 times the scatter are left out and the fit made again.
        let kept: Vec<(usize, f64, f64, f64)> = rows
            .iter()
            .copied()
            .filter(|&(li, x, d, top)| {
                (top - (sol[li] + sol[n] * x / x_scale - sol[n + 1] * d)).abs() <= 2.5 * sigma
            })
            .collect();
        let kinds = |rs: &[(usize, f64, f64, f64)]| {
            let digits = rs.iter().filter(|r| r.2 > 0.0).count();
            (digits, rs.len() - digits)
        };
        let (kd, kl) = kinds(&kept);
        if kept.len() < rows.len()
            && kept.len() * 10 >= rows.len() * 9
            && kd >= MIN_REFERENCES
            && kl >= MIN_REFERENCES
            && let Some(refit) = fit_rows(&kept, n, x_scale)
        {
            (sol, sigma) = refit;
        }
        Some(Self {
            a: sol[..n].to_vec(),
            slope: sol[n] / x_scale,
            lift: sol[n + 1],
            sigma,
            height: heights / rows.len() as f64,
            per_line: (0..n)
                .map(|l| rows.iter().filter(|r| r.0 == l).count())
                .collect(),
        })
    }

    /// The glyph's lift above a letter's top, as a fraction of a digit's (0 a letter, 1 a digit).
    pub fn z(&self, line: usize, g: &Glyph) -> f64 {
        let letter_top = self.a[line] + self.slope * f64::from(g.x);
        (letter_top - f64::from(g.top)) / self.lift
    }

    /// How `g` is drawn, when this document's digits and letters differ clearly and the glyph
    /// stands well inside one kind; `None` otherwise.
    pub fn shape(&self, line: usize, g: &Glyph) -> Option<Shape> {
        if self.lift <= MIN_SEPARATION * self.sigma
            || self.lift < MIN_LIFT * self.height
            || self
                .per_line
                .get(line)
                .is_none_or(|&k| k < MIN_LINE_REFERENCES)
        {
            return None;
        }
        // Round letters (`O`, `Q`) overshoot the flat ones a little, so the letters' side of
        // the gap is the narrower; each decision is still three times the scatter or more
        // away from the other kind's level.
        let z = self.z(line, g);
        if z >= DIGIT_FROM {
            Some(Shape::Digit)
        } else if z <= LETTER_UP_TO {
            Some(Shape::Letter)
        } else {
            None
        }
    }
}

/// Least squares of `top = a[line] + slope × x / x_scale − lift × digit` over `rows` (line, x,
/// digit, top): the parameters and the residuals' scatter.
fn fit_rows(rows: &[(usize, f64, f64, f64)], n: usize, x_scale: f64) -> Option<(Vec<f64>, f64)> {
    let p = n + 2;
    let mut m = vec![vec![0.0f64; p + 1]; p];
    for &(li, x, d, top) in rows {
        let mut v = vec![0.0; p];
        v[li] = 1.0;
        v[n] = x / x_scale;
        v[n + 1] = -d;
        for (r, row) in m.iter_mut().enumerate() {
            for (c, cell) in row.iter_mut().take(p).enumerate() {
                *cell += v[r] * v[c];
            }
            row[p] += v[r] * top;
        }
    }
    let sol = solve(m)?;
    let ssr: f64 = rows
        .iter()
        .map(|&(li, x, d, top)| (top - (sol[li] + sol[n] * x / x_scale - sol[n + 1] * d)).powi(2))
        .sum();
    let dof = rows.len().saturating_sub(p).max(1) as f64;
    Some((sol, (ssr / dof).sqrt()))
}

/// Gaussian elimination with partial pivoting on an augmented matrix.
fn solve(mut m: Vec<Vec<f64>>) -> Option<Vec<f64>> {
    let p = m.len();
    for col in 0..p {
        let piv = (col..p).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        if m[piv][col].abs() < 1e-9 {
            return None;
        }
        m.swap(col, piv);
        let pivot_row = m[col].clone();
        for (r, row) in m.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot_row[col];
                for (v, pv) in row.iter_mut().zip(&pivot_row).skip(col) {
                    *v -= f * pv;
                }
            }
        }
    }
    Some((0..p).map(|i| m[i][p] / m[i][i]).collect())
}

/// The character of the other kind a confusable one is drawn as, when a check digit can tell
/// them apart: their values differ by other than a multiple of ten (`G`/`6`, `L`/`1` and
/// `U`/`0` do not, so they are never changed here).
fn twin(c: char, shape: Shape) -> Option<char> {
    match (shape, c) {
        (Shape::Digit, 'O' | 'Q' | 'D') => Some('0'),
        (Shape::Digit, 'I') => Some('1'),
        (Shape::Digit, 'Z') => Some('2'),
        (Shape::Digit, 'S') => Some('5'),
        (Shape::Digit, 'B') => Some('8'),
        (Shape::Letter, '0') => Some('O'),
        (Shape::Letter, '1') => Some('I'),
        (Shape::Letter, '2') => Some('Z'),
        (Shape::Letter, '5') => Some('S'),
        (Shape::Letter, '8') => Some('B'),
        _ => None,
    }
}

/// What the glyphs' shapes say of a reading.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Nothing to say: no zone of glyphs, no clear model, or every glyph reads as drawn.
    Silent,
    /// The reading with its confusable characters turned to the kind drawn, validating every
    /// check.
    Resolved(Mrz),
    /// Some characters are not of the kind their glyphs are drawn as, and turning them does
    /// not validate: the reading is not one of this zone (when it validates as read, it does
    /// so by chance).
    Contradicted,
}

/// What the glyphs say of `m`: see [`Verdict`].
pub(crate) fn judge(m: &Mrz, glyphs: &GlyphLines) -> Verdict {
    let mut decided = false;
    match resolve_inner(m, glyphs, &mut decided) {
        Some(r) => Verdict::Resolved(r),
        None if decided => Verdict::Contradicted,
        None => Verdict::Silent,
    }
}

/// `m` with every confusable character of its mixed fields (document number, optional data)
/// turned to the kind its glyph is drawn as, when the glyphs say so for at least one and the
/// result validates every check; `None` otherwise.
#[cfg(test)]
pub(crate) fn resolve(m: &Mrz, glyphs: &GlyphLines) -> Option<Mrz> {
    resolve_inner(m, glyphs, &mut false)
}

/// [`resolve`]; `changed` tells whether the glyphs asked for a change at all.
fn resolve_inner(m: &Mrz, glyphs: &GlyphLines, changed: &mut bool) -> Option<Mrz> {
    let (n, width) = m.format.shape();
    let zone = glyphs.zone(n, width)?;
    let chars: Vec<Vec<char>> = m.lines.iter().map(|l| l.chars().collect()).collect();
    let kind = |l: usize, i: usize| position_kind(m.format, l, i);
    let mut lines = chars.clone();
    let mut repairs = Vec::new();
    let mut model = None;
    for (li, line) in chars.iter().enumerate() {
        for (i, &c) in line.iter().enumerate() {
            if kind(li, i) != PositionKind::Mixed
                || twin(c, Shape::Digit).or(twin(c, Shape::Letter)).is_none()
            {
                continue;
            }
            let model = match &model {
                Some(m) => m,
                None => model.insert(ShapeModel::fit(zone, &chars, kind)?),
            };
            let Some(shape) = model.shape(li, &zone[li][i]) else {
                continue;
            };
            if let Some(t) = twin(c, shape) {
                lines[li][i] = t;
                repairs.push(Repair {
                    field: field_at(m.format, li, i).to_owned(),
                    read: c,
                    corrected: t,
                    confirmed_by_check_digit: true,
                    supported_by: Vec::new(),
                    by_shape: true,
                });
            }
        }
    }
    if repairs.is_empty() {
        return None;
    }
    *changed = true;
    let text: Vec<String> = lines.iter().map(|l| l.iter().collect()).collect();
    let mut out = m.reparse(&text).filter(Mrz::all_checks_valid)?;
    let mut all = m.repairs.clone();
    all.extend(repairs);
    all.append(&mut out.repairs);
    out.repairs = all;
    out.realigned = m.realigned;
    Some(out)
}

/// The reading has a character in a mixed field that a glyph's shape may turn.
pub(crate) fn has_confusable(m: &Mrz) -> bool {
    m.lines.iter().enumerate().any(|(li, l)| {
        l.chars().enumerate().any(|(i, c)| {
            position_kind(m.format, li, i) == PositionKind::Mixed
                && (twin(c, Shape::Digit).is_some() || twin(c, Shape::Letter).is_some())
        })
    })
}

#[cfg(all(test, feature = "corpus"))]
mod tests {
    use super::*;
    use crate::corpus::{OCR_B_PATH, render_zone};
    use crate::mrz::{MrzFormat, check_digit};

    const NAMES: &str = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";

    fn cd(s: &str) -> char {
        char::from(b'0' + check_digit(s).expect("zone characters"))
    }

    /// A passport's second line for `number`, its check digits computed on `checked_as`.
    fn line2(number: &str, checked_as: &str) -> String {
        let mut l = format!(
            "{number}{}UTO7408122F1204159{}<",
            cd(checked_as),
            "<".repeat(14)
        );
        let composite = format!("{checked_as}{}{}{}", cd(checked_as), &l[13..20], &l[21..43]);
        l.push(cd(&composite));
        l
    }

    fn glyphs(lines: &[&str], font: &str) -> GlyphLines {
        let plane = render_zone(lines, font, 60.0).expect("fonts-ocr-b and fonts-dejavu-core");
        GlyphLines::measure(&plane, 42.0)
    }

    fn reading(lines: &[&str]) -> Mrz {
        Mrz::parse_lines(lines).expect("a zone")
    }

    #[test]
    fn a_zone_in_ocr_b_is_cut_into_one_glyph_per_character() {
        let l2 = line2("L898902C3", "L898902C3");
        let g = glyphs(&[NAMES, &l2], OCR_B_PATH);
        assert!(
            g.zone(2, 44).is_some(),
            "lines of {:?}",
            g.lines.iter().map(Vec::len).collect::<Vec<_>>()
        );
    }

    #[test]
    fn zeros_the_ocr_took_for_letters_are_restored_by_their_height() {
        let printed = line2("A0000000<", "A0000000<");
        let g = glyphs(&[NAMES, &printed], OCR_B_PATH);
        let misread = printed.replacen("A0000000", "AOOOQOOO", 1);
        let m = reading(&[NAMES, &misread]);
        assert!(!m.all_checks_valid());
        let fixed = resolve(&m, &g).expect("the zeros are drawn as digits");
        assert_eq!(fixed.document_number, "A0000000");
        assert!(fixed.all_checks_valid());
        let by_shape: Vec<&Repair> = fixed.repairs.iter().filter(|r| r.by_shape).collect();
        assert_eq!(by_shape.len(), 7);
        assert!(
            by_shape
                .iter()
                .all(|r| r.field == "document_number" && r.corrected == '0')
        );
    }

    #[test]
    fn a_letter_o_the_ocr_took_for_a_zero_is_restored_by_its_height() {
        let printed = line2("XO0000000", "XO0000000");
        let g = glyphs(&[NAMES, &printed], OCR_B_PATH);
        let misread = printed.replacen("XO0000000", "X00000000", 1);
        let m = reading(&[NAMES, &misread]);
        let fixed = resolve(&m, &g).expect("the O is drawn as a letter");
        assert_eq!(fixed.document_number, "XO0000000");
    }

    #[test]
    fn a_letter_o_read_right_is_left_alone() {
        let printed = line2("XO0000000", "XO0000000");
        let g = glyphs(&[NAMES, &printed], OCR_B_PATH);
        let m = reading(&[NAMES, &printed]);
        assert!(
            resolve(&m, &g).is_none(),
            "every glyph already reads as drawn"
        );
        assert!(matches!(judge(&m, &g), Verdict::Silent));
    }

    #[test]
    fn a_change_by_shape_that_the_check_digits_refute_is_not_made() {
        // The card's check digits were computed on letters O: a reading of zeros does not
        // validate, whatever the glyphs look like.
        let printed = line2("A000000<<", "AOOOOOO<<");
        let g = glyphs(&[NAMES, &printed], OCR_B_PATH);
        let misread = printed.replacen("A000000", "AOOOOOO", 1);
        let m = reading(&[NAMES, &misread]);
        assert!(m.all_checks_valid(), "the reading validates as read");
        assert!(resolve(&m, &g).is_none());
        // ... and the reading, which validates only by chance, is not one of this zone.
        assert!(matches!(judge(&m, &g), Verdict::Contradicted));
    }

    #[test]
    fn glyphs_whose_digits_and_letters_stand_alike_decide_nothing() {
        // As in a font other than OCR-B: every glyph of a line rises to the same top.
        let printed = line2("A0000000<", "A0000000<");
        let mut g = glyphs(&[NAMES, &printed], OCR_B_PATH);
        for line in &mut g.lines {
            let top = line.iter().map(|g| g.top).sum::<f32>() / line.len() as f32;
            for (i, glyph) in line.iter_mut().enumerate() {
                glyph.top = top + (i % 3) as f32 * 0.2;
            }
        }
        let misread = printed.replacen("A0000000", "AOOOOOOO", 1);
        let m = reading(&[NAMES, &misread]);
        let zone = g.zone(2, 44).expect("one glyph per character");
        let chars: Vec<Vec<char>> = m.lines.iter().map(|l| l.chars().collect()).collect();
        let model = ShapeModel::fit(zone, &chars, |l, i| position_kind(m.format, l, i));
        let decided = model
            .as_ref()
            .is_some_and(|md| (1..8).any(|i| md.shape(1, &zone[1][i]).is_some()));
        assert!(!decided, "{model:?}");
        assert!(resolve(&m, &g).is_none());
    }

    #[test]
    fn glyphs_out_of_step_with_the_reading_give_no_measure() {
        let printed = line2("L898902C3", "L898902C3");
        let g = glyphs(&[NAMES, &printed], OCR_B_PATH);
        let zone = g.zone(2, 44).expect("one glyph per character");
        let kind = |l, i| position_kind(MrzFormat::Td3, l, i);
        let aligned: Vec<Vec<char>> = [NAMES, &printed]
            .iter()
            .map(|l| l.chars().collect())
            .collect();
        assert!(ShapeModel::fit(zone, &aligned, kind).is_some());
        // The OCR lost the first character of each line and a filler came in at the end.
        let shifted: Vec<Vec<char>> = [NAMES, &printed]
            .iter()
            .map(|l| l.chars().skip(1).chain(std::iter::once('<')).collect())
            .collect();
        assert!(ShapeModel::fit(zone, &shifted, kind).is_none());
    }

    #[test]
    fn the_glyphs_count_per_line_tells_the_layout() {
        let l2 = line2("L898902C3", "L898902C3");
        assert_eq!(glyphs(&[NAMES, &l2], OCR_B_PATH).layout(), Some((2, 44)));
        let td2 = [
            "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
            "D231458907UTO7408122F1204159<<<<<<<6",
        ];
        assert_eq!(glyphs(&td2, OCR_B_PATH).layout(), Some((2, 36)));
        // A line cut short (a character lost at its end) is no layout.
        assert_eq!(glyphs(&[NAMES, &l2[..43]], OCR_B_PATH).layout(), None);
    }

    #[test]
    fn a_zone_set_again_from_its_glyphs_reads_as_printed() {
        let l2 = line2("L898902C3", "L898902C3");
        let g = glyphs(&[NAMES, &l2], OCR_B_PATH);
        let reset = g.reset(0.9).expect("a zone of 2 × 44 glyphs");
        let text = crate::engine::read_band(&reset.to_gray())
            .expect("libtesseract")
            .text;
        let m = Mrz::parse(&text).expect("a zone");
        assert_eq!(m.document_number, "L898902C3", "{text}");
        assert!(m.all_checks_valid(), "{text}");
        // Without a whole zone of glyphs there is nothing to set again.
        assert!(glyphs(&[NAMES, &l2[..43]], OCR_B_PATH).reset(0.9).is_none());
    }

    #[test]
    fn a_reference_glyph_touched_by_dirt_is_left_out_of_the_fit() {
        let printed = line2("A0000000<", "A0000000<");
        let clean = glyphs(&[NAMES, &printed], OCR_B_PATH);
        let misread = printed.replacen("A0000000", "AOOOOOOO", 1);
        let m = reading(&[NAMES, &misread]);
        let chars: Vec<Vec<char>> = m.lines.iter().map(|l| l.chars().collect()).collect();
        let kind = |l, i| position_kind(MrzFormat::Td3, l, i);
        let fit = |g: &GlyphLines| ShapeModel::fit(g.zone(2, 44).unwrap(), &chars, kind).unwrap();
        let base = fit(&clean);
        // A smudge raises one letter of the names line and one date digit.
        let mut one = clean.clone();
        one.lines[0][7].top -= 6.0 * base.lift as f32;
        one.lines[1][15].top += 6.0 * base.lift as f32;
        let robust = fit(&one);
        assert!(
            (robust.lift - base.lift).abs() < 0.1 * base.lift,
            "{robust:?} {base:?}"
        );
        assert!(resolve(&m, &one).is_some(), "still decided");
        // Dirt on many glyphs is not dirt on a few: the scatter stays and nothing is decided.
        let mut many = clean.clone();
        for (i, g) in many.lines[1].iter_mut().enumerate().skip(10) {
            g.top += if i % 2 == 0 { 1.5 } else { -1.5 } * base.lift as f32;
        }
        assert!(resolve(&m, &many).is_none());
    }

    const TD1: [&str; 3] = [
        "I<UTOD231458907<<<<<<<<<<<<<<<",
        "7408122F1204159UTO<<<<<<<<<<<6",
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
    ];

    #[test]
    fn a_card_number_on_the_first_line_of_a_td1_zone_is_decided_by_its_line() {
        let g = glyphs(&TD1, OCR_B_PATH);
        let misread = TD1[0].replacen("D23145890", "D23145B9O", 1);
        let m = reading(&[&misread, TD1[1], TD1[2]]);
        assert!(!m.all_checks_valid());
        let fixed = resolve(&m, &g).expect("the 8 and the 0 are drawn as digits");
        assert_eq!(fixed.document_number, "D23145890");
    }

    #[test]
    fn a_line_with_too_few_references_decides_nothing() {
        // Were the state on the first line of unknown kind, only its `I` and its check digit
        // would set that line's level.
        let g = glyphs(&TD1, OCR_B_PATH);
        let zone = g.zone(3, 30).expect("one glyph per character");
        let chars: Vec<Vec<char>> = TD1.iter().map(|l| l.chars().collect()).collect();
        let kind = |l, i| match (l, i) {
            (0, 2..=4) => PositionKind::Mixed,
            _ => position_kind(MrzFormat::Td1, l, i),
        };
        let model = ShapeModel::fit(zone, &chars, kind).expect("enough references in all");
        assert!((5..14).all(|i| model.shape(0, &zone[0][i]).is_none()));
        assert!((18..29).any(|i| model.shape(1, &zone[1][i]).is_some()));
    }
}
