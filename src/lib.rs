//! groupgate: group-based access evaluation over a tenant snapshot.
//!
//! A host hands over a snapshot of one tenant (users, groups, roles, products, modules) and
//! asks questions as JSON requests: who is in this group and why, which roles a user ends up
//! with, may this user use this product, where should this user land, what would this change
//! do. The core does no I/O and reads no clock or randomness, so the same snapshot and request
//! give byte-identical answers natively, in wasmtime and in Node.
//!
//! ```
//! use groupgate::{Decision, Engine, LoadOptions};
//!
//! let snapshot = r#"{
//!     "users": [{ "id": "u1", "name": "Ana", "attributes": { "location": "Paris" } }],
//!     "groups": [{ "id": "g-paris", "name": "Paris", "rule": "location = Paris",
//!                  "products": ["p-wiki"] }],
//!     "products": [{ "id": "p-wiki" }]
//! }"#;
//! let engine = Engine::from_json(snapshot, LoadOptions::default())?;
//! assert_eq!(engine.decide("u1", "p-wiki"), Decision::Group);
//!
//! let answer = engine.answer_json(r#"{"op":"members","group":"g-paris"}"#);
//! assert!(answer.contains(r#""types":["dynamic"]"#));
//! # Ok::<(), groupgate::Error>(())
//! ```
//!
//! The modules import one way, from the leaves up; ARCHITECTURE.md has the map:
//! leaves (`error`, `limits`, `hash`, `text`, `time`; `ids`, `json`; `sets`) → `rules` →
//! `snapshot` → `model` → domain answers (`access`, `listing`, `lint`; `homepage`, `impact`,
//! `suggest`) → `api` → faces (`abi`, `js`). The contract they carry out is `docs/spec.md`.
#![deny(missing_docs)]

mod error;
mod hash;
mod ids;
mod json;
mod limits;
mod sets;
mod text;
mod time;

mod rules;

mod snapshot;

mod model;

mod access;
mod homepage;
mod impact;
mod lint;
mod listing;
mod suggest;

mod api;

#[cfg(feature = "abi")]
mod abi;
#[cfg(feature = "js")]
mod js;

pub use access::Decision;
pub use api::{
    answer_without_engine_json, error_answer_json, load_json, Engine, Field, LoadOptions, VERSION,
};
pub use error::{Error, ErrorCode};
pub use model::Diagnostic;
pub use snapshot::Severity;
