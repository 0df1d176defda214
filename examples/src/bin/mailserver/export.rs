//! `mailserver export NAME`: the user's mail as one mbox on stdout (portability, RGPD art.
//! 20), every folder, INBOX first, oldest first in each.
//!
//! The mbox is mboxrd: each message starts with `From SENDER DATE` (the Return-Path's
//! address, else `MAILER-DAEMON`, and the INTERNALDATE in asctime form), its lines end in
//! LF, every line that matches `>*From ` gets one more `>` (so the reader can take exactly
//! one away), and a blank line follows it. When the user has a key pair the password is
//! read (terminal or the first line of stdin) and opens it; it is never taken from the
//! command line.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::store::{Account, Key, Store};

/// Writes `account`'s mail to `out`; returns the number of messages.
pub(crate) fn mbox(account: &Account, out: &mut impl Write) -> Result<usize, String> {
    let mut count = 0;
    let folders = account
        .list_folders()
        .map_err(|e| format!("cannot list folders: {e}"))?;
    for folder in folders.iter().filter(|f| f.exists()) {
        let view = account
            .open(&folder.name)
            .map_err(|e| format!("cannot open {}: {e}", folder.name))?;
        for m in &view.messages {
            let bytes = match account.read_message(&folder.name, m.uid) {
                Ok(b) => b,
                // Expunged since the view was taken.
                Err(crate::store::Error::NoSuchMessage) => continue,
                Err(e) => return Err(format!("cannot read a message of {}: {e}", folder.name)),
            };
            write_message(out, &bytes, m.internal_date).map_err(|e| format!("stdout: {e}"))?;
            count += 1;
        }
    }
    out.flush().map_err(|e| format!("stdout: {e}"))?;
    Ok(count)
}

/// One message in mboxrd form.
fn write_message(out: &mut impl Write, message: &[u8], date: SystemTime) -> io::Result<()> {
    let sender = return_path(message).unwrap_or_else(|| "MAILER-DAEMON".to_owned());
    writeln!(out, "From {sender} {}", asctime(date))?;
    let mut rest = message;
    while !rest.is_empty() {
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (
                rest.get(..i).unwrap_or_default(),
                rest.get(i + 1..).unwrap_or_default(),
            ),
            None => (rest, &[][..]),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let quoted = line
            .iter()
            .position(|&b| b != b'>')
            .map_or(line, |i| line.get(i..).unwrap_or_default());
        if quoted.starts_with(b"From ") {
            out.write_all(b">")?;
        }
        out.write_all(line)?;
        out.write_all(b"\n")?;
        rest = next;
    }
    out.write_all(b"\n")
}

/// The address of the message's Return-Path field, when it is a plain one.
fn return_path(message: &[u8]) -> Option<String> {
    for line in message.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return None;
        }
        let text = std::str::from_utf8(line).ok()?;
        let Some((name, value)) = text.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("return-path") {
            let addr = value.trim().trim_start_matches('<').trim_end_matches('>');
            let plain = !addr.is_empty() && addr.bytes().all(|b| b.is_ascii_graphic());
            return plain.then(|| addr.to_owned());
        }
    }
    None
}

/// `Sat Nov 28 12:00:00 2026` (UTC), the date of an mbox `From ` line.
fn asctime(t: SystemTime) -> String {
    // From the RFC 5322 form: `Sat, 28 Nov 2026 12:00:00 +0000`.
    let rfc = crate::store::rfc5322_date(t);
    let parts: Vec<&str> = rfc.split([',', ' ']).filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [wd, day, mon, year, time, _] => format!("{wd} {mon} {day:>2} {time} {year}"),
        _ => {
            let secs = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
            format!("Thu Jan  1 00:00:00 1970 +{secs}")
        }
    }
}

/// The key of `user` for an export: `Ok(None)` when the user has none; the password is
/// asked for only then.
pub(crate) fn unlock(
    store: &Store,
    user: &str,
    password: impl FnOnce() -> Result<zeroize::Zeroizing<String>, String>,
) -> Result<Option<Arc<Key>>, String> {
    if !store.has_key(user) {
        return Ok(None);
    }
    let password = password()?;
    match store.unlock(user, &password) {
        Ok(key) => Ok(key),
        Err(crate::store::Error::Locked) => {
            Err(format!("the password does not open the key of {user}"))
        }
        Err(e) => Err(format!("cannot open the key of {user}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn mboxrd() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_867_200);
        let mut out = Vec::new();
        write_message(
            &mut out,
            b"Return-Path: <a@b.test>\r\nSubject: x\r\n\r\nFrom here\r\n>From there\r\nok",
            t,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "From a@b.test Sat Nov 28 12:00:00 2026\nReturn-Path: <a@b.test>\nSubject: x\n\n>From here\n>>From there\nok\n\n"
        );
        assert_eq!(return_path(b"Return-Path: <>\r\n\r\n"), None);
        assert_eq!(
            return_path(b"Subject: x\r\n\r\nReturn-Path: <a@b>\r\n"),
            None
        );
        assert_eq!(
            asctime(UNIX_EPOCH + Duration::from_secs(86_400 * 3)),
            "Sun Jan  4 00:00:00 1970"
        );
    }
}
