//! What can go wrong in a task, each with the cause and the fix.

use std::fmt;
use std::path::PathBuf;

/// A task's failure.
#[derive(Debug)]
pub enum Error {
    /// Host tools are missing and cannot be installed from here.
    Missing {
        /// The missing programs.
        tools: Vec<&'static str>,
        /// The command that installs them.
        install: String,
    },
    /// A command failed.
    Command {
        /// What it was doing.
        what: String,
        /// Where its output is, if it was logged.
        log: Option<PathBuf>,
        /// The last lines of its output.
        tail: String,
    },
    /// A file could not be read or written.
    Io(PathBuf, std::io::Error),
    /// Something in a kernel tree is not where it should be.
    Tree(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Missing { tools, install } => {
                write!(f, "missing host tools: {}; install them with:\n    {install}", tools.join(", "))
            }
            Error::Command { what, log, tail } => {
                write!(f, "{what} failed")?;
                if let Some(log) = log {
                    write!(f, " (full log: {})", log.display())?;
                }
                if !tail.is_empty() {
                    write!(f, "\n{tail}")?;
                }
                Ok(())
            }
            Error::Io(path, e) => write!(f, "{}: {e}", path.display()),
            Error::Tree(msg) => f.write_str(msg),
        }
    }
}

/// Wraps an I/O error with its path.
pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |e| Error::Io(path, e)
}
