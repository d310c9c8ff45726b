//! Small grayscale image operations used to find and measure the MRZ band.
//!
//! Written here rather than pulled from an image-processing crate: we need a handful of
//! operations, and the candidates carry advisories or heavy dependency trees.

use image::GrayImage;

/// A float image, row-major.
#[derive(Clone)]
pub(crate) struct Plane {
    pub w: usize,
    pub h: usize,
    pub data: Vec<f32>,
}

impl Plane {
    pub fn new(w: usize, h: usize) -> Self {
        Self {
            w,
            h,
            data: vec![0.0; w * h],
        }
    }

    pub fn from_gray(img: &GrayImage) -> Self {
        Self {
            w: img.width() as usize,
            h: img.height() as usize,
            data: img.as_raw().iter().map(|&v| f32::from(v)).collect(),
        }
    }

    pub fn to_gray(&self) -> GrayImage {
        let raw = self
            .data
            .iter()
            .map(|v| v.round().clamp(0.0, 255.0) as u8)
            .collect();
        GrayImage::from_raw(self.w as u32, self.h as u32, raw).expect("size matches")
    }

    #[inline]
    pub fn at(&self, x: usize, y: usize) -> f32 {
        self.data[y * self.w + x]
    }

    /// Bicubic (Catmull-Rom) sample, sharper than bilinear when enlarging small print.
    pub fn sample_cubic(&self, x: f32, y: f32, outside: f32) -> f32 {
        if x < 1.0 || y < 1.0 || x > (self.w - 3) as f32 || y > (self.h - 3) as f32 {
            return self.sample(x, y, outside);
        }
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let (xi, yi) = (x0 as usize, y0 as usize);
        let weights = |t: f32| {
            let t2 = t * t;
            let t3 = t2 * t;
            [
                -0.5 * t3 + t2 - 0.5 * t,
                1.5 * t3 - 2.5 * t2 + 1.0,
                -1.5 * t3 + 2.0 * t2 + 0.5 * t,
                0.5 * t3 - 0.5 * t2,
            ]
        };
        let (wx, wy) = (weights(fx), weights(fy));
        let mut acc = 0.0;
        for (j, wyj) in wy.iter().enumerate() {
            let row = (yi + j - 1) * self.w;
            let mut r = 0.0;
            for (i, wxi) in wx.iter().enumerate() {
                r += self.data[row + xi + i - 1] * wxi;
            }
            acc += r * wyj;
        }
        acc
    }

    /// Bilinear sample; outside the image gives `outside`.
    #[inline]
    pub fn sample(&self, x: f32, y: f32, outside: f32) -> f32 {
        if x < 0.0 || y < 0.0 || x > (self.w - 1) as f32 || y > (self.h - 1) as f32 {
            return outside;
        }
        let x0 = x.floor() as usize;
        let y0 = y.floor() as usize;
        let x1 = (x0 + 1).min(self.w - 1);
        let y1 = (y0 + 1).min(self.h - 1);
        let fx = x - x0 as f32;
        let fy = y - y0 as f32;
        let top = self.at(x0, y0) * (1.0 - fx) + self.at(x1, y0) * fx;
        let bottom = self.at(x0, y1) * (1.0 - fx) + self.at(x1, y1) * fx;
        top * (1.0 - fy) + bottom * fy
    }
}

