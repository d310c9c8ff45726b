//! Synthetic identity-document photos for tests, the benchmark and demos.
//!
//! Renders a card or passport page (tinted background, guilloche, a photo-like box, printed
//! labels) with its MRZ in OCR-B, places it in a photo (background texture, rotation,
//! perspective), then degrades it (blur, darkness, glare, sensor noise, JPEG). Everything is
//! driven by a seed, so a corpus is the same on every machine.
//!
//! Fonts come from Debian: `fonts-ocr-b` (the MRZ font) and `fonts-dejavu-core` (labels).

use std::path::Path;

use chrono::{Datelike, Months, NaiveDate};
use image::{GrayImage, Rgb, RgbImage};
use skrifa::instance::{LocationRef, Size};
use skrifa::outline::{DrawSettings, OutlinePen};
use skrifa::{FontRef, MetadataProvider};

use crate::mrz::{MrzFormat, check_digit};
use crate::name::ExpectedName;
use crate::vision::{self, Plane};

pub const OCR_B_PATH: &str = "/usr/share/fonts/opentype/ocr-b/OCRB.otf";
pub const LABEL_FONT_PATH: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// Why a corpus could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("font {path} cannot be read (install fonts-ocr-b and fonts-dejavu-core): {source}")]
    Font {
        path: String,
        source: std::io::Error,
    },
    #[error("font {0} cannot be parsed")]
    FontParse(String),
    #[error("image encoding failed: {0}")]
    Encode(String),
}

/// A font file loaded in memory.
pub struct Font {
    data: Vec<u8>,
}

impl Font {
    pub fn load(path: impl AsRef<Path>) -> Result<Self, CorpusError> {
        let path = path.as_ref();
        let data = std::fs::read(path).map_err(|source| CorpusError::Font {
            path: path.display().to_string(),
            source,
        })?;
        FontRef::new(&data).map_err(|_| CorpusError::FontParse(path.display().to_string()))?;
        Ok(Self { data })
    }

    fn font(&self) -> FontRef<'_> {
        FontRef::new(&self.data).expect("checked at load")
    }

    /// Draws `text` with its baseline at `(x, y)`; `pitch` forces a fixed advance (MRZ).
    #[allow(clippy::too_many_arguments)]
    fn draw(
        &self,
        plane: &mut Plane,
        text: &str,
        x: f32,
        y: f32,
        px: f32,
        ink: f32,
        pitch: Option<f32>,
    ) {
        let font = self.font();
        let charmap = font.charmap();
        let outlines = font.outline_glyphs();
        let metrics = font.glyph_metrics(Size::new(px), LocationRef::default());
        let mut pen_x = x;
        for ch in text.chars() {
            let Some(gid) = charmap.map(ch) else {
                pen_x += pitch.unwrap_or(px * 0.5);
                continue;
            };
            let advance = pitch.unwrap_or_else(|| metrics.advance_width(gid).unwrap_or(px * 0.6));
            if let Some(glyph) = outlines.get(gid) {
                let mut path = PathCollector::default();
                let settings = DrawSettings::unhinted(Size::new(px), LocationRef::default());
                if glyph.draw(settings, &mut path).is_ok() {
                    // Centre fixed-pitch glyphs in their cell, as OCR-B MRZ printing does.
                    let offset = match pitch {
                        Some(p) => {
                            let adv = metrics.advance_width(gid).unwrap_or(p);
                            (p - adv) / 2.0
                        }
                        None => 0.0,
                    };
                    fill_path(plane, &path.segments, pen_x + offset, y, ink);
                }
            }
            pen_x += advance;
        }
    }
}

#[derive(Default)]
struct PathCollector {
    segments: Vec<(f32, f32, f32, f32)>,
    start: (f32, f32),
    cur: (f32, f32),
}

impl PathCollector {
    fn line(&mut self, x: f32, y: f32) {
        self.segments.push((self.cur.0, self.cur.1, x, y));
        self.cur = (x, y);
    }
}

impl OutlinePen for PathCollector {
    fn move_to(&mut self, x: f32, y: f32) {
        self.start = (x, y);
        self.cur = (x, y);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        self.line(x, y);
    }
    fn quad_to(&mut self, cx0: f32, cy0: f32, x: f32, y: f32) {
        let (x0, y0) = self.cur;
        for i in 1..=8 {
            let t = i as f32 / 8.0;
            let u = 1.0 - t;
            self.line(
                u * u * x0 + 2.0 * u * t * cx0 + t * t * x,
                u * u * y0 + 2.0 * u * t * cy0 + t * t * y,
            );
        }
    }
    fn curve_to(&mut self, cx0: f32, cy0: f32, cx1: f32, cy1: f32, x: f32, y: f32) {
        let (x0, y0) = self.cur;
        for i in 1..=10 {
            let t = i as f32 / 10.0;
            let u = 1.0 - t;
            let (a, b, c, d) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
            self.line(
                a * x0 + b * cx0 + c * cx1 + d * x,
                a * y0 + b * cy0 + c * cy1 + d * y,
            );
        }
    }
    fn close(&mut self) {
        let (x, y) = self.start;
        if self.cur != (x, y) {
            self.line(x, y);
        }
    }
}

