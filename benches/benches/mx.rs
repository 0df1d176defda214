//! Decoding MX responses of several realistic shapes and planning the
//! delivery, beside `hickory-proto`'s `Message::from_vec` on the same bytes.
//!
//! The shapes (every one with EDNS and compressed names, as a recursive
//! resolver sends them):
//!
//! * `hosted_1mx`: one MX to a hosted mail service outside the domain
//!   (`example-com.mail.protection.outlook.example`), no glue: the most
//!   common answer on the Internet. The plan is a temporary failure
//!   (the host's addresses must be looked up).
//! * `mx3_no_glue`: three MX records in the domain, no additional
//!   section (a resolver with minimal responses).
//! * `mx2_glue`: two MX records with an A and an AAAA each in the
//!   additional section.
//! * `mx5_glue`: five MX records (two of equal preference) with an A and
//!   an AAAA each.
//! * `gmail_like`: five MX records `aspmx.l.example.com` and
//!   `alt1..alt4.aspmx.l.example.com` (each compressed against the first),
//!   an A and an AAAA each.
//!
//! What each side does per iteration:
//!
//! * `hickory_from_vec`: `Message::from_vec`, a full decode into an owned
//!   `Message` (header, question, every record with owned names and typed
//!   RDATA). No delivery plan.
//! * `view_and_plan` (the headline figure): `MessageView::parse`
//!   validates every part of the message (RFC 1035 §4.1 grammar, every
//!   RFC 9267 rule: pointer direction and budget, label and name lengths,
//!   RDLENGTH against the RDATA, no trailing octets), then `plan_view`
//!   makes the RFC 5321 §5.1 plan: RCODE and TC checks, CNAME on the
//!   domain, the MX RRset of the domain, Null MX, dedupe, host-name and
//!   IP-literal checks, seeded shuffle and sort by preference, loop
//!   pruning, host cap, addresses from the answer and additional sections
//!   attached to their hosts (each host checked to be in the domain's
//!   bailiwick), family order, per-host and plan-wide caps and dedupe.
//!   Host names borrow from the response (`Plan<NameRef>`).
//! * `view_and_owned_plan`: the same, then `into_owned` copies the host
//!   names out, for callers that keep the plan past the buffer.
//! * `decode_and_plan`: the owned path, `Message::decode` (a full owned
//!   message like hickory's) and `plan_response`.
//! * `view`, `decode`: validation / decoding alone.
//!
//! With `MX_ROUNDS=n` in the environment the bench instead runs every
//! contender once per round (a batch of iterations each), interleaved,
//! for `n` rounds, and prints the median time per message of each and
//! hickory's time divided by it, which is steadier than separate runs on a
//! busy machine. `MX_SHAPE=name` keeps the shapes whose name contains it.

use std::hint::black_box;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use mx_resolve::PlanConfig;
use mx_resolve::plan::{plan_response, plan_view};
use mx_resolve::wire::{
    Edns, Header, Message, MessageView, Name, Question, RData, Record, RecordType,
};

fn name(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

/// One response shape: the domain asked for and the response's bytes.
struct Shape {
    name: &'static str,
    domain: Name,
    wire: Vec<u8>,
    /// Targets and addresses per target the plan must give.
    targets: usize,
    addresses: usize,
}

/// The response a recursive resolver gives for `domain MX` with these
/// exchanges, and an A and an AAAA for each in the additional section
/// when `glue`.
fn response(domain: &str, exchanges: &[(u16, &str)], glue: bool) -> Vec<u8> {
    let domain = name(domain);
    let mut header = Header::query(0x4d58);
    header.response = true;
    header.recursion_desired = true;
    header.recursion_available = true;
    let mut m = Message::new(header, Question::new(domain.clone(), RecordType::MX));
    for (i, &(pref, host)) in exchanges.iter().enumerate() {
        let host = name(host);
        m.answers.push(Record::new(
            domain.clone(),
            3600,
            RData::Mx {
                preference: pref,
                exchange: host.clone(),
            },
        ));
        if glue {
            m.additional.push(Record::new(
                host.clone(),
                300,
                RData::A(Ipv4Addr::new(192, 0, 2, i as u8 + 1)),
            ));
            m.additional.push(Record::new(
                host,
                300,
                RData::Aaaa(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, i as u16 + 1)),
            ));
        }
    }
    m.edns = Some(Edns::new(1232));
    m.to_vec()
}

fn shapes() -> Vec<Shape> {
    let shape = |name, domain: &str, exchanges: &[(u16, &str)], glue, targets, addresses| Shape {
        name,
        domain: self::name(domain),
        wire: response(domain, exchanges, glue),
        targets,
        addresses,
    };
    vec![
        shape(
            "hosted_1mx",
            "example.com",
            &[(0, "example-com.mail.protection.outlook.example")],
            false,
            0,
            0,
        ),
        shape(
            "mx3_no_glue",
            "example.com",
            &[
                (10, "mx1.example.com"),
                (20, "mx2.example.com"),
                (30, "mx3.example.com"),
            ],
            false,
            0,
            0,
        ),
        shape(
            "mx2_glue",
            "example.com",
            &[(10, "mx1.example.com"), (20, "mx2.example.com")],
            true,
            2,
            2,
        ),
        shape(
            "mx5_glue",
            "example.com",
            &[
                (10, "mx0.mail.example.com"),
                (10, "mx1.mail.example.com"),
                (20, "mx2.mail.example.com"),
                (30, "mx3.mail.example.com"),
                (40, "mx4.mail.example.com"),
            ],
            true,
            5,
            2,
        ),
        shape(
            "gmail_like",
            "example.com",
            &[
                (5, "aspmx.l.example.com"),
                (10, "alt1.aspmx.l.example.com"),
                (20, "alt2.aspmx.l.example.com"),
                (30, "alt3.aspmx.l.example.com"),
                (40, "alt4.aspmx.l.example.com"),
            ],
            true,
            5,
            2,
        ),
    ]
}

