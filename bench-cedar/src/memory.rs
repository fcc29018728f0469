//! Peak memory of a groupgate load: `bench-memory SNAPSHOT.json` or `bench-memory FILE.ggc`
//! (compiled bytes, SPEC §7.5, restored with `Engine::from_compiled`); or of a peer's load of
//! the same tenant: `bench-memory --peer cedar|regorus [--checks 1000] [--seed 1] SNAPSHOT.json`.
//!
//! Reads the file, then loads it, and prints the process's resident memory
//! (`VmRSS`) and peak (`VmHWM`) from `/proc/self/status` after each step, beside the size of the
//! snapshot text. Run one load per process, so the peak is this load's.
//!
//! Just before the timed load the peak is reset to the resident set (`5` written to
//! `/proc/self/clear_refs`), so "peak during load" is the peak from there to the end of the
//! load, and "growth during load" that peak less the resident set before the load: the
//! load's own memory, without what the process held before it.
//!
//! A peer's input text is built untimed by a child process (this program with
//! `--write-input`): groupgate loads the snapshot and lists the dynamic members
//! (`membership.rs`), and the peer's module writes its input (Cedar's entities JSON, or
//! regorus's data document) to the child's standard output. The measuring process holds
//! only that text before the load, as groupgate's holds only the snapshot text: memory the
//! building freed would otherwise stay resident, and the peer's load would reuse it without
//! growing. The timed load is the peer's own: Cedar's `Entities::from_json_str` and policy
//! parse; regorus's engine creation, `add_policy` and `add_data`. Then the first `--checks`
//! pairs of the workload's fixed check sequence (drawn from the snapshot's user and product
//! lists, as `Tenant::check_sequence` draws them) are answered by the peer and by groupgate;
//! any differing answer is an error (exit status 1).

use std::io::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use groupgate::{Engine, LoadOptions};
use groupgate_bench_cedar::cedar;
use groupgate_bench_cedar::membership::Membership;
#[cfg(feature = "regorus")]
use groupgate_bench_cedar::rego;
use groupgate_bench_cedar::stats::Summary;
use groupgate_workload::check_indices;
use serde_json::Value;

const USAGE: &str = "usage: bench-memory SNAPSHOT.json | FILE.ggc\n       \
     bench-memory --peer cedar|regorus [--checks 1000] [--seed 1] SNAPSHOT.json";

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

/// Resets `VmHWM` to the current `VmRSS` (Linux 4.0 and later), so that the next reading of
/// the peak is the peak since now. False where that is not possible.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("--peer") => peer_args(&args).and_then(|args| peer(&args)),
        Some(path) if args.len() == 1 && !path.starts_with("--") => {
            groupgate_load(path);
            Ok(())
        }
        _ => Err(Failure::Usage(String::new())),
    };
    match result {
        Ok(()) => {}
        Err(Failure::Usage(message)) => {
            if !message.is_empty() {
                eprintln!("bench-memory: {message}");
            }
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
        Err(Failure::Run(message)) => {
            eprintln!("bench-memory: {message}");
            std::process::exit(1);
        }
    }
}

/// groupgate's own load of the snapshot text or restore of compiled bytes.
fn groupgate_load(path: &str) {
    let (start_rss, _) = memory();
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("bench-memory: {path}: {error}");
            std::process::exit(2);
        }
    };
    let (text_rss, _) = memory();
    reset_peak();
    let (before_rss, _) = memory();
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
    print_growth(before_rss, peak);
    println!(
        "engine alone          {:>9.1} MB (resident after dropping the text, less the start)",
        mb(engine_rss.saturating_sub(start_rss))
    );
}

fn print_growth(before_rss: u64, peak: u64) {
    println!(
        "growth during load    {:>9.1} MB (peak less the resident before the load, {:.1} MB)",
        mb(peak.saturating_sub(before_rss)),
        mb(before_rss)
    );
}

enum Failure {
    Usage(String),
    Run(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::Run(message)
    }
}

#[derive(Clone, Copy)]
enum Peer {
    Cedar,
    #[cfg(feature = "regorus")]
    Regorus,
}

struct PeerArgs {
    peer: Peer,
    path: String,
    checks: usize,
    seed: u64,
    /// The child's part: write the peer's input text to standard output, and stop.
    write_input: bool,
}

