//! Login checks shared by SMTP and POP3 (and IMAP, next): the lockout first, the password
//! check off the async threads, the delay and the log line after a failure.
//!
//! SCRAM is checked by the protocol machine itself, which sends the failure reply without an
//! event: a service that gave out SCRAM keys remembers the user ([`Scram`]) and counts a
//! failure when anything but the success event comes next, or the connection ends. The delay
//! of a failed SCRAM login is served before the next command is answered.

use std::net::IpAddr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use mail_sansio::sasl::ScramCredentials;

use crate::Ctx;
use crate::abuse;
use crate::users::{ScramKeys, Users, Verdict};

/// The mechanism name logged for PLAIN and LOGIN, which hand over the same credentials.
pub(crate) const PASSWORD: &str = "PLAIN/LOGIN";
pub(crate) const CRAM_MD5: &str = "CRAM-MD5";
pub(crate) const SCRAM: &str = "SCRAM-SHA-256";

/// Password checks at once: an Argon2 check takes 19 MiB and tens of milliseconds of one
/// core, so many logins at once wait here instead of filling the memory.
static CHECKS: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));

/// What a login came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Logged in as this user.
    Ok(String),
    /// Wrong credentials: logged, counted, and the delay already served. Reply "invalid".
    Failed,
    /// The address is locked out: logged, the password not checked. Reply "try later".
    Locked,
    /// The user's entry cannot do this mechanism. Reply "mechanism not available".
    Unsupported,
}

/// Checks a login: lockout, then `verify` on a blocking thread, then on failure the log line,
/// the count and the delay.
pub(crate) async fn check(
    ctx: &Arc<Ctx>,
    service: &str,
    ip: IpAddr,
    user: &str,
    mechanism: &str,
    verify: impl FnOnce(&Users) -> Verdict + Send + 'static,
) -> Outcome {
    if ctx.guard.locked(ip) {
        abuse::log_failed(service, ip, user, mechanism, true);
        return Outcome::Locked;
    }
    let c = ctx.clone();
    let verdict = match CHECKS.acquire().await {
        Ok(_slot) => tokio::task::spawn_blocking(move || verify(&c.users))
            .await
            .unwrap_or(Verdict::Failed),
        Err(_) => Verdict::Failed,
    };
    match verdict {
        Verdict::Ok(name) => Outcome::Ok(name),
        Verdict::Unsupported => {
            abuse::log_unsupported(service, ip, user, mechanism);
            Outcome::Unsupported
        }
        Verdict::Failed => {
            let delay = ctx.guard.fail(service, ip, user, mechanism);
            tokio::time::sleep(delay).await;
            Outcome::Failed
        }
    }
}

/// The start of a SCRAM exchange: the keys to give the machine, or why not.
#[derive(Debug)]
pub(crate) enum ScramStart {
    Keys(ScramCredentials),
    Locked,
    Unsupported,
    /// No randomness: "try again later".
    Unavailable,
}

/// A SCRAM exchange in progress on one connection (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct Scram {
    user: Option<String>,
}

impl Scram {
    /// Keys for `user`, after the lockout check; remembers the exchange.
    pub(crate) fn start(&mut self, ctx: &Ctx, service: &str, ip: IpAddr, user: &str) -> ScramStart {
        if ctx.guard.locked(ip) {
            abuse::log_failed(service, ip, user, SCRAM, true);
            return ScramStart::Locked;
        }
        match ctx.users.scram_keys(user) {
            ScramKeys::Keys(keys) => {
                self.user = Some(user.to_owned());
                ScramStart::Keys(keys)
            }
            ScramKeys::Unsupported => {
                abuse::log_unsupported(service, ip, user, SCRAM);
                ScramStart::Unsupported
            }
            ScramKeys::Unavailable => ScramStart::Unavailable,
        }
    }

    /// The exchange succeeded.
    pub(crate) fn succeeded(&mut self) {
        self.user = None;
    }

    /// Something else came after the keys: the proof failed. Logs and counts it, and
    /// returns the delay to serve now (zero when no exchange was open).
    pub(crate) fn settle(&mut self, ctx: &Ctx, service: &str, ip: IpAddr) -> Duration {
        match self.user.take() {
            Some(user) => ctx.guard.fail(service, ip, &user, SCRAM),
            None => Duration::ZERO,
        }
    }
}
