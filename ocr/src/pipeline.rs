//! From a decoded photo to a zone reading and quality measures.
//!
//! The band is found at a working scale (about 900 px on the long side) with a black-hat filter,
//! a horizontal gradient and a horizontal closing that merges characters into line blobs; lines
//! of the same angle and length stacked closely form a band. The band is then cut from the full
//! image, straightened and scaled to a fixed character height before OCR, which also makes the
//! blur measure independent of the photo's resolution.

use std::f32::consts::PI;

use image::GrayImage;

use crate::OcrError;
use crate::consensus::{Candidate, Consensus, Reading, consensus};
use crate::engine::read_band;
use crate::glyph::{self, GlyphLines};
use crate::mrz::Mrz;
use crate::vision::{self, Plane};

const WORK_SIDE: f32 = 900.0;
/// Character height (px) the band is scaled to before OCR and blur measurement.
const TARGET_TEXT_HEIGHT: f32 = 24.0;
const MAX_OCR_READS: usize = 16;
/// Whole-photo edge steepness below which OCR is not even tried (strongly blurred corpus
/// photos measure 11–14, real specimen photos 29 and more; the blur verdict threshold is 22).
const HOPELESS_BLUR: f64 = 16.0;

/// What the analysis found, before any decision.
#[derive(Debug, Clone)]
pub(crate) struct Analysis {
    pub mrz: Option<Mrz>,
    pub ocr_confidence: Option<i32>,
    pub band: Option<BandQuality>,
    pub global: GlobalQuality,
    /// Names from other readings of the same zone (same document number, all checks valid).
    pub other_names: Vec<(String, Vec<String>)>,
    /// Text with fillers (`<<`) was seen in a band reaching the photo's edge.
    pub zone_at_edge: bool,
    /// The readings did not establish the zone: `mrz` is then only the best reading.
    pub doubt: Option<Doubt>,
}

/// Why the readings of a zone do not establish it, and what they gave.
#[derive(Debug, Clone)]
pub(crate) struct Doubt {
    /// Several resolutions validate (otherwise: no second reading confirms, or they disagree).
    pub ambiguous: bool,
    pub candidates: Vec<Candidate>,
}

/// Measures on the zone band, taken at the normalised scale.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BandQuality {
    /// Variance of the Laplacian divided by the squared contrast, × 1000.
    pub sharpness: f64,
    /// Text height in the original photo, in pixels.
    pub source_text_height: f32,
    /// Paper brightness around the text (95th percentile, 0–255).
    pub paper: f32,
    /// Fraction of saturated pixels on and around the band.
    pub saturated: f32,
    /// The band reaches past the photo's edge.
    pub cut_off: bool,
}

/// Whole-photo measures: brightness and contrast always count, blur when no band is read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GlobalQuality {
    pub width: u32,
    pub height: u32,
    pub mean: f32,
    pub p95: f32,
    pub p05: f32,
    pub sharpness: f64,
    /// Fraction of (nearly) saturated pixels.
    pub saturated: f32,
}

#[derive(Debug, Clone)]
struct Band {
    cx: f32,
    cy: f32,
    angle: f32,
    length: f32,
    thickness: f32,
    line_height: f32,
}