/// Area-average downscale by `factor` ≥ 1.
pub(crate) fn downscale(img: &GrayImage, factor: f32) -> Plane {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let nw = ((w as f32 / factor).round() as usize).max(1);
    let nh = ((h as f32 / factor).round() as usize).max(1);
    let src = img.as_raw();
    // Column ranges are the same for every row.
    let cols: Vec<(usize, usize)> = (0..nw)
        .map(|x| {
            let a = (x as f32 * factor) as usize;
            let b = (((x + 1) as f32 * factor) as usize).clamp(a + 1, w);
            (a.min(w - 1), b)
        })
        .collect();
    let mut out = Plane::new(nw, nh);
    let mut acc = vec![0u32; nw];
    for y in 0..nh {
        let ya = ((y as f32 * factor) as usize).min(h - 1);
        let yb = (((y + 1) as f32 * factor) as usize).clamp(ya + 1, h);
        acc.iter_mut().for_each(|a| *a = 0);
        for sy in ya..yb {
            let row = &src[sy * w..(sy + 1) * w];
            for (x, &(a, b)) in cols.iter().enumerate() {
                acc[x] += row[a..b].iter().map(|&v| u32::from(v)).sum::<u32>();
            }
        }
        let rows = (yb - ya) as f32;
        for (x, &(a, b)) in cols.iter().enumerate() {
            out.data[y * nw + x] = acc[x] as f32 / (rows * (b - a) as f32);
        }
    }
    out
}

/// Halves a plane by averaging 2×2 blocks.
pub(crate) fn half(p: &Plane) -> Plane {
    let (w, h) = (p.w / 2, p.h / 2);
    let mut out = Plane::new(w.max(1), h.max(1));
    for y in 0..h {
        for x in 0..w {
            let v = p.at(2 * x, 2 * y)
                + p.at(2 * x + 1, 2 * y)
                + p.at(2 * x, 2 * y + 1)
                + p.at(2 * x + 1, 2 * y + 1);
            out.data[y * out.w + x] = v / 4.0;
        }
    }
    out
}

/// Running max (`max = true`) or min over a window of `k` along rows or columns (van Herk).
fn running_extreme(p: &Plane, k: usize, horizontal: bool, max: bool) -> Plane {
    let k = k.max(1) | 1;
    let r = k / 2;
    let (n, lines) = if horizontal { (p.w, p.h) } else { (p.h, p.w) };
    let mut out = Plane::new(p.w, p.h);
    let pick = |a: f32, b: f32| if max { a.max(b) } else { a.min(b) };
    let pad = if max { f32::MIN } else { f32::MAX };
    let len = n + 2 * r;
    let mut buf = vec![pad; len];
    let mut g = vec![pad; len];
    let mut hh = vec![pad; len];
    for line in 0..lines {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = if i < r || i >= r + n {
                pad
            } else {
                let j = i - r;
                if horizontal {
                    p.data[line * p.w + j]
                } else {
                    p.data[j * p.w + line]
                }
            };
        }
        for i in 0..len {
            g[i] = if i % k == 0 {
                buf[i]
            } else {
                pick(g[i - 1], buf[i])
            };
        }
        for i in (0..len).rev() {
            hh[i] = if i % k == k - 1 || i == len - 1 {
                buf[i]
            } else {
                pick(hh[i + 1], buf[i])
            };
        }
        for j in 0..n {
            // Window [j, j + k) in padded coordinates is centred on j + r.
            let v = pick(hh[j], g[(j + k - 1).min(len - 1)]);
            if horizontal {
                out.data[line * p.w + j] = v;
            } else {
                out.data[j * p.w + line] = v;
            }
        }
    }
    out
}

pub(crate) fn dilate(p: &Plane, kx: usize, ky: usize) -> Plane {
    running_extreme(&running_extreme(p, kx, true, true), ky, false, true)
}

pub(crate) fn erode(p: &Plane, kx: usize, ky: usize) -> Plane {
    running_extreme(&running_extreme(p, kx, true, false), ky, false, false)
}

/// Black-hat: closing minus the image, which keeps dark marks smaller than the kernel.
pub(crate) fn blackhat(p: &Plane, kx: usize, ky: usize) -> Plane {
    let mut closed = erode(&dilate(p, kx, ky), kx, ky);
    for (c, v) in closed.data.iter_mut().zip(&p.data) {
        *c = (*c - v).max(0.0);
    }
    closed
}

