//! Hostile inputs cost what they should (SPEC §8): each input of `groupgate_host::hostile` is
//! run through the `groupgate` command, natively and inside the WebAssembly module, in a child
//! process with a memory budget (an address-space limit natively, a memory cap on the module
//! in wasmtime) and a generous time budget. Every request must come back as the answer or the
//! error code the input expects; a child that dies, runs out of budget or breaks the one line
//! per answer fails the suite.
//!
//! This is a budget, not a timing: the budgets are ten times or more what the inputs take, and
//! the inputs are sized so that a step that compares every pair would take far longer. Run it
//! with `make test-hostile`, which builds the engine optimized (the `hostile` profile).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde_json::Value;

/// How long one input may take on one host.
const TIME_BUDGET: Duration = Duration::from_secs(120);
/// The address space a native run may use.
const NATIVE_MEMORY: u64 = 3 << 30;
/// The memory the module may grow to.
const WASM_MEMORY: u64 = 2 << 30;

/// Writes the inputs; their folder and names.
fn inputs() -> (PathBuf, Vec<&'static str>) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile");
    let names = groupgate_host::hostile::write(&dir).expect("the inputs are written");
    (dir, names)
}

/// Runs one input on one host; `Err` says what went wrong.
fn run(dir: &Path, name: &str, native: bool) -> Result<(), String> {
    let snapshot = dir.join(format!("{name}.snapshot.json"));
    let cases: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("{name}.cases.json")))
            .map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let exe = env!("CARGO_BIN_EXE_groupgate");
    let mut command = if native {
        let mut c = Command::new("prlimit");
        c.arg(format!("--as={NATIVE_MEMORY}")).arg("--").arg(exe);
        c
    } else {
        let mut c = Command::new(exe);
        c.env("GROUPGATE_WASM_MEMORY_LIMIT", WASM_MEMORY.to_string());
        c
    };
    command.arg("query").arg("--snapshot").arg(&snapshot);
    if native {
        command.arg("--native");
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {exe}: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let requests: Vec<String> = cases.iter().map(|c| c["request"].to_string()).collect();
    let writer = thread::spawn(move || {
        for request in requests {
            if writeln!(stdin, "{request}").is_err() {
                break;
            }
        }
    });
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (done, finished) = mpsc::channel();
    let reader = thread::spawn(move || {
        let lines: Vec<String> = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect();
        let _ = done.send(());
        lines
    });
    if finished.recv_timeout(TIME_BUDGET).is_err() {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("over its time budget of {TIME_BUDGET:?}"));
    }
    let lines = reader.join().map_err(|_| "the reader failed")?;
    let _ = writer.join();
    let status = child.wait().map_err(|e| e.to_string())?;
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut err, &mut stderr);
    }
    if !status.success() {
        return Err(format!(
            "exit {status}: {}",
            stderr.chars().take(400).collect::<String>()
        ));
    }
    if lines.len() != cases.len() {
        return Err(format!(
            "{} answers to {} requests: {}",
            lines.len(),
            cases.len(),
            stderr.chars().take(400).collect::<String>()
        ));
    }
    for (case, line) in cases.iter().zip(&lines) {
        let answer: Value = serde_json::from_str(line)
            .map_err(|e| format!("not one JSON answer per line ({e}): {line:.200}"))?;
        let code = answer["error"]["code"].as_str();
        match (case["expect"].as_str(), code) {
            (Some("answer"), None) => {}
            (Some(want), Some(got)) if want == got => {}
            (want, got) => {
                return Err(format!(
                    "{:.120}: expected {want:?}, got {got:?}: {line:.300}",
                    case["request"].to_string()
                ))
            }
        }
    }
    Ok(())
}

#[test]
#[ignore = "minutes of hostile inputs: `make test-hostile` runs it with the engine optimized"]
fn hostile_inputs_cost_what_they_should() {
    let (dir, names) = inputs();
    let mut failures = Vec::new();
    let mut ran = 0;
    for name in names {
        for native in [true, false] {
            let host = if native { "native" } else { "wasm" };
            let started = std::time::Instant::now();
            match run(&dir, name, native) {
                Ok(()) => println!("{host} {name}: ok in {:?}", started.elapsed()),
                Err(why) => failures.push(format!("{host} {name}: {why}")),
            }
            ran += 1;
        }
    }
    assert!(ran >= 16, "only {ran} runs");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
