//! groupgate: group-based access evaluation over a tenant snapshot.
//!
//! A host hands over a snapshot of one tenant (users, groups, roles, products, modules) and
//! asks questions as JSON requests: who is in this group and why, which roles a user ends up
//! with, may this user use this product, where should this user land.
//! The core does no I/O and reads no clock or randomness, so the same snapshot and request
//! give byte-identical answers natively, in wasmtime and in Node.
//!
//! The entry point is [`Engine`]: [`Engine::from_json`] compiles a snapshot,
//! [`Engine::answer_json`] answers any request, [`Engine::check`] is the fast access check.

mod access;
mod directory;
pub mod error;
mod eval;
mod hash;
mod homepage;
pub mod json;
mod lint;
pub mod rules;
mod snapshot;
mod text;
mod time;
pub mod vectors;
mod wire;

mod api;

#[cfg(feature = "abi")]
mod abi;
#[cfg(feature = "js")]
mod js;

pub use api::{
    answer_without_engine_json, error_answer_json, load_json, Decision, Engine, LoadOptions,
    VERSION,
};
pub use error::{Error, ErrorCode};
