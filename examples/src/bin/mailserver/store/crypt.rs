//! Encryption at rest (`mailserver --encrypt`): each user's key pair, and messages sealed to
//! it on the way into the store and opened on the way out.
//!
//! ```text
//! DATA/NAME/mailserver-key.pub   the public half (an age recipient, `age1pq1…`)
//! DATA/NAME/mailserver-key.age   the private half, an age file encrypted to the user's
//!                                password (age's scrypt recipient, N = 2^15)
//! ```
//!
//! Keys are age's hybrid post-quantum recipients (ML-KEM-768 + X25519, age v1.3's
//! `mlkem768x25519`): mail is kept for years, which is what "harvest now, decrypt later" is
//! about, and the age crate marks plain X25519 key generation deprecated. Every message file
//! written by [`Account::append`] (SMTP and LMTP delivery, bounces, APPEND, saved copies) is
//! an age file for the user's public key when the user has one: only the file name (UID
//! base, `S=` plaintext size, `W=`, flags) stays readable. Reads through an [`Account`]
//! opened [`Account::with_key`] decrypt; without the key an encrypted message is
//! [`Error::Locked`]. Plaintext messages (from before `--encrypt`) are read as they are.
//!
//! The private half opens with the password only: `age -d mailserver-key.age` with the
//! password gives the identity, and `age -d -i IDENTITY FILE` any message, so a user can
//! take their mail elsewhere with the standard tool. A password change re-encrypts the
//! private half only ([`Store::rewrap_key`]): written beside it as `mailserver-key.age.new`,
//! and renamed over it once the users file has the new password ([`Store::commit_key`]);
//! until then a login with either password finds the half that opens.

use std::fs;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use age::secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::lock::sync_dir;
use super::{Account, Error, Result, Store};

/// The public half, in the user's directory.
pub(crate) const PUBLIC_FILE: &str = "mailserver-key.pub";
/// The private half, encrypted to the password.
pub(crate) const PRIVATE_FILE: &str = "mailserver-key.age";
/// A re-encrypted private half waiting for the users file (a password change).
const PENDING_FILE: &str = "mailserver-key.age.new";
/// scrypt's work factor for the private half: N = 2^15, r = 8 (32 MiB, about 0.1 s), near
/// the Argon2 cost of a password check, paid once per login.
const WORK_FACTOR: u8 = 15;
/// The most a private half may ask for (a hostile file cannot make a login take minutes).
const MAX_WORK_FACTOR: u8 = 20;
/// How every age file starts.
const MAGIC: &[u8] = b"age-encryption.org/v1\n";

/// A user's unlocked private key, kept in memory for a session. Its secret parts are
/// cleared when dropped (the age crate's key types and [`SecretString`] zeroize).
pub(crate) struct Key(age::pq::Identity);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

/// A message being read: as stored, or decrypted on the fly.
pub(crate) enum Body {
    /// Stored in the clear.
    Plain(fs::File),
    /// An age file, opened with the session's key.
    Sealed(Box<age::stream::StreamReader<fs::File>>),
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Plain(_) => "Body::Plain",
            Self::Sealed(_) => "Body::Sealed",
        })
    }
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Plain(f) => f.read(buf),
            Self::Sealed(r) => r.read(buf),
        }
    }

    /// The file's own, which reads into the vector's spare room as it is (the default
    /// zeroes it first: a memset of every message served).
    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        match self {
            Self::Plain(f) => f.read_to_end(buf),
            Self::Sealed(r) => r.read_to_end(buf),
        }
    }
}

impl Seek for Body {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match self {
            Self::Plain(f) => f.seek(pos),
            Self::Sealed(r) => r.seek(pos),
        }
    }
}

/// Writes `bytes` to `path` through a temporary file beside it, fsynced and renamed.
fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("key");
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written?;
    if let Some(dir) = path.parent() {
        sync_dir(dir)?;
    }
    Ok(())
}

/// The private half encrypted to `password`.
fn wrap(identity: &age::pq::Identity, password: &str) -> Result<Vec<u8>> {
    let mut recipient = age::scrypt::Recipient::new(SecretString::from(password.to_owned()));
    recipient.set_work_factor(WORK_FACTOR);
    let secret = identity.to_string();
    let sealed = age::encrypt(&recipient, secret.expose_secret().as_bytes())
        .map_err(|e| io::Error::other(format!("cannot encrypt the key: {e}")))?;
    Ok(sealed)
}

/// The private half in `path` opened with `password`: `Ok(None)` when the password does not
/// open it.
fn unwrap(path: &Path, password: &str) -> Result<Option<Key>> {
    let sealed = fs::read(path)?;
    let mut identity = age::scrypt::Identity::new(SecretString::from(password.to_owned()));
    identity.set_max_work_factor(MAX_WORK_FACTOR);
    let plain = match age::decrypt(&identity, &sealed) {
        Ok(p) => Zeroizing::new(p),
        Err(age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys) => {
            return Ok(None);
        }
        Err(e) => {
            return Err(io::Error::other(format!("{}: {e}", path.display())).into());
        }
    };
    let text = std::str::from_utf8(&plain)
        .map_err(|_| io::Error::other(format!("{}: not a key", path.display())))?;
    let key = text
        .trim()
        .parse::<age::pq::Identity>()
        .map_err(|e| io::Error::other(format!("{}: {e}", path.display())))?;
    Ok(Some(Key(key)))
}

