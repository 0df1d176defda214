//! `smtp-send`, `pop3-client` and `mx-lookup` against hostile or odd servers over real TCP:
//! escape sequences in greetings and replies, a greeting in another protocol, a STARTTLS
//! go-ahead followed by silence, a TLS port without `--tls implicit`, certificates that are
//! self-signed, from an unknown CA, expired or for another name, `--tls dangerous-plaintext`,
//! `--help`, streams and exit codes. The servers are small tokio scripts on 127.0.0.1; the
//! clients are the built binaries.

use std::io::Read;
use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio_rustls::TlsAcceptor;

const SMTP_SEND: &str = env!("CARGO_BIN_EXE_smtp-send");
const POP3_CLIENT: &str = env!("CARGO_BIN_EXE_pop3-client");
const MX_LOOKUP: &str = env!("CARGO_BIN_EXE_mx-lookup");

// ---------------------------------------------------------------------------------------
// Scripted servers.

/// What a scripted server does with one line from the client.
enum Act {
    /// Send these bytes.
    Say(&'static [u8]),
    /// Send these bytes, then read the message body up to `.` and send the second ones.
    Body(&'static [u8], &'static [u8]),
    /// Send these bytes and never say anything again (keep the connection open).
    SayAndHang(&'static [u8]),
    /// Close the connection.
    Close,
}

type Responder = fn(&str) -> Act;

/// A server on 127.0.0.1 that greets with `greeting` and answers each line with `respond`;
/// over TLS from the first byte when `tls` is given. The lines it received are kept.
struct Scripted {
    port: u16,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Scripted {
    fn start(greeting: &'static [u8], respond: Responder, tls: Option<TlsAcceptor>) -> Self {
        let listener = StdListener::bind("127.0.0.1:0").unwrap();
        Self::start_on(listener, greeting, respond, tls)
    }

    fn start_on(
        listener: StdListener,
        greeting: &'static [u8],
        respond: Responder,
        tls: Option<TlsAcceptor>,
    ) -> Self {
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let seen = lines.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                loop {
                    let Ok((tcp, _)) = listener.accept().await else {
                        continue;
                    };
                    let seen = seen.clone();
                    let tls = tls.clone();
                    tokio::spawn(async move {
                        match tls {
                            Some(acceptor) => {
                                if let Ok(stream) = acceptor.accept(tcp).await {
                                    converse(stream, greeting, respond, seen).await;
                                }
                            }
                            None => converse(tcp, greeting, respond, seen).await,
                        }
                    });
                }
            });
        });
        Self { port, lines }
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    greeting: &'static [u8],
    respond: Responder,
    seen: Arc<Mutex<Vec<String>>>,
) {
    let mut stream = BufReader::new(stream);
    if !greeting.is_empty() && stream.get_mut().write_all(greeting).await.is_err() {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        match stream.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let text = line.trim_end().to_owned();
        seen.lock().unwrap().push(text.clone());
        let out = stream.get_mut();
        match respond(&text) {
            Act::Say(bytes) => {
                if out.write_all(bytes).await.is_err() {
                    return;
                }
            }
            Act::Body(first, then) => {
                let _ = out.write_all(first).await;
                loop {
                    line.clear();
                    match stream.read_line(&mut line).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) if line == ".\r\n" => break,
                        Ok(_) => {}
                    }
                }
                let _ = stream.get_mut().write_all(then).await;
            }
            Act::SayAndHang(bytes) => {
                let _ = out.write_all(bytes).await;
                tokio::time::sleep(Duration::from_secs(600)).await;
                return;
            }
            Act::Close => return,
        }
    }
}

/// An SMTP server that takes everything (no STARTTLS, AUTH PLAIN offered).
fn smtp_ok(line: &str) -> Act {
    let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
    match verb.as_str() {
        "EHLO" => Act::Say(b"250-mx.test\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n"),
        "AUTH" => Act::Say(b"235 2.7.0 ok\r\n"),
        "DATA" => Act::Body(b"354 go on\r\n", b"250 2.0.0 queued as 1\r\n"),
        "QUIT" => Act::Say(b"221 bye\r\n"),
        _ => Act::Say(b"250 ok\r\n"),
    }
}

