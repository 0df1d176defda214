//! A generic tokio + rustls driver for any [`mail_sansio::Session`].
//!
//! It runs the run loop documented on the `Session` trait over one TCP connection: write what
//! the session wants written, hand its events to a [`Handler`], run the TLS handshake on the
//! same socket when [`Session::wants_tls`] turns true (STARTTLS, STLS), feed bytes, end of
//! stream and deadlines back in. Implicit TLS (ports 465 and 995) is a [`Conn`] that was made
//! with [`Conn::accept_tls`] or [`Conn::connect_tls`] before the session was built.
//!
//! ```no_run
//! # async fn f(tcp: tokio::net::TcpStream, acceptor: tokio_rustls::TlsAcceptor) {
//! use examples::driver::{self, Conn, Handler, TlsUpgrade};
//! use mail_sansio::Session;
//! use smtp_proto::{Server, ServerConfig, ServerEvent};
//!
//! struct AcceptAll;
//! impl Handler<Server> for AcceptAll {
//!     async fn on_event(&mut self, server: &mut Server, event: ServerEvent) {
//!         if let Some(token) = event.token() {
//!             let _ = server.accept(token);
//!         }
//!     }
//! }
//!
//! let now = std::time::Instant::now();
//! let mut server = Server::new(ServerConfig::strict("mx.example".try_into().unwrap()), now);
//! let upgrade = TlsUpgrade::Server(acceptor);
//! let result = driver::run(Conn::plain(tcp), &mut server, &mut AcceptAll, Some(&upgrade)).await;
//! # }
//! ```

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use mail_sansio::Session;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsConnector, TlsStream};

/// How many octets one read may take.
const READ_CHUNK: usize = 16 * 1024;

thread_local! {
    /// The buffer every read of this thread goes through. A connection waiting for input
    /// holds none of its own: with thousands of idle connections, a buffer each was most
    /// of their memory. The input is handed over (copied into the session) before the
    /// poll that read it returns, so one per thread is enough.
    static READ_BUF: RefCell<Box<[u8]>> = RefCell::new(vec![0; READ_CHUNK].into_boxed_slice());
}

/// How long a STARTTLS handshake may take by default: a peer that agrees to TLS and then goes
/// silent must not hold the connection forever (CVE-2011-1947 pattern). [`Runner`] sets
/// another (the clients' `--tls-timeout`, 10 s by default).
pub const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Polls `stream` for input through the thread's read buffer: when some came, `take` gets
/// it (an empty slice at end of stream) before this returns, so that a connection waiting
/// for input holds no read buffer of its own. For loops other than [`run`] (such as one
/// with its own transport layers).
pub fn poll_read_shared<T: AsyncRead + Unpin + ?Sized, R>(
    stream: &mut T,
    cx: &mut Context<'_>,
    take: impl FnOnce(&[u8]) -> R,
) -> Poll<io::Result<R>> {
    fn poll<T: AsyncRead + Unpin + ?Sized, R>(
        stream: &mut T,
        cx: &mut Context<'_>,
        buf: &mut [u8],
        take: impl FnOnce(&[u8]) -> R,
    ) -> Poll<io::Result<R>> {
        let mut read = ReadBuf::new(buf);
        match Pin::new(stream).poll_read(cx, &mut read) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(take(read.filled()))),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
    READ_BUF.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => poll(stream, cx, &mut buf, take),
        // Only a `take` that reads another connection gets here: a buffer of its own.
        Err(_) => poll(stream, cx, &mut vec![0; READ_CHUNK], take),
    })
}

/// Reads the next input of `stream` into `out` (appended) through the thread's read buffer
/// ([`poll_read_shared`]); `Ok(0)` at end of stream.
pub async fn read_shared<T: AsyncRead + Unpin + ?Sized>(
    stream: &mut T,
    out: &mut Vec<u8>,
) -> io::Result<usize> {
    std::future::poll_fn(|cx| {
        poll_read_shared(stream, cx, |bytes| {
            out.extend_from_slice(bytes);
            bytes.len()
        })
    })
    .await
}

/// What the application does with a session's events.
///
/// Implement it with `async fn on_event`. The handler may answer the event at once (for
/// example `Server::accept(token)`) or after awaiting something (a disk write, a lookup): the
/// driver waits for it before it reads more input, and sends whatever the answer queued.
pub trait Handler<S: Session> {
    /// One event from [`Session::poll_event`].
    fn on_event(&mut self, session: &mut S, event: S::Event) -> impl Future<Output = ()> + Send;
}

/// How to run the TLS handshake that STARTTLS or STLS asks for, on the same socket.
#[derive(Clone)]
pub enum TlsUpgrade {
    /// The server side of the handshake.
    Server(TlsAcceptor),
    /// The client side, checking the certificate against this name.
    Client(TlsConnector, ServerName<'static>),
}

impl std::fmt::Debug for TlsUpgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Server(_) => f.write_str("TlsUpgrade::Server"),
            Self::Client(_, name) => write!(f, "TlsUpgrade::Client({name:?})"),
        }
    }
}

