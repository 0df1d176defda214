//! Delivery and APPEND: a message streamed to `tmp/`, fsynced, renamed into `new/` (or
//! `cur/` with flags), the directory fsynced, then given its UID.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
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

/// Counts what passes through ([`Sizes`]).
#[derive(Debug)]
struct Counting<W> {
    inner: W,
    sizes: Sizes,
}

impl<W> Counting<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            sizes: Sizes::default(),
        }
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sizes.add(buf.get(..n).unwrap_or_default());
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The sizes of a message as it is written: the octets, and the RFC 822 size with every
/// bare LF counted as CRLF (the `S=` and `W=` of its name).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Sizes {
    pub(crate) size: u64,
    pub(crate) vsize: u64,
    last_cr: bool,
}

impl Sizes {
    /// Counts `buf`, the next octets of the message.
    pub(crate) fn add(&mut self, buf: &[u8]) {
        let mut bare = 0u64;
        let mut last_cr = self.last_cr;
        for &b in buf {
            if b == b'\n' && !last_cr {
                bare += 1;
            }
            last_cr = b == b'\r';
        }
        self.last_cr = last_cr;
        self.size += buf.len() as u64;
        self.vsize += buf.len() as u64 + bare;
    }
}

/// A plaintext message file already written (and not yet fsynced) with exactly the octets
/// a delivery would write: [`Account::stage`] hard-links it instead of writing it again
/// when the user has no key pair.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plain<'a> {
    pub(crate) path: &'a Path,
    pub(crate) sizes: Sizes,
}

/// A message written into a folder's `tmp/` but not yet fsynced nor renamed: what
/// [`Account::stage`] gives and the group commit (`commit.rs`) makes durable.
#[derive(Debug)]
pub(crate) struct Staged {
    pub(super) account: Account,
    pub(super) canonical: String,
    pub(super) file: fs::File,
    pub(super) tmp: PathBuf,
    /// `new/NAME`: where the commit renames it.
    pub(super) dest: PathBuf,
    pub(super) sizes: Sizes,
    /// `Some` when sealed for a key pair (not linkable).
    sealed: Option<()>,
}

impl Staged {
    /// `UNIQUE,S=..,W=..`: the name in `new/`.
    fn base(&self) -> &str {
        self.dest
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
    }

    /// The folder directory.
    pub(super) fn folder(&self) -> PathBuf {
        self.dest
            .parent()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// The file in `tmp/`, for another user's hard link ([`Account::stage`]'s `plain`)
    /// when it holds plaintext.
    pub(crate) fn plain(&self) -> Plain<'_> {
        Plain {
            path: &self.tmp,
            sizes: self.sizes,
        }
    }

    /// Whether the file is plaintext (no key pair): then others may link to it.
    pub(crate) fn is_plain(&self) -> bool {
        self.sealed.is_none()
    }

    /// Forgets the message: the `tmp/` file is removed.
    pub(crate) fn abandon(self) {
        let _ = fs::remove_file(&self.tmp);
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
        message: impl Read,
        internal_date: Option<SystemTime>,
        flags: &Flags,
    ) -> Result<(u32, u32)> {
        let staged = self.stage(name, message, internal_date, None)?;
        if let Err(e) = staged.file.sync_all() {
            staged.abandon();
            return Err(e.into());
        }
        let base = staged.base().to_owned();
        let result = self.place(
            &staged.canonical,
            &staged.folder(),
            &staged.tmp,
            &base,
            flags,
        );
        if result.is_err() {
            let _ = fs::remove_file(&staged.tmp);
        }
        let ids = result?;
        self.notify(&staged.canonical);
        Ok(ids)
    }

    /// The first half of a delivery into folder `name`, the only place message octets are
    /// written: the message in the folder's `tmp/`, not yet fsynced. Streamed from
    /// `message` (sealed for the user's key pair when there is one); or, with no key pair
    /// and a `plain` file holding the same octets, a hard link to that file, written once
    /// for every user. The group commit (`commit.rs`) makes it durable and puts it in
    /// `new/`; [`Self::append`] does both halves for one message.
    pub(crate) fn stage(
        &self,
        name: &str,
        mut message: impl Read,
        internal_date: Option<SystemTime>,
        plain: Option<Plain<'_>>,
    ) -> Result<Staged> {
        let canonical = names::canonical(name)?;
        let dir = self.folder_dir(&canonical)?;
        // With a key pair, the message is encrypted before anything reaches the disk.
        let sealer = self.sealer()?;
        let unique = unique_name();
        let tmp = dir.join("tmp").join(&unique);
        let written = (|| {
            if let (None, Some(plain)) = (&sealer, plain) {
                fs::hard_link(plain.path, &tmp)?;
                return Ok((fs::File::open(&tmp)?, plain.sizes));
            }
            let file = io::BufWriter::with_capacity(64 * 1024, fs::File::create_new(&tmp)?);
            // The sizes are the plaintext's: what POP3 and IMAP report.
            let (file, sizes) = match &sealer {
                None => {
                    let mut out = Counting::new(file);
                    io::copy(&mut message, &mut out)?;
                    (out.inner, out.sizes)
                }
                Some(recipient) => {
                    let mut out = Counting::new(crypt::seal(recipient, file)?);
                    io::copy(&mut message, &mut out)?;
                    (out.inner.finish()?, out.sizes)
                }
            };
            let file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
            if let Some(date) = internal_date {
                file.set_modified(date)?;
            }
            Ok::<_, io::Error>((file, sizes))
        })();
        let (file, sizes) = match written {
            Ok(w) => w,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(e.into());
            }
        };
        let base = format!("{unique},S={},W={}", sizes.size, sizes.vsize);
        Ok(Staged {
            account: self.clone(),
            canonical,
            file,
            dest: dir.join("new").join(base),
            tmp,
            sizes,
            sealed: sealer.map(|_| ()),
        })
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
