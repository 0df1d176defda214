//! Modified UTF-7 (RFC 3501 §5.1.3), the legacy encoding of international mailbox names.
//!
//! Printable US-ASCII (0x20–0x7E) stands for itself, except `&`, written `&-`. Any other run of
//! characters is written `&`, then its UTF-16BE code units in modified BASE64 (`,` instead of
//! `/`, no `=` padding), then `-`.
//!
//! Every string has exactly one encoding, and the strict decoder accepts only that one: a
//! printable ASCII character written in BASE64 (`&AGE-` for `a`), two encoded runs side by
//! side, padding bits that are not zero, a lone surrogate or an unterminated `&` are all
//! rejected. Two names that look the same to a user can then never be two different mailboxes.

use crate::error::InvalidValue;

/// The modified BASE64 alphabet: RFC 2045 with `,` in place of `/`.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// The value of a modified BASE64 digit, or `None`.
const fn digit(b: u8) -> Option<u32> {
    match b {
        b'A'..=b'Z' => Some((b - b'A') as u32),
        b'a'..=b'z' => Some((b - b'a') as u32 + 26),
        b'0'..=b'9' => Some((b - b'0') as u32 + 52),
        b'+' => Some(62),
        b',' => Some(63),
        _ => None,
    }
}

/// Whether `c` stands for itself in modified UTF-7.
const fn is_direct(c: u32) -> bool {
    c >= 0x20 && c <= 0x7e
}

