//! Sans-IO IMAP for the mail-sansio workspace.
//!
//! Placeholder: the IMAP codec and state machines are planned (RFC 3501 and RFC 9051) and will
//! follow the same skeleton and vocabulary as `smtp-proto` and `pop3-proto`. Nothing is public yet.
#![forbid(unsafe_code)]
