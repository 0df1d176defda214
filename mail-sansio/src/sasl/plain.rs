//! PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login-00) and EXTERNAL (RFC 4422 App. A)
//! messages.

use super::credentials::{parse_identity, parse_password};
use super::{Credentials, Mechanism, SaslError};

/// The LOGIN server's first challenge.
pub(crate) const LOGIN_USERNAME: &[u8] = b"Username:";
/// The LOGIN server's second challenge.
pub(crate) const LOGIN_PASSWORD: &[u8] = b"Password:";

/// Builds a PLAIN message.
///
/// ```text
/// message = [authzid] UTF8NUL authcid UTF8NUL passwd   ; RFC 4616 §2
/// ```
pub(crate) fn encode_plain(authzid: Option<&str>, authcid: &str, password: &str) -> Vec<u8> {
    let authzid = authzid.unwrap_or("");
    let mut out = Vec::with_capacity(authzid.len() + authcid.len() + password.len() + 2);
    out.extend_from_slice(authzid.as_bytes());
    out.push(0);
    out.extend_from_slice(authcid.as_bytes());
    out.push(0);
    out.extend_from_slice(password.as_bytes());
    out
}

/// Parses a PLAIN message: exactly two NULs, non-empty authcid and password.
///
/// ```text
/// message = [authzid] UTF8NUL authcid UTF8NUL passwd   ; RFC 4616 §2
/// authcid = 1*SAFE ; MUST accept up to 255 octets
/// passwd  = 1*SAFE ; MUST accept up to 255 octets
/// ```
pub(crate) fn parse_plain(message: &[u8], max_identity: usize) -> Result<Credentials, SaslError> {
    let mechanism = Mechanism::Plain;
    let nuls = memchr::memchr_iter(0, message).count();
    if nuls != 2 {
        return Err(SaslError::malformed(
            mechanism,
            "message must contain exactly two nul separators",
        ));
    }
    let mut fields = message.splitn(3, |&b| b == 0);
    let (Some(authzid), Some(authcid), Some(password)) =
        (fields.next(), fields.next(), fields.next())
    else {
        return Err(SaslError::malformed(mechanism, "missing field"));
    };
    let authzid = if authzid.is_empty() {
        None
    } else {
        Some(parse_identity(authzid, max_identity, mechanism)?)
    };
    Ok(Credentials::Password {
        authzid,
        authcid: parse_identity(authcid, max_identity, mechanism)?,
        password: parse_password(password, mechanism)?,
    })
}

/// Parses the LOGIN user name response.
pub(crate) fn parse_login_username(
    message: &[u8],
    max_identity: usize,
) -> Result<String, SaslError> {
    parse_identity(message, max_identity, Mechanism::Login)
}

/// Completes LOGIN with the password response.
pub(crate) fn parse_login_password(
    username: String,
    message: &[u8],
) -> Result<Credentials, SaslError> {
    Ok(Credentials::Password {
        authzid: None,
        authcid: username,
        password: parse_password(message, Mechanism::Login)?,
    })
}

/// Parses an EXTERNAL message: the optional authzid.
///
/// ```text
/// extern-resp = *( UTF8-char-no-nul )   ; RFC 4422 Appendix A.1
/// ```
pub(crate) fn parse_external(
    message: &[u8],
    max_identity: usize,
) -> Result<Credentials, SaslError> {
    let authzid = if message.is_empty() {
        None
    } else {
        Some(parse_identity(message, max_identity, Mechanism::External)?)
    };
    Ok(Credentials::External { authzid })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;

    #[test]
    fn rfc4616_examples() {
        // RFC 4616 §4: "\0tim\0tanstaaftanstaaf" and "Ursel\0Kurt\0xipj3plmq".
        let creds = parse_plain(b"\0tim\0tanstaaftanstaaf", 255).unwrap();
        assert_eq!(
            creds,
            Credentials::Password {
                authzid: None,
                authcid: "tim".into(),
                password: Secret::new("tanstaaftanstaaf".into())
            }
        );
        let creds = parse_plain(b"Ursel\0Kurt\0xipj3plmq", 255).unwrap();
        assert_eq!(creds.authcid(), Some("Kurt"));
        assert_eq!(
            encode_plain(Some("Ursel"), "Kurt", "xipj3plmq"),
            b"Ursel\0Kurt\0xipj3plmq"
        );
    }

    #[test]
    fn plain_rejects_wrong_nul_counts_and_empty_fields() {
        for bad in [
            &b"timpassword"[..],
            b"\0timpassword",
            b"\0tim\0pass\0word",
            b"\0\0\0",
            b"\0\0password",
            b"\0tim\0",
            b"\0t\x01m\0password",
            b"\0\xff\0password",
            b"\0tim\0\xff",
        ] {
            assert!(parse_plain(bad, 255).is_err(), "{bad:?}");
        }
        let long = [&[0u8][..], &[b'a'; 300], b"\0pw"].concat();
        assert!(matches!(
            parse_plain(&long, 255),
            Err(SaslError::TooLong { length: 300, .. })
        ));
    }

    #[test]
    fn external_and_login() {
        assert_eq!(
            parse_external(b"", 255).unwrap(),
            Credentials::External { authzid: None }
        );
        assert_eq!(
            parse_external(b"admin", 255).unwrap(),
            Credentials::External {
                authzid: Some("admin".into())
            }
        );
        assert!(parse_external(b"a\0b", 255).is_err());
        assert_eq!(parse_login_username(b"tim", 255).unwrap(), "tim");
        assert!(parse_login_username(b"", 255).is_err());
        assert!(parse_login_password("tim".into(), b"").is_err());
    }
}