/// Reads the zone of a photo. `names_ok` says whether a valid reading's names are as
/// expected; when they are not, the band is read again in other ways, since names carry no
/// check digit and one misread letter is common.
pub(crate) fn analyse(
    gray: &GrayImage,
    names_ok: &dyn Fn(&Mrz) -> bool,
) -> Result<Analysis, OcrError> {
    let global = global_quality(gray);
    if global.sharpness < HOPELESS_BLUR {
        // Far past the blur threshold no zone can be read: say so at once.
        return Ok(Analysis {
            mrz: None,
            ocr_confidence: None,
            band: None,
            global,
            other_names: Vec::new(),
            zone_at_edge: false,
            doubt: None,
        });
    }
    let mut best: Option<(Mrz, i32, BandQuality, Option<Doubt>)> = None;
    let mut reads = 0;
    // Upright first; then, when nothing was read, straightened by the angle of the text found
    // (strong tilts) without vertical rules (framed zones), then a quarter turn (portrait
    // photos of a landscape page).
    let mut skew: Option<f32> = None;
    let mut zone_at_edge = false;
    for pass in 0..3 {
        let turned;
        let img = match pass {
            0 => gray,
            1 => match skew {
                Some(angle) => {
                    turned = straighten(gray, angle);
                    &turned
                }
                None => gray,
            },
            _ => {
                turned = image::imageops::rotate90(gray);
                &turned
            }
        };
        let full = Plane::from_gray(img);
        let (work, factor) = working_plane(img);
        // Later passes also remove vertical rules, which a frame around the zone adds.
        let bands = find_bands(&work, factor, pass >= 1);
        if pass == 0 {
            skew = bands
                .first()
                .map(|b| b.angle)
                .filter(|a| a.abs() > 0.06 && a.abs() < 0.8);
        }
        for band in bands.iter().take(3) {
            for flip in [false, true] {
                let angle = if flip { band.angle + PI } else { band.angle };
                let mut quality = None;
                let mut readings: Vec<Reading> = Vec::new();
                let mut confidence = 0;
                let mut glyphs: Option<GlyphLines> = None;
                // The OCR variants, then the zone set again from its own glyphs.
                for i in 0..=VARIANTS.len() {
                    if reads >= MAX_OCR_READS {
                        break;
                    }
                    let shapes_measurable = band.line_height >= MIN_SHAPE_TEXT_HEIGHT;
                    let reading = match VARIANTS.get(i) {
                        Some(&variant) => {
                            let cut = cut_band(&full, band, angle, variant);
                            quality.get_or_insert_with(|| band_quality(&full, band, &cut, angle));
                            reads += 1;
                            read_band(&cut.to_gray())?
                        }
                        None if shapes_measurable && !readings.is_empty() => {
                            let g =
                                glyphs.get_or_insert_with(|| measure_glyphs(&full, band, angle));
                            match g.reset(RESET_PITCH) {
                                Some(p) => {
                                    reads += 1;
                                    read_band(&p.to_gray())?
                                }
                                None => break,
                            }
                        }
                        None => break,
                    };
                    let q = quality.expect("the first variant measured the band");
                    if q.cut_off && reading.text.contains("<<") {
                        zone_at_edge = true;
                    }
                    let Ok(mut m) = Mrz::parse(&reading.text) else {
                        // Nothing zone-like upright: the other variants will not help.
                        if i == 0 {
                            break;
                        }
                        continue;
                    };
                    if shapes_measurable && (!m.all_checks_valid() || glyph::has_confusable(&m)) {
                        let g = glyphs.get_or_insert_with(|| measure_glyphs(&full, band, angle));
                        // The number of printed characters per line fixes the layout.
                        if let Some(shape) = g.layout()
                            && shape != m.format.shape()
                            && let Ok(other) = Mrz::parse_shaped(&reading.text, Some(shape))
                        {
                            m = other;
                        }
                        // What the OCR cannot tell apart, the glyphs' printed shapes may; a
                        // reading they contradict beyond repair is not counted at all.
                        match glyph::judge(&m, g) {
                            glyph::Verdict::Silent => {}
                            glyph::Verdict::Resolved(resolved) => m = resolved,
                            glyph::Verdict::Contradicted => continue,
                        }
                    }
                    if readings.is_empty() || rank(&m) > rank(&best_reading(&readings).mrz) {
                        confidence = reading.confidence;
                    }
                    readings.push(Reading {
                        number: (i + 1) as u8,
                        mrz: m,
                    });
                    // Each way of reading misreads different characters: a zone counts as
                    // read when the readings agree on it.
                    if let Consensus::Agreed(m) = consensus(&readings) {
                        let other_names =
                            reread_names(&full, band, angle, &m, i, &mut reads, names_ok)?;
                        return Ok(Analysis {
                            mrz: Some(m),
                            ocr_confidence: Some(confidence),
                            band: Some(q),
                            global,
                            other_names,
                            zone_at_edge,
                            doubt: None,
                        });
                    }
                }
                if let Some(q) = quality
                    && !readings.is_empty()
                {
                    let (m, doubt) = settle(&readings);
                    let better = best.as_ref().is_none_or(|(b, _, _, d)| {
                        (doubt.is_some(), rank(&m)) > (d.is_some(), rank(b))
                    });
                    if better {
                        best = Some((m, confidence, q, doubt));
                    }
                }
                if best.is_some() {
                    break;
                }
            }
        }
        if best.is_some() {
            break;
        }
    }
    Ok(match best {
        Some((m, c, q, doubt)) => Analysis {
            mrz: Some(m),
            ocr_confidence: Some(c),
            band: Some(q),
            global,
            other_names: Vec::new(),
            zone_at_edge,
            doubt,
        },
        // Without a zone reading, the first band may be any text: judge the whole photo.
        None => Analysis {
            mrz: None,
            ocr_confidence: None,
            band: None,
            global,
            other_names: Vec::new(),
            zone_at_edge,
            doubt: None,
        },
    })
}

