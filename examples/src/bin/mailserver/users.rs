//! The user list: Dovecot passwd-file lines, hashed or plaintext. Passwords, hashes and SCRAM
//! keys stay in `Secret` (or redacting types) and are never logged.
//!
//! ```text
//! alice:{ARGON2ID}$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH      PLAIN, LOGIN, USER/PASS
//! bob:{SCRAM-SHA-256}10000,SALT_B64,STOREDKEY_B64,SERVERKEY_B64  and SCRAM-SHA-256
//! carol:{PLAIN}secret        plaintext: every mechanism, CRAM-MD5 too (warned at start-up)
//! dave:secret:with:colons    plaintext without a scheme: the rest of the line
//! ```
//!
//! A `{SCHEME}` value ends at the next `:`, so Dovecot's extra fields (`uid:gid:gecos:home:…`)
//! may follow and are ignored; a value without a scheme is the rest of the line (this file's
//! older format). Names are folded to lower case; `#` starts a comment line.

use std::collections::BTreeMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use examples::tls::random_base64;
use mail_sansio::Secret;
use mail_sansio::sasl::{CramMd5Proof, SaslServerConfig, ScramCredentials};

/// RFC 7677 §4's minimum iteration count, for keys derived from a plaintext entry per login.
const SCRAM_ITERATIONS: u32 = 4096;
/// The iteration count of the SCRAM entries `adduser` writes (Dovecot's default is 4096).
pub(crate) const SCRAM_STORED_ITERATIONS: u32 = 10_000;

/// Fresh settings for one AUTH exchange: a CRAM-MD5 challenge in RFC 2195's
/// `<random.timestamp@hostname>` form and a SCRAM nonce, from rustls' random source. `None`
/// when no randomness could be had (answer "try again later").
pub(crate) fn sasl_settings(domain: &str) -> Option<SaslServerConfig> {
    let challenge = random_base64(24).ok()?;
    let nonce = random_base64(18).ok()?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Some(
        SaslServerConfig::new()
            .with_cram_md5_challenge(format!("<{challenge}.{now}@{domain}>"))
            .with_scram_nonce(nonce),
    )
}

/// The logged-in user, if the identity it asked to act as (if any) is itself.
pub(crate) fn authorise(user: Option<String>, authzid: Option<&str>) -> Option<String> {
    user.filter(|user| authzid.is_none_or(|z| z.eq_ignore_ascii_case(user)))
}

/// Whether `name` can be a user (and so a directory name): 1 to 64 of `a-z 0-9 . _ -`, not
/// starting with a dot.
pub(crate) fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && !name.starts_with('.')
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

/// What one user's entry holds.
pub(crate) enum Entry {
    /// The password itself: every mechanism works.
    Plain(Secret<String>),
    /// An Argon2 PHC string (`{ARGON2ID}`, or Dovecot's `{ARGON2I}`): PLAIN and LOGIN only.
    Argon2(Secret<String>),
    /// Stored SCRAM-SHA-256 keys: PLAIN, LOGIN and SCRAM-SHA-256.
    Scram(ScramCredentials),
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.scheme())
    }
}

