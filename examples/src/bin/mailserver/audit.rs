//! The audit log, `DATA/audit.log`: one line per administrative act on a user's data
//! (`adduser`, `passwd`, `deluser`, `purge`, `export`) and per retention sweep that removed
//! something. Time, action and user, never content, passwords or addresses of
//! correspondents:
//!
//! ```text
//! 2026-11-28T12:00:00Z action=adduser user=alice
//! 2026-11-28T12:05:00Z action=export user=alice messages=12
//! 2026-11-29T03:00:00Z action=retention messages=3 spool=1 days=30
//! ```
//!
//! Lines are appended (`O_APPEND`, one write each, fsynced), so concurrent writers do not
//! interleave; the file is 0600 like everything in the data directory.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// The file, in the data directory.
pub(crate) const FILE: &str = "audit.log";

/// Appends `action=ACTION user=USER EXTRA` with the time (UTC). `extra` is `key=value`
/// pairs of counts, never text that came from mail or a password.
pub(crate) fn record(
    data: &Path,
    action: &str,
    user: Option<&str>,
    extra: &str,
) -> std::io::Result<()> {
    std::fs::create_dir_all(data)?;
    let mut line = format!("{} action={action}", timestamp(SystemTime::now()));
    if let Some(user) = user {
        line.push_str(&format!(" user={user}"));
    }
    if !extra.is_empty() {
        line.push(' ');
        line.push_str(extra);
    }
    line.push('\n');
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(data.join(FILE))?;
    f.write_all(line.as_bytes())?;
    f.sync_all()
}

/// Like [`record`], saying on stderr when the log cannot be written (the act is done).
pub(crate) fn note(data: &Path, action: &str, user: Option<&str>, extra: &str) {
    if let Err(e) = record(data, action, user, extra) {
        eprintln!("warning: cannot write {}: {e}", data.join(FILE).display());
    }
}

/// `2026-11-28T12:00:00Z`.
fn timestamp(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
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
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
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
    fn timestamps() {
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_867_200 + 3661);
        assert_eq!(timestamp(t), "2026-11-28T13:01:01Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(timestamp(leap), "2000-02-29T00:00:00Z");
    }
}
