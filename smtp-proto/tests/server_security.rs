//! Adversarial server inputs (security-anchors §8 items 1, 2, 12–22) and chunking invariance.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use mail_sansio::Session;
use proptest::prelude::*;
use smtp_proto::types::Domain;
use smtp_proto::{Error, Reply, ReplyCode, Server, ServerConfig, ServerEvent, TlsMode};

struct Outcome {
    sent: String,
    events: Vec<String>,
    body: Vec<u8>,
    error: Option<Error>,
    closed: bool,
}

fn config() -> ServerConfig {
    let mut c = ServerConfig::strict(Domain::try_from("mx.example").unwrap());
    c.tls = TlsMode::Implicit;
    c
}

/// Feeds `chunks`, answering every decision positively, draining after each chunk.
fn drive(config: ServerConfig, chunks: &[&[u8]]) -> Outcome {
    let now = mail_sansio::testing::FakeClock::start().now();
    let mut s = Server::new(config, now);
    let mut o = Outcome {
        sent: String::new(),
        events: Vec::new(),
        body: Vec::new(),
        error: None,
        closed: false,
    };
    let pump = |s: &mut Server, o: &mut Outcome| loop {
        while let Some(b) = s.poll_transmit() {
            o.sent.push_str(&String::from_utf8_lossy(&b));
        }
        if o.error.is_some() {
            return;
        }
        match s.poll_event() {
            Ok(Some(ServerEvent::BodyChunk(b))) => o.body.extend_from_slice(&b),
            Ok(Some(e)) => {
                o.events.push(format!("{e:?}"));
                if let Some(token) = e.token() {
                    s.accept(token).unwrap();
                }
            }
            Ok(None) => {
                while let Some(b) = s.poll_transmit() {
                    o.sent.push_str(&String::from_utf8_lossy(&b));
                }
                return;
            }
            Err(e) => o.error = Some(e),
        }
    };
    pump(&mut s, &mut o);
    for c in chunks {
        s.handle_input(now, c);
        pump(&mut s, &mut o);
    }
    o.closed = s.is_closed();
    o
}

const ENVELOPE: &[u8] = b"EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n";

#[test]
fn item01_02_starttls_injection() {
    let mut c = config();
    c.tls = TlsMode::Opportunistic;
    for tail in [
        &b"RSET\r\n"[..],
        b"MAIL FROM:<a@evil.example>\r\nRCPT TO:<a@evil.example>\r\nDATA\r\n",
    ] {
        let input = [&b"EHLO c.example\r\nSTARTTLS\r\n"[..], tail].concat();
        let o = drive(c.clone(), &[&input]);
        assert!(
            o.sent.ends_with("220 2.0.0 Ready to start TLS\r\n"),
            "{}",
            o.sent
        );
        assert!(matches!(o.error, Some(Error::TlsInjection { bytes }) if bytes == tail.len()));
        assert!(o.closed);
        assert!(!o.events.iter().any(|e| e.starts_with("Mail")));
    }
}

#[test]
fn item12_smuggling_variants_never_end_data() {
    let variants: [&[u8]; 11] = [
        b"\n.\n",
        b"\n.\r\n",
        b"\r\n.\n",
        b"\r.\r",
        b"\r.\n",
        b"\n.\r",
        b"\r.\r\n",
        b"\r\n.\r",
        b"\r\n\x00.\r\n",
        b"\r\n.\x00\r\n",
        b"\r\n. \r\n",
    ];
    let smuggled =
        b"MAIL FROM:<x@y.example>\r\nRCPT TO:<z@w.example>\r\nDATA\r\nFrom: x\r\n\r\nspoof\r\n";
    for v in variants {
        for strict in [true, false] {
            let mut c = if strict {
                config()
            } else {
                ServerConfig::compatible(Domain::try_from("mx.example").unwrap())
            };
            c.tls = TlsMode::Implicit;
            let body = [
                &b"Subject: a\r\n\r\nbody"[..],
                v,
                smuggled,
                b"\r\n.\r\nQUIT\r\n",
            ]
            .concat();
            let o = drive(c, &[ENVELOPE, b"DATA\r\n", &body]);
            let mails = o.events.iter().filter(|e| e.starts_with("Mail")).count();
            assert_eq!(mails, 1, "variant {v:?} strict={strict}: {:?}", o.events);
            let done = o
                .events
                .iter()
                .filter(|e| e.starts_with("MessageComplete"))
                .count();
            let aborted = o
                .events
                .iter()
                .filter(|e| e.starts_with("MessageAborted"))
                .count();
            assert_eq!(
                done + aborted,
                1,
                "variant {v:?} strict={strict}: {:?}",
                o.events
            );
            let bare = v
                .windows(2)
                .any(|w| w != b"\r\n" && (w[0] == b'\r' || w[1] == b'\n'))
                || v.first() == Some(&b'\n')
                || v.last() == Some(&b'\r');
            if strict && bare {
                assert!(o.sent.contains("550 5.6.0"), "variant {v:?}: {}", o.sent);
            }
            assert!(
                o.sent.ends_with("221 2.0.0 Bye\r\n"),
                "variant {v:?}: {}",
                o.sent
            );
        }
    }
}

