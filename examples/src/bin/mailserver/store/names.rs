//! Folder names: what IMAP shows (UTF-8, `.` between levels) and the Maildir++ directory
//! (`.` + the name in modified UTF-7, as Dovecot writes it).

use std::path::{Path, PathBuf};

use super::{Error, Result, utf7};

/// The name of the INBOX.
pub(crate) const INBOX: &str = "INBOX";
/// The hierarchy separator, in names and on disk (Maildir++).
pub(crate) const SEPARATOR: char = '.';
/// The longest directory name written (most file systems allow 255 bytes).
const MAX_DIR_NAME: usize = 240;

/// Checks a folder name and returns it canonical: `INBOX` in any case is `INBOX`.
///
/// Refused: the empty name, empty levels (`a..b`, `.a`, `a.`), `/` (a path separator on
/// disk), the IMAP wildcards `%` and `*`, control characters, and names too long for a
/// directory once encoded.
pub(super) fn canonical(name: &str) -> Result<String> {
    if name.eq_ignore_ascii_case(INBOX) {
        return Ok(INBOX.to_owned());
    }
    if name.is_empty() {
        return Err(Error::BadName("empty"));
    }
    if name.split(SEPARATOR).any(str::is_empty) {
        return Err(Error::BadName("empty hierarchy level"));
    }
    if name.contains(['/', '\\']) {
        return Err(Error::BadName("slashes are not allowed"));
    }
    if name.contains(['%', '*']) {
        return Err(Error::BadName("wildcards are not allowed"));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::BadName("control characters are not allowed"));
    }
    if dir_name(name).len() > MAX_DIR_NAME {
        return Err(Error::BadName("too long"));
    }
    Ok(name.to_owned())
}

/// The directory name of a folder other than INBOX: `.` + modified UTF-7.
pub(super) fn dir_name(name: &str) -> String {
    format!(".{}", utf7::encode(name))
}

/// The directory of canonical folder `name` in `maildir`.
pub(super) fn dir_of(maildir: &Path, name: &str) -> PathBuf {
    if name == INBOX {
        maildir.to_path_buf()
    } else {
        maildir.join(dir_name(name))
    }
}

/// The folder name of a directory in the Maildir root (`.Sent` → `Sent`); `None` for what
/// is not a folder (`cur`, `..`, a name that is not valid modified UTF-7).
pub(super) fn from_dir_name(dir: &str) -> Option<String> {
    let encoded = dir.strip_prefix('.')?;
    if encoded.is_empty() || encoded.starts_with('.') {
        return None;
    }
    let name = utf7::decode(encoded)?;
    canonical(&name).ok().filter(|n| n != INBOX)
}

/// Whether `name` is `parent` or below it.
pub(super) fn is_inferior_or_same(name: &str, parent: &str) -> bool {
    name == parent
        || name
            .strip_prefix(parent)
            .is_some_and(|rest| rest.starts_with(SEPARATOR))
}
