//! A blocking connection for interop tests against real servers (feature `testing-tls`): plain
//! TCP, or TLS over it with rustls trusting one CA file, so that a test can drive a Sans-IO
//! client over a `std::net::TcpStream` and switch to TLS when the client asks (STARTTLS, STLS).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{ClientConnection, StreamOwned};

/// A test's connection to a real server: plaintext, TLS, or given up for a TLS upgrade.
#[derive(Debug)]
pub enum BlockingConn {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP, the handshake done.
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
    /// Nothing: reads see the end, writes go nowhere.
    Gone,
}

impl BlockingConn {
    /// TLS over `tcp` at once (implicit TLS, or after the STARTTLS go-ahead), trusting the
    /// certificates in the PEM file `ca` for the name `localhost`; panics when the CA cannot be
    /// read or the handshake fails.
    #[allow(
        clippy::panic,
        clippy::expect_used,
        reason = "test support: a failed TLS set-up must fail the test"
    )]
    pub fn tls(tcp: TcpStream, ca: &Path) -> Self {
        let mut roots = rustls::RootCertStore::empty();
        let pem = std::fs::read(ca).unwrap_or_else(|e| panic!("{}: {e}", ca.display()));
        for cert in rustls_pemfile::certs(&mut &pem[..]) {
            roots
                .add(cert.expect("a PEM certificate"))
                .expect("a CA certificate");
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = ServerName::try_from("localhost").expect("a server name");
        let conn = ClientConnection::new(Arc::new(config), name).expect("a TLS client");
        let mut stream = StreamOwned::new(conn, tcp);
        while stream.conn.is_handshaking() {
            stream
                .conn
                .complete_io(&mut stream.sock)
                .expect("the TLS handshake");
        }
        Self::Tls(Box::new(stream))
    }

    /// Switches a plaintext connection to TLS (see [`BlockingConn::tls`]); panics unless it
    /// was plaintext.
    #[allow(
        clippy::panic,
        reason = "test support: a second upgrade is a broken test"
    )]
    pub fn upgrade(&mut self, ca: &Path) {
        let Self::Plain(tcp) = std::mem::replace(self, Self::Gone) else {
            panic!("TLS twice");
        };
        *self = Self::tls(tcp, ca);
    }

    /// Reads what is there (0 at the end, or when [`BlockingConn::Gone`]).
    pub fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Self::Plain(s) => s.read(buf),
            Self::Tls(s) => s.read(buf),
            Self::Gone => Ok(0),
        }
    }

    /// Writes all of `buf` (and flushes it through TLS).
    pub fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Self::Plain(s) => s.write_all(buf),
            Self::Tls(s) => s.write_all(buf).and_then(|()| s.flush()),
            Self::Gone => Ok(()),
        }
    }
}
