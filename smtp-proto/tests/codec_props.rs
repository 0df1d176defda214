//! Property tests for the codec: encode→decode identity and no panics on arbitrary bytes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use bytes::BytesMut;
use mail_sansio::{Parsed, Secret};
use proptest::prelude::*;
use smtp_proto::types::{
    Body, Domain, ForwardPath, MailParameters, Mailbox, MechanismName, Notify, Orcpt,
    RcptParameters, Ret, ReversePath, Text,
};
use smtp_proto::{Capability, Command, EhloReply, EnhancedStatusCode, Reply, ReplyCode};

fn domain() -> impl Strategy<Value = Domain> {
    prop::collection::vec("[a-z0-9]{1,10}", 1..4)
        .prop_map(|l| Domain::try_from(l.join(".").as_str()).unwrap())
}

fn mailbox() -> impl Strategy<Value = Mailbox> {
    let local = prop_oneof![
        prop::collection::vec("[a-zA-Z0-9+_=-]{1,8}", 1..3).prop_map(|a| a.join(".")),
        "[a-z ]{1,10}".prop_map(|s| format!("\"{s}\"")),
        "[a-z]{1,5}\u{e9}".prop_map(|s| s),
    ];
    (local, domain()).prop_map(|(l, d)| Mailbox::try_from(format!("{l}@{d}").as_str()).unwrap())
}

fn text() -> impl Strategy<Value = Text> {
    "[!-~][ -~\u{e9}]{0,20}".prop_map(|s| Text::try_from(s.as_str()).unwrap())
}

fn mail_params() -> impl Strategy<Value = MailParameters> {
    (
        prop::option::of(any::<u64>()),
        prop::option::of(prop_oneof![
            Just(Body::SevenBit),
            Just(Body::EightBitMime),
            Just(Body::BinaryMime)
        ]),
        any::<bool>(),
        prop::option::of(prop_oneof![Just(Ret::Full), Just(Ret::Headers)]),
        prop::option::of("[ -~]{1,30}".prop_map(|s| Text::try_from(s.as_str()).unwrap())),
        any::<bool>(),
        prop::option::of(-9i8..=9),
    )
        .prop_map(|(size, body, smtputf8, ret, envid, requiretls, mt)| {
            let mut p = MailParameters::default();
            p.size = size;
            p.body = body;
            p.smtputf8 = smtputf8;
            p.ret = ret;
            p.envid = envid;
            p.requiretls = requiretls;
            p.mt_priority = mt;
            p
        })
}

fn rcpt_params() -> impl Strategy<Value = RcptParameters> {
    (
        prop::option::of(prop_oneof![
            Just(Notify::Never),
            (any::<bool>(), any::<bool>()).prop_map(|(s, f)| Notify::On {
                success: s,
                failure: f,
                delay: true
            })
        ]),
        prop::option::of(("rfc822|utf-8", "[ -~\u{e9}\u{4e2d}]{1,30}")),
    )
        .prop_map(|(notify, orcpt)| {
            let mut p = RcptParameters::default();
            p.notify = notify;
            p.orcpt = orcpt.map(|(t, a)| Orcpt::new(&t, &a).unwrap());
            p
        })
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        domain().prop_map(Command::Helo),
        domain().prop_map(Command::Ehlo),
        domain().prop_map(Command::Lhlo),
        (prop::option::of(mailbox()), mail_params()).prop_map(|(m, params)| Command::Mail {
            from: m.map_or(ReversePath::Null, ReversePath::Mailbox),
            params
        }),
        (prop::option::of(mailbox()), rcpt_params()).prop_map(|(m, params)| Command::Rcpt {
            to: m.map_or(ForwardPath::Postmaster, ForwardPath::Mailbox),
            params
        }),
        Just(Command::Data),
        (any::<u64>(), any::<bool>()).prop_map(|(size, last)| Command::Bdat { size, last }),
        Just(Command::Rset),
        text().prop_map(Command::Vrfy),
        text().prop_map(Command::Expn),
        prop::option::of(text()).prop_map(Command::Noop),
        prop::option::of(text()).prop_map(Command::Help),
        Just(Command::Quit),
        Just(Command::StartTls),
        (
            prop_oneof![Just("PLAIN"), Just("XOAUTH2"), Just("X-OTHER")],
            prop::option::of("[A-Za-z0-9+/]{1,40}={0,2}|=")
        )
            .prop_map(|(m, ir)| Command::Auth {
                mechanism: MechanismName::parse(m.as_bytes()).unwrap(),
                initial_response: ir.map(|s| Secret::new(Text::try_from(s.as_str()).unwrap())),
            }),
        text().prop_map(Command::Etrn),
    ]
}

