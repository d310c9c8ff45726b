// `sqlx::migrate!` embeds the vault's migration at compile time: rebuild when it changes.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
