//! The peers groupgate is measured against, and what the bench binaries share.
//!
//! `membership` resolves a groupgate snapshot into the memberships a peer can be given;
//! `cedar` and `rego` write it in each peer's input format and wrap the peer's engine;
//! `stats` summarizes repeated timings.

pub mod membership;

pub mod cedar;
#[cfg(feature = "regorus")]
pub mod rego;

pub mod stats;