/// Absolute horizontal Sobel response.
pub(crate) fn sobel_x_abs(p: &Plane) -> Plane {
    let mut out = Plane::new(p.w, p.h);
    if p.w < 3 || p.h < 3 {
        return out;
    }
    for y in 1..p.h - 1 {
        for x in 1..p.w - 1 {
            let a = p.at(x + 1, y - 1) + 2.0 * p.at(x + 1, y) + p.at(x + 1, y + 1);
            let b = p.at(x - 1, y - 1) + 2.0 * p.at(x - 1, y) + p.at(x - 1, y + 1);
            out.data[y * p.w + x] = (a - b).abs();
        }
    }
    out
}

/// Otsu threshold over the value range of `p`.
pub(crate) fn otsu(p: &Plane) -> f32 {
    let max = p.data.iter().copied().fold(0.0f32, f32::max).max(1e-6);
    let mut hist = [0u32; 256];
    for v in &p.data {
        hist[((v / max) * 255.0).clamp(0.0, 255.0) as usize] += 1;
    }
    let total = p.data.len() as f64;
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * c as f64)
        .sum();
    let (mut w0, mut sum0, mut best, mut best_t) = (0.0f64, 0.0f64, 0.0f64, 0usize);
    for (t, &c) in hist.iter().enumerate() {
        w0 += c as f64;
        sum0 += t as f64 * c as f64;
        let w1 = total - w0;
        if w0 == 0.0 || w1 == 0.0 {
            continue;
        }
        let m0 = sum0 / w0;
        let m1 = (sum_all - sum0) / w1;
        let between = w0 * w1 * (m0 - m1) * (m0 - m1);
        if between > best {
            best = between;
            best_t = t;
        }
    }
    (best_t as f32 + 0.5) / 255.0 * max
}

/// A connected region of a binary mask with its shape moments.
#[derive(Debug, Clone)]
pub(crate) struct Blob {
    pub count: usize,
    pub cx: f32,
    pub cy: f32,
    /// Orientation of the major axis in radians (0 = horizontal).
    pub angle: f32,
    pub major: f32,
    pub minor: f32,
}

/// 4-connected components of `mask`, with second-moment shape estimates.
pub(crate) fn blobs(mask: &[bool], w: usize, h: usize, min_count: usize) -> Vec<Blob> {
    let mut seen = vec![false; mask.len()];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let (mut n, mut sx, mut sy, mut sxx, mut syy, mut sxy) =
            (0usize, 0f64, 0f64, 0f64, 0f64, 0f64);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            n += 1;
            let (fx, fy) = (x as f64, y as f64);
            sx += fx;
            sy += fy;
            sxx += fx * fx;
            syy += fy * fy;
            sxy += fx * fy;
            let mut push = |j: usize| {
                if mask[j] && !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            };
            if x > 0 {
                push(i - 1);
            }
            if x + 1 < w {
                push(i + 1);
            }
            if y > 0 {
                push(i - w);
            }
            if y + 1 < h {
                push(i + w);
            }
        }
        if n < min_count {
            continue;
        }
        let nf = n as f64;
        let (mx, my) = (sx / nf, sy / nf);
        let cxx = sxx / nf - mx * mx + 1.0 / 12.0;
        let cyy = syy / nf - my * my + 1.0 / 12.0;
        let cxy = sxy / nf - mx * my;
        let tr = cxx + cyy;
        let det = cxx * cyy - cxy * cxy;
        let disc = ((tr * tr / 4.0) - det).max(0.0).sqrt();
        let l1 = tr / 2.0 + disc;
        let l2 = (tr / 2.0 - disc).max(0.0);
        let angle = 0.5 * (2.0 * cxy).atan2(cxx - cyy);
        out.push(Blob {
            count: n,
            cx: mx as f32,
            cy: my as f32,
            angle: angle as f32,
            major: (12.0 * l1).sqrt() as f32,
            minor: (12.0 * l2).sqrt() as f32,
        });
    }
    out
}

