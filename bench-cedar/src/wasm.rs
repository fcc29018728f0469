//! The workload through the plain-ABI WebAssembly module hosted by wasmtime, beside the
//! native core in the same run: `bench-wasm [--size medium] [--seed 1] [--runs 5]`; or one
//! timed restore of compiled bytes: `bench-wasm --restore FILE.ggc`.
//!
//! The module is found as the `groupgate` command finds it (`$GROUPGATE_WASM`, else
//! `abi/groupgate.wasm` under the target directory; `make wasm-abi` builds it).
//! `check` goes through `gg_check` in two ways: as a host naturally calls it (copy both ids in,
//! call, free: five guest calls a check), and with the ids copied in beforehand, which leaves
//! the call and the evaluation alone.

use std::time::{Duration, Instant};

use groupgate::{Engine, LoadOptions};
use groupgate_bench_cedar::stats::Summary;
use groupgate_host::wasm::{locate_module, Guest, WasmModule};
use groupgate_workload::{
    check_request, preview_request, preview_rules, user_access_request, Size, Tenant, CHECKS,
};

struct Row {
    question: String,
    unit: &'static str,
    native: Summary,
    wasm: Summary,
}

fn time_runs(runs: usize, mut body: impl FnMut() -> Result<(), String>) -> Result<Summary, String> {
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        body()?;
        times.push(start.elapsed());
    }
    Ok(Summary::of(&times))
}

fn main() {
    let mut size = "medium".to_string();
    let mut seed = 1u64;
    let mut runs = 5usize;
    let mut restore = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        match flag.as_str() {
            "--size" => size = value,
            "--seed" => seed = value.parse().unwrap_or(seed),
            "--runs" => runs = value.parse().unwrap_or(runs).max(1),
            "--restore" => restore = Some(value),
            _ => {
                eprintln!(
                    "usage: bench-wasm [--size medium] [--seed 1] [--runs 5] | bench-wasm --restore FILE.ggc"
                );
                std::process::exit(2);
            }
        }
    }
    let result = match restore {
        Some(path) => restore_once(&path),
        None => run(&size, seed, runs),
    };
    if let Err(message) = result {
        eprintln!("bench-wasm: {message}");
        std::process::exit(1);
    }
}

/// `--restore FILE.ggc`: one restore of compiled bytes in a fresh guest (the module compiled
/// before timing), for `benches/image.py`: prints `{"ms":…,"memory":…}`, the guest's linear
/// memory in bytes after the restore.
fn restore_once(path: &str) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let module = WasmModule::from_file(&locate_module()?)?;
    let mut guest: Guest = module.instantiate()?;
    let start = Instant::now();
    let (loaded, answer) = guest.load_compiled(&bytes)?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    if loaded == 0 {
        return Err(format!(
            "the module refuses the compiled bytes: {answer:.300}"
        ));
    }
    println!("{{\"ms\":{ms:.3},\"memory\":{}}}", guest.memory_size());
    Ok(())
}

