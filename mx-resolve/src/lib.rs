//! MX resolution for the mail-sansio workspace (work in progress).
#![forbid(unsafe_code)]