/// A POP3 server with one message that takes any login.
fn pop3_ok(line: &str) -> Act {
    let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
    match verb.as_str() {
        "CAPA" => Act::Say(b"+OK\r\nUSER\r\nUIDL\r\n.\r\n"),
        "STAT" => Act::Say(b"+OK 1 120\r\n"),
        "QUIT" => Act::Say(b"+OK bye\r\n"),
        _ => Act::Say(b"+OK\r\n"),
    }
}

// ---------------------------------------------------------------------------------------
// Certificates.

fn temp_dir() -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "clients-hostile-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A certificate and key as PEM files, with an acceptor for them.
struct Cert {
    pem: PathBuf,
    acceptor: TlsAcceptor,
}

impl Drop for Cert {
    fn drop(&mut self) {
        if let Some(dir) = self.pem.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn write_cert(cert: &rcgen::Certificate, key: &rcgen::KeyPair) -> Cert {
    let dir = temp_dir();
    let pem = dir.join("cert.pem");
    let key_file = dir.join("key.pem");
    std::fs::write(&pem, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    let acceptor = examples::tls::acceptor(&pem, &key_file).unwrap();
    Cert { pem, acceptor }
}

fn self_signed(names: &[&str]) -> Cert {
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    write_cert(&params.self_signed(&key).unwrap(), &key)
}

fn expired(names: &[&str]) -> Cert {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    params.not_before = rcgen::date_time_ymd(2000, 1, 1);
    params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    write_cert(&params.self_signed(&key).unwrap(), &key)
}

/// A leaf certificate for `names` issued by a fresh CA; returns the leaf and the CA's PEM.
fn ca_issued(names: &[&str]) -> (Cert, PathBuf) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Hostile Test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap()
            .signed_by(&key, &ca, &ca_key)
            .unwrap();
    let cert = write_cert(&leaf, &key);
    let ca_pem = cert.pem.with_file_name("ca.pem");
    std::fs::write(&ca_pem, ca.pem()).unwrap();
    (cert, ca_pem)
}

// ---------------------------------------------------------------------------------------
// Running the clients.

struct Run {
    out: Output,
    took: Duration,
}

impl Run {
    fn code(&self) -> Option<i32> {
        self.out.status.code()
    }
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    fn all(&self) -> String {
        format!(
            "status {:?} after {:?}\nstdout:\n{}\nstderr:\n{}",
            self.out.status,
            self.took,
            self.stdout(),
            self.stderr()
        )
    }

    /// Nothing the terminal would interpret: no C0 but LF, no DEL, no C1, no direction
    /// overrides, and valid UTF-8.
    fn assert_clean(&self) {
        for (name, bytes) in [("stdout", &self.out.stdout), ("stderr", &self.out.stderr)] {
            let text = std::str::from_utf8(bytes)
                .unwrap_or_else(|_| panic!("{name} is not UTF-8: {}", self.all()));
            let bad = text.chars().find(|&c| {
                (c.is_control() && c != '\n')
                    || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
            });
            assert!(
                bad.is_none(),
                "{name} holds control character {bad:?}: {}",
                self.all()
            );
        }
    }
}

/// Runs `program` with `args` (stdin from `input`), killed after `limit`.
fn run(program: &str, args: &[&str], input: &[u8], limit: Duration) -> Run {
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .env("SMTP_PASSWORD", "hunter2")
        .env("POP3_PASSWORD", "hunter2")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        let _ = stdin.write_all(input);
    }
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let err_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stderr.read_to_end(&mut v);
        v
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = started.elapsed();
    let run = Run {
        out: Output {
            status,
            stdout: out_thread.join().unwrap(),
            stderr: err_thread.join().unwrap(),
        },
        took,
    };
    // `SHOW_CLIENT_OUTPUT=1 cargo test ... -- --nocapture` shows what the clients said.
    if std::env::var_os("SHOW_CLIENT_OUTPUT").is_some() {
        eprintln!(
            "--- {} {}\n{}",
            program.rsplit('/').next().unwrap_or(program),
            args.join(" "),
            run.all()
        );
    }
    run
}

const MESSAGE: &[u8] = b"From: a@example.test\r\nSubject: hi\r\n\r\nhello\r\n";

fn smtp_send(server: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "--server",
        server,
        "--from",
        "a@example.test",
        "--to",
        "b@example.test",
    ];
    args.extend(extra);
    run(SMTP_SEND, &args, MESSAGE, Duration::from_secs(40))
}

