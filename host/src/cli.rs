//! The `groupgate` command: argument parsing and the `query`, `compile`, `vectors`, `gen`,
//! `demo` and `serve` subcommands.
//!
//! [`run`] takes the arguments and the three standard streams and returns the exit status, so
//! the whole command can be driven from tests. Exit statuses: 0 success, 1 failing vectors or an
//! I/O failure, 2 misuse or a snapshot that fails to load.

use std::fs;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use groupgate::{error_answer_json, Error, ErrorCode};
use groupgate_vectors::{run_file, Backend};
use serde_json::Value;

use crate::demo;
use crate::native::NativeBackend;
use crate::serve;
use crate::wasm::WasmBackend;

/// The usage text of `groupgate --help`.
pub const USAGE: &str = "\
groupgate: group-based access evaluation over a tenant snapshot

Usage:
  groupgate query --snapshot FILE [--native] [--strict]
  groupgate query --compiled FILE.ggc [--native]
      Read requests as JSON Lines on standard input, write one answer per line;
      an `apply` line changes what the following lines see.
  groupgate compile --snapshot FILE --out FILE.ggc [--native] [--strict]
      Compile a snapshot into bytes that load without parsing JSON.
  groupgate vectors DIR [--native]
      Run every *.json test-vector file directly in DIR; VECTORS=substr keeps matching cases.
  groupgate gen --size small|medium|large|huge [--seed N]
      Write the synthetic benchmark tenant of that size to standard output.
  groupgate demo [--native]
      A short tour of the answers over the bundled sample tenant.
  groupgate serve (--snapshot FILE [--strict] | --compiled FILE.ggc) [--listen ADDR]
                  [--admin-token-file FILE] [--quiet] [limits]
      Answer over HTTP with the native engine, on 127.0.0.1:8181 unless --listen says
      otherwise (port 0 picks a free one; the address is logged at start):
        GET  /check?user=U&product=P   200 allowed, 403 denied: nginx auth_request,
                                       Traefik forwardAuth, Envoy ext_authz; the ids
                                       may come as X-User / X-Product headers instead
        GET  /allow?user=U&product=P   the same status, a short body
        POST /access/v1/evaluation     AuthZEN Authorization API 1.0: subject {type:\"user\"},
        POST /access/v1/evaluations    resource {type:\"product\"} or {type:\"permission\"}
        POST /v1/query                 a request of the contract, or a JSON array of them
        GET  /healthz, GET /metrics    the revision; Prometheus metrics
      With --admin-token-file (a file holding one token), and the header
      `Authorization: Bearer TOKEN`:
        POST /v1/apply                 {\"changes\":[...],\"revision\"?,\"base\"?}
        POST /v1/reload                reread the file given at start, or the body's
                                       {\"snapshot\":PATH} / {\"compiled\":PATH}; SIGHUP too
        GET  /v1/export                the engine as compiled bytes, for `--compiled`
      Limits: --max-body-bytes N (16 MiB), --max-header-bytes N (16 KiB),
      --header-timeout-ms N (10000), --request-timeout-ms N (30000),
      --max-connections N (1024), --threads N. One JSON log line per request on
      standard error unless --quiet. SIGTERM or Ctrl-C stops after answering what is
      under way.

Options:
  --native    run the core compiled natively instead of the WebAssembly module
              (by default the module $GROUPGATE_WASM, else target/abi/groupgate.wasm
              as built by `make wasm-abi`, runs in wasmtime; $GROUPGATE_WASM_MEMORY_LIMIT,
              in bytes, caps how far its memory may grow)
  --strict    refuse a snapshot with error-severity diagnostics
  -h, --help  show this text
  -V, --version

Exit status: 0 success, 1 failing vectors or an I/O failure,
2 misuse or a snapshot that fails to load (the error answer goes to standard error).
";

/// The seed `gen` uses when `--seed` is not given.
pub const DEFAULT_SEED: u64 = 1;

/// Standard input as the command reads it: buffered, and able to tell whether more input is
/// already buffered, so answers are flushed exactly when the client may be waiting for them.
pub trait Input: BufRead {
    /// Whether a read would be answered from the buffer without waiting.
    fn has_buffered(&self) -> bool;
}

impl<R: Read> Input for BufReader<R> {
    fn has_buffered(&self) -> bool {
        !self.buffer().is_empty()
    }
}

impl Input for &[u8] {
    fn has_buffered(&self) -> bool {
        !self.is_empty()
    }
}

/// Runs the command with `args` (without the program name) and returns the exit status.
pub fn run(
    args: &[String],
    stdin: &mut dyn Input,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> i32 {
    let Some((command, rest)) = args.split_first() else {
        let _ = write!(stderr, "{USAGE}");
        return 2;
    };
    if rest.iter().any(|a| a == "-h" || a == "--help") {
        let _ = write!(stdout, "{USAGE}");
        return 0;
    }
    let result = match command.as_str() {
        "-h" | "--help" | "help" => {
            let _ = write!(stdout, "{USAGE}");
            return 0;
        }
        "-V" | "--version" => {
            let _ = writeln!(stdout, "groupgate {}", groupgate::VERSION);
            return 0;
        }
        "query" => Query::parse(rest).map(|q| q.run(stdin, stdout, stderr)),
        "compile" => Compile::parse(rest).map(|c| c.run(stderr)),
        "vectors" => Vectors::parse(rest).map(|v| v.run(stdout, stderr)),
        "gen" => Gen::parse(rest).map(|g| g.run(stdout, stderr)),
        "serve" => serve::Config::parse(rest).map(|config| serve::run(config, stderr)),
        "demo" => parse_demo(rest).map(|native| {
            // The tour is about the answers, which are the same on every engine: without the
            // module it runs natively rather than not at all.
            let mut backend = choose_backend(native).unwrap_or_else(|_| {
                let _ = writeln!(
                    stderr,
                    "groupgate: the WebAssembly module is not built; touring with the native core"
                );
                Box::new(NativeBackend::new())
            });
            demo::run(backend.as_mut(), stdout, stderr)
        }),
        other => {
            let _ = write!(stderr, "groupgate: unknown command `{other}`\n\n{USAGE}");
            return 2;
        }
    };
    match result {
        Ok(status) => status,
        Err(message) => {
            let _ = writeln!(
                stderr,
                "groupgate: {message}\nRun `groupgate --help` for usage."
            );
            2
        }
    }
}

/// The engine to run: the native core with `--native`, else the WebAssembly module in
/// wasmtime.
///
/// # Errors
///
/// When the WebAssembly module cannot be found or started: says how to build it.
pub fn choose_backend(native: bool) -> Result<Box<dyn Backend>, String> {
    if native {
        return Ok(Box::new(NativeBackend::new()));
    }
    let wasm = WasmBackend::new().map_err(|e| {
        format!("cannot start the WebAssembly module: {e}\nBuild it with `make wasm-abi`, or pass `--native`.")
    })?;
    Ok(Box::new(wasm))
}

/// Splits `--name=value` into its two halves, and takes the value of `--name value` from `rest`.
pub(crate) fn option_value<'a>(
    arg: &'a str,
    name: &str,
    rest: &mut impl Iterator<Item = &'a String>,
) -> Option<Result<&'a str, String>> {
    if arg == name {
        return Some(
            rest.next()
                .map(String::as_str)
                .ok_or_else(|| format!("`{name}` needs a value")),
        );
    }
    arg.strip_prefix(name)
        .and_then(|tail| tail.strip_prefix('='))
        .map(Ok)
}

/// `--snapshot FILE` or `--compiled FILE`, when `arg` is either.
pub(crate) fn source_option<'a>(
    arg: &'a str,
    rest: &mut impl Iterator<Item = &'a String>,
) -> Option<Result<Source, String>> {
    if let Some(value) = option_value(arg, "--snapshot", rest) {
        return Some(value.map(|v| Source::Snapshot(PathBuf::from(v))));
    }
    option_value(arg, "--compiled", rest)
        .map(|value| value.map(|v| Source::Compiled(PathBuf::from(v))))
}

/// The source `command` was given; `--strict` belongs to snapshots, not to compiled bytes.
pub(crate) fn required_source(
    command: &str,
    source: Option<Source>,
    strict: bool,
) -> Result<Source, String> {
    let source = source
        .ok_or_else(|| format!("{command}: `--snapshot FILE` or `--compiled FILE` is required"))?;
    if strict && matches!(source, Source::Compiled(_)) {
        return Err(format!(
            "{command}: `--strict` is chosen when compiling, not with `--compiled`"
        ));
    }
    Ok(source)
}

/// Where `query`, `compile` and `serve` take the tenant from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A snapshot as JSON text.
    Snapshot(PathBuf),
    /// Compiled-snapshot bytes (SPEC §7.5).
    Compiled(PathBuf),
}

struct Query {
    source: Source,
    native: bool,
    strict: bool,
}

impl Query {
    fn parse(args: &[String]) -> Result<Query, String> {
        let mut source = None;
        let (mut native, mut strict) = (false, false);
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            if let Some(value) = source_option(arg, &mut iter) {
                source = Some(value?);
            } else if arg == "--native" {
                native = true;
            } else if arg == "--strict" {
                strict = true;
            } else {
                return Err(format!("query: unexpected argument `{arg}`"));
            }
        }
        let source = required_source("query", source, strict)?;
        Ok(Query {
            source,
            native,
            strict,
        })
    }

    fn run(self, stdin: &mut dyn Input, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
        let mut backend = match choose_backend(self.native) {
            Ok(backend) => backend,
            Err(message) => {
                let _ = writeln!(stderr, "groupgate: {message}");
                return 2;
            }
        };
        let load_answer = match load_source(backend.as_mut(), &self.source, self.strict) {
            Ok(answer) => answer,
            Err(answer) => {
                let _ = writeln!(stderr, "{answer}");
                return 2;
            }
        };
        let loaded: Option<Value> = serde_json::from_str(&load_answer).ok();
        if loaded
            .as_ref()
            .is_none_or(|answer| answer.get("error").is_some())
        {
            let _ = writeln!(stderr, "{load_answer}");
            return 2;
        }
        let revision = loaded
            .as_ref()
            .and_then(|answer| answer.get("revision"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        match answer_lines(backend.as_mut(), revision.as_deref(), stdin, stdout) {
            Ok(()) => 0,
            Err(e) if e.kind() == ErrorKind::BrokenPipe => 0,
            Err(e) => {
                let _ = writeln!(stderr, "groupgate: {e}");
                1
            }
        }
    }
}

/// Loads the tenant from `source`: the load answer (which may be an error answer), or the error
/// answer when the file cannot be read.
fn load_source(backend: &mut dyn Backend, source: &Source, strict: bool) -> Result<String, String> {
    match source {
        Source::Snapshot(path) => Ok(backend.load(&read_text(path)?, strict)),
        Source::Compiled(path) => {
            let bytes = fs::read(path).map_err(|e| {
                error_answer_json(
                    &Error::host(
                        ErrorCode::InvalidSnapshot,
                        format!("cannot read `{}`: {e}", path.display()),
                    ),
                    None,
                )
            })?;
            Ok(backend.load_compiled(&bytes))
        }
    }
}

/// `groupgate compile`: a snapshot into compiled bytes.
struct Compile {
    snapshot: PathBuf,
    out: PathBuf,
    native: bool,
    strict: bool,
}

impl Compile {
    fn parse(args: &[String]) -> Result<Compile, String> {
        let (mut snapshot, mut out) = (None, None);
        let (mut native, mut strict) = (false, false);
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            if let Some(value) = option_value(arg, "--snapshot", &mut iter) {
                snapshot = Some(PathBuf::from(value?));
            } else if let Some(value) = option_value(arg, "--out", &mut iter) {
                out = Some(PathBuf::from(value?));
            } else if arg == "--native" {
                native = true;
            } else if arg == "--strict" {
                strict = true;
            } else {
                return Err(format!("compile: unexpected argument `{arg}`"));
            }
        }
        Ok(Compile {
            snapshot: snapshot.ok_or("compile: `--snapshot FILE` is required")?,
            out: out.ok_or("compile: `--out FILE` is required")?,
            native,
            strict,
        })
    }

    fn run(self, stderr: &mut dyn Write) -> i32 {
        let mut backend = match choose_backend(self.native) {
            Ok(backend) => backend,
            Err(message) => {
                let _ = writeln!(stderr, "groupgate: {message}");
                return 2;
            }
        };
        let source = Source::Snapshot(self.snapshot.clone());
        let answer = match load_source(backend.as_mut(), &source, self.strict) {
            Ok(answer) => answer,
            Err(answer) => {
                let _ = writeln!(stderr, "{answer}");
                return 2;
            }
        };
        if serde_json::from_str::<Value>(&answer)
            .ok()
            .is_none_or(|a| a.get("error").is_some())
        {
            let _ = writeln!(stderr, "{answer}");
            return 2;
        }
        let bytes = match backend.export() {
            Ok(bytes) => bytes,
            Err(message) => {
                let _ = writeln!(stderr, "groupgate: {message}");
                return 1;
            }
        };
        match fs::write(&self.out, &bytes) {
            Ok(()) => 0,
            Err(e) => {
                let _ = writeln!(
                    stderr,
                    "groupgate: cannot write `{}`: {e}",
                    self.out.display()
                );
                1
            }
        }
    }
}

/// Reads a snapshot file; a file that cannot be read or is not UTF-8 gives the error answer.
fn read_text(path: &Path) -> Result<String, String> {
    let bytes = fs::read(path).map_err(|e| {
        error_answer_json(
            &Error::host(
                ErrorCode::InvalidSnapshot,
                format!("cannot read `{}`: {e}", path.display()),
            ),
            None,
        )
    })?;
    String::from_utf8(bytes).map_err(|e| {
        error_answer_json(
            &Error::host(
                ErrorCode::InvalidJson,
                format!("`{}` is not UTF-8: {e}", path.display()),
            ),
            None,
        )
    })
}

/// Answers each non-blank line of `stdin` with one line on `stdout`.
///
/// Output is flushed whenever no more input is already buffered, so a client that writes one
/// request and waits gets its answer at once, while piped batches are written in blocks.
fn answer_lines(
    backend: &mut dyn Backend,
    revision: Option<&str>,
    stdin: &mut dyn Input,
    stdout: &mut dyn Write,
) -> std::io::Result<()> {
    let mut line = Vec::new();
    loop {
        line.clear();
        if stdin.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let answer = match std::str::from_utf8(&line) {
            Ok(text) if text.trim().is_empty() => None,
            Ok(text) => Some(backend.query(text.trim_end_matches(['\n', '\r']))),
            Err(e) => Some(error_answer_json(
                &Error::host(ErrorCode::InvalidJson, format!("request is not UTF-8: {e}")),
                revision,
            )),
        };
        if let Some(answer) = answer {
            stdout.write_all(answer.as_bytes())?;
            stdout.write_all(b"\n")?;
        }
        if !stdin.has_buffered() {
            stdout.flush()?;
        }
    }
    stdout.flush()
}

struct Vectors {
    dir: PathBuf,
    native: bool,
}

impl Vectors {
    fn parse(args: &[String]) -> Result<Vectors, String> {
        let mut dir = None;
        let mut native = false;
        for arg in args {
            if arg == "--native" {
                native = true;
            } else if arg.starts_with('-') || dir.is_some() {
                return Err(format!("vectors: unexpected argument `{arg}`"));
            } else {
                dir = Some(PathBuf::from(arg));
            }
        }
        let dir = dir.ok_or("vectors: a directory is required")?;
        Ok(Vectors { dir, native })
    }

    fn run(self, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
        let files = match vector_files(&self.dir) {
            Ok(files) if files.is_empty() => {
                let _ = writeln!(
                    stderr,
                    "groupgate: no *.json files in `{}`",
                    self.dir.display()
                );
                return 2;
            }
            Ok(files) => files,
            Err(message) => {
                let _ = writeln!(stderr, "groupgate: {message}");
                return 2;
            }
        };
        let filter = std::env::var("VECTORS").ok().filter(|f| !f.is_empty());
        let mut backend = match choose_backend(self.native) {
            Ok(backend) => backend,
            Err(message) => {
                let _ = writeln!(stderr, "groupgate: {message}");
                return 2;
            }
        };
        let (mut passed, mut failed) = (0usize, 0usize);
        for path in files {
            let name = path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_default();
            let outcomes = fs::read_to_string(&path)
                .map_err(|e| format!("cannot read `{}`: {e}", path.display()))
                .and_then(|text| {
                    let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
                    let resolve = move |relative: &str| {
                        let target = base.join(relative);
                        fs::read_to_string(&target)
                            .map_err(|e| format!("cannot read `{}`: {e}", target.display()))
                    };
                    run_file(&name, &text, &resolve, backend.as_mut(), filter.as_deref())
                });
            match outcomes {
                Ok(outcomes) => {
                    for outcome in outcomes {
                        match &outcome.failure {
                            None => passed += 1,
                            Some(reason) => {
                                failed += 1;
                                let _ = writeln!(
                                    stdout,
                                    "FAIL {}\n  reason: {reason}\n  answer: {}",
                                    outcome.name, outcome.answer
                                );
                            }
                        }
                    }
                }
                Err(message) => {
                    failed += 1;
                    let _ = writeln!(stdout, "FAIL {name}\n  reason: {message}");
                }
            }
        }
        let _ = writeln!(stdout, "{passed} passed, {failed} failed");
        i32::from(failed > 0)
    }
}

/// The `*.json` files directly in `dir`, sorted by name.
fn vector_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries =
        fs::read_dir(dir).map_err(|e| format!("cannot read directory `{}`: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot read directory `{}`: {e}", dir.display()))?
            .path();
        if path.extension().is_some_and(|ext| ext == "json") && path.is_file() {
            files.push(path);
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

struct Gen {
    size: String,
    seed: u64,
}

impl Gen {
    fn parse(args: &[String]) -> Result<Gen, String> {
        let (mut size, mut seed) = (None, DEFAULT_SEED);
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            if let Some(value) = option_value(arg, "--size", &mut iter) {
                let value = value?;
                groupgate_workload::Size::by_name(value).map_err(|e| format!("gen: {e}"))?;
                size = Some(value.to_owned());
            } else if let Some(value) = option_value(arg, "--seed", &mut iter) {
                let value = value?;
                seed = value
                    .parse()
                    .map_err(|_| format!("gen: `--seed` needs a whole number, not `{value}`"))?;
            } else {
                return Err(format!("gen: unexpected argument `{arg}`"));
            }
        }
        let size = size.ok_or("gen: `--size small|medium|large|huge` is required")?;
        Ok(Gen { size, seed })
    }

    fn run(self, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
        // The snapshot's exact bytes, with no newline added: the same size and seed give the
        // same file however it is produced.
        match groupgate_workload::generate(&self.size, self.seed) {
            Ok(snapshot) => match stdout
                .write_all(snapshot.as_bytes())
                .and_then(|()| stdout.flush())
            {
                Ok(()) => 0,
                Err(e) if e.kind() == ErrorKind::BrokenPipe => 0,
                Err(e) => {
                    let _ = writeln!(stderr, "groupgate: {e}");
                    1
                }
            },
            Err(message) => {
                let _ = writeln!(stderr, "groupgate: gen: {message}");
                1
            }
        }
    }
}

fn parse_demo(args: &[String]) -> Result<bool, String> {
    let mut native = false;
    for arg in args {
        if arg == "--native" {
            native = true;
        } else {
            return Err(format!("demo: unexpected argument `{arg}`"));
        }
    }
    Ok(native)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers every request with `{"echo": request}` and remembers what it saw.
    #[derive(Default)]
    struct Echo {
        seen: Vec<String>,
    }

    impl Backend for Echo {
        fn load(&mut self, _snapshot: &str, _strict: bool) -> String {
            "{\"diagnostics\":[],\"revision\":null}".to_owned()
        }

        fn query(&mut self, request: &str) -> String {
            self.seen.push(request.to_owned());
            serde_json::json!({ "echo": request }).to_string()
        }

        fn load_compiled(&mut self, _bytes: &[u8]) -> String {
            self.load("", false)
        }

        fn export(&mut self) -> Result<Vec<u8>, String> {
            Ok(Vec::new())
        }
    }

    /// Counts flushes, to tell when a waiting client would get its answer.
    #[derive(Default)]
    struct Recorder {
        written: Vec<u8>,
        flushed_at: Vec<usize>,
    }

    impl Write for Recorder {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.written.extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            self.flushed_at.push(self.written.len());
            Ok(())
        }
    }

    /// A reader that hands out one line per read, as a client waiting for each answer does.
    struct OneLineAtATime(Vec<&'static [u8]>);

    impl Read for OneLineAtATime {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Ok(0);
            }
            let line = self.0.remove(0);
            let n = line.len().min(buf.len());
            buf[..n].copy_from_slice(&line[..n]);
            Ok(n)
        }
    }

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn blank_lines_are_skipped_and_line_ends_stripped() {
        let mut backend = Echo::default();
        let mut out = Recorder::default();
        let mut input: &[u8] = b"{\"op\":\"a\"}\r\n\n   \n{\"op\":\"b\"}";
        answer_lines(&mut backend, None, &mut input, &mut out).unwrap();
        assert_eq!(backend.seen, ["{\"op\":\"a\"}", "{\"op\":\"b\"}"]);
        let text = String::from_utf8(out.written).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn a_line_that_is_not_utf8_never_reaches_the_engine() {
        let mut backend = Echo::default();
        let mut out = Recorder::default();
        let mut input: &[u8] = b"{\"op\":\"a\"}\n\xff\xfe\n{\"op\":\"b\"}\n";
        answer_lines(&mut backend, Some("r1"), &mut input, &mut out).unwrap();
        assert_eq!(backend.seen, ["{\"op\":\"a\"}", "{\"op\":\"b\"}"]);
        assert_eq!(out.written.iter().filter(|b| **b == b'\n').count(), 3);
    }

    #[test]
    fn a_batch_is_flushed_once_and_a_waiting_client_after_each_answer() {
        let mut backend = Echo::default();
        let mut batch = Recorder::default();
        let mut input: &[u8] = b"{}\n{}\n{}\n";
        answer_lines(&mut backend, None, &mut input, &mut batch).unwrap();
        assert_eq!(batch.flushed_at.first(), Some(&batch.written.len()));

        let mut interactive = Recorder::default();
        let mut input = BufReader::new(OneLineAtATime(vec![b"{}\n", b"{}\n", b"{}\n"]));
        answer_lines(&mut backend, None, &mut input, &mut interactive).unwrap();
        let line = interactive.written.len() / 3;
        assert_eq!(&interactive.flushed_at[..3], &[line, 2 * line, 3 * line]);
    }

    #[test]
    fn options_take_a_separate_or_an_attached_value() {
        let query = Query::parse(&args(&["--snapshot=a.json", "--strict"])).unwrap();
        assert_eq!(query.source, Source::Snapshot(PathBuf::from("a.json")));
        assert!(query.strict && !query.native);
        let query = Query::parse(&args(&["--native", "--snapshot", "b.json"])).unwrap();
        assert_eq!(query.source, Source::Snapshot(PathBuf::from("b.json")));
        assert!(query.native && !query.strict);
        let query = Query::parse(&args(&["--compiled", "c.ggc"])).unwrap();
        assert_eq!(query.source, Source::Compiled(PathBuf::from("c.ggc")));
        assert!(Query::parse(&args(&["--compiled", "c.ggc", "--strict"])).is_err());
        assert!(Query::parse(&args(&["--snapshot"])).is_err());
        assert!(Query::parse(&args(&["--strict"])).is_err());
        assert!(Query::parse(&args(&["--snapshots=a.json"])).is_err());

        let gen = Gen::parse(&args(&["--size", "medium"])).unwrap();
        assert_eq!((gen.size.as_str(), gen.seed), ("medium", DEFAULT_SEED));
        let gen = Gen::parse(&args(&["--seed=42", "--size=huge"])).unwrap();
        assert_eq!((gen.size.as_str(), gen.seed), ("huge", 42));
        assert!(Gen::parse(&args(&["--size", "tiny"])).is_err());
        assert!(Gen::parse(&args(&["--seed", "7"])).is_err());

        assert!(Vectors::parse(&args(&["dir", "other"])).is_err());
        assert!(Vectors::parse(&args(&["--native", "dir"])).unwrap().native);
    }

    #[test]
    fn help_goes_to_stdout_and_misuse_to_stderr() {
        let mut input: &[u8] = b"";
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(
            run(
                &args(&["vectors", "--help"]),
                &mut input,
                &mut out,
                &mut err
            ),
            0
        );
        assert!(String::from_utf8_lossy(&out).starts_with("groupgate:"));
        assert!(err.is_empty());

        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run(&args(&["gen"]), &mut input, &mut out, &mut err), 2);
        assert!(out.is_empty());
        assert!(String::from_utf8_lossy(&err).contains("--size"));
    }
}
