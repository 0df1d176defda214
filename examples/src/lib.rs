//! Shared helpers for the example programs.
//!
//! - [`auth`]: a SASL client for a mechanism named on the command line.
//! - [`cli`]: what the clients share on the command line: exit codes, `HOST[:PORT]` and
//!   `ADDR[:PORT]`, the ports that imply TLS, failures reported on stderr.
//! - [`client`]: connecting a client (implicit TLS or waiting for a plaintext greeting) and
//!   explaining why a session failed.
//! - [`display`]: peer text made safe for a terminal (control characters escaped).
//! - [`driver`]: a generic tokio + rustls driver for any `mail_sansio::Session` (STARTTLS
//!   on the same socket, implicit TLS, timeouts from `poll_timeout`), with a [`driver::Handler`]
//!   trait for the application's answers.
//! - [`tls`]: certificates from PEM files, a self-signed certificate made with rcgen, and
//!   client connectors for `--ca FILE`, `--insecure` or the public roots.
//! - [`mx`]: a tokio driver for the Sans-IO MX lookup of `mx-resolve`.
//! - [`submit`]: one message through the SMTP client machine (used by `smtp-send` and the
//!   mail server's relay).
//!
//! The programs: `mailserver` (SMTP, submission and POP3 with local Maildir delivery and
//! relay by MX), `smtp-send`, `pop3-client`, `imap-client` (on the IMAP client machine and its
//! mailbox tracker), `mx-lookup`, `blocking-smtp-server` (the run loop on blocking `std` I/O)
//! and `demo`.

pub mod auth;
pub mod cli;
pub mod client;
pub mod display;
pub mod driver;
pub mod mx;
pub mod submit;
pub mod tls;
