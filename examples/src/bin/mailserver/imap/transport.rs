//! The byte stream under an IMAP session: TCP, TLS (at once or after STARTTLS), and
//! DEFLATE (RFC 4978, raw deflate with a sync flush after every write) over either once
//! COMPRESS is accepted.

use std::io;
use std::time::Duration;

use examples::driver::{Conn, read_shared};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsStream};

/// Octets of decompressed input handed to the session at once: a small compressed read can
/// inflate a thousandfold, and the session should frame it in bounded steps.
const INFLATE_CHUNK: usize = 64 * 1024;

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

struct Deflate {
    compress: Compress,
    decompress: Decompress,
    /// Compressed input not inflated yet.
    pending: Vec<u8>,
}

/// A connection that can turn to TLS and to DEFLATE.
pub(crate) struct Transport {
    stream: Option<Stream>,
    deflate: Option<Deflate>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("tls", &self.is_tls())
            .field("deflate", &self.deflate.is_some())
            .finish()
    }
}

impl Transport {
    pub(crate) fn new(conn: Conn) -> Self {
        let stream = match conn {
            Conn::Plain(tcp) => Stream::Plain(tcp),
            Conn::Tls(tls) => Stream::Tls(tls),
        };
        Self {
            stream: Some(stream),
            deflate: None,
        }
    }

    pub(crate) fn is_tls(&self) -> bool {
        matches!(self.stream, Some(Stream::Tls(_)))
    }

    /// Runs the server side of the TLS handshake STARTTLS asked for.
    pub(crate) async fn start_tls(
        &mut self,
        acceptor: &TlsAcceptor,
        timeout: Duration,
    ) -> io::Result<()> {
        let Some(Stream::Plain(tcp)) = self.stream.take() else {
            return Err(io::Error::other("tls requested twice"));
        };
        let tls = tokio::time::timeout(timeout, acceptor.accept(tcp))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "tls handshake timed out"))??;
        self.stream = Some(Stream::Tls(Box::new(TlsStream::Server(tls))));
        Ok(())
    }

    /// Compresses and decompresses everything from now on.
    pub(crate) fn start_deflate(&mut self) {
        self.deflate = Some(Deflate {
            compress: Compress::new(Compression::default(), false),
            decompress: Decompress::new(false),
            pending: Vec::new(),
        });
    }

    /// Reads the next input into `out` (cleared first); `Ok(false)` at end of stream.
    pub(crate) async fn read(&mut self, out: &mut Vec<u8>) -> io::Result<bool> {
        out.clear();
        loop {
            if let Some(d) = &mut self.deflate
                && !d.pending.is_empty()
            {
                inflate(d, out)?;
                if !out.is_empty() {
                    return Ok(true);
                }
            }
            // Straight into `out`, or into `pending` under DEFLATE: through the thread's
            // read buffer, so an idle connection holds none of its own.
            let into = match &mut self.deflate {
                None => &mut *out,
                Some(d) => &mut d.pending,
            };
            let n = match self.stream.as_mut() {
                Some(Stream::Plain(s)) => read_shared(s, into).await?,
                Some(Stream::Tls(s)) => read_shared(s.as_mut(), into).await?,
                None => return Ok(false),
            };
            if n == 0 {
                return Ok(false);
            }
            if self.deflate.is_none() {
                return Ok(true);
            }
        }
    }

    /// Writes `bytes` (compressed once DEFLATE is on) and flushes.
    pub(crate) async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let compressed;
        let bytes = match &mut self.deflate {
            Some(d) => {
                compressed = deflate(&mut d.compress, bytes)?;
                &compressed[..]
            }
            None => bytes,
        };
        match self.stream.as_mut() {
            Some(Stream::Plain(s)) => s.write_all(bytes).await,
            Some(Stream::Tls(s)) => {
                s.write_all(bytes).await?;
                s.flush().await
            }
            None => Err(io::Error::other("connection gone")),
        }
    }

    pub(crate) async fn shutdown(&mut self) {
        let _ = match self.stream.as_mut() {
            Some(Stream::Plain(s)) => s.shutdown().await,
            Some(Stream::Tls(s)) => s.shutdown().await,
            None => Ok(()),
        };
    }
}

/// Inflates from `d.pending` into `out`, at most [`INFLATE_CHUNK`] octets.
fn inflate(d: &mut Deflate, out: &mut Vec<u8>) -> io::Result<()> {
    out.reserve(INFLATE_CHUNK);
    let before_in = d.decompress.total_in();
    d.decompress
        .decompress_vec(&d.pending, out, FlushDecompress::Sync)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    let used = usize::try_from(d.decompress.total_in() - before_in).unwrap_or(usize::MAX);
    // Whatever is left and produced nothing waits for more input (a partial block).
    d.pending.drain(..used.min(d.pending.len()));
    Ok(())
}

/// Compresses `input` with a sync flush, so the peer can read every response at once.
fn deflate(c: &mut Compress, input: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() / 2 + 64);
    let mut consumed = 0usize;
    loop {
        if out.capacity() - out.len() < 64 {
            out.reserve(out.capacity().max(1024));
        }
        let before = c.total_in();
        let rest = input.get(consumed..).unwrap_or_default();
        c.compress_vec(rest, &mut out, FlushCompress::Sync)
            .map_err(io::Error::other)?;
        consumed += usize::try_from(c.total_in() - before).unwrap_or(0);
        // Done when all input is in and the flush left room to spare.
        if consumed >= input.len() && out.capacity() - out.len() >= 64 {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deflate_round_trip() {
        let mut c = Compress::new(Compression::default(), false);
        let mut d = Deflate {
            compress: Compress::new(Compression::default(), false),
            decompress: Decompress::new(false),
            pending: Vec::new(),
        };
        let text = b"a1 OK [CAPABILITY IMAP4rev1] done\r\n".repeat(5000);
        d.pending = deflate(&mut c, &text).unwrap();
        let mut all = Vec::new();
        let mut out = Vec::new();
        while !d.pending.is_empty() {
            out.clear();
            inflate(&mut d, &mut out).unwrap();
            assert!(out.len() <= INFLATE_CHUNK);
            all.extend_from_slice(&out);
        }
        assert_eq!(all, text);
    }
}
