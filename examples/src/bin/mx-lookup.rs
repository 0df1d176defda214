//! `mx-lookup DOMAIN [--dns ADDR:PORT]`: where does mail for DOMAIN go?
//!
//! A tokio driver of the Sans-IO `mx_resolve::MxLookup` machine: it only
//! moves bytes between the machine and one UDP socket (plus a TCP
//! connection per resolver when a reply is truncated) and reads the clock.
//! Prints one line per target, `mx PREFERENCE HOST ADDRESS...` (or
//! `implicit-mx ...` when the domain has no MX records), or one line saying
//! why there is none. The default resolver is the first `nameserver` in
//! /etc/resolv.conf.
//!
//! Exit status: 0 with targets, 1 when the domain has no usable target, 2
//! on a temporary failure, 64 on bad usage.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Instant;

use mx_resolve::wire::Name;
use mx_resolve::{Event, LookupConfig, MxLookup, Outcome, Protocol};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc;

const USAGE: &str = "usage: mx-lookup DOMAIN [--dns ADDR:PORT]";

/// Bytes (or the end) of a TCP connection to a resolver.
enum TcpInput {
    Data(SocketAddr, Vec<u8>),
    Closed(SocketAddr),
}

fn default_resolver() -> Option<SocketAddr> {
    let conf = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    conf.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("nameserver"), Some(addr)) => {
                // Drop an IPv6 zone (`fe80::1%eth0`): not needed on loopback.
                let addr = addr.split('%').next().unwrap_or(addr);
                addr.parse::<IpAddr>()
                    .ok()
                    .map(|ip| SocketAddr::new(ip, 53))
            }
            _ => None,
        }
    })
}

/// Fresh randomness for query ids and shuffling (RFC 5452): the standard
/// library's randomly keyed hasher, mixed with the clock.
fn seed() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.finish()
}

fn describe(domain: &Name, outcome: &Outcome) -> (String, ExitCode) {
    let status = outcome.enhanced_status().unwrap_or("");
    match outcome {
        Outcome::Targets(targets) => {
            let lines: Vec<String> = targets
                .iter()
                .map(|t| {
                    let kind = if t.implicit { "implicit-mx" } else { "mx" };
                    let addrs: Vec<String> = t.addresses.iter().map(|a| a.to_string()).collect();
                    format!("{kind} {} {} {}", t.preference, t.host, addrs.join(" "))
                })
                .collect();
            (lines.join("\n"), ExitCode::SUCCESS)
        }
        Outcome::NullMx => (
            format!("null-mx: {domain} accepts no mail (RFC 7505) {status}"),
            ExitCode::from(1),
        ),
        Outcome::NoSuchDomain => (
            format!("no-such-domain: {domain} does not exist {status}"),
            ExitCode::from(1),
        ),
        Outcome::LoopsBackToMyself => (
            format!("loops-back-to-myself: mail for {domain} loops back to myself {status}"),
            ExitCode::from(1),
        ),
        Outcome::PermFail(reason) => (
            format!("perm-fail: {domain}: {reason} {status}"),
            ExitCode::from(1),
        ),
        Outcome::TempFail(reason) => (
            format!("temp-fail: {domain}: {reason} {status}"),
            ExitCode::from(2),
        ),
        other => (format!("unknown outcome: {other:?}"), ExitCode::from(2)),
    }
}

async fn run(domain: Name, resolver: SocketAddr) -> std::io::Result<ExitCode> {
    let config = LookupConfig::with_resolvers(vec![resolver]);
    let mut lookup = MxLookup::new(domain.clone(), config, Instant::now(), seed())
        .map_err(std::io::Error::other)?;
    let bind: SocketAddr = if resolver.is_ipv4() {
        "0.0.0.0:0".parse().map_err(std::io::Error::other)?
    } else {
        "[::]:0".parse().map_err(std::io::Error::other)?
    };
    let udp = UdpSocket::bind(bind).await?;
    let (tcp_tx, mut tcp_rx) = mpsc::channel::<TcpInput>(16);
    let mut tcp: HashMap<SocketAddr, OwnedWriteHalf> = HashMap::new();
    let mut buf = vec![0u8; 65535];
    loop {
        while let Some(t) = lookup.poll_transmit() {
            match t.protocol {
                Protocol::Udp => {
                    udp.send_to(&t.payload, t.destination).await?;
                }
                _ => {
                    if let Entry::Vacant(slot) = tcp.entry(t.destination) {
                        let stream = TcpStream::connect(t.destination).await?;
                        let (mut read, write) = stream.into_split();
                        let tx = tcp_tx.clone();
                        let from = t.destination;
                        tokio::spawn(async move {
                            let mut chunk = vec![0u8; 4096];
                            loop {
                                match read.read(&mut chunk).await {
                                    Ok(0) | Err(_) => {
                                        let _ = tx.send(TcpInput::Closed(from)).await;
                                        return;
                                    }
                                    Ok(n) => {
                                        let data = chunk[..n].to_vec();
                                        if tx.send(TcpInput::Data(from, data)).await.is_err() {
                                            return;
                                        }
                                    }
                                }
                            }
                        });
                        slot.insert(write);
                    }
                    if let Some(w) = tcp.get_mut(&t.destination) {
                        w.write_all(&t.payload).await?;
                    }
                }
            }
        }
        while let Some(event) = lookup.poll_event() {
            match event {
                Event::Diagnostic(d) => eprintln!("note: {d:?}"),
                Event::Done(outcome) => {
                    let (text, code) = describe(&domain, &outcome);
                    println!("{text}");
                    return Ok(code);
                }
                _ => {}
            }
        }
        let deadline = lookup
            .poll_timeout()
            .map(tokio::time::Instant::from_std)
            .unwrap_or_else(|| tokio::time::Instant::now() + std::time::Duration::from_secs(1));
        tokio::select! {
            received = udp.recv_from(&mut buf) => {
                let (n, from) = received?;
                lookup.handle_input(Instant::now(), from, Protocol::Udp, &buf[..n]);
            }
            Some(input) = tcp_rx.recv() => match input {
                TcpInput::Data(from, data) => {
                    lookup.handle_input(Instant::now(), from, Protocol::Tcp, &data);
                }
                TcpInput::Closed(from) => {
                    tcp.remove(&from);
                    lookup.handle_tcp_closed(from);
                }
            },
            () = tokio::time::sleep_until(deadline) => lookup.handle_timeout(Instant::now()),
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut domain = None;
    let mut resolver = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dns" => match args.next().and_then(|a| a.parse::<SocketAddr>().ok()) {
                Some(addr) => resolver = Some(addr),
                None => {
                    eprintln!("--dns needs ADDR:PORT\n{USAGE}");
                    return ExitCode::from(64);
                }
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ if domain.is_none() && !arg.starts_with('-') => domain = Some(arg),
            _ => {
                eprintln!("unexpected argument {arg:?}\n{USAGE}");
                return ExitCode::from(64);
            }
        }
    }
    let Some(domain) = domain else {
        eprintln!("{USAGE}");
        return ExitCode::from(64);
    };
    let domain = match Name::domain(&domain) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("mx-lookup: {e}");
            return ExitCode::from(64);
        }
    };
    let Some(resolver) = resolver.or_else(default_resolver) else {
        eprintln!("mx-lookup: no nameserver in /etc/resolv.conf; use --dns ADDR:PORT");
        return ExitCode::from(64);
    };
    match run(domain, resolver).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mx-lookup: {e}");
            ExitCode::from(2)
        }
    }
}
