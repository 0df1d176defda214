//! The real peers of the interop tests. `examples/interop/start-peers.sh` starts them (Dovecot,
//! Postfix, dnsmasq, one `examples/interop/ci-*.sh` each) and they write `KEY=VALUE` lines to
//! a file; tests read it here.
//!
//! A test that needs a peer is `#[ignore = "needs the interop peers: ..."]`, so a plain
//! `cargo test` lists it as ignored instead of passing it without a peer. Running it anyway
//! (`-- --ignored`, as `.ci/run` does once the peers are up) is asking for the peers, so a
//! missing file or value fails the test with a message saying how to start them: CI cannot
//! pass without having talked to them.

use std::collections::HashMap;

/// How to start every peer, for the messages.
const START: &str = "bash examples/interop/start-peers.sh";

/// What the interop scripts wrote: `$MAILSANSIO_PEERS_ENV`, by default
/// `/tmp/mailsansio-peers.env`.
#[derive(Debug, Clone)]
pub struct PeersEnv {
    path: String,
    vars: HashMap<String, String>,
}

impl PeersEnv {
    /// Reads the file.
    ///
    /// # Panics
    ///
    /// When there is none: the test asked for the peers, and they were not started. The
    /// message names `start-peers.sh` and `script`, the one that starts this test's peer
    /// alone.
    #[allow(
        clippy::panic,
        reason = "test support: a missing peer must fail the test"
    )]
    pub fn load(script: &str) -> Self {
        let path = std::env::var("MAILSANSIO_PEERS_ENV")
            .unwrap_or_else(|_| "/tmp/mailsansio-peers.env".to_owned());
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => panic!(
                "this interop test needs its peer, but the peers env file {path} cannot be \
                 read ({e}): start the peers with `{START}` (or this one alone with `bash \
                 examples/interop/{script}`), with the same MAILSANSIO_PEERS_ENV"
            ),
        };
        let vars = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Self { path, vars }
    }

    /// The value of `key`, if the peer's script wrote it.
    pub fn get(&self, key: &str) -> Option<String> {
        self.vars.get(key).cloned()
    }

    /// The value of `key`.
    ///
    /// # Panics
    ///
    /// When the file does not have it: the peer that writes it did not start.
    #[allow(
        clippy::panic,
        reason = "test support: a missing peer must fail the test"
    )]
    pub fn require(&self, key: &str) -> String {
        match self.get(key) {
            Some(value) => value,
            None => panic!(
                "{key} is not in {}: its peer did not start; run `{START}` again and read \
                 its output",
                self.path
            ),
        }
    }
}
