//! Decoding one realistic MX response (5 MX records, an A and an AAAA for
//! each in the additional section, EDNS, compressed names) and planning the
//! delivery, beside `hickory-proto`'s `Message::from_vec` on the same bytes.
//!
//! What each side does per iteration:
//!
//! * `hickory_proto_from_vec`: `Message::from_vec`, a full decode into an
//!   owned `Message` (header, question, every record with owned names and
//!   typed RDATA). No delivery plan.
//! * `mx_resolve_view_and_plan` (the headline figure): `MessageView::parse`
//!   validates every part of the message (RFC 1035 §4.1 grammar, every
//!   RFC 9267 rule: pointer direction and budget, label and name lengths,
//!   RDLENGTH against the RDATA, no trailing octets), then `plan_view`
//!   makes the RFC 5321 §5.1 plan: RCODE and TC checks, CNAME on the
//!   domain, the MX RRset of the domain, Null MX, dedupe, host-name and
//!   IP-literal checks, seeded shuffle and sort by preference, loop
//!   pruning, host cap, addresses from the answer and additional sections
//!   attached to their hosts (each host checked to be in the domain's
//!   bailiwick), family order, per-host and plan-wide caps
//!   and dedupe. The result is the ordered `Vec` of targets with their
//!   addresses; host names borrow from the response (`Plan<NameRef>`).
//! * `mx_resolve_view_and_owned_plan`: the same, then `into_owned` copies
//!   the host names out, for callers that keep the plan past the buffer.
//! * `mx_resolve_decode_and_plan`: the owned path, `Message::decode` (a
//!   full owned message like hickory's) and `plan_response`.
//! * `mx_resolve_view`, `mx_resolve_decode`: validation / decoding alone.

use std::hint::black_box;
use std::net::{Ipv4Addr, Ipv6Addr};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mx_resolve::PlanConfig;
use mx_resolve::plan::{plan_response, plan_view};
use mx_resolve::wire::{
    Edns, Header, Message, MessageView, Name, Question, RData, Record, RecordType,
};

fn name(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

/// The response a recursive resolver gives for `example.com MX`.
fn response() -> Vec<u8> {
    let domain = name("example.com");
    let mut header = Header::query(0x4d58);
    header.response = true;
    header.recursion_available = true;
    let mut m = Message::new(header, Question::new(domain.clone(), RecordType::MX));
    for (i, pref) in [10u16, 10, 20, 30, 40].into_iter().enumerate() {
        let host = name(&format!("mx{i}.mail.example.com"));
        m.answers.push(Record::new(
            domain.clone(),
            3600,
            RData::Mx {
                preference: pref,
                exchange: host.clone(),
            },
        ));
        m.additional.push(Record::new(
            host.clone(),
            3600,
            RData::A(Ipv4Addr::new(192, 0, 2, i as u8 + 1)),
        ));
        m.additional.push(Record::new(
            host,
            3600,
            RData::Aaaa(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, i as u16 + 1)),
        ));
    }
    m.edns = Some(Edns::new(1232));
    m.to_vec()
}

fn decode_and_plan(c: &mut Criterion) {
    let wire = response();
    let domain = name("example.com");
    let config = PlanConfig::default();
    // Both decoders must accept the bytes.
    assert!(hickory_proto::op::Message::from_vec(&wire).is_ok());
    let owned = plan_response(&domain, &Message::decode(&wire).unwrap(), &config, 1);
    assert!(matches!(
        owned.outcome,
        mx_resolve::Outcome::Targets(ref t) if t.len() == 5 && t.iter().all(|t| t.addresses.len() == 2)
    ));
    let view = MessageView::parse(&wire).unwrap();
    assert_eq!(plan_view(&domain, &view, &config, 1), owned);

    let mut group = c.benchmark_group("mx_response");
    group.throughput(Throughput::Bytes(wire.len() as u64));
    // The zero-copy path: validate every RFC 9267 rule in place, then plan.
    group.bench_function("mx_resolve_view_and_plan", |b| {
        let mut seed = 0u64;
        b.iter(|| {
            seed += 1;
            let view = MessageView::parse(black_box(&wire)).unwrap();
            black_box(plan_view(&domain, &view, &config, seed))
        })
    });
    // The same, with the host names copied out of the buffer.
    group.bench_function("mx_resolve_view_and_owned_plan", |b| {
        let mut seed = 0u64;
        b.iter(|| {
            seed += 1;
            let view = MessageView::parse(black_box(&wire)).unwrap();
            black_box(plan_view(&domain, &view, &config, seed).into_owned())
        })
    });
    // The owned path: a full `Message`, then plan.
    group.bench_function("mx_resolve_decode_and_plan", |b| {
        let mut seed = 0u64;
        b.iter(|| {
            seed += 1;
            let message = Message::decode(black_box(&wire)).unwrap();
            black_box(plan_response(&domain, &message, &config, seed))
        })
    });
    group.bench_function("mx_resolve_view", |b| {
        b.iter(|| black_box(MessageView::parse(black_box(&wire)).unwrap()))
    });
    group.bench_function("mx_resolve_decode", |b| {
        b.iter(|| black_box(Message::decode(black_box(&wire)).unwrap()))
    });
    group.bench_function("hickory_proto_from_vec", |b| {
        b.iter(|| black_box(hickory_proto::op::Message::from_vec(black_box(&wire)).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, decode_and_plan);
criterion_main!(benches);
