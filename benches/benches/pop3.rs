//! POP3 RETR of a 1 MiB message: the client machine reading the multi-line answer (status
//! line, dot-unstuffing, end detection, chunk events) beside a plain copy of the same bytes
//! (the physical limit), and the server machine writing it (dot-stuffing) beside a copy.
//!
//! The client is fed the answer in 16 KiB reads, as a socket would deliver it; every read is
//! copied once into the session's buffer and handed back as zero-copy chunks.

#![allow(clippy::disallowed_methods)] // one real instant to start the machines

use std::hint::black_box;
use std::time::Instant;

use benches::{message_body, stuffed};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use mail_sansio::Session;
use pop3_proto::{
    Client, ClientConfig, ClientEvent, Maildrop, MessageNumber, Password, Server, ServerConfig,
    ServerEvent, TlsMode, Uid, Username,
};

const READ: usize = 16 * 1024;

/// A client logged in, with `RETR 1` sent.
fn client_waiting_for_retr(now: Instant) -> Client {
    let mut client = Client::new(ClientConfig::new(TlsMode::DangerousPlaintext), now);
    client.handle_input(now, b"+OK ready\r\n+OK\r\nUSER\r\n.\r\n");
    while let Ok(Some(_)) = client.poll_event() {}
    client
        .login(
            &Username::try_from("u").unwrap(),
            &Password::try_from("p").unwrap(),
        )
        .unwrap();
    client.handle_input(now, b"+OK\r\n+OK\r\n");
    while let Ok(Some(_)) = client.poll_event() {}
    client.retr(MessageNumber::new(1).unwrap()).unwrap();
    while client.poll_transmit().is_some() {}
    client
}

fn read_retr(client: &mut Client, wire: &[u8], now: Instant) -> usize {
    let mut total = 0;
    for piece in wire.chunks(READ) {
        client.handle_input(now, piece);
        while let Ok(Some(event)) = client.poll_event() {
            match event {
                ClientEvent::Data(bytes) => total += bytes.len(),
                ClientEvent::Completed { .. } => return total,
                _ => {}
            }
        }
    }
    panic!("RETR did not complete")
}

fn client_retr(c: &mut Criterion) {
    let body = message_body(1 << 20);
    let mut wire = format!("+OK {} octets\r\n", body.len()).into_bytes();
    wire.extend_from_slice(&stuffed(&body));
    let now = Instant::now();

    let mut group = c.benchmark_group("pop3_retr_client_1MiB");
    group.throughput(Throughput::Bytes(wire.len() as u64));
    let mut out = Vec::with_capacity(wire.len());
    group.bench_function("memcpy", |b| {
        b.iter(|| {
            out.clear();
            for piece in black_box(&wire[..]).chunks(READ) {
                out.extend_from_slice(piece);
            }
            black_box(out.len())
        })
    });
    group.bench_function("pop3_proto_client", |b| {
        b.iter_batched_ref(
            || client_waiting_for_retr(now),
            |client| {
                let n = read_retr(client, black_box(&wire), now);
                assert_eq!(n, body.len());
                black_box(n)
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn server_retr(c: &mut Criterion) {
    let body = message_body(1 << 20);
    let now = Instant::now();
    let logged_in = || {
        let mut server = Server::new(ServerConfig::new(TlsMode::DangerousPlaintext), now);
        server.handle_input(now, b"USER u\r\nPASS p\r\n");
        while let Ok(Some(ServerEvent::Login { .. })) = server.poll_event() {
            let mut m = Maildrop::new();
            m.push(body.len() as u64, Uid::try_from("a").unwrap())
                .unwrap();
            server.accept_login(m).unwrap();
        }
        while server.poll_transmit().is_some() {}
        server.handle_input(now, b"RETR 1\r\n");
        assert!(matches!(
            server.poll_event(),
            Ok(Some(ServerEvent::Retrieve { .. }))
        ));
        server
    };

    let mut group = c.benchmark_group("pop3_retr_server_1MiB");
    group.throughput(Throughput::Bytes(body.len() as u64));
    let mut out = Vec::with_capacity(body.len() + 4096);
    group.bench_function("memcpy", |b| {
        b.iter(|| {
            out.clear();
            for piece in black_box(&body[..]).chunks(READ) {
                out.extend_from_slice(piece);
            }
            black_box(out.len())
        })
    });
    group.bench_function("pop3_proto_server", |b| {
        b.iter_batched_ref(
            logged_in,
            |server| {
                let mut sent = 0;
                for piece in black_box(&body[..]).chunks(READ) {
                    server.send_data(piece).unwrap();
                    while let Some(bytes) = server.poll_transmit() {
                        sent += bytes.len();
                    }
                }
                server.finish_data().unwrap();
                while let Some(bytes) = server.poll_transmit() {
                    sent += bytes.len();
                }
                black_box(sent)
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, client_retr, server_retr);
criterion_main!(benches);
