//! Delivery and APPEND: a message streamed to `tmp/`, fsynced, renamed into `new/` (or
//! `cur/` with flags), the directory fsynced, then given its UID.

use std::fs;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::flags::Flags;
use super::keywords::Keywords;
use super::lock::sync_dir;
use super::ops::LOCK;
use super::{Account, Result, crypt, names};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// `SECONDS.MMICROSPPIDQN.mailserver`: unique per process and time (the Maildir spec's
/// recipe, with a fixed host part so that no `/` or `:` can get in).
pub(crate) fn unique_name() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{}.M{}P{}Q{}.mailserver",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id(),
        n
    )
}

/// Counts what passes through: the octets, and the RFC 822 size with every bare LF counted
/// as CRLF (Dovecot's `W=`; the same number for a message stored with CRLF).
#[derive(Debug)]
struct Counting<W> {
    inner: W,
    size: u64,
    vsize: u64,
    last_cr: bool,
}

impl<W> Counting<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            size: 0,
            vsize: 0,
            last_cr: false,
        }
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        for &b in buf.iter().take(n) {
            if b == b'\n' && !self.last_cr {
                self.vsize += 1;
            }
            self.last_cr = b == b'\r';
        }
        self.size += n as u64;
        self.vsize += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl Account {
    /// Delivers a message into folder `name` (SMTP delivery, APPEND, a saved Sent copy):
    /// streamed from `message` to `tmp/`, with `internal_date` as its mtime (now if
    /// `None`), fsynced, renamed into `new/` (no flags) or `cur/` (with `flags`), the
    /// directory fsynced. Returns `(UIDVALIDITY, UID)` for APPENDUID. The folder must exist
    /// ([`super::Error::NoSuchFolder`]: IMAP answers `[TRYCREATE]`). Bytes are stored as
    /// given: callers hand over CRLF line ends. When the user has a key pair the file is
    /// an age file for it, and the `S=`/`W=` sizes in its name are the plaintext's
    /// (`crypt.rs`); with `--encrypt` and no key pair yet, [`super::Error::NoKey`].
    pub(crate) fn append(
        &self,
        name: &str,
        mut message: impl Read,
        internal_date: Option<SystemTime>,
        flags: &Flags,
    ) -> Result<(u32, u32)> {
        let canonical = names::canonical(name)?;
        let dir = self.folder_dir(&canonical)?;
        // With a key pair, the message is encrypted before anything reaches the disk.
        let sealer = self.sealer()?;
        let unique = unique_name();
        let tmp = dir.join("tmp").join(&unique);
        let written = (|| {
            let file = io::BufWriter::new(fs::File::create_new(&tmp)?);
            // The sizes are the plaintext's: what POP3 and IMAP report.
            let (file, size, vsize) = match &sealer {
                None => {
                    let mut out = Counting::new(file);
                    io::copy(&mut message, &mut out)?;
                    (out.inner, out.size, out.vsize)
                }
                Some(recipient) => {
                    let mut out = Counting::new(crypt::seal(recipient, file)?);
                    io::copy(&mut message, &mut out)?;
                    (out.inner.finish()?, out.size, out.vsize)
                }
            };
            let file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
            file.set_modified(internal_date.unwrap_or_else(SystemTime::now))?;
            file.sync_all()?;
            Ok::<_, io::Error>((size, vsize))
        })();
        let (size, vsize) = match written {
            Ok(sizes) => sizes,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(e.into());
            }
        };
        let base = format!("{unique},S={size},W={vsize}");
        let result = self.place(&canonical, &dir, &tmp, &base, flags);
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        let ids = result?;
        self.notify(&canonical);
        Ok(ids)
    }

    /// Renames the written `tmp` file into place and gives it its UID, under the lock.
    fn place(
        &self,
        canonical: &str,
        dir: &std::path::Path,
        tmp: &std::path::Path,
        base: &str,
        flags: &Flags,
    ) -> Result<(u32, u32)> {
        let _lock = self.shared().locks.lock(dir, LOCK)?;
        let (sub, file) = if flags.is_empty() {
            ("new", base.to_owned())
        } else {
            let mut keywords = Keywords::read(dir)?;
            let letters = flags.to_letters("", &mut keywords)?;
            keywords.save(dir)?;
            ("cur", format!("{base}:2,{letters}"))
        };
        fs::rename(tmp, dir.join(sub).join(&file))?;
        sync_dir(&dir.join(sub))?;
        let synced = self.sync_locked(dir, &[base.to_owned()])?;
        let uid = synced
            .messages
            .iter()
            .find(|m| m.base() == base)
            .map(|m| m.uid)
            .ok_or_else(|| io::Error::other(format!("{canonical}: delivered file vanished")))?;
        Ok((synced.uidlist.uidvalidity, uid))
    }
}

/// An RFC 5322 date-time in UTC, `Sat, 28 Nov 2026 12:00:00 +0000`.
pub(crate) fn rfc5322_date(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let wd = WEEKDAYS
        .get(days.rem_euclid(7) as usize)
        .copied()
        .unwrap_or("Thu");
    let mon = MONTHS.get((month - 1) as usize).copied().unwrap_or("Jan");
    format!(
        "{wd}, {day} {mon} {year} {:02}:{:02}:{:02} +0000",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
