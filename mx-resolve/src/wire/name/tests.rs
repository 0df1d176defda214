use super::*;
use crate::wire::copy::copy_name;
use crate::wire::host::RunMemo;
use crate::wire::view::NameRef;

fn msg_with(name_bytes: &[u8]) -> Vec<u8> {
    let mut m = vec![0u8; 12];
    m.extend_from_slice(name_bytes);
    m
}

#[test]
fn reads_plain_and_compressed_names() {
    let mut m = msg_with(b"\x07example\x03com\x00");
    m.extend_from_slice(b"\x02mx\xc0\x0c");
    let (n, end) = read_name(&m, 12).unwrap();
    assert_eq!(n.to_string(), "example.com");
    assert_eq!(end, 25);
    let (n, end) = read_name(&m, 25).unwrap();
    assert_eq!(n.to_string(), "mx.example.com");
    assert_eq!(end, m.len());
}

#[test]
fn rejects_self_and_forward_pointers() {
    let m = msg_with(b"\xc0\x0c");
    assert!(matches!(
        read_name(&m, 12),
        Err(WireError::PointerNotBackwards { .. })
    ));
    let m = msg_with(b"\x02mx\xc0\x0c");
    assert!(matches!(
        read_name(&m, 12),
        Err(WireError::PointerNotBackwards { .. })
    ));
    let m = msg_with(b"\xc0\x20");
    assert!(matches!(
        read_name(&m, 12),
        Err(WireError::PointerNotBackwards { .. })
    ));
}

#[test]
fn rejects_header_pointer_and_reserved_types() {
    let m = msg_with(b"\x00\x00\xc0\x00");
    assert!(matches!(
        read_name(&m, 14),
        Err(WireError::PointerIntoHeader { .. })
    ));
    for octet in [0x40u8, 0x41, 0x80, 0x81, 0xbf] {
        let m = msg_with(&[octet, 0, 0]);
        assert!(matches!(
            read_name(&m, 12),
            Err(WireError::ReservedLabelType { .. })
        ));
    }
}

#[test]
fn name_length_limit() {
    // Four 63-octet labels: 4*64 + 1 = 257 > 255.
    let mut bytes = Vec::new();
    for _ in 0..4 {
        bytes.push(63);
        bytes.extend(std::iter::repeat_n(b'a', 63));
    }
    bytes.push(0);
    assert!(matches!(
        read_name(&msg_with(&bytes), 12),
        Err(WireError::NameTooLong { .. })
    ));
    // Three 63-octet labels + one 61-octet label = 255 exactly.
    let mut bytes = Vec::new();
    for _ in 0..3 {
        bytes.push(63);
        bytes.extend(std::iter::repeat_n(b'a', 63));
    }
    bytes.push(61);
    bytes.extend(std::iter::repeat_n(b'b', 61));
    bytes.push(0);
    let (n, _) = read_name(&msg_with(&bytes), 12).unwrap();
    assert_eq!(n.as_wire().len(), 255);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
    /// The cache never changes a verdict: every start gives the same
    /// end or error as the plain walk, whatever was validated before.
    #[test]
    fn cached_walk_agrees_with_plain_walk(
        body in proptest::collection::vec(
            proptest::prop_oneof![
                0u8..64,
                proptest::prelude::Just(0xc0u8),
                proptest::prelude::Just(0x0cu8),
                proptest::prelude::any::<u8>(),
            ],
            0..300,
        ),
        starts in proptest::collection::vec(0usize..320, 1..40),
    ) {
        let m = msg_with(&body);
        let mut cache = NameCache::new();
        for start in starts {
            let start = start % m.len().max(1);
            proptest::prop_assert_eq!(
                check_name_cached(&m, start, &mut cache),
                check_name(&m, start)
            );
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
    /// Classifying in place, with suffixes shared through the memo,
    /// gives the same verdict as classifying a copy.
    #[test]
    fn in_place_host_kind_agrees_with_the_copy(
        names in proptest::collection::vec(
            proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::prelude::Just("mx".to_owned()),
                    proptest::prelude::Just("example".to_owned()),
                    proptest::prelude::Just("192".to_owned()),
                    proptest::prelude::Just("0".to_owned()),
                    "[a-zA-Z0-9_-]{1,12}",
                    "[0-9]{1,3}",
                ],
                1..6,
            ),
            1..8,
        ),
    ) {
        let mut m = vec![0u8; 12];
        let mut c = Compressor::default();
        let mut starts = Vec::new();
        for labels in &names {
            let Ok(name) = Name::from_ascii(&labels.join(".")) else { continue };
            starts.push(m.len());
            c.write(&name, &mut m);
        }
        let mut memo = RunMemo::new();
        for &start in &starts {
            let kind = NameRef::at_offset(&m, start).host_kind(&mut memo);
            let copy = copy_name(&m, start);
            proptest::prop_assert_eq!(kind, copy.host_kind());
        }
    }
}

