//! [`DotStuffer`]: writes a body dot-stuffed and terminated.

use bytes::BytesMut;
use memchr::memchr2;

use super::simd::skip_plain_blocks;
use super::{CR, DOT, LF};

/// Writes a body with every line start dot-stuffed and a single `.CRLF` terminator.
///
/// Bare CR and bare LF are written as CRLF (RFC 5321 §2.3.8), the first line is stuffed like
/// every other, and a body that does not end with a line ending gets one before the
/// terminator, so the peer always reads back exactly the lines that were meant.
///
/// ```
/// use mail_sansio::dot::DotStuffer;
///
/// let wire = DotStuffer::stuff(b".hidden\n.\r\nlast");
/// assert_eq!(&wire[..], b"..hidden\r\n..\r\nlast\r\n.\r\n");
/// ```
#[derive(Debug, Clone)]
pub struct DotStuffer {
    at_line_start: bool,
    pending_cr: bool,
}

impl Default for DotStuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl DotStuffer {
    /// A stuffer at the start of a body.
    pub fn new() -> Self {
        Self {
            at_line_start: true,
            pending_cr: false,
        }
    }

    /// Stuffs a whole body and appends the terminator.
    pub fn stuff(body: &[u8]) -> BytesMut {
        let mut out = BytesMut::with_capacity(body.len() + body.len() / 64 + 5);
        let mut stuffer = Self::new();
        stuffer.encode(body, &mut out);
        stuffer.finish(&mut out);
        out
    }

    /// Stuffs the next piece of the body into `out`. Pieces may split anywhere.
    pub fn encode(&mut self, mut data: &[u8], out: &mut BytesMut) {
        if self.pending_cr && !data.is_empty() {
            // A CR ended the previous piece: CRLF or bare CR, both become one CRLF.
            self.pending_cr = false;
            out.extend_from_slice(b"\r\n");
            self.at_line_start = true;
            if let Some(rest) = data.strip_prefix(b"\n") {
                data = rest;
            }
        }
        while !data.is_empty() {
            if self.at_line_start {
                if data.first() == Some(&DOT) {
                    out.extend_from_slice(b".");
                }
                self.at_line_start = false;
            }
            // Inside a line now: copy whole blocks of ordinary text at once.
            let plain = skip_plain_blocks(data, 0);
            if let Some((text, rest)) = data.split_at_checked(plain).filter(|_| plain > 0) {
                out.extend_from_slice(text);
                self.at_line_start = text.last() == Some(&LF);
                data = rest;
                continue;
            }
            let Some(i) = memchr2(CR, LF, data) else {
                out.extend_from_slice(data);
                self.at_line_start = false;
                return;
            };
            let (text, rest) = data.split_at(i);
            out.extend_from_slice(text);
            match rest {
                [CR] => {
                    self.pending_cr = true;
                    self.at_line_start = false;
                    return;
                }
                [CR, LF, tail @ ..] | [CR | LF, tail @ ..] => {
                    out.extend_from_slice(b"\r\n");
                    self.at_line_start = true;
                    data = tail;
                }
                // memchr2 found a CR or LF at `i`, so nothing else is possible.
                _ => return,
            }
        }
    }

    /// Ends the body: a line ending if the last line lacks one, then `.CRLF`.
    pub fn finish(&mut self, out: &mut BytesMut) {
        if self.pending_cr || !self.at_line_start {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
        *self = Self::new();
    }
}
