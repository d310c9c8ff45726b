//! Input loading: format sniffing, size limits checked before decoding, EXIF orientation.

use std::io::Cursor;

use image::{DynamicImage, GrayImage, ImageDecoder, ImageFormat, ImageReader};

use crate::OcrError;

/// Limits applied before any pixel is decoded.
#[derive(Debug, Clone, Copy)]
pub struct InputLimits {
    pub max_bytes: usize,
    pub max_pixels: u64,
    pub max_side: u32,
}

impl Default for InputLimits {
    fn default() -> Self {
        Self {
            max_bytes: 25 * 1024 * 1024,
            max_pixels: 50_000_000,
            max_side: 12_000,
        }
    }
}

/// Decodes JPEG, PNG, WebP or TIFF bytes to an upright grayscale image.
pub fn load_gray(bytes: &[u8], limits: &InputLimits) -> Result<GrayImage, OcrError> {
    Ok(load(bytes, limits)?.into_luma8())
}

/// Decodes JPEG, PNG, WebP or TIFF bytes to an upright image.
pub fn load(bytes: &[u8], limits: &InputLimits) -> Result<DynamicImage, OcrError> {
    if bytes.is_empty() {
        return Err(OcrError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(OcrError::TooLarge {
            bytes: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let format = image::guess_format(bytes).map_err(|_| OcrError::NotAnImage)?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Tiff
    ) {
        return Err(OcrError::NotAnImage);
    }
    let reader = || {
        let mut r = ImageReader::with_format(Cursor::new(bytes), format);
        let mut l = image::Limits::default();
        l.max_image_width = Some(limits.max_side);
        l.max_image_height = Some(limits.max_side);
        l.max_alloc = Some(limits.max_pixels.saturating_mul(4).saturating_add(64 << 20));
        r.limits(l);
        r
    };
    // The header alone is read here, so no limit is needed yet: ours follow, with the real size.
    let mut header = ImageReader::with_format(Cursor::new(bytes), format);
    header.no_limits();
    let (width, height) = header
        .into_dimensions()
        .map_err(|e| dimension_error(e, limits))?;
    if u64::from(width) * u64::from(height) > limits.max_pixels
        || width > limits.max_side
        || height > limits.max_side
    {
        return Err(OcrError::TooManyPixels {
            width,
            height,
            max_pixels: limits.max_pixels,
        });
    }
    if width == 0 || height == 0 {
        return Err(OcrError::Corrupt("empty image".to_owned()));
    }
    if format == ImageFormat::Jpeg && !jpeg_has_end_marker(bytes) {
        return Err(OcrError::Corrupt("the JPEG data ends early".to_owned()));
    }
    let mut decoder = reader()
        .into_decoder()
        .map_err(|e| OcrError::Corrupt(e.to_string()))?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => OcrError::TooManyPixels {
            width,
            height,
            max_pixels: limits.max_pixels,
        },
        e => OcrError::Corrupt(e.to_string()),
    })?;
    img.apply_orientation(orientation);
    Ok(img)
}

fn dimension_error(e: image::ImageError, limits: &InputLimits) -> OcrError {
    match e {
        image::ImageError::Limits(_) => OcrError::TooManyPixels {
            width: 0,
            height: 0,
            max_pixels: limits.max_pixels,
        },
        image::ImageError::Unsupported(_) => OcrError::NotAnImage,
        e => OcrError::Corrupt(e.to_string()),
    }
}

/// A complete JPEG ends with EOI (FF D9); some encoders append a few bytes after it.
fn jpeg_has_end_marker(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(4096)..];
    tail.windows(2).any(|w| w == [0xFF, 0xD9])
}