/// A connection: plain TCP, or TLS over TCP.
#[derive(Debug)]
pub enum Conn {
    /// Plain TCP (before STARTTLS, or a plaintext-only session).
    Plain(TcpStream),
    /// TLS (implicit, or after STARTTLS).
    Tls(Box<TlsStream<TcpStream>>),
}

impl Conn {
    /// A plain connection.
    pub fn plain(tcp: TcpStream) -> Self {
        Self::Plain(tcp)
    }

    /// Implicit TLS, server side: runs the handshake before the first protocol byte.
    pub async fn accept_tls(tcp: TcpStream, acceptor: &TlsAcceptor) -> io::Result<Self> {
        let tls = acceptor.accept(tcp).await?;
        Ok(Self::Tls(Box::new(TlsStream::Server(tls))))
    }

    /// Implicit TLS, client side.
    pub async fn connect_tls(
        tcp: TcpStream,
        connector: &TlsConnector,
        name: ServerName<'static>,
    ) -> io::Result<Self> {
        let tls = connector.connect(name, tcp).await?;
        Ok(Self::Tls(Box::new(TlsStream::Client(tls))))
    }

    /// Whether TLS is up.
    pub fn is_tls(&self) -> bool {
        matches!(self, Self::Tls(_))
    }

    /// Polls for input. When some came, `take` gets it (an empty slice at end of stream)
    /// while it sits in the thread's read buffer, before this returns; the connection
    /// keeps no buffer of its own while it waits.
    pub fn poll_read_with<R>(
        &mut self,
        cx: &mut Context<'_>,
        take: impl FnOnce(&[u8]) -> R,
    ) -> Poll<io::Result<R>> {
        match self {
            Self::Plain(s) => poll_read_shared(s, cx, take),
            Self::Tls(s) => poll_read_shared(s.as_mut(), cx, take),
        }
    }

    /// Reads the next input into `out` (appended); `Ok(0)` at end of stream. Like
    /// [`Self::poll_read_with`], nothing of the connection's own is held while it waits.
    pub async fn read_into(&mut self, out: &mut Vec<u8>) -> io::Result<usize> {
        std::future::poll_fn(|cx| {
            self.poll_read_with(cx, |bytes| {
                out.extend_from_slice(bytes);
                bytes.len()
            })
        })
        .await
    }

    async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Self::Plain(s) => s.write_all(bytes).await,
            Self::Tls(s) => {
                s.write_all(bytes).await?;
                s.flush().await
            }
        }
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(s) => s.shutdown().await,
            Self::Tls(s) => s.shutdown().await,
        }
    }

    /// Runs the handshake over the plain socket, for at most `timeout`.
    async fn upgrade<E>(
        self,
        how: &TlsUpgrade,
        timeout: std::time::Duration,
    ) -> Result<Self, DriverError<E>> {
        let Self::Plain(tcp) = self else {
            return Err(DriverError::TlsTwice);
        };
        let handshake = async {
            io::Result::Ok(match how {
                TlsUpgrade::Server(acceptor) => TlsStream::Server(acceptor.accept(tcp).await?),
                TlsUpgrade::Client(connector, name) => {
                    TlsStream::Client(connector.connect(name.clone(), tcp).await?)
                }
            })
        };
        let tls = tokio::time::timeout(timeout, handshake)
            .await
            .map_err(|_| DriverError::HandshakeTimeout(timeout))??;
        Ok(Self::Tls(Box::new(tls)))
    }
}

/// Why a connection ended other than by the session closing normally.
#[derive(Debug)]
pub enum DriverError<E = std::convert::Infallible> {
    /// Socket or TLS handshake error.
    Io(io::Error),
    /// The session asked for TLS but the driver was given no way to run a handshake.
    NoTls,
    /// The session asked for TLS on a connection that already has it.
    TlsTwice,
    /// The peer closed the connection while the session still expected input.
    Eof,
    /// The session reported a fatal protocol error (its goodbye was sent).
    Session(E),
    /// The session waits for a decision that the handler did not give.
    Stalled,
    /// The TLS handshake that STARTTLS or STLS asked for did not finish in time (a peer that
    /// agreed to TLS and then said nothing).
    HandshakeTimeout(std::time::Duration),
}

impl<E: std::fmt::Display> std::fmt::Display for DriverError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(e) => write!(f, "i/o: {e}"),
            Self::NoTls => f.write_str("tls requested but not configured"),
            Self::TlsTwice => f.write_str("tls requested twice"),
            Self::Eof => f.write_str("connection closed by peer"),
            Self::Session(e) => write!(f, "protocol: {e}"),
            Self::Stalled => f.write_str("session waits for an answer the handler did not give"),
            Self::HandshakeTimeout(t) => {
                write!(f, "tls handshake timed out after {} s", t.as_secs_f64())
            }
        }
    }
}

impl<E: std::fmt::Debug + std::fmt::Display> std::error::Error for DriverError<E> {}

