//! Response line grammar (RFC 1939 §3, RFC 2449 §§3, 8, RFC 5034 §4).

use crate::error::ParseError;
use crate::response::{Response, ResponseCode, Status, StatusLine};
use crate::types::Text;

/// Parses one response line without its CRLF.
///
/// ```text
/// response   = status [SP [resp-code SP] text]   ; RFC 2449 §3 (resp-code §8)
/// status     = "+OK" / "-ERR"
/// resp-code  = "[" resp-level *("/" resp-level) "]"
/// challenge  = "+" [SP base64]                    ; RFC 5034 §4
/// ```
pub(crate) fn response(line: &[u8]) -> Result<Response, ParseError> {
    // text = *(%x01-09 / %x0B-0C / %x0E-FF): a NUL has no business in a response line.
    if let Some(offset) = memchr::memchr(0, line) {
        return Err(ParseError::Syntax {
            rule: "text",
            offset,
        });
    }
    let (status, rest) = if let Some(rest) = strip_prefix_ci(line, b"+OK") {
        (Status::Ok, rest)
    } else if let Some(rest) = strip_prefix_ci(line, b"-ERR") {
        (Status::Err, rest)
    } else if let Some(rest) = line.strip_prefix(b"+") {
        let data = rest.strip_prefix(b" ").unwrap_or(rest);
        return super::command::base64(data, "challenge", 2).map(Response::Challenge);
    } else {
        return Err(ParseError::Syntax {
            rule: "status",
            offset: 0,
        });
    };
    let offset = line.len() - rest.len();
    let text = match rest {
        [] => rest,
        [b' ', text @ ..] => text,
        _ => {
            return Err(ParseError::Syntax {
                rule: "status",
                offset,
            });
        }
    };
    let (code, text) = resp_code(text);
    Ok(Response::Status(StatusLine {
        status,
        code,
        text: Text::from_wire(text),
    }))
}

fn strip_prefix_ci<'a>(line: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let (head, tail) = line.split_at_checked(prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then_some(tail)
}

/// Splits a leading response code off the text; an unterminated or malformed code is text.
///
/// ```text
/// resp-code  = "[" resp-level *("/" resp-level) "]"   ; RFC 2449 §8
/// resp-level = 1*rchar
/// rchar      = %x21-2E / %x30-5C / %x5E-7E
/// ```
fn resp_code(text: &[u8]) -> (Option<ResponseCode>, &[u8]) {
    let Some(inner) = text.strip_prefix(b"[") else {
        return (None, text);
    };
    let Some(end) = memchr::memchr(b']', inner) else {
        return (None, text);
    };
    let Some((code, after)) = inner.split_at_checked(end) else {
        return (None, text);
    };
    let after = after.get(1..).unwrap_or_default();
    let after = match after {
        [] => after,
        [b' ', rest @ ..] => rest,
        _ => return (None, text),
    };
    match ResponseCode::from_levels(code.split(|&b| b == b'/').collect()) {
        Some(code) => (Some(code), after),
        None => (None, text),
    }
}
