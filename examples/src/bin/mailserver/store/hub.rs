//! Change notifications: one `tokio::sync::watch` channel per user and folder.
//!
//! Every change made through the store (delivery, APPEND, flags, expunge, copy, move,
//! rename, delete) bumps the folder's counter; a session waiting in IDLE wakes on
//! `changed()` and refreshes its [`super::View`]. The counter says only "look again": what
//! changed comes from [`super::View::refresh`], so no change can be missed by a slow
//! receiver.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::watch;

use super::{Account, Result, names};

/// The channels, by (user, canonical folder name).
#[derive(Debug, Default)]
pub(super) struct Hub {
    channels: Mutex<HashMap<(String, String), watch::Sender<u64>>>,
}

impl Hub {
    fn subscribe(&self, user: &str, folder: &str) -> watch::Receiver<u64> {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        // Forget the folders nobody watches any more.
        channels.retain(|_, tx| tx.receiver_count() > 0);
        channels
            .entry((user.to_owned(), folder.to_owned()))
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    fn notify(&self, user: &str, folder: &str) {
        let channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = channels.get(&(user.to_owned(), folder.to_owned())) {
            tx.send_modify(|n| *n = n.wrapping_add(1));
        }
    }
}

impl Account {
    /// A receiver that wakes (`changed().await`) whenever folder `name` changes through
    /// this store. The folder need not exist yet.
    pub(crate) fn watch(&self, name: &str) -> Result<watch::Receiver<u64>> {
        let canonical = names::canonical(name)?;
        Ok(self.shared().hub.subscribe(&self.user, &canonical))
    }

    /// Wakes the watchers of folder `canonical`.
    pub(super) fn notify(&self, canonical: &str) {
        self.shared().hub.notify(&self.user, canonical);
    }
}
