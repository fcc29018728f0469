//! Errors: one type, stable kebab-case codes, and where the problem is.
//!
//! Every failure the engine reports, at load or per request, is an [`Error`].
//! On the wire it becomes `{"error":{"code","message","path","line","column","expected"}}`
//! (the last four `null` when they do not apply); vectors assert on `code`, never on `message`.

use std::fmt;

/// The stable error codes of the contract.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    InvalidJson,
    InvalidSnapshot,
    InvalidRequest,
    UnknownOp,
    UnknownUser,
    UnknownGroup,
    UnknownRole,
    UnknownProduct,
    RuleSyntax,
    InvalidRule,
    LimitExceeded,
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
    pub code: ErrorCode,
    pub message: String,
    /// A JSON path such as `$.groups[3].rule`.
    pub path: Option<String>,
    /// 1-based line, for rule text and JSON text.
    pub line: Option<u32>,
    /// 1-based column counted in Unicode characters.
    pub column: Option<u32>,
    /// What would have been accepted, for rule syntax errors.
    pub expected: Option<Vec<String>>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
            path: None,
            line: None,
            column: None,
            expected: None,
        }
    }

    /// The same error located at `path`.
    pub fn at(mut self, path: impl Into<String>) -> Error {
        self.path = Some(path.into());
        self
    }

    pub fn code(&self) -> ErrorCode {
        self.code
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