fn pop3_client(server: &str, extra: &[&str]) -> Run {
    let mut args = vec!["--server", server, "--user", "bob"];
    args.extend(extra);
    run(POP3_CLIENT, &args, b"", Duration::from_secs(40))
}

fn local(port: u16) -> String {
    format!("127.0.0.1:{port}")
}

// ---------------------------------------------------------------------------------------
// The tests.

#[test]
fn help_goes_to_stdout_with_exit_zero_and_documents_the_exit_codes() {
    for program in [SMTP_SEND, POP3_CLIENT, MX_LOOKUP] {
        let r = run(program, &["--help"], b"", Duration::from_secs(10));
        assert_eq!(r.code(), Some(0), "{program}: {}", r.all());
        assert!(r.stderr().is_empty(), "{program}: {}", r.all());
        for code in ["64", "69", "75", "76", "77", "78"] {
            assert!(
                r.stdout().contains(&format!("  {code}  ")),
                "{program} --help does not document exit {code}: {}",
                r.all()
            );
        }
        let r = run(program, &["--no-such-flag"], b"", Duration::from_secs(10));
        assert_eq!(r.code(), Some(64), "{program}: {}", r.all());
        assert!(r.stdout().is_empty(), "{program}: {}", r.all());
        assert!(r.stderr().contains("usage:"), "{program}: {}", r.all());
    }
}

#[test]
fn errors_go_to_stderr_and_the_report_to_stdout() {
    // Nothing listens there.
    let port = StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = smtp_send(&local(port), &[]);
    assert_eq!(r.code(), Some(75), "{}", r.all());
    assert_eq!(r.stdout(), "<b@example.test>: not sent\n", "{}", r.all());
    assert!(r.stderr().contains("cannot connect"), "{}", r.all());
    let r = pop3_client(&local(port), &["stat"]);
    assert_eq!(r.code(), Some(75), "{}", r.all());
    assert!(r.stdout().is_empty(), "{}", r.all());
    assert!(r.stderr().contains("cannot connect"), "{}", r.all());
}

#[test]
fn escape_sequences_from_the_peer_are_escaped() {
    // Greeting, EHLO and RCPT replies full of escape sequences, C1 controls and an RTL override.
    fn respond(line: &str) -> Act {
        let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => Act::Say(b"250-mx.test \x1b]0;pwned\x07\r\n250 8BITMIME\r\n"),
            "RCPT" => {
                Act::Say("550 5.1.1 \x1b[2J\u{9b}31m no such user \u{202e}resu\x7f\r\n".as_bytes())
            }
            "QUIT" => Act::Say(b"221 \x1b[0m bye\r\n"),
            _ => Act::Say(b"250 ok\r\n"),
        }
    }
    let server = Scripted::start(b"220 mx.test \x1b[31;1;4mready\x1b[0m\r\n", respond, None);
    let r = smtp_send(&local(server.port), &["--tls", "dangerous-plaintext"]);
    r.assert_clean();
    assert_eq!(r.code(), Some(69), "{}", r.all());
    assert!(
        r.stdout()
            .contains("<b@example.test>: refused (550 5.1.1 \\x1b[2J\\x9b31m no such user"),
        "{}",
        r.all()
    );
    assert!(r.stdout().contains("\\u{202e}resu\\x7f"), "{}", r.all());

    // A greeting that refuses the session: its text goes to stderr, escaped.
    let server = Scripted::start(b"554 \x1b[31;1;4mgo away\x1b[0m\r\n", smtp_ok, None);
    let r = smtp_send(&local(server.port), &[]);
    r.assert_clean();
    assert_eq!(r.code(), Some(69), "{}", r.all());
    assert!(r.stderr().contains("\\x1b[31;1;4mgo away"), "{}", r.all());

    // POP3: a refusing greeting, then a USER refusal with a title-setting sequence.
    let server = Scripted::start(b"-ERR \x1b[31;1;4mgo away\x1b[0m\r\n", pop3_ok, None);
    let r = pop3_client(&local(server.port), &["stat"]);
    r.assert_clean();
    assert_eq!(r.code(), Some(69), "{}", r.all());
    assert!(r.stderr().contains("\\x1b[31;1;4mgo away"), "{}", r.all());

    fn pop3_refuse(line: &str) -> Act {
        match line.split(' ').next().unwrap_or("") {
            "CAPA" => Act::Say(b"+OK\r\nUSER\x1b[5m\r\n.\r\n"),
            "USER" => Act::Say(b"-ERR [AUTH] \x1b]0;owned\x07 who?\r\n"),
            "QUIT" => Act::Say(b"+OK\r\n"),
            _ => Act::Say(b"-ERR\r\n"),
        }
    }
    let server = Scripted::start(b"+OK \x1b[31mPOP3 ready\r\n", pop3_refuse, None);
    let r = pop3_client(
        &local(server.port),
        &[
            "--tls",
            "dangerous-plaintext",
            "--dangerous-plaintext-auth",
            "stat",
        ],
    );
    r.assert_clean();
    assert_eq!(r.code(), Some(77), "{}", r.all());
    assert!(
        r.stderr().contains("\\x1b]0;owned\\x07 who?"),
        "{}",
        r.all()
    );
}

