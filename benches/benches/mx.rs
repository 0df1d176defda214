//! Decoding one realistic MX response (5 MX records, an A and an AAAA for
//! each in the additional section, EDNS, compressed names) and planning the
//! delivery, beside `hickory-proto`'s `Message::from_vec` on the same bytes.

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
    assert!(matches!(
        plan_response(&domain, &Message::decode(&wire).unwrap(), &config, 1).outcome,
        mx_resolve::Outcome::Targets(ref t) if t.len() == 5
    ));

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
