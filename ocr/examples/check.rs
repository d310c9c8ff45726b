//! Checks photos as the CLI will: `cargo run -p ocr --example check -- FILE... [--name "Given SURNAME"]`.
fn main() {
    let mut files = Vec::new();
    let mut name = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--name" {
            name = args.next().map(|n| ocr::ExpectedName::from_full_name(&n));
        } else {
            files.push(a);
        }
    }
    let req = ocr::CheckRequest {
        expected_name: name,
        valid_until: None,
        today: chrono::Utc::now().date_naive(),
    };
    for f in files {
        let bytes = std::fs::read(&f).expect("readable");
        match ocr::check_document(&bytes, &req) {
            Ok(v) => println!("== {f}\n{}", v.human_summary()),
            Err(e) => println!("== {f}\n{} ({})", e.message_fr(), e.code()),
        }
    }
}
