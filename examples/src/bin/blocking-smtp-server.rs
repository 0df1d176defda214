//! `blocking-smtp-server [ADDR:PORT]`: the smallest driver, on blocking `std` I/O.
//!
//! Plaintext SMTP on 127.0.0.1:2526 by default, one connection at a time, no TLS, no AUTH:
//! every sender and recipient is accepted and each message is printed to stdout. It shows the
//! run loop of `mail_sansio::Session` without tokio: write what `poll_transmit` gives, answer
//! what `poll_event` asks, read with the deadline of `poll_timeout` as the socket timeout.
//!
//! Try it with `swaks --server 127.0.0.1:2526 --to a@b.example` or
//! `curl smtp://127.0.0.1:2526 --mail-from a@b.example --mail-rcpt c@d.example -T message.txt`.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use mail_sansio::Session;
use smtp_proto::{Server, ServerConfig, ServerEvent, TlsMode};

fn serve(mut stream: TcpStream, config: ServerConfig) -> std::io::Result<()> {
    let mut server = Server::new(config, Instant::now());
    let mut message = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        while let Some(bytes) = server.poll_transmit() {
            stream.write_all(&bytes)?;
        }
        match server.poll_event() {
            Ok(Some(event)) => {
                match event {
                    ServerEvent::BodyChunk(chunk) => message.extend_from_slice(&chunk),
                    ServerEvent::MessageComplete { token, size, .. } => {
                        println!("--- message of {size} octets");
                        println!("{}", String::from_utf8_lossy(&message));
                        message.clear();
                        server.accept(token).map_err(other)?;
                    }
                    ServerEvent::MessageAborted(reason) => {
                        println!("--- message refused: {reason:?}");
                        message.clear();
                    }
                    // Hello, sender, recipients: accept them all.
                    event => {
                        if let Some(token) = event.token() {
                            server.accept(token).map_err(other)?;
                        }
                    }
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => {
                // The goodbye (421, 500, ...) is still queued.
                while let Some(bytes) = server.poll_transmit() {
                    stream.write_all(&bytes)?;
                }
                println!("--- session ended: {e}");
                return Ok(());
            }
        }
        // Parsing may have queued replies the machine gave by itself (354, errors).
        while let Some(bytes) = server.poll_transmit() {
            stream.write_all(&bytes)?;
        }
        if server.is_closed() {
            return Ok(());
        }
        let timeout = server
            .poll_timeout()
            .map(|at| at.saturating_duration_since(Instant::now()));
        // A zero timeout means "no timeout" to std; use the smallest real one instead.
        stream.set_read_timeout(timeout.map(|t| t.max(Duration::from_millis(1))))?;
        match stream.read(&mut buf) {
            Ok(0) => {
                server.handle_eof(Instant::now());
                return Ok(());
            }
            Ok(n) => server.handle_input(Instant::now(), &buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                server.handle_timeout(Instant::now());
            }
            Err(e) => return Err(e),
        }
    }
}

fn other(e: impl std::error::Error + Send + Sync + 'static) -> std::io::Error {
    std::io::Error::other(e)
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:2526".to_owned());
    let domain = "localhost".try_into().map_err(other)?;
    let mut config = ServerConfig::strict(domain);
    config.tls = TlsMode::DangerousPlaintextOnly;
    config.extensions.auth.clear();
    let listener = TcpListener::bind(&addr)?;
    println!("blocking SMTP server on {addr} (plaintext, accepts everything)");
    for stream in listener.incoming() {
        let stream = stream?;
        let peer = stream.peer_addr()?;
        println!("--- connection from {peer}");
        if let Err(e) = serve(stream, config.clone()) {
            println!("--- {peer}: {e}");
        }
    }
    Ok(())
}
