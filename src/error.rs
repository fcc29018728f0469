//! Errors: one type, stable kebab-case codes, and where the problem is.
//!
//! Every failure the engine reports, at load or per request, is an [`Error`].
//! On the wire it becomes `{"error":{"code","message","path","line","column","expected"}}`
//! (the last four `null` when they do not apply); vectors assert on `code` and the location,
//! never on `message`.
//! The fields are private so that what an error carries can grow without breaking callers.
//! Only the engine builds an error freely (a code, then its path, position and expectation);
//! a host that answers in the engine's error shape has three constructors of its own, so it
//! cannot make an error look as if the engine had found it in a rule or a snapshot.

use std::fmt;

/// The stable error codes of the contract.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The text is not JSON.
    InvalidJson,
    /// The snapshot (or compiled bytes) cannot be used at all.
    InvalidSnapshot,
    /// The request is malformed: a missing, unknown or mistyped key.
    InvalidRequest,
    /// The request names an op this engine does not know.
    UnknownOp,
    /// A user id that the snapshot does not have.
    UnknownUser,
    /// A group id that the snapshot does not have.
    UnknownGroup,
    /// A role id that the snapshot does not have.
    UnknownRole,
    /// A product id that the snapshot does not have.
    UnknownProduct,
    /// Rule text that does not parse.
    RuleSyntax,
    /// A rule AST that is not well formed, or rule text with no canonical form.
    InvalidRule,
    /// A limit of the contract is exceeded.
    LimitExceeded,
    /// An `apply` whose `base` is not the engine's revision: the engine missed or already
    /// applied a change list.
    RevisionMismatch,
}

impl ErrorCode {
    /// The kebab-case code written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid-json",
            ErrorCode::InvalidSnapshot => "invalid-snapshot",
            ErrorCode::InvalidRequest => "invalid-request",
            ErrorCode::UnknownOp => "unknown-op",
            ErrorCode::UnknownUser => "unknown-user",
            ErrorCode::UnknownGroup => "unknown-group",
            ErrorCode::UnknownRole => "unknown-role",
            ErrorCode::UnknownProduct => "unknown-product",
            ErrorCode::RuleSyntax => "rule-syntax",
            ErrorCode::InvalidRule => "invalid-rule",
            ErrorCode::LimitExceeded => "limit-exceeded",
            ErrorCode::RevisionMismatch => "revision-mismatch",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure with its code, a lowercase message, and where it happened when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    message: String,
    path: Option<String>,
    line: Option<u32>,
    column: Option<u32>,
    expected: Option<Vec<String>>,
}

impl Error {
    /// An error with a code and a message, located nowhere yet.
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
            path: None,
            line: None,
            column: None,
            expected: None,
        }
    }

    /// The same error located at the JSON path `path` (such as `$.groups[3].rule`).
    #[must_use]
    pub(crate) fn at(mut self, path: impl Into<String>) -> Error {
        self.path = Some(path.into());
        self
    }

    /// An `invalid-request` error at the JSON path `path`, for hosts that answer in the
    /// engine's error shape: a request they read themselves, before or instead of the engine,
    /// is malformed there.
    ///
    /// ```
    /// use groupgate::{error_answer_json, Error, ErrorCode};
    /// let error = Error::invalid_request("$.evaluations[2]", "`subject` is required");
    /// assert_eq!(error.code(), ErrorCode::InvalidRequest);
    /// assert_eq!(error.path(), Some("$.evaluations[2]"));
    /// assert!(error_answer_json(&error, None)
    ///     .starts_with(r#"{"error":{"code":"invalid-request","#));
    /// ```
    pub fn invalid_request(path: impl Into<String>, message: impl Into<String>) -> Error {
        Error::new(ErrorCode::InvalidRequest, message).at(path)
    }

    /// A `limit-exceeded` error at the JSON path `path`, for hosts that answer in the engine's
    /// error shape: a request they read themselves holds more there than they take.
    ///
    /// ```
    /// use groupgate::{Error, ErrorCode};
    /// let error = Error::limit_exceeded("$", "1,001 requests in one array: at most 1,000");
    /// assert_eq!((error.code(), error.path()), (ErrorCode::LimitExceeded, Some("$")));
    /// ```
    pub fn limit_exceeded(path: impl Into<String>, message: impl Into<String>) -> Error {
        Error::new(ErrorCode::LimitExceeded, message).at(path)
    }

    /// An error located nowhere, for hosts that answer in the engine's error shape: a failure
    /// of their own, such as a file they cannot read or a body over their size limit.
    ///
    /// ```
    /// use groupgate::{error_answer_json, Error, ErrorCode};
    /// let error = Error::host(ErrorCode::InvalidSnapshot, "no snapshot is loaded");
    /// assert_eq!(error.path(), None);
    /// assert_eq!(
    ///     error_answer_json(&error, None),
    ///     r#"{"error":{"code":"invalid-snapshot","column":null,"expected":null,"line":null,"message":"no snapshot is loaded","path":null},"revision":null}"#
    /// );
    /// ```
    pub fn host(code: ErrorCode, message: impl Into<String>) -> Error {
        Error::new(code, message)
    }

    /// The same error at a 1-based line and column (counted in Unicode characters).
    #[must_use]
    pub(crate) fn at_position(mut self, line: u32, column: u32) -> Error {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// The same error listing what would have been accepted.
    #[must_use]
    pub(crate) fn expecting(mut self, expected: Vec<String>) -> Error {
        self.expected = Some(expected);
        self
    }

    /// The same error with another code (a rule error inside a snapshot, say).
    #[must_use]
    pub(crate) fn with_code(mut self, code: ErrorCode) -> Error {
        self.code = code;
        self
    }

    /// The same error located at `path` unless it already has a location.
    #[must_use]
    pub(crate) fn at_if_unset(self, path: &str) -> Error {
        if self.path.is_some() {
            self
        } else {
            self.at(path)
        }
    }

    /// The same error with its path moved under `prefix`: `$.groups[0]` under `$.next`
    /// becomes `$.next.groups[0]`.
    #[must_use]
    pub(crate) fn under(mut self, prefix: &str) -> Error {
        self.path = Some(match self.path.take() {
            Some(path) => format!("{prefix}{}", path.strip_prefix('$').unwrap_or(&path)),
            None => prefix.to_owned(),
        });
        self
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// What went wrong, lowercase, without a final period.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The JSON path of the problem, when it lies in JSON.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The 1-based line, for rule text and JSON text.
    pub fn line(&self) -> Option<u32> {
        self.line
    }

    /// The 1-based column, counted in Unicode characters.
    pub fn column(&self) -> Option<u32> {
        self.column
    }

    /// What would have been accepted, for rule syntax errors.
    pub fn expected(&self) -> Option<&[String]> {
        self.expected.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(path) = &self.path {
            write!(f, " at {path}")?;
        }
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, " (line {line}, column {column})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_move_under_a_prefix() {
        let e = Error::new(ErrorCode::InvalidSnapshot, "x").at("$.groups[0].name");
        assert_eq!(e.under("$.next").path(), Some("$.next.groups[0].name"));
        let e = Error::new(ErrorCode::InvalidJson, "x");
        assert_eq!(e.under("$.next").path(), Some("$.next"));
    }

    #[test]
    fn display_names_code_path_and_position() {
        let e = Error::new(ErrorCode::RuleSyntax, "unexpected `)`")
            .at("$.rule")
            .at_position(1, 7);
        assert_eq!(
            e.to_string(),
            "rule-syntax: unexpected `)` at $.rule (line 1, column 7)"
        );
    }
}
