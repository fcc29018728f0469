//! Peak memory of a groupgate load: `bench-memory SNAPSHOT.json` or `bench-memory FILE.ggc`
//! (compiled bytes, SPEC §7.5, restored with `Engine::from_compiled`).
//!
//! Reads the file, then loads it, and prints the process's resident memory
//! (`VmRSS`) and peak (`VmHWM`) from `/proc/self/status` after each step, beside the size of the
//! snapshot text. Run one load per process, so the peak is this load's.

use std::time::Instant;

use groupgate::{Engine, LoadOptions};

/// `VmRSS` and `VmHWM` in bytes (zero where `/proc` is missing).
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: bench-memory SNAPSHOT.json");
        std::process::exit(2);
    };
    let (start_rss, _) = memory();
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("bench-memory: {path}: {error}");
            std::process::exit(2);
        }
    };
    let (text_rss, _) = memory();
    let start = Instant::now();
    let loaded = if path.ends_with(".ggc") {
        Engine::from_compiled(&text)
    } else {
        match std::str::from_utf8(&text) {
            Ok(json) => Engine::from_json(json, LoadOptions::default()),
            Err(error) => {
                eprintln!("bench-memory: {path}: not UTF-8: {error}");
                std::process::exit(2);
            }
        }
    };
    let engine = match loaded {
        Ok(engine) => engine,
        Err(error) => {
            eprintln!("bench-memory: the snapshot does not load: {error:?}");
            std::process::exit(1);
        }
    };
    let load = start.elapsed();
    let (loaded_rss, peak) = memory();
    let size = text.len() as u64;
    drop(text);
    let (engine_rss, _) = memory();
    std::hint::black_box(&engine);
    let users = engine.decide("u0", "p0");
    std::hint::black_box(users);
    println!("snapshot text          {:>9.1} MB", mb(size));
    println!("resident before read  {:>9.1} MB", mb(start_rss));
    println!("resident with text    {:>9.1} MB", mb(text_rss));
    println!(
        "resident after load   {:>9.1} MB (load took {:.0} ms)",
        mb(loaded_rss),
        load.as_secs_f64() * 1e3
    );
    println!(
        "peak during load      {:>9.1} MB = {:.2}× the snapshot text",
        mb(peak),
        peak as f64 / size as f64
    );
    println!(
        "engine alone          {:>9.1} MB (resident after dropping the text, less the start)",
        mb(engine_rss.saturating_sub(start_rss))
    );
}
