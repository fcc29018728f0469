//! Writes one workload snapshot to standard output: `gen SIZE SEED`.

use std::io::Write as _;

fn main() {
    let mut args = std::env::args().skip(1);
    let size = args.next().unwrap_or_else(|| "small".to_string());
    let seed = args.next().and_then(|seed| seed.parse().ok()).unwrap_or(1);
    match groupgate_workload::generate(&size, seed) {
        Ok(text) => {
            let _ = std::io::stdout().write_all(text.as_bytes());
        }
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    }
}
