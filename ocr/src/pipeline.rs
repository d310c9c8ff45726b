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
use crate::engine::read_band;
use crate::mrz::Mrz;
use crate::vision::{self, Plane};

const WORK_SIDE: f32 = 900.0;
/// Character height (px) the band is scaled to before OCR and blur measurement.
const TARGET_TEXT_HEIGHT: f32 = 30.0;
const MAX_OCR_READS: usize = 8;

/// What the analysis found, before any decision.
#[derive(Debug, Clone)]
pub(crate) struct Analysis {
    pub mrz: Option<Mrz>,
    pub ocr_confidence: Option<i32>,
    pub band: Option<BandQuality>,
    pub global: GlobalQuality,
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

/// Whole-photo measures, used when no band is read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GlobalQuality {
    pub width: u32,
    pub height: u32,
    pub mean: f32,
    pub p95: f32,
    pub sharpness: f64,
    /// Fraction of saturated pixels in the central area.
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

pub(crate) fn analyse(gray: &GrayImage) -> Result<Analysis, OcrError> {
    let global = global_quality(gray);
    let mut best: Option<(Mrz, i32, BandQuality)> = None;
    let mut reads = 0;
    let mut first_band: Option<BandQuality> = None;
    // Portrait photos of a landscape document: try the quarter turn only when needed.
    for quarter in [false, true] {
        let rotated;
        let img = if quarter {
            rotated = image::imageops::rotate90(gray);
            &rotated
        } else {
            gray
        };
        let full = Plane::from_gray(img);
        let factor = (img.width().max(img.height()) as f32 / WORK_SIDE).max(1.0);
        let work = vision::downscale(img, factor);
        let bands = find_bands(&work, factor);
        for band in bands.iter().take(3) {
            for flip in [false, true] {
                for variant in 0..2 {
                    if reads >= MAX_OCR_READS {
                        break;
                    }
                    let angle = if flip { band.angle + PI } else { band.angle };
                    let (cut, quality) = cut_band(&full, band, angle, variant);
                    if first_band.is_none() {
                        first_band = Some(quality);
                    }
                    reads += 1;
                    let reading = read_band(&cut.to_gray())?;
                    let Ok(m) = Mrz::parse(&reading.text) else {
                        continue;
                    };
                    let better = best.as_ref().is_none_or(|(b, _, _)| rank(&m) > rank(b));
                    let done = m.all_checks_valid();
                    if better {
                        best = Some((m, reading.confidence, quality));
                    }
                    if done {
                        let (m, c, q) = best.expect("just set");
                        return Ok(Analysis {
                            mrz: Some(m),
                            ocr_confidence: Some(c),
                            band: Some(q),
                            global,
                        });
                    }
                    // Upright text that parsed at all means the flip is not needed.
                    if variant == 0
                        && best
                            .as_ref()
                            .is_some_and(|(b, _, _)| b.valid_check_count() > 0)
                    {
                        break;
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
        Some((m, c, q)) => Analysis {
            mrz: Some(m),
            ocr_confidence: Some(c),
            band: Some(q),
            global,
        },
        None => Analysis {
            mrz: None,
            ocr_confidence: None,
            band: first_band,
            global,
        },
    })
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
    let sharpness = vision::laplacian_variance(&work) / (contrast * contrast) * 1000.0;
    let (x0, x1) = (work.w / 5, work.w * 4 / 5);
    let (y0, y1) = (work.h / 5, work.h * 4 / 5);
    let mut sat = 0usize;
    let mut total = 0usize;
    for y in y0..y1 {
        for x in x0..x1 {
            total += 1;
            if work.at(x, y) >= 250.0 {
                sat += 1;
            }
        }
    }
    GlobalQuality {
        width: gray.width(),
        height: gray.height(),
        mean,
        p95,
        sharpness,
        saturated: sat as f32 / total.max(1) as f32,
    }
}

/// Candidate bands at the working scale, best first, in full-resolution coordinates.
fn find_bands(work: &Plane, factor: f32) -> Vec<Band> {
    let bh = vision::blackhat(work, 15, 7);
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

/// Cuts the band upright at the normalised text height; `variant` 1 adds margin and binarises.
fn cut_band(full: &Plane, band: &Band, angle: f32, variant: usize) -> (Plane, BandQuality) {
    let text_h = band.line_height.max(1.0);
    let step = text_h / TARGET_TEXT_HEIGHT;
    let margin = if variant == 0 { 1.0 } else { 1.6 };
    let len = band.length + 2.0 * margin * text_h;
    let thick = band.thickness + 2.0 * margin * text_h;
    let out_w = ((len / step) as usize).clamp(16, 3000);
    let out_h = ((thick / step) as usize).clamp(16, 600);
    let mut cut = vision::extract(full, band.cx, band.cy, angle, out_w, out_h, step, 255.0);
    // Where the band reaches past the photo's edge, by more than half a character.
    let (s, c) = angle.sin_cos();
    let hw = band.length / 2.0 + 0.3 * text_h;
    let hh = band.thickness / 2.0;
    let cut_off = [(-hw, -hh), (hw, -hh), (-hw, hh), (hw, hh)]
        .iter()
        .any(|&(dx, dy)| {
            let x = band.cx + dx * c - dy * s;
            let y = band.cy + dx * s + dy * c;
            x < 0.0 || y < 0.0 || x > full.w as f32 || y > full.h as f32
        });
    let p05 = vision::quantile(&cut, 0.05);
    let p95 = vision::quantile(&cut, 0.95);
    let contrast = f64::from((p95 - p05).max(8.0));
    let sharpness = vision::laplacian_variance(&cut) / (contrast * contrast) * 1000.0;
    let saturated = cut.data.iter().filter(|&&v| v >= 250.0).count() as f32 / cut.data.len() as f32;
    let quality = BandQuality {
        sharpness,
        source_text_height: text_h,
        paper: p95,
        saturated,
        cut_off,
    };
    if variant == 1 {
        // Local contrast stretch, so that dark or washed-out photos reach tesseract evenly.
        let bg = vision::box_blur(&cut, (TARGET_TEXT_HEIGHT as usize) * 2, 1);
        for (v, b) in cut.data.iter_mut().zip(&bg.data) {
            let stretched = (*v / b.max(1.0)) * 255.0;
            *v = stretched.clamp(0.0, 255.0);
        }
        let t = vision::otsu(&cut);
        for v in &mut cut.data {
            *v = if *v > t { 255.0 } else { 0.0 };
        }
    }
    (cut, quality)
}

/// Band crops and their OCR text, for tuning on one's own machine (never called by the checks).
#[doc(hidden)]
pub fn debug_bands(gray: &GrayImage) -> Vec<(GrayImage, String)> {
    let full = Plane::from_gray(gray);
    let factor = (gray.width().max(gray.height()) as f32 / WORK_SIDE).max(1.0);
    let work = vision::downscale(gray, factor);
    let mut out = Vec::new();
    for band in find_bands(&work, factor).iter().take(3) {
        for variant in 0..2 {
            let (cut, q) = cut_band(&full, band, band.angle, variant);
            let img = cut.to_gray();
            let text = read_band(&img).map(|r| r.text).unwrap_or_default();
            out.push((img, format!("{band:?} {q:?}\n{text}")));
        }
    }
    out
}