#[test]
fn cached_walk_on_a_compressed_chain() {
    // example.com, then mx.example.com and a.mx.example.com by pointers,
    // then 120 nested pointers to check the hop budget with the cache.
    let mut m = msg_with(b"\x07example\x03com\x00\x02mx\xc0\x0c\x01a\xc0\x19");
    let mut cache = NameCache::new();
    for start in [12, 25, 30, 25, 30] {
        assert_eq!(
            check_name_cached(&m, start, &mut cache),
            check_name(&m, start)
        );
    }
    let mut prev = 30usize;
    for _ in 0..130 {
        let at = m.len();
        m.extend_from_slice(&[0xc0 | (prev >> 8) as u8, prev as u8]);
        prev = at;
    }
    let mut cache = NameCache::new();
    for start in (30..m.len()).step_by(2) {
        assert_eq!(
            check_name_cached(&m, start, &mut cache),
            check_name(&m, start)
        );
    }
}

#[test]
fn hostname_rules() {
    assert!(Name::from_ascii("mx.example.com").unwrap().is_hostname());
    assert!(!Name::from_ascii("_mx.example").unwrap().is_hostname());
    assert!(!Name::from_ascii("a_b.example").unwrap().is_hostname());
    assert!(!Name::from_ascii("-a.example").unwrap().is_hostname());
    assert!(!Name::from_ascii("192.0.2.1").unwrap().is_hostname());
    assert!(
        Name::from_ascii("192.0.2.1")
            .unwrap()
            .ip_literal()
            .is_some()
    );
    assert!(!Name::root().is_hostname());
}

#[test]
fn idna_domains() {
    assert_eq!(
        Name::domain("bücher.example").unwrap().to_string(),
        "xn--bcher-kva.example"
    );
    let fass = Name::domain("faß.de").unwrap().to_string();
    assert_ne!(fass, "fass.de");
    assert!(fass.starts_with("xn--"));
    assert!(Name::domain("xn--a.example").is_err());
    assert!(Name::domain("192.0.2.1").is_err());
    assert!(Name::domain("").is_err());
    assert!(Name::domain("a_b.example").is_err());
    assert_eq!(
        Name::domain("Example.COM.").unwrap().to_string(),
        "example.com"
    );
    assert_eq!(
        Name::domain("xn--bcher-kva.example").unwrap().to_unicode(),
        "bücher.example"
    );
}

#[test]
fn display_escapes() {
    let n = Name::from_checked_wire(b"\x03a.b\x02\xc3\xbc\x00");
    assert_eq!(n.to_string(), "a\\.b.\\195\\188");
    assert_eq!(Name::root().to_string(), ".");
}

#[test]
fn compressor_reuses_suffixes() {
    let mut out = vec![0u8; 12];
    let mut c = Compressor::default();
    c.write(&Name::from_ascii("example.com").unwrap(), &mut out);
    c.write(&Name::from_ascii("mx.example.com").unwrap(), &mut out);
    c.write(&Name::root(), &mut out);
    assert_eq!(&out[12..], b"\x07example\x03com\x00\x02mx\xc0\x0c\x00");
    let (n, _) = read_name(&out, 25).unwrap();
    assert_eq!(n.to_string(), "mx.example.com");
}