#[test]
fn a_greeting_in_another_protocol_is_named_not_parsed() {
    let server = Scripted::start(b"+Do you even care?\r\n", smtp_ok, None);
    let r = smtp_send(&local(server.port), &[]);
    r.assert_clean();
    assert_eq!(r.code(), Some(76), "{}", r.all());
    assert!(
        r.stderr()
            .contains("greeting is not an SMTP greeting: \"+Do you even care?\""),
        "{}",
        r.all()
    );
    assert!(!r.all().contains("offset"), "{}", r.all());
    assert_eq!(r.stdout(), "<b@example.test>: not sent\n", "{}", r.all());

    let r = pop3_client(&local(server.port), &["stat"]);
    r.assert_clean();
    assert_eq!(r.code(), Some(76), "{}", r.all());
    assert!(
        r.stderr()
            .contains("greeting is not a POP3 greeting: \"+Do you even care?\""),
        "{}",
        r.all()
    );
    assert!(!r.all().contains("challenge"), "{}", r.all());

    // An IMAP greeting with an escape sequence in it, to both.
    let server = Scripted::start(b"* OK \x1b[5mIMAP4rev1 ready\r\n", smtp_ok, None);
    let r = pop3_client(&local(server.port), &["stat"]);
    r.assert_clean();
    assert_eq!(r.code(), Some(76), "{}", r.all());
    assert!(
        r.stderr().contains("\"* OK \\x1b[5mIMAP4rev1 ready\""),
        "{}",
        r.all()
    );
    let r = smtp_send(&local(server.port), &[]);
    r.assert_clean();
    assert_eq!(r.code(), Some(76), "{}", r.all());
    assert!(r.stderr().contains("not an SMTP greeting"), "{}", r.all());
}

#[test]
fn a_fake_starttls_go_ahead_is_given_up_on_quickly() {
    fn smtp(line: &str) -> Act {
        match line {
            l if l.starts_with("EHLO") => Act::Say(b"250-mx.test\r\n250 STARTTLS\r\n"),
            "STARTTLS" => Act::SayAndHang(b"220 2.0.0 go ahead\r\n"),
            _ => Act::Close,
        }
    }
    fn pop3(line: &str) -> Act {
        match line {
            "CAPA" => Act::Say(b"+OK\r\nSTLS\r\nUSER\r\n.\r\n"),
            "STLS" => Act::SayAndHang(b"+OK go ahead\r\n"),
            _ => Act::Close,
        }
    }
    let smtp_server = Scripted::start(b"220 mx.test ESMTP\r\n", smtp, None);
    let pop3_server = Scripted::start(b"+OK ready\r\n", pop3, None);

    let r = smtp_send(&local(smtp_server.port), &["--tls-timeout", "1"]);
    assert_eq!(r.code(), Some(75), "{}", r.all());
    assert!(r.took < Duration::from_secs(8), "{}", r.all());
    assert!(r.stderr().contains("no TLS handshake came"), "{}", r.all());
    assert!(r.stderr().contains("--tls-timeout"), "{}", r.all());
    r.assert_clean();

    let r = pop3_client(&local(pop3_server.port), &["--tls-timeout", "1", "stat"]);
    assert_eq!(r.code(), Some(75), "{}", r.all());
    assert!(r.took < Duration::from_secs(8), "{}", r.all());
    assert!(r.stderr().contains("--tls-timeout"), "{}", r.all());
    r.assert_clean();

    // The default is well under the old 30 s.
    let r = smtp_send(&local(smtp_server.port), &[]);
    assert_eq!(r.code(), Some(75), "{}", r.all());
    assert!(r.took < Duration::from_secs(20), "{}", r.all());
}

