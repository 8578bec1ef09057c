//! Tally's sources: the phone system's call records turned into `call` events.
//!
//! A PBX writes one record per call (or per leg): Asterisk's `cdr_csv` `Master.csv`
//! ([`asterisk`]), FreeSWITCH's `mod_json_cdr` documents ([`freeswitch`]). Each is parsed
//! into a [`CallRecord`], then [`classify`](call::classify)d with the organization's
//! [`Directory`](call::Directory) (who has which extension, which customer has which
//! phone) into a `call` event of `spec/events.md`, an internal call (not counted), or a
//! record kept aside because no extension in it is mapped to a user. No I/O here.

pub mod asterisk;
pub mod call;
pub mod freeswitch;
/// Phone numbers in one national form (the rule lives in the core: the store logs calls
/// by it too).
pub use tally_core::phone;

pub use call::{CallRecord, Classified, Directory, Source, classify, line_key};

/// Why a call record cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct CdrError {
    pub field: String,
    pub message: String,
}

impl CdrError {
    pub fn new(field: &str, message: impl Into<String>) -> CdrError {
        CdrError {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}
