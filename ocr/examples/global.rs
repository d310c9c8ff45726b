//! Development aid: prints whole-photo quality measures of each file given.
fn main() {
    for f in std::env::args().skip(1) {
        let bytes = std::fs::read(&f).expect("readable");
        let gray = ocr::load::load_gray(&bytes, &ocr::InputLimits::default()).expect("image");
        println!("{f}: {}", ocr::pipeline::debug_global(&gray));
    }
}