/// Fills a glyph outline (font units already scaled, y up) with anti-aliasing.
///
/// Signed-area accumulation: each edge adds its coverage to the cells it crosses, and a running
/// sum along each row gives the covered fraction of every pixel.
fn fill_path(plane: &mut Plane, segs: &[(f32, f32, f32, f32)], ox: f32, oy: f32, ink: f32) {
    if segs.is_empty() {
        return;
    }
    let (mut min_x, mut max_x, mut min_y, mut max_y) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for &(x0, y0, x1, y1) in segs {
        min_x = min_x.min(x0).min(x1);
        max_x = max_x.max(x0).max(x1);
        min_y = min_y.min(-y0).min(-y1);
        max_y = max_y.max(-y0).max(-y1);
    }
    let bx = (ox + min_x).floor() - 1.0;
    let by = (oy + min_y).floor() - 1.0;
    let w = ((max_x - min_x).ceil() as usize) + 4;
    let h = ((max_y - min_y).ceil() as usize) + 3;
    let mut acc = vec![0f32; w * h + 2];
    for &(x0, y0, x1, y1) in segs {
        let p0 = (ox + x0 - bx, oy - y0 - by);
        let p1 = (ox + x1 - bx, oy - y1 - by);
        accumulate_line(&mut acc, w, h, p0, p1);
    }
    let mut sum = 0.0;
    for y in 0..h {
        for x in 0..w {
            sum += acc[y * w + x];
            let cover = sum.abs().min(1.0);
            let px = bx as isize + x as isize;
            let py = by as isize + y as isize;
            if cover > 0.0
                && px >= 0
                && py >= 0
                && (px as usize) < plane.w
                && (py as usize) < plane.h
            {
                let i = py as usize * plane.w + px as usize;
                plane.data[i] = plane.data[i] * (1.0 - cover) + ink * cover;
            }
        }
    }
}

fn accumulate_line(acc: &mut [f32], w: usize, h: usize, p0: (f32, f32), p1: (f32, f32)) {
    if (p0.1 - p1.1).abs() <= f32::EPSILON {
        return;
    }
    let (dir, p0, p1) = if p0.1 < p1.1 {
        (1.0, p0, p1)
    } else {
        (-1.0, p1, p0)
    };
    let dxdy = (p1.0 - p0.0) / (p1.1 - p0.1);
    let mut x = p0.0;
    let y0 = p0.1.max(0.0) as usize;
    if p0.1 < 0.0 {
        x -= p0.1 * dxdy;
    }
    let mut add = |i: isize, v: f32| {
        if i >= 0 && (i as usize) < acc.len() {
            acc[i as usize] += v;
        }
    };
    for y in y0..h.min(p1.1.ceil() as usize) {
        let line = (y * w) as isize;
        let dy = ((y + 1) as f32).min(p1.1) - (y as f32).max(p0.1);
        let xnext = x + dxdy * dy;
        let d = dy * dir;
        let (xa, xb) = if x < xnext { (x, xnext) } else { (xnext, x) };
        let xa_floor = xa.floor();
        let xai = xa_floor as isize;
        let xb_ceil = xb.ceil();
        let xbi = xb_ceil as isize;
        if xbi <= xai + 1 {
            let xmf = 0.5 * (x + xnext) - xa_floor;
            add(line + xai, d - d * xmf);
            add(line + xai + 1, d * xmf);
        } else {
            let s = (xb - xa).recip();
            let xaf = xa - xa_floor;
            let a0 = 0.5 * s * (1.0 - xaf) * (1.0 - xaf);
            let xbf = xb - xb_ceil + 1.0;
            let am = 0.5 * s * xbf * xbf;
            add(line + xai, d * a0);
            if xbi == xai + 2 {
                add(line + xai + 1, d * (1.0 - a0 - am));
            } else {
                let a1 = s * (1.5 - xaf);
                add(line + xai + 1, d * (a1 - a0));
                for xi in xai + 2..xbi - 1 {
                    add(line + xi, d * s);
                }
                let a2 = a1 + (xbi - xai - 3) as f32 * s;
                add(line + xbi - 1, d * (1.0 - a2 - am));
            }
            add(line + xbi, d * am);
        }
        x = xnext;
    }
}

