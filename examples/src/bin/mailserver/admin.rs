//! `mailserver --users FILE adduser NAME` and `deluser NAME`: hashed entries in the users
//! file, changed in place (other lines, comments and Dovecot's extra fields kept), written
//! to a temporary file (0600), fsynced and renamed over the old one.
//!
//! The password comes from the terminal (asked twice, not echoed) or, when standard input is
//! not a terminal, from its first line; never from the command line. A running server reads
//! the users file at start: restart it to apply the change.
//!
//! With `--encrypt` (`store/crypt.rs`), `adduser` also makes the user's key pair, its
//! private half encrypted to the password. A user who has a key changes their password with
//! `passwd NAME`, which asks for the old one: it opens the key and encrypts it to the new
//! one (the mail is not touched). `adduser` refuses to set a new password for them, since
//! the key would no longer open.

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use zeroize::Zeroizing;

use crate::store::{self, Store};
use crate::users::{self, Scheme, Users, Verdict};

/// Adds `name`, or gives an existing user a new password. Returns what was done.
pub(crate) fn adduser(
    path: &Path,
    name: &str,
    scheme: Scheme,
    store: &Store,
) -> Result<String, String> {
    let name = checked_name(name)?;
    if store.has_key(&name) {
        return Err(format!(
            "{name}'s mail is encrypted to a key that opens with their password: change it with \
             `mailserver passwd {name}`, which asks for the old one (with the password forgotten \
             the mail cannot be read: `mailserver purge {name}` erases it)"
        ));
    }
    let old = read(path)?;
    let password = read_password(&name)?;
    let value = scheme.hash(&password)?;
    // The key first: a user is never in the file without the key `--encrypt` promises.
    let keyed = store.encrypting();
    if keyed {
        store
            .create_key(&name, &password)
            .map_err(|e| format!("cannot make the key pair of {name}: {e}"))?;
    }
    let replaced = set_entry(path, &old, &name, &value)?;
    let scheme = scheme_name(scheme);
    let key = if keyed { ", key pair made" } else { "" };
    Ok(if replaced {
        format!("{name}: new password ({scheme}{key}) in {}", path.display())
    } else {
        format!("{name}: added ({scheme}{key}) to {}", path.display())
    })
}

/// A password change: the old password is checked against the users file and opens the
/// key (when there is one), which is encrypted to the new password; the users file gets the
/// new hash, in the entry's scheme (SCRAM-SHA-256 stays so, others become `scheme`).
pub(crate) fn passwd(
    path: &Path,
    name: &str,
    scheme: Scheme,
    store: &Store,
) -> Result<String, String> {
    let name = checked_name(name)?;
    let text = read(path)?;
    let users = Users::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if !users.exists(&name) {
        return Err(format!("no user {name} in {}", path.display()));
    }
    let (old, new) = read_password_change(&name)?;
    if users.check(&name, &old) != Verdict::Ok(name.clone()) {
        return Err(format!("wrong password for {name}"));
    }
    let scheme = match text
        .lines()
        .find(|l| entry_name(l).as_deref() == Some(name.as_str()))
        .and_then(|l| l.split_once(':'))
    {
        Some((_, value)) if value.starts_with("{SCRAM-SHA-256}") => Scheme::ScramSha256,
        _ => scheme,
    };
    let value = scheme.hash(&new)?;
    let rewrapped = match store.rewrap_key(&name, &old, &new) {
        Ok(done) => done,
        Err(store::Error::Locked) => {
            return Err(format!(
                "the password of {name} does not open their key (set with adduser since?)"
            ));
        }
        Err(e) => return Err(format!("cannot re-encrypt the key of {name}: {e}")),
    };
    set_entry(path, &text, &name, &value)?;
    if rewrapped {
        store
            .commit_key(&name)
            .map_err(|e| format!("cannot replace the key of {name}: {e}"))?;
    }
    let key = if rewrapped { ", key re-encrypted" } else { "" };
    Ok(format!(
        "{name}: new password ({}{key}) in {}",
        scheme_name(scheme),
        path.display()
    ))
}

fn scheme_name(scheme: Scheme) -> &'static str {
    if scheme == Scheme::Argon2id {
        "ARGON2ID"
    } else {
        "SCRAM-SHA-256"
    }
}

/// Writes `name:value` into the users file whose text is `old` (replacing the user's line,
/// Dovecot's extra fields kept, or appending one); returns whether it replaced one.
fn set_entry(path: &Path, old: &str, name: &str, value: &str) -> Result<bool, String> {
    let mut replaced = false;
    let mut lines = Vec::new();
    for line in old.lines() {
        match entry_name(line) {
            Some(n) if n == name && !replaced => {
                replaced = true;
                lines.push(format!("{name}:{value}{}", extra_fields(line)));
            }
            Some(n) if n == name => {}
            _ => lines.push(line.to_owned()),
        }
    }
    if !replaced {
        lines.push(format!("{name}:{value}"));
    }
    write(path, &lines)?;
    Ok(replaced)
}

