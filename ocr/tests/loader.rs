//! Unusable input gets a clear error, never a panic.

use std::io::Cursor;

use image::{GrayImage, ImageFormat, Luma};
use ocr::load::load;
use ocr::{CheckRequest, InputLimits, OcrError, check_document};
use proptest::prelude::*;

fn request() -> CheckRequest {
    CheckRequest {
        expected_name: None,
        valid_until: None,
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
    }
}

fn encoded(format: ImageFormat) -> Vec<u8> {
    let img = GrayImage::from_fn(64, 48, |x, y| Luma([((x * 7 + y * 3) % 255) as u8]));
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageLuma8(img)
        .to_rgb8()
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A small PNG whose header claims `w × h` pixels: a decompression bomb's calling card.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut png = encoded(ImageFormat::Png);
    // The IHDR chunk data starts at byte 16 (8 signature + 4 length + 4 type).
    png[16..20].copy_from_slice(&w.to_be_bytes());
    png[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

#[test]
fn an_empty_file_is_refused_as_empty() {
    let e = check_document(&[], &request()).unwrap_err();
    assert!(matches!(e, OcrError::Empty));
    assert_eq!(e.code(), "empty_file");
    assert_eq!(e.exit_code(), 3);
}

#[test]
fn a_text_file_is_refused_as_not_an_image() {
    let e = check_document(b"Bonjour, voici ma carte d'identite.\n", &request()).unwrap_err();
    assert_eq!(e.code(), "not_an_image");
    assert!(e.message_fr().contains("n'est pas une image"));
}

#[test]
fn a_20000_by_20000_png_bomb_is_refused_before_decoding() {
    let bomb = png_claiming(20_000, 20_000);
    let start = std::time::Instant::now();
    let e = check_document(&bomb, &request()).unwrap_err();
    assert!(
        matches!(
            e,
            OcrError::TooManyPixels {
                width: 20_000,
                height: 20_000,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.code(), "image_too_large");
    assert!(start.elapsed().as_millis() < 200);
}

#[test]
fn a_truncated_jpeg_is_refused_as_corrupt() {
    let jpeg = encoded(ImageFormat::Jpeg);
    let e = check_document(&jpeg[..jpeg.len() / 2], &request()).unwrap_err();
    assert_eq!(e.code(), "corrupt_image", "{e:?}");
}

#[test]
fn a_truncated_png_is_refused_as_corrupt() {
    let png = encoded(ImageFormat::Png);
    let e = check_document(&png[..png.len() - 20], &request()).unwrap_err();
    assert_eq!(e.code(), "corrupt_image", "{e:?}");
}

#[test]
fn a_file_over_the_byte_limit_is_refused_without_reading_it() {
    let limits = InputLimits {
        max_bytes: 1000,
        ..InputLimits::default()
    };
    let e = load(&vec![0xFF; 2000], &limits).unwrap_err();
    assert_eq!(e.code(), "file_too_large");
}

#[test]
fn png_webp_and_tiff_images_load() {
    for format in [ImageFormat::Png, ImageFormat::Tiff, ImageFormat::Jpeg] {
        let img = load(&encoded(format), &InputLimits::default()).unwrap();
        assert_eq!((img.width(), img.height()), (64, 48), "{format:?}");
    }
    let mut webp = Cursor::new(Vec::new());
    let img = image::RgbaImage::from_pixel(10, 8, image::Rgba([200, 10, 10, 255]));
    img.write_to(&mut webp, ImageFormat::WebP).unwrap();
    let loaded = load(webp.get_ref(), &InputLimits::default()).unwrap();
    assert_eq!((loaded.width(), loaded.height()), (10, 8));
}

/// A JPEG with an EXIF block saying "rotate 90° clockwise" (orientation 6).
fn jpeg_with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\0\x2a\0\0\0\x08");
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&0x0112u16.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes());
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[test]
fn the_exif_orientation_of_a_phone_photo_is_applied() {
    let rotated = jpeg_with_orientation(&encoded(ImageFormat::Jpeg), 6);
    let img = load(&rotated, &InputLimits::default()).unwrap();
    assert_eq!((img.width(), img.height()), (48, 64));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_loader_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = load(&bytes, &InputLimits::default());
    }

    #[test]
    fn the_loader_never_panics_on_damaged_images(
        cut in 0usize..2000,
        flips in proptest::collection::vec((0usize..4000, any::<u8>()), 0..8),
        format in prop_oneof![Just(ImageFormat::Png), Just(ImageFormat::Jpeg), Just(ImageFormat::Tiff)],
    ) {
        let mut bytes = encoded(format);
        for (at, v) in flips {
            let n = bytes.len();
            bytes[at % n] = v;
        }
        bytes.truncate(cut.max(1).min(bytes.len()));
        let _ = load(&bytes, &InputLimits::default());
    }
}