/// SplitMix64: small, fast and stable across versions, so seeds mean the same forever.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.f32()
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    /// Roughly normal (sum of uniforms), mean 0, deviation 1.
    pub fn normal(&mut self) -> f32 {
        (0..4).map(|_| self.f32()).sum::<f32>() * 1.732 - 3.464
    }
}

/// How a photo is degraded.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoOptions {
    pub width: u32,
    pub height: u32,
    /// Document width as a fraction of the photo width.
    pub document_fraction: f32,
    pub rotation_deg: f32,
    /// Corner jitter as a fraction of the document size (0 = flat).
    pub perspective: f32,
    /// Gaussian blur sigma in photo pixels, at a 2000 px wide photo (scaled with the width).
    pub blur_sigma: f32,
    /// Light level (1 = daylight).
    pub brightness: f32,
    /// Glare spot strength (0 = none); placed over the zone when `glare_on_mrz`.
    pub glare: f32,
    pub glare_on_mrz: bool,
    pub noise: f32,
    pub jpeg_quality: u8,
    /// Shift the document so that this fraction of it leaves the frame at the bottom.
    pub cut_off: f32,
}

impl Default for PhotoOptions {
    fn default() -> Self {
        Self {
            width: 2000,
            height: 1300,
            document_fraction: 0.72,
            rotation_deg: 0.0,
            perspective: 0.0,
            blur_sigma: 0.0,
            brightness: 1.0,
            glare: 0.0,
            glare_on_mrz: false,
            noise: 3.0,
            jpeg_quality: 88,
            cut_off: 0.0,
        }
    }
}

/// Condition of a corpus photo, as the benchmark groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Condition {
    Sharp,
    SlightBlur,
    StrongBlur,
    Dark,
    Rotated,
    Perspective,
    Glare,
    SmallInFrame,
    /// The bottom of the document (and so its zone) leaves the frame.
    CutOff,
}

impl Condition {
    pub const ALL: [Condition; 9] = [
        Condition::Sharp,
        Condition::SlightBlur,
        Condition::StrongBlur,
        Condition::Dark,
        Condition::Rotated,
        Condition::Perspective,
        Condition::Glare,
        Condition::SmallInFrame,
        Condition::CutOff,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Sharp => "sharp",
            Self::SlightBlur => "slight blur",
            Self::StrongBlur => "strong blur",
            Self::Dark => "dark",
            Self::Rotated => "rotated",
            Self::Perspective => "perspective",
            Self::Glare => "glare",
            Self::SmallInFrame => "small in frame",
            Self::CutOff => "cut off",
        }
    }

    /// Photo options for this condition, varied by `rng`, at the given photo size.
    pub fn options(self, rng: &mut Rng, width: u32, height: u32) -> PhotoOptions {
        let mut o = PhotoOptions {
            width,
            height,
            document_fraction: rng.range(0.6, 0.8),
            rotation_deg: rng.range(-2.0, 2.0),
            perspective: rng.range(0.0, 0.015),
            noise: rng.range(2.0, 5.0),
            jpeg_quality: rng.range(75.0, 92.0) as u8,
            ..PhotoOptions::default()
        };
        match self {
            Self::Sharp => {}
            Self::SlightBlur => o.blur_sigma = rng.range(1.0, 1.8),
            Self::StrongBlur => o.blur_sigma = rng.range(5.0, 8.0),
            Self::Dark => o.brightness = rng.range(0.22, 0.35),
            Self::Rotated => {
                let sign = if rng.f32() < 0.5 { -1.0 } else { 1.0 };
                o.rotation_deg = sign * rng.range(5.0, 15.0);
                o.document_fraction = rng.range(0.55, 0.65);
            }
            Self::Perspective => o.perspective = rng.range(0.03, 0.06),
            Self::Glare => {
                o.glare = rng.range(1.2, 2.0);
                o.glare_on_mrz = rng.f32() < 0.5;
            }
            Self::SmallInFrame => o.document_fraction = rng.range(0.38, 0.48),
            Self::CutOff => o.cut_off = rng.range(0.04, 0.1),
        }
        o
    }
}

/// Identity data written on a generated document.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub format: MrzFormat,
    pub surname: String,
    pub given_names: Vec<String>,
    /// The name as the trainee typed it (with accents), for name-match checks.
    pub expected: ExpectedName,
    pub birth: NaiveDate,
    pub sex: char,
    pub document_number: String,
    /// Expiry printed in the zone; for the old French card, the rule's expiry.
    pub expiry: NaiveDate,
    /// Issue date (old French card only).
    pub issue: Option<NaiveDate>,
}

