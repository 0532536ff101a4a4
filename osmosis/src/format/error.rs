//! Errors from reading and writing model files.

use std::fmt;

/// A file could not be read or written: `file:LINE: message` (the line when known).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    /// The file.
    pub file: String,
    /// The 1-based line, when the error is about one.
    pub line: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl FormatError {
    /// An error at a line of a file.
    pub fn at(file: &str, line: u64, message: impl Into<String>) -> FormatError {
        FormatError { file: file.into(), line: Some(line), message: message.into() }
    }

    /// An I/O error on a file.
    pub fn io(file: &str, err: &std::io::Error) -> FormatError {
        FormatError { file: file.into(), line: None, message: err.to_string() }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for FormatError {}
