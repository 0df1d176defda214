//! Property tests: every value the types can hold encodes to bytes that the primitive parsers
//! read back equal, whatever the encoder options; arbitrary bytes never make a parser panic.

use std::num::NonZeroU32;

use bytes::Bytes;
use proptest::prelude::*;

use super::primitives::*;
use super::{Cx, PResult};
use crate::config::{Leniency, Limits};
use crate::encode::{EncodeOptions, Encoder};
use crate::types::{
    AString, Atom, Date, DateTime, Flag, IString, Literal8, Mailbox, NString, SeqBound, SeqRange,
    SeqSetOrSaved, SequenceSet, Tag,
};

/// Encodes with `write`, then parses the whole output with `parse`.
fn round_trip<T>(
    options: EncodeOptions,
    utf8_names: bool,
    write: impl FnOnce(&mut Encoder),
    parse: impl for<'a> Fn(&Cx<'_>, &'a [u8]) -> PResult<'a, T>,
) -> Result<T, String> {
    let mut e = Encoder::new(options);
    write(&mut e);
    let unit: Bytes = e.finish().into_bytes();
    let limits = Limits::default();
    let cx = Cx::new(&unit, Leniency::strict(), &limits).with_utf8(utf8_names);
    match parse(&cx, cx.input()) {
        Ok(([], v)) => Ok(v),
        Ok((rest, _)) => Err(format!("{unit:?}: {} bytes left", rest.len())),
        Err(err) => Err(format!("{unit:?}: {}", cx.error(err))),
    }
}

fn options() -> impl Strategy<Value = EncodeOptions> {
    (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(server, plus, minus, utf8)| {
            let base = if server {
                EncodeOptions::server()
            } else {
                EncodeOptions::client()
            };
            base.with_literal_plus(plus)
                .with_literal_minus(minus)
                .with_utf8(utf8)
        },
    )
}

/// Bytes without NUL, weighted towards the interesting ones.
fn content() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => 0x20u8..0x7f,
        1 => Just(b'"'),
        1 => Just(b'\\'),
        1 => Just(b'\r'),
        1 => Just(b'\n'),
        1 => 1u8..=255,
    ];
    prop_oneof![
        prop::collection::vec(byte, 0..40),
        any::<String>().prop_map(|s| s.replace('\0', "").into_bytes()),
    ]
}

fn atom_text() -> impl Strategy<Value = String> {
    "[!#$&'+,\\-.0-9:;<=>?@A-Z\\[^_`a-z|}~]{1,12}"
}

fn nz() -> impl Strategy<Value = NonZeroU32> {
    prop_oneof![
        Just(NonZeroU32::MIN),
        Just(NonZeroU32::MAX),
        any::<NonZeroU32>()
    ]
}

fn bound() -> impl Strategy<Value = SeqBound> {
    prop_oneof![1 => Just(SeqBound::Last), 4 => nz().prop_map(SeqBound::Value)]
}

fn sequence_set_strategy() -> impl Strategy<Value = SequenceSet> {
    let range = prop_oneof![
        bound().prop_map(SeqRange::Single),
        (bound(), bound()).prop_map(|(a, b)| SeqRange::Range(a, b)),
    ];
    prop::collection::vec(range, 1..8).prop_map(|r| SequenceSet::new(r).unwrap())
}

fn flag_strategy() -> impl Strategy<Value = Flag> {
    prop_oneof![
        Just(Flag::Answered),
        Just(Flag::Flagged),
        Just(Flag::Deleted),
        Just(Flag::Seen),
        Just(Flag::Draft),
        atom_text().prop_map(|a| Flag::Keyword(Atom::try_from(a).unwrap())),
        atom_text()
            .prop_filter("not a system flag", |a| Flag::try_from(
                format!("\\{a}").as_str()
            )
            .is_ok_and(|f| matches!(f, Flag::Extension(_))))
            .prop_map(|a| Flag::Extension(Atom::try_from(a).unwrap())),
    ]
}

fn date_strategy() -> impl Strategy<Value = Date> {
    (0u16..=9999, 1u8..=12, 1u8..=31)
        .prop_filter_map("valid date", |(y, m, d)| Date::new(y, m, d).ok())
}

