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
}