/// The zone a band's readings establish, or the best of them and why it is in doubt.
pub(crate) fn settle(readings: &[Reading]) -> (Mrz, Option<Doubt>) {
    let best = best_reading(readings).mrz.clone();
    match consensus(readings) {
        Consensus::Agreed(m) => (m, None),
        Consensus::Ambiguous(candidates) => (
            best,
            Some(Doubt {
                ambiguous: true,
                candidates,
            }),
        ),
        Consensus::Unconfirmed(candidates) => (
            best,
            Some(Doubt {
                ambiguous: false,
                candidates,
            }),
        ),
        Consensus::Unread => (best, None),
    }
}

/// The reading with the most valid check digits and the fewest repairs.
fn best_reading(readings: &[Reading]) -> &Reading {
    readings
        .iter()
        .max_by_key(|r| rank(&r.mrz))
        .expect("at least one reading")
}

/// Reads a validated band again with the remaining variants until the names are as expected.
fn reread_names(
    full: &Plane,
    band: &Band,
    angle: f32,
    m: &Mrz,
    done_variant: usize,
    reads: &mut usize,
    names_ok: &dyn Fn(&Mrz) -> bool,
) -> Result<Vec<(String, Vec<String>)>, OcrError> {
    let mut out = Vec::new();
    let mut seen: Vec<(String, Vec<String>)> = Vec::new();
    if names_ok(m) {
        return Ok(out);
    }
    for variant in VARIANTS.into_iter().skip(done_variant + 1) {
        if *reads >= MAX_OCR_READS + 2 {
            break;
        }
        *reads += 1;
        let reading = read_band(&cut_band(full, band, angle, variant).to_gray())?;
        if let Ok(other) = Mrz::parse(&reading.text)
            && other.all_checks_valid()
            && other.document_number == m.document_number
        {
            // Names carry no check digit: repaired names count once read twice.
            let names = (other.surname.clone(), other.given_names.clone());
            let repaired = other.repairs.iter().any(|r| r.field == "names");
            if repaired && !seen.contains(&names) {
                seen.push(names);
                continue;
            }
            let ok = names_ok(&other);
            out.push(names);
            if ok {
                break;
            }
        }
    }
    Ok(out)
}

/// The photo turned by `-angle` so that text at `angle` becomes horizontal, on a canvas that
/// holds all of it.
fn straighten(gray: &GrayImage, angle: f32) -> GrayImage {
    let full = Plane::from_gray(gray);
    let (s, c) = angle.sin_cos();
    let (w, h) = (full.w as f32, full.h as f32);
    let out_w = (w * c.abs() + h * s.abs()).ceil() as usize;
    let out_h = (w * s.abs() + h * c.abs()).ceil() as usize;
    vision::extract(
        &full,
        w / 2.0,
        h / 2.0,
        angle,
        out_w,
        out_h,
        (1.0, 1.0),
        255.0,
    )
    .to_gray()
}

/// The photo at the working scale (small photos are enlarged), and the scale factor back.
fn working_plane(img: &GrayImage) -> (Plane, f32) {
    let factor = img.width().max(img.height()) as f32 / WORK_SIDE;
    if factor >= 1.0 {
        return (vision::downscale(img, factor), factor);
    }
    let full = Plane::from_gray(img);
    let w = (img.width() as f32 / factor).round() as usize;
    let h = (img.height() as f32 / factor).round() as usize;
    let mut out = Plane::new(w, h);
    for y in 0..h {
        for x in 0..w {
            out.data[y * w + x] = full.sample(x as f32 * factor, y as f32 * factor, 255.0);
        }
    }
    (out, factor)
}

