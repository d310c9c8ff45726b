//! Development aid: parses zone text from standard input and prints the result.
use std::io::Read;
fn main() {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).expect("stdin");
    match ocr::Mrz::parse(&text) {
        Ok(m) => println!("{m:#?}"),
        Err(e) => println!("{e}"),
    }
}
