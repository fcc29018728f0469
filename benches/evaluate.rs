#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a bench whose subject is broken fails by panicking"
)]
//! Criterion benches over the generated workload (`WORKLOAD.md`).
//!
//! Sizes `small` and `medium` run by default; `GROUPGATE_BENCH_SIZES=small,medium,large`
//! (any comma-separated subset of small, medium, large, huge) chooses others.
//! Each size is one criterion group, named after it, with one bench per question:
//!
//! * `load`: compile the snapshot from its JSON text;
//! * `check`: the typed fast path [`Engine::decide`] over the fixed 100,000-pair sequence;
//! * `check_json`: the same sequence through [`Engine::answer_json`], so the cost of the JSON
//!   boundary shows beside the typed path;
//! * `user_access`: 10,000 `userAccess` requests;
//! * `preview_rule/<n>`: the five fixed rules of increasing complexity;
//! * `members`: the largest group, first page;
//! * `lint`: the hygiene findings of the whole tenant;
//! * `definition_group`, `definition_user`: the largest group and one user as the snapshot
//!   defines them; `snapshot`: the whole tenant written back (its size is printed);
//! * `impact` (removing a composite group), `apply_add_member`, `apply_upsert_user` (one
//!   attribute), `apply_upsert_users_10k` (one list of 10,000 such upserts, a directory sync),
//!   `apply_set_rule`: the change questions;
//! * `load_compiled`: restoring the engine from its compiled bytes.
//! * `suggest/<cursor>`: rule suggestions at representative cursor positions, once the
//!   tenant's vocabulary is built (the first suggestion after a load or a change builds the
//!   part it needs; its time is printed, not benched).
//!
//! Throughput is set to the number of questions per iteration, so criterion's time divided by
//! it is the time per question (`benches/summarize.py` does that division).
//!
//! Before a bench times a question, its answer is checked once, outside the timed loop: a
//! bench that times an error answer, or a tenant that does not load, fails the run (and so
//! `make bench-smoke`, which runs each bench once with `--test`) rather than measuring
//! nothing. An unknown size name fails too.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use groupgate::{Engine, LoadOptions};
use groupgate_workload::{
    check_request, preview_request, preview_rules, user_access_request, Size, Tenant, ACCESS_USERS,
    CHECKS,
};

/// The seed every bench uses, so every run measures the same tenant and sequences.
const SEED: u64 = 1;

/// The sizes `GROUPGATE_BENCH_SIZES` names; panics on an unknown name or on none, since a
/// run that benches nothing would pass unnoticed.
fn sizes() -> Vec<Size> {
    let wanted = std::env::var("GROUPGATE_BENCH_SIZES").unwrap_or_else(|_| "small,medium".into());
    let sizes: Vec<Size> = wanted
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| {
            Size::by_name(name).unwrap_or_else(|message| panic!("GROUPGATE_BENCH_SIZES: {message}"))
        })
        .collect();
    assert!(
        !sizes.is_empty(),
        "GROUPGATE_BENCH_SIZES=`{wanted}` names no size"
    );
    sizes
}

/// Fails (once, outside the timed loop) when a request comes back as an error: a bench that
/// times an error answer measures nothing.
fn expect_answer(engine: &mut Engine, what: &str, request: &str) {
    let answer = engine.query_json(request);
    assert!(
        !answer.is_empty() && !answer.starts_with("{\"error\""),
        "{what} answers {answer:.300}"
    );
}

/// Fails unless both changes of an alternating pair apply, each after the other (in the order
/// the timed loop runs them: `b` after `a`, then `a` after `b`).
fn expect_alternation(engine: &mut Engine, what: &str, a: &str, b: &str) {
    assert_ne!(a, b, "{what}: the two alternating changes are the same");
    expect_answer(engine, &format!("{what} (first)"), a);
    expect_answer(engine, &format!("{what} (second)"), b);
    expect_answer(engine, &format!("{what} (first, again)"), a);
}

/// Fails unless `bytes` restore an engine that answers `requests` exactly as `engine` does.
fn expect_restored(engine: &mut Engine, bytes: &[u8], requests: &[&str]) {
    let mut restored = Engine::from_compiled(bytes)
        .unwrap_or_else(|error| panic!("the compiled bytes do not restore: {error:?}"));
    for request in requests {
        let want = engine.query_json(request);
        assert!(
            !want.starts_with("{\"error\""),
            "{request:.200} answers {want:.300}"
        );
        let got = restored.query_json(request);
        assert!(
            got == want,
            "the restored engine answers {request:.200} with {got:.300}, not {want:.300}"
        );
    }
}

