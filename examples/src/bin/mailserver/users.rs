//! The user list: `name:password` lines. Passwords stay in `Secret` and are never logged.

use std::collections::BTreeMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::path::Path;

use std::time::{SystemTime, UNIX_EPOCH};

use examples::tls::random_base64;
use mail_sansio::Secret;
use mail_sansio::sasl::{CramMd5Proof, SaslServerConfig, ScramCredentials};

/// RFC 7677 §4's minimum iteration count.
const SCRAM_ITERATIONS: u32 = 4096;

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

/// The local users.
#[derive(Debug, Default)]
pub(crate) struct Users {
    by_name: BTreeMap<String, Secret<String>>,
    /// Who receives mail for `postmaster`: the user of that name, else the first one.
    postmaster: String,
}

impl Users {
    /// Parses `name:password` lines; `#` starts a comment line. Names are folded to lower case.
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
            if password.is_empty() {
                return Err(format!("line {}: empty password", i + 1));
            }
            first.get_or_insert_with(|| name.clone());
            users.by_name.insert(name, Secret::new(password.to_owned()));
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

    /// The demo user kept in `data/demo-users` (made with a random password on first use).
    /// Returns the users and the demo credentials to print.
    pub(crate) fn demo(data: &Path) -> io::Result<(Self, String, String)> {
        let path = data.join("demo-users");
        if !path.exists() {
            let password = random_password();
            std::fs::write(&path, format!("demo:{password}\n"))?;
        }
        let text = std::fs::read_to_string(&path)?;
        let users = Self::parse(&text).map_err(io::Error::other)?;
        let (name, password) = users
            .by_name
            .iter()
            .next()
            .map(|(n, p)| (n.clone(), p.expose().clone()))
            .unwrap_or_default();
        Ok((users, name, password))
    }

    /// Whether the user exists.
    pub(crate) fn exists(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// The mailbox that receives postmaster mail.
    pub(crate) fn postmaster(&self) -> &str {
        &self.postmaster
    }

    /// Checks a login; returns the canonical user name.
    pub(crate) fn check(&self, name: &str, password: &str) -> Option<String> {
        let name = name.to_ascii_lowercase();
        let stored = self.by_name.get(&name)?;
        constant_time_eq(stored.expose().as_bytes(), password.as_bytes()).then_some(name)
    }

    /// The canonical name of a user, if there is one.
    pub(crate) fn canonical(&self, name: &str) -> Option<String> {
        let name = name.to_ascii_lowercase();
        self.by_name.contains_key(&name).then_some(name)
    }

    /// Checks a CRAM-MD5 proof; returns the canonical user name.
    pub(crate) fn check_cram_md5(&self, proof: &CramMd5Proof) -> Option<String> {
        let name = proof.user().to_ascii_lowercase();
        let stored = self.by_name.get(&name)?;
        proof.verify(stored.expose().as_bytes()).then_some(name)
    }

    /// A user's SCRAM keys, derived from the stored password with a fresh salt (a real server
    /// stores the keys instead); made up from a random password for an unknown user, so that
    /// the proof fails the same way. `None` when no randomness could be had.
    pub(crate) fn scram_keys(&self, name: &str) -> Option<ScramCredentials> {
        let password = match self.by_name.get(&name.to_ascii_lowercase()) {
            Some(stored) => stored.expose().clone(),
            None => random_base64(18).ok()?,
        };
        let salt = random_base64(16).ok()?;
        ScramCredentials::derive(&password, salt.as_bytes(), SCRAM_ITERATIONS).ok()
    }

    /// The user names.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }
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

    #[test]
    fn parse_and_check() {
        let u = Users::parse("# comment\nAlice:pw:with:colons\nbob:x\n").unwrap();
        assert_eq!(u.check("alice", "pw:with:colons").as_deref(), Some("alice"));
        assert_eq!(u.check("ALICE", "pw:with:colons").as_deref(), Some("alice"));
        assert_eq!(u.check("alice", "pw"), None);
        assert_eq!(u.check("carol", "x"), None);
        assert_eq!(u.postmaster(), "alice");
        assert!(Users::parse("../x:pw\n").is_err());
        assert!(Users::parse(".x:pw\n").is_err());
        assert!(Users::parse("nopassword\n").is_err());
        assert!(Users::parse("\n").is_err());
        let u = Users::parse("a:1\npostmaster:2\n").unwrap();
        assert_eq!(u.postmaster(), "postmaster");
        assert_eq!(random_password().len(), 16);
    }
}
