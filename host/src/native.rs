//! The native backend: the core compiled into this binary, behind `Backend`.
//!
//! It is the reference the WebAssembly backend is compared with: both take and give the same
//! JSON text, so the command, the vector runner and the demo never know which one they hold.

pub use groupgate_vectors::NativeBackend;