const NAMES: &[(&str, &str, &str, &str)] = &[
    ("MARTIN", "Martin", "MAELYS", "Maëlys"),
    ("BERNARD", "Bernard", "CHLOE", "Chloé"),
    ("LEFEVRE", "Lefèvre", "HELENE", "Hélène"),
    ("DUBOIS", "Dubois", "JEROME", "Jérôme"),
    ("MOREAU", "Moreau", "FRANCOIS", "François"),
    ("GARCIA", "Garcia", "NOEMIE", "Noémie"),
    ("NGUYEN", "Nguyen", "THI", "Thi"),
    ("PETIT", "Petit", "LEA", "Léa"),
    ("ROUX", "Roux", "JEAN<PIERRE", "Jean-Pierre"),
    ("FONTAINE", "Fontaine", "AGATHE", "Agathe"),
    ("MULLER", "Müller", "ZOE", "Zoé"),
    ("BENALI", "Benali", "YASMINE", "Yasmine"),
    ("OCONNOR", "O'Connor", "SEAN", "Seán"),
    ("DA<SILVA", "Da Silva", "JOAO", "João"),
];
const SECOND: &[&str] = &["MARIE", "ANNE", "LOUIS", "CLAIRE", "PAUL", "SOPHIE"];

fn random_date(rng: &mut Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let days = (to - from).num_days().max(1);
    from + chrono::Duration::days((rng.next_u64() % days as u64) as i64)
}

fn alnum(rng: &mut Rng, n: usize, digits_only: bool) -> String {
    const A: &[u8] = b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ";
    (0..n)
        .map(|_| {
            if digits_only {
                (b'0' + rng.below(10) as u8) as char
            } else {
                A[rng.below(A.len())] as char
            }
        })
        .collect()
}

