//! RFC 5321 §4.1.3 address literals through the public API: EHLO, MAIL and RCPT accept every
//! IPv4 and IPv6 address written as a literal and refuse what is not an address, with the reply
//! a server should send.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use mail_sansio::Parsed;
use proptest::prelude::*;
use smtp_proto::types::{Domain, ForwardPath, ReversePath};
use smtp_proto::{Command, ParseError};

/// Not addresses, though every byte is `dcontent`.
const BAD: &[&str] = &[
    "[300.1.1.1]",
    "[1.2.3]",
    "[1.2.3.4.5]",
    "[a]",
    "[$(id)]",
    "[IPv6:zzzz]",
    "[IPv6:1:2:3:4:5:6:7::]",
    "[x-tag:foo]",
    "[010.0.0.1]",
];

const GOOD: &[(&str, &str)] = &[
    ("[127.0.0.1]", "127.0.0.1"),
    ("[IPv6:::1]", "::1"),
    ("[IPv6:2001:db8::1]", "2001:db8::1"),
    ("[IPv6:::ffff:1.2.3.4]", "::ffff:1.2.3.4"),
    ("[ipv6:2001:DB8::1]", "2001:db8::1"),
];

fn decode(line: &str) -> Result<Command, ParseError> {
    match Command::decode(format!("{line}\r\n").as_bytes())? {
        Parsed::Complete { value, .. } => Ok(value),
        Parsed::Incomplete => panic!("{line}: incomplete"),
    }
}

/// The domain of EHLO, MAIL FROM and RCPT TO with `literal` as the domain.
fn domains(literal: &str) -> [Result<String, (u16, String)>; 3] {
    let lines = [
        format!("EHLO {literal}"),
        format!("MAIL FROM:<a@{literal}>"),
        format!("RCPT TO:<b@{literal}>"),
    ];
    lines.map(|line| match decode(&line) {
        Ok(Command::Ehlo(d)) => Ok(d.as_str().to_owned()),
        Ok(Command::Mail { from, .. }) => Ok(from.mailbox().unwrap().domain().to_owned()),
        Ok(Command::Rcpt { to, .. }) => match to {
            ForwardPath::Mailbox(m) => Ok(m.domain().to_owned()),
            other => panic!("{other:?}"),
        },
        Ok(other) => panic!("{line}: {other:?}"),
        Err(e) => {
            let (code, esc) = e.recommended_reply();
            Err((code.get(), esc.to_string()))
        }
    })
}

#[test]
fn bad_literals_are_refused_with_the_right_reply() {
    for bad in BAD {
        // The server turns 5.1.3 into 5.1.7 for MAIL (the sender); see the MAIL trace.
        let expected = [
            Err((501, "5.5.4".to_owned())),
            Err((501, "5.1.3".to_owned())),
            Err((501, "5.1.3".to_owned())),
        ];
        assert_eq!(domains(bad), expected, "{bad}");
        assert!(Domain::try_from(*bad).is_err(), "{bad}");
    }
}

#[test]
fn good_literals_are_accepted_with_their_address() {
    for (literal, ip) in GOOD {
        let literal = literal.to_string();
        assert_eq!(domains(&literal), [0, 1, 2].map(|_| Ok(literal.clone())));
        let d = Domain::try_from(literal.as_str()).unwrap();
        assert_eq!(d.address_literal(), Some(ip.parse::<IpAddr>().unwrap()));
    }
    assert_eq!(
        Domain::try_from("mx.example").unwrap().address_literal(),
        None
    );
    // The source route's domains are literals too.
    assert!(decode("RCPT TO:<@[192.0.2.1]:a@b.example>").is_ok());
    assert!(decode("RCPT TO:<@[192.0.2.256]:a@b.example>").is_err());
    let from = ReversePath::Mailbox("a@[192.0.2.1]".try_into().unwrap());
    assert!(
        matches!(decode("MAIL FROM:<a@[192.0.2.1]>"), Ok(Command::Mail { from: f, .. }) if f == from)
    );
}

proptest! {
    /// Every IPv4 and IPv6 address, as std formats it (RFC 5952 for IPv6), is a literal in
    /// EHLO, MAIL and RCPT, whatever the case of the tag, and reads back as the same address.
    #[test]
    fn every_address_is_a_literal(
        v4 in any::<u32>().prop_map(Ipv4Addr::from),
        v6 in prop_oneof![
            any::<u128>().prop_map(Ipv6Addr::from),
            any::<u32>().prop_map(|a| Ipv4Addr::from(a).to_ipv6_mapped()),
            (any::<[u16; 3]>(), 0..8usize).prop_map(|(w, at)| {
                // Runs of zeros, so that "::" appears in every position.
                let mut words = [0u16; 8];
                for (k, v) in w.into_iter().enumerate() {
                    words[(at + k * 3) % 8] = v;
                }
                Ipv6Addr::from(words)
            }),
        ],
        tag in "[iI][pP][vV]6",
    ) {
        for (literal, ip) in [
            (format!("[{v4}]"), IpAddr::V4(v4)),
            (format!("[{tag}:{v6}]"), IpAddr::V6(v6)),
        ] {
            prop_assert_eq!(domains(&literal), [0, 1, 2].map(|_| Ok(literal.clone())));
            prop_assert_eq!(Domain::try_from(literal.as_str()).unwrap().address_literal(), Some(ip));
        }
    }
}
