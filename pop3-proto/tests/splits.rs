//! Part C 2: a recorded session fed to the client split at every byte offset (inside `+OK`,
//! between the CR and LF of the final `.`) gives the same events as the unsplit run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use mail_sansio::Session;
use pop3_proto::{Client, ClientConfig, ClientEvent, MessageNumber, Password, TlsMode, Username};

fn transcript() -> Vec<u8> {
    let mut wire =
        b"+OK ready\r\n+OK\r\nUSER\r\nPIPELINING\r\n..X-DOT\r\n.\r\n+OK\r\n+OK in\r\n".to_vec();
    wire.extend_from_slice(b"+OK 2 3000\r\n1 1000\r\n2 2000\r\n.\r\n+OK 3000 octets\r\n");
    for i in 0..40 {
        if i % 7 == 0 {
            wire.push(b'.');
        }
        wire.extend_from_slice(format!("..line {i:03} {}\r\n", "x".repeat(60)).as_bytes());
    }
    wire.extend_from_slice(b".\r\n+OK 2 3000\r\n+OK\r\n1 a\r\n2 b\r\n.\r\n+OK bye\r\n");
    wire
}

fn run(pieces: &[&[u8]]) -> (Vec<String>, Vec<u8>) {
    let now = mail_sansio::testing::FakeClock::start().now();
    let mut client = Client::new(ClientConfig::new(TlsMode::Implicit), now);
    let mut log: Vec<String> = Vec::new();
    let mut sent = Vec::new();
    for piece in pieces {
        client.handle_input(now, piece);
        loop {
            while let Some(b) = client.poll_transmit() {
                sent.extend_from_slice(&b);
            }
            match client.poll_event() {
                Ok(Some(ClientEvent::Data(b))) => match log.last_mut() {
                    Some(last) if last.starts_with("data:") => {
                        last.push_str(&String::from_utf8_lossy(&b))
                    }
                    _ => log.push(format!("data:{}", String::from_utf8_lossy(&b))),
                },
                Ok(Some(event)) => {
                    if event == ClientEvent::Ready {
                        client
                            .login(
                                &Username::try_from("u").unwrap(),
                                &Password::try_from("p").unwrap(),
                            )
                            .unwrap();
                    } else if event == ClientEvent::LoggedIn {
                        client.list(None).unwrap();
                        client.retr(MessageNumber::new(1).unwrap()).unwrap();
                        client.stat().unwrap();
                        client.uidl(None).unwrap();
                        client.quit().unwrap();
                    }
                    log.push(format!("{event:?}"));
                }
                Ok(None) => break,
                Err(e) => panic!("{e}"),
            }
        }
    }
    while let Some(b) = client.poll_transmit() {
        sent.extend_from_slice(&b);
    }
    assert!(client.is_closed());
    (log, sent)
}

#[test]
fn every_split_point_gives_the_same_events() {
    let wire = transcript();
    let whole = run(&[&wire]);
    assert!(
        whole
            .0
            .iter()
            .any(|e| e.starts_with("data:..line 000 ") && e.contains("\r\n.line 001 "))
    );
    assert!(whole.0.iter().any(|e| e.contains("X-DOT")));
    for k in 1..wire.len() {
        let (a, b) = wire.split_at(k);
        assert_eq!(run(&[a, b]), whole, "split at {k}");
    }
    let bytes: Vec<&[u8]> = wire.chunks(1).collect();
    assert_eq!(run(&bytes), whole);
}
