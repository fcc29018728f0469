//! The limits of the contract (SPEC §8), in one place.
//!
//! Sizes are in UTF-8 bytes. Exceeding one is `limit-exceeded`, except inside a snapshot's
//! rule, where it makes the rule invalid (`invalid-rule`, SPEC §1.1).

/// The deepest nesting of arrays and objects in any JSON the engine reads.
pub const MAX_JSON_DEPTH: usize = 128;
/// The largest snapshot text.
pub const MAX_SNAPSHOT_BYTES: usize = 1 << 30;
/// The longest rule text.
pub const MAX_RULE_TEXT: usize = 64 * 1024;
/// The deepest nesting of `all`/`any`/`not` in an AST, and of parentheses in text.
pub const MAX_RULE_DEPTH: usize = 64;
/// The most nodes (conditions and connectives) one rule may hold.
pub const MAX_RULE_NODES: usize = 10_000;
/// The most values an `IN` list may hold.
pub const MAX_IN_LIST: usize = 10_000;
/// The largest answer, as JSON text.
pub const MAX_ANSWER_BYTES: usize = 256 << 20;
/// The largest page (`pageSize`), and the largest `limit` of `previewRule` and `suggest`.
pub const MAX_PAGE_SIZE: u64 = 1000;
/// The most checks one `checkBatch` may hold.
pub const MAX_BATCH: usize = 100_000;
/// A rule asked of the engine (`previewRule`) may look at this many values and users per user
/// and per distinct attribute value of the tenant, plus [`RULE_WORK_BASE`], before it is refused
/// as too costly (SPEC §8). An index answers `=`, `IN` and `STARTS WITH` at the cost of what
/// they match; `LIKE` on a field whose values are all distinct costs every value, so about
/// this many such conditions fit.
pub const RULE_WORK_PER_ITEM: usize = 8;
/// The work every rule may do, however small the tenant.
pub const RULE_WORK_BASE: usize = 1 << 20;