#[test]
fn item13_empty_body_and_unstuffing() {
    let o = drive(config(), &[ENVELOPE, b"DATA\r\n", b".\r\n"]);
    assert!(o.events.iter().any(|e| e.contains("size: 0")));
    let o = drive(config(), &[ENVELOPE, b"DATA\r\n", b"..x\r\n.\r\n"]);
    assert_eq!(o.body, b".x\r\n");
}

#[test]
fn item14_body_before_354_is_a_sync_error() {
    let o = drive(config(), &[&[ENVELOPE, b"DATA\r\nbody\r\n.\r\n"].concat()]);
    assert!(
        matches!(o.error, Some(Error::Synchronization { .. })),
        "{:?}",
        o.error
    );
    assert!(
        o.sent
            .ends_with("554 5.5.0 mx.example Error: SMTP protocol synchronization\r\n"),
        "{}",
        o.sent
    );
    assert!(!o.sent.contains("354"));
    assert!(o.closed);
}

#[test]
fn item15_huge_ehlo_line() {
    let line = [&b"EHLO "[..], &vec![b'a'; 100_000], b"\r\nNOOP\r\n"].concat();
    for chunks in [vec![&line[..]], line.chunks(4096).collect()] {
        let o = drive(config(), &chunks);
        assert!(
            o.sent
                .contains("500 5.5.6 Error: line too long\r\n250 2.0.0 OK\r\n"),
            "{}",
            o.sent
        );
    }
}

#[test]
fn item16_recipient_limit() {
    let mut input = ENVELOPE.to_vec();
    for _ in 0..1000 {
        input.extend_from_slice(b"RCPT TO:<u@x.example>\r\n");
    }
    let o = drive(config(), &[&input]);
    assert_eq!(
        o.events.iter().filter(|e| e.starts_with("Rcpt")).count(),
        1000
    );
    assert!(
        o.sent.ends_with("452 4.5.3 Error: too many recipients\r\n"),
        "{}",
        &o.sent[o.sent.len() - 100..]
    );
}

#[test]
fn item17_18_bad_parameters_and_paths() {
    for (cmd, code) in [
        (
            &b"RCPT TO:<a@b.example> ORCPT=rfc822;x+0D+0AX:y\r\n"[..],
            "501 5.5.4",
        ),
        (
            b"RCPT TO:<a@b.example> NOTIFY=NEVER,SUCCESS\r\n",
            "501 5.5.4",
        ),
        (b"RCPT TO:<;sleep 66;>\r\n", "501 5.1.3"),
        (b"RCPT TO:<a@b c>\r\n", "501 5.1.3"),
    ] {
        let o = drive(
            config(),
            &[b"EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n", cmd],
        );
        assert!(
            o.sent.ends_with(&format!("{code} Error")) || o.sent.contains(&format!("\r\n{code} ")),
            "{cmd:?}: {}",
            o.sent
        );
    }
    let long_local = format!("MAIL FROM:<{}@b.example>\r\n", "a".repeat(65));
    let long_domain = format!("MAIL FROM:<a@{}>\r\n", vec!["d".repeat(63); 5].join("."));
    for cmd in [
        &b"MAIL FROM:<a@b.example> SIZE=99999999999999999999\r\n"[..],
        long_local.as_bytes(),
        long_domain.as_bytes(),
    ] {
        let o = drive(config(), &[b"EHLO c.example\r\n", cmd]);
        assert!(
            o.sent.contains("\r\n501 5.1.7") || o.sent.contains("\r\n552 5.3.4"),
            "{}",
            o.sent
        );
        assert!(!o.events.iter().any(|e| e.starts_with("Mail")));
    }
}

#[test]
fn item19_auth_plain_abuse() {
    let big = format!("AUTH PLAIN {}\r\n", "A".repeat(20_000));
    let cases: [&[u8]; 6] = [
        b"AUTH PLAIN QQ\r\n",
        b"AUTH PLAIN QUJDR\r\n",
        b"AUTH PLAIN QQ==QQ==\r\n",
        b"AUTH PLAIN YQBiAGMAZA==\r\n", // a\0b\0c\0d: three NULs
        b"AUTH PLAIN AGEAYg\r\n",
        big.as_bytes(),
    ];
    for case in cases {
        let o = drive(config(), &[b"EHLO c.example\r\n", case, b"NOOP\r\n"]);
        assert!(!o.events.iter().any(|e| e.starts_with("Auth")), "{case:?}");
        assert!(o.sent.ends_with("250 2.0.0 OK\r\n"), "{}", o.sent);
        assert!(
            o.sent.contains("\r\n501 ")
                || o.sent.contains("\r\n535 ")
                || o.sent.contains("\r\n500 5.5.6"),
            "{}",
            o.sent
        );
    }
}

