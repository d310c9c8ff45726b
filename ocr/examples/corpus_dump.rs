//! Development aid: writes generated corpus photos as JPEG files.
//! `cargo run -p ocr --features corpus --example corpus_dump -- OUT_DIR [PER_CONDITION]`
fn main() {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "/tmp/corpus".to_owned());
    let n: usize = args.next().and_then(|v| v.parse().ok()).unwrap_or(2);
    std::fs::create_dir_all(&out).expect("output dir");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
    let samples = ocr::corpus::generate(
        20_261_125,
        n,
        &ocr::corpus::Condition::ALL,
        2000,
        1300,
        today,
    )
    .expect("fonts installed");
    for s in samples {
        std::fs::write(format!("{out}/{}.jpg", s.name), &s.jpeg).expect("writable");
        println!("{} {:?} expired={}", s.name, s.lines, s.expired);
    }
}
