#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]
//! The core's modules import one way, from the leaves up (ARCHITECTURE.md, "Layers"), and
//! the core does no I/O: this test reads `src/` and fails when a module names one above it,
//! or when core code reaches for files, the network, clocks, the environment or randomness.

use std::fs;
use std::path::{Path, PathBuf};

/// Each top-level module and its layer; a module may only use modules of lower layers.
const LAYERS: &[(&str, u32)] = &[
    ("error", 0),
    ("limits", 0),
    ("hash", 0),
    ("text", 0),
    ("time", 0),
    ("ids", 1),
    ("json", 1),
    ("sets", 2),
    ("rules", 3),
    ("snapshot", 4),
    ("model", 5),
    ("access", 6),
    ("listing", 6),
    ("lint", 6),
    ("homepage", 7),
    ("suggest", 7),
    ("impact", 7),
    ("api", 8),
    ("abi", 9),
    ("js", 9),
];

fn layer(module: &str) -> Option<u32> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to: `src/model/attrs.rs` → `model`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel.components().next().expect("a component");
    first
        .as_os_str()
        .to_str()
        .expect("utf-8")
        .trim_end_matches(".rs")
        .to_owned()
}

/// Every `crate::name` a file mentions, outside comments.
fn crate_uses(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
            rest = after;
        }
        // `use crate::{a, b}` lists several.
        if let Some(at) = code.find("crate::{") {
            let inside = &code[at + "crate::{".len()..];
            for part in inside.split(['}', ',']) {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        }
    }
    out
}

#[test]
fn modules_import_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 20, "only {} files under src", files.len());
    let mut problems = Vec::new();
    for file in &files {
        let module = module_of(&src, file);
        if module == "lib" {
            continue;
        }
        let Some(own) = layer(&module) else {
            problems.push(format!(
                "{}: module `{module}` has no layer",
                file.display()
            ));
            continue;
        };
        let text = fs::read_to_string(file).expect("readable");
        for used in crate_uses(&text) {
            if used == module || used == "self" {
                continue;
            }
            // Items re-exported at the crate root are named by their own modules here.
            match layer(&used) {
                Some(theirs) if theirs < own => {}
                Some(theirs) => problems.push(format!(
                    "{}: `{module}` (layer {own}) uses `{used}` (layer {theirs})",
                    file.display()
                )),
                None => problems.push(format!(
                    "{}: `{module}` uses `crate::{used}`, which is not a module with a layer",
                    file.display()
                )),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_core_does_no_io() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let forbidden = [
        "std::fs",
        "std::net",
        "std::time",
        "std::env",
        "std::process",
        "std::thread",
        "SystemTime",
        "Instant::now",
        "RandomState",
        "getrandom",
    ];
    let mut problems = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).expect("readable");
        // Unit tests may read the corpus from disk.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for word in forbidden {
            if code.contains(word) {
                problems.push(format!("{} mentions `{word}`", file.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
