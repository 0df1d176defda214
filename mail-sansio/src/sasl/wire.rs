//! Base64 lines as SMTP (`334`, RFC 4954), POP3 (`+ `, RFC 5034) and IMAP (`+ `, RFC 9051)
//! carry SASL messages.
//!
//! The protocol crate strips its own framing (`334 `, `+ `, the CRLF, the `AUTH mech` words)
//! and hands the rest here. Decoding is strict RFC 4648 §4 base64: no whitespace, no line
//! breaks, canonical `=` padding only at the end, no non-zero trailing bits. Every decoder checks
//! its size cap on the *encoded* text before decoding anything, so a 1 MiB line costs one
//! length comparison (CVE-2018-6789 class).
//!
//! | direction | empty message | cancel |
//! |---|---|---|
//! | initial response (`AUTH mech <ir>`) | `=` ([`encode_initial_response`]) | `*` → [`SaslError::Cancelled`] |
//! | client response line | empty line ([`encode_response`]) | `*` → [`SaslError::Cancelled`] |
//! | server challenge (`334 `, `+ `) | nothing after the prefix ([`encode_challenge`]) | — |

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::SaslError;
use crate::Secret;

/// Default cap on one encoded response line: the AUTH command line limit of RFC 4954 §4
/// (12288 octets, also Postfix's `smtpd_sasl_response_limit`).
pub const DEFAULT_MAX_LINE: usize = 12_288;

/// Decodes a client's response line (one sent after a challenge).
///
/// ```text
/// response = base64 / "*"        ; RFC 4954 §4, RFC 5034 §4, RFC 9051 §6.2.2
/// base64   = *(4base64-char) [base64-terminal]
/// ```
///
/// An empty line is an empty response. `*` is [`SaslError::Cancelled`]. `max_line` caps the
/// encoded length (checked first); the decoded bytes are wrapped in [`Secret`] because they may
/// hold a password.
pub fn decode_response(line: &[u8], max_line: usize) -> Result<Secret<Vec<u8>>, SaslError> {
    check_length("sasl response line", line.len(), max_line)?;
    if line == b"*" {
        return Err(SaslError::Cancelled);
    }
    decode_base64(line, max_line).map(Secret::new)
}

/// Decodes an initial response given with the command (`AUTH PLAIN <ir>`,
/// `AUTHENTICATE PLAIN <ir>`).
///
/// ```text
/// initial-response = base64 / "="   ; RFC 4954 §4, RFC 4959 §3; "=" means empty
/// ```
///
/// `=` is an empty initial response (different from no initial response, which the protocol
/// crate sees as a missing argument). An empty argument is an error: it cannot be told apart
/// from a missing one on the wire. `*` is outside the grammar but can only mean that the client
/// gives up, so it is [`SaslError::Cancelled`] here too.
pub fn decode_initial_response(
    response: &[u8],
    max_line: usize,
) -> Result<Secret<Vec<u8>>, SaslError> {
    check_length("sasl initial response", response.len(), max_line)?;
    match response {
        b"=" => Ok(Secret::new(Vec::new())),
        b"" => Err(SaslError::InvalidBase64 {
            offset: 0,
            reason: "an empty initial response must be sent as \"=\"",
        }),
        b"*" => Err(SaslError::Cancelled),
        _ => decode_base64(response, max_line).map(Secret::new),
    }
}

/// Decodes a server challenge (the text after `334 ` or `+ `); empty text is an empty
/// challenge. Challenges are attacker data for a client: the same strict, capped decoder.
pub fn decode_challenge(text: &[u8], max_line: usize) -> Result<Vec<u8>, SaslError> {
    decode_base64(text, max_line)
}

/// Encodes an initial response for the command line; empty becomes `=` (RFC 4954 §4).
pub fn encode_initial_response(bytes: &[u8]) -> Secret<String> {
    if bytes.is_empty() {
        Secret::new(String::from("="))
    } else {
        Secret::new(STANDARD.encode(bytes))
    }
}

/// Encodes a response line sent after a challenge; empty stays empty (the client sends a bare
/// CRLF, RFC 4954 §4).
pub fn encode_response(bytes: &[u8]) -> Secret<String> {
    Secret::new(STANDARD.encode(bytes))
}

