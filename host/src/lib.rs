//! Native harness for groupgate: the engines behind the `groupgate` command, and its pieces.
//!
//! Every engine sits behind [`groupgate_vectors::Backend`], which takes and gives JSON text,
//! so the command, the vector runner and the demo run the same way on any of them.

pub mod cli;
pub mod demo;
pub mod hostile;
pub mod native;
pub mod serve;
pub mod wasm;