impl Entry {
    /// The Dovecot scheme name.
    pub(crate) fn scheme(&self) -> &'static str {
        match self {
            Self::Plain(_) => "PLAIN",
            Self::Argon2(_) => "ARGON2ID",
            Self::Scram(_) => "SCRAM-SHA-256",
        }
    }

    /// Parses the password field of a line: `{SCHEME}value[:extra fields]`, or a plaintext
    /// password (the whole rest of the line).
    fn parse(field: &str) -> Result<Self, String> {
        let Some(rest) = field.strip_prefix('{') else {
            if field.is_empty() {
                return Err("empty password".to_owned());
            }
            return Ok(Self::Plain(Secret::new(field.to_owned())));
        };
        let Some((scheme, value)) = rest.split_once('}') else {
            return Err("a scheme is written {SCHEME}".to_owned());
        };
        // Dovecot's extra fields follow the password after a colon.
        let value = value.split(':').next().unwrap_or_default();
        match scheme.to_ascii_uppercase().as_str() {
            "PLAIN" | "CLEAR" | "CLEARTEXT" if !value.is_empty() => {
                Ok(Self::Plain(Secret::new(value.to_owned())))
            }
            "PLAIN" | "CLEAR" | "CLEARTEXT" => Err("empty password".to_owned()),
            "ARGON2ID" | "ARGON2I" => {
                let hash = PasswordHash::new(value)
                    .map_err(|e| format!("{{{scheme}}}: not a PHC string ({e})"))?;
                if !matches!(hash.algorithm.as_str(), "argon2id" | "argon2i") {
                    return Err(format!("{{{scheme}}}: not an argon2 hash"));
                }
                Ok(Self::Argon2(Secret::new(value.to_owned())))
            }
            "SCRAM-SHA-256" => parse_scram(value).map(Self::Scram),
            _ => Err(format!(
                "unsupported scheme {{{scheme}}} (ARGON2ID, SCRAM-SHA-256 or PLAIN)"
            )),
        }
    }

    /// Whether `password` is this entry's (blocking: Argon2 takes tens of milliseconds).
    fn verify(&self, password: &str) -> bool {
        match self {
            Self::Plain(stored) => {
                constant_time_eq(stored.expose().as_bytes(), password.as_bytes())
            }
            Self::Argon2(phc) => PasswordHash::new(phc.expose()).is_ok_and(|hash| {
                argon2::Argon2::default()
                    .verify_password(password.as_bytes(), &hash)
                    .is_ok()
            }),
            Self::Scram(keys) => ScramCredentials::derive(password, &keys.salt, keys.iterations)
                .is_ok_and(|derived| {
                    constant_time_eq(&derived.stored_key, &keys.stored_key)
                        & constant_time_eq(&derived.server_key, &keys.server_key)
                }),
        }
    }
}

/// Dovecot's `{SCRAM-SHA-256}` value: `ITERATIONS,SALT,STOREDKEY,SERVERKEY` (base64).
fn parse_scram(value: &str) -> Result<ScramCredentials, String> {
    let bad =
        |what: &str| format!("{{SCRAM-SHA-256}}: {what} (ITERATIONS,SALT,STOREDKEY,SERVERKEY)");
    let mut parts = value.split(',');
    let (Some(iterations), Some(salt), Some(stored), Some(server), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(bad("expected four comma-separated fields"));
    };
    let iterations: u32 = iterations
        .parse()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| bad("bad iteration count"))?;
    let salt = STANDARD
        .decode(salt)
        .ok()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("bad salt"))?;
    let key = |b64: &str| -> Result<[u8; 32], String> {
        STANDARD
            .decode(b64)
            .ok()
            .and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok())
            .ok_or_else(|| bad("bad key"))
    };
    Ok(ScramCredentials {
        salt,
        iterations,
        stored_key: key(stored)?,
        server_key: key(server)?,
    })
}

/// What a login attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The credentials are right: the canonical user name.
    Ok(String),
    /// Wrong password, unknown user, or an identity the user may not act as.
    Failed,
    /// The mechanism needs what this user's entry cannot give (CRAM-MD5 or SCRAM with an
    /// Argon2 hash): refused for this user, not counted as a failed password.
    Unsupported,
}

impl Verdict {
    /// Applies the authorisation identity: a user may act only as itself.
    pub(crate) fn authorise(self, authzid: Option<&str>) -> Self {
        match self {
            Self::Ok(user) => authorise(Some(user), authzid).map_or(Self::Failed, Self::Ok),
            other => other,
        }
    }
}

/// The SCRAM keys for an exchange, or why there are none.
#[derive(Debug)]
pub(crate) enum ScramKeys {
    /// Stored keys, keys derived from a plaintext entry, or made-up keys for an unknown user.
    Keys(ScramCredentials),
    /// The user's entry is an Argon2 hash.
    Unsupported,
    /// No randomness could be had.
    Unavailable,
}

/// The local users.
#[derive(Debug, Default)]
pub(crate) struct Users {
    by_name: BTreeMap<String, Entry>,
    /// Who receives mail for `postmaster`: the user of that name, else the first one.
    postmaster: String,
}