/// Users in the bulk change list (at most every user of the size).
const BULK_USERS: usize = 10_000;

fn configure(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, size: Size) {
    // Two cores are shared: keep the sample count at criterion's minimum and the runs short,
    // longer only where one iteration is long.
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(if size.users >= 100_000 {
        5
    } else {
        2
    }));
}

fn evaluate(c: &mut Criterion) {
    for size in sizes() {
        let tenant = Tenant::build(size, SEED);
        let snapshot = tenant.to_json();
        let mut group = c.benchmark_group(size.name);
        configure(&mut group, size);

        group.throughput(Throughput::Elements(1));
        group.bench_function("load", |b| {
            b.iter(|| Engine::from_json(black_box(&snapshot), LoadOptions::default()))
        });
        let mut engine = Engine::from_json(&snapshot, LoadOptions::default())
            .unwrap_or_else(|error| panic!("{}: the snapshot does not load: {error:?}", size.name));

        let checks = tenant.check_sequence(SEED, CHECKS);
        let allowed = checks
            .iter()
            .filter(|(user, product)| engine.decide(user, product).allowed());
        eprintln!(
            "{}: check allows {:.2}% of the {} pairs",
            size.name,
            allowed.count() as f64 * 100.0 / checks.len() as f64,
            checks.len()
        );
        group.throughput(Throughput::Elements(checks.len() as u64));
        group.bench_function("check", |b| {
            b.iter(|| {
                checks
                    .iter()
                    .filter(|(user, product)| {
                        engine.decide(black_box(user), black_box(product)).allowed()
                    })
                    .count()
            })
        });

        let check_requests: Vec<String> = checks
            .iter()
            .map(|(user, product)| check_request(user, product))
            .collect();
        if let Some(request) = check_requests.first() {
            expect_answer(&mut engine, "check", request);
        }
        group.bench_function("check_json", |b| {
            b.iter(|| {
                check_requests
                    .iter()
                    .map(|request| engine.answer_json(black_box(request)).len())
                    .sum::<usize>()
            })
        });

        // 10,000 users per iteration; a tenth of them from `large` on, to keep a run short
        // (the time is per request either way).
        let access_count = if size.users >= 100_000 {
            ACCESS_USERS / 10
        } else {
            ACCESS_USERS
        };
        let access_requests: Vec<String> = tenant
            .access_users(SEED, access_count)
            .iter()
            .map(|user| user_access_request(user))
            .collect();
        if let Some(request) = access_requests.first() {
            expect_answer(&mut engine, "userAccess", request);
        }
        group.throughput(Throughput::Elements(access_requests.len() as u64));
        group.bench_function("user_access", |b| {
            b.iter(|| {
                access_requests
                    .iter()
                    .map(|request| engine.answer_json(black_box(request)).len())
                    .sum::<usize>()
            })
        });

        group.throughput(Throughput::Elements(1));
        for (name, rule) in preview_rules() {
            let request = preview_request(rule);
            expect_answer(&mut engine, name, &request);
            group.bench_function(format!("preview_rule/{name}"), |b| {
                b.iter(|| engine.answer_json(black_box(&request)))
            });
        }

        let members = tenant.members_request();
        expect_answer(&mut engine, "members", &members);
        group.bench_function("members", |b| {
            b.iter(|| engine.answer_json(black_box(&members)))
        });

        // definition: the largest group (its member entries are the largest item) and a user;
        // snapshot: the whole tenant written back.
        let definitions = [
            format!(
                "{{\"op\":\"definition\",\"group\":\"g{}\"}}",
                tenant.largest_group()
            ),
            format!(
                "{{\"op\":\"definition\",\"user\":\"{}\"}}",
                groupgate_workload::user_id(1)
            ),
        ];
        for (name, request) in ["definition_group", "definition_user"]
            .iter()
            .zip(&definitions)
        {
            expect_answer(&mut engine, name, request);
            group.bench_function(*name, |b| b.iter(|| engine.answer_json(black_box(request))));
        }
        let snapshot_request = r#"{"op":"snapshot"}"#;
        expect_answer(&mut engine, "snapshot", snapshot_request);
        eprintln!(
            "{}: the snapshot answer is {} bytes (the generated snapshot {})",
            size.name,
            engine.answer_json(snapshot_request).len(),
            snapshot.len()
        );
        group.bench_function("snapshot", |b| {
            b.iter(|| engine.answer_json(black_box(snapshot_request)).len())
        });

        // lint: the whole tenant's hygiene findings (the console's Lint view).
        let lint = r#"{"op":"lint"}"#;
        expect_answer(&mut engine, "lint", lint);
        group.bench_function("lint", |b| b.iter(|| engine.answer_json(black_box(lint))));

        let impact = tenant.impact_request();
        expect_answer(&mut engine, "impact", &impact);
        group.bench_function("impact", |b| {
            b.iter(|| engine.answer_json(black_box(&impact)))
        });

        bench_suggest(&mut group, &mut engine, size);

        // The change questions mutate the engine: addMember replaces the same entry each time,
        // setRule alternates between two rules so every iteration changes the members.
        let add_member = tenant.apply_add_member_request();
        expect_answer(&mut engine, "apply addMember", &add_member);
        group.bench_function("apply_add_member", |b| {
            b.iter(|| engine.query_json(black_box(&add_member)))
        });
        let upsert_a = tenant.apply_upsert_user_request(0);
        let upsert_b = tenant.apply_upsert_user_request(1);
        expect_alternation(&mut engine, "apply upsertUser", &upsert_a, &upsert_b);
        let mut turn = false;
        group.bench_function("apply_upsert_user", |b| {
            b.iter(|| {
                turn = !turn;
                let request = if turn { &upsert_b } else { &upsert_a };
                engine.query_json(black_box(request))
            })
        });
        // A directory sync: one list of 10,000 upsertUser (every user on smaller sizes), each
        // moving its user to another location; the two variants alternate.
        let bulk_a = tenant.apply_bulk_upsert_request(BULK_USERS, 0);
        let bulk_b = tenant.apply_bulk_upsert_request(BULK_USERS, 1);
        expect_alternation(&mut engine, "apply bulk upsertUser", &bulk_a, &bulk_b);
        let mut turn = false;
        group.bench_function("apply_upsert_users_10k", |b| {
            b.iter(|| {
                turn = !turn;
                let request = if turn { &bulk_b } else { &bulk_a };
                engine.query_json(black_box(request))
            })
        });
        let set_rule_a = tenant.apply_set_rule_request(0);
        let set_rule_b = tenant.apply_set_rule_request(1);
        expect_alternation(&mut engine, "apply setRule", &set_rule_a, &set_rule_b);
        let mut turn = false;
        group.bench_function("apply_set_rule", |b| {
            b.iter(|| {
                turn = !turn;
                let request = if turn { &set_rule_b } else { &set_rule_a };
                engine.query_json(black_box(request))
            })
        });
        let bytes = engine.to_compiled();
        expect_restored(
            &mut engine,
            &bytes,
            &[&members, &access_requests[0], &check_requests[0]],
        );
        group.bench_function("load_compiled", |b| {
            b.iter(|| Engine::from_compiled(black_box(&bytes)))
        });
        group.finish();
    }
}

