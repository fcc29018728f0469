//! Prints the native core's answer to every case of a vector directory, as one JSON object
//! `{ "file/case": "answer text", ... }`, for runners on other hosts to compare byte for byte.
//!
//!     cargo run -q -p groupgate-host --example native-answers -- tests/vectors

use std::path::{Path, PathBuf};

use groupgate_vectors::{run_file, NativeBackend};
use serde_json::{Map, Value};

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tests/vectors".to_owned());
    match answers(Path::new(&dir)) {
        Ok(answers) => println!("{}", Value::Object(answers)),
        Err(message) => {
            eprintln!("native-answers: {message}");
            std::process::exit(1);
        }
    }
}

fn answers(dir: &Path) -> Result<Map<String, Value>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let mut answers = Map::new();
    for path in files {
        let name = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .ok_or_else(|| format!("{}: not a UTF-8 name", path.display()))?;
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let base = dir.to_owned();
        let resolve = move |relative: &str| {
            std::fs::read_to_string(base.join(relative)).map_err(|e| format!("{relative}: {e}"))
        };
        for outcome in run_file(name, &text, &resolve, &mut NativeBackend::new(), None)? {
            answers.insert(outcome.name, Value::String(outcome.answer));
        }
    }
    Ok(answers)
}
