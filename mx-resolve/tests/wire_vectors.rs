//! Byte-level DNS vectors: security-anchors §5.2 (D1–D18), checklist items
//! 54–60, and pop3-mx-anchors Part C cases 14–19.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use mx_resolve::WireError;
use mx_resolve::wire::{Message, RData, RecordType, TcpReassembler, build_query, frame};

fn err(bytes: &[u8]) -> WireError {
    Message::decode(bytes).expect_err("must be rejected")
}

#[test]
fn base_message_decodes() {
    let m = Message::decode(&BASE).unwrap();
    let q = m.question.as_ref().unwrap();
    let mx: Vec<_> = m.mx_records(&q.name).collect();
    assert_eq!(mx.len(), 1);
    assert_eq!(mx[0].1.to_string(), "mx.example.com");
}

#[test]
fn d1_pointer_to_itself() {
    // Exchange at 0x2b is a pointer to 0x2b.
    let e = err(&base_with_rdata(b"\x00\x04\x00\x0a\xc0\x2b"));
    assert!(
        matches!(e, WireError::PointerNotBackwards { target: 0x2b, .. }),
        "{e}"
    );
}

#[test]
fn d2_label_then_pointer_to_own_start() {
    let e = err(&base_with_rdata(b"\x00\x07\x00\x0a\x02mx\xc0\x2b"));
    assert!(matches!(e, WireError::PointerNotBackwards { .. }), "{e}");
}

#[test]
fn d3_forward_and_out_of_message_pointer() {
    let e = err(&base_with_rdata(b"\x00\x04\x00\x0a\xc0\xff"));
    assert!(matches!(e, WireError::PointerNotBackwards { .. }), "{e}");
    let e = err(&base_with_rdata(b"\x00\x04\x00\x0a\xff\xff"));
    assert!(matches!(e, WireError::PointerNotBackwards { .. }), "{e}");
}

#[test]
fn d4_pointer_into_header() {
    let e = err(&base_with_rdata(b"\x00\x04\x00\x0a\xc0\x00"));
    assert!(matches!(e, WireError::PointerIntoHeader { .. }), "{e}");
    let e = err(&base_with_rdata(b"\x00\x04\x00\x0a\xc0\x0b"));
    assert!(matches!(e, WireError::PointerIntoHeader { .. }), "{e}");
}

#[test]
fn d5_reserved_label_types_and_long_labels() {
    for octet in [0x40u8, 0x41, 0x7f, 0x80, 0x81, 0xbf] {
        let e = err(&base_with_rdata(&[
            0x00, 0x05, 0x00, 0x0a, octet, 0x00, 0x00,
        ]));
        assert!(
            matches!(e, WireError::ReservedLabelType { .. }),
            "{octet:#x}: {e}"
        );
    }
}

#[test]
fn case16_mid_label_pointer() {
    // Offset 13 is inside "example": 'x' = 0x78 reads as a reserved type.
    let e = err(&base_with_rdata(b"\x00\x04\x00\x0a\xc0\x0d"));
    assert!(matches!(e, WireError::ReservedLabelType { .. }), "{e}");
}

/// Five MX records whose exchanges chain 63-octet labels through backward
/// pointers: 65, 129, 193, 257, 321 octets plus the root (Part C 17).
fn chained_long_names(count: usize) -> Vec<u8> {
    let mut m = BASE[..29].to_vec();
    m[7] = count as u8; // ANCOUNT
    let mut prev: Option<usize> = None;
    for _ in 0..count {
        m.extend_from_slice(b"\xc0\x0c\x00\x0f\x00\x01\x00\x00\x0e\x10");
        let rdlen = 2 + 1 + 63 + if prev.is_some() { 2 } else { 1 };
        m.extend_from_slice(&(rdlen as u16).to_be_bytes());
        m.extend_from_slice(&[0, 10]);
        let label_at = m.len();
        m.push(63);
        m.extend(std::iter::repeat_n(b'a', 63));
        match prev {
            Some(p) => m.extend_from_slice(&(0xc000u16 | p as u16).to_be_bytes()),
            None => m.push(0),
        }
        prev = Some(label_at);
    }
    m
}