impl Users {
    /// Parses passwd-file lines (see the module docs).
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut users = Self::default();
        let mut first = None;
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let Some((name, password)) = line.split_once(':') else {
                return Err(format!("line {}: expected name:password", i + 1));
            };
            let name = name.trim().to_ascii_lowercase();
            if !valid_name(&name) {
                return Err(format!(
                    "line {}: user names are 1 to 64 of a-z 0-9 . _ - (not starting with a dot)",
                    i + 1
                ));
            }
            let entry = Entry::parse(password).map_err(|e| format!("line {}: {e}", i + 1))?;
            first.get_or_insert_with(|| name.clone());
            users.by_name.insert(name, entry);
        }
        let Some(first) = first else {
            return Err("no users".to_owned());
        };
        users.postmaster = if users.by_name.contains_key("postmaster") {
            "postmaster".to_owned()
        } else {
            first
        };
        Ok(users)
    }

    /// Reads a users file.
    pub(crate) fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The demo user kept in `data/demo-users` (made with a random password on first use,
    /// mode 0600). Returns the users, the demo user's name, and its password only when the
    /// file was created now (it is printed once).
    pub(crate) fn demo(data: &Path) -> io::Result<(Self, String, Option<String>)> {
        let path = data.join("demo-users");
        let mut created = None;
        if !path.exists() {
            let password = random_password();
            write_private(&path, format!("demo:{password}\n").as_bytes())?;
            created = Some(password);
        } else {
            tighten(&path, 0o600)?;
        }
        let text = std::fs::read_to_string(&path)?;
        let users = Self::parse(&text).map_err(io::Error::other)?;
        let name = users.by_name.keys().next().cloned().unwrap_or_default();
        Ok((users, name, created))
    }

    /// Whether the user exists.
    pub(crate) fn exists(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// The mailbox that receives postmaster mail.
    pub(crate) fn postmaster(&self) -> &str {
        &self.postmaster
    }

    /// The users whose entry is a plaintext password.
    pub(crate) fn plaintext(&self) -> Vec<&str> {
        self.by_name
            .iter()
            .filter(|(_, e)| matches!(e, Entry::Plain(_)))
            .map(|(n, _)| n.as_str())
            .collect()
    }

    /// The password of a plaintext entry (`--encrypt` makes that user's key with it).
    pub(crate) fn plaintext_password(&self, name: &str) -> Option<&Secret<String>> {
        match self.by_name.get(name) {
            Some(Entry::Plain(password)) => Some(password),
            _ => None,
        }
    }

    /// CRAM-MD5 needs the plaintext: offered when some user has a plaintext entry.
    pub(crate) fn offers_cram_md5(&self) -> bool {
        self.by_name.values().any(|e| matches!(e, Entry::Plain(_)))
    }

    /// SCRAM-SHA-256 needs a plaintext or SCRAM entry: offered when some user has one.
    pub(crate) fn offers_scram(&self) -> bool {
        self.by_name
            .values()
            .any(|e| matches!(e, Entry::Plain(_) | Entry::Scram(_)))
    }

    /// Checks a password (USER/PASS, PLAIN, LOGIN); returns the canonical user name. Blocking:
    /// an Argon2 entry takes tens of milliseconds, so call it off the async threads.
    pub(crate) fn check(&self, name: &str, password: &str) -> Verdict {
        let name = name.to_ascii_lowercase();
        match self.by_name.get(&name) {
            Some(entry) if entry.verify(password) => Verdict::Ok(name),
            _ => Verdict::Failed,
        }
    }

    /// The canonical name of a user, if there is one.
    pub(crate) fn canonical(&self, name: &str) -> Option<String> {
        let name = name.to_ascii_lowercase();
        self.by_name.contains_key(&name).then_some(name)
    }

    /// Checks a CRAM-MD5 proof: only a plaintext entry can.
    pub(crate) fn check_cram_md5(&self, proof: &CramMd5Proof) -> Verdict {
        let name = proof.user().to_ascii_lowercase();
        match self.by_name.get(&name) {
            Some(Entry::Plain(stored)) if proof.verify(stored.expose().as_bytes()) => {
                Verdict::Ok(name)
            }
            Some(Entry::Argon2(_) | Entry::Scram(_)) => Verdict::Unsupported,
            _ => Verdict::Failed,
        }
    }

    /// A user's SCRAM keys: the stored ones, or derived from a plaintext entry with a fresh
    /// salt; made up from a random password for an unknown user, so that the proof fails the
    /// same way.
    pub(crate) fn scram_keys(&self, name: &str) -> ScramKeys {
        let password = match self.by_name.get(&name.to_ascii_lowercase()) {
            Some(Entry::Scram(keys)) => return ScramKeys::Keys(keys.clone()),
            Some(Entry::Argon2(_)) => return ScramKeys::Unsupported,
            Some(Entry::Plain(stored)) => stored.expose().clone(),
            None => match random_base64(18) {
                Ok(p) => p,
                Err(_) => return ScramKeys::Unavailable,
            },
        };
        let Ok(salt) = random_base64(16) else {
            return ScramKeys::Unavailable;
        };
        match ScramCredentials::derive(&password, salt.as_bytes(), SCRAM_ITERATIONS) {
            Ok(keys) => ScramKeys::Keys(keys),
            Err(_) => ScramKeys::Unavailable,
        }
    }

    /// The user names.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }
}

/// The schemes `adduser` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// Argon2id (the argon2 crate's defaults: 19 MiB, 2 passes): PLAIN and LOGIN.
    Argon2id,
    /// Stored SCRAM-SHA-256 keys: PLAIN, LOGIN and SCRAM-SHA-256.
    ScramSha256,
}