#[test]
fn a_tls_port_without_tls_implicit() {
    // A random port that expects TLS at once: no greeting comes, and the error says what to do.
    let cert = self_signed(&["localhost"]);
    let server = Scripted::start(b"220 mx.test\r\n", smtp_ok, Some(cert.acceptor.clone()));
    let port = format!("localhost:{}", server.port);
    let ca = cert.pem.display().to_string();
    let r = smtp_send(&port, &["--ca", &ca, "--greeting-timeout", "1"]);
    assert_eq!(r.code(), Some(75), "{}", r.all());
    assert!(r.took < Duration::from_secs(8), "{}", r.all());
    assert!(r.stderr().contains("--tls implicit"), "{}", r.all());
    r.assert_clean();
    let r = pop3_client(&port, &["--ca", &ca, "--greeting-timeout", "1", "stat"]);
    assert_eq!(r.code(), Some(75), "{}", r.all());
    assert!(r.stderr().contains("--tls implicit"), "{}", r.all());

    // With --tls implicit it works.
    let r = smtp_send(&port, &["--ca", &ca, "--tls", "implicit"]);
    assert_eq!(r.code(), Some(0), "{}", r.all());
    assert!(
        r.stdout()
            .contains("<b@example.test>: sent (250 2.0.0 queued as 1)")
    );

    // On the usual implicit-TLS ports, no flag is needed (when the port is free here).
    for (port, smtp) in [(2465, true), (2995, false)] {
        let Ok(listener) = StdListener::bind(("127.0.0.1", port)) else {
            eprintln!("port {port} is taken: not checking the inference there");
            continue;
        };
        let server = if smtp {
            Scripted::start_on(
                listener,
                b"220 mx.test\r\n",
                smtp_ok,
                Some(cert.acceptor.clone()),
            )
        } else {
            Scripted::start_on(
                listener,
                b"+OK ready\r\n",
                pop3_ok,
                Some(cert.acceptor.clone()),
            )
        };
        let at = format!("localhost:{}", server.port);
        let r = if smtp {
            smtp_send(&at, &["--ca", &ca])
        } else {
            pop3_client(&at, &["--ca", &ca, "stat"])
        };
        assert_eq!(r.code(), Some(0), "port {port}: {}", r.all());
        assert!(r.took < Duration::from_secs(8), "{}", r.all());
    }
}

#[test]
fn certificate_errors_say_what_is_wrong_and_what_to_do() {
    fn implicit(cert: &Cert) -> String {
        let server = Scripted::start(b"220 mx.test\r\n", smtp_ok, Some(cert.acceptor.clone()));
        format!("localhost:{}", server.port)
    }
    let check = |r: &Run| {
        r.assert_clean();
        assert_eq!(r.code(), Some(78), "{}", r.all());
        assert!(!r.stderr().contains("i/o"), "{}", r.all());
        assert!(!r.stderr().contains("UnknownIssuer"), "{}", r.all());
    };

    // Self-signed, no --ca: say so, and point to --ca and --insecure.
    let cert = self_signed(&["localhost"]);
    let at = implicit(&cert);
    let r = smtp_send(&at, &["--tls", "implicit"]);
    check(&r);
    assert!(r.stderr().contains("self-signed"), "{}", r.all());
    assert!(r.stderr().contains("--ca FILE"), "{}", r.all());
    assert!(r.stderr().contains("--insecure"), "{}", r.all());
    let pop3_server = Scripted::start(b"+OK\r\n", pop3_ok, Some(cert.acceptor.clone()));
    let r = pop3_client(
        &format!("localhost:{}", pop3_server.port),
        &["--tls", "implicit", "stat"],
    );
    check(&r);
    assert!(r.stderr().contains("self-signed"), "{}", r.all());

    // Issued by a CA nobody trusts: not "self-signed".
    let (cert, ca_pem) = ca_issued(&["localhost"]);
    let at = implicit(&cert);
    let r = smtp_send(&at, &["--tls", "implicit"]);
    check(&r);
    assert!(!r.stderr().contains("self-signed"), "{}", r.all());
    assert!(
        r.stderr().contains("issued by a CA that is not"),
        "{}",
        r.all()
    );
    assert!(r.stderr().contains("--ca FILE"), "{}", r.all());
    let ca = ca_pem.display().to_string();
    let r = smtp_send(&at, &["--tls", "implicit", "--ca", &ca]);
    assert_eq!(r.code(), Some(0), "{}", r.all());

    // Expired: a human date, not UNIX seconds.
    let cert = expired(&["localhost"]);
    let at = implicit(&cert);
    let ca = cert.pem.display().to_string();
    let r = smtp_send(&at, &["--tls", "implicit", "--ca", &ca]);
    check(&r);
    assert!(
        r.stderr().contains("expired on 2001-01-01 00:00:00 UTC"),
        "{}",
        r.all()
    );
    assert!(!r.stderr().contains("978307200"), "{}", r.all());

    // For another name: say which names it holds.
    let cert = self_signed(&["other.test"]);
    let at = implicit(&cert);
    let ca = cert.pem.display().to_string();
    let r = smtp_send(&at, &["--tls", "implicit", "--ca", &ca]);
    check(&r);
    assert!(
        r.stderr().contains("not valid for the name \"localhost\""),
        "{}",
        r.all()
    );
    assert!(r.stderr().contains("it names other.test\n"), "{}", r.all());
}

