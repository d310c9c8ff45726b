//! Development aid: prints the zone readings of a photo and the glyphs measured on its band.
//! `cargo run -p ocr --example glyphs -- photo.jpg`
fn main() {
    let input = std::env::args().nth(1).expect("photo path");
    let bytes = std::fs::read(&input).expect("readable");
    let gray = ocr::load::load_gray(&bytes, &ocr::InputLimits::default()).expect("image");
    print!("{}", ocr::pipeline::debug_glyphs(&gray));
}
