//! The plain module's surface is pinned: it imports nothing, and exports exactly the
//! documented list (src/abi.rs) with the documented signatures.

mod common;

/// The exports of src/abi.rs, plus `memory` and the two globals the linker always exports.
const EXPORTS: &[&str] = &[
    "__data_end",
    "__heap_base",
    "gg_abi_version",
    "gg_alloc",
    "gg_check",
    "gg_engine_export",
    "gg_engine_free",
    "gg_engine_from_compiled",
    "gg_engine_new",
    "gg_free",
    "gg_last_answer",
    "gg_query",
    "memory",
];

#[test]
fn imports_nothing() {
    assert_eq!(common::module().imports(), Vec::<String>::new());
}

#[test]
fn exports_exactly_the_documented_list() {
    let mut exports = common::module().exports();
    exports.sort();
    assert_eq!(exports, EXPORTS);
}

#[test]
fn signatures_match_the_reference() {
    // Instantiation checks every export against the typed signature the harness expects.
    let mut guest = common::guest();
    assert_eq!(guest.abi_version(), Ok(1));
}