fn date_time_strategy() -> impl Strategy<Value = DateTime> {
    (date_strategy(), 0u8..24, 0u8..60, 0u8..=60, -5999i16..=5999)
        .prop_map(|(d, h, mi, s, z)| DateTime::new(d, h, mi, s, z).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn astring_round_trip(c in content(), o in options()) {
        let v = AString::try_from(c).unwrap();
        let back = round_trip(o, false, |e| { e.astring(&v); }, astring).unwrap();
        prop_assert_eq!(back, v);
    }

    #[test]
    fn string_round_trip(c in content(), o in options()) {
        let v = IString::try_from(c).unwrap();
        let back = round_trip(o, false, |e| { e.string(&v); }, string).unwrap();
        prop_assert_eq!(&back, &v);
        let n = NString(Some(v));
        let back = round_trip(o, false, |e| { e.nstring(&n); }, nstring).unwrap();
        prop_assert_eq!(back, n);
    }

    #[test]
    fn literal8_round_trip(c in prop::collection::vec(any::<u8>(), 0..64), o in options()) {
        let v = Literal8::try_from(c).unwrap();
        let back = round_trip(o, false, |e| { e.literal8(&v); }, literal8).unwrap();
        prop_assert_eq!(back, v);
    }

    #[test]
    fn atom_and_tag_round_trip(a in atom_text()) {
        let v = Atom::try_from(a.as_str()).unwrap();
        let back = round_trip(EncodeOptions::client(), false, |e| { e.atom(&v); }, atom).unwrap();
        prop_assert_eq!(back, v);
        if let Ok(t) = Tag::try_from(a.as_str()) {
            let back = round_trip(EncodeOptions::client(), false, |e| { e.tag(&t); }, tag).unwrap();
            prop_assert_eq!(back, t);
        }
    }

    #[test]
    fn mailbox_round_trip(name in any::<String>(), o in options()) {
        // Modified UTF-7 for an IMAP4rev1 peer.
        let v = Mailbox::from_utf8(&name).unwrap();
        let back = round_trip(o, false, |e| { e.mailbox(&v); }, mailbox).unwrap();
        prop_assert_eq!(&back, &v);
        if !v.is_inbox() {
            prop_assert_eq!(&back.to_utf8().unwrap(), &name);
        }
        // Raw UTF-8 once UTF8=ACCEPT is on (names with CR or LF cannot be built).
        if let Ok(raw) = Mailbox::from_utf8_raw(&name) {
            let back = round_trip(o.with_utf8(true), true, |e| { e.mailbox(&raw); }, mailbox)
                .unwrap();
            prop_assert_eq!(back, raw);
        }
    }

    #[test]
    fn sequence_set_round_trip(s in sequence_set_strategy(), saved in any::<bool>()) {
        let back = round_trip(EncodeOptions::client(), false, |e| { e.sequence_set(&s); }, sequence_set)
            .unwrap();
        prop_assert_eq!(&back, &s);
        prop_assert_eq!(&SequenceSet::try_from(s.to_string().as_str()).unwrap(), &s);
        let v = if saved { SeqSetOrSaved::Saved } else { SeqSetOrSaved::Set(s) };
        let back = round_trip(EncodeOptions::client(), false, |e| { e.seq_set_or_saved(&v); }, seq_set_or_saved)
            .unwrap();
        prop_assert_eq!(back, v);
    }

    #[test]
    fn flag_list_round_trip(flags in prop::collection::vec(flag_strategy(), 0..6)) {
        let back = round_trip(EncodeOptions::server(), false, |e| { e.flag_list(&flags); }, flag_list)
            .unwrap();
        prop_assert_eq!(back, flags);
    }

    #[test]
    fn date_round_trip(d in date_strategy(), dt in date_time_strategy()) {
        let back = round_trip(EncodeOptions::client(), false, |e| { e.date(&d); }, date).unwrap();
        prop_assert_eq!(back, d);
        let back = round_trip(EncodeOptions::client(), false, |e| { e.date_time(&dt); }, date_time)
            .unwrap();
        prop_assert_eq!(back, dt);
    }

    #[test]
    fn number_round_trip(n in any::<u32>(), m in any::<u64>()) {
        let back = round_trip(EncodeOptions::client(), false, |e| { e.number(n); }, number).unwrap();
        prop_assert_eq!(back, n);
        let back = round_trip(EncodeOptions::client(), false, |e| { e.number(m); }, number64).unwrap();
        prop_assert_eq!(back, m);
    }

    #[test]
    fn arbitrary_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..64), lenient in any::<bool>(), utf8 in any::<bool>()) {
        let unit = Bytes::from(input);
        let limits = Limits::default();
        let leniency = if lenient { Leniency::lenient() } else { Leniency::strict() };
        let cx = Cx::new(&unit, leniency, &limits).with_utf8(utf8);
        let i = cx.input();
        let _ = (sp(&cx, i), crlf(&cx, i), close_paren(&cx, i), nil(i));
        let _ = (number(&cx, i), lenient_number(&cx, i), nz_number(&cx, i), number64(&cx, i));
        let _ = (atom(&cx, i), tag(&cx, i), astring(&cx, i), quoted(&cx, i), literal(&cx, i));
        let _ = (string(&cx, i), nstring(&cx, i), nstring_streamable(&cx, i), literal8(&cx, i));
        let _ = (mailbox(&cx, i), flag(&cx, i), flag_fetch(&cx, i), flag_perm(&cx, i));
        let _ = (flag_list(&cx, i), sequence_set(&cx, i), seq_set_or_saved(&cx, i));
        let _ = (date(&cx, i), date_time(&cx, i), text_raw(i));
        let _ = crate::types::decode_utf7(i);
    }
}
