//! Deterministic synthetic tenants.