impl Identity {
    /// A random holder of a document of `format`, valid or expired relative to `today`.
    pub fn random(rng: &mut Rng, format: MrzFormat, expired: bool, today: NaiveDate) -> Self {
        let &(surname, surname_typed, given, given_typed) = rng.pick(NAMES);
        let mut given_names = vec![given.to_owned()];
        let mut given_typed = given_typed.to_owned();
        if rng.f32() < 0.4 {
            let second = *rng.pick(SECOND);
            given_names.push(second.to_owned());
            given_typed.push(' ');
            given_typed.push_str(&second[..1]);
            given_typed.push_str(&second[1..].to_lowercase());
        }
        let sex = if rng.f32() < 0.5 { 'F' } else { 'M' };
        let y = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d).expect("valid date");
        let (birth, expiry, issue, number) = if format == MrzFormat::FrenchIdCard1988 {
            // Old cards: issued 1996–2021; adults get 15 years from 2004-01-02, minors 10.
            let (issue, birth) = loop {
                let issue = random_date(rng, y(1996, 1, 1), y(2021, 8, 1));
                let minor = rng.f32() < 0.25;
                let birth = if minor {
                    random_date(
                        rng,
                        issue - chrono::Duration::days(17 * 365),
                        issue - chrono::Duration::days(365),
                    )
                } else {
                    random_date(rng, y(1945, 1, 1), issue - chrono::Duration::days(19 * 365))
                };
                let issue = issue.with_day(1).expect("day 1");
                let adult = birth + Months::new(18 * 12) <= issue;
                let years = if adult && issue >= y(2004, 1, 2) {
                    15
                } else {
                    10
                };
                let expiry = issue + Months::new(years * 12);
                if (expiry < today) == expired {
                    break (issue, birth);
                }
            };
            let adult = birth + Months::new(18 * 12) <= issue;
            let years = if adult && issue >= y(2004, 1, 2) {
                15
            } else {
                10
            };
            let dept = format!(
                "{:02}{}",
                rng.range(1.0, 95.0) as u32,
                if rng.f32() < 0.2 { 'K' } else { '0' }
            );
            let number = format!(
                "{:02}{:02}{}{}",
                issue.year() % 100,
                issue.month(),
                dept,
                alnum(rng, 5, true)
            );
            (birth, issue + Months::new(years * 12), Some(issue), number)
        } else {
            let birth = random_date(rng, y(1950, 1, 1), y(2006, 1, 1));
            let expiry = if expired {
                random_date(
                    rng,
                    today - chrono::Duration::days(5 * 365),
                    today - chrono::Duration::days(1),
                )
            } else {
                random_date(
                    rng,
                    today + chrono::Duration::days(30),
                    today + chrono::Duration::days(9 * 365),
                )
            };
            (birth, expiry, None, alnum(rng, 9, false))
        };
        Self {
            format,
            surname: surname.to_owned(),
            given_names,
            expected: ExpectedName::new(surname_typed, &given_typed),
            birth,
            sex,
            document_number: number,
            expiry,
            issue,
        }
    }

    /// The zone lines, with valid check digits.
    pub fn mrz_lines(&self) -> Vec<String> {
        let yymmdd = |d: NaiveDate| format!("{:02}{:02}{:02}", d.year() % 100, d.month(), d.day());
        let cd = |s: &str| char::from(b'0' + check_digit(s).expect("mrz charset"));
        let pad = |s: &str, n: usize| {
            let mut s: String = s.chars().take(n).collect();
            while s.len() < n {
                s.push('<');
            }
            s
        };
        let names = |n: usize| {
            pad(
                &format!("{}<<{}", self.surname, self.given_names.join("<")),
                n,
            )
        };
        let birth = yymmdd(self.birth);
        let expiry = yymmdd(self.expiry);
        let doc = pad(&self.document_number, 9);
        match self.format {
            MrzFormat::Td3 => {
                let l1 = format!("P<FRA{}", names(39));
                let personal = "<".repeat(14);
                let mut l2 = format!(
                    "{doc}{}FRA{birth}{}{}{expiry}{}{personal}<",
                    cd(&doc),
                    cd(&birth),
                    self.sex,
                    cd(&expiry)
                );
                let comp = format!("{}{}{}", &l2[0..10], &l2[13..20], &l2[21..43]);
                l2.push(cd(&comp));
                vec![l1, l2]
            }
            MrzFormat::Td1 => {
                let l1 = format!("IDFRA{doc}{}{}", cd(&doc), "<".repeat(15));
                let mut l2 = format!(
                    "{birth}{}{}{expiry}{}FRA{}",
                    cd(&birth),
                    self.sex,
                    cd(&expiry),
                    "<".repeat(11)
                );
                let comp = format!("{}{}{}{}", &l1[5..30], &l2[0..7], &l2[8..15], &l2[18..29]);
                l2.push(cd(&comp));
                vec![l1, l2, names(30)]
            }
            MrzFormat::Td2 => {
                let l1 = format!("I<UTO{}", names(31));
                let mut l2 = format!(
                    "{doc}{}UTO{birth}{}{}{expiry}{}{}",
                    cd(&doc),
                    cd(&birth),
                    self.sex,
                    cd(&expiry),
                    "<".repeat(7)
                );
                let comp = format!("{}{}{}", &l2[0..10], &l2[13..20], &l2[21..35]);
                l2.push(cd(&comp));
                vec![l1, l2]
            }
            MrzFormat::FrenchIdCard1988 => {
                let dept = &self.document_number[4..7];
                let l1 = format!("IDFRA{}{}{}", pad(&self.surname, 25), dept, "<<<");
                let given = pad(&self.given_names.join("<<"), 14);
                let num = &self.document_number;
                let mut l2 = format!("{num}{}{given}{birth}{}{}", cd(num), cd(&birth), self.sex);
                let comp = format!("{l1}{l2}");
                l2.push(cd(&comp));
                vec![l1, l2]
            }
        }
    }
}