fn rank(m: &Mrz) -> (bool, usize, i64) {
    (
        m.all_checks_valid(),
        m.valid_check_count(),
        -(m.repairs.len() as i64),
    )
}

fn global_quality(gray: &GrayImage) -> GlobalQuality {
    let factor = (gray.width().max(gray.height()) as f32 / WORK_SIDE).max(1.0);
    let work = vision::downscale(gray, factor);
    let mean = work.data.iter().sum::<f32>() / work.data.len().max(1) as f32;
    let p95 = vision::quantile(&work, 0.95);
    let p05 = vision::quantile(&work, 0.05);
    let contrast = f64::from((p95 - p05).max(8.0));
    let sharpness = edge_sharpness(&work, contrast);
    let sat = work.data.iter().filter(|&&v| v >= 245.0).count();
    let total = work.data.len();
    GlobalQuality {
        width: gray.width(),
        height: gray.height(),
        mean,
        p95,
        p05,
        sharpness,
        saturated: sat as f32 / total.max(1) as f32,
    }
}

/// Steepness of the strongest edges relative to the photo's contrast (≈ 1 / edge width).
///
/// Noise and textures barely reach the top half-percent of gradients; letters and the
/// document's outline do, and blur widens them.
fn edge_sharpness(work: &Plane, contrast: f64) -> f64 {
    let gx = vision::sobel_x_abs(work);
    let mut grads: Vec<f32> = Vec::with_capacity(work.data.len());
    for y in 1..work.h.saturating_sub(1) {
        for x in 1..work.w.saturating_sub(1) {
            let gy = (work.at(x - 1, y + 1) + 2.0 * work.at(x, y + 1) + work.at(x + 1, y + 1))
                - (work.at(x - 1, y - 1) + 2.0 * work.at(x, y - 1) + work.at(x + 1, y - 1));
            grads.push(gx.at(x, y).max(gy.abs()) / 8.0);
        }
    }
    if grads.is_empty() {
        return 0.0;
    }
    let k = grads.len() - 1 - grads.len() / 200;
    let (_, top, _) = grads.select_nth_unstable_by(k, f32::total_cmp);
    f64::from(*top) / contrast * 100.0
}

/// Whole-photo measures, for tuning (never called by the checks).
#[doc(hidden)]
pub fn debug_global(gray: &GrayImage) -> String {
    format!("{:?}", global_quality(gray))
}

