//! SCRAM-SHA-256 primitives (RFC 5802 §3, RFC 7677) shared by the client and the server.
//!
//! ```text
//! SaltedPassword  := Hi(Normalize(password), salt, i)        ; PBKDF2-HMAC-SHA-256
//! ClientKey       := HMAC(SaltedPassword, "Client Key")
//! StoredKey       := H(ClientKey)
//! AuthMessage     := client-first-message-bare + "," + server-first-message + "," +
//!                    client-final-message-without-proof
//! ClientSignature := HMAC(StoredKey, AuthMessage)
//! ClientProof     := ClientKey XOR ClientSignature
//! ServerKey       := HMAC(SaltedPassword, "Server Key")
//! ServerSignature := HMAC(ServerKey, AuthMessage)
//! ```

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::{SaslError, saslprep};

/// Length of SHA-256 output, and so of every SCRAM-SHA-256 key and proof.
pub(crate) const KEY_LEN: usize = 32;

/// Lowest iteration count a client accepts by default (RFC 7677 §4: at least 4096).
pub const DEFAULT_MIN_ITERATIONS: u32 = 4096;
/// Highest iteration count a client accepts by default: above this one exchange costs seconds
/// of CPU, which a hostile server could use as a denial of service.
pub const DEFAULT_MAX_ITERATIONS: u32 = 1_000_000;

/// `HMAC-SHA-256(key, data)`
pub(crate) fn hmac(key: &[u8], data: &[u8]) -> Result<[u8; KEY_LEN], SaslError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key)
        .map_err(|_| SaslError::Internal("hmac-sha-256 refused the key"))?;
    mac.update(data);
    Ok(mac.finalize().into_bytes().into())
}

/// `SHA-256(data)`
pub(crate) fn h(data: &[u8]) -> [u8; KEY_LEN] {
    Sha256::digest(data).into()
}

/// `Hi(Normalize(password), salt, i)`
pub(crate) fn salted_password(
    password: &str,
    salt: &[u8],
    iterations: u32,
) -> Result<[u8; KEY_LEN], SaslError> {
    let prepared = saslprep(password)?;
    let mut out = [0u8; KEY_LEN];
    pbkdf2::pbkdf2_hmac::<Sha256>(prepared.as_bytes(), salt, iterations, &mut out);
    Ok(out)
}

/// `a XOR b`
pub(crate) fn xor(a: &[u8; KEY_LEN], b: &[u8; KEY_LEN]) -> [u8; KEY_LEN] {
    let mut out = [0u8; KEY_LEN];
    for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
        *o = x ^ y;
    }
    out
}

/// What a server stores per user for SCRAM-SHA-256 instead of the password (RFC 5802 §2.2).
///
/// `stored_key` and `server_key` are as sensitive as a password hash: `Debug` redacts them.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramCredentials {
    /// The user's salt (16 or more random octets when derived).
    pub salt: Vec<u8>,
    /// The PBKDF2 iteration count (4096 or more).
    pub iterations: u32,
    /// `H(HMAC(SaltedPassword, "Client Key"))`.
    pub stored_key: [u8; KEY_LEN],
    /// `HMAC(SaltedPassword, "Server Key")`.
    pub server_key: [u8; KEY_LEN],
}

impl ScramCredentials {
    /// Derives the stored values from a password, for an application that sets or changes a
    /// password. The salt comes from the caller's random source (16 octets or more); the
    /// password goes through [`saslprep`] as the client's does.
    ///
    /// For an unknown user, derive credentials from a salt computed deterministically from the
    /// user name and a server secret and let the proof fail, so that the exchange does not tell
    /// which users exist.
    pub fn derive(password: &str, salt: &[u8], iterations: u32) -> Result<Self, SaslError> {
        check_server_params(salt, iterations)?;
        let salted = salted_password(password, salt, iterations)?;
        Self::from_salted_password(&salted, salt, iterations)
    }

    /// Derives the stored values from an already computed `SaltedPassword`.
    pub fn from_salted_password(
        salted_password: &[u8; KEY_LEN],
        salt: &[u8],
        iterations: u32,
    ) -> Result<Self, SaslError> {
        check_server_params(salt, iterations)?;
        let client_key = hmac(salted_password, b"Client Key")?;
        Ok(Self {
            salt: salt.to_vec(),
            iterations,
            stored_key: h(&client_key),
            server_key: hmac(salted_password, b"Server Key")?,
        })
    }
}

/// Salt must be non-empty and the count positive (RFC 5802 §5.1).
pub(crate) fn check_server_params(salt: &[u8], iterations: u32) -> Result<(), SaslError> {
    if salt.is_empty() {
        return Err(SaslError::invalid("scram salt", "empty"));
    }
    if iterations == 0 {
        return Err(SaslError::invalid("scram iteration count", "zero"));
    }
    Ok(())
}

impl fmt::Debug for ScramCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramCredentials")
            .field("salt_len", &self.salt.len())
            .field("iterations", &self.iterations)
            .field("stored_key", &"..")
            .field("server_key", &"..")
            .finish()
    }
}

/// Checks a nonce: `printable = %x21-2B / %x2D-7E` (RFC 5802 §7), at least one character.
pub(crate) fn is_printable(nonce: &[u8]) -> bool {
    !nonce.is_empty()
        && nonce
            .iter()
            .all(|&b| matches!(b, 0x21..=0x2B | 0x2D..=0x7E))
}

/// Takes the value of attribute `name` (`name "=" value`) when `part` is that attribute.
pub(crate) fn attribute(part: &[u8], name: u8) -> Option<&[u8]> {
    match part {
        [first, b'=', value @ ..] if *first == name => Some(value),
        _ => None,
    }
}

/// Whether `part` is a well-formed extension attribute (`attr-val = ALPHA "=" value`).
pub(crate) fn is_extension(part: &[u8]) -> bool {
    matches!(part, [first, b'=', ..] if first.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sasl::wire::decode_base64;

    #[test]
    fn rfc7677_stored_values() {
        let salt = decode_base64(b"W22ZaJ0SNY7soEsUEjb6gQ==", 100).unwrap();
        let creds = ScramCredentials::derive("pencil", &salt, 4096).unwrap();
        let server_key_hex: String = creds
            .server_key
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(server_key_hex.len(), 64);
        assert_eq!(creds.iterations, 4096);
        assert_eq!(
            format!("{creds:?}"),
            "ScramCredentials { salt_len: 16, iterations: 4096, stored_key: \"..\", server_key: \"..\" }"
        );
        assert!(ScramCredentials::derive("pencil", b"", 4096).is_err());
        assert!(ScramCredentials::derive("pencil", b"s", 0).is_err());
        assert!(ScramCredentials::derive("", b"s", 1).is_err());
    }

    #[test]
    fn attributes_and_nonces() {
        assert_eq!(attribute(b"r=abc", b'r'), Some(&b"abc"[..]));
        assert_eq!(attribute(b"r=", b'r'), Some(&b""[..]));
        assert_eq!(attribute(b"s=abc", b'r'), None);
        assert_eq!(attribute(b"r", b'r'), None);
        assert!(is_printable(
            b"rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
        ));
        assert!(!is_printable(b"a,b"));
        assert!(!is_printable(b"a b"));
        assert!(!is_printable(b""));
        assert!(is_extension(b"x=1"));
        assert!(!is_extension(b"1=1"));
    }
}
