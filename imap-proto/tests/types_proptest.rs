//! Property tests over the public value API: modified UTF-7 round trips for any Unicode
//! string, wire-form parsers round trip, and no constructor panics on arbitrary bytes.

use imap_proto::types::{
    AString, Atom, Date, DateTime, Flag, IString, Literal8, Mailbox, SeqSetOrSaved, SequenceSet,
    Tag, decode_utf7, encode_utf7, is_canonical_utf7,
};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn utf7_round_trip(s in any::<String>()) {
        let wire = encode_utf7(&s);
        prop_assert!(wire.bytes().all(|b| (0x20..0x7f).contains(&b)));
        prop_assert_eq!(&decode_utf7(wire.as_bytes()).unwrap(), &s);
        prop_assert!(is_canonical_utf7(wire.as_bytes()));
        let m = Mailbox::from_utf8(&s).unwrap();
        if !m.is_inbox() {
            prop_assert_eq!(m.to_utf8().unwrap(), s);
        }
    }

    #[test]
    fn utf7_canonical_decode_re_encodes_identically(wire in "[ -~]{0,24}") {
        if let Ok(text) = decode_utf7(wire.as_bytes()) {
            prop_assert_eq!(encode_utf7(&text), wire);
        }
    }

    #[test]
    fn sequence_set_text_round_trip(s in "[0-9*:,$]{1,20}") {
        if let Ok(set) = SequenceSet::try_from(s.as_str()) {
            prop_assert_eq!(SequenceSet::try_from(set.to_string().as_str()).unwrap(), set);
        }
        if let Ok(set) = SeqSetOrSaved::try_from(s.as_str()) {
            prop_assert_eq!(SeqSetOrSaved::try_from(set.to_string().as_str()).unwrap(), set);
        }
    }

    #[test]
    fn date_time_text_round_trip(s in "\"?[ 0-9]{1,2}-[A-Za-z]{3}-[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}\"?") {
        if let Ok(dt) = DateTime::try_from(s.as_str()) {
            prop_assert_eq!(DateTime::try_from(dt.to_string().as_str()).unwrap(), dt);
            prop_assert_eq!(Date::try_from(dt.date().to_string().as_str()).unwrap(), dt.date());
        }
    }

    #[test]
    fn constructors_never_panic(b in prop::collection::vec(any::<u8>(), 0..48)) {
        let s = String::from_utf8_lossy(&b).into_owned();
        let _ = (Tag::try_from(&b[..]), Atom::try_from(&b[..]), IString::try_from(&b[..]));
        let _ = (AString::try_from(&b[..]), Literal8::try_from(&b[..]), Mailbox::try_from(&b[..]));
        let _ = (Flag::try_from(s.as_str()), SequenceSet::try_from(s.as_str()));
        let _ = (DateTime::try_from(s.as_str()), Date::try_from(s.as_str()));
        let _ = (decode_utf7(&b), Mailbox::from_utf8(&s), Mailbox::from_utf8_raw(&s));
        if let Ok(m) = Mailbox::try_from(&b[..]) {
            let _ = (m.to_utf8(), m.to_string());
        }
    }
}
