//! The real peers of the interop tests. The scripts `examples/interop/ci-*.sh` start them
//! (Dovecot, Postfix, dnsmasq) and write `KEY=VALUE` lines to a file; tests read it here and
//! skip, with a note, when a peer was not started.

use std::collections::HashMap;

/// What the interop scripts wrote: `$MAILSANSIO_PEERS_ENV`, by default
/// `/tmp/mailsansio-peers.env`.
#[derive(Debug, Clone)]
pub struct PeersEnv {
    path: String,
    vars: HashMap<String, String>,
}

impl PeersEnv {
    /// Reads the file; `None`, with a note naming `script` (the one that starts the peer), when
    /// there is none.
    pub fn load(script: &str) -> Option<Self> {
        let path = std::env::var("MAILSANSIO_PEERS_ENV")
            .unwrap_or_else(|_| "/tmp/mailsansio-peers.env".to_owned());
        let Ok(text) = std::fs::read_to_string(&path) else {
            println!("skipped: no peers env file {path} (run examples/interop/{script})");
            return None;
        };
        let vars = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Some(Self { path, vars })
    }

    /// The value of `key`, if the peer's script wrote it.
    pub fn get(&self, key: &str) -> Option<String> {
        self.vars.get(key).cloned()
    }

    /// The value of `key`; `None` with a note when it is missing (the peer did not start).
    pub fn require(&self, key: &str) -> Option<String> {
        let value = self.get(key);
        if value.is_none() {
            println!("skipped: {key} not in {}", self.path);
        }
        value
    }
}
