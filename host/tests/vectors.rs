//! The vector corpus through the plain module in wasmtime, compared with the native core:
//! every case must pass, and the two answer streams must be identical byte for byte.
//! `VECTORS=substr` keeps only the cases whose name contains it.

mod common;

use std::path::{Path, PathBuf};

use groupgate_host::wasm::WasmBackend;
use groupgate_vectors::{run_file, CaseOutcome, NativeBackend};

fn vector_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

fn run(path: &Path, backend: &mut dyn groupgate_vectors::Backend) -> Vec<CaseOutcome> {
    let name = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .expect("a UTF-8 file name");
    let text = std::fs::read_to_string(path).expect("the vector file reads");
    let base = path.parent().expect("a parent directory").to_owned();
    let resolve = move |relative: &str| {
        std::fs::read_to_string(base.join(relative)).map_err(|e| format!("{relative}: {e}"))
    };
    let filter = std::env::var("VECTORS").ok();
    run_file(name, &text, &resolve, backend, filter.as_deref())
        .unwrap_or_else(|message| panic!("{message}"))
}

#[test]
fn corpus_through_wasmtime_matches_the_native_core() {
    let files = vector_files();
    assert!(!files.is_empty(), "the corpus is empty");
    let (mut passed, mut failures) = (0, Vec::new());
    for path in &files {
        let native = run(path, &mut NativeBackend::new());
        let mut wasm = WasmBackend::from_module(common::module()).expect("instantiates");
        let hosted = run(path, &mut wasm);
        assert_eq!(native.len(), hosted.len());
        for (native, hosted) in native.iter().zip(&hosted) {
            if let Some(why) = &hosted.failure {
                failures.push(format!(
                    "{}: {why}\n  answer: {}",
                    hosted.name, hosted.answer
                ));
            } else if native.answer != hosted.answer {
                failures.push(format!(
                    "{}: answers differ\n  native: {}\n  wasm:   {}",
                    hosted.name, native.answer, hosted.answer
                ));
            } else {
                passed += 1;
            }
        }
    }
    println!("{passed} passed, {} failed", failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        passed > 0,
        "no case ran (VECTORS={:?})",
        std::env::var("VECTORS").ok()
    );
}
