//! The harness error type.

use std::fmt;
use std::io;
use std::path::Path;

/// Why a harness helper failed.
#[derive(Debug)]
pub enum HarnessError {
    /// The machine does not allow this kind of host, for example because creating a network
    /// namespace needs a privilege that the test process lacks. Tests print a skip message.
    Unsupported(String),

    /// A server could not bind its port because another socket is bound to it.
    AddressInUse(String),

    /// A command, a system call or a file operation failed. The message names it.
    Failed(String),
}

/// The result type of every fallible harness helper.
pub type Result<T> = std::result::Result<T, HarnessError>;

impl fmt::Display for HarnessError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HarnessError::Unsupported(message) => write!(formatter, "unsupported here: {message}"),
            HarnessError::AddressInUse(message) => write!(formatter, "address in use: {message}"),
            HarnessError::Failed(message) => formatter.write_str(message),
        }
    }
}

impl std::error::Error for HarnessError {}

pub(crate) fn failed(message: impl Into<String>) -> HarnessError {
    HarnessError::Failed(message.into())
}

/// Builds an error for a failed file operation that names the action and the path.
pub(crate) fn io_failed(action: &str, path: &Path, error: io::Error) -> HarnessError {
    failed(format!("could not {action} {}: {error}", path.display()))
}