/// Removes `name` from the users file (its mail stays: `mailserver purge NAME` erases it).
pub(crate) fn deluser(path: &Path, name: &str) -> Result<String, String> {
    let name = checked_name(name)?;
    let old = read(path)?;
    let lines: Vec<String> = old
        .lines()
        .filter(|l| entry_name(l).as_deref() != Some(name.as_str()))
        .map(str::to_owned)
        .collect();
    if lines.len() == old.lines().count() {
        return Err(format!("no user {name} in {}", path.display()));
    }
    write(path, &lines)?;
    Ok(format!(
        "{name}: removed from {} (the mail stays; `mailserver purge {name}` erases it)",
        path.display()
    ))
}

fn checked_name(name: &str) -> Result<String, String> {
    let name = name.to_ascii_lowercase();
    if users::valid_name(&name) {
        Ok(name)
    } else {
        Err(format!(
            "{name:?} is not a valid user name (1 to 64 of a-z 0-9 . _ -, not starting with a dot)"
        ))
    }
}

/// The user name of a passwd-file line, if it is an entry.
fn entry_name(line: &str) -> Option<String> {
    let line = line.trim_end_matches('\r');
    if line.trim().is_empty() || line.trim_start().starts_with('#') {
        return None;
    }
    line.split_once(':')
        .map(|(n, _)| n.trim().to_ascii_lowercase())
}

/// Dovecot's fields after a `{SCHEME}` password (`:uid:gid:…`), kept on a password change.
/// A password without a scheme is the rest of the line: nothing to keep.
fn extra_fields(line: &str) -> String {
    let Some((_, rest)) = line.split_once(':') else {
        return String::new();
    };
    if !rest.starts_with('{') {
        return String::new();
    }
    rest.split_once(':')
        .map(|(_, extra)| format!(":{extra}"))
        .unwrap_or_default()
}

/// The file as it is (empty when it does not exist yet); it must still parse afterwards.
fn read(path: &Path) -> Result<String, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Replaces the file: a 0600 temporary file beside it, fsynced, renamed over it.
fn write(path: &Path, lines: &[String]) -> Result<(), String> {
    let mut text = lines.join("\n");
    text.push('\n');
    if lines.iter().any(|l| entry_name(l).is_some()) {
        Users::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("users");
    let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    users::write_private(&temp, text.as_bytes())
        .and_then(|()| std::fs::rename(&temp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&temp);
            format!("cannot write {}: {e}", path.display())
        })?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(())
}

/// The old and the new password: asked on the terminal (the new one twice), or the first two
/// lines of standard input.
fn read_password_change(name: &str) -> Result<(Zeroizing<String>, Zeroizing<String>), String> {
    if std::io::stdin().is_terminal() {
        let old = ask_password(&format!("current password for {name}: "))?;
        let new = read_password(name)?;
        return Ok((old, new));
    }
    let mut lines = std::io::stdin().lock().lines();
    let mut next = |what: &str| -> Result<Zeroizing<String>, String> {
        let line = lines
            .next()
            .transpose()
            .map_err(|e| format!("cannot read the {what} password from standard input: {e}"))?
            .ok_or_else(|| format!("no {what} password on standard input"))?;
        let line = Zeroizing::new(line);
        let password = Zeroizing::new(line.trim_end_matches('\r').to_owned());
        if password.is_empty() {
            return Err(format!("empty {what} password"));
        }
        Ok(password)
    };
    let old = next("old")?;
    let new = next("new")?;
    Ok((old, new))
}

/// One password: asked on the terminal (not echoed, once), or the first line of standard
/// input (`export`).
pub(crate) fn ask_password(prompt: &str) -> Result<Zeroizing<String>, String> {
    let password = if std::io::stdin().is_terminal() {
        Zeroizing::new(
            rpassword::prompt_password(prompt)
                .map_err(|e| format!("cannot read the password: {e}"))?,
        )
    } else {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
        Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned())
    };
    if password.is_empty() {
        return Err("empty password".to_owned());
    }
    Ok(password)
}

/// The new password: asked twice on the terminal, or the first line of standard input.
fn read_password(name: &str) -> Result<Zeroizing<String>, String> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("password for {name}: "))
            .map_err(|e| format!("cannot read the password: {e}"))?;
        let again = rpassword::prompt_password("again: ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        if first != again {
            return Err("the passwords differ".to_owned());
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if password.is_empty() {
        return Err("empty password".to_owned());
    }
    Ok(Zeroizing::new(password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(entry_name("Alice:x"), Some("alice".into()));
        assert_eq!(entry_name("# alice:x"), None);
        assert_eq!(
            extra_fields("a:{PLAIN}x:1000:1000::/home/a"),
            ":1000:1000::/home/a"
        );
        assert_eq!(extra_fields("a:pw:with:colons"), "");
        assert_eq!(extra_fields("a:{PLAIN}x"), "");
    }
}