fn reply() -> impl Strategy<Value = Reply> {
    (
        prop::sample::select(vec![220u16, 221, 250, 334, 354, 421, 450, 550, 554]),
        prop::option::of((1u16..8, 0u16..20)),
        prop::collection::vec("([a-zA-Z][ -~]{0,20})?", 1..5),
    )
        .prop_map(|(code, esc, lines)| {
            let code = ReplyCode::new(code).unwrap();
            let class = (code.get() / 100) as u8;
            let esc = esc
                .filter(|_| class != 3)
                .map(|(s, d)| EnhancedStatusCode::new(class, s, d).unwrap());
            Reply::multiline(code, esc, lines).unwrap()
        })
}

fn ehlo() -> impl Strategy<Value = EhloReply> {
    let cap = prop_oneof![
        prop::option::of(any::<u64>()).prop_map(Capability::Size),
        Just(Capability::Pipelining),
        Just(Capability::EightBitMime),
        Just(Capability::SmtpUtf8),
        Just(Capability::Chunking),
        Just(Capability::Dsn),
        Just(Capability::StartTls),
        Just(Capability::EnhancedStatusCodes),
        Just(Capability::Auth(vec![
            MechanismName::parse(b"PLAIN").unwrap(),
            MechanismName::parse(b"X-Y").unwrap()
        ])),
        (
            prop::option::of(any::<u64>()),
            prop::option::of(any::<u64>())
        )
            .prop_map(|(r, m)| Capability::Limits {
                rcpt_max: r,
                mail_max: m,
                rcpt_domain_max: None
            }),
        ("X-[A-Z0-9]{1,8}", prop::collection::vec("[!-~]{1,8}", 0..3)).prop_map(|(k, p)| {
            Capability::other(&k, &p.iter().map(String::as_str).collect::<Vec<_>>()).unwrap()
        }),
    ];
    (
        domain(),
        prop::option::of("[!-~][ -~]{0,20}"),
        prop::collection::vec(cap, 0..8),
    )
        .prop_map(|(d, g, caps)| {
            let mut e = EhloReply::new(d.as_str()).unwrap();
            if let Some(g) = g {
                e = e.with_greeting(&g).unwrap();
            }
            for c in caps {
                e.push(c);
            }
            e
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn command_round_trip(cmd in command()) {
        let mut out = BytesMut::new();
        cmd.encode(&mut out);
        let decoded = Command::decode(&out).unwrap();
        prop_assert_eq!(decoded, Parsed::Complete { value: cmd, consumed: out.len() });
    }

    #[test]
    fn reply_round_trip(r in reply()) {
        let mut out = BytesMut::new();
        r.encode(&mut out);
        prop_assert_eq!(Reply::decode(&out).unwrap(), Parsed::Complete { value: r, consumed: out.len() });
    }

    #[test]
    fn ehlo_round_trip(e in ehlo()) {
        let mut out = BytesMut::new();
        e.encode(&mut out);
        prop_assert_eq!(EhloReply::decode(&out).unwrap(), Parsed::Complete { value: e, consumed: out.len() });
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = Command::decode(&bytes);
        let _ = Command::from_line(&bytes);
        let _ = Reply::decode(&bytes);
        let _ = EhloReply::decode(&bytes);
    }

    #[test]
    fn command_like_bytes_never_panic(s in "(MAIL FROM:|RCPT TO:|BDAT |AUTH |EHLO )[<>@\"\\\\a-z0-9.:=+;, \r\n\u{e9}-]{0,60}") {
        let _ = Command::decode(s.as_bytes());
        let _ = Command::from_line(s.as_bytes());
    }
}