/// Renders the document alone, upright, at `px_per_mm` (a float plane, 0–255).
fn render_document(
    lines: &[String],
    format: MrzFormat,
    fonts: &Fonts,
    px_per_mm: f32,
    rng: &mut Rng,
) -> Plane {
    let (w_mm, h_mm) = match format {
        MrzFormat::Td1 => (85.6, 54.0),
        MrzFormat::Td2 | MrzFormat::FrenchIdCard1988 => (105.0, 74.0),
        MrzFormat::Td3 => (125.0, 88.0),
    };
    let w = (w_mm * px_per_mm) as usize;
    let h = (h_mm * px_per_mm) as usize;
    let mut p = Plane::new(w, h);
    let base = rng.range(215.0, 238.0);
    let (fa, fb) = (rng.range(0.02, 0.05), rng.range(0.02, 0.05));
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f32 / px_per_mm, y as f32 / px_per_mm);
            // Guilloche: faint interfering waves, as on security paper.
            let g = ((fx * 1.7 + (fy * 0.9).sin() * 3.0).sin()
                * (fy * 1.3 + (fx * fa * 20.0).cos() * 2.0).cos())
                * 6.0;
            let grad = (fx / w_mm) * 10.0 * fb * 20.0;
            p.data[y * w + x] = base + g - grad;
        }
    }
    // A photo-like box with soft noise, as the holder's portrait.
    let (px0, py0) = ((4.0 * px_per_mm) as usize, (10.0 * px_per_mm) as usize);
    let (pw, ph) = (
        (w_mm * 0.25 * px_per_mm) as usize,
        (h_mm * 0.45 * px_per_mm) as usize,
    );
    for y in py0..(py0 + ph).min(h) {
        for x in px0..(px0 + pw).min(w) {
            let (u, v) = ((x - px0) as f32 / pw as f32, (y - py0) as f32 / ph as f32);
            let head = ((u - 0.5).powi(2) / 0.08 + (v - 0.4).powi(2) / 0.12) < 1.0;
            let shoulders = v > 0.75 && (u - 0.5).abs() < 0.45;
            let tone = if head || shoulders { 95.0 } else { 175.0 };
            p.data[y * w + x] = tone + rng.normal() * 6.0;
        }
    }
    // Printed labels and values.
    let label_px = 2.2 * px_per_mm;
    let value_px = 3.0 * px_per_mm;
    let tx = px0 as f32 + pw as f32 + 5.0 * px_per_mm;
    let title = match format {
        MrzFormat::Td3 => "PASSEPORT / PASSPORT",
        MrzFormat::Td1 => "CARTE NATIONALE D'IDENTITE / IDENTITY CARD",
        MrzFormat::FrenchIdCard1988 => "CARTE NATIONALE D'IDENTITE",
        MrzFormat::Td2 => "IDENTITY CARD",
    };
    let title_px = label_px * 1.1 * (w_mm / 125.0).max(0.75);
    fonts
        .label
        .draw(&mut p, title, tx, 6.0 * px_per_mm, title_px, 60.0, None);
    let fields = [
        "Nom / Surname",
        "Prénoms / Given names",
        "Sexe",
        "Né(e) le / Date of birth",
    ];
    // Labels stay clear of the zone, which takes the bottom of the document.
    let gap_mm = if format == MrzFormat::Td1 { 4.2 } else { 4.6 };
    let mrz_top_mm = h_mm - 3.5 - (lines.len() as f32 - 1.0) * gap_mm - 5.0;
    let spacing = ((mrz_top_mm - 13.0) / 4.0).min(8.5);
    for (i, f) in fields.iter().enumerate() {
        let y = (13.0 + i as f32 * spacing) * px_per_mm;
        fonts.label.draw(&mut p, f, tx, y, label_px, 90.0, None);
        let value_px = value_px.min(spacing * 0.42 * px_per_mm);
        fonts.label.draw(
            &mut p,
            "XXXXXXXX",
            tx,
            y + spacing * 0.45 * px_per_mm,
            value_px,
            35.0,
            None,
        );
    }
    // The zone: OCR-B at 2.54 mm pitch (10 characters per inch), at the bottom.
    let (_, width) = (lines.len(), lines[0].len());
    let pitch = 2.54 * px_per_mm;
    let size = 3.9 * px_per_mm;
    let line_gap = gap_mm * px_per_mm;
    let x0 = (w as f32 - pitch * width as f32) / 2.0;
    let bottom = h as f32 - 3.5 * px_per_mm;
    let n = lines.len();
    for (i, line) in lines.iter().enumerate() {
        let y = bottom - (n - 1 - i) as f32 * line_gap;
        fonts.mrz.draw(&mut p, line, x0, y, size, 25.0, Some(pitch));
    }
    p
}

/// The two fonts a document needs.
pub struct Fonts {
    pub mrz: Font,
    pub label: Font,
}

impl Fonts {
    /// Loads the Debian fonts (`fonts-ocr-b`, `fonts-dejavu-core`).
    pub fn load() -> Result<Self, CorpusError> {
        Ok(Self {
            mrz: Font::load(OCR_B_PATH)?,
            label: Font::load(LABEL_FONT_PATH)?,
        })
    }
}