#[test]
fn dangerous_plaintext_means_the_same_in_both_clients() {
    let smtp = Scripted::start(b"220 mx.test ESMTP\r\n", smtp_ok, None);
    let pop3 = Scripted::start(b"+OK ready\r\n", pop3_ok, None);
    let plain = ["--tls", "dangerous-plaintext"];

    // Without the second opt-in: no password leaves, exit 77 (permanent), one message.
    let r = smtp_send(
        &local(smtp.port),
        &[&plain[..], &["--user", "alice"]].concat(),
    );
    assert_eq!(r.code(), Some(77), "{}", r.all());
    assert!(
        r.stderr().contains("--dangerous-plaintext-auth"),
        "{}",
        r.all()
    );
    let smtp_refusal = r.stderr().replace("smtp-send: ", "");
    let r = pop3_client(&local(pop3.port), &[&plain[..], &["stat"]].concat());
    assert_eq!(r.code(), Some(77), "{}", r.all());
    assert_eq!(
        r.stderr().replace("pop3-client: ", ""),
        smtp_refusal,
        "{}",
        r.all()
    );
    let sent: Vec<String> = smtp.lines().into_iter().chain(pop3.lines()).collect();
    assert!(
        !sent
            .iter()
            .any(|l| l.starts_with("AUTH") || l.starts_with("USER") || l.starts_with("PASS")),
        "{sent:?}"
    );

    // With it: both log in over plaintext.
    let opt_in = [&plain[..], &["--dangerous-plaintext-auth"]].concat();
    let r = smtp_send(
        &local(smtp.port),
        &[&opt_in[..], &["--user", "alice"]].concat(),
    );
    assert_eq!(r.code(), Some(0), "{}", r.all());
    assert!(smtp.lines().iter().any(|l| l.starts_with("AUTH PLAIN")));
    let r = pop3_client(&local(pop3.port), &[&opt_in[..], &["stat"]].concat());
    assert_eq!(r.code(), Some(0), "{}", r.all());
    assert_eq!(r.stdout(), "1 messages, 120 octets\n", "{}", r.all());
    assert!(pop3.lines().iter().any(|l| l == "PASS hunter2"));
}

#[test]
fn mx_lookup_takes_dns_addr_without_a_port() {
    // The README's form: `--dns ADDR`. Nothing answers on 127.0.0.1:53 here (or something
    // does): either way it is not a usage error.
    let r = run(
        MX_LOOKUP,
        &["example.test", "--dns", "127.0.0.1"],
        b"",
        Duration::from_secs(60),
    );
    assert_ne!(r.code(), Some(64), "{}", r.all());
    assert!(!r.stderr().contains("usage"), "{}", r.all());
    r.assert_clean();
    for bad in ["dns.example", "127.0.0.1:x"] {
        let r = run(
            MX_LOOKUP,
            &["example.test", "--dns", bad],
            b"",
            Duration::from_secs(10),
        );
        assert_eq!(r.code(), Some(64), "{}", r.all());
        assert!(r.stderr().contains("ADDR[:PORT]"), "{}", r.all());
    }
}
