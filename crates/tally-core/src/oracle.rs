//! The oracle: the spec's definitions computed literally from a whole event log.
