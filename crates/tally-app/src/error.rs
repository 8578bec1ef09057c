//! The one error of the application: what went wrong, in words for the caller, and
//! for a fault of ours the error that caused it (`source`), which the HTTP adapter logs
//! once and never shows.

use tally_store::StoreError;

/// What a service could not do, and why.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request cannot be read at all.
    #[error("{0}")]
    Malformed(String),
    /// No credentials, or unknown ones.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The named thing does not exist.
    #[error("{0}")]
    NotFound(String),
    /// It clashes with what is stored (or changed meanwhile).
    #[error("{0}")]
    Conflict(String),
    /// Too large: a body, or too many events.
    #[error("{0}")]
    TooLarge(String),
    /// A body did not arrive in time.
    #[error("{0}")]
    Timeout(String),
    /// Too many attempts; wait.
    #[error("{0}")]
    TooManyRequests(String),
    /// A field is invalid; the message starts with the field's name.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// Our fault: `what` failed because of `source`.
    #[error("{what} failed")]
    Internal {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl Error {
    pub fn invalid(field: &str, message: impl Into<String>) -> Error {
        Error::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// Our fault, with its cause.
    pub fn internal(
        what: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Error {
        Error::Internal {
            what: what.into(),
            source: source.into(),
        }
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(m) => Error::NotFound(m),
            StoreError::Conflict(m) => Error::Conflict(m),
            StoreError::Invalid { field, message } => Error::Invalid { field, message },
            other => Error::internal("the database", other),
        }
    }
}

/// A service's answer.
pub type Result<T, E = Error> = std::result::Result<T, E>;
