//! Our `Server` against a real client: Python's `poplib` over loopback (plaintext mode),
//! reading messages with dot-stuffed lines, TOP, UIDL, DELE and QUIT. Skips with a note when
//! `python3` is missing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(clippy::disallowed_methods)] // the driver reads the real clock

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

use mail_sansio::Session;
use pop3_proto::{
    Maildrop, ResponseCode, Server, ServerConfig, ServerEvent, Text, TlsMode, Uid, wire_size,
};

const MESSAGES: [&[u8]; 3] = [
    b"Subject: one\r\n\r\n.\r\n..two\r\n.three\r\nend\r\n",
    b"Subject: two\r\nX-A: b\r\n\r\nl1\r\nl2\r\nl3\r\n",
    b".Subject: dot first\r\n\r\nbody\r\n",
];

const SCRIPT: &str = r#"
import poplib, sys, json
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=20)
out = {"welcome": p.getwelcome().decode()}
out["capa"] = sorted(p.capa().keys())
try:
    p.user("test"); p.pass_("wrong")
except poplib.error_proto as e:
    out["bad_login"] = e.args[0].decode()
p.user("test"); p.pass_("secret")
out["stat"] = list(p.stat())
out["list"] = [l.decode() for l in p.list()[1]]
out["uidl"] = [l.decode() for l in p.uidl()[1]]
out["retr"] = [b"\r\n".join(p.retr(i)[1]).decode() for i in (1, 2, 3)]
out["top"] = b"\r\n".join(p.top(2, 1)[1]).decode()
p.dele(1)
out["quit"] = p.quit().decode()
print(json.dumps(out))
"#;

#[test]
fn python_poplib_against_our_server() {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("skipping poplib interop: python3 not found");
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server_thread = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut config = ServerConfig::new(TlsMode::DangerousPlaintext);
        config.greeting = Text::try_from("test server ready").unwrap();
        let mut server = Server::new(config, Instant::now());
        let mut committed = None;
        loop {
            while let Some(bytes) = server.poll_transmit() {
                sock.write_all(&bytes).unwrap();
            }
            match server.poll_event() {
                Ok(Some(ServerEvent::Login { password, .. })) => {
                    if password.expose() == "secret" {
                        let mut m = Maildrop::new();
                        for (i, msg) in MESSAGES.iter().enumerate() {
                            m.push(wire_size(msg), Uid::try_from(format!("uid{i}")).unwrap())
                                .unwrap();
                        }
                        server.accept_login(m).unwrap();
                    } else {
                        let text = Text::try_from("invalid credentials").unwrap();
                        server.reject_login(Some(ResponseCode::Auth), text).unwrap();
                    }
                    continue;
                }
                Ok(Some(ServerEvent::Retrieve { message, .. })) => {
                    server
                        .send_data(MESSAGES[message.get() as usize - 1])
                        .unwrap();
                    server.finish_data().unwrap();
                    continue;
                }
                Ok(Some(ServerEvent::Commit { deleted })) => {
                    committed = Some(deleted.iter().map(|(n, _)| n.get()).collect::<Vec<_>>());
                    server.commit_result(Ok(())).unwrap();
                    continue;
                }
                Ok(Some(other)) => panic!("unexpected {other:?}"),
                Ok(None) => {}
                Err(e) => panic!("server error: {e}"),
            }
            while let Some(bytes) = server.poll_transmit() {
                sock.write_all(&bytes).unwrap();
            }
            if server.is_closed() {
                return committed;
            }
            let mut buf = [0u8; 4096];
            let n = sock.read(&mut buf).unwrap();
            if n == 0 {
                server.handle_eof(Instant::now());
            } else {
                server.handle_input(Instant::now(), &buf[..n]);
            }
        }
    });
    let output = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(port.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "poplib failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let committed = server_thread.join().unwrap();
    assert_eq!(committed, Some(vec![1]));

    // Light JSON checks without a JSON dependency.
    let expect = |s: &str| assert!(stdout.contains(s), "missing {s:?} in {stdout}");
    expect(r#""welcome": "+OK test server ready""#);
    expect(
        r#""capa": ["AUTH-RESP-CODE", "PIPELINING", "RESP-CODES", "SASL", "TOP", "UIDL", "USER"]"#,
    );
    expect(r#""bad_login": "-ERR [AUTH] invalid credentials""#);
    expect(r#""stat": [3, 104]"#);
    expect(r#""list": ["1 39", "2 36", "3 29"]"#);
    expect(r#""uidl": ["1 uid0", "2 uid1", "3 uid2"]"#);
    // poplib unstuffs; the lines come back as stored.
    expect(r#""Subject: one\r\n\r\n.\r\n..two\r\n.three\r\nend""#);
    expect(r#"".Subject: dot first\r\n\r\nbody""#);
    expect(r#""top": "Subject: two\r\nX-A: b\r\n\r\nl1""#);
    expect(r#""quit": "+OK logging out, messages deleted""#);
}