#[test]
fn d6_case17_over_long_names_via_pointers() {
    for count in 1..=3 {
        let m = Message::decode(&chained_long_names(count)).unwrap();
        assert_eq!(m.answers.len(), count);
    }
    for count in 4..=5 {
        let e = err(&chained_long_names(count));
        assert!(matches!(e, WireError::NameTooLong { .. }), "{e}");
    }
    // 128 one-octet labels: 257 octets.
    let mut name = Vec::new();
    for _ in 0..128 {
        name.extend_from_slice(b"\x01a");
    }
    name.push(0);
    let mut rd = ((name.len() + 2) as u16).to_be_bytes().to_vec();
    rd.extend_from_slice(&[0, 10]);
    rd.extend_from_slice(&name);
    let e = err(&base_with_rdata(&rd));
    assert!(matches!(e, WireError::NameTooLong { .. }), "{e}");
}

#[test]
fn d7_mx_rdata_shorter_than_three() {
    for rd in [&b"\x00\x00"[..], b"\x00\x01\x00", b"\x00\x02\x00\x0a"] {
        let e = err(&base_with_rdata(rd));
        assert!(matches!(e, WireError::RdataLengthMismatch { .. }), "{e}");
    }
}

#[test]
fn d8_rdlength_beyond_message() {
    let e = err(&base_with_rdata(b"\x00\xff\x00\x0a\x02mx\xc0\x0c"));
    assert!(matches!(e, WireError::Truncated { .. }), "{e}");
}

