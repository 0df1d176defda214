//! Local delivery to Maildir (`DATA/NAME/Maildir/{tmp,new,cur}`, as Dovecot reads it).
//!
//! A message is written once to `DATA/incoming/`, then for each recipient copied with its
//! Return-Path into the user's `tmp/`, fsynced, renamed into `new/` and the directory fsynced:
//! the `250` reply goes out only after that, so an accepted message survives a crash. File names
//! carry the size and the POP3 wire size (`,S=…,W=…`) like Dovecot's.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The data directory.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    root: PathBuf,
}

/// One message of a mailbox, as POP3 lists it.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) path: PathBuf,
    /// The unique part of the file name: the POP3 unique-id.
    pub(crate) uid: String,
    /// Octets as POP3 counts them (CRLF line endings).
    pub(crate) wire_size: u64,
}

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

fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

impl Store {
    pub(crate) fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// Where messages being received are written.
    pub(crate) fn incoming(&self) -> PathBuf {
        self.root.join("incoming")
    }

    fn maildir(&self, user: &str) -> PathBuf {
        self.root.join(user).join("Maildir")
    }

    /// Creates the data directory layout and the user's Maildir.
    pub(crate) fn ensure_user(&self, user: &str) -> io::Result<()> {
        let md = self.maildir(user);
        for sub in ["tmp", "new", "cur"] {
            fs::create_dir_all(md.join(sub))?;
        }
        Ok(())
    }

    /// Delivers a complete message file into each user's `new/` with a Return-Path field
    /// on top (RFC 5321 §4.4: added at final delivery), each copy written to `tmp/`,
    /// fsynced, renamed and the directory fsynced (blocking I/O). The caller removes `file`.
    pub(crate) fn deliver(
        &self,
        file: &Path,
        users: &[String],
        return_path: &str,
    ) -> io::Result<()> {
        let content = fs::read(file)?;
        let field = format!("Return-Path: <{return_path}>\r\n");
        let size = (field.len() + content.len()) as u64;
        let wire = field.len() as u64 + pop3_proto::wire_size(&content);
        for user in users {
            self.ensure_user(user)?;
            let md = self.maildir(user);
            let name = format!("{},S={size},W={wire}", unique_name());
            let tmp = md.join("tmp").join(&name);
            let mut f = fs::File::create(&tmp)?;
            f.write_all(field.as_bytes())?;
            f.write_all(&content)?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, md.join("new").join(&name))?;
            sync_dir(&md.join("new"))?;
        }
        Ok(())
    }

    /// The messages of INBOX (`new` and `cur`), oldest first.
    pub(crate) fn list(&self, user: &str) -> io::Result<Vec<Entry>> {
        let md = self.maildir(user);
        let mut out = Vec::new();
        for sub in ["cur", "new"] {
            let dir = match fs::read_dir(md.join(sub)) {
                Ok(d) => d,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            for item in dir {
                let item = item?;
                let Ok(name) = item.file_name().into_string() else {
                    continue;
                };
                if name.starts_with('.') || !item.file_type()?.is_file() {
                    continue;
                }
                let uid = name.split([',', ':']).next().unwrap_or_default().to_owned();
                let wire_size = match name_field(&name, "W=") {
                    Some(w) => w,
                    None => pop3_proto::wire_size(&fs::read(item.path())?),
                };
                out.push((
                    mtime_key(&name),
                    Entry {
                        path: item.path(),
                        uid,
                        wire_size,
                    },
                ));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out.into_iter().map(|(_, e)| e).collect())
    }

    /// Removes messages (POP3 QUIT) and fsyncs their directories.
    pub(crate) fn remove(&self, paths: &[PathBuf]) -> io::Result<()> {
        let mut dirs = Vec::new();
        for p in paths {
            match fs::remove_file(p) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            if let Some(d) = p.parent()
                && !dirs.iter().any(|x: &PathBuf| x == d)
            {
                dirs.push(d.to_path_buf());
            }
        }
        for d in dirs {
            sync_dir(&d)?;
        }
        Ok(())
    }

    /// Erases a user's whole mailbox directory (right to erasure). Returns whether it existed.
    pub(crate) fn purge(&self, user: &str) -> io::Result<bool> {
        let dir = self.root.join(user);
        match fs::remove_dir_all(&dir) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// A `,X=number` field of a Maildir file name.
fn name_field(name: &str, key: &str) -> Option<u64> {
    let base = name.split(':').next()?;
    base.split(',')
        .find_map(|f| f.strip_prefix(key))
        .and_then(|v| v.parse().ok())
}

/// Sorts by the seconds and microseconds of the unique name, then by the name.
fn mtime_key(name: &str) -> (u64, u64, String) {
    let mut parts = name.split('.');
    let secs = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let micros = parts
        .next()
        .and_then(|s| s.strip_prefix('M'))
        .and_then(|s| s.split('P').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (secs, micros, name.to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates() {
        let t = UNIX_EPOCH + Duration::from_secs(0);
        assert_eq!(rfc5322_date(t), "Thu, 1 Jan 1970 00:00:00 +0000");
        let t = UNIX_EPOCH + Duration::from_secs(1_709_210_096);
        assert_eq!(rfc5322_date(t), "Thu, 29 Feb 2024 12:34:56 +0000");
    }

    #[test]
    fn deliver_list_remove_purge() {
        let dir = std::env::temp_dir().join(format!("maildir-test-{}", unique_name()));
        let store = Store::new(dir.clone());
        fs::create_dir_all(store.incoming()).unwrap();
        for text in ["one\r\n", "two\r\n"] {
            let f = store.incoming().join(unique_name());
            fs::write(&f, text).unwrap();
            store
                .deliver(&f, &["alice".into(), "bob".into()], "a@b.example")
                .unwrap();
            fs::remove_file(&f).unwrap();
        }
        let list = store.list("alice").unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(
            fs::read(&list[0].path).unwrap(),
            b"Return-Path: <a@b.example>\r\none\r\n"
        );
        assert_eq!(list[1].wire_size, 33);
        assert_ne!(list[0].uid, list[1].uid);
        store.remove(&[list[0].path.clone()]).unwrap();
        assert_eq!(store.list("alice").unwrap().len(), 1);
        assert_eq!(store.list("bob").unwrap().len(), 2);
        assert!(store.purge("bob").unwrap());
        assert!(store.list("bob").unwrap().is_empty());
        fs::remove_dir_all(dir).unwrap();
    }
}
