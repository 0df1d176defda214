//! DNS over TCP framing (RFC 1035 §4.2.2, RFC 7766 §8): each message is
//! preceded by its length as two octets.

use crate::error::WireError;

/// Prefixes `message` with its 2-octet length.
pub fn frame(message: &[u8]) -> Result<Vec<u8>, WireError> {
    let len = u16::try_from(message.len()).map_err(|_| WireError::MessageTooLong {
        length: message.len(),
    })?;
    let mut out = Vec::with_capacity(message.len() + 2);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(message);
    Ok(out)
}

/// Reassembles length-prefixed messages from a TCP byte stream, however
/// the stream is split. Memory is bounded by one frame (at most 65537
/// octets) plus what the caller feeds between calls to
/// [`TcpReassembler::next_message`]; the announced length never sizes an
/// allocation up front.
#[derive(Debug, Default, Clone)]
pub struct TcpReassembler {
    buf: Vec<u8>,
    /// Octets at the front of `buf` already handed out. Compacted lazily,
    /// so that taking many small frames off one large feed stays linear.
    start: usize,
}

impl TcpReassembler {
    /// An empty reassembler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends stream bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Takes the next whole message (without its length prefix) off the
    /// front, or `None` while it is still incomplete.
    pub fn next_message(&mut self) -> Option<Vec<u8>> {
        let rest = self.buf.get(self.start..)?;
        let len = match rest.get(..2) {
            Some(&[a, b]) => usize::from(u16::from_be_bytes([a, b])),
            _ => return None,
        };
        let message = rest.get(2..2 + len)?.to_vec();
        self.start += 2 + len;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        Some(message)
    }

    /// Octets held that do not yet form a whole message.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Forgets any partial frame (the connection closed).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.start = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_length_prefix() {
        let framed = frame(b"hello").unwrap();
        let mut r = TcpReassembler::new();
        r.push(&framed[..1]);
        assert_eq!(r.next_message(), None);
        r.push(&framed[1..4]);
        assert_eq!(r.next_message(), None);
        r.push(&framed[4..]);
        r.push(&frame(b"").unwrap());
        assert_eq!(r.next_message().unwrap(), b"hello");
        assert_eq!(r.next_message().unwrap(), b"");
        assert_eq!(r.next_message(), None);
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn many_small_frames_in_one_feed() {
        let mut feed = Vec::new();
        for i in 0..10_000u16 {
            feed.extend_from_slice(&frame(&i.to_be_bytes()).unwrap());
        }
        feed.push(0); // half a length prefix
        let mut r = TcpReassembler::new();
        r.push(&feed);
        for i in 0..10_000u16 {
            assert_eq!(r.next_message().unwrap(), i.to_be_bytes());
        }
        assert_eq!(r.next_message(), None);
        assert_eq!(r.pending(), 1);
        r.push(&[2, 9, 9]);
        assert_eq!(r.next_message().unwrap(), [9, 9]);
        assert_eq!(r.pending(), 0);
    }
}
