//! Test-only: the hand-written reader against the previous nom-based one.
#![allow(clippy::all)]
use proptest::prelude::*;

use super::legacy;
use crate::{EhloReply, Parsed, Reply, ReplyAssembler, ReplyLimits};

fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"250".to_vec()),
        Just(b"250".to_vec()),
        Just(b"251".to_vec()),
        Just(b"334".to_vec()),
        Just(b"550".to_vec()),
        Just(b"099".to_vec()),
        Just(b"25".to_vec()),
        Just(b"-".to_vec()),
        Just(b"-".to_vec()),
        Just(b" ".to_vec()),
        Just(b" ".to_vec()),
        Just(b"2.0.0".to_vec()),
        Just(b"5.1.1".to_vec()),
        Just(b"2.1234.0".to_vec()),
        Just(b"5.".to_vec()),
        Just(b"PIPELINING".to_vec()),
        Just(b"pipelining".to_vec()),
        Just(b"SIZE".to_vec()),
        Just(b"size".to_vec()),
        Just(b"12345".to_vec()),
        Just(b"99999999999999999999999".to_vec()),
        Just(b"AUTH".to_vec()),
        Just(b"PLAIN".to_vec()),
        Just(b"login".to_vec()),
        Just(b"X-FOO_1".to_vec()),
        Just(b"LIMITS".to_vec()),
        Just(b"RCPTMAX=10".to_vec()),
        Just(b"mailmax=3".to_vec()),
        Just(b"FOO=".to_vec()),
        Just(b"ENHANCEDSTATUSCODES".to_vec()),
        Just(b"8BITMIME".to_vec()),
        Just(b"8bitMime".to_vec()),
        Just(b"SMTPUTF8".to_vec()),
        Just(b"CHUNKING".to_vec()),
        Just(b"STARTTLS".to_vec()),
        Just(b"BINARYMIME".to_vec()),
        Just(b"REQUIRETLS".to_vec()),
        Just(b"DSN".to_vec()),
        Just(b"X-VENDOR".to_vec()),
        Just(b"x_bad".to_vec()),
        Just(b"mx.example".to_vec()),
        Just(b"caf\xe9".to_vec()),
        Just(b"\xff\xfe".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\0".to_vec()),
        Just(b"\t".to_vec()),
        any::<u8>().prop_map(|b| vec![b]),
    ]
}

fn input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(piece(), 0..40).prop_map(|v| v.concat()),
        prop::collection::vec(prop::collection::vec(piece(), 0..4), 0..12).prop_map(|v| {
            // Mostly well-formed lines.
            let mut out = Vec::new();
            for (i, p) in v.iter().enumerate() {
                out.extend_from_slice(b"250");
                out.extend_from_slice(if i + 1 == v.len() { b" " } else { b"-" });
                out.extend_from_slice(&p.concat());
                out.extend_from_slice(b"\r\n");
            }
            out
        }),
        prop::collection::vec(any::<u8>(), 0..64),
    ]
}

fn limits() -> impl Strategy<Value = ReplyLimits> {
    prop_oneof![
        Just(ReplyLimits::default()),
        (4usize..40, 1usize..6, 4usize..120).prop_map(|(max_line, max_lines, max_total)| {
            ReplyLimits {
                max_line,
                max_lines,
                max_total,
            }
        }),
    ]
}

type Flat = (u16, Option<String>, Vec<Vec<u8>>);

fn flat_new(r: &Reply) -> Flat {
    (
        r.code().get(),
        r.enhanced().map(|e| e.to_string()),
        r.lines().map(<[u8]>::to_vec).collect(),
    )
}

fn flat_old(r: &legacy::Reply) -> Flat {
    (
        r.code.get(),
        r.enhanced.map(|e| e.to_string()),
        r.lines.iter().map(|l| l.to_vec()).collect(),
    )
}

fn map_parsed<T, U>(p: Parsed<T>, f: impl Fn(&T) -> U) -> (Option<U>, usize) {
    match p {
        Parsed::Complete { value, consumed } => (Some(f(&value)), consumed),
        Parsed::Incomplete => (None, 0),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decode_matches_previous(input in input(), limits in limits()) {
        let new = Reply::decode_with(&input, &limits).map(|p| map_parsed(p, flat_new));
        let old = legacy::Reply::decode_with(&input, &limits).map(|p| map_parsed(p, flat_old));
        prop_assert_eq!(new, old);
    }

    #[test]
    fn ehlo_matches_previous(input in input()) {
        let new = EhloReply::decode(&input).map(|p| map_parsed(p, |e| (
            e.domain().to_owned(),
            e.greeting().map(str::to_owned),
            e.capabilities().to_vec(),
        )));
        let old = legacy::ehlo(&input).map(|p| map_parsed(p, Clone::clone));
        prop_assert_eq!(&new, &old);
        // And through a decoded reply.
        if let Ok(Parsed::Complete { value, .. }) = Reply::decode(&input) {
            let via = EhloReply::from_reply(&value).map(|e| (
                e.domain().to_owned(),
                e.greeting().map(str::to_owned),
                e.capabilities().to_vec(),
            ));
            let direct = new.map(|(v, _)| v.unwrap());
            prop_assert_eq!(via, direct);
        }
    }

    #[test]
    fn assembler_matches_previous(input in input(), limits in limits()) {
        let mut new = ReplyAssembler::new(limits);
        let mut old = legacy::ReplyAssembler::new(limits);
        for line in input.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let a = new.push_line(line).map(|r| r.as_ref().map(flat_new));
            let b = old.push_line(line).map(|r| r.as_ref().map(flat_old));
            prop_assert_eq!(a, b);
            prop_assert_eq!(new.is_partial(), old.is_partial());
        }
    }
}
