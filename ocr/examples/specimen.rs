//! Writes the French ID card specimen photo and checks it: `cargo run -p ocr --features corpus --example specimen -- out.jpg`.
fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "specimen.jpg".to_owned());
    let jpeg = ocr::corpus::specimen_photo().expect("fonts installed");
    std::fs::write(&path, &jpeg).expect("writable");
    let req = ocr::CheckRequest {
        expected_name: Some(ocr::ExpectedName::new("Martin", "Maëlys")),
        valid_until: None,
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("date"),
    };
    let v = ocr::check_document(&jpeg, &req).expect("usable image");
    println!("{path}\n{}", v.human_summary());
}
