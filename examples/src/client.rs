//! Connecting an example client, and saying why a session failed.
//!
//! [`connect`] opens the TCP connection and then either runs the TLS handshake at once
//! (implicit TLS, within `--tls-timeout`) or waits for the first byte of the plaintext
//! greeting (within `--greeting-timeout`): when nothing comes, the likely reason is a port
//! that expects TLS, and the error says `--tls implicit`. [`driver_failure`] turns what the
//! driver reports into a [`Failure`] with an exit code and a message that quotes the peer only
//! through [`crate::display`].

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::cli::{Exit, Failure};
use crate::display::safe;
use crate::driver::{Conn, DriverError};

/// How long the TCP connection may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// The default `--tls-timeout`: how long a TLS handshake may take (implicit or after the
/// STARTTLS go-ahead).
pub const TLS_TIMEOUT: Duration = Duration::from_secs(10);

/// The default `--greeting-timeout`: how long to wait for the first byte of a plaintext
/// greeting before suggesting `--tls implicit`.
pub const GREETING_TIMEOUT: Duration = Duration::from_secs(10);

/// How to reach a server.
#[derive(Clone)]
pub struct Connect<'a> {
    /// The host as given (for messages).
    pub host: &'a str,
    /// The address to connect to.
    pub addr: SocketAddr,
    /// TLS before the first protocol byte (ports 465, 995, ...).
    pub implicit_tls: bool,
    /// The TLS client configuration.
    pub connector: &'a TlsConnector,
    /// The name to check the certificate against.
    pub name: ServerName<'static>,
    /// `--tls-timeout`.
    pub tls_timeout: Duration,
    /// `--greeting-timeout`.
    pub greeting_timeout: Duration,
    /// `--ca FILE`, for certificate error messages.
    pub ca: Option<&'a Path>,
}

impl std::fmt::Debug for Connect<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connect")
            .field("host", &self.host)
            .field("addr", &self.addr)
            .field("implicit_tls", &self.implicit_tls)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

/// Resolves `host` to the first of its addresses at `port`; a failed lookup, or one without an
/// address, is [`Exit::TempFail`].
pub async fn resolve(host: &str, port: u16) -> Result<SocketAddr, Failure> {
    match tokio::net::lookup_host((host, port)).await {
        Ok(mut addrs) => addrs
            .next()
            .ok_or_else(|| Failure::new(Exit::TempFail, format!("{}: no address", safe(host)))),
        Err(e) => Err(Failure::new(Exit::TempFail, format!("{}: {e}", safe(host)))),
    }
}

/// The TLS client set-up for `host`: the connector for `--ca FILE` / `--insecure` (a `--ca`
/// that cannot be read is [`Exit::NoInput`]) and the name to check the certificate against (a
/// host that is no DNS name or IP address is [`Exit::Usage`]).
pub fn tls_for_host(
    host: &str,
    ca: Option<&Path>,
    insecure: bool,
) -> Result<(TlsConnector, ServerName<'static>), Failure> {
    let connector = crate::tls::connector(ca, insecure)
        .map_err(|e| Failure::new(Exit::NoInput, format!("--ca: {e}")))?;
    let name = crate::tls::server_name(host)
        .map_err(|_| Failure::new(Exit::Usage, format!("bad host name {}", safe(host))))?;
    Ok((connector, name))
}

/// Connects: TCP, then the implicit TLS handshake or the wait for a plaintext greeting.
pub async fn connect(c: &Connect<'_>) -> Result<Conn, Failure> {
    let Connect { host, addr, .. } = *c;
    let tcp = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(e)) => {
            return Err(Failure::new(
                Exit::TempFail,
                format!("cannot connect to {host} ({addr}): {e}"),
            ));
        }
        Err(_) => {
            return Err(Failure::new(
                Exit::TempFail,
                format!(
                    "cannot connect to {host} ({addr}): no answer within {}",
                    secs(CONNECT_TIMEOUT)
                ),
            ));
        }
    };
    if c.implicit_tls {
        let handshake = Conn::connect_tls(tcp, c.connector, c.name.clone());
        return match tokio::time::timeout(c.tls_timeout, handshake).await {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(e)) => Err(crate::tls::explain_handshake(&e, host, c.ca)),
            Err(_) => Err(Failure::new(
                Exit::TempFail,
                format!(
                    "no TLS handshake with {host} port {} within {}\nif the port expects \
                     STARTTLS, use --tls required; --tls-timeout SECONDS waits longer",
                    addr.port(),
                    secs(c.tls_timeout)
                ),
            )),
        };
    }
    let mut byte = [0u8; 1];
    match tokio::time::timeout(c.greeting_timeout, tcp.peek(&mut byte)).await {
        Ok(Ok(0)) => Err(Failure::new(
            Exit::TempFail,
            format!("{host} closed the connection before its greeting"),
        )),
        Ok(Ok(_)) => Ok(Conn::plain(tcp)),
        Ok(Err(e)) => Err(Failure::new(
            Exit::TempFail,
            format!("connection with {host}: {e}"),
        )),
        Err(_) => Err(Failure::new(
            Exit::TempFail,
            format!(
                "no greeting from {host} port {} within {}\nif the port expects TLS at once, \
                 use --tls implicit (--greeting-timeout SECONDS waits longer)",
                addr.port(),
                secs(c.greeting_timeout)
            ),
        )),
    }
}

/// What to report when the driver ended with `e`; `session` explains the protocol errors.
pub fn driver_failure<E>(
    e: DriverError<E>,
    host: &str,
    ca: Option<&Path>,
    session: impl FnOnce(E) -> Failure,
) -> Failure {
    match e {
        DriverError::Io(e) => io_failure(&e, host, ca),
        DriverError::HandshakeTimeout(t) => Failure::new(
            Exit::TempFail,
            format!(
                "{host} agreed to start TLS, but no TLS handshake came within {}\n\
                 --tls-timeout SECONDS waits longer",
                secs(t)
            ),
        ),
        DriverError::Eof => Failure::new(Exit::TempFail, format!("{host} closed the connection")),
        DriverError::Session(e) => session(e),
        other @ (DriverError::NoTls | DriverError::TlsTwice | DriverError::Stalled) => {
            Failure::new(
                Exit::Protocol,
                format!("session with {host} failed: {}", safe(&other_text(&other))),
            )
        }
    }
}

fn other_text<E>(e: &DriverError<E>) -> String {
    match e {
        DriverError::NoTls => "tls requested but not configured",
        DriverError::TlsTwice => "tls requested twice",
        _ => "the session stalled",
    }
    .to_owned()
}

/// An I/O error on the connection: a TLS failure is explained, anything else is temporary.
pub fn io_failure(e: &io::Error, host: &str, ca: Option<&Path>) -> Failure {
    let is_tls = e
        .get_ref()
        .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some());
    if is_tls {
        return crate::tls::explain_handshake(e, host, ca);
    }
    Failure::new(
        Exit::TempFail,
        format!("connection with {host}: {}", safe(&e.to_string())),
    )
}
