//! The user's key at login (`--encrypt`, see `store/crypt.rs`): unlocked with the password
//! the user logged in with, and kept for the session by POP3 and IMAP.
//!
//! Only the password mechanisms (USER/PASS, PLAIN, LOGIN) can open a key: CRAM-MD5 and
//! SCRAM-SHA-256 never show the server the password, so with `--encrypt` they are not
//! offered for reading mail, and a user who has a key and logs in with one anyway is
//! refused with a message that says to use a password mechanism.

use std::sync::Arc;

use mail_sansio::Secret;

use crate::Ctx;
use crate::store::{self, Key};

/// Why a login cannot read the mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The mail is encrypted and the mechanism gave no password.
    NeedsPassword,
    /// The password checked out against the users file but does not open the key (the
    /// operator set a new password with `adduser` instead of `passwd`).
    WrongKey,
    /// The key files could not be read or written.
    Unavailable,
}

impl Refused {
    /// What the client is told.
    pub(crate) fn text(self) -> &'static str {
        match self {
            Self::NeedsPassword => {
                "mailbox is encrypted: log in with a password (PLAIN, LOGIN or USER/PASS)"
            }
            Self::WrongKey => "mailbox is encrypted and the password does not open its key",
            Self::Unavailable => "mailbox unavailable",
        }
    }
}

/// The key of `user`, who just logged in (with `password` for the password mechanisms):
/// `Ok(None)` when the user has no key and `--encrypt` is off. With `--encrypt`, a user's
/// first login with a password makes their key pair.
pub(crate) async fn at_login(
    ctx: &Arc<Ctx>,
    user: &str,
    password: Option<Secret<String>>,
) -> Result<Option<Arc<Key>>, Refused> {
    let store = ctx.store.clone();
    let name = user.to_owned();
    tokio::task::spawn_blocking(move || {
        if store.has_key(&name) {
            let Some(password) = password else {
                return Err(Refused::NeedsPassword);
            };
            return match store.unlock(&name, password.expose()) {
                Ok(Some(key)) => Ok(Some(key)),
                // Gone since `has_key`: purged meanwhile.
                Ok(None) => Err(Refused::Unavailable),
                Err(store::Error::Locked) => Err(Refused::WrongKey),
                Err(e) => {
                    println!("keys: cannot open the key of {name}: {e}");
                    Err(Refused::Unavailable)
                }
            };
        }
        match password {
            Some(password) if store.encrypting() => {
                match store.create_key(&name, password.expose()) {
                    Ok(key) => {
                        println!("keys: made the key pair of {name}");
                        Ok(Some(Arc::new(key)))
                    }
                    Err(e) => {
                        println!("keys: cannot make the key pair of {name}: {e}");
                        Err(Refused::Unavailable)
                    }
                }
            }
            _ => Ok(None),
        }
    })
    .await
    .unwrap_or(Err(Refused::Unavailable))
}