/// Solves the 3×3 homography mapping `src` corners to `dst` corners.
#[allow(clippy::needless_range_loop)]
fn homography(src: [(f32, f32); 4], dst: [(f32, f32); 4]) -> [f64; 9] {
    let mut a = [[0f64; 9]; 8];
    for i in 0..4 {
        let (x, y) = (f64::from(src[i].0), f64::from(src[i].1));
        let (u, v) = (f64::from(dst[i].0), f64::from(dst[i].1));
        a[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        a[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    for col in 0..8 {
        let pivot = (col..8)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .expect("rows");
        a.swap(col, pivot);
        let d = a[col][col];
        if d.abs() < 1e-12 {
            continue;
        }
        for k in col..9 {
            a[col][k] /= d;
        }
        for r in 0..8 {
            if r != col {
                let f = a[r][col];
                for k in col..9 {
                    a[r][k] -= f * a[col][k];
                }
            }
        }
    }
    [
        a[0][8], a[1][8], a[2][8], a[3][8], a[4][8], a[5][8], a[6][8], a[7][8], 1.0,
    ]
}

/// Renders a photo of a document bearing `lines`, as JPEG bytes.
pub fn render_photo(
    lines: &[String],
    format: MrzFormat,
    opts: &PhotoOptions,
    fonts: &Fonts,
    seed: u64,
) -> Result<Vec<u8>, CorpusError> {
    let rgb = render_photo_rgb(lines, format, opts, fonts, seed);
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, opts.jpeg_quality);
    rgb.write_with_encoder(enc)
        .map_err(|e| CorpusError::Encode(e.to_string()))?;
    Ok(out)
}

/// Renders a photo of a document bearing `lines`, before compression.
pub fn render_photo_rgb(
    lines: &[String],
    format: MrzFormat,
    opts: &PhotoOptions,
    fonts: &Fonts,
    seed: u64,
) -> RgbImage {
    let mut rng = Rng::new(seed);
    let (w, h) = (opts.width as usize, opts.height as usize);
    let scale = opts.width as f32 / 2000.0;
    let doc_w_mm = match format {
        MrzFormat::Td1 => 85.6,
        MrzFormat::Td2 | MrzFormat::FrenchIdCard1988 => 105.0,
        MrzFormat::Td3 => 125.0,
    };
    let target_w = opts.document_fraction * w as f32;
    // Render the card at its final resolution (or a bit above) so glyphs stay crisp.
    let px_per_mm = (target_w / doc_w_mm * 1.25).max(4.0);
    let doc = render_document(lines, format, fonts, px_per_mm, &mut rng);
    let (dw, dh) = (doc.w as f32, doc.h as f32);
    let s = target_w / dw;
    let (cw, ch) = (dw * s, dh * s);
    let cx = w as f32 / 2.0 + rng.range(-0.05, 0.05) * w as f32;
    let mut cy = h as f32 / 2.0 + rng.range(-0.04, 0.04) * h as f32;
    if opts.cut_off > 0.0 {
        cy = h as f32 - ch * (0.5 - opts.cut_off);
    }
    let (sa, ca) = opts.rotation_deg.to_radians().sin_cos();
    let jitter = opts.perspective * cw;
    let corners = [
        (-cw / 2.0, -ch / 2.0),
        (cw / 2.0, -ch / 2.0),
        (cw / 2.0, ch / 2.0),
        (-cw / 2.0, ch / 2.0),
    ];
    let mut dst = [(0f32, 0f32); 4];
    for (i, &(x, y)) in corners.iter().enumerate() {
        let (jx, jy) = (rng.range(-jitter, jitter), rng.range(-jitter, jitter));
        dst[i] = (cx + x * ca - y * sa + jx, cy + x * sa + y * ca + jy);
    }
    // Inverse mapping: from photo pixels back to document pixels.
    let src = [(0.0, 0.0), (dw, 0.0), (dw, dh), (0.0, dh)];
    let hm = homography(dst, src);
    let table = rng.range(60.0, 140.0);
    let grain = rng.range(4.0, 12.0);
    let mut photo = Plane::new(w, h);
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f64, y as f64);
            let d = hm[6] * fx + hm[7] * fy + hm[8];
            let u = ((hm[0] * fx + hm[1] * fy + hm[2]) / d) as f32;
            let v = ((hm[3] * fx + hm[4] * fy + hm[5]) / d) as f32;
            let bg = table
                + ((x as f32 * 0.013 * scale.recip()).sin() * (y as f32 * 0.002).cos()) * grain;
            photo.data[y * w + x] = doc.sample(u, v, bg);
        }
    }
    // Even illumination falls off towards the corners.
    let light_cx = rng.range(0.3, 0.7) * w as f32;
    let light_cy = rng.range(0.3, 0.7) * h as f32;
    let diag = (w * w + h * h) as f32;
    for y in 0..h {
        for x in 0..w {
            let r2 = ((x as f32 - light_cx).powi(2) + (y as f32 - light_cy).powi(2)) / diag;
            photo.data[y * w + x] *= opts.brightness * (1.0 - 0.25 * r2);
        }
    }
    // Glare is light reflected whatever the paper's tint: it clips every channel.
    let mut glare = Plane::new(w, h);
    if opts.glare > 0.0 {
        let (gx, gy) = if opts.glare_on_mrz {
            // Over the zone: near the bottom of the document.
            let v = dh * 0.88;
            let u = dw * rng.range(0.3, 0.7);
            let (x, y) = (u * s - cw / 2.0, v * s - ch / 2.0);
            (cx + x * ca - y * sa, cy + x * sa + y * ca)
        } else {
            (
                cx + rng.range(-0.3, 0.3) * cw,
                cy + rng.range(-0.35, 0.0) * ch,
            )
        };
        let radius = rng.range(0.12, 0.2) * cw;
        for y in 0..h {
            for x in 0..w {
                let r2 = ((x as f32 - gx).powi(2) + (y as f32 - gy).powi(2)) / (radius * radius);
                glare.data[y * w + x] = (-r2).exp() * opts.glare * 255.0;
            }
        }
    }
    if opts.blur_sigma > 0.0 {
        let sigma = opts.blur_sigma * scale;
        // Three box passes of radius r give variance 3·((2r+1)²−1)/12 = r(r+1).
        let r = ((sigma * sigma + 0.25).sqrt() - 0.5).round().max(1.0) as usize;
        photo = vision::box_blur(&photo, r, 3);
    }
    for v in &mut photo.data {
        *v = (*v + rng.normal() * opts.noise).clamp(0.0, 255.0);
    }
    // A warm tint, so the loader's colour-to-gray conversion is exercised.
    let tint = [1.0, rng.range(0.94, 1.0), rng.range(0.85, 0.95)];
    let gray: GrayImage = photo.to_gray();
    RgbImage::from_fn(opts.width, opts.height, |x, y| {
        let g = f32::from(gray.get_pixel(x, y)[0]);
        let light = glare.data[y as usize * w + x as usize];
        Rgb([
            (g * tint[0] + light).min(255.0) as u8,
            (g * tint[1] + light).min(255.0) as u8,
            (g * tint[2] + light).min(255.0) as u8,
        ])
    })
}

