//! A small blocking SMTP/POP3 client over real TCP (plain, STARTTLS/STLS or implicit TLS,
//! trusting the server's self-signed certificate), with SASL from mail-sansio: what the
//! account, abuse, submission and file tests drive `mailserver` with.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mail_sansio::sasl::{SaslClient, ScramClientConfig};
use rustls::pki_types::ServerName;

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

/// One connection; every read times out after 20 s.
pub struct Client {
    stream: Option<Stream>,
    ca: Option<std::path::PathBuf>,
}

fn tls(tcp: TcpStream, ca: &Path) -> Stream {
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(ca).unwrap();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp)))
}

fn connect(port: u16) -> TcpStream {
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    tcp
}

impl Client {
    /// Plain TCP.
    pub fn plain(port: u16) -> Self {
        Self {
            stream: Some(Stream::Plain(connect(port))),
            ca: None,
        }
    }

    /// Plain TCP from another loopback address (127.0.0.2, ...).
    pub fn plain_from(port: u16, from: &str) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let tcp = rt.block_on(async {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
            socket
                .connect(format!("127.0.0.1:{port}").parse().unwrap())
                .await
                .unwrap()
        });
        let tcp = tcp.into_std().unwrap();
        tcp.set_nonblocking(false).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Self {
            stream: Some(Stream::Plain(tcp)),
            ca: None,
        }
    }

    /// Implicit TLS.
    pub fn tls(port: u16, ca: &Path) -> Self {
        Self {
            stream: Some(tls(connect(port), ca)),
            ca: Some(ca.to_owned()),
        }
    }

    /// Starts TLS on this connection (after the server said go ahead).
    pub fn start_tls(&mut self, ca: &Path) {
        match self.stream.take() {
            Some(Stream::Plain(tcp)) => self.stream = Some(tls(tcp, ca)),
            _ => panic!("TLS already"),
        }
    }

    fn io(&mut self) -> &mut dyn ReadWrite {
        match self.stream.as_mut().unwrap() {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.as_mut(),
        }
    }

    /// Sends one line (CRLF added).
    pub fn send(&mut self, line: &str) {
        let io = self.io();
        io.write_all(line.as_bytes()).unwrap();
        io.write_all(b"\r\n").unwrap();
        io.flush().unwrap();
    }

    /// Sends bytes as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let io = self.io();
        io.write_all(bytes).unwrap();
        io.flush().unwrap();
    }

    /// One line without its CRLF; empty at the end of the stream.
    pub fn line(&mut self) -> String {
        let mut out = Vec::new();
        let mut byte = [0u8; 1];
        loop {
            match self.io().read(&mut byte) {
                Ok(0) => break,
                Ok(_) => {
                    out.push(byte[0]);
                    if out.ends_with(b"\r\n") {
                        out.truncate(out.len() - 2);
                        break;
                    }
                }
                // A TLS peer that closes without close_notify, or a reset: the end.
                Err(_) => break,
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Whether the server closed the connection (nothing more to read).
    pub fn closed(&mut self) -> bool {
        self.line().is_empty()
    }

    /// A whole SMTP reply (the lines joined with `\n`).
    pub fn reply(&mut self) -> String {
        let mut all = Vec::new();
        loop {
            let line = self.line();
            let more = line.as_bytes().get(3) == Some(&b'-');
            all.push(line);
            if !more {
                return all.join("\n");
            }
        }
    }

    /// An SMTP command and its reply.
    pub fn smtp(&mut self, cmd: &str) -> String {
        self.send(cmd);
        self.reply()
    }

    /// A POP3 command and its one-line answer.
    pub fn pop3(&mut self, cmd: &str) -> String {
        self.send(cmd);
        self.line()
    }

    /// POP3 lines up to the terminating `.`.
    pub fn pop3_multi(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            let line = self.line();
            if line == "." || line.is_empty() {
                return out;
            }
            out.push(line);
        }
    }

    /// SMTP `AUTH MECH` driven by `sasl` to the end: the final reply.
    pub fn smtp_auth(&mut self, mechanism: &str, mut sasl: SaslClient) -> String {
        self.send(&format!("AUTH {mechanism}"));
        loop {
            let reply = self.reply();
            let Some(challenge) = reply.strip_prefix("334") else {
                return reply;
            };
            let challenge = STANDARD.decode(challenge.trim()).unwrap();
            match sasl.step(&challenge) {
                Ok(response) => self.send(&STANDARD.encode(response.expose())),
                Err(_) => self.send("*"),
            }
        }
    }

    /// POP3 `AUTH MECH` driven by `sasl` to the end: the final answer.
    pub fn pop3_auth(&mut self, mechanism: &str, mut sasl: SaslClient) -> String {
        self.send(&format!("AUTH {mechanism}"));
        loop {
            let line = self.line();
            let Some(challenge) =
                line.strip_prefix("+ ")
                    .or(if line == "+" { Some("") } else { None })
            else {
                return line;
            };
            let challenge = STANDARD.decode(challenge.trim()).unwrap();
            match sasl.step(&challenge) {
                Ok(response) => self.send(&STANDARD.encode(response.expose())),
                Err(_) => self.send("*"),
            }
        }
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// The client side of `mechanism` (PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256).
pub fn sasl(mechanism: &str, user: &str, password: &str) -> SaslClient {
    let password = password.to_owned();
    match mechanism {
        "PLAIN" => SaslClient::plain(None, user, password).unwrap(),
        "LOGIN" => SaslClient::login(user, password).unwrap(),
        "CRAM-MD5" => SaslClient::cram_md5(user, password).unwrap(),
        "SCRAM-SHA-256" => SaslClient::scram(ScramClientConfig::new(
            user,
            password,
            "fyko+d2lbbFgONRv9qkxdawL",
        ))
        .unwrap(),
        other => panic!("no mechanism {other}"),
    }
}

/// SMTPS: connected, greeted and EHLO sent; returns the client and the EHLO reply.
pub fn smtps(port: u16, ca: &Path) -> (Client, String) {
    let mut c = Client::tls(port, ca);
    assert!(c.reply().starts_with("220 "));
    let ehlo = c.smtp("EHLO client.example");
    assert!(ehlo.starts_with("250"), "{ehlo}");
    (c, ehlo)
}

/// POP3S: connected and greeted.
pub fn pop3s(port: u16, ca: &Path) -> Client {
    let mut c = Client::tls(port, ca);
    let greeting = c.line();
    assert!(greeting.starts_with("+OK"), "{greeting}");
    c
}

/// How long `f` takes, and what it returns.
pub fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let out = f();
    (start.elapsed(), out)
}

/// The AUTH mechanisms in an EHLO reply.
pub fn ehlo_mechanisms(ehlo: &str) -> Vec<String> {
    ehlo.lines()
        .filter_map(|l| l.get(4..))
        .find_map(|l| l.strip_prefix("AUTH "))
        .map(|m| m.split(' ').map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The SASL mechanisms in a POP3 CAPA listing.
pub fn capa_mechanisms(client: &mut Client) -> Vec<String> {
    client.send("CAPA");
    assert!(client.line().starts_with("+OK"));
    client
        .pop3_multi()
        .iter()
        .find_map(|l| l.strip_prefix("SASL "))
        .map(|m| m.split(' ').map(str::to_owned).collect())
        .unwrap_or_default()
}
