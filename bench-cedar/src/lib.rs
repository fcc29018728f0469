//! The peers groupgate is measured against, and what the bench binaries share.
//!
//! `membership` resolves a groupgate snapshot into the memberships a peer can be given;
//! `cedar` writes it in Cedar's input format and wraps Cedar's engine;
//! `stats` summarizes repeated timings.

pub mod membership;

pub mod cedar;

pub mod stats;
