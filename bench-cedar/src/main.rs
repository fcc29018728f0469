//! Runs the workload's access checks through groupgate and through Cedar in one process,
//! compares every answer, and reports load and check times.
//!
//! `bench-cedar [--size large] [--seed 1] [--runs 5] [--checks 100000]`
//!
//! The Cedar side is built from the snapshot JSON as a host would build it:
//!
//! * each user is a `User` entity with an `orgRole` attribute, whose parents are the groups it
//!   is a manual member of (entries in effect at `asOf`) or a dynamic member of;
//! * each group is a `Group` entity whose parents are the groups that include it, when it is
//!   active (an inactive group feeds no members);
//! * each product is a `Product` entity whose `groups` attribute lists the active groups
//!   that carry it;
//! * two policies: `principal in resource.groups`, and org owners and admins.
//!
//! Cedar cannot evaluate groupgate's membership rules, so dynamic members are materialized
//! with groupgate (`members` listings of type `dynamic`) and given to Cedar as parent edges.
//! Cedar also rejects a cyclic entity hierarchy, so each include cycle (a strongly connected
//! set of active groups) is flattened: every member of the set gets the set's outside
//! parents, and every child of one member of the set gets all of them as parents.
//! The ancestors of every entity, and so every answer, stay the same.

use std::collections::BTreeMap;
use std::time::Instant;

use groupgate::{Decision, Engine, LoadOptions};
use groupgate_bench_cedar::cedar;
use groupgate_bench_cedar::stats::Summary;
use groupgate_workload::{Size, Tenant, CHECKS};

