//! Sans-IO POP3 for the mail-sansio workspace (work in progress).
#![forbid(unsafe_code)]