/// Checks that every contender accepts the bytes and that the plans agree.
fn check(shape: &Shape, config: &PlanConfig) {
    let wire = &shape.wire;
    let hickory = hickory_proto::op::Message::from_vec(wire).unwrap();
    assert_eq!(hickory.answers.len(), wire[7] as usize);
    let owned = plan_response(&shape.domain, &Message::decode(wire).unwrap(), config, 1);
    match &owned.outcome {
        mx_resolve::Outcome::Targets(t) => {
            assert_eq!(t.len(), shape.targets, "{}", shape.name);
            assert!(t.iter().all(|t| t.addresses.len() == shape.addresses));
        }
        other => {
            assert_eq!(shape.targets, 0, "{}: {other:?}", shape.name);
            assert!(matches!(other, mx_resolve::Outcome::TempFail(_)));
        }
    }
    let view = MessageView::parse(wire).unwrap();
    assert_eq!(plan_view(&shape.domain, &view, config, 1), owned);
}

/// The contenders, by name.
const CONTENDERS: [&str; 6] = [
    "view_and_plan",
    "view_and_owned_plan",
    "decode_and_plan",
    "view",
    "decode",
    "hickory_from_vec",
];

/// Runs contender `which` `iters` times on `shape`; returns the time taken.
/// The contender is chosen once, outside the timed loop.
fn time(which: &str, shape: &Shape, config: &PlanConfig, iters: u64) -> Duration {
    let (wire, domain) = (&shape.wire[..], &shape.domain);
    let run = |f: &mut dyn FnMut(u64)| {
        let start = Instant::now();
        for seed in 0..iters {
            f(seed);
        }
        start.elapsed()
    };
    match which {
        "view_and_plan" => run(&mut |seed| {
            let view = MessageView::parse(black_box(wire)).unwrap();
            black_box(plan_view(domain, &view, config, seed));
        }),
        "view_and_owned_plan" => run(&mut |seed| {
            let view = MessageView::parse(black_box(wire)).unwrap();
            black_box(plan_view(domain, &view, config, seed).into_owned());
        }),
        "decode_and_plan" => run(&mut |seed| {
            let message = Message::decode(black_box(wire)).unwrap();
            black_box(plan_response(domain, &message, config, seed));
        }),
        "view" => run(&mut |_| {
            black_box(MessageView::parse(black_box(wire)).unwrap());
        }),
        "decode" => run(&mut |_| {
            black_box(Message::decode(black_box(wire)).unwrap());
        }),
        _ => run(&mut |_| {
            black_box(hickory_proto::op::Message::from_vec(black_box(wire)).unwrap());
        }),
    }
}

fn decode_and_plan(c: &mut Criterion) {
    let config = PlanConfig::default();
    for shape in shapes() {
        check(&shape, &config);
        let mut group = c.benchmark_group(format!("mx_response/{}", shape.name));
        group.throughput(Throughput::Bytes(shape.wire.len() as u64));
        for which in CONTENDERS {
            group.bench_function(which, |b| {
                b.iter_custom(|iters| time(which, &shape, &config, iters))
            });
        }
        group.finish();
    }
}

/// Iterations per contender and round: long enough (tens of µs) for the
/// clock, short enough that a round interleaves the contenders finely.
const BATCH: u64 = 200;

/// Runs every contender once per round, interleaved, and prints medians
/// and the ratio of hickory's time to each.
fn rounds(count: usize, filter: Option<&str>) {
    let config = PlanConfig::default();
    println!("| shape | octets | contender | ns/message, median of {count} | hickory ÷ this |");
    println!("|---|---|---|---|---|");
    for shape in shapes() {
        if filter.is_some_and(|f| !shape.name.contains(f)) {
            continue;
        }
        check(&shape, &config);
        // Warm up caches and branch predictors.
        for which in CONTENDERS {
            time(which, &shape, &config, BATCH * 10);
        }
        let mut seconds = vec![Vec::with_capacity(count); CONTENDERS.len()];
        for _ in 0..count {
            for (which, times) in CONTENDERS.iter().zip(&mut seconds) {
                times.push(time(which, &shape, &config, BATCH).as_secs_f64());
            }
        }
        let medians: Vec<f64> = benches::medians(&mut seconds)
            .into_iter()
            .map(|m| m / BATCH as f64)
            .collect();
        let hickory = medians.last().copied().unwrap_or(f64::NAN);
        for (which, m) in CONTENDERS.iter().zip(&medians) {
            println!(
                "| {} | {} | {which} | {:.0} | {:.2} |",
                shape.name,
                shape.wire.len(),
                m * 1e9,
                hickory / m
            );
        }
    }
}

fn main() {
    if let Ok(count) = std::env::var("MX_ROUNDS") {
        let filter = std::env::var("MX_SHAPE").ok();
        rounds(count.parse().unwrap_or(21), filter.as_deref());
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    decode_and_plan(&mut criterion);
    criterion.final_summary();
}