impl Store {
    /// The same store with `--encrypt`: users without a key pair get one at their next
    /// login with a password, and mail for them is refused ([`Error::NoKey`]) until then.
    pub(crate) fn with_encryption(mut self, on: bool) -> Self {
        self.encrypt = on;
        self
    }

    /// Whether `--encrypt` is on.
    pub(crate) fn encrypting(&self) -> bool {
        self.encrypt
    }

    fn key_path(&self, user: &str, file: &str) -> PathBuf {
        self.root.join(user).join(file)
    }

    /// Whether `user` has a key pair (their new mail is encrypted, whatever `--encrypt` says).
    pub(crate) fn has_key(&self, user: &str) -> bool {
        self.key_path(user, PUBLIC_FILE).is_file()
    }

    /// Makes `user`'s key pair, the private half encrypted to `password` (blocking: scrypt).
    /// The private half is written first: a public key never exists without it, and a
    /// private half alone (a creation cut short) was never used, so it is replaced.
    pub(crate) fn create_key(&self, user: &str, password: &str) -> Result<Key> {
        if self.has_key(user) {
            return Err(Error::Io(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{user} has a key already"),
            )));
        }
        fs::create_dir_all(self.root.join(user))?;
        let identity = age::pq::Identity::generate();
        replace(
            &self.key_path(user, PRIVATE_FILE),
            &wrap(&identity, password)?,
        )?;
        let public = format!("{}\n", identity.to_public());
        replace(&self.key_path(user, PUBLIC_FILE), public.as_bytes())?;
        Ok(Key(identity))
    }

    /// `user`'s private key opened with `password` (blocking: scrypt). `Ok(None)` when the
    /// user has no key; [`Error::Locked`] when the password does not open it. A half
    /// re-encrypted by a password change that did not finish is taken when it is the one
    /// that opens.
    pub(crate) fn unlock(&self, user: &str, password: &str) -> Result<Option<Arc<Key>>> {
        let path = self.key_path(user, PRIVATE_FILE);
        if !path.is_file() {
            return Ok(None);
        }
        if let Some(key) = unwrap(&path, password)? {
            return Ok(Some(Arc::new(key)));
        }
        let pending = self.key_path(user, PENDING_FILE);
        if pending.is_file()
            && let Some(key) = unwrap(&pending, password)?
        {
            fs::rename(&pending, &path)?;
            if let Some(dir) = path.parent() {
                sync_dir(dir)?;
            }
            return Ok(Some(Arc::new(key)));
        }
        Err(Error::Locked)
    }

    /// A password change, first step: the private half opened with `old` and encrypted to
    /// `new` beside the current one (the mail is not touched). `Ok(false)` when the user
    /// has no key; [`Error::Locked`] when `old` does not open it. Then change the users
    /// file, then [`Self::commit_key`].
    pub(crate) fn rewrap_key(&self, user: &str, old: &str, new: &str) -> Result<bool> {
        let Some(key) = self.unlock(user, old)? else {
            return Ok(false);
        };
        replace(&self.key_path(user, PENDING_FILE), &wrap(&key.0, new)?)?;
        Ok(true)
    }

    /// A password change, last step: the re-encrypted private half replaces the old one.
    pub(crate) fn commit_key(&self, user: &str) -> Result<()> {
        let path = self.key_path(user, PRIVATE_FILE);
        fs::rename(self.key_path(user, PENDING_FILE), &path)?;
        if let Some(dir) = path.parent() {
            sync_dir(dir)?;
        }
        Ok(())
    }
}

impl Account {
    /// The same account, reading with the session's unlocked key: encrypted messages are
    /// decrypted by [`Self::open_file`], [`Self::open_message`] and [`Self::read_message`].
    pub(crate) fn with_key(mut self, key: Option<Arc<Key>>) -> Self {
        self.key = key;
        self
    }