/// Encodes a server challenge; empty stays empty (SMTP sends `334 `, IMAP and POP3 `+ `).
pub fn encode_challenge(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Strict RFC 4648 §4 base64 with a cap on the encoded length, checked before decoding.
///
/// Rejects whitespace, bytes outside the alphabet, lengths that are not a multiple of 4
/// (including the 4n+1 case of CVE-2018-6789), padding anywhere but the end, and non-zero bits
/// left over in the last symbol. Offsets in errors point into `text`; the offending byte itself
/// is never reported, because it may be part of a password.
pub fn decode_base64(text: &[u8], max_len: usize) -> Result<Vec<u8>, SaslError> {
    check_length("base64 text", text.len(), max_len)?;
    let padding_start = text.len()
        - text
            .iter()
            .rev()
            .take(2)
            .take_while(|&&b| b == b'=')
            .count();
    for (offset, &byte) in text.iter().enumerate() {
        let ok = if offset < padding_start {
            byte.is_ascii_alphanumeric() || byte == b'+' || byte == b'/'
        } else {
            byte == b'='
        };
        if !ok {
            let reason = if byte == b'=' {
                "padding before the end"
            } else if byte.is_ascii_whitespace() {
                "whitespace is not allowed"
            } else {
                "byte outside the base64 alphabet"
            };
            return Err(SaslError::InvalidBase64 { offset, reason });
        }
    }
    if !text.len().is_multiple_of(4) {
        return Err(SaslError::InvalidBase64 {
            offset: text.len(),
            reason: "length is not a multiple of 4",
        });
    }
    STANDARD.decode(text).map_err(|error| {
        let (offset, reason) = match error {
            base64::DecodeError::InvalidByte(offset, _) => (offset, "invalid padding"),
            base64::DecodeError::InvalidLastSymbol(offset, _) => {
                (offset, "non-zero bits after the last octet")
            }
            base64::DecodeError::InvalidLength(length) => (length, "invalid length"),
            base64::DecodeError::InvalidPadding => (text.len(), "invalid padding"),
        };
        SaslError::InvalidBase64 { offset, reason }
    })
}

/// Fails with [`SaslError::TooLong`] when `length > limit`.
pub(crate) const fn check_length(
    what: &'static str,
    length: usize,
    limit: usize,
) -> Result<(), SaslError> {
    if length > limit {
        Err(SaslError::TooLong {
            what,
            length,
            limit,
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_reason(text: &[u8]) -> (usize, &'static str) {
        match decode_base64(text, 100) {
            Err(SaslError::InvalidBase64 { offset, reason }) => (offset, reason),
            other => panic!("expected invalid base64 for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn decodes_canonical_base64() {
        assert_eq!(decode_base64(b"", 10).unwrap(), b"");
        assert_eq!(decode_base64(b"QQ==", 10).unwrap(), b"A");
        assert_eq!(decode_base64(b"QUI=", 10).unwrap(), b"AB");
        assert_eq!(decode_base64(b"QUJD", 10).unwrap(), b"ABC");
        assert_eq!(decode_base64(b"AGZvbwBiYXI=", 20).unwrap(), b"\0foo\0bar");
    }

    #[test]
    fn rejects_lengths_4n_plus_1_2_3() {
        assert_eq!(err_reason(b"QUJDR").1, "length is not a multiple of 4");
        assert_eq!(err_reason(b"QQ").1, "length is not a multiple of 4");
        assert_eq!(err_reason(b"QUI").1, "length is not a multiple of 4");
        assert_eq!(err_reason(b"Q").1, "length is not a multiple of 4");
    }

    #[test]
    fn rejects_bad_padding_whitespace_and_alphabet() {
        assert_eq!(err_reason(b"QQ==QQ=="), (2, "padding before the end"));
        assert_eq!(err_reason(b"Q==="), (1, "padding before the end"));
        assert_eq!(err_reason(b"===="), (0, "padding before the end"));
        assert_eq!(err_reason(b"QU I"), (2, "whitespace is not allowed"));
        assert_eq!(err_reason(b"QUJD\r\n"), (4, "whitespace is not allowed"));
        assert_eq!(err_reason(b"QU-_"), (2, "byte outside the base64 alphabet"));
        assert_eq!(
            err_reason(b"QU\xffI"),
            (2, "byte outside the base64 alphabet")
        );
        // Non-canonical: trailing bits set in the last symbol.
        assert_eq!(err_reason(b"QR==").1, "non-zero bits after the last octet");
        assert_eq!(err_reason(b"QUJ=").1, "non-zero bits after the last octet");
    }

    #[test]
    fn size_cap_is_checked_before_decoding() {
        let huge = vec![b'!'; 20_000];
        assert_eq!(
            decode_response(&huge, DEFAULT_MAX_LINE),
            Err(SaslError::TooLong {
                what: "sasl response line",
                length: 20_000,
                limit: DEFAULT_MAX_LINE
            })
        );
        assert!(matches!(
            decode_challenge(&huge, DEFAULT_MAX_LINE),
            Err(SaslError::TooLong { length: 20_000, .. })
        ));
        assert!(matches!(
            decode_initial_response(&huge, DEFAULT_MAX_LINE),
            Err(SaslError::TooLong { length: 20_000, .. })
        ));
    }

    #[test]
    fn cancellation_and_empty_responses() {
        assert_eq!(decode_response(b"*", 10), Err(SaslError::Cancelled));
        assert_eq!(decode_response(b"", 10).unwrap().expose(), b"");
        assert!(decode_response(b"=", 10).is_err());
        assert_eq!(decode_initial_response(b"=", 10).unwrap().expose(), b"");
        assert_eq!(decode_initial_response(b"*", 10), Err(SaslError::Cancelled));
        assert!(decode_initial_response(b"", 10).is_err());
        assert_eq!(decode_initial_response(b"QQ==", 10).unwrap().expose(), b"A");
        assert_eq!(decode_challenge(b"", 10).unwrap(), b"");
    }

    #[test]
    fn encoders() {
        assert_eq!(encode_initial_response(b"").expose(), "=");
        assert_eq!(encode_response(b"").expose(), "");
        assert_eq!(encode_challenge(b""), "");
        assert_eq!(
            encode_initial_response(b"\0tim\0tanstaaftanstaaf").expose(),
            "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"
        );
        assert_eq!(encode_challenge(b"Username:"), "VXNlcm5hbWU6");
        assert_eq!(format!("{:?}", encode_response(b"secret")), "Secret(..)");
    }
}
