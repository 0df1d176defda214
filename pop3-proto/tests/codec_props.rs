//! proptest: `decode(encode(x)) == x` for commands, responses and capabilities; arbitrary
//! bytes never panic the decoders.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bytes::BytesMut;
use mail_sansio::{Parsed, Secret};
use pop3_proto::{
    ApopDigest, AuthResponse, Capability, Command, Expire, MessageNumber, OtherCapability,
    Password, Response, ResponseCode, StatusLine, Text, UnknownCode, Username,
};
use proptest::prelude::*;

fn msg() -> impl Strategy<Value = MessageNumber> {
    (1..=u32::MAX).prop_map(|n| MessageNumber::new(n).unwrap())
}

fn user() -> impl Strategy<Value = Username> {
    "[a-zA-Z0-9._@+-]{1,40}".prop_map(|s| Username::try_from(s.as_str()).unwrap())
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        user().prop_map(Command::User),
        "[ -~]{1,60}".prop_map(|p| Command::Pass(Password::try_from(p.as_str()).unwrap())),
        (user(), "[0-9a-f]{32}").prop_map(|(name, d)| Command::Apop {
            name,
            digest: ApopDigest::try_from(d.as_str()).unwrap()
        }),
        Just(Command::Stat),
        proptest::option::of(msg()).prop_map(Command::List),
        msg().prop_map(Command::Retr),
        msg().prop_map(Command::Dele),
        Just(Command::Noop),
        Just(Command::Rset),
        Just(Command::Quit),
        (msg(), any::<u64>()).prop_map(|(message, lines)| Command::Top { message, lines }),
        proptest::option::of(msg()).prop_map(Command::Uidl),
        Just(Command::Capa),
        Just(Command::Stls),
        Just(Command::Utf8),
        (
            "[A-Z0-9_-]{1,20}",
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..120))
        )
            .prop_map(|(m, ir)| Command::Auth {
                mechanism: pop3_proto::parse_mechanism(m.as_str()).unwrap(),
                initial_response: ir.map(Secret::new),
            }),
    ]
}

fn code() -> impl Strategy<Value = ResponseCode> {
    prop_oneof![
        Just(ResponseCode::InUse),
        Just(ResponseCode::LoginDelay),
        Just(ResponseCode::SysTemp),
        Just(ResponseCode::SysPerm),
        Just(ResponseCode::Auth),
        Just(ResponseCode::Utf8),
        proptest::collection::vec("X-[A-Z0-9.-]{1,8}", 1..4)
            .prop_map(|l| ResponseCode::Other(UnknownCode::new(&l).unwrap())),
    ]
}

fn status_line() -> impl Strategy<Value = StatusLine> {
    (any::<bool>(), proptest::option::of(code()), "[ -~]{0,80}")
        .prop_filter("a text starting with [ reads as a code", |(_, c, t)| {
            c.is_some() || !t.starts_with('[')
        })
        .prop_map(|(ok, code, text)| {
            let text = Text::try_from(text.as_str()).unwrap();
            if ok && code.is_none() {
                StatusLine::ok(text)
            } else if ok {
                StatusLine {
                    status: pop3_proto::Status::Ok,
                    code,
                    text,
                }
            } else {
                StatusLine::err(code, text)
            }
        })
}

fn capability() -> impl Strategy<Value = Capability> {
    prop_oneof![
        Just(Capability::Top),
        Just(Capability::User),
        proptest::collection::vec("[A-Z0-9-]{1,20}", 0..5).prop_map(|m| Capability::Sasl(
            m.iter()
                .map(|m| pop3_proto::parse_mechanism(m.as_str()).unwrap())
                .collect()
        )),
        Just(Capability::RespCodes),
        (any::<u64>(), any::<bool>())
            .prop_map(|(seconds, per_user)| Capability::LoginDelay { seconds, per_user }),
        Just(Capability::Pipelining),
        (proptest::option::of(any::<u64>()), any::<bool>()).prop_map(|(d, per_user)| {
            Capability::Expire {
                policy: d.map_or(Expire::Never, Expire::Days),
                per_user,
            }
        }),
        Just(Capability::Uidl),
        "[!-~]([ -~]{0,40}[!-~])?"
            .prop_map(|t| Capability::Implementation(Text::try_from(t.as_str()).unwrap())),
        Just(Capability::Stls),
        Just(Capability::AuthRespCode),
        any::<bool>().prop_map(|user| Capability::Utf8 { user }),
        Just(Capability::Lang),
        (
            "X-[A-Z0-9]{1,10}",
            proptest::collection::vec("[!-~]{1,10}", 0..4)
        )
            .prop_map(|(n, p)| Capability::Other(OtherCapability::new(&n, &p).unwrap())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn command_round_trip(cmd in command()) {
        let mut buf = BytesMut::new();
        cmd.encode(&mut buf);
        prop_assert_eq!(buf.len(), cmd.encoded_len());
        if buf.len() <= 255 {
            prop_assert_eq!(
                Command::decode(&buf).unwrap(),
                Parsed::Complete { value: cmd, consumed: buf.len() }
            );
        } else {
            prop_assert!(Command::decode(&buf).is_err());
        }
    }

    #[test]
    fn status_round_trip(line in status_line()) {
        let mut buf = BytesMut::new();
        line.encode(&mut buf);
        let value = Response::Status(line);
        prop_assert_eq!(
            Response::decode(&buf).unwrap(),
            Parsed::Complete { value, consumed: buf.len() }
        );
    }

    #[test]
    fn challenge_round_trip(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut buf = BytesMut::new();
        let value = Response::Challenge(data);
        value.encode(&mut buf);
        prop_assert_eq!(
            Response::decode(&buf).unwrap(),
            Parsed::Complete { value, consumed: buf.len() }
        );
    }

    #[test]
    fn auth_response_round_trip(data in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..300))) {
        let value = data.map_or(AuthResponse::Cancel, |d| AuthResponse::Data(Secret::new(d)));
        let mut buf = BytesMut::new();
        value.encode(&mut buf);
        prop_assert_eq!(
            AuthResponse::decode(&buf, 12288).unwrap(),
            Parsed::Complete { value, consumed: buf.len() }
        );
    }

    #[test]
    fn capability_round_trip(cap in capability()) {
        let mut buf = BytesMut::new();
        cap.encode(&mut buf);
        prop_assert_eq!(Capability::parse(&buf), cap);
    }

    #[test]
    fn decoders_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Command::decode(&data);
        let _ = Response::decode(&data);
        let _ = AuthResponse::decode(&data, 600);
        let _ = Capability::parse(&data);
        let _ = pop3_proto::ScanListing::parse(&data);
        let _ = pop3_proto::UniqueIdListing::parse(&data);
    }
}
