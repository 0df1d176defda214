//! The MxLookup machine fed arbitrary replies in arbitrary pieces, over UDP
//! and TCP, with time passing: never panics, never transmits or asks for a
//! timer after it is done, and always finishes once time runs out.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mx_resolve::wire::{Message, Name};
use mx_resolve::{Event, LookupConfig, MxLookup, Protocol};

fuzz_target!(|data: &[u8]| {
    let Some((&control, mut data)) = data.split_first() else {
        return;
    };
    let resolvers = vec![
        "127.0.0.1:53".parse().unwrap(),
        "127.0.0.2:53".parse().unwrap(),
    ];
    let mut config = LookupConfig::with_resolvers(resolvers);
    config.edns = control & 1 == 0;
    config.use_additional = control & 2 == 0;
    let start = Instant::now();
    let mut now = start;
    let Ok(mut lookup) = MxLookup::new(
        Name::domain("example.com").unwrap(),
        config,
        now,
        u64::from(control),
    ) else {
        return;
    };
    let mut sent: Vec<(std::net::SocketAddr, Protocol, u16)> = Vec::new();
    let mut step = 0usize;
    while !data.is_empty() && !lookup.is_done() {
        while let Some(t) = lookup.poll_transmit() {
            let bytes: &[u8] = match t.protocol {
                Protocol::Udp => &t.payload,
                _ => &t.payload[2..],
            };
            let id = Message::decode(bytes).expect("queries decode").header.id;
            sent.push((t.destination, t.protocol, id));
        }
        let len = usize::from(data[0]).min(data.len() - 1);
        let (piece, rest) = data[1..].split_at(len);
        data = rest;
        let mut piece = piece.to_vec();
        if let Some(&(to, protocol, id)) = sent.get(step % sent.len().max(1)) {
            // Patch in a live id so that replies reach the deeper code.
            if piece.len() >= 2 && protocol == Protocol::Udp {
                piece[..2].copy_from_slice(&id.to_be_bytes());
            }
            lookup.handle_input(now, to, protocol, &piece);
        }
        step += 1;
        if step % 3 == 0 {
            now += Duration::from_millis(700 * u64::from(control % 5));
            lookup.handle_timeout(now);
        }
        while lookup.poll_event().is_some() {}
    }
    // Let time run out: the machine must finish.
    for _ in 0..1000 {
        if lookup.is_done() {
            break;
        }
        while lookup.poll_transmit().is_some() {}
        now = lookup.poll_timeout().expect("running lookups have a deadline").max(now);
        lookup.handle_timeout(now);
    }
    assert!(lookup.is_done());
    assert!(lookup.poll_transmit().is_none());
    assert!(lookup.poll_timeout().is_none());
    let mut done = 0;
    while let Some(e) = lookup.poll_event() {
        done += usize::from(matches!(e, Event::Done(_)));
    }
    assert!(done <= 1);
});
