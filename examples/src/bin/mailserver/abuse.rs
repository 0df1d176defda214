//! Abuse resistance: failed logins slowed and locked out per client address, connections
//! capped per address and in total, and the log lines fail2ban reads.
//!
//! The log lines are stable, one line each, written to stdout; fields may be added at the
//! end, never in between:
//!
//! ```text
//! auth failed: service=submission addr=192.0.2.7 user=alice mechanism=PLAIN
//! auth failed: service=pop3 addr=192.0.2.7 user=alice mechanism=USER locked
//! auth lockout: service=pop3 addr=192.0.2.7 user=alice failures=10 seconds=900
//! ```
//!
//! `user` is what the client sent, with every byte outside `A-Z a-z 0-9 . _ - @ +` written
//! `%XX` (so a name cannot forge a field or a line) and cut at 64 bytes; `-` when empty. The
//! password is never logged. `locked`: refused without checking the password because the
//! address is locked out. `examples/fail2ban/` has the filter and jail for these lines.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The settings (`--auth-delay`, `--auth-delay-max`, `--lockout-after`, `--lockout-time`,
/// `--max-connections`, `--max-per-address`).
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    /// The delay before the reply to the first failed login from an address; it doubles
    /// with each further failure.
    pub(crate) delay: Duration,
    /// The longest delay.
    pub(crate) delay_max: Duration,
    /// Failures from one address that lock it out (0: never).
    pub(crate) lockout_after: u32,
    /// How long a lockout lasts; also how long failures are remembered without a new one.
    pub(crate) lockout_time: Duration,
    /// Connections at once, all services together.
    pub(crate) max_connections: usize,
    /// Connections at once from one address.
    pub(crate) max_per_address: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            delay: Duration::from_secs(1),
            delay_max: Duration::from_secs(15),
            lockout_after: 10,
            lockout_time: Duration::from_secs(15 * 60),
            max_connections: 2000,
            max_per_address: 50,
        }
    }
}

/// Failed logins from one address.
#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

/// Above this many remembered addresses, forgotten ones are pruned at each failure.
const PRUNE_ABOVE: usize = 10_000;

/// The shared state: failures per address and open connections.
#[derive(Debug)]
pub(crate) struct Guard {
    policy: Policy,
    failures: Mutex<HashMap<IpAddr, Record>>,
    conns: Mutex<Conns>,
}

#[derive(Debug, Default)]
struct Conns {
    total: usize,
    by_addr: HashMap<IpAddr, usize>,
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Full {
    /// `--max-connections` are open.
    Total,
    /// `--max-per-address` are open from this address.
    Address,
}

/// One admitted connection; released on drop.
#[derive(Debug)]
pub(crate) struct Permit {
    guard: Arc<Guard>,
    key: IpAddr,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut c = lock(&self.guard.conns);
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.by_addr.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.by_addr.remove(&self.key);
            }
        }
    }
}

/// What a failed login led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Failure {
    /// How long to wait before replying.
    pub(crate) delay: Duration,
    /// Set when this failure locked the address out: the failures counted.
    pub(crate) locked_out: Option<u32>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The address a client is counted under: IPv4 as is (also when mapped into IPv6), IPv6 by
/// its /64, which one host usually has whole.
pub(crate) fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

impl Guard {
    pub(crate) fn new(policy: Policy) -> Self {
        Self {
            policy,
            failures: Mutex::default(),
            conns: Mutex::default(),
        }
    }

    pub(crate) fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Admits a connection from `ip`, or says which cap it hit.
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Permit, Full> {
        let key = key(ip);
        let mut c = lock(&self.conns);
        if c.total >= self.policy.max_connections {
            return Err(Full::Total);
        }
        let n = c.by_addr.entry(key).or_insert(0);
        if *n >= self.policy.max_per_address {
            return Err(Full::Address);
        }
        *n += 1;
        c.total += 1;
        Ok(Permit {
            guard: self.clone(),
            key,
        })
    }

    /// Connections open now.
    pub(crate) fn open(&self) -> usize {
        lock(&self.conns).total
    }

    /// Whether `ip` is locked out now; a lockout whose time is over is lifted (and the
    /// failures forgotten).
    pub(crate) fn locked(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut map = lock(&self.failures);
        let Some(r) = map.get(&key(ip)).copied() else {
            return false;
        };
        match r.locked_until {
            Some(until) if now < until => true,
            Some(_) => {
                map.remove(&key(ip));
                false
            }
            None => false,
        }
    }

    /// Counts a failed login from `ip`: the delay before the reply, and whether the address
    /// is now locked out.
    pub(crate) fn failed(&self, ip: IpAddr) -> Failure {
        let now = Instant::now();
        let p = &self.policy;
        let mut map = lock(&self.failures);
        if map.len() > PRUNE_ABOVE {
            map.retain(|_, r| !self.forgotten(r, now));
        }
        let r = map.entry(key(ip)).or_insert(Record {
            failures: 0,
            last: now,
            locked_until: None,
        });
        if self.forgotten(r, now) {
            *r = Record {
                failures: 0,
                last: now,
                locked_until: None,
            };
        }
        r.failures = r.failures.saturating_add(1);
        r.last = now;
        let mut locked_out = None;
        if p.lockout_after > 0 && r.failures >= p.lockout_after && r.locked_until.is_none() {
            r.locked_until = Some(now + p.lockout_time);
            locked_out = Some(r.failures);
        }
        let doubling = 2u32.saturating_pow(r.failures.saturating_sub(1).min(31));
        let delay = p.delay.saturating_mul(doubling).min(p.delay_max);
        Failure { delay, locked_out }
    }