impl Scheme {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "ARGON2ID" => Some(Self::Argon2id),
            "SCRAM-SHA-256" => Some(Self::ScramSha256),
            _ => None,
        }
    }

    /// The passwd-file value for `password`: `{ARGON2ID}$argon2id$…` or
    /// `{SCRAM-SHA-256}ITERATIONS,SALT,STOREDKEY,SERVERKEY`, with a fresh random salt.
    pub(crate) fn hash(self, password: &str) -> Result<String, String> {
        match self {
            Self::Argon2id => {
                let salt = SaltString::encode_b64(&random_bytes::<16>()?)
                    .map_err(|e| format!("cannot make a salt: {e}"))?;
                let hash = argon2::Argon2::default()
                    .hash_password(password.as_bytes(), &salt)
                    .map_err(|e| format!("cannot hash: {e}"))?;
                Ok(format!("{{ARGON2ID}}{hash}"))
            }
            Self::ScramSha256 => {
                let salt = random_bytes::<16>()?;
                let keys = ScramCredentials::derive(password, &salt, SCRAM_STORED_ITERATIONS)
                    .map_err(|e| format!("cannot derive SCRAM keys: {e}"))?;
                Ok(format!(
                    "{{SCRAM-SHA-256}}{},{},{},{}",
                    keys.iterations,
                    STANDARD.encode(&keys.salt),
                    STANDARD.encode(keys.stored_key),
                    STANDARD.encode(keys.server_key)
                ))
            }
        }
    }
}

/// Random bytes from the TLS library's cryptographic random source.
fn random_bytes<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    rustls::crypto::ring::default_provider()
        .secure_random
        .fill(&mut bytes)
        .map_err(|_| "no random bytes to be had".to_owned())?;
    Ok(bytes)
}