/// One generated photo and the truth about it.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub condition: Condition,
    pub identity: Identity,
    pub lines: Vec<String>,
    pub expired: bool,
    pub jpeg: Vec<u8>,
}

/// Generates `per_condition` photos for each condition, cycling document formats; every fourth
/// document of a condition is expired relative to `today`.
pub fn generate(
    seed: u64,
    per_condition: usize,
    conditions: &[Condition],
    width: u32,
    height: u32,
    today: NaiveDate,
) -> Result<Vec<Sample>, CorpusError> {
    let fonts = Fonts::load()?;
    let formats = [
        MrzFormat::Td1,
        MrzFormat::Td3,
        MrzFormat::FrenchIdCard1988,
        MrzFormat::Td2,
    ];
    let mut out = Vec::new();
    for (ci, &condition) in conditions.iter().enumerate() {
        for i in 0..per_condition {
            let s = seed
                .wrapping_mul(1_000_003)
                .wrapping_add((ci * 10_000 + i) as u64);
            let mut rng = Rng::new(s);
            let format = formats[i % formats.len()];
            let expired = i % 4 == 3;
            let identity = Identity::random(&mut rng, format, expired, today);
            let lines = identity.mrz_lines();
            let opts = condition.options(&mut rng, width, height);
            let jpeg = render_photo(&lines, format, &opts, &fonts, s)?;
            out.push(Sample {
                name: format!("{}-{i:03}-{format:?}", condition.label().replace(' ', "_")),
                condition,
                identity,
                lines,
                expired,
                jpeg,
            });
        }
    }
    Ok(out)
}

/// The French 2021 ID card specimen of DOMAIN.md as a sharp 2000×1300 phone photo (JPEG), for
/// demos: `ocr::corpus::specimen_photo()`.
pub fn specimen_photo() -> Result<Vec<u8>, CorpusError> {
    let fonts = Fonts::load()?;
    let lines: Vec<String> = [
        "IDFRAX4RTBPFW46<<<<<<<<<<<<<<<",
        "9007138F3002119FRA<<<<<<<<<<<6",
        "MARTIN<<MAELYS<GAELLE<MARIE<<<",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    render_photo(
        &lines,
        MrzFormat::Td1,
        &PhotoOptions::default(),
        &fonts,
        2021,
    )
}

/// Zone lines alone, dark on white, in the font at `font_path` at the zone's pitch, with the
/// font's em `em_px` high (for tests of the glyph measures).
#[cfg(test)]
pub(crate) fn render_zone(
    lines: &[&str],
    font_path: &str,
    em_px: f32,
) -> Result<Plane, CorpusError> {
    let font = Font::load(font_path)?;
    let pitch = em_px * 2.54 / 3.9;
    let gap = em_px * 4.6 / 3.9;
    let width = lines.iter().map(|l| l.len()).max().unwrap_or(0);
    let w = (pitch * (width as f32 + 4.0)) as usize;
    let h = (gap * (lines.len() as f32 + 1.0)) as usize;
    let mut p = Plane::new(w, h);
    p.data.fill(235.0);
    for (i, line) in lines.iter().enumerate() {
        let y = gap * (i as f32 + 1.0);
        font.draw(&mut p, line, pitch * 2.0, y, em_px, 30.0, Some(pitch));
    }
    Ok(p)
}
