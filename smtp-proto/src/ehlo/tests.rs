use mail_sansio::sasl::Mechanism;

use super::*;

/// The extension one line after the first gives, if any.
fn parse_line(line: &[u8]) -> Option<Capability> {
    let mut store = Store::new(b"x", 1);
    store.add_line(line);
    let mut caps: Vec<Capability> = store.views().map(View::to_capability).collect();
    assert!(caps.len() <= 1, "{line:?}");
    caps.pop()
}

#[test]
fn known_words_and_mechanisms() {
    for (line, cap) in [
        (&b"pipelining"[..], Some(Capability::Pipelining)),
        (b"  STARTTLS  ", Some(Capability::StartTls)),
        (b"\x18BITMIME", None),
        (
            b"SIZEX",
            Some(Capability::Other {
                keyword: "SIZEX".into(),
                params: vec![],
            }),
        ),
        (b"SIZE", Some(Capability::Size(None))),
        (b"size 10", Some(Capability::Size(Some(10)))),
        (b"SIZE 1 2", None),
        (
            b"DSNX 1",
            Some(Capability::Other {
                keyword: "DSNX".into(),
                params: vec!["1".into()],
            }),
        ),
        (
            b"PIPELINING x",
            Some(Capability::Other {
                keyword: "PIPELINING".into(),
                params: vec!["x".into()],
            }),
        ),
        (b"AUTH", Some(Capability::Auth(vec![]))),
        (
            b"auth login BAD_NAME_THAT_IS_TOO_LONG_FOR_SASL",
            Some(Capability::Auth(vec![Mechanism::Login.into()])),
        ),
        (b"X_Y", None),
        // The guessed length of LIMITS (6) covers "login " and must not be trusted.
        (
            b"login ",
            Some(Capability::Other {
                keyword: "LOGIN".into(),
                params: vec![],
            }),
        ),
        (
            b"pa bcdefghi x",
            Some(Capability::Other {
                keyword: "PA".into(),
                params: vec!["bcdefghi".into(), "x".into()],
            }),
        ),
        (
            b"AUTHX a",
            Some(Capability::Other {
                keyword: "AUTHX".into(),
                params: vec!["a".into()],
            }),
        ),
        (
            b"AUTH plain x-y_z",
            Some(Capability::Auth(vec![
                Mechanism::Plain.into(),
                MechanismName::parse(b"X-Y_Z").unwrap(),
            ])),
        ),
        (
            b"AUTH PLAIN  LOGIN ",
            Some(Capability::Auth(vec![
                Mechanism::Plain.into(),
                Mechanism::Login.into(),
            ])),
        ),
        (
            b"AUTH PLAIN B@D",
            Some(Capability::Auth(vec![Mechanism::Plain.into()])),
        ),
        (
            b"x-exps GSSAPI ntlm",
            Some(Capability::Other {
                keyword: "X-EXPS".into(),
                params: vec!["GSSAPI".into(), "ntlm".into()],
            }),
        ),
        (
            b"X-A  b c ",
            Some(Capability::Other {
                keyword: "X-A".into(),
                params: vec!["b".into(), "c".into()],
            }),
        ),
        (
            b"X-A b\x80 \tc",
            Some(Capability::Other {
                keyword: "X-A".into(),
                params: vec!["b\u{fffd}".into(), "\tc".into()],
            }),
        ),
        (b"", None),
        (b"   ", None),
    ] {
        assert_eq!(parse_line(line), cap, "{line:?}");
    }
}

#[test]
fn known_answers() {
    let input = b"250-mx.example hello\r\n250-SIZE 1000\r\n250-PIPELINING\r\n250-AUTH PLAIN login X-FOO\r\n250-LIMITS RCPTMAX=10\r\n250-X-VENDOR a b\r\n250 STARTTLS\r\n";
    let Parsed::Complete { value, consumed } = EhloReply::decode(input).unwrap() else {
        panic!()
    };
    assert_eq!(consumed, input.len());
    assert_eq!(value.domain(), "mx.example");
    assert_eq!(value.size(), Some(Some(1000)));
    assert_eq!(
        value.auth_mechanisms(),
        &[
            MechanismName::from(Mechanism::Plain),
            MechanismName::from(Mechanism::Login),
            MechanismName::parse(b"X-FOO").unwrap()
        ]
    );
    assert!(value.has(|c| matches!(c, Capability::Other { keyword, .. } if keyword == "X-VENDOR")));
    assert!(value.has(|c| matches!(
        c,
        Capability::Limits {
            rcpt_max: Some(10),
            ..
        }
    )));
    let mut out = BytesMut::new();
    value.encode(&mut out);
    assert_eq!(EhloReply::decode(&out).unwrap().complete().unwrap(), value);
    let bare = EhloReply::new("mx.example").unwrap();
    let mut out = BytesMut::new();
    bare.encode(&mut out);
    assert_eq!(&out[..], b"250 mx.example\r\n");
    // First lines inline and boxed, with and without a greeting, and non-UTF-8.
    for (domain, greeting) in [
        ("mx.example", None),
        ("mx.example", Some("hi there")),
        (
            "a-very-long-host-name.of-a-mail-exchanger.example.net",
            None,
        ),
        (
            "mx.example",
            Some("a greeting long enough not to fit inside the reply itself"),
        ),
    ] {
        let mut built = EhloReply::new(domain).unwrap();
        if let Some(g) = greeting {
            built = built.with_greeting(g).unwrap();
        }
        built.push(Capability::Pipelining);
        let mut out = BytesMut::new();
        built.encode(&mut out);
        let decoded = EhloReply::decode(&out).unwrap().complete().unwrap();
        assert_eq!(decoded, built);
        assert_eq!((decoded.domain(), decoded.greeting()), (domain, greeting));
    }
    let odd = EhloReply::decode(b"250 mx.example caf\xe9 \r\n")
        .unwrap()
        .complete()
        .unwrap();
    assert_eq!(odd.greeting(), Some("caf\u{fffd} "));
    let bare = EhloReply::decode(b"250 mx.example \r\n")
        .unwrap()
        .complete()
        .unwrap();
    assert_eq!(bare, EhloReply::new("mx.example").unwrap());
    let big = b"250-x\r\n250 SIZE 99999999999999999999999\r\n";
    assert_eq!(
        EhloReply::decode(big).unwrap().complete().unwrap().size(),
        Some(Some(u64::MAX))
    );
}

#[test]
fn fast_paths_match_the_full_parser() {
    for line in [
        &b"SIZE 10"[..],
        b"size 0",
        b"SIZE 1234567890123456789",
        b"SIZE 12345678901234567890",
        b"SIZE 1x",
        b"SIZE ",
        b"SIZE  5",
        b"AUTH ",
        b"auth plain  LOGIN x_y-z toolongtoolongtoolong1 bad!",
        b"AUTH=PLAIN",
        b"PIPELINING",
        b"pipelininG",
        b"8bitmime ",
    ] {
        let mut fast = Store::new(b"x", 1);
        fast.add_line(line);
        fast.add_line(line);
        let mut full = Store::new(b"x", 1);
        full.add_parsed(line);
        full.add_parsed(line);
        assert!(fast.views().eq(full.views()), "{line:?}");
        assert_eq!(fast.flags, full.flags, "{line:?}");
    }
}