impl<E> From<io::Error> for DriverError<E> {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// Drives `session` over `conn` until it closes, fails, or the peer goes away.
///
/// `Ok(())` when the session ended normally (it closed after QUIT or its goodbye); an error
/// when the socket failed, the peer left early or the session failed (its goodbye, such as
/// `421`, was sent first). The STARTTLS handshake may take [`HANDSHAKE_TIMEOUT`]; a
/// [`Runner`] sets another and keeps the peer's first bytes.
pub async fn run<S, H>(
    conn: Conn,
    session: &mut S,
    handler: &mut H,
    upgrade: Option<&TlsUpgrade>,
) -> Result<(), DriverError<S::Error>>
where
    S: Session + Send,
    S::Error: Send,
    H: Handler<S> + Send,
{
    Runner::default().run(conn, session, handler, upgrade).await
}

/// [`run`] with options: the STARTTLS handshake timeout, and the first bytes the peer sent
/// kept for error messages (a client that got no valid greeting can show what came instead).
#[derive(Debug, Clone)]
pub struct Runner {
    /// How long the STARTTLS handshake may take.
    pub handshake_timeout: std::time::Duration,
    /// How many of the peer's first octets to keep (0: none).
    pub keep_first: usize,
    first: Vec<u8>,
}

impl Default for Runner {
    fn default() -> Self {
        Self {
            handshake_timeout: HANDSHAKE_TIMEOUT,
            keep_first: 0,
            first: Vec::new(),
        }
    }
}

impl Runner {
    /// A runner with this STARTTLS handshake timeout that keeps up to `keep_first` of the
    /// peer's first octets.
    pub fn new(handshake_timeout: std::time::Duration, keep_first: usize) -> Self {
        Self {
            handshake_timeout,
            keep_first,
            first: Vec::new(),
        }
    }

    /// The first octets the peer sent (up to [`keep_first`](Self::keep_first)).
    pub fn first_input(&self) -> &[u8] {
        &self.first
    }

    /// Drives `session` over `conn`, like [`run`].
    pub async fn run<S, H>(
        &mut self,
        conn: Conn,
        session: &mut S,
        handler: &mut H,
        upgrade: Option<&TlsUpgrade>,
    ) -> Result<(), DriverError<S::Error>>
    where
        S: Session + Send,
        S::Error: Send,
        H: Handler<S> + Send,
    {
        run_inner(self, conn, session, handler, upgrade).await
    }
}

async fn run_inner<S, H>(
    runner: &mut Runner,
    conn: Conn,
    session: &mut S,
    handler: &mut H,
    upgrade: Option<&TlsUpgrade>,
) -> Result<(), DriverError<S::Error>>
where
    S: Session + Send,
    S::Error: Send,
    H: Handler<S> + Send,
{
    let mut conn = Some(conn);
    let mut eof = false;
    loop {
        // Step 1: drain transmit, then events; an answer may queue more output.
        let failure = loop {
            while let Some(bytes) = session.poll_transmit() {
                if let Some(c) = conn.as_mut() {
                    c.write_all(&bytes).await?;
                }
            }
            match session.poll_event() {
                Ok(Some(event)) => handler.on_event(session, event).await,
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        // The goodbye of a fatal error was queued before the error came out.
        while let Some(bytes) = session.poll_transmit() {
            if let Some(c) = conn.as_mut() {
                c.write_all(&bytes).await?;
            }
        }
        if let Some(e) = failure {
            if let Some(c) = conn.as_mut() {
                let _ = c.shutdown().await;
            }
            return Err(DriverError::Session(e));
        }
        // Step 2: TLS on the same socket.
        if session.wants_tls() {
            let how = upgrade.ok_or(DriverError::NoTls)?;
            let plain = conn.take().ok_or(DriverError::TlsTwice)?;
            conn = Some(plain.upgrade(how, runner.handshake_timeout).await?);
            session.handle_tls_established(Instant::now());
            continue;
        }
        // Step 3: done.
        if session.is_closed() {
            if let Some(c) = conn.as_mut() {
                let _ = c.shutdown().await;
            }
            return Ok(());
        }
        // Step 4: wait for input or the deadline.
        if eof {
            return Err(DriverError::Eof);
        }
        let deadline = session.poll_timeout();
        let reading = session.wants_input();
        if !reading && deadline.is_none() {
            return Err(DriverError::Stalled);
        }
        let Some(c) = conn.as_mut() else {
            return Err(DriverError::TlsTwice);
        };
        let mut sleep = std::pin::pin!(async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        });
        // The deadline first (a peer that never stops sending does not outrun it), then
        // input, handed to the session from the thread's read buffer.
        let woke = std::future::poll_fn(|cx| {
            if sleep.as_mut().poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            if !reading {
                return Poll::Pending;
            }
            c.poll_read_with(cx, |bytes| {
                let now = Instant::now();
                if bytes.is_empty() {
                    session.handle_eof(now);
                    return true;
                }
                let room = runner.keep_first.saturating_sub(runner.first.len());
                let kept = bytes.get(..room.min(bytes.len())).unwrap_or_default();
                runner.first.extend_from_slice(kept);
                session.handle_input(now, bytes);
                false
            })
            .map(Some)
        })
        .await;
        match woke {
            Some(read) => eof = read?,
            None => session.handle_timeout(Instant::now()),
        }
    }
}