    /// A record whose lockout is over, or that saw no failure for `lockout_time`.
    fn forgotten(&self, r: &Record, now: Instant) -> bool {
        match r.locked_until {
            Some(until) => now >= until,
            None => now.duration_since(r.last) >= self.policy.lockout_time,
        }
    }
}

/// A client-supplied user name made safe for a log line: bytes outside
/// `A-Z a-z 0-9 . _ - @ +` as `%XX`, at most 64 bytes of input, `-` when empty.
pub(crate) fn log_safe(user: &str) -> String {
    if user.is_empty() {
        return "-".to_owned();
    }
    let mut out = String::new();
    for &b in user.as_bytes().iter().take(64) {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@' | b'+') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if user.len() > 64 {
        out.push_str("%E2%80%A6");
    }
    out
}

/// `auth failed: service=S addr=A user=U mechanism=M[ locked]`
pub(crate) fn log_failed(service: &str, ip: IpAddr, user: &str, mechanism: &str, locked: bool) {
    println!(
        "auth failed: service={service} addr={ip} user={} mechanism={mechanism}{}",
        log_safe(user),
        if locked { " locked" } else { "" }
    );
}

/// `auth lockout: service=S addr=A user=U failures=N seconds=T`
pub(crate) fn log_lockout(service: &str, ip: IpAddr, user: &str, failures: u32, time: Duration) {
    println!(
        "auth lockout: service={service} addr={ip} user={} failures={failures} seconds={}",
        log_safe(user),
        time.as_secs()
    );
}

/// `auth refused: service=S addr=A user=U mechanism=M` (the user's entry cannot do this
/// mechanism: not a failed password).
pub(crate) fn log_unsupported(service: &str, ip: IpAddr, user: &str, mechanism: &str) {
    println!(
        "auth refused: service={service} addr={ip} user={} mechanism={mechanism} (not available with this user's password scheme)",
        log_safe(user)
    );
}

impl Guard {
    /// Counts and logs a failed login; returns the delay to serve before replying.
    pub(crate) fn fail(&self, service: &str, ip: IpAddr, user: &str, mechanism: &str) -> Duration {
        log_failed(service, ip, user, mechanism, false);
        let f = self.failed(ip);
        if let Some(failures) = f.locked_out {
            log_lockout(service, ip, user, failures, self.policy.lockout_time);
        }
        f.delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            delay: Duration::from_millis(100),
            delay_max: Duration::from_millis(350),
            lockout_after: 3,
            lockout_time: Duration::from_millis(200),
            max_connections: 3,
            max_per_address: 2,
        }
    }

    #[test]
    fn delays_grow_then_lock_out_then_lift() {
        let g = Guard::new(policy());
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(!g.locked(a));
        let f1 = g.failed(a);
        let f2 = g.failed(a);
        assert_eq!(f1.delay, Duration::from_millis(100));
        assert_eq!(f2.delay, Duration::from_millis(200));
        assert_eq!(f2.locked_out, None);
        assert!(!g.locked(a));
        let f3 = g.failed(a);
        assert_eq!(f3.delay, Duration::from_millis(350));
        assert_eq!(f3.locked_out, Some(3));
        assert!(g.locked(a));
        assert!(!g.locked(b), "per address");
        assert_eq!(g.failed(b).delay, Duration::from_millis(100));
        std::thread::sleep(Duration::from_millis(250));
        assert!(!g.locked(a), "lifted after its time");
        assert_eq!(
            g.failed(a).delay,
            Duration::from_millis(100),
            "and forgotten"
        );
    }

    #[test]
    fn caps() {
        let g = Arc::new(Guard::new(policy()));
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let a2: IpAddr = "2001:db8::2".parse().unwrap();
        let b: IpAddr = "::ffff:192.0.2.9".parse().unwrap();
        let p1 = g.admit(a).unwrap();
        let _p2 = g.admit(a2).unwrap();
        assert_eq!(g.admit(a).unwrap_err(), Full::Address, "same /64");
        let _p3 = g.admit(b).unwrap();
        assert_eq!(
            g.admit("192.0.2.10".parse().unwrap()).unwrap_err(),
            Full::Total
        );
        assert_eq!(g.open(), 3);
        drop(p1);
        assert_eq!(g.open(), 2);
        assert!(g.admit(a).is_ok());
    }

    #[test]
    fn user_names_cannot_forge_lines() {
        assert_eq!(log_safe("alice@example.test"), "alice@example.test");
        assert_eq!(log_safe(""), "-");
        assert_eq!(
            log_safe("x addr=10.0.0.1\nauth failed:"),
            "x%20addr%3D10.0.0.1%0Aauth%20failed%3A"
        );
        assert!(log_safe(&"a".repeat(200)).len() < 80);
    }
}
