//! One libtesseract engine per OS thread, created on first use and reused.

use std::cell::RefCell;

use image::GrayImage;
use tesseract::{PageSegMode, Tesseract};

use crate::OcrError;

const WHITELIST: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<";

thread_local! {
    static ENGINE: RefCell<Option<Tesseract>> = const { RefCell::new(None) };
}

#[allow(unsafe_code)]
mod omp {
    use std::os::raw::c_int;

    #[link(name = "gomp")]
    unsafe extern "C" {
        fn omp_set_num_threads(n: c_int);
        fn omp_set_max_active_levels(levels: c_int);
    }

    /// Tesseract's OpenMP threads cost more than they give on a shared machine (390 → 53 ms per
    /// band with one thread). `OMP_THREAD_LIMIT` is read when libgomp loads, too early for a
    /// library to set it; tesseract asks for explicit team sizes, which `omp_set_num_threads`
    /// does not cap, but no parallel region is active when the active-level limit is 0.
    pub(super) fn single_thread() {
        // SAFETY: both calls only write OpenMP's internal control variables; they take plain
        // integers and have no preconditions.
        unsafe {
            omp_set_num_threads(1);
            omp_set_max_active_levels(0);
        }
    }
}

fn new_engine() -> Result<Tesseract, OcrError> {
    omp::single_thread();
    let mut t = Tesseract::new(None, Some("eng"))
        .map_err(|e| OcrError::Engine(e.to_string()))?
        .set_variable("tessedit_char_whitelist", WHITELIST)
        .and_then(|t| t.set_variable("debug_file", "/dev/null"))
        .map_err(|e| OcrError::Engine(e.to_string()))?;
    t.set_page_seg_mode(PageSegMode::PsmSingleBlock);
    Ok(t)
}

/// Text read from a band image, with tesseract's mean confidence (0–100).
pub(crate) struct Reading {
    pub text: String,
    pub confidence: i32,
}

/// Reads the text of a band with the thread's engine.
pub(crate) fn read_band(img: &GrayImage) -> Result<Reading, OcrError> {
    ENGINE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let engine = match slot.take() {
            Some(e) => e,
            None => new_engine()?,
        };
        let (w, h) = (img.width() as i32, img.height() as i32);
        let mut engine = engine
            .set_frame(img.as_raw(), w, h, 1, w)
            .map_err(|e| OcrError::Engine(e.to_string()))?
            .set_source_resolution(300)
            .recognize()
            .map_err(|e| OcrError::Engine(e.to_string()))?;
        let text = engine
            .get_text()
            .map_err(|e| OcrError::Engine(e.to_string()))?;
        let confidence = engine.mean_text_conf();
        *slot = Some(engine);
        Ok(Reading { text, confidence })
    })
}
