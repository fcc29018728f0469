//! The native backend: the core compiled into this binary, behind [`Backend`].
//!
//! It is the reference the WebAssembly backend is compared with: both take and give the same
//! JSON text, so the command, the vector runner and the demo never know which one they hold.

use groupgate::vectors::Backend;
use groupgate::{error_answer_json, load_json, Engine, Error, ErrorCode, LoadOptions};

/// Loads snapshots into a native [`Engine`] and answers requests with it.
#[derive(Default)]
pub struct NativeBackend {
    engine: Option<Engine>,
}

impl NativeBackend {
    pub fn new() -> NativeBackend {
        NativeBackend::default()
    }
}

impl Backend for NativeBackend {
    fn load(&mut self, snapshot: &str, strict: bool) -> String {
        let (engine, answer) = load_json(snapshot, LoadOptions { strict });
        self.engine = engine;
        answer
    }

    fn query(&mut self, request: &str) -> String {
        match self.engine.as_mut() {
            Some(engine) => engine.answer_json(request),
            None => error_answer_json(
                &Error::new(ErrorCode::InvalidSnapshot, "no snapshot is loaded"),
                None,
            ),
        }
    }
}