#[test]
fn item20_bdat_overflow_and_eof() {
    let o = drive(
        config(),
        &[ENVELOPE, b"BDAT 18446744073709551616 LAST\r\nNOOP\r\n"],
    );
    assert!(
        o.sent.contains("501 5.5.4") && o.sent.ends_with("250 2.0.0 OK\r\n"),
        "{}",
        o.sent
    );
    let now = mail_sansio::testing::FakeClock::start().now();
    let mut s = Server::new(config(), now);
    s.handle_input(now, ENVELOPE);
    while let Ok(Some(e)) = s.poll_event() {
        if let Some(token) = e.token() {
            s.accept(token).unwrap();
        }
    }
    s.handle_input(now, b"BDAT 10\r\n12345");
    assert!(matches!(
        s.poll_event(),
        Ok(Some(ServerEvent::BodyChunk(_)))
    ));
    assert_eq!(s.poll_event(), Ok(None));
    s.handle_eof(now);
    assert!(matches!(s.poll_event(), Err(Error::UnexpectedEof { .. })));
}

#[test]
fn item21_oversize_is_consumed_to_the_real_end() {
    let mut c = config();
    c.limits.message_size = 100;
    let body = [&[b'x'; 80][..], b"\r\n", &[b'y'; 80], b"\r\n.\r\nNOOP\r\n"].concat();
    let o = drive(c, &[ENVELOPE, b"DATA\r\n", &body]);
    assert!(
        o.sent
            .ends_with("552 5.3.4 Error: message too large\r\n250 2.0.0 OK\r\n"),
        "{}",
        o.sent
    );
}

#[test]
fn item22_error_budgets() {
    let input = b"EHLO c.example\r\nMAIL FROM:<>\r\n".to_vec();
    let mut bad = input;
    for _ in 0..11 {
        bad.extend_from_slice(b"MAIL FROM:<>\r\n");
    }
    let o = drive(config(), &[&bad]);
    assert!(
        o.sent
            .ends_with("421 4.7.0 mx.example Error: too many errors\r\n"),
        "{}",
        o.sent
    );
    assert!(matches!(
        o.error,
        Some(Error::TooManyBadCommands { limit: 10 })
    ));
    let o = drive(config(), &[b"A\r\nB\r\nC\r\nD\r\nE\r\n"]);
    assert_eq!(o.sent.matches("500 5.5.1").count(), 3);
    assert!(o.closed);
}

#[test]
fn late_replies_go_out_in_command_order() {
    let now = mail_sansio::testing::FakeClock::start().now();
    let mut s = Server::new(config(), now);
    s.handle_input(now, b"EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n");
    for _ in 0..2 {
        match s.poll_event().unwrap().unwrap() {
            ServerEvent::Hello { token, .. } | ServerEvent::Mail { token, .. } => {
                s.accept(token).unwrap()
            }
            e => panic!("{e:?}"),
        }
    }
    while s.poll_transmit().is_some() {}
    s.handle_input(
        now,
        b"RCPT TO:<a@x.example>\r\nRCPT TO:<b@x.example>\r\nRSET\r\n",
    );
    let mut tokens = Vec::new();
    while let Ok(Some(ServerEvent::Rcpt { token, .. })) = s.poll_event() {
        tokens.push(token);
    }
    assert_eq!(tokens.len(), 2);
    assert!(!s.wants_input());
    assert_eq!(s.poll_transmit(), None);
    let refuse = Reply::new(ReplyCode::MAILBOX_UNAVAILABLE, None, "no").unwrap();
    s.send_reply(tokens[1], refuse).unwrap();
    assert_eq!(
        s.poll_transmit(),
        None,
        "second reply must wait for the first"
    );
    assert!(s.accept(tokens[1]).is_err(), "answered twice");
    s.accept(tokens[0]).unwrap();
    assert_eq!(s.poll_event(), Ok(None));
    let out = s.poll_transmit().unwrap();
    assert_eq!(&out[..], b"250 2.1.5 OK\r\n550 no\r\n250 2.0.0 OK\r\n");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn chunking_invariance(splits in prop::collection::vec(1usize..40, 1..60)) {
        let session = [
            ENVELOPE,
            b"RCPT TO:<e@f.example> NOTIFY=SUCCESS\r\n",
            b"DATA\r\n",
        ]
        .concat();
        let body = b"Subject: hi\r\n\r\n..dot\r\nline\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<x@y.example>\r\nBDAT 7 LAST\r\nabc\r\n.\rRSET\r\nQUIT\r\n";
        let whole = drive(config(), &[&session, body]);
        let mut pieces = vec![&session[..]];
        let mut rest = &body[..];
        for n in splits {
            if rest.is_empty() { break; }
            let (a, b) = rest.split_at(n.min(rest.len()));
            pieces.push(a);
            rest = b;
        }
        if !rest.is_empty() { pieces.push(rest); }
        let split = drive(config(), &pieces);
        prop_assert_eq!(&whole.sent, &split.sent);
        prop_assert_eq!(&whole.events, &split.events);
        prop_assert_eq!(&whole.body, &split.body);
        prop_assert!(whole.closed && split.closed);
    }

    #[test]
    fn arbitrary_input_never_panics(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..8)) {
        let refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let _ = drive(config(), &refs);
    }
}
