//! Body writers: dot-stuffing for DATA (the shared [`DotStuffer`]) and line-ending
//! normalisation for BDAT chunks.

use bytes::BytesMut;
use mail_sansio::dot::DotStuffer;

/// Rewrites bare CR and bare LF as CRLF (RFC 5321 §2.3.8) without dot-stuffing, for BDAT
/// (RFC 3030 §2: chunks are sent as they are, so the client normalises them itself). The peer
/// receives the same bytes as through [`DotStuffer`] and an unstuffing server.
#[derive(Debug, Clone)]
pub(crate) struct Normaliser {
    at_line_start: bool,
    pending_cr: bool,
}

impl Normaliser {
    pub(crate) const fn new() -> Self {
        Self {
            at_line_start: true,
            pending_cr: false,
        }
    }

    /// Normalises the next piece of the body into `out`.
    pub(crate) fn encode(&mut self, mut data: &[u8], out: &mut BytesMut) {
        if self.pending_cr && !data.is_empty() {
            self.pending_cr = false;
            out.extend_from_slice(b"\r\n");
            self.at_line_start = true;
            if let Some(rest) = data.strip_prefix(b"\n") {
                data = rest;
            }
        }
        while let Some(i) = memchr::memchr2(b'\r', b'\n', data) {
            let (text, rest) = data.split_at(i);
            out.extend_from_slice(text);
            match rest {
                [b'\r'] => {
                    self.pending_cr = true;
                    self.at_line_start = false;
                    return;
                }
                [b'\r', b'\n', tail @ ..] | [_, tail @ ..] => {
                    out.extend_from_slice(b"\r\n");
                    self.at_line_start = true;
                    data = tail;
                }
                [] => return,
            }
        }
        if !data.is_empty() {
            out.extend_from_slice(data);
            self.at_line_start = false;
        }
    }

    /// The line ending the body still needs, if any.
    pub(crate) fn finish(&mut self, out: &mut BytesMut) {
        if self.pending_cr || !self.at_line_start {
            out.extend_from_slice(b"\r\n");
        }
        *self = Self::new();
    }
}

/// How the body of the current message goes out.
#[derive(Debug, Clone)]
pub(crate) enum BodyWriter {
    /// DATA: dot-stuffed, ended by `.CRLF`.
    Data(DotStuffer),
    /// BDAT: one chunk per `send_data`, `BDAT n LAST` at the end.
    Bdat(Normaliser),
    /// BDAT with `BODY=BINARYMIME` (RFC 3030 §3): every octet as given, `BDAT 0 LAST` at the
    /// end.
    Binary,
}

/// Octets of a text line before its CRLF (RFC 5321 §4.5.3.1.6).
pub(crate) const MAX_TEXT_LINE: usize = 998;

/// Whether a whole body is binary in the sense of RFC 3030 §3 (not valid as 7bit or 8bit
/// MIME, RFC 2045 §2.7–2.8): a NUL, a CR that is not part of CRLF, or a line of more than 998
/// octets. A bare LF is taken as the line ending of a Unix text file, not as binary: sent as
/// text it becomes CRLF, which is what every mail client does with such a file.
pub(crate) fn is_binary(body: &[u8]) -> bool {
    let mut line = 0usize;
    let mut octets = body.iter().peekable();
    while let Some(&b) = octets.next() {
        match b {
            0 => return true,
            b'\n' => line = 0,
            b'\r' => {
                if octets.next_if_eq(&&b'\n').is_none() {
                    return true;
                }
                line = 0;
            }
            _ => {
                line += 1;
                if line > MAX_TEXT_LINE {
                    return true;
                }
            }
        }
    }
    false
}

/// Follows the length of the current text line across the pieces of a body sent as text
/// (bare CR and LF end a line: they become CRLF). `None` when the piece holds a NUL or makes
/// a line longer than 998 octets: such a body is binary and needs `BODY=BINARYMIME`.
pub(crate) fn text_line_len(mut line: usize, piece: &[u8]) -> Option<usize> {
    for &b in piece {
        match b {
            0 => return None,
            b'\r' | b'\n' => line = 0,
            _ => {
                line += 1;
                if line > MAX_TEXT_LINE {
                    return None;
                }
            }
        }
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalise(pieces: &[&[u8]]) -> Vec<u8> {
        let mut n = Normaliser::new();
        let mut out = BytesMut::new();
        for p in pieces {
            n.encode(p, &mut out);
        }
        n.finish(&mut out);
        out.to_vec()
    }

    #[test]
    fn normalises_like_the_stuffer_without_dots() {
        assert_eq!(normalise(&[b"a\nb\rc\r\nd"]), b"a\r\nb\r\nc\r\nd\r\n");
        assert_eq!(normalise(&[b"a\r", b"\nb\r"]), b"a\r\nb\r\n");
        assert_eq!(normalise(&[b".x\r\n"]), b".x\r\n");
        assert_eq!(normalise(&[]), b"");
        assert_eq!(normalise(&[b"\r", b"\r"]), b"\r\n\r\n");
    }

    #[test]
    fn binary_bodies() {
        assert!(!is_binary(b""));
        assert!(!is_binary(b"Subject: x\r\n\r\ncaf\xc3\xa9\r\n"));
        assert!(is_binary(b"a\0b\r\n"));
        assert!(!is_binary(b"Subject: x\n\nUnix text\n"));
        let mut unix = vec![b'x'; MAX_TEXT_LINE];
        unix.push(b'\n');
        unix.extend_from_slice(&unix.clone());
        assert!(!is_binary(&unix));
        assert!(is_binary(b"a\rb"));
        assert!(is_binary(b"a\r"));
        let mut line = vec![b'x'; MAX_TEXT_LINE];
        assert!(!is_binary(&line));
        line.extend_from_slice(b"\r\n");
        assert!(!is_binary(&line));
        line.insert(0, b'y');
        assert!(is_binary(&line));
    }

    #[test]
    fn text_lines_are_followed_across_pieces() {
        assert_eq!(text_line_len(0, b"abc"), Some(3));
        assert_eq!(text_line_len(3, b"de\r\nf"), Some(1));
        assert_eq!(text_line_len(0, b"a\nb\rcd"), Some(2));
        assert_eq!(text_line_len(0, b"a\0"), None);
        assert_eq!(text_line_len(MAX_TEXT_LINE - 1, b"x"), Some(MAX_TEXT_LINE));
        assert_eq!(text_line_len(MAX_TEXT_LINE, b"x"), None);
        assert_eq!(text_line_len(MAX_TEXT_LINE, b"\r\nx"), Some(1));
    }
}