fn peer_args(args: &[String]) -> Result<PeerArgs, Failure> {
    let mut peer = None;
    let mut path = None;
    let mut checks = 1000;
    let mut seed = 1;
    let mut write_input = false;
    let mut items = args.iter();
    while let Some(item) = items.next() {
        let mut value = |flag: &str| {
            items
                .next()
                .ok_or_else(|| Failure::Usage(format!("{flag} needs a value")))
        };
        let number = |flag: &str, value: &String| {
            value
                .parse::<u64>()
                .map_err(|_| Failure::Usage(format!("{flag}: not a number: {value}")))
        };
        match item.as_str() {
            "--peer" => {
                peer = Some(match value("--peer")?.as_str() {
                    "cedar" => Peer::Cedar,
                    #[cfg(feature = "regorus")]
                    "regorus" => Peer::Regorus,
                    #[cfg(not(feature = "regorus"))]
                    "regorus" => {
                        return Err(Failure::Usage(
                            "built without regorus: build with `--features regorus`".into(),
                        ))
                    }
                    other => return Err(Failure::Usage(format!("unknown peer {other}"))),
                });
            }
            "--checks" => checks = number("--checks", value("--checks")?)? as usize,
            "--seed" => seed = number("--seed", value("--seed")?)?,
            "--write-input" => write_input = true,
            flag if flag.starts_with("--") => {
                return Err(Failure::Usage(format!("unknown flag {flag}")))
            }
            _ if path.is_none() => path = Some(item.clone()),
            _ => return Err(Failure::Usage(format!("one snapshot only: {item}"))),
        }
    }
    match (peer, path) {
        (Some(peer), Some(path)) => Ok(PeerArgs {
            peer,
            path,
            checks,
            seed,
            write_input,
        }),
        _ => Err(Failure::Usage("--peer and a snapshot are needed".into())),
    }
}

/// A peer's loaded engine.
enum PeerEngine {
    Cedar(Box<cedar::Engine>),
    #[cfg(feature = "regorus")]
    Regorus(Box<rego::Engine>),
}

impl PeerEngine {
    /// The peer's load of its input text: the measured step.
    fn load(peer: Peer, text: &str) -> Result<PeerEngine, String> {
        Ok(match peer {
            Peer::Cedar => PeerEngine::Cedar(Box::new(cedar::Engine::from_entities_json(text)?)),
            #[cfg(feature = "regorus")]
            Peer::Regorus => PeerEngine::Regorus(Box::new(rego::Engine::load(text)?)),
        })
    }

    /// The peer's answers to the checks, and the per-check time of each of `runs` passes.
    fn answer(
        &mut self,
        checks: &[(String, String)],
        runs: usize,
    ) -> Result<(Vec<bool>, Vec<Duration>), String> {
        let mut passes = Vec::with_capacity(runs);
        let mut answers = Vec::new();
        match self {
            PeerEngine::Cedar(engine) => {
                let requests = engine.requests(checks)?;
                for _ in 0..runs {
                    let start = Instant::now();
                    answers = requests
                        .iter()
                        .map(|request| engine.allows(std::hint::black_box(request)))
                        .collect();
                    passes.push(start.elapsed());
                }
            }
            #[cfg(feature = "regorus")]
            PeerEngine::Regorus(engine) => {
                let inputs = rego::Engine::requests(checks);
                for _ in 0..runs {
                    let start = Instant::now();
                    answers = inputs
                        .iter()
                        .map(|input| engine.allows(std::hint::black_box(input)))
                        .collect::<Result<_, _>>()?;
                    passes.push(start.elapsed());
                }
            }
        }
        Ok((answers, passes))
    }
}

fn peer_name(peer: Peer) -> &'static str {
    match peer {
        Peer::Cedar => "cedar",
        #[cfg(feature = "regorus")]
        Peer::Regorus => "regorus",
    }
}

fn input_kind(peer: Peer) -> &'static str {
    match peer {
        Peer::Cedar => "Cedar entities JSON",
        #[cfg(feature = "regorus")]
        Peer::Regorus => "Rego data JSON",
    }
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|error| format!("{path}: {error}"))
}

fn load_groupgate(text: &str) -> Result<Engine, String> {
    Engine::from_json(text, LoadOptions::default())
        .map_err(|error| format!("groupgate does not load the snapshot: {error:?}"))
}

/// The child's part: the peer's input text on standard output, a note on standard error.
fn write_input(args: &PeerArgs) -> Result<(), Failure> {
    let text = read(&args.path)?;
    let mut engine = load_groupgate(&text)?;
    let membership = Membership::from_snapshot(&text, &mut engine)?;
    let input = match args.peer {
        Peer::Cedar => cedar::Input::from_membership(&membership).entities_json,
        #[cfg(feature = "regorus")]
        Peer::Regorus => rego::Input::from_membership(&membership).data_json,
    };
    std::io::stdout()
        .lock()
        .write_all(input.as_bytes())
        .map_err(|error| format!("writing the input: {error}"))?;
    eprint!(
        "{} dynamic memberships from groupgate",
        membership.dynamic_edges
    );
    Ok(())
}

