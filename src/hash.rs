//! Deterministic hash maps for the core.
//!
//! std's default hasher seeds itself from the operating system's randomness, which the core
//! never reads. These maps use foldhash with a fixed seed: deterministic on every host, and,
//! unlike a multiply-rotate hash, they spread ids that differ only in their last bytes
//! (`u0000001`, `u0000002`, …) evenly. Lookups by id on the request path go through
//! [`crate::ids::IdTable`], which also bounds the cost of ids chosen to collide.

use std::collections::{HashMap, HashSet};

/// The fixed hasher.
pub type Fixed = foldhash::fast::FixedState;

/// A map with deterministic hashing.
pub type Map<K, V> = HashMap<K, V, Fixed>;
/// A set with deterministic hashing.
pub type Set<T> = HashSet<T, Fixed>;
