//! XOAUTH2 (Google's format) and OAUTHBEARER (RFC 7628) messages.
//!
//! Both carry an OAuth 2.0 bearer token (RFC 6750). When the token is refused the server sends
//! a JSON error as a challenge; the client answers with an empty response (XOAUTH2) or a single
//! `%x01` (OAUTHBEARER, RFC 7628 §3.2.3) and the server then fails the exchange.

use super::credentials::parse_identity;
use super::gs2::{CbindFlag, Gs2Header};
use super::{Credentials, Mechanism, SaslError};
use crate::Secret;

/// `kvsep = %x01`
pub(crate) const KVSEP: u8 = 0x01;

/// Builds an XOAUTH2 message.
///
/// ```text
/// message = "user=" user %x01 "auth=Bearer " token %x01 %x01
/// ```
pub(crate) fn encode_xoauth2(user: &str, token: &str) -> Vec<u8> {
    format!("user={user}\x01auth=Bearer {token}\x01\x01").into_bytes()
}

/// Builds an OAUTHBEARER message.
///
/// ```text
/// client-resp = (gs2-header kvsep *kvpair kvsep) / kvsep    ; RFC 7628 §3.1
/// kvpair      = key "=" value kvsep
/// ```
pub(crate) fn encode_oauthbearer(
    authzid: Option<&str>,
    host: Option<&str>,
    port: Option<u16>,
    token: &str,
) -> Vec<u8> {
    let header = Gs2Header {
        cbind: CbindFlag::No,
        authzid: authzid.map(str::to_owned),
    };
    let mut out = header.encode();
    out.push('\x01');
    if let Some(host) = host {
        out.push_str("host=");
        out.push_str(host);
        out.push('\x01');
    }
    if let Some(port) = port {
        out.push_str(&format!("port={port}\x01"));
    }
    out.push_str("auth=Bearer ");
    out.push_str(token);
    out.push_str("\x01\x01");
    out.into_bytes()
}

/// Checks a token given to a client constructor: RFC 6750 §2.1 `b64token`.
pub(crate) fn check_token(token: &str) -> Result<(), SaslError> {
    if is_b64token(token.as_bytes()) {
        Ok(())
    } else {
        Err(SaslError::invalid(
            "bearer token",
            "must be 1*( ALPHA / DIGIT / \"-\" / \".\" / \"_\" / \"~\" / \"+\" / \"/\" ) *\"=\"",
        ))
    }
}

