//! The store's errors: database failures, and the domain outcomes callers turn into
//! HTTP statuses (not found, conflict, invalid field).

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Config(String),
    /// Something named does not exist: the message names it.
    #[error("{0}")]
    NotFound(String),
    /// The request clashes with what is stored: the message says with what.
    #[error("{0}")]
    Conflict(String),
    /// A field is invalid: `field: message`.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// Stored data that cannot be read back (a bug or a hand-edited database).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> StoreError {
        StoreError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// Maps a unique-constraint violation to a conflict with this message.
    pub(crate) fn conflict_on_unique(error: sqlx::Error, message: impl Into<String>) -> StoreError {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(message.into())
            }
            _ => StoreError::Database(error),
        }
    }
}