    /// What a new message is encrypted to: the user's public key, `None` when the user has
    /// none and `--encrypt` is off, [`Error::NoKey`] when it is on.
    pub(super) fn sealer(&self) -> Result<Option<age::pq::Recipient>> {
        let path = self.home.join(PUBLIC_FILE);
        match fs::read_to_string(&path) {
            Ok(text) => text
                .trim()
                .parse::<age::pq::Recipient>()
                .map(Some)
                .map_err(|e| io::Error::other(format!("{}: {e}", path.display())).into()),
            Err(e) if e.kind() == io::ErrorKind::NotFound && self.store.encrypt => {
                Err(Error::NoKey)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// A message file as it reads: decrypted when it is an age file (with the session's
    /// key, else [`Error::Locked`]), with the size of what reads.
    pub(super) fn body(&self, mut file: fs::File) -> Result<(Body, u64)> {
        let mut head = [0u8; MAGIC.len()];
        let mut got = 0;
        while got < head.len() {
            match file.read(head.get_mut(got..).unwrap_or_default())? {
                0 => break,
                n => got += n,
            }
        }
        file.seek(SeekFrom::Start(0))?;
        if head.get(..got) != Some(MAGIC) {
            let size = file.metadata()?.len();
            return Ok((Body::Plain(file), size));
        }
        let Some(key) = &self.key else {
            return Err(Error::Locked);
        };
        let decryptor = age::Decryptor::new(file).map_err(io::Error::other)?;
        let mut reader = match decryptor.decrypt(std::iter::once(&key.0 as &dyn age::Identity)) {
            Ok(r) => r,
            Err(age::DecryptError::NoMatchingKeys) => return Err(Error::Locked),
            Err(e) => return Err(io::Error::other(e).into()),
        };
        let size = reader.seek(SeekFrom::End(0))?;
        reader.seek(SeekFrom::Start(0))?;
        Ok((Body::Sealed(Box::new(reader)), size))
    }
}

/// Encrypts what is written to `out` for `recipient`; the writer's `finish` writes the last
/// chunk and gives `out` back.
pub(super) fn seal<W: Write>(
    recipient: &age::pq::Recipient,
    out: W,
) -> io::Result<age::stream::StreamWriter<W>> {
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
            .map_err(io::Error::other)?;
    encryptor.wrap_output(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Flags, INBOX};

    #[test]
    fn sealed_delivery_reads_back_with_the_key_only() {
        let dir = std::env::temp_dir().join(format!(
            "mailserver-crypt-{}-{}",
            std::process::id(),
            super::super::unique_name()
        ));
        let store = Store::new(dir.clone()).with_encryption(true);
        store.ensure_user("ann").unwrap();
        let body = b"Subject: secret\r\n\r\nthe plaintext line\r\n";
        // No key yet: nothing is stored.
        assert!(matches!(
            store
                .account("ann")
                .append(INBOX, &body[..], None, &Flags::default()),
            Err(Error::NoKey)
        ));
        store.create_key("ann", "pw one").unwrap();
        assert!(store.has_key("ann"));
        let account = store.account("ann");
        account
            .append(INBOX, &body[..], None, &Flags::default())
            .unwrap();
        let view = account.open(INBOX).unwrap();
        let m = &view.messages[0];
        assert_eq!(m.size, body.len() as u64, "the plaintext's size");
        let on_disk = fs::read(m.path(&account.maildir())).unwrap();
        assert!(on_disk.starts_with(MAGIC));
        assert!(!on_disk.windows(9).any(|w| w == b"plaintext"));
        assert!(matches!(
            account.read_message(INBOX, m.uid),
            Err(Error::Locked)
        ));

        assert!(matches!(store.unlock("ann", "wrong"), Err(Error::Locked)));
        let key = store.unlock("ann", "pw one").unwrap();
        let reader = store.account("ann").with_key(key);
        assert_eq!(reader.read_message(INBOX, m.uid).unwrap(), body);
        let (mut file, size) = reader.open_file(INBOX, m).unwrap();
        assert_eq!(size, body.len() as u64);
        let mut last = [0u8; 2];
        file.seek(SeekFrom::End(-2)).unwrap();
        file.read_exact(&mut last).unwrap();
        assert_eq!(&last, b"\r\n");

        // A password change: the old one no longer opens the key, the new one does, and
        // the message is the same file.
        assert!(store.rewrap_key("ann", "pw one", "pw two").unwrap());
        // Not committed yet (the users file comes first): either password opens it.
        assert!(store.unlock("ann", "pw one").unwrap().is_some());
        store.commit_key("ann").unwrap();
        assert!(matches!(store.unlock("ann", "pw one"), Err(Error::Locked)));
        let key = store.unlock("ann", "pw two").unwrap();
        assert_eq!(
            store
                .account("ann")
                .with_key(key)
                .read_message(INBOX, m.uid)
                .unwrap(),
            body
        );
        assert_eq!(fs::read(m.path(&account.maildir())).unwrap(), on_disk);
        // A plaintext message from before reads as it is.
        fs::write(account.maildir().join("cur/1.old.host:2,S"), b"old\r\n").unwrap();
        let view = account.open(INBOX).unwrap();
        assert_eq!(
            account.read_message(INBOX, view.messages[1].uid).unwrap(),
            b"old\r\n"
        );
        // Without --encrypt a user with no key gets plaintext, and one with a key does not.
        let plain = Store::new(dir.clone());
        assert!(plain.account("bob").sealer().unwrap().is_none());
        assert!(plain.account("ann").sealer().unwrap().is_some());
        fs::remove_dir_all(dir).unwrap();
    }
}