/// ```text
/// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="   ; RFC 6750 §2.1
/// ```
fn is_b64token(token: &[u8]) -> bool {
    let body_len = token.len() - token.iter().rev().take_while(|&&b| b == b'=').count();
    let body = token.get(..body_len).unwrap_or_default();
    !body.is_empty()
        && body
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// The fields both mechanisms share.
#[derive(Default)]
struct Fields {
    user: Option<String>,
    token: Option<Secret<String>>,
    host: Option<String>,
    port: Option<u16>,
}

/// Parses the key/value pairs that follow the header.
///
/// ```text
/// body  = *kvpair kvsep
/// kvpair = key "=" value kvsep
/// key   = 1*(ALPHA)
/// value = *(VCHAR / SP / HTAB / CR / LF)
/// auth-value = "Bearer" 1*SP b64token     ; scheme case-insensitive (RFC 7235 §2.1)
/// ```
fn parse_pairs(
    body: &[u8],
    mechanism: Mechanism,
    max_identity: usize,
) -> Result<Fields, SaslError> {
    let bad = |reason| SaslError::malformed(mechanism, reason);
    let pairs = body
        .strip_suffix(&[KVSEP])
        .ok_or(bad("message must end with two %x01"))?;
    let mut fields = Fields::default();
    if pairs.is_empty() {
        return Err(bad("no auth= field"));
    }
    let pairs = pairs
        .strip_suffix(&[KVSEP])
        .ok_or(bad("message must end with two %x01"))?;
    for pair in pairs.split(|&b| b == KVSEP) {
        let eq = memchr::memchr(b'=', pair).ok_or(bad("field without ="))?;
        let (key, value) = pair.split_at_checked(eq).ok_or(bad("field without ="))?;
        let value = value.get(1..).unwrap_or_default();
        if key.is_empty() || !key.iter().all(u8::is_ascii_alphabetic) {
            return Err(bad("field key must be letters"));
        }
        if !value
            .iter()
            .all(|&b| matches!(b, 0x21..=0x7E | b' ' | b'\t' | b'\r' | b'\n'))
        {
            return Err(bad("field value contains a forbidden byte"));
        }
        match key {
            b"user" if mechanism == Mechanism::XOAuth2 => {
                if fields.user.is_some() {
                    return Err(bad("duplicate user field"));
                }
                fields.user = Some(parse_identity(value, max_identity, mechanism)?);
            }
            b"auth" => {
                if fields.token.is_some() {
                    return Err(bad("duplicate auth field"));
                }
                fields.token = Some(
                    parse_bearer(value)
                        .ok_or(bad("auth field must be \"Bearer\" followed by a b64token"))?,
                );
            }
            b"host" if mechanism == Mechanism::OAuthBearer => {
                if fields.host.is_some() {
                    return Err(bad("duplicate host field"));
                }
                fields.host = Some(parse_identity(value, max_identity, mechanism)?);
            }
            b"port" if mechanism == Mechanism::OAuthBearer => {
                if fields.port.is_some() {
                    return Err(bad("duplicate port field"));
                }
                let digits =
                    (!value.is_empty() && value.len() <= 5 && value.iter().all(u8::is_ascii_digit))
                        .then_some(value)
                        .ok_or(bad("port must be a number up to 65535"))?;
                let port = std::str::from_utf8(digits)
                    .ok()
                    .and_then(|text| text.parse().ok())
                    .ok_or(bad("port must be a number up to 65535"))?;
                fields.port = Some(port);
            }
            // Unknown keys are extensions (RFC 7628 §3.1): ignored.
            _ => {}
        }
    }
    Ok(fields)
}

/// `"Bearer" 1*SP b64token`
fn parse_bearer(value: &[u8]) -> Option<Secret<String>> {
    let (scheme, rest) = value.split_at_checked(6)?;
    if !scheme.eq_ignore_ascii_case(b"Bearer") || rest.first() != Some(&b' ') {
        return None;
    }
    let token = rest.trim_ascii_start();
    if !is_b64token(token) {
        return None;
    }
    Some(Secret::new(String::from_utf8_lossy(token).into_owned()))
}

/// Parses an XOAUTH2 message.
pub(crate) fn parse_xoauth2(message: &[u8], max_identity: usize) -> Result<Credentials, SaslError> {
    let mechanism = Mechanism::XOAuth2;
    let fields = parse_pairs(message, mechanism, max_identity)?;
    let user = fields
        .user
        .ok_or(SaslError::malformed(mechanism, "no user= field"))?;
    let token = fields
        .token
        .ok_or(SaslError::malformed(mechanism, "no auth= field"))?;
    Ok(Credentials::Token {
        mechanism,
        authzid: None,
        user: Some(user),
        token,
        host: None,
        port: None,
    })
}

/// Parses an OAUTHBEARER initial client response.
pub(crate) fn parse_oauthbearer(
    message: &[u8],
    max_identity: usize,
) -> Result<Credentials, SaslError> {
    let mechanism = Mechanism::OAuthBearer;
    let (header, rest) = Gs2Header::parse(message, mechanism)?;
    if let CbindFlag::Used(_) = header.cbind {
        return Err(SaslError::ChannelBinding(
            "oauthbearer does not support channel binding",
        ));
    }
    if let Some(authzid) = &header.authzid {
        super::wire::check_length("identity", authzid.len(), max_identity)?;
    }
    let body = rest.strip_prefix(&[KVSEP]).ok_or(SaslError::malformed(
        mechanism,
        "gs2 header must be followed by %x01",
    ))?;
    let fields = parse_pairs(body, mechanism, max_identity)?;
    let token = fields
        .token
        .ok_or(SaslError::malformed(mechanism, "no auth= field"))?;
    Ok(Credentials::Token {
        mechanism,
        authzid: header.authzid,
        user: None,
        token,
        host: fields.host,
        port: fields.port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoauth2_round_trip() {
        let message = encode_xoauth2(
            "someuser@example.com",
            "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
        );
        assert_eq!(
            message,
            b"user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01"
        );
        let Credentials::Token { user, token, .. } = parse_xoauth2(&message, 255).unwrap() else {
            panic!()
        };
        assert_eq!(user.as_deref(), Some("someuser@example.com"));
        assert_eq!(
            token.expose(),
            "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"
        );
    }

    #[test]
    fn oauthbearer_rfc7628_example() {
        // RFC 7628 §4.1.
        let message = b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01";
        assert_eq!(
            encode_oauthbearer(
                Some("user@example.com"),
                Some("server.example.com"),
                Some(143),
                "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="
            ),
            message
        );
        let creds = parse_oauthbearer(message, 255).unwrap();
        let Credentials::Token {
            authzid,
            token,
            host,
            port,
            ..
        } = creds
        else {
            panic!()
        };
        assert_eq!(authzid.as_deref(), Some("user@example.com"));
        assert_eq!(token.expose(), "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
        assert_eq!(host.as_deref(), Some("server.example.com"));
        assert_eq!(port, Some(143));
    }

    #[test]
    fn malformed_oauth_messages() {
        for bad in [
            &b""[..],
            b"\x01",
            b"\x01\x01",
            b"user=a\x01\x01",
            b"auth=Bearer x\x01\x01",
            b"user=a\x01auth=Bearer x\x01",
            b"user=a\x01auth=Basic x\x01\x01",
            b"user=a\x01auth=Bearer \x01\x01",
            b"user=a\x01auth=Bearerx\x01\x01",
            b"user=a\x01auth=Bearer x y\x01\x01",
            b"user=a\x01user=b\x01auth=Bearer x\x01\x01",
            b"user=a\x01=b\x01auth=Bearer x\x01\x01",
            b"user=a\x01auth=Bearer x\x01\x01\x01",
        ] {
            assert!(parse_xoauth2(bad, 255).is_err(), "{bad:?}");
        }
        for bad in [
            &b"n,,auth=Bearer x\x01\x01"[..],
            b"n,,\x01\x01",
            b"p=tls-exporter,,\x01auth=Bearer x\x01\x01",
            b"n,,\x01port=70000\x01auth=Bearer x\x01\x01",
            b"n,,\x01port=\x01auth=Bearer x\x01\x01",
            b"n,,\x01auth=Bearer x\x01auth=Bearer y\x01\x01",
        ] {
            assert!(parse_oauthbearer(bad, 255).is_err(), "{bad:?}");
        }
        assert!(parse_oauthbearer(b"y,,\x01auth=bearer x\x01\x01", 255).is_ok());
    }
}