#[test]
fn d9_case18_rdlength_mismatch() {
    // RDLENGTH 5 for a 7-octet RDATA.
    let e = err(&base_with_rdata(b"\x00\x05\x00\x0a\x02mx\xc0\x0c"));
    assert!(
        matches!(
            e,
            WireError::RdataLengthMismatch { .. } | WireError::TrailingOctets { .. }
        ),
        "{e}"
    );
    // RDLENGTH 3 for a 7-octet RDATA.
    let e = err(&base_with_rdata(b"\x00\x03\x00\x0a\x02mx\xc0\x0c"));
    assert!(
        matches!(
            e,
            WireError::RdataLengthMismatch { .. } | WireError::TrailingOctets { .. }
        ),
        "{e}"
    );
    // RDLENGTH 2 larger than the name (trailing garbage inside RDATA).
    let e = err(&base_with_rdata(b"\x00\x09\x00\x0a\x02mx\xc0\x0c\xde\xad"));
    assert!(matches!(e, WireError::RdataLengthMismatch { .. }), "{e}");
    // A and AAAA must be exactly 4 and 16 octets.
    let mut m = BASE[..29].to_vec();
    m.extend_from_slice(b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x05\x01\x02\x03\x04\x05");
    assert!(matches!(err(&m), WireError::RdataLengthMismatch { .. }));
}

#[test]
fn d10_ancount_lie_does_not_allocate() {
    let mut m = BASE.to_vec();
    m[6] = 0xff;
    m[7] = 0xff;
    let e = err(&m);
    assert!(matches!(e, WireError::Truncated { .. }), "{e}");
    // All four counts at 0xffff on a header-only message.
    let mut h = BASE[..12].to_vec();
    h[4..12].fill(0xff);
    assert!(matches!(
        err(&h),
        WireError::TooManyQuestions { count: 0xffff }
    ));
}

#[test]
fn d11_truncation_at_every_offset() {
    for cut in 0..BASE.len() {
        assert!(
            Message::decode(&BASE[..cut]).is_err(),
            "prefix of {cut} octets accepted"
        );
    }
    let long = chained_long_names(3);
    for cut in 0..long.len() {
        assert!(
            Message::decode(&long[..cut]).is_err(),
            "prefix of {cut} octets accepted"
        );
    }
}

#[test]
fn d12_tc_bit_is_visible() {
    let mut m = BASE.to_vec();
    m[2] = 0x83;
    assert!(Message::decode(&m).unwrap().header.truncated);
}

#[test]
fn d14_qdcount_two() {
    let mut m = BASE.to_vec();
    m[5] = 2;
    assert!(matches!(err(&m), WireError::TooManyQuestions { count: 2 }));
}

#[test]
fn d15_null_mx_decodes_as_root() {
    let m = Message::decode(&base_with_rdata(b"\x00\x03\x00\x00\x00")).unwrap();
    match &m.answers[0].data {
        RData::Mx {
            preference: 0,
            exchange,
        } => assert!(exchange.is_root()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn d16_bad_targets_are_flagged_not_hidden() {
    for (rd, hostname) in [
        (&b"\x00\x0d\x00\x0a\x03192\x010\x012\x011\x00"[..], false),
        (b"\x00\x08\x00\x0a\x03a-b\xc0\x0c", true),
        (b"\x00\x08\x00\x0a\x03a_b\xc0\x0c", false),
        (b"\x00\x08\x00\x0a\x03a b\xc0\x0c", false),
        (b"\x00\x08\x00\x0a\x03a\x00b\xc0\x0c", false),
        (b"\x00\x08\x00\x0a\x03a@b\xc0\x0c", false),
    ] {
        let m = Message::decode(&base_with_rdata(rd)).unwrap();
        let RData::Mx { exchange, .. } = &m.answers[0].data else {
            panic!()
        };
        assert_eq!(exchange.is_hostname(), hostname, "{exchange}");
    }
    let m = Message::decode(&base_with_rdata(
        b"\x00\x0d\x00\x0a\x03192\x010\x012\x011\x00",
    ))
    .unwrap();
    let RData::Mx { exchange, .. } = &m.answers[0].data else {
        panic!()
    };
    assert_eq!(exchange.ip_literal().unwrap().to_string(), "192.0.2.1");
}

#[test]
fn d17_item60_chain_of_8000_backward_pointers() {
    // A TCP-sized message: 8000 two-octet pointers each pointing to the
    // previous one, then an MX whose exchange points at the last one.
    let mut m = BASE[..29].to_vec();
    // Put the chain inside the RDATA of an unknown-type record.
    m[7] = 2;
    let chain_start = m.len() + 12;
    m.extend_from_slice(b"\xc0\x0c\x00\xff\x00\x01\x00\x00\x00\x00");
    m.extend_from_slice(&(2u16 * 8000).to_be_bytes());
    for i in 0..8000usize {
        let target = if i == 0 {
            12
        } else {
            chain_start + 2 * (i - 1)
        };
        m.extend_from_slice(&(0xc000u16 | target as u16).to_be_bytes());
    }
    let last = chain_start + 2 * 7999;
    m.extend_from_slice(b"\xc0\x0c\x00\x0f\x00\x01\x00\x00\x0e\x10\x00\x04\x00\x0a");
    m.extend_from_slice(&(0xc000u16 | last as u16).to_be_bytes());
    let e = err(&m);
    assert!(matches!(e, WireError::TooManyPointers { .. }), "{e}");
}

#[test]
fn case15_pointer_chain_is_legal() {
    // Answer 1: exchange "mx1" + pointer to the question name.
    // Answer 2: exchange "mx2" + pointer to a pointer (answer 1's pointer
    // at its exchange end), i.e. pointer → pointer → name.
    let mut m = BASE[..29].to_vec();
    m[7] = 2;
    m.extend_from_slice(b"\xc0\x0c\x00\x0f\x00\x01\x00\x00\x0e\x10\x00\x08\x00\x0a\x03mx1\xc0\x0c");
    let ptr_at = m.len() - 2;
    m.extend_from_slice(b"\xc0\x0c\x00\x0f\x00\x01\x00\x00\x0e\x10\x00\x08\x00\x14\x03mx2");
    m.extend_from_slice(&(0xc000u16 | ptr_at as u16).to_be_bytes());
    let msg = Message::decode(&m).unwrap();
    let RData::Mx { exchange, .. } = &msg.answers[1].data else {
        panic!()
    };
    assert_eq!(exchange.to_string(), "mx2.example.com");
}

#[test]
fn case15_two_pointer_cycle() {
    // "a" + pointer forward to a pointer back to the start of "a".
    let mut m = BASE[..29].to_vec();
    let start = m.len() + 12 + 2;
    m.extend_from_slice(b"\xc0\x0c\x00\x0f\x00\x01\x00\x00\x0e\x10\x00\x06\x00\x0a\x01a");
    let fwd = m.len() + 2;
    m.extend_from_slice(&(0xc000u16 | fwd as u16).to_be_bytes());
    m.extend_from_slice(&(0xc000u16 | start as u16).to_be_bytes());
    assert!(Message::decode(&m).is_err());
}

#[test]
fn opt_record_rules() {
    // OPT in the answer section is refused.
    let mut m = BASE[..29].to_vec();
    m[7] = 1;
    m.extend_from_slice(b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00");
    assert!(matches!(err(&m), WireError::BadOpt { .. }));
    // Two OPT records in the additional section are refused.
    let mut m = BASE.to_vec();
    m[11] = 2;
    m.extend_from_slice(b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00");
    m.extend_from_slice(b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00");
    assert!(matches!(err(&m), WireError::BadOpt { .. }));
    // One is fine; the extended RCODE merges.
    let mut m = BASE.to_vec();
    m[11] = 1;
    m.extend_from_slice(b"\x00\x00\x29\x04\xd0\x01\x00\x00\x00\x00\x00");
    let msg = Message::decode(&m).unwrap();
    assert_eq!(msg.edns.as_ref().unwrap().udp_payload_size, 1232);
    assert_eq!(msg.rcode().to_u16(), 16);
}

#[test]
fn unknown_types_are_skipped_raw() {
    let mut m = BASE[..29].to_vec();
    m[7] = 2;
    m.extend_from_slice(b"\xc0\x0c\x00\x10\x00\x01\x00\x00\x0e\x10\x00\x04\x03abc");
    m.extend_from_slice(&BASE[29..]);
    let msg = Message::decode(&m).unwrap();
    assert_eq!(msg.answers.len(), 2);
    assert_eq!(msg.answers[0].data.rtype(), RecordType(16));
}

#[test]
fn case19_tcp_length_split() {
    let framed = frame(&BASE).unwrap();
    assert_eq!(&framed[..2], &[0x00, 0x30]);
    let mut r = TcpReassembler::new();
    r.push(&framed[..1]);
    assert!(r.next_message().is_none());
    r.push(&framed[1..]);
    assert_eq!(r.next_message().unwrap(), BASE.to_vec());
}

#[test]
fn query_roundtrip() {
    let q = build_query(7, &n("example.com"), RecordType::MX, true);
    let m = Message::decode(&q).unwrap();
    assert_eq!(m.header.id, 7);
    assert!(m.header.recursion_desired && !m.header.response);
    assert_eq!(m.edns.unwrap().udp_payload_size, 1232);
}

/// Differential check: a response compressed by hickory-proto's encoder
/// decodes to the same records here.
#[test]
fn decodes_what_hickory_writes() {
    use hickory_proto::op::{Message as HMessage, MessageType, OpCode, Query};
    use hickory_proto::rr::rdata::{A as HA, AAAA as HAAAA, MX as HMX};
    use hickory_proto::rr::{Name as HName, RData as H, Record as HRecord, RecordType as HType};
    let domain = HName::from_ascii("Example.COM.").unwrap();
    let mut h = HMessage::new(0x5151, MessageType::Response, OpCode::Query);
    h.add_query(Query::query(domain.clone(), HType::MX));
    for (i, pref) in [(1u8, 20u16), (2, 10), (3, 10)] {
        let host = HName::from_ascii(format!("mx{i}.mail.example.com.")).unwrap();
        h.add_answer(HRecord::from_rdata(
            domain.clone(),
            300,
            H::MX(HMX::new(pref, host.clone())),
        ));
        h.add_additional(HRecord::from_rdata(
            host.clone(),
            300,
            H::A(HA([192, 0, 2, i].into())),
        ));
        h.add_additional(HRecord::from_rdata(
            host,
            300,
            H::AAAA(HAAAA(std::net::Ipv6Addr::new(
                0x2001,
                0xdb8,
                0,
                0,
                0,
                0,
                0,
                u16::from(i),
            ))),
        ));
    }
    let bytes = h.to_vec().unwrap();
    let m = Message::decode(&bytes).unwrap();
    assert_eq!(m.header.id, 0x5151);
    let q = m.question.as_ref().unwrap();
    assert_eq!(q.name.to_string(), "example.com");
    let mx: Vec<(u16, String)> = m
        .mx_records(&q.name)
        .map(|(p, e, _)| (p, e.to_string()))
        .collect();
    assert_eq!(
        mx,
        [
            (20, "mx1.mail.example.com".into()),
            (10, "mx2.mail.example.com".into()),
            (10, "mx3.mail.example.com".into())
        ]
    );
    assert_eq!(m.additional.len(), 6);
    let view = mx_resolve::wire::MessageView::parse(&bytes).unwrap();
    assert_eq!(view.answers().count(), 3);
    assert_eq!(view.additional().count(), 6);
}