/// Rule text typed so far, with `|` where the cursor stands, at the positions an admin meets
/// most: where a condition starts, a field's operators, a short and a long list of values
/// (by prefix, and by a partial token only found inside values), users and groups by name,
/// and a cursor in the middle of a longer rule.
const SUGGEST_CURSORS: [(&str, &str); 10] = [
    ("start", "|"),
    ("field_prefix", "dep|"),
    ("operators", "hireDate |"),
    ("values", "department = |"),
    ("values_prefix", "location = par|"),
    ("manager_prefix", "manager = u12|"),
    ("manager_contains", "manager = 4242|"),
    ("reports_to_name", "manager REPORTS TO ana|"),
    ("member_of_name", "status = Active AND MEMBER OF rule|"),
    (
        "middle",
        "(department = Sales OR location = Pa| ) AND NOT status = Inactive AND hireDate >= 2010-01-01",
    ),
];

fn suggest_request(text_with_cursor: &str) -> String {
    let cursor = text_with_cursor.chars().position(|c| c == '|').unwrap_or(0);
    let text = text_with_cursor.replacen('|', "", 1);
    let mut out = String::from("{\"op\":\"suggest\",\"text\":");
    groupgate_workload::push_json_str(&mut out, &text);
    out.push_str(&format!(",\"cursor\":{cursor}}}"));
    out
}

fn bench_suggest(
    group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    engine: &mut Engine,
    size: Size,
) {
    group.throughput(Throughput::Elements(1));
    for (name, text) in SUGGEST_CURSORS {
        let request = suggest_request(text);
        let started = std::time::Instant::now();
        expect_answer(engine, name, &request);
        eprintln!(
            "{}: suggest/{name}: first answer (builds what it needs) in {:?}",
            size.name,
            started.elapsed()
        );
        group.bench_function(format!("suggest/{name}"), |b| {
            b.iter(|| engine.answer_json(black_box(&request)))
        });
    }
}

criterion_group!(benches, evaluate);
criterion_main!(benches);