struct Args {
    size: Size,
    seed: u64,
    runs: usize,
    checks: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        size: Size::by_name("large")?,
        seed: 1,
        runs: 5,
        checks: CHECKS,
    };
    let mut items = std::env::args().skip(1);
    while let Some(flag) = items.next() {
        let value = items
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag}: not a number: {value}"))
        };
        match flag.as_str() {
            "--size" => args.size = Size::by_name(&value)?,
            "--seed" => args.seed = number()?,
            "--runs" => args.runs = number()?.max(1) as usize,
            "--checks" => args.checks = number()? as usize,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(args)
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("bench-cedar: {message}");
            eprintln!("usage: bench-cedar [--size large] [--seed 1] [--runs 5] [--checks 100000]");
            std::process::exit(2);
        }
    };
    if let Err(message) = run(&args) {
        eprintln!("bench-cedar: {message}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> Result<(), String> {
    let tenant = Tenant::build(args.size, args.seed);
    let snapshot = tenant.to_json();
    println!(
        "size {} (seed {}): {} users, {} groups, snapshot {:.1} MB",
        args.size.name,
        args.seed,
        args.size.users,
        args.size.groups,
        snapshot.len() as f64 / 1e6
    );

    // groupgate: load from the snapshot text.
    let mut load_times = Vec::with_capacity(args.runs);
    let mut engine = None;
    for _ in 0..args.runs {
        drop(engine.take());
        let start = Instant::now();
        let loaded = Engine::from_json(&snapshot, LoadOptions::default())
            .map_err(|error| format!("groupgate does not load the snapshot: {error:?}"))?;
        load_times.push(start.elapsed());
        engine = Some(loaded);
    }
    let mut engine = engine.ok_or("no run")?;
    let groupgate_load = Summary::of(&load_times);

    // Cedar: entities JSON built from the snapshot (dynamic members from groupgate).
    let start = Instant::now();
    let input = cedar::Input::from_snapshot(&snapshot, &mut engine)?;
    println!(
        "cedar input: {} entities, {} dynamic memberships materialized, {} include cycle(s) \
         flattened, entities JSON {:.1} MB (built in {:.2} s, not timed below)",
        input.entity_count,
        input.dynamic_edges,
        input.cycles,
        input.entities_json.len() as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    let mut cedar_times = Vec::with_capacity(args.runs);
    let mut cedar_engine = None;
    for _ in 0..args.runs {
        drop(cedar_engine.take());
        let start = Instant::now();
        let loaded = cedar::Engine::load(&input)?;
        cedar_times.push(start.elapsed());
        cedar_engine = Some(loaded);
    }
    let mut cedar_engine = cedar_engine.ok_or("no run")?;
    let cedar_load = Summary::of(&cedar_times);

    // The same check sequence through both, compared answer by answer.
    let checks = tenant.check_sequence(args.seed, args.checks);
    let requests = cedar_engine.requests(&checks)?;
    let ours: Vec<Decision> = checks
        .iter()
        .map(|(user, product)| engine.decide(user, product))
        .collect();
    let theirs: Vec<bool> = requests
        .iter()
        .map(|request| cedar_engine.allows(request))
        .collect();
    let mut mismatches = 0usize;
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for (index, ((user, product), decision)) in checks.iter().zip(&ours).enumerate() {
        *reasons.entry(format!("{decision:?}")).or_default() += 1;
        let cedar_allows = theirs.get(index).copied().unwrap_or(false);
        if decision.allowed() != cedar_allows {
            mismatches += 1;
            if mismatches <= 5 {
                let request = groupgate_workload::check_request(user, product);
                println!(
                    "mismatch #{index}: {user} {product}: groupgate {decision:?}, cedar {}; groupgate says {}",
                    if cedar_allows { "allow" } else { "deny" },
                    engine.answer_json(&request)
                );
            }
        }
    }
    let allowed = ours.iter().filter(|decision| decision.allowed()).count();
    println!(
        "{} checks: {} mismatches; allowed {:.2}% ({reasons:?})",
        checks.len(),
        mismatches,
        allowed as f64 * 100.0 / checks.len().max(1) as f64
    );

    let mut ours_times = Vec::with_capacity(args.runs);
    let mut theirs_times = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        let start = Instant::now();
        let count = checks
            .iter()
            .filter(|(user, product)| {
                engine
                    .decide(std::hint::black_box(user), std::hint::black_box(product))
                    .allowed()
            })
            .count();
        ours_times.push(start.elapsed());
        std::hint::black_box(count);
        let start = Instant::now();
        let count = requests
            .iter()
            .filter(|request| cedar_engine.allows(std::hint::black_box(request)))
            .count();
        theirs_times.push(start.elapsed());
        std::hint::black_box(count);
    }
    let per_check = checks.len().max(1) as f64;
    let ours_check = Summary::of(&ours_times).scaled(1e9 / per_check);
    let theirs_check = Summary::of(&theirs_times).scaled(1e9 / per_check);

    // One membership change: groupgate's `apply` of an `addMember` to a group that composite
    // groups include, against Cedar upserting the user entity with that group as a parent.
    let add_member = tenant.apply_add_member_request();
    let (user, group) = add_member_target(&add_member)?;
    let mut ours_change = Vec::with_capacity(args.runs);
    let mut theirs_change = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        let start = Instant::now();
        let answer = engine.query_json(std::hint::black_box(&add_member));
        ours_change.push(start.elapsed());
        if answer.contains("\"error\"") {
            return Err(format!("groupgate refused the change: {answer}"));
        }
        let start = Instant::now();
        cedar_engine.add_member(&user, &group)?;
        theirs_change.push(start.elapsed());
    }
    let ours_change = Summary::of(&ours_change).scaled(1e3);
    let theirs_change = Summary::of(&theirs_change).scaled(1e3);
    // Both answer for the changed tenant: the user against every product of the sequence.
    let products: std::collections::BTreeSet<&String> = checks.iter().map(|(_, p)| p).collect();
    let pairs: Vec<(String, String)> = products
        .into_iter()
        .map(|product| (user.clone(), product.clone()))
        .collect();
    let after_ours = pairs.iter().map(|(u, p)| engine.decide(u, p).allowed());
    let after_theirs = cedar_engine
        .requests(&pairs)?
        .into_iter()
        .map(|request| cedar_engine.allows(&request))
        .collect::<Vec<_>>();
    if !after_ours.eq(after_theirs) {
        return Err(format!("after the change, {user}'s answers differ"));
    }

    println!();
    println!(
        "| {} ({} runs) | groupgate | Cedar | Cedar / groupgate |",
        args.size.name, args.runs
    );
    println!("|---|---|---|---|");
    println!(
        "| load (ms) | {} | {} | {:.1}× |",
        groupgate_load.scaled(1e3).show(1),
        cedar_load.scaled(1e3).show(1),
        cedar_load.median / groupgate_load.median
    );
    println!(
        "| check (ns/check) | {} | {} | {:.1}× |",
        ours_check.show(1),
        theirs_check.show(1),
        theirs_check.median / ours_check.median
    );
    println!(
        "| add one member (ms) | {} | {} | {:.0}× |",
        ours_change.show(3),
        theirs_change.show(1),
        theirs_change.median / ours_change.median
    );
    println!("| mismatches | {mismatches} of {} | | |", checks.len());
    if mismatches > 0 {
        return Err(format!("{mismatches} answers differ"));
    }
    Ok(())
}

/// The user and group ids of the workload's `addMember` request.
fn add_member_target(request: &str) -> Result<(String, String), String> {
    let value: serde_json::Value =
        serde_json::from_str(request).map_err(|error| format!("addMember request: {error}"))?;
    let change = &value["changes"][0]["addMember"];
    match (change["user"].as_str(), change["group"].as_str()) {
        (Some(user), Some(group)) => Ok((user.to_string(), group.to_string())),
        _ => Err(format!(
            "addMember request without user and group: {request}"
        )),
    }
}
