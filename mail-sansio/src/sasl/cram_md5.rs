//! CRAM-MD5 (RFC 2195): the client answers a server challenge with
//! `user SP hex(HMAC-MD5(password, challenge))`.
//!
//! CRAM-MD5 needs the plaintext password (or its HMAC-MD5 pad state) on the server and lets an
//! eavesdropper mount an offline dictionary attack; prefer SCRAM-SHA-256. The server challenge
//! is supplied by the caller and must be unique: RFC 2195 suggests
//! `<random-digits.timestamp@hostname>`; use at least 18 random bytes (e.g. base64-encoded) in
//! it.

use std::fmt;

use hmac::{Hmac, Mac};
use md5::Md5;

use super::credentials::parse_identity;
use super::{Mechanism, SaslError};

type HmacMd5 = Hmac<Md5>;

/// Builds the client's response to `challenge`.
///
/// ```text
/// response = user SP digest     ; RFC 2195 §2, digest = 32 lowercase hex digits
/// ```
pub(crate) fn client_response(
    user: &str,
    password: &[u8],
    challenge: &[u8],
) -> Result<Vec<u8>, SaslError> {
    let mut mac = HmacMd5::new_from_slice(password)
        .map_err(|_| SaslError::Internal("hmac-md5 refused the key"))?;
    mac.update(challenge);
    let digest = mac.finalize().into_bytes();
    let mut out = Vec::with_capacity(user.len() + 33);
    out.extend_from_slice(user.as_bytes());
    out.push(b' ');
    for byte in digest {
        out.push(hex_digit(byte >> 4));
        out.push(hex_digit(byte & 0x0F));
    }
    Ok(out)
}

const fn hex_digit(nibble: u8) -> u8 {
    match nibble {
        0..=9 => b'0' + nibble,
        _ => b'a' + (nibble - 10),
    }
}

const fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// A CRAM-MD5 response received by a server: the user name and the digest to check once the
/// application has looked up the password.
#[derive(Clone, PartialEq, Eq)]
pub struct CramMd5Proof {
    user: String,
    challenge: Vec<u8>,
    digest: [u8; 16],
}

impl CramMd5Proof {
    /// The user name the client sent.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The challenge this response answers.
    pub fn challenge(&self) -> &[u8] {
        &self.challenge
    }

    /// Whether the digest is HMAC-MD5 of the challenge keyed with `password`; the comparison
    /// takes the same time wherever the digests differ.
    pub fn verify(&self, password: &[u8]) -> bool {
        let Ok(mut mac) = HmacMd5::new_from_slice(password) else {
            return false;
        };
        mac.update(&self.challenge);
        mac.verify_slice(&self.digest).is_ok()
    }
}

impl fmt::Debug for CramMd5Proof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CramMd5Proof")
            .field("user", &self.user)
            .field("digest", &"..")
            .finish()
    }
}

/// Parses the client's response to `challenge`.
///
/// ```text
/// response = user SP digest     ; RFC 2195 §2; the user is what precedes the last space
/// digest   = 32HEXDIG
/// ```
pub(crate) fn parse_response(
    challenge: &[u8],
    message: &[u8],
    max_identity: usize,
) -> Result<CramMd5Proof, SaslError> {
    let mechanism = Mechanism::CramMd5;
    let space = memchr::memrchr(b' ', message).ok_or(SaslError::malformed(
        mechanism,
        "no space before the digest",
    ))?;
    let (user, digest) = message.split_at_checked(space).ok_or(SaslError::malformed(
        mechanism,
        "no space before the digest",
    ))?;
    let hex = digest.get(1..).unwrap_or_default();
    if hex.len() != 32 {
        return Err(SaslError::malformed(
            mechanism,
            "digest must be 32 hexadecimal digits",
        ));
    }
    let mut bytes = [0u8; 16];
    for (out, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
        let (Some(&high), Some(&low)) = (pair.first(), pair.get(1)) else {
            return Err(SaslError::malformed(mechanism, "digest is cut short"));
        };
        let (Some(high), Some(low)) = (hex_value(high), hex_value(low)) else {
            return Err(SaslError::malformed(
                mechanism,
                "digest must be 32 hexadecimal digits",
            ));
        };
        *out = (high << 4) | low;
    }
    Ok(CramMd5Proof {
        user: parse_identity(user, max_identity, mechanism)?,
        challenge: challenge.to_vec(),
        digest: bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALLENGE: &[u8] = b"<1896.697170952@postoffice.reston.mci.net>";

    #[test]
    fn rfc2195_vector() {
        let response = client_response("tim", b"tanstaaftanstaaf", CHALLENGE).unwrap();
        assert_eq!(response, b"tim b913a602c7eda7a495b4e6e7334d3890");
        let proof = parse_response(CHALLENGE, &response, 255).unwrap();
        assert_eq!(proof.user(), "tim");
        assert!(proof.verify(b"tanstaaftanstaaf"));
        assert!(!proof.verify(b"tanstaaftanstaafx"));
        assert!(!proof.verify(b""));
        assert_eq!(
            format!("{proof:?}"),
            "CramMd5Proof { user: \"tim\", digest: \"..\" }"
        );
        let upper =
            parse_response(CHALLENGE, b"tim B913A602C7EDA7A495B4E6E7334D3890", 255).unwrap();
        assert!(upper.verify(b"tanstaaftanstaaf"));
    }

    #[test]
    fn malformed_responses() {
        for bad in [
            &b""[..],
            b"tim",
            b"tim ",
            b" b913a602c7eda7a495b4e6e7334d3890",
            b"tim b913a602c7eda7a495b4e6e7334d389",
            b"tim b913a602c7eda7a495b4e6e7334d38900",
            b"tim g913a602c7eda7a495b4e6e7334d3890",
            b"tim\x01 b913a602c7eda7a495b4e6e7334d3890",
        ] {
            assert!(parse_response(CHALLENGE, bad, 255).is_err(), "{bad:?}");
        }
    }
}
