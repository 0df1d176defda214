//! Text from the peer, made safe for a terminal.
//!
//! A greeting, a reply, a capability line or a certificate name comes from a server that may
//! be hostile, often before TLS: printed as is, `\x1b[...` sequences recolour, move or clear
//! the terminal, set its title or worse. Every client prints peer text through these
//! functions: control characters (C0 including TAB, CR and LF, DEL, C1) and the Unicode
//! direction overrides come out as visible escapes (`\x1b`, `\u{202e}`), bytes that are not
//! UTF-8 as `\xNN`, and a backslash as `\\`, so the escaping cannot be forged.

use std::fmt::{self, Write as _};

/// Bytes from the peer, displayed with every control character escaped.
#[derive(Debug, Clone, Copy)]
pub struct Peer<'a>(pub &'a [u8]);

impl fmt::Display for Peer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                write_char(f, c)?;
            }
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

/// Whether `c` must not reach a terminal as is.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() // C0, DEL and C1
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

fn write_char(f: &mut impl fmt::Write, c: char) -> fmt::Result {
    match c {
        '\\' => f.write_str("\\\\"),
        c if (c as u32) < 0x100 && is_unsafe(c) => write!(f, "\\x{:02x}", c as u32),
        c if is_unsafe(c) => write!(f, "\\u{{{:x}}}", c as u32),
        c => f.write_char(c),
    }
}

/// Peer bytes as one line of safe text.
pub fn peer(bytes: &[u8]) -> String {
    Peer(bytes).to_string()
}

/// A string that may carry peer text (a reply, an error message quoting the peer): safe to
/// print on one line.
pub fn safe(text: &str) -> String {
    peer(text.as_bytes())
}

/// Text that is already escaped its own way (a DNS name in RFC 1035 presentation form, with
/// `\DDD` and `\.`): control characters are escaped, backslashes stay as they are.
pub fn controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let _ = match c {
            '\\' => out.write_char(c),
            c => write_char(&mut out, c),
        };
    }
    out
}

/// The first line of what the peer sent (without its line end), shortened to `max` chars,
/// safe to print: for "this is not a greeting" messages.
pub fn first_line(bytes: &[u8], max: usize) -> String {
    let end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    let line = bytes.get(..end).unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let text = peer(line);
    if text.chars().count() > max {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// An SMTP reply as `CODE [ENHANCED] TEXT`, its lines joined with ` / `, safe to print.
pub fn smtp_reply(reply: &smtp_proto::Reply) -> String {
    let mut out = reply.code().get().to_string();
    if let Some(enhanced) = reply.enhanced() {
        let _ = write!(out, " {enhanced}");
    }
    for (i, line) in reply.lines().enumerate() {
        out.push_str(if i == 0 { " " } else { " / " });
        let _ = write!(out, "{}", Peer(line));
    }
    out
}

/// A message body for a terminal: line ends and tabs stay, every other control character is
/// escaped. (Written to a file or a pipe, a message goes out byte for byte instead.)
pub fn for_terminal(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            let _ = match c {
                '\n' | '\t' => out.write_char(c),
                '\r' => Ok(()),
                c => write_char(&mut out, c),
            };
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls() {
        assert_eq!(peer(b"a\x1b[31mb\x07\x7f"), "a\\x1b[31mb\\x07\\x7f");
        assert_eq!(peer(b"tab\there\r\n"), "tab\\x09here\\x0d\\x0a");
        assert_eq!(peer("c1\u{9b}31m".as_bytes()), "c1\\x9b31m");
        assert_eq!(peer("rtl\u{202e}x".as_bytes()), "rtl\\u{202e}x");
        assert_eq!(peer(b"bad\xff\\"), "bad\\xff\\\\");
        assert_eq!(peer("héllo".as_bytes()), "héllo");
    }

    #[test]
    fn controls_keep_backslashes() {
        assert_eq!(controls("a\\046b.\x1b"), "a\\046b.\\x1b");
    }

    #[test]
    fn first_line_is_cut() {
        assert_eq!(
            first_line(b"+Do you\x1b care?\r\nmore", 80),
            "+Do you\\x1b care?"
        );
        assert_eq!(first_line(b"abcdef", 3), "abc...");
    }

    #[test]
    fn terminal_body_keeps_lines() {
        assert_eq!(for_terminal(b"a\r\nb\x1bc\td\n"), "a\nb\\x1bc\td\n");
    }
}