/// Encodes `name` in modified UTF-7.
///
/// ```
/// use imap_proto::types::encode_utf7;
/// assert_eq!(encode_utf7("Tom & Jerry"), "Tom &- Jerry");
/// assert_eq!(encode_utf7("Отправленные"), "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-");
/// ```
pub fn encode_utf7(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut units: Vec<u16> = Vec::new();
    for c in name.chars() {
        if is_direct(c as u32) {
            flush_run(&mut out, &mut units);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            units.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush_run(&mut out, &mut units);
    out
}

/// Writes the pending UTF-16 units as one `&...-` run.
fn flush_run(out: &mut String, units: &mut Vec<u16>) {
    if units.is_empty() {
        return;
    }
    out.push('&');
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    let mut push = |v: u32| {
        // `v` is masked to 6 bits, so the lookup always hits.
        if let Some(&d) = ALPHABET.get((v & 0x3f) as usize) {
            out.push(char::from(d));
        }
    };
    for unit in units.drain(..) {
        acc = (acc << 16) | u32::from(unit);
        bits += 16;
        while bits >= 6 {
            bits -= 6;
            push(acc >> bits);
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        push(acc << (6 - bits));
    }
    out.push('-');
}

/// How strictly [`decode`] checks the encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strictness {
    /// Only the canonical encoding.
    Canonical,
    /// Also printable ASCII in BASE64, adjacent runs and non-zero padding bits (what some old
    /// clients wrote). Broken input (bad digits, lone surrogates, no `-`) is still rejected.
    Lenient,
}

/// The error for an invalid modified UTF-7 name.
const fn bad(reason: &'static str) -> InvalidValue {
    InvalidValue::Syntax {
        what: "modified utf-7 mailbox name",
        reason,
    }
}

/// Decodes a modified UTF-7 name, accepting only the canonical encoding.
///
/// ```
/// use imap_proto::types::decode_utf7;
/// assert_eq!(decode_utf7(b"Tom &- Jerry").unwrap(), "Tom & Jerry");
/// assert!(decode_utf7(b"&AGE-").is_err()); // "a" written in BASE64
/// ```
pub fn decode_utf7(wire: &[u8]) -> Result<String, InvalidValue> {
    decode(wire, Strictness::Canonical)
}

/// Whether `wire` is a canonical modified UTF-7 name (7-bit, every escape valid).
pub fn is_canonical_utf7(wire: &[u8]) -> bool {
    decode(wire, Strictness::Canonical).is_ok()
}

/// Decodes a modified UTF-7 name.
pub(crate) fn decode(wire: &[u8], strictness: Strictness) -> Result<String, InvalidValue> {
    let strict = strictness == Strictness::Canonical;
    let mut out = String::with_capacity(wire.len());
    let mut rest = wire;
    // Whether the previous token was an encoded run (two runs side by side are not canonical).
    let mut after_run = false;
    while let Some((&b, tail)) = rest.split_first() {
        if !is_direct(u32::from(b)) {
            return Err(bad("octet outside printable us-ascii"));
        }
        if b != b'&' {
            out.push(char::from(b));
            rest = tail;
            after_run = false;
            continue;
        }
        let Some(end) = memchr::memchr(b'-', tail) else {
            return Err(bad("unterminated &"));
        };
        let (run, after) = tail.split_at(end);
        rest = after.get(1..).unwrap_or_default();
        if run.is_empty() {
            out.push('&');
            after_run = false;
            continue;
        }
        if strict && after_run {
            return Err(bad("two encoded runs side by side"));
        }
        decode_run(run, strict, &mut out)?;
        after_run = true;
    }
    Ok(out)
}

/// Decodes the BASE64 digits between `&` and `-` and appends the characters to `out`.
fn decode_run(run: &[u8], strict: bool, out: &mut String) -> Result<(), InvalidValue> {
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    let mut high: Option<u32> = None;
    for &b in run {
        let v = digit(b).ok_or(bad("invalid modified base64 digit"))?;
        acc = ((acc << 6) | v) & 0x3f_ffff;
        bits += 6;
        if bits < 16 {
            continue;
        }
        bits -= 16;
        let unit = (acc >> bits) & 0xffff;
        let c = match (high.take(), unit) {
            (None, 0xd800..=0xdbff) => {
                high = Some(unit);
                continue;
            }
            (Some(h), 0xdc00..=0xdfff) => 0x10000 + ((h - 0xd800) << 10) + (unit - 0xdc00),
            (Some(_), _) | (None, 0xdc00..=0xdfff) => return Err(bad("unpaired utf-16 surrogate")),
            (None, u) => u,
        };
        let c = char::from_u32(c).ok_or(bad("invalid utf-16"))?;
        if strict && is_direct(c as u32) {
            return Err(bad("printable us-ascii written in base64"));
        }
        out.push(c);
    }
    if high.is_some() {
        return Err(bad("unpaired utf-16 surrogate"));
    }
    // A canonical run ends within one digit of its last code unit, with zero padding bits.
    if bits >= 6 {
        return Err(bad("base64 run not a whole number of utf-16 units"));
    }
    if strict && acc & ((1 << bits) - 1) != 0 {
        return Err(bad("non-zero base64 padding bits"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_item_26_round_trip() {
        for (wire, text) in [
            ("&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-", "Отправленные"),
            ("Tom &- Jerry", "Tom & Jerry"),
            (
                "[Gmail]/G&APY-nderilmi&AV8- Postalar",
                "[Gmail]/Gönderilmiş Postalar",
            ),
            ("&-", "&"),
            ("", ""),
            ("&2D3eAA-", "😀"),
        ] {
            assert_eq!(decode_utf7(wire.as_bytes()).unwrap(), text, "{wire}");
            assert_eq!(encode_utf7(text), wire, "{text}");
        }
    }

    #[test]
    fn non_canonical_rejected() {
        for wire in [
            "&AGE-",      // "a" in base64
            "&AOk-&AOk-", // two runs side by side
            "&AOl-",      // padding bits set
            "&AOk",       // unterminated
            "&",          // unterminated
            "&AOkA-",     // a digit too many
            "&2D0-",      // lone high surrogate
            "&3gA-",      // lone low surrogate
            "&A*k-",      // not a base64 digit
            "caf\u{e9}",  // 8-bit
            "a\tb",       // control
            "&AOk=-",     // padding character
        ] {
            assert!(decode_utf7(wire.as_bytes()).is_err(), "{wire:?}");
        }
        assert_eq!(decode(b"&AGE-", Strictness::Lenient).unwrap(), "a");
        assert_eq!(decode(b"&AOk-&AOk-", Strictness::Lenient).unwrap(), "éé");
        assert!(decode(b"&2D0-", Strictness::Lenient).is_err());
    }
}