/// Writes a new file readable by its owner only (0600), fsynced.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Takes group and other permissions away from `path` when it has any (files and
/// directories made by older versions); `mode` is what it gets then.
pub(crate) fn tighten(path: &Path, mode: u32) -> io::Result<bool> {
    let current = std::fs::metadata(path)?.permissions().mode();
    if current & 0o077 == 0 {
        return Ok(false);
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    Ok(true)
}

/// Compares without an early exit on the first differing byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

/// 16 characters from the standard library's randomly keyed hasher.
fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut out = String::new();
    for round in 0..2u64 {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(round);
        let mut v = h.finish();
        for _ in 0..8 {
            let i = (v % ALPHABET.len() as u64) as usize;
            out.push(char::from(ALPHABET.get(i).copied().unwrap_or(b'x')));
            v /= ALPHABET.len() as u64;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `doveadm pw -s ARGON2ID -p secret` and `doveadm pw -s SCRAM-SHA-256 -p secret`
    /// (Dovecot 2.3).
    const DOVECOT_ARGON2ID: &str = "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$Umx58yahBPBz1qIdkYJm5Q$7dg+iXqblBZPFGed020ZZi8u0B51etkCSS0TTQ8fJOo";
    const DOVECOT_SCRAM: &str = "{SCRAM-SHA-256}4096,QnPpgi8Glb7xMCD1pf4kwQ==,QQXI2MKUVsakZkTTpPF8wEnZYIHMi6WB4hPmOUT9z4A=,ytYXOmQgyRSFs37ocJZfyPxzhrQ6mZY4KBQ4CFuwpiI=";

    #[test]
    fn parse_and_check() {
        let u = Users::parse("# comment\nAlice:pw:with:colons\nbob:x\n").unwrap();
        assert_eq!(
            u.check("alice", "pw:with:colons"),
            Verdict::Ok("alice".into())
        );
        assert_eq!(
            u.check("ALICE", "pw:with:colons"),
            Verdict::Ok("alice".into())
        );
        assert_eq!(u.check("alice", "pw"), Verdict::Failed);
        assert_eq!(u.check("carol", "x"), Verdict::Failed);
        assert_eq!(u.postmaster(), "alice");
        assert!(Users::parse("../x:pw\n").is_err());
        assert!(Users::parse(".x:pw\n").is_err());
        assert!(Users::parse("nopassword\n").is_err());
        assert!(Users::parse("\n").is_err());
        let u = Users::parse("a:1\npostmaster:2\n").unwrap();
        assert_eq!(u.postmaster(), "postmaster");
        assert_eq!(random_password().len(), 16);
    }

    #[test]
    fn dovecot_hashes() {
        let text = format!(
            "argon:{DOVECOT_ARGON2ID}:1000:1000::/home/argon::\nscram:{DOVECOT_SCRAM}\nplain:{{PLAIN}}pw:1000\n"
        );
        let u = Users::parse(&text).unwrap();
        assert_eq!(u.check("argon", "secret"), Verdict::Ok("argon".into()));
        assert_eq!(u.check("argon", "Secret"), Verdict::Failed);
        assert_eq!(u.check("scram", "secret"), Verdict::Ok("scram".into()));
        assert_eq!(u.check("scram", "secreT"), Verdict::Failed);
        assert_eq!(u.check("plain", "pw"), Verdict::Ok("plain".into()));
        assert_eq!(u.plaintext(), ["plain"]);
        assert!(u.offers_cram_md5() && u.offers_scram());
        assert!(matches!(u.scram_keys("argon"), ScramKeys::Unsupported));
        let ScramKeys::Keys(keys) = u.scram_keys("scram") else {
            panic!("stored keys")
        };
        assert_eq!(keys.iterations, 4096);
        let derived = ScramCredentials::derive("secret", &keys.salt, 4096).unwrap();
        assert_eq!(derived, keys);

        let u = Users::parse(&format!("a:{DOVECOT_ARGON2ID}\n")).unwrap();
        assert!(!u.offers_cram_md5() && !u.offers_scram());
        let u = Users::parse(&format!("a:{DOVECOT_SCRAM}\n")).unwrap();
        assert!(!u.offers_cram_md5() && u.offers_scram());

        for bad in [
            "a:{MD5}x\n",
            "a:{ARGON2ID}nope\n",
            "a:{SCRAM-SHA-256}4096,AAAA\n",
            "a:{SCRAM-SHA-256}0,QQ==,QQ==,QQ==\n",
            "a:{PLAIN}\n",
            "a:{ARGON2ID\n",
        ] {
            let e = Users::parse(bad).unwrap_err();
            assert!(e.starts_with("line 1: "), "{bad}: {e}");
        }
        // No secret in the error.
        let e = Users::parse("a:{SCRAM-SHA-256}4096,c2VjcmV0LXNhbHQ=,xx,yy\n").unwrap_err();
        assert!(!e.contains("c2Vjc"), "{e}");
    }

    #[test]
    fn new_hashes_verify() {
        for scheme in [Scheme::Argon2id, Scheme::ScramSha256] {
            let value = scheme.hash("pa:ss wörd").unwrap();
            let u = Users::parse(&format!("x:{value}\n")).unwrap();
            assert_eq!(u.check("x", "pa:ss wörd"), Verdict::Ok("x".into()));
            assert_eq!(u.check("x", "pa:ss word"), Verdict::Failed);
            assert!(u.plaintext().is_empty());
        }
        assert!(
            Scheme::Argon2id
                .hash("x")
                .unwrap()
                .starts_with("{ARGON2ID}$argon2id$v=19$")
        );
        assert!(
            Scheme::ScramSha256
                .hash("x")
                .unwrap()
                .starts_with("{SCRAM-SHA-256}10000,")
        );
    }
}
