//! A careless or hostile host never traps the module: bad pointers, bad handles, double frees
//! and garbage text all come back as error answers or error codes, and the instance stays usable.

mod common;

use groupgate_host::wasm::{unpack, Guest};
use serde_json::Value;

const SNAPSHOT: &str = r#"{"revision":"r1",
  "users":[{"id":"u1","name":"Ana"},{"id":"u2","name":"Bo","orgRole":"admin"}],
  "groups":[{"id":"g1","name":"Team","members":["u1"],"products":["p1"]}],
  "products":[{"id":"p1"},{"id":"p2"}]}"#;

fn loaded() -> (Guest, u32) {
    let mut guest = common::guest();
    let (handle, answer) = guest.load(SNAPSHOT, false).expect("loads without a trap");
    assert_ne!(handle, 0, "the snapshot loads: {answer}");
    (guest, handle)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The error code of an answer, or `None` when it is not an error answer.
fn code(answer: &str) -> Option<String> {
    json(answer)["error"]["code"].as_str().map(str::to_owned)
}

/// The instance still answers correctly.
fn still_works(guest: &mut Guest, handle: u32) {
    assert_eq!(guest.check(handle, "u1", "p1"), Ok(1));
    let answer = guest
        .query(handle, r#"{"op":"check","user":"u1","product":"p1"}"#)
        .expect("no trap");
    assert_eq!(json(&answer)["allowed"], Value::Bool(true), "{answer}");
}

#[test]
fn the_fast_check_gives_decision_codes() {
    let (mut guest, handle) = loaded();
    assert_eq!(guest.check(handle, "u1", "p1"), Ok(1));
    assert_eq!(guest.check(handle, "u2", "p2"), Ok(3));
    assert_eq!(guest.check(handle, "u1", "p2"), Ok(0));
    assert_eq!(guest.check(handle, "nobody", "p1"), Ok(-1));
    assert_eq!(guest.check(handle, "u1", "nothing"), Ok(-2));
}

#[test]
fn out_of_range_pointers_are_error_answers() {
    let (mut guest, handle) = loaded();
    let size = u32::try_from(guest.memory_size()).unwrap_or(u32::MAX);
    let ranges = [
        (u32::MAX, 1),
        (u32::MAX - 3, 100),
        (size, 10),
        (size - 1, 2),
        (8, 16),
        (0, 1),
        (1024, u32::MAX),
    ];
    for (ptr, len) in ranges {
        let answer = guest
            .query_raw(handle, ptr, len)
            .and_then(|packed| guest.take(packed))
            .unwrap_or_else(|e| panic!("query {ptr}+{len}: {e}"));
        assert_eq!(
            code(&answer).as_deref(),
            Some("invalid-request"),
            "{answer}"
        );
        assert_eq!(guest.engine_new_raw(ptr, len, 0), Ok(0), "load {ptr}+{len}");
        let packed = guest.last_answer_raw().expect("no trap");
        let answer = guest.take(packed).expect("a load answer");
        assert_eq!(
            code(&answer).as_deref(),
            Some("invalid-request"),
            "{answer}"
        );
        assert_eq!(guest.check_raw(handle, ptr, len, ptr, len), Ok(-4));
    }
    still_works(&mut guest, handle);
}

#[test]
fn a_range_past_the_end_of_its_buffer_is_refused() {
    let (mut guest, handle) = loaded();
    let request = br#"{"op":"check","user":"u1","product":"p1"}"#;
    let (ptr, len) = guest.put(request).expect("allocates");
    let answer = guest
        .query_raw(handle, ptr, len + 1)
        .and_then(|packed| guest.take(packed))
        .expect("no trap");
    assert_eq!(
        code(&answer).as_deref(),
        Some("invalid-request"),
        "{answer}"
    );
    // A range inside the buffer is fine.
    let answer = guest
        .query_raw(handle, ptr, len)
        .and_then(|packed| guest.take(packed))
        .expect("no trap");
    assert_eq!(code(&answer), None, "{answer}");
    assert_eq!(guest.free_raw(ptr, len), Ok(0));
}

#[test]
fn bad_handles_are_refused() {
    let (mut guest, handle) = loaded();
    for bad in [handle + 1, 12345, u32::MAX] {
        let answer = guest
            .query(bad, r#"{"op":"diagnostics"}"#)
            .expect("no trap");
        assert_eq!(
            code(&answer).as_deref(),
            Some("invalid-request"),
            "{answer}"
        );
        assert_eq!(guest.check(bad, "u1", "p1"), Ok(-3));
        assert_eq!(guest.engine_free_raw(bad), Ok(-1));
    }
    assert_eq!(guest.engine_free_raw(handle), Ok(0));
    assert_eq!(
        guest.engine_free_raw(handle),
        Ok(-1),
        "a second free is refused"
    );
    let answer = guest
        .query(handle, r#"{"op":"diagnostics"}"#)
        .expect("no trap");
    assert_eq!(
        code(&answer).as_deref(),
        Some("invalid-request"),
        "{answer}"
    );
    assert_eq!(guest.check(handle, "u1", "p1"), Ok(-3));
    // Handles are never reused.
    let (again, _) = guest.load(SNAPSHOT, false).expect("no trap");
    assert_ne!(again, handle);
    still_works(&mut guest, again);
}

#[test]
fn double_and_wrong_frees_are_refused() {
    let (mut guest, handle) = loaded();
    let (ptr, len) = guest.put(b"hello").expect("allocates");
    assert_eq!(guest.free_raw(ptr, len + 1), Ok(-1), "wrong length");
    assert_eq!(guest.free_raw(ptr + 1, len - 1), Ok(-1), "inside a buffer");
    assert_eq!(guest.free_raw(ptr, len), Ok(0));
    assert_eq!(guest.free_raw(ptr, len), Ok(-1), "double free");
    assert_eq!(guest.free_raw(0, 0), Ok(-1));
    assert_eq!(guest.free_raw(u32::MAX, u32::MAX), Ok(-1));
    let packed = guest
        .query_raw(handle, 0, 0)
        .expect("an empty request is an answer");
    let (answer_ptr, answer_len) = unpack(packed);
    assert_eq!(guest.free_raw(answer_ptr, answer_len), Ok(0));
    assert_eq!(guest.free_raw(answer_ptr, answer_len), Ok(-1));
    still_works(&mut guest, handle);
}

#[test]
fn allocation_failures_are_zero_not_traps() {
    let mut guest = common::guest();
    assert_eq!(guest.alloc_raw(u32::MAX), Ok(0));
    assert_eq!(guest.alloc_raw(0x8000_0000), Ok(0));
    let empty = guest.alloc_raw(0).expect("no trap");
    assert_ne!(empty, 0, "an empty buffer is a real buffer");
    assert_eq!(guest.free_raw(empty, 0), Ok(0));
}

#[test]
fn garbage_text_is_an_error_answer() {
    let (mut guest, handle) = loaded();
    let deep_array = "[".repeat(100_000);
    let deep_object = "{\"a\":".repeat(50_000);
    let garbage: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"   ".to_vec(),
        b"null".to_vec(),
        b"42".to_vec(),
        b"[]".to_vec(),
        b"{".to_vec(),
        b"{}".to_vec(),
        b"{\"op\":42}".to_vec(),
        b"{\"op\":\"nope\"}".to_vec(),
        b"{\"op\":\"check\",\"user\":[],\"product\":{}}".to_vec(),
        b"{\"op\":\"previewRule\",\"rule\":\"((((\"}".to_vec(),
        b"{\"op\":\"members\",\"group\":\"g1\",\"pageSize\":1e308}".to_vec(),
        b"{\"op\":\"checkBatch\",\"checks\":[1,2,3]}".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x80],
        b"{\"op\":\"check\",\"user\":\"\xc3\x28\"}".to_vec(),
        deep_array.into_bytes(),
        deep_object.into_bytes(),
    ];
    for text in &garbage {
        let shown = String::from_utf8_lossy(&text[..text.len().min(40)]).into_owned();
        let (ptr, len) = guest.put(text).expect("allocates");
        let answer = guest
            .query_raw(handle, ptr, len)
            .and_then(|packed| guest.take(packed))
            .unwrap_or_else(|e| panic!("`{shown}`: {e}"));
        assert!(code(&answer).is_some(), "`{shown}` gave {answer}");
        assert_eq!(json(&answer)["revision"], "r1", "{answer}");
        assert_eq!(guest.free_raw(ptr, len), Ok(0));
        // The same garbage as a snapshot loads or fails to, without a trap.
        let (loaded, answer) = guest
            .load(&String::from_utf8_lossy(text), false)
            .unwrap_or_else(|e| panic!("load `{shown}`: {e}"));
        assert_eq!(loaded == 0, code(&answer).is_some(), "`{shown}`: {answer}");
        if loaded != 0 {
            assert_eq!(guest.engine_free_raw(loaded), Ok(0));
        }
    }
    assert_eq!(guest.engine_new_raw(0, 0, 2), Ok(0), "unknown flags");
    still_works(&mut guest, handle);
}

#[test]
fn handle_zero_answers_the_requests_that_need_no_engine() {
    let mut guest = common::guest();
    let answer = guest
        .query(0, r#"{"op":"parseRule","text":"department = Sales"}"#)
        .expect("no trap");
    assert_eq!(code(&answer), None, "{answer}");
    assert_eq!(json(&answer)["rule"]["op"], "=", "{answer}");
}

#[test]
fn answers_are_freed_so_memory_stays_flat() {
    let (mut guest, handle) = loaded();
    let request = r#"{"op":"userAccess","user":"u1"}"#;
    for _ in 0..200 {
        guest.query(handle, request).expect("no trap");
    }
    let size = guest.memory_size();
    for _ in 0..2_000 {
        guest.query(handle, request).expect("no trap");
        guest.check(handle, "u1", "p1").expect("no trap");
    }
    assert_eq!(guest.memory_size(), size);
}

/// A host whose memory is full: `memory.grow` fails. An answer that no longer fits becomes an
/// error answer, `gg_alloc` returns 0, and once memory is free again every export works.
#[test]
fn memory_that_cannot_grow_gives_error_answers_not_traps() {
    // Many dangling member references: a load that fits, a `diagnostics` answer of megabytes.
    let members: Vec<String> = (0..60_000).map(|n| format!("\"ghost-{n}\"")).collect();
    let snapshot = format!(
        r#"{{"users":[{{"id":"u1"}}],"products":[{{"id":"p1"}}],
            "groups":[{{"id":"g1","name":"G","members":["u1",{}],"products":["p1"]}}]}}"#,
        members.join(",")
    );
    let mut guest = common::guest();
    let (handle, answer) = guest.load(&snapshot, false).expect("loads without a trap");
    assert_ne!(handle, 0, "the snapshot loads: {answer:.300}");
    // Whatever memory the instance has now, and not a page more.
    let full = guest.memory_size();
    guest.limit_memory(Some(full));
    let mut refused = 0;
    for _ in 0..3 {
        match guest.query(handle, r#"{"op":"diagnostics"}"#) {
            Ok(answer) => {
                let value = json(&answer);
                if value.get("error").is_some() {
                    assert_eq!(value["error"]["code"], "limit-exceeded", "{answer:.300}");
                    refused += 1;
                }
            }
            Err(message) => {
                assert!(
                    message.contains("could not allocate"),
                    "a trap instead of an answer: {message}"
                );
                refused += 1;
            }
        }
        assert_eq!(
            guest.check(handle, "u1", "p1"),
            Ok(1),
            "the fast check still works"
        );
    }
    assert!(refused > 0, "a megabytes answer fitted in a full memory");
    assert_eq!(
        guest.alloc_raw(64 << 20).expect("no trap"),
        0,
        "gg_alloc(64 MiB) is 0"
    );
    // Memory again: every export answers in full.
    guest.limit_memory(None);
    let answer = guest
        .query(handle, r#"{"op":"diagnostics"}"#)
        .expect("no trap");
    assert_eq!(
        json(&answer)["diagnostics"].as_array().map(Vec::len),
        Some(60_000)
    );
    still_works(&mut guest, handle);
}
