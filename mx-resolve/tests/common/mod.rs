//! Shared helpers: record builders and a scripted fake resolver.
#![allow(dead_code, unreachable_pub)]

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use mx_resolve::wire::{Header, Message, Name, Question, RData, Record, RecordType};
use mx_resolve::{Event, LookupConfig, MxLookup, Outcome, Protocol, Transmit};

pub fn n(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

pub fn mx(owner: &str, preference: u16, exchange: &str) -> Record {
    Record::new(
        n(owner),
        300,
        RData::Mx {
            preference,
            exchange: n(exchange),
        },
    )
}

pub fn a(owner: &str, ip: &str) -> Record {
    match ip.parse::<IpAddr>().unwrap() {
        IpAddr::V4(v4) => Record::new(n(owner), 300, RData::A(v4)),
        IpAddr::V6(v6) => Record::new(n(owner), 300, RData::Aaaa(v6)),
    }
}

pub fn cname(owner: &str, target: &str) -> Record {
    Record::new(n(owner), 300, RData::Cname(n(target)))
}

pub fn soa(owner: &str) -> Record {
    Record::new(
        n(owner),
        300,
        RData::Other {
            rtype: RecordType::SOA,
            data: b"\x00\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01"
                .to_vec(),
        },
    )
}

/// A response to `question` with this id.
pub fn response(id: u16, qname: &str, qtype: RecordType) -> Message {
    let mut header = Header::query(id);
    header.response = true;
    header.recursion_available = true;
    Message::new(header, Question::new(n(qname), qtype))
}

/// The canned 48-octet response of security-anchors §5.2.
pub const BASE: [u8; 48] = [
    0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x07, b'e', b'x', b'a',
    b'm', b'p', b'l', b'e', 0x03, b'c', b'o', b'm', 0x00, 0x00, 0x0f, 0x00, 0x01, 0xc0, 0x0c, 0x00,
    0x0f, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x07, 0x00, 0x0a, 0x02, b'm', b'x', 0xc0, 0x0c,
];

/// BASE with the answer's RDLENGTH+RDATA replaced.
pub fn base_with_rdata(rdlen_and_rdata: &[u8]) -> Vec<u8> {
    let mut m = BASE[..39].to_vec();
    m.extend_from_slice(rdlen_and_rdata);
    m
}

pub const R1: &str = "192.0.2.53:53";
pub const R2: &str = "198.51.100.53:53";

pub fn resolver(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// What the fake resolver does with one query.
pub enum Reply {
    /// Send this message (id and question are filled in).
    Message(Message),
    /// Send these raw bytes as they are.
    Raw(Vec<u8>),
    /// Stay silent.
    Drop,
}

/// A decoded query as the fake resolver sees it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub to: SocketAddr,
    pub protocol: Protocol,
    pub id: u16,
    pub question: Question,
    pub edns: bool,
}

pub fn decode_transmit(t: &Transmit) -> (Seen, Message) {
    let bytes: &[u8] = match t.protocol {
        Protocol::Udp => &t.payload,
        Protocol::Tcp => {
            let len = u16::from_be_bytes([t.payload[0], t.payload[1]]) as usize;
            assert_eq!(len + 2, t.payload.len());
            &t.payload[2..]
        }
    };
    let q = Message::decode(bytes).unwrap();
    assert!(!q.header.response);
    assert!(q.header.recursion_desired);
    (
        Seen {
            to: t.destination,
            protocol: t.protocol,
            id: q.header.id,
            question: q.question.clone().unwrap(),
            edns: q.edns.is_some(),
        },
        q,
    )
}

/// Drives `lookup` against `script` until done, advancing a fake clock
/// when nothing answers. Returns the outcome, the diagnostics and every
/// query seen. TCP replies are fed split after the first octet.
pub fn drive(
    mut lookup: MxLookup,
    start: Instant,
    script: impl FnMut(&Seen) -> Reply,
) -> (Outcome, Vec<Event>, Vec<Seen>) {
    drive_ref(&mut lookup, start, script)
}

/// [`drive`] on a borrowed lookup, to read it afterwards.
pub fn drive_ref(
    lookup: &mut MxLookup,
    start: Instant,
    mut script: impl FnMut(&Seen) -> Reply,
) -> (Outcome, Vec<Event>, Vec<Seen>) {
    let mut now = start;
    let mut seen = Vec::new();
    let mut events = Vec::new();
    for _ in 0..10_000 {
        while let Some(t) = lookup.poll_transmit() {
            let (s, _) = decode_transmit(&t);
            let reply = script(&s);
            seen.push(s.clone());
            let bytes = match reply {
                Reply::Message(mut m) => {
                    m.header.id = s.id;
                    m.to_vec()
                }
                Reply::Raw(b) => b,
                Reply::Drop => continue,
            };
            match s.protocol {
                Protocol::Udp => lookup.handle_input(now, s.to, Protocol::Udp, &bytes),
                Protocol::Tcp => {
                    let mut framed = (bytes.len() as u16).to_be_bytes().to_vec();
                    framed.extend_from_slice(&bytes);
                    let (x, y) = framed.split_at(1);
                    lookup.handle_input(now, s.to, Protocol::Tcp, x);
                    lookup.handle_input(now, s.to, Protocol::Tcp, y);
                }
            }
        }
        while let Some(e) = lookup.poll_event() {
            if let Event::Done(o) = &e {
                let o = o.clone();
                events.push(e);
                while let Some(e) = lookup.poll_event() {
                    events.push(e);
                }
                assert!(lookup.poll_transmit().is_none());
                assert!(lookup.poll_timeout().is_none());
                return (o, events, seen);
            }
            events.push(e);
        }
        let next = lookup
            .poll_timeout()
            .expect("a running lookup has a deadline");
        assert!(next >= now, "deadline in the past");
        now = next.max(now + Duration::from_millis(1));
        lookup.handle_timeout(now);
    }
    panic!("lookup did not finish");
}

#[allow(clippy::disallowed_methods)] // tests need one real Instant to start from
pub fn lookup(domain: &str, config: LookupConfig, seed: u64) -> (MxLookup, Instant) {
    let now = Instant::now();
    (
        MxLookup::new(Name::domain(domain).unwrap(), config, now, seed).unwrap(),
        now,
    )
}

pub fn config1() -> LookupConfig {
    LookupConfig::with_resolvers(vec![resolver(R1)])
}
