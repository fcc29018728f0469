//! The query layer: loading, requests and answers. Every surface (Rust, JS, plain ABI,
//! the command line) goes through here.

use crate::error::{Error, ErrorCode};

/// The crate version, reported by every surface.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Options for loading a snapshot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Turn the first error-severity diagnostic into a load failure.
    pub strict: bool,
}

/// The fast-path answer to "may user U use product P": positive means allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Decision {
    /// Allowed through an active group that carries the product.
    Group = 1,
    /// Allowed because the user is an org owner.
    Owner = 2,
    /// Allowed because the user is an org admin.
    Admin = 3,
    /// Denied: no active group of the user carries the product.
    NoGroup = 0,
    /// Denied: the user is unknown.
    UnknownUser = -1,
    /// Denied: the product is unknown.
    UnknownProduct = -2,
}

impl Decision {
    pub fn allowed(self) -> bool {
        (self as i32) > 0
    }
}

/// A compiled snapshot that answers requests.
pub struct Engine {
    _private: (),
}

impl Engine {
    /// Compiles a snapshot given as JSON text.
    ///
    /// # Errors
    ///
    /// `invalid-json`, `invalid-snapshot` or `limit-exceeded` when the snapshot cannot be used.
    pub fn from_json(_snapshot: &str, _options: LoadOptions) -> Result<Engine, Error> {
        Err(Error::new(
            ErrorCode::InvalidSnapshot,
            "not implemented yet",
        ))
    }

    /// The load answer: `{"diagnostics":[...],"revision":...}`.
    pub fn load_answer_json(&self) -> String {
        String::new()
    }

    /// Answers one request given as JSON text; failures come back as an error answer.
    pub fn answer_json(&mut self, _request: &str) -> String {
        String::new()
    }

    /// The fast access check.
    pub fn check(&self, _user: &str, _product: &str) -> Decision {
        Decision::UnknownUser
    }
}

/// Loads a snapshot and returns the engine (when it loaded) and the load answer as JSON text:
/// `{"diagnostics":[...],"revision":...}`, or the error answer.
pub fn load_json(snapshot: &str, options: LoadOptions) -> (Option<Engine>, String) {
    match Engine::from_json(snapshot, options) {
        Ok(engine) => {
            let answer = engine.load_answer_json();
            (Some(engine), answer)
        }
        Err(error) => (None, error_answer_json(&error, None)),
    }
}

/// The error answer `{"error":{...},"revision":...}` as canonical JSON text.
pub fn error_answer_json(_error: &Error, _revision: Option<&str>) -> String {
    String::new()
}

/// Answers the requests that need no snapshot (`parseRule`, `formatRule`), for surfaces that
/// expose them as free functions.
pub fn answer_without_engine_json(_request: &str) -> String {
    String::new()
}
