//! A tokio driver for the Sans-IO [`mx_resolve::MxLookup`]: one UDP socket, plus one TCP
//! connection per resolver when a reply was truncated.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use mx_resolve::wire::Name;
use mx_resolve::{Event, LookupConfig, MxLookup, Outcome, Protocol};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc;

/// Fresh randomness for query ids (RFC 5452) from the standard library's keyed hasher.
pub fn seed() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.finish()
}

/// The first `nameserver` of /etc/resolv.conf, port 53.
pub fn system_resolver() -> Option<SocketAddr> {
    let conf = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    conf.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("nameserver"), Some(addr)) => {
                let addr = addr.split('%').next().unwrap_or(addr);
                addr.parse::<IpAddr>()
                    .ok()
                    .map(|ip| SocketAddr::new(ip, 53))
            }
            _ => None,
        }
    })
}

enum TcpInput {
    Data(SocketAddr, Vec<u8>),
    Closed(SocketAddr),
}

/// Looks up where mail for `domain` goes, with `config` (resolvers, local identity).
pub async fn lookup(domain: Name, config: LookupConfig) -> io::Result<Outcome> {
    lookup_noting(domain, config, |_| {}).await
}

/// [`lookup`], handing every event but the outcome (diagnostics: ignored replies, retries)
/// to `note` as it happens.
pub async fn lookup_noting(
    domain: Name,
    config: LookupConfig,
    mut note: impl FnMut(&Event),
) -> io::Result<Outcome> {
    let ipv4 = config.resolvers.first().is_none_or(SocketAddr::is_ipv4);
    let mut machine =
        MxLookup::new(domain, config, Instant::now(), seed()).map_err(io::Error::other)?;
    let udp = UdpSocket::bind(if ipv4 { "0.0.0.0:0" } else { "[::]:0" }).await?;
    let (tx, mut rx) = mpsc::channel::<TcpInput>(16);
    let mut tcp: HashMap<SocketAddr, OwnedWriteHalf> = HashMap::new();
    let mut buf = vec![0u8; 65535];
    loop {
        while let Some(t) = machine.poll_transmit() {
            if t.protocol == Protocol::Udp {
                udp.send_to(&t.payload, t.destination).await?;
                continue;
            }
            if let Entry::Vacant(slot) = tcp.entry(t.destination) {
                let Ok(stream) = TcpStream::connect(t.destination).await else {
                    machine.handle_tcp_closed(t.destination);
                    continue;
                };
                let (mut read, write) = stream.into_split();
                let (tx, from) = (tx.clone(), t.destination);
                tokio::spawn(async move {
                    let mut chunk = vec![0u8; 4096];
                    loop {
                        match read.read(&mut chunk).await {
                            Ok(0) | Err(_) => {
                                let _ = tx.send(TcpInput::Closed(from)).await;
                                return;
                            }
                            Ok(n) => {
                                let data = chunk.get(..n).unwrap_or_default().to_vec();
                                if tx.send(TcpInput::Data(from, data)).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                });
                slot.insert(write);
            }
            if let Some(w) = tcp.get_mut(&t.destination)
                && w.write_all(&t.payload).await.is_err()
            {
                tcp.remove(&t.destination);
                machine.handle_tcp_closed(t.destination);
            }
        }
        while let Some(event) = machine.poll_event() {
            match event {
                Event::Done(outcome) => return Ok(outcome),
                other => note(&other),
            }
        }
        let deadline = machine
            .poll_timeout()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
        tokio::select! {
            received = udp.recv_from(&mut buf) => {
                let (n, from) = received?;
                machine.handle_input(Instant::now(), from, Protocol::Udp, buf.get(..n).unwrap_or_default());
            }
            Some(input) = rx.recv() => match input {
                TcpInput::Data(from, data) => {
                    machine.handle_input(Instant::now(), from, Protocol::Tcp, &data);
                }
                TcpInput::Closed(from) => {
                    tcp.remove(&from);
                    machine.handle_tcp_closed(from);
                }
            },
            () = tokio::time::sleep_until(deadline.into()) => machine.handle_timeout(Instant::now()),
        }
    }
}