/// The ids of the snapshot's `users` or `products`, in order.
fn ids(root: &Value, key: &str) -> Vec<String> {
    root.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|item| {
            item.get("id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

fn peer(args: &PeerArgs) -> Result<(), Failure> {
    if args.write_input {
        return write_input(args);
    }
    let name = peer_name(args.peer);
    let size = std::fs::metadata(&args.path)
        .map_err(|error| format!("{}: {error}", args.path))?
        .len();

    // Untimed, in a child process: the peer's input text.
    let (start_rss, _) = memory();
    let built = Instant::now();
    let exe = std::env::current_exe().map_err(|error| format!("this program: {error}"))?;
    let child = Command::new(exe)
        .args(["--peer", name, "--write-input", &args.path])
        .output()
        .map_err(|error| format!("building the {name} input: {error}"))?;
    let note = String::from_utf8_lossy(&child.stderr).trim().to_string();
    if !child.status.success() {
        return Err(Failure::Run(format!("building the {name} input: {note}")));
    }
    let text = String::from_utf8(child.stdout)
        .map_err(|error| format!("the {name} input is not UTF-8: {error}"))?;
    let built = built.elapsed();
    let (text_rss, _) = memory();

    let reset = reset_peak();
    let (before_rss, _) = memory();
    let start = Instant::now();
    let mut loaded = PeerEngine::load(args.peer, &text)?;
    let load = start.elapsed();
    let (loaded_rss, peak) = memory();
    let input_len = text.len() as u64;
    drop(text);

    println!("peer                   {name:>9}");
    println!("snapshot text          {:>9.1} MB", mb(size));
    println!(
        "peer input text        {:>9.1} MB ({}, built from the snapshot by a child process \
         in {:.2} s, not timed; {note})",
        mb(input_len),
        input_kind(args.peer),
        built.as_secs_f64()
    );
    println!("resident before read  {:>9.1} MB", mb(start_rss));
    println!("resident with text    {:>9.1} MB", mb(text_rss));
    if !reset {
        println!("(the peak could not be reset before the load)");
    }
    println!(
        "resident after load   {:>9.1} MB (load took {:.0} ms)",
        mb(loaded_rss),
        load.as_secs_f64() * 1e3
    );
    println!(
        "peak during load      {:>9.1} MB = {:.2}× the input text",
        mb(peak),
        peak as f64 / input_len.max(1) as f64
    );
    print_growth(before_rss, peak);

    // The same checks through groupgate, now that the peer's load is measured.
    let snapshot = read(&args.path)?;
    let engine = load_groupgate(&snapshot)?;
    let root: Value =
        serde_json::from_str(&snapshot).map_err(|error| format!("snapshot: {error}"))?;
    drop(snapshot);
    let (users, products) = (ids(&root, "users"), ids(&root, "products"));
    drop(root);
    let checks: Vec<(String, String)> =
        check_indices(args.seed, users.len(), products.len(), args.checks)
            .into_iter()
            .filter_map(|(user, product)| {
                Some((users.get(user)?.clone(), products.get(product)?.clone()))
            })
            .collect();
    let runs = 3;
    let (theirs, their_passes) = loaded.answer(&checks, runs)?;
    let mut ours = Vec::new();
    let mut our_passes = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        ours = checks
            .iter()
            .map(|(user, product)| {
                engine
                    .decide(std::hint::black_box(user), std::hint::black_box(product))
                    .allowed()
            })
            .collect::<Vec<bool>>();
        our_passes.push(start.elapsed());
    }
    let mut differing = 0usize;
    for (index, ((user, product), (our, their))) in
        checks.iter().zip(ours.iter().zip(&theirs)).enumerate()
    {
        if our != their {
            differing += 1;
            if differing <= 5 {
                println!(
                    "differs #{index}: {user} {product}: groupgate {}, {name} {}",
                    verdict(*our),
                    verdict(*their)
                );
            }
        }
    }
    let allowed = ours.iter().filter(|allowed| **allowed).count();
    println!(
        "checks                {} of the workload's sequence (seed {}): {differing} differ, \
         {allowed} allowed",
        checks.len(),
        args.seed
    );
    let per_check = 1e6 / checks.len().max(1) as f64;
    println!(
        "check µs              {name} {}, groupgate {} (median of {runs} passes)",
        Summary::of(&their_passes).scaled(per_check).show(2),
        Summary::of(&our_passes).scaled(per_check).show(3)
    );
    if differing > 0 || ours.len() != theirs.len() {
        return Err(Failure::Run(format!(
            "{differing} of {} answers differ between groupgate and {name}",
            checks.len()
        )));
    }
    Ok(())
}

fn verdict(allowed: bool) -> &'static str {
    if allowed {
        "allow"
    } else {
        "deny"
    }
}