fn run(size: &str, seed: u64, runs: usize) -> Result<(), String> {
    let size = Size::by_name(size)?;
    let tenant = Tenant::build(size, seed);
    let snapshot = tenant.to_json();
    let module = WasmModule::from_file(&locate_module()?)?;
    let mut guest: Guest = module.instantiate()?;
    let mut rows = Vec::new();

    // load: each run loads a fresh engine and frees the previous one.
    let mut native = None;
    let native_load = time_runs(runs, || {
        drop(native.take());
        native = Some(
            Engine::from_json(&snapshot, LoadOptions::default()).map_err(|e| format!("{e:?}"))?,
        );
        Ok(())
    })?;
    let mut engine = native.ok_or("no native engine")?;
    let mut handle = 0u32;
    let wasm_load = time_runs(runs, || {
        if handle != 0 {
            guest.engine_free_raw(handle)?;
        }
        let (loaded, answer) = guest.load(&snapshot, false)?;
        if loaded == 0 {
            return Err(format!(
                "the module does not load the snapshot: {answer:.300}"
            ));
        }
        handle = loaded;
        Ok(())
    })?;
    rows.push(Row {
        question: "load".into(),
        unit: "ms",
        native: native_load.scaled(1e3),
        wasm: wasm_load.scaled(1e3),
    });

    // load from compiled bytes (SPEC §7.5): the same tenant, saved by the native engine.
    let compiled = engine.to_compiled();
    let mut restored = None;
    let native_restore = time_runs(runs, || {
        drop(restored.take());
        restored = Some(Engine::from_compiled(&compiled).map_err(|e| format!("{e:?}"))?);
        Ok(())
    })?;
    drop(restored);
    let mut spare = 0u32;
    let wasm_restore = time_runs(runs, || {
        if spare != 0 {
            guest.engine_free_raw(spare)?;
        }
        let (loaded, answer) = guest.load_compiled(&compiled)?;
        if loaded == 0 {
            return Err(format!(
                "the module refuses the compiled bytes: {answer:.300}"
            ));
        }
        spare = loaded;
        Ok(())
    })?;
    if spare != 0 {
        guest.engine_free_raw(spare)?;
    }
    rows.push(Row {
        question: format!(
            "load from compiled bytes ({:.1} MB)",
            compiled.len() as f64 / 1e6
        ),
        unit: "ms",
        native: native_restore.scaled(1e3),
        wasm: wasm_restore.scaled(1e3),
    });

    let checks = tenant.check_sequence(seed, CHECKS);
    let per_check = 1e9 / checks.len() as f64;
    let mut mismatches = 0usize;
    for (user, product) in &checks {
        if guest.check(handle, user, product)? != engine.decide(user, product) as i32 {
            mismatches += 1;
        }
    }
    let native_check = time_runs(runs, || {
        let allowed = checks
            .iter()
            .filter(|(u, p)| engine.decide(std::hint::black_box(u), p).allowed())
            .count();
        std::hint::black_box(allowed);
        Ok(())
    })?;
    let wasm_check = time_runs(runs, || {
        for (user, product) in &checks {
            std::hint::black_box(guest.check(handle, user, product)?);
        }
        Ok(())
    })?;
    rows.push(Row {
        question: "check, typed (copy ids in, call, free)".into(),
        unit: "ns",
        native: native_check.scaled(per_check),
        wasm: wasm_check.scaled(per_check),
    });
    let mut placed = Vec::with_capacity(checks.len());
    for (user, product) in &checks {
        let (uptr, ulen) = guest.put(user.as_bytes())?;
        let (pptr, plen) = guest.put(product.as_bytes())?;
        placed.push((uptr, ulen, pptr, plen));
    }
    let wasm_call = time_runs(runs, || {
        for (uptr, ulen, pptr, plen) in &placed {
            std::hint::black_box(guest.check_raw(handle, *uptr, *ulen, *pptr, *plen)?);
        }
        Ok(())
    })?;
    for (uptr, ulen, pptr, plen) in placed {
        guest.free_raw(uptr, ulen)?;
        guest.free_raw(pptr, plen)?;
    }
    rows.push(Row {
        question: "check, typed (ids already in guest memory)".into(),
        unit: "ns",
        native: native_check.scaled(per_check),
        wasm: wasm_call.scaled(per_check),
    });

    let requests: Vec<String> = checks.iter().map(|(u, p)| check_request(u, p)).collect();
    let native_json = time_runs(runs, || {
        for request in &requests {
            std::hint::black_box(engine.answer_json(request));
        }
        Ok(())
    })?;
    let wasm_json = time_runs(runs, || {
        for request in &requests {
            std::hint::black_box(guest.query(handle, request)?);
        }
        Ok(())
    })?;
    rows.push(Row {
        question: "check, JSON query".into(),
        unit: "ns",
        native: native_json.scaled(per_check),
        wasm: wasm_json.scaled(per_check),
    });

    // userAccess: 1,000 of the fixed users keep a run short; the time is per request.
    let access: Vec<String> = tenant
        .access_users(seed, 1_000)
        .iter()
        .map(|u| user_access_request(u))
        .collect();
    let per_access = 1e6 / access.len() as f64;
    let native_access = time_runs(runs, || {
        for request in &access {
            std::hint::black_box(engine.answer_json(request));
        }
        Ok(())
    })?;
    let wasm_access = time_runs(runs, || {
        for request in &access {
            std::hint::black_box(guest.query(handle, request)?);
        }
        Ok(())
    })?;
    rows.push(Row {
        question: "userAccess".into(),
        unit: "µs",
        native: native_access.scaled(per_access),
        wasm: wasm_access.scaled(per_access),
    });

    for (name, rule) in preview_rules() {
        let request = preview_request(rule);
        if engine.answer_json(&request) != guest.query(handle, &request)? {
            mismatches += 1;
        }
        let native = time_runs(runs, || {
            std::hint::black_box(engine.answer_json(&request));
            Ok(())
        })?;
        let wasm = time_runs(runs, || {
            std::hint::black_box(guest.query(handle, &request)?);
            Ok(())
        })?;
        rows.push(Row {
            question: format!("previewRule {name}"),
            unit: "ms",
            native: native.scaled(1e3),
            wasm: wasm.scaled(1e3),
        });
    }
    let members = tenant.members_request();
    let native_members = time_runs(runs, || {
        std::hint::black_box(engine.answer_json(&members));
        Ok(())
    })?;
    let wasm_members = time_runs(runs, || {
        std::hint::black_box(guest.query(handle, &members)?);
        Ok(())
    })?;
    rows.push(Row {
        question: "members, largest group, page 1".into(),
        unit: "ms",
        native: native_members.scaled(1e3),
        wasm: wasm_members.scaled(1e3),
    });

    // apply one addMember (the same entry replaced on every run), last: it changes both engines.
    let add_member = tenant.apply_add_member_request();
    let native_apply = time_runs(runs, || {
        let answer = engine.query_json(std::hint::black_box(&add_member));
        if answer.contains("\"error\"") {
            return Err(format!("apply refused natively: {answer:.300}"));
        }
        Ok(())
    })?;
    let wasm_apply = time_runs(runs, || {
        let answer = guest.query(handle, std::hint::black_box(&add_member))?;
        if answer.contains("\"error\"") {
            return Err(format!("apply refused in wasm: {answer:.300}"));
        }
        Ok(())
    })?;
    if engine.answer_json(&members) != guest.query(handle, &members)? {
        mismatches += 1;
    }
    rows.push(Row {
        question: "apply one addMember".into(),
        unit: "ms",
        native: native_apply.scaled(1e3),
        wasm: wasm_apply.scaled(1e3),
    });

    println!("size {} (seed {seed}), {runs} runs, median (min–max); guest memory {:.1} MB; {mismatches} answers differ between wasm and native", size.name, guest.memory_size() as f64 / 1e6);
    println!();
    println!(
        "| {} | unit | native | wasmtime | wasm / native |",
        size.name
    );
    println!("|---|---|---|---|---|");
    for row in rows {
        let decimals = if row.native.median >= 100.0 { 0 } else { 2 };
        println!(
            "| {} | {} | {} | {} | {:.1}× |",
            row.question,
            row.unit,
            row.native.show(decimals),
            row.wasm.show(decimals),
            row.wasm.median / row.native.median
        );
    }
    if mismatches > 0 {
        return Err(format!(
            "{mismatches} answers differ between wasm and native"
        ));
    }
    Ok(())
}