/// Candidate bands at the working scale, best first, in full-resolution coordinates.
fn find_bands(work: &Plane, factor: f32, remove_rules: bool) -> Vec<Band> {
    let mut bh = vision::blackhat(work, 15, 7);
    if remove_rules {
        // Long vertical rules (a frame around the zone, a page edge) join the lines' ends
        // into one blob: remove dark vertical runs taller than a zone character.
        let rules = vision::dilate(&vision::erode(&bh, 1, 35), 1, 35);
        for (v, r) in bh.data.iter_mut().zip(&rules.data) {
            *v = (*v - r).max(0.0);
        }
    }
    let grad = vision::sobel_x_abs(&bh);
    let closed = vision::erode(&vision::dilate(&grad, 21, 1), 21, 1);
    let t = vision::otsu(&closed);
    let mask: Vec<bool> = closed.data.iter().map(|&v| v > t).collect();
    // Open vertically by a little to cut thin bridges between stacked lines.
    let side = work.w.max(work.h) as f32;
    let blobs = vision::blobs(&mask, work.w, work.h, 30);
    let lines: Vec<&vision::Blob> = blobs
        .iter()
        .filter(|b| {
            b.major >= 0.12 * side
                && b.minor >= 2.5
                && b.major / b.minor.max(1.0) >= 6.0
                && b.count as f32 / (b.major * b.minor).max(1.0) >= 0.45
        })
        .collect();
    let n = lines.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], i: usize) -> usize {
        let mut i = i;
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for i in 0..n {
        for j in i + 1..n {
            let (a, b) = (lines[i], lines[j]);
            let mut da = (a.angle - b.angle).abs();
            if da > PI / 2.0 {
                da = PI - da;
            }
            let ratio = a.major.min(b.major) / a.major.max(b.major);
            let (s, c) = a.angle.sin_cos();
            let (dx, dy) = (b.cx - a.cx, b.cy - a.cy);
            let along = dx * c + dy * s;
            let across = (-dx * s + dy * c).abs();
            let h = (a.minor + b.minor) / 2.0;
            if da < 0.08
                && ratio > 0.6
                && across < 3.5 * h
                && across > 0.8 * h
                && along.abs() < 0.25 * a.major.max(b.major)
            {
                let (ra, rb) = (find(&mut parent, i), find(&mut parent, j));
                parent[ra] = rb;
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut root_of = vec![usize::MAX; n];
    for i in 0..n {
        let r = find(&mut parent, i);
        if root_of[r] == usize::MAX {
            root_of[r] = groups.len();
            groups.push(Vec::new());
        }
        groups[root_of[r]].push(i);
    }
    let mut bands: Vec<(f32, Band)> = groups
        .iter()
        .map(|g| {
            let k = g.len() as f32;
            let cx = g.iter().map(|&i| lines[i].cx).sum::<f32>() / k;
            let cy = g.iter().map(|&i| lines[i].cy).sum::<f32>() / k;
            let angle = lines[g[0]].angle;
            let length = g.iter().map(|&i| lines[i].major).fold(0.0, f32::max);
            let line_h = g.iter().map(|&i| lines[i].minor).sum::<f32>() / k;
            let (s, c) = angle.sin_cos();
            let across: Vec<f32> = g
                .iter()
                .map(|&i| -(lines[i].cx - cx) * s + (lines[i].cy - cy) * c)
                .collect();
            let spread = across.iter().copied().fold(f32::MIN, f32::max)
                - across.iter().copied().fold(f32::MAX, f32::min);
            // A single blob may be two or three lines merged: its thickness tells.
            let line_height = if g.len() == 1 {
                let est = (line_h / (length / 36.0 * 1.4)).round().clamp(1.0, 3.0);
                line_h / est
            } else {
                line_h
            };
            let band = Band {
                cx: cx * factor,
                cy: cy * factor,
                angle,
                length: length * factor,
                thickness: (spread + line_h) * factor,
                line_height: line_height * factor,
            };
            let shape = match g.len() {
                2 | 3 => 3.0,
                1 => 1.0,
                _ => 1.5,
            };
            let score = shape * 10.0 + length / side * 5.0 + cy / work.h as f32;
            (score, band)
        })
        .collect();
    bands.sort_by(|a, b| b.0.total_cmp(&a.0));
    bands.into_iter().map(|(_, b)| b).collect()
}

/// One way of cutting a band for OCR.
#[derive(Debug, Clone, Copy)]
struct Variant {
    /// Text height in pixels.
    text_px: f32,
    /// Margin around the band, in text heights.
    margin: f32,
    /// Local contrast stretch.
    stretch: bool,
    /// Horizontal scale: below 1 narrows the zone's wide character spacing.
    x_scale: f32,
}

const fn variant(text_px: f32, margin: f32, stretch: bool, x_scale: f32) -> Variant {
    Variant {
        text_px,
        margin,
        stretch,
        x_scale,
    }
}

/// OCR attempts on one band, in order.
const VARIANTS: [Variant; 7] = [
    variant(TARGET_TEXT_HEIGHT, 1.0, false, 1.0),
    variant(20.0, 1.0, false, 1.0),
    variant(TARGET_TEXT_HEIGHT, 1.0, false, 0.75),
    variant(30.0, 1.2, false, 1.0),
    variant(TARGET_TEXT_HEIGHT, 1.6, true, 1.0),
    variant(16.0, 1.0, false, 1.0),
    variant(TARGET_TEXT_HEIGHT, 1.0, false, 1.3),
];

/// The cut on which the characters' shapes are measured: enlarged well past the OCR's size,
/// so that a fraction of a source pixel is several pixels here.
const GLYPH_CUT: Variant = variant(32.0, 0.6, false, 1.0);
/// Below this text height (source pixels) the digits' lift (7 % of it) is half a pixel or
/// less, lost in the print's own blur: shapes are not measured.
const MIN_SHAPE_TEXT_HEIGHT: f32 = 7.0;
/// Pitch (in glyph heights) at which the zone is set again from its glyphs for one more
/// reading, after the OCR variants: about the printed one.
const RESET_PITCH: f32 = 0.9;

/// The band's glyphs, measured on a cut enlarged for it.
fn measure_glyphs(full: &Plane, band: &Band, angle: f32) -> GlyphLines {
    GlyphLines::measure(&cut_band(full, band, angle, GLYPH_CUT), GLYPH_CUT.text_px)
}

/// Cuts the band upright as `variant` says.
fn cut_band(full: &Plane, band: &Band, angle: f32, variant: Variant) -> Plane {
    let text_h = band.line_height.max(1.0);
    let step = text_h / variant.text_px;
    // Wider at the ends: perspective and blur make the blob shorter than the printed line.
    let len = band.length * 1.04 + 2.0 * (variant.margin + 1.0) * text_h;
    let thick = band.thickness + 2.0 * variant.margin * text_h;
    let step_x = step / variant.x_scale;
    let out_w = ((len / step_x) as usize).clamp(16, 3000);
    let out_h = ((thick / step) as usize).clamp(16, 600);
    let mut cut = vision::extract(
        full,
        band.cx,
        band.cy,
        angle,
        out_w,
        out_h,
        (step_x, step),
        255.0,
    );
    if variant.stretch {
        // Local contrast stretch, so that dark or washed-out photos reach tesseract evenly.
        let bg = vision::box_blur(&cut, (variant.text_px as usize) * 2, 1);
        for (v, b) in cut.data.iter_mut().zip(&bg.data) {
            let stretched = (*v / b.max(1.0)) * 255.0;
            *v = stretched.clamp(0.0, 255.0);
        }
    }
    cut
}

/// Quality of a band, measured on its cut at the normalised text height.
fn band_quality(full: &Plane, band: &Band, cut: &Plane, angle: f32) -> BandQuality {
    let text_h = band.line_height.max(1.0);
    // Where the band reaches the photo's edge: a zone line may be missing beyond it.
    let (s, c) = angle.sin_cos();
    let hw = band.length / 2.0 + 0.3 * text_h;
    let hh = band.thickness / 2.0 + 0.5 * text_h;
    let cut_off = [(-hw, -hh), (hw, -hh), (-hw, hh), (hw, hh)]
        .iter()
        .any(|&(dx, dy)| {
            let x = band.cx + dx * c - dy * s;
            let y = band.cy + dx * s + dy * c;
            x < 0.0 || y < 0.0 || x > full.w as f32 || y > full.h as f32
        });
    let p05 = vision::quantile(cut, 0.05);
    let p95 = vision::quantile(cut, 0.95);
    let contrast = f64::from((p95 - p05).max(8.0));
    // Measured at half the OCR scale (text about 15 px high): a sharp photo whose text was
    // small and got upscaled for OCR still measures sharp there.
    let sharpness = vision::laplacian_variance(&vision::half(cut)) / (contrast * contrast) * 1000.0;
    let saturated = cut.data.iter().filter(|&&v| v >= 250.0).count() as f32 / cut.data.len() as f32;
    BandQuality {
        sharpness,
        source_text_height: text_h,
        paper: p95,
        saturated,
        cut_off,
    }
}

/// Band crops and their OCR text, for tuning on one's own machine (never called by the checks).
#[doc(hidden)]
pub fn debug_bands(gray: &GrayImage) -> Vec<(GrayImage, String)> {
    let full = Plane::from_gray(gray);
    let (work, factor) = working_plane(gray);
    let mut out = Vec::new();
    for band in find_bands(&work, factor, std::env::var_os("OCR_RULES").is_some())
        .iter()
        .take(2)
    {
        for variant in VARIANTS {
            let cut = cut_band(&full, band, band.angle, variant);
            let q = band_quality(&full, band, &cut, band.angle);
            let img = cut.to_gray();
            let text = read_band(&img).map(|r| r.text).unwrap_or_default();
            out.push((img, format!("{variant:?} {band:?} {q:?}\n{text}")));
        }
    }
    out
}

/// The photo straightened by `angle` radians, for tuning (never called by the checks).
#[doc(hidden)]
pub fn debug_straighten(gray: &GrayImage, angle: f32) -> GrayImage {
    straighten(gray, angle)
}

/// Zone readings of the first bands and the glyphs measured on them, for tuning on one's own
/// machine (never called by the checks).
#[doc(hidden)]
pub fn debug_glyphs(gray: &GrayImage) -> String {
    use std::fmt::Write;
    let full = Plane::from_gray(gray);
    let (work, factor) = working_plane(gray);
    let mut out = String::new();
    for band in find_bands(&work, factor, false).iter().take(2) {
        let cut = cut_band(&full, band, band.angle, GLYPH_CUT);
        let glyphs = crate::glyph::GlyphLines::measure(&cut, GLYPH_CUT.text_px);
        let counts: Vec<usize> = glyphs.lines.iter().map(Vec::len).collect();
        let _ = writeln!(out, "band {band:?} glyph lines {counts:?}");
        if let Some(p) = glyphs.reset(RESET_PITCH) {
            let img = p.to_gray();
            if let Some(path) = std::env::var_os("OCR_RESET_PNG") {
                let _ = img.save(path);
            }
            let text = read_band(&img).map(|r| r.text).unwrap_or_default();
            let _ = writeln!(out, "  RESET\n{text}");
            if let Ok(m) = Mrz::parse_shaped(&text, glyphs.layout()) {
                let r = glyph::judge(&m, &glyphs);
                let _ = writeln!(
                    out,
                    "  reset parsed {:?} valid {} resolved {:?}",
                    m.lines,
                    m.all_checks_valid(),
                    r
                );
            }
        }
        for variant in VARIANTS {
            let c = cut_band(&full, band, band.angle, variant);
            let text = read_band(&c.to_gray()).map(|r| r.text).unwrap_or_default();
            let _ = writeln!(out, "  {variant:?}\n{text}");
            if let Ok(m) = Mrz::parse(&text) {
                let _ = writeln!(
                    out,
                    "  parsed {:?} {:?} valid {}",
                    m.format,
                    m.lines,
                    m.all_checks_valid()
                );
                let _ = writeln!(out, "  judged {:?}", glyph::judge(&m, &glyphs));
                let (n, w) = m.format.shape();
                if let Some(zone) = glyphs.zone(n, w) {
                    let chars: Vec<Vec<char>> =
                        m.lines.iter().map(|l| l.chars().collect()).collect();
                    let model = crate::glyph::ShapeModel::fit(zone, &chars, |l, i| {
                        crate::mrz::position_kind(m.format, l, i)
                    });
                    let _ = writeln!(out, "    model {model:?}");
                    if let Some(model) = &model {
                        for (li, (line, gl)) in chars.iter().zip(zone).enumerate() {
                            let mut s = String::new();
                            for (i, (ch, g)) in line.iter().zip(gl).enumerate() {
                                if crate::mrz::position_kind(m.format, li, i)
                                    == crate::mrz::PositionKind::Mixed
                                    && *ch != '<'
                                {
                                    let _ = write!(
                                        s,
                                        "{i}:{ch}:{:.2}:{:?} ",
                                        model.z(li, g),
                                        model.shape(li, g)
                                    );
                                }
                            }
                            let _ = writeln!(out, "    mixed {s}");
                        }
                    }
                    for (li, (line, gl)) in m.lines.iter().zip(zone).enumerate() {
                        let mut s = String::new();
                        for (i, (ch, g)) in line.chars().zip(gl).enumerate() {
                            let kind = crate::mrz::position_kind(m.format, li, i);
                            let _ = write!(
                                s,
                                "{ch}{kind:?}:{:.1}/{:.1}/{} ",
                                g.height(),
                                g.top,
                                g.holes
                            );
                        }
                        let _ = writeln!(out, "    {s}");
                    }
                }
            }
        }
    }
    out
}
