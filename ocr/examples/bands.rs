//! Development aid: writes the band crops of a photo as PNG and prints their OCR text.
//! `cargo run -p ocr --example bands -- photo.jpg /tmp/out`
fn main() {
    let mut args = std::env::args().skip(1);
    let input = args.next().expect("photo path");
    let out = args.next().unwrap_or_else(|| "/tmp/bands".to_owned());
    std::fs::create_dir_all(&out).expect("output dir");
    let bytes = std::fs::read(&input).expect("readable");
    let mut gray = ocr::load::load_gray(&bytes, &ocr::InputLimits::default()).expect("image");
    if let Some(angle) = args.next().and_then(|a| a.parse::<f32>().ok()) {
        gray = ocr::pipeline::debug_straighten(&gray, angle);
    }
    gray.save(format!("{out}/input.png")).expect("png");
    for (i, (img, text)) in ocr::pipeline::debug_bands(&gray).iter().enumerate() {
        img.save(format!("{out}/band{i}.png")).expect("png");
        println!("--- band {i}: {text}");
    }
}
