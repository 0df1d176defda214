//! Modified UTF-7 (RFC 3501 §5.1.3) for folder names on disk, as Dovecot writes them.
//!
//! TODO(imap): replace with `imap_proto::types::{encode_utf7, decode_utf7}` when the mail
//! server depends on imap-proto (the IMAP service adds it); this private copy exists so the
//! store builds while imap-proto is being written.

/// The modified BASE64 alphabet: `,` in place of `/`.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// Encodes `name`: printable ASCII as itself (`&` as `&-`), any other run as `&BASE64-` of
/// its UTF-16BE.
pub(super) fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut units: Vec<u16> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut out, &mut units);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            units.extend_from_slice(c.encode_utf16(&mut [0; 2]));
        }
    }
    flush(&mut out, &mut units);
    out
}

fn flush(out: &mut String, units: &mut Vec<u16>) {
    if units.is_empty() {
        return;
    }
    out.push('&');
    let (mut acc, mut bits) = (0u32, 0u32);
    let mut push = |v: u32| {
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

/// Decodes a modified UTF-7 name; `None` if it is not valid.
pub(super) fn decode(wire: &str) -> Option<String> {
    let mut out = String::with_capacity(wire.len());
    let mut rest = wire;
    while let Some(i) = rest.find('&') {
        let (plain, tail) = rest.split_at(i);
        if !plain.chars().all(|c| (' '..='~').contains(&c)) {
            return None;
        }
        out.push_str(plain);
        let tail = tail.get(1..)?;
        let end = tail.find('-')?;
        let (b64, after) = (tail.get(..end)?, tail.get(end + 1..)?);
        if b64.is_empty() {
            out.push('&');
        } else {
            let (mut acc, mut bits) = (0u32, 0u32);
            let mut units = Vec::new();
            for b in b64.bytes() {
                let v = ALPHABET.iter().position(|&a| a == b)?;
                acc = (acc << 6) | u32::try_from(v).ok()?;
                bits += 6;
                if bits >= 16 {
                    bits -= 16;
                    units.push(u16::try_from((acc >> bits) & 0xffff).ok()?);
                    acc &= (1 << bits) - 1;
                }
            }
            out.push_str(&String::from_utf16(&units).ok()?);
        }
        rest = after;
    }
    if !rest.chars().all(|c| (' '..='~').contains(&c)) {
        return None;
    }
    out.push_str(rest);
    Some(out)
}