/// Samples a rotated rectangle of `src` into an upright image.
///
/// `(cx, cy)` is the rectangle's centre in `src` pixels, `angle` its rotation, `out_w × out_h`
/// the output size, and `step` the source distance between two output pixels along and
/// across the rectangle.
#[allow(clippy::too_many_arguments)]
pub(crate) fn extract(
    src: &Plane,
    cx: f32,
    cy: f32,
    angle: f32,
    out_w: usize,
    out_h: usize,
    step: (f32, f32),
    outside: f32,
) -> Plane {
    let (s, c) = angle.sin_cos();
    let mut out = Plane::new(out_w, out_h);
    let cubic = step.0.min(step.1) < 0.5;
    let hw = out_w as f32 / 2.0;
    let hh = out_h as f32 / 2.0;
    for y in 0..out_h {
        let dy = (y as f32 - hh) * step.1;
        for x in 0..out_w {
            let dx = (x as f32 - hw) * step.0;
            let sx = cx + dx * c - dy * s;
            let sy = cy + dx * s + dy * c;
            out.data[y * out_w + x] = if cubic {
                src.sample_cubic(sx, sy, outside)
            } else {
                src.sample(sx, sy, outside)
            };
        }
    }
    out
}

/// Variance of the 4-neighbour Laplacian.
pub(crate) fn laplacian_variance(p: &Plane) -> f64 {
    if p.w < 3 || p.h < 3 {
        return 0.0;
    }
    let (mut s, mut ss, mut n) = (0f64, 0f64, 0f64);
    for y in 1..p.h - 1 {
        for x in 1..p.w - 1 {
            let v = f64::from(
                p.at(x - 1, y) + p.at(x + 1, y) + p.at(x, y - 1) + p.at(x, y + 1)
                    - 4.0 * p.at(x, y),
            );
            s += v;
            ss += v * v;
            n += 1.0;
        }
    }
    let m = s / n;
    ss / n - m * m
}

/// Value at quantile `q` (0–1) of the plane's values.
pub(crate) fn quantile(p: &Plane, q: f32) -> f32 {
    let mut hist = [0u32; 256];
    for v in &p.data {
        hist[v.clamp(0.0, 255.0) as usize] += 1;
    }
    let target = (q * p.data.len() as f32) as u32;
    let mut acc = 0;
    for (i, c) in hist.iter().enumerate() {
        acc += c;
        if acc > target {
            return i as f32;
        }
    }
    255.0
}

/// Separable box blur of radius `r`, repeated `passes` times (≈ Gaussian).
pub(crate) fn box_blur(p: &Plane, r: usize, passes: usize) -> Plane {
    let mut cur = p.clone();
    for _ in 0..passes {
        cur = box_1d(&box_1d(&cur, r, true), r, false);
    }
    cur
}

fn box_1d(p: &Plane, r: usize, horizontal: bool) -> Plane {
    let (n, lines) = if horizontal { (p.w, p.h) } else { (p.h, p.w) };
    let mut out = Plane::new(p.w, p.h);
    let idx = |line: usize, j: usize| {
        if horizontal {
            line * p.w + j
        } else {
            j * p.w + line
        }
    };
    let k = (2 * r + 1) as f32;
    for line in 0..lines {
        let get = |j: isize| p.data[idx(line, j.clamp(0, n as isize - 1) as usize)];
        let mut acc: f32 = (-(r as isize)..=r as isize).map(get).sum();
        for j in 0..n {
            out.data[idx(line, j)] = acc / k;
            acc += get(j as isize + r as isize + 1) - get(j as isize - r as isize);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_max_matches_the_naive_one() {
        let mut p = Plane::new(23, 3);
        for (i, v) in p.data.iter_mut().enumerate() {
            *v = ((i * 37) % 11) as f32;
        }
        let fast = running_extreme(&p, 5, true, true);
        for y in 0..3 {
            for x in 0..23usize {
                let naive = (x.saturating_sub(2)..(x + 3).min(23))
                    .map(|j| p.at(j, y))
                    .fold(f32::MIN, f32::max);
                assert_eq!(fast.at(x, y), naive, "at {x},{y}");
            }
        }
    }
}
