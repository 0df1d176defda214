//! The Sans-IO MX lookup machine.
//!
//! ```text
//!             new()
//!               |
//!               v
//!   +----> [ MX query ] --CNAME chain without MX--> (ask the final name)
//!   |           |
//!   |   NXDOMAIN / Null MX / loop / no usable MX / failure ----------+
//!   |           |                                                     |
//!   |     order_exchanges()                                           |
//!   |           v                                                     |
//!   |  [ A / AAAA queries ]  (hosts not covered by the additional     |
//!   |           |             section; CNAMEs followed)               |
//!   |     assign_addresses()                                          |
//!   |           v                                                     v
//!   +------- [ Done(Outcome) ] <--------------------------------------+
//! ```
//!
//! Every query is retried on timeout with a doubled wait, each time on the
//! next resolver; a UDP reply with TC set is asked again over TCP; a
//! FORMERR or NOTIMP to an EDNS query is asked again once without OPT.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::config::{AddressFamilies, LookupConfig};
use crate::error::ConfigError;
use crate::outcome::{Diagnostic, Outcome, TempFailure};
use crate::plan::{
    AddressBook, HostStatus, NO_TTL, Ordered, assign_addresses, cname_ttl, in_bailiwick, mx_rrset,
    order_exchanges, rcode_failure, ttl_of,
};
use crate::rng::SplitMix64;
use crate::wire::record::CLASS_IN;
use crate::wire::{
    Message, Name, RData, Rcode, Record, RecordType, TcpReassembler, build_query, frame,
};

/// Transport of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// One datagram per message.
    Udp,
    /// A stream of messages each prefixed by a 2-octet length.
    Tcp,
}

/// A query to send.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Transmit {
    /// The resolver to send it to.
    pub destination: SocketAddr,
    /// Over UDP, or over the TCP connection to `destination` (open one if
    /// there is none; keep one per resolver and feed its bytes in order).
    pub protocol: Protocol,
    /// The bytes: one datagram for UDP; for TCP already framed with the
    /// 2-octet length, ready to write to the stream.
    pub payload: Bytes,
}

/// What the lookup reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Something odd was noticed and handled; worth a log line.
    Diagnostic(Diagnostic),
    /// The lookup finished; nothing more will be transmitted.
    Done(Outcome),
}

/// Why a query is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Purpose {
    /// The MX RRset of the domain.
    Mx,
    /// Addresses of this candidate host.
    Address { host: Name },
}

/// One outstanding question.
#[derive(Debug, Clone)]
struct Pending {
    purpose: Purpose,
    /// The name currently asked (moves along a CNAME chain).
    qname: Name,
    qtype: RecordType,
    /// CNAME steps taken so far.
    cname_hops: usize,
    id: u16,
    resolver: usize,
    protocol: Protocol,
    edns: bool,
    edns_retried: bool,
    /// Attempts made so far (the current one included).
    attempts: usize,
    rcode_failures: usize,
    deadline: Instant,
    sent: bool,
}

/// One host's result for one family.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Found {
        addresses: Vec<IpAddr>,
        authenticated: bool,
        via_cname: bool,
    },
    Empty,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    Mx,
    Addresses(Ordered),
    Done,
}

/// A Sans-IO MX lookup: from a domain to an [`Outcome`].
///
/// Drive it like every machine in this workspace: send what
/// [`poll_transmit`](Self::poll_transmit) yields, feed replies to
/// [`handle_input`](Self::handle_input), call
/// [`handle_timeout`](Self::handle_timeout) when the instant from
/// [`poll_timeout`](Self::poll_timeout) passes, and read
/// [`poll_event`](Self::poll_event) until [`Event::Done`].
#[derive(Debug)]
pub struct MxLookup {
    config: LookupConfig,
    rng: SplitMix64,
    plan_seed: u64,
    /// The domain asked for.
    domain: Name,
    /// The name whose MX RRset is used (after CNAMEs).
    mx_owner: Name,
    mx_authenticated: bool,
    stage: Stage,
    pending: Vec<Pending>,
    /// Per candidate host: [A, AAAA] results.
    parts: Vec<(Name, [Option<Part>; 2])>,
    book: AddressBook,
    /// The smallest TTL of the CNAME and MX records used for the MX
    /// question ([`NO_TTL`] until one is seen).
    mx_ttl: u32,
    /// Per host: the smallest TTL of its address (and CNAME) records.
    host_ttls: Vec<(Name, u32)>,
    tcp: Vec<(SocketAddr, TcpReassembler)>,
    events: VecDeque<Event>,
    outcome: Option<Outcome>,
    /// See [`MxLookup::ttl`].
    ttl: Option<u32>,
    deadline: Instant,
    /// Resolver new queries start with (moves on after timeouts).
    preferred: usize,
}

impl MxLookup {
    /// Starts a lookup of `domain` (see [`Name::domain`] for IDNA). `seed`
    /// drives query ids and the shuffling of equal preferences: pass fresh
    /// randomness in production (RFC 5452), a constant in tests.
    pub fn new(
        domain: Name,
        config: LookupConfig,
        now: Instant,
        seed: u64,
    ) -> Result<Self, ConfigError> {
        if config.resolvers.is_empty() {
            return Err(ConfigError::NoResolvers);
        }
        if config.max_attempts == 0 {
            return Err(ConfigError::NoAttempts);
        }
        let mut rng = SplitMix64::new(seed);
        let plan_seed = rng.next_u64();
        let deadline = now + config.total_timeout;
        let mut lookup = Self {
            config,
            rng,
            plan_seed,
            domain: domain.clone(),
            mx_owner: domain.clone(),
            mx_authenticated: false,
            stage: Stage::Mx,
            pending: Vec::new(),
            parts: Vec::new(),
            book: AddressBook::new(),
            mx_ttl: NO_TTL,
            host_ttls: Vec::new(),
            tcp: Vec::new(),
            events: VecDeque::new(),
            outcome: None,
            ttl: None,
            deadline,
            preferred: 0,
        };
        lookup.ask(now, Purpose::Mx, domain, RecordType::MX, 0);
        Ok(lookup)
    }

    /// The next query to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        let p = self.pending.iter_mut().find(|p| !p.sent)?;
        p.sent = true;
        let query = build_query(p.id, &p.qname, p.qtype, p.edns);
        let payload = match p.protocol {
            Protocol::Udp => query,
            // A query is far below 65535 octets; an error cannot happen.
            Protocol::Tcp => frame(&query).unwrap_or_default(),
        };
        let destination = *self.config.resolvers.get(p.resolver)?;
        Some(Transmit {
            destination,
            protocol: p.protocol,
            payload: Bytes::from(payload),
        })
    }

    /// Bytes arrived from `from`: one datagram for UDP, or the next stream
    /// bytes of the TCP connection to `from` (split anywhere).
    pub fn handle_input(
        &mut self,
        now: Instant,
        from: SocketAddr,
        protocol: Protocol,
        bytes: &[u8],
    ) {
        if self.outcome.is_some() {
            return;
        }
        if !self.config.resolvers.contains(&from) {
            // Not one of ours: never buffered, never parsed.
            self.events
                .push_back(Event::Diagnostic(Diagnostic::UnmatchedResponse { from }));
            return;
        }
        match protocol {
            Protocol::Udp => self.handle_message(now, from, Protocol::Udp, bytes),
            Protocol::Tcp => {
                let idx = match self.tcp.iter().position(|(a, _)| *a == from) {
                    Some(i) => i,
                    None => {
                        self.tcp.push((from, TcpReassembler::new()));
                        self.tcp.len() - 1
                    }
                };
                if let Some((_, r)) = self.tcp.get_mut(idx) {
                    r.push(bytes);
                }
                while let Some(message) = self.tcp.get_mut(idx).and_then(|(_, r)| r.next_message())
                {
                    self.handle_message(now, from, Protocol::Tcp, &message);
                    if self.outcome.is_some() {
                        break;
                    }
                }
            }
        }
    }

    /// The TCP connection to `from` closed: forget its partial frame.
    /// Queries waiting on it are retried when their timer fires.
    pub fn handle_tcp_closed(&mut self, from: SocketAddr) {
        self.tcp.retain(|(a, _)| *a != from);
    }

    /// Time passed: retries queries whose wait is over, fails the lookup
    /// at its total deadline.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.outcome.is_some() {
            return;
        }
        if now >= self.deadline {
            let expired: Vec<usize> = (0..self.pending.len()).collect();
            for i in expired.into_iter().rev() {
                let qtype = self.pending.get(i).map_or(RecordType::MX, |p| p.qtype);
                self.fail_question(now, i, TempFailure::Timeout { qtype });
                if self.outcome.is_some() {
                    return;
                }
            }
            return;
        }
        let mut i = 0;
        while i < self.pending.len() {
            let Some(p) = self.pending.get(i) else { break };
            if !p.sent || p.deadline > now {
                i += 1;
                continue;
            }
            let (attempts, resolver, qtype) = (p.attempts, p.resolver, p.qtype);
            if attempts >= self.config.max_attempts {
                self.fail_question(now, i, TempFailure::Timeout { qtype });
                if self.outcome.is_some() {
                    return;
                }
                continue; // the entry at i was removed
            }
            if let Some(addr) = self.config.resolvers.get(resolver) {
                self.events
                    .push_back(Event::Diagnostic(Diagnostic::Retried { resolver: *addr }));
            }
            let next = (resolver + 1) % self.config.resolvers.len();
            self.preferred = next;
            self.reissue(now, i, next, None, None);
            i += 1;
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.outcome.is_some() {
            return None;
        }
        let next = self
            .pending
            .iter()
            .filter(|p| p.sent)
            .map(|p| p.deadline)
            .min();
        Some(next.map_or(self.deadline, |d| d.min(self.deadline)))
    }

    /// The next event; [`Event::Done`] comes last.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The outcome once the lookup is done.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// How long the outcome may be cached, in seconds, once the lookup is
    /// done: the smallest TTL of the records it used (the CNAMEs and MX
    /// RRset of the domain, the address records of the hosts that became
    /// targets), as [`Plan::ttl`](crate::Plan::ttl). `None` before the end
    /// and when no record was used (NXDOMAIN, timeouts, server failures).
    pub fn ttl(&self) -> Option<u32> {
        self.ttl
    }

    /// Whether the lookup has finished.
    pub fn is_done(&self) -> bool {
        self.outcome.is_some()
    }

    fn attempt_timeout(&self, attempt: usize) -> Duration {
        let shift = u32::try_from(attempt.min(16)).unwrap_or(16);
        self.config
            .attempt_timeout
            .saturating_mul(1u32 << shift)
            .min(self.config.max_attempt_timeout)
    }

    fn fresh_id(&mut self) -> u16 {
        let mut id = self.rng.next_id();
        for _ in 0..8 {
            if !self.pending.iter().any(|p| p.id == id) {
                break;
            }
            id = self.rng.next_id();
        }
        id
    }

    fn ask(&mut self, now: Instant, purpose: Purpose, qname: Name, qtype: RecordType, hops: usize) {
        let id = self.fresh_id();
        let deadline = now + self.attempt_timeout(0);
        self.pending.push(Pending {
            purpose,
            qname,
            qtype,
            cname_hops: hops,
            id,
            resolver: self.preferred,
            protocol: Protocol::Udp,
            edns: self.config.edns,
            edns_retried: false,
            attempts: 1,
            rcode_failures: 0,
            deadline,
            sent: false,
        });
    }

    /// Asks pending question `i` again with a new id.
    fn reissue(
        &mut self,
        now: Instant,
        i: usize,
        resolver: usize,
        protocol: Option<Protocol>,
        edns: Option<bool>,
    ) {
        let id = self.fresh_id();
        let wait = self
            .pending
            .get(i)
            .map_or(Duration::ZERO, |p| self.attempt_timeout(p.attempts));
        if let Some(p) = self.pending.get_mut(i) {
            p.id = id;
            p.resolver = resolver;
            p.protocol = protocol.unwrap_or(p.protocol);
            p.edns = edns.unwrap_or(p.edns);
            p.attempts += 1;
            p.sent = false;
            p.deadline = now + wait;
        }
    }

    fn handle_message(&mut self, now: Instant, from: SocketAddr, protocol: Protocol, bytes: &[u8]) {
        let resolvers = &self.config.resolvers;
        let matches_source = |p: &Pending| {
            p.sent && p.protocol == protocol && resolvers.get(p.resolver) == Some(&from)
        };
        let message = match Message::decode(bytes) {
            Ok(m) => m,
            Err(error) => {
                // A malformed reply that carries the id of a query sent to
                // this resolver counts as that attempt's failure; anything
                // else is noise (or spoofing) and is only reported.
                let id = match bytes.get(..2) {
                    Some(&[a, b]) => Some(u16::from_be_bytes([a, b])),
                    _ => None,
                };
                let idx = self
                    .pending
                    .iter()
                    .position(|p| Some(p.id) == id && matches_source(p));
                self.events
                    .push_back(Event::Diagnostic(Diagnostic::MalformedResponse {
                        from,
                        error: error.clone(),
                    }));
                if let Some(i) = idx {
                    self.attempt_failed(now, i, TempFailure::Malformed(error));
                }
                return;
            }
        };
        let h = &message.header;
        let idx = self.pending.iter().position(|p| {
            matches_source(p)
                && p.id == h.id
                && h.response
                && h.opcode == 0
                && message.question.as_ref().is_some_and(|q| {
                    q.name == p.qname && q.qtype == p.qtype && q.qclass == CLASS_IN
                })
        });
        let Some(i) = idx else {
            self.events
                .push_back(Event::Diagnostic(Diagnostic::UnmatchedResponse { from }));
            return;
        };
        let Some(p) = self.pending.get(i) else { return };
        if h.truncated {
            if protocol == Protocol::Udp {
                self.events
                    .push_back(Event::Diagnostic(Diagnostic::RetriedOverTcp));
                let resolver = p.resolver;
                self.reissue(now, i, resolver, Some(Protocol::Tcp), None);
            } else {
                self.attempt_failed(now, i, TempFailure::Truncated);
            }
            return;
        }
        match message.rcode() {
            Rcode::NoError => self.answer(now, i, &message),
            Rcode::NxDomain => self.nxdomain(now, i),
            Rcode::FormErr | Rcode::NotImp if p.edns && !p.edns_retried => {
                self.events
                    .push_back(Event::Diagnostic(Diagnostic::RetriedWithoutEdns));
                let resolver = p.resolver;
                if let Some(p) = self.pending.get_mut(i) {
                    p.edns_retried = true;
                }
                self.reissue(now, i, resolver, None, Some(false));
            }
            other => {
                let n = self.config.resolvers.len();
                let rcode_failures = p.rcode_failures + 1;
                let can_move = rcode_failures < n && p.attempts < self.config.max_attempts;
                if can_move {
                    let next = (p.resolver + 1) % n;
                    if let Some(p) = self.pending.get_mut(i) {
                        p.rcode_failures = rcode_failures;
                    }
                    self.reissue(now, i, next, None, None);
                } else {
                    self.fail_question(now, i, rcode_failure(other));
                }
            }
        }
    }

    /// An attempt failed in a way another resolver might not: retry on the
    /// next resolver while attempts remain.
    fn attempt_failed(&mut self, now: Instant, i: usize, reason: TempFailure) {
        let Some(p) = self.pending.get(i) else { return };
        if p.attempts < self.config.max_attempts {
            let next = (p.resolver + 1) % self.config.resolvers.len();
            self.reissue(now, i, next, None, None);
        } else {
            self.fail_question(now, i, reason);
        }
    }

    /// Question `i` failed for good.
    fn fail_question(&mut self, now: Instant, i: usize, reason: TempFailure) {
        if i >= self.pending.len() {
            return;
        }
        let p = self.pending.remove(i);
        match p.purpose {
            Purpose::Mx => self.finish(Outcome::TempFail(reason)),
            Purpose::Address { host } => self.record_part(now, &host, p.qtype, Part::Failed),
        }
    }

    fn nxdomain(&mut self, now: Instant, i: usize) {
        if i >= self.pending.len() {
            return;
        }
        let p = self.pending.remove(i);
        match p.purpose {
            Purpose::Mx => self.finish(Outcome::NoSuchDomain),
            Purpose::Address { host } => self.record_part(now, &host, p.qtype, Part::Empty),
        }
    }

    fn answer(&mut self, now: Instant, i: usize, message: &Message) {
        if i >= self.pending.len() {
            return;
        }
        let p = self.pending.remove(i);
        let limit = self.config.max_cname_hops;
        let remaining = limit.saturating_sub(p.cname_hops);
        let Some((last, hops)) = message.resolve_cname(&p.qname, remaining) else {
            let reason = TempFailure::CnameChain { limit };
            match p.purpose {
                Purpose::Mx => self.finish(Outcome::TempFail(reason)),
                Purpose::Address { host } => self.record_part(now, &host, p.qtype, Part::Failed),
            }
            return;
        };
        let last = last.clone();
        let total_hops = p.cname_hops + hops;
        let chain_ttl = cname_ttl(message, &p.qname, &last, hops);
        match &p.purpose {
            Purpose::Mx => self.mx_ttl = self.mx_ttl.min(chain_ttl),
            Purpose::Address { host } => self.note_host_ttl(host, chain_ttl),
        }
        self.note_unrelated(message, &p.qname, hops);
        let data: Vec<&Record> = message
            .answers
            .iter()
            .filter(|r| r.class == CLASS_IN && r.name == last && r.data.rtype() == p.qtype)
            .collect();
        if data.is_empty() && hops > 0 {
            // The chain ended without data of the asked type: ask the
            // final name directly.
            self.ask(now, p.purpose, last, p.qtype, total_hops);
            return;
        }
        match p.purpose {
            Purpose::Mx => self.mx_answer(now, message, last),
            Purpose::Address { host } => {
                let records_ttl = data.iter().map(|r| ttl_of(r.ttl)).fold(NO_TTL, u32::min);
                self.note_host_ttl(&host, records_ttl);
                let addresses: Vec<IpAddr> = data
                    .iter()
                    .filter_map(|r| match r.data {
                        RData::A(a) => Some(IpAddr::V4(a)),
                        RData::Aaaa(a) => Some(IpAddr::V6(a)),
                        _ => None,
                    })
                    .collect();
                let part = if addresses.is_empty() {
                    Part::Empty
                } else {
                    Part::Found {
                        addresses,
                        authenticated: message.header.authentic_data,
                        via_cname: total_hops > 0,
                    }
                };
                self.record_part(now, &host, p.qtype, part);
            }
        }
    }

    /// Reports answer records owned by neither the question's name nor its
    /// CNAME chain (they are ignored).
    fn note_unrelated(&mut self, message: &Message, qname: &Name, hops: usize) {
        let mut chain = vec![qname];
        let mut current = qname;
        for _ in 0..hops {
            match message.answers.iter().find_map(|r| match &r.data {
                RData::Cname(t) if r.name == *current => Some(t),
                _ => None,
            }) {
                Some(t) => {
                    chain.push(t);
                    current = t;
                }
                None => break,
            }
        }
        for r in &message.answers {
            if !chain.contains(&&r.name) {
                self.events
                    .push_back(Event::Diagnostic(Diagnostic::UnrelatedRecord {
                        owner: r.name.clone(),
                    }));
            }
        }
    }

    fn mx_answer(&mut self, now: Instant, message: &Message, owner: Name) {
        let mx = mx_rrset(message, &owner);
        let rrset_ttl = message
            .mx_records(&owner)
            .map(|(_, _, t)| ttl_of(t))
            .fold(NO_TTL, u32::min);
        self.mx_ttl = self.mx_ttl.min(rrset_ttl);
        self.mx_owner = owner;
        self.mx_authenticated = message.header.authentic_data;
        let mut diagnostics = Vec::new();
        let ordered = order_exchanges(
            &self.mx_owner,
            Some(&mx),
            &self.config.plan,
            self.plan_seed,
            &mut diagnostics,
        );
        self.events
            .extend(diagnostics.into_iter().map(Event::Diagnostic));
        let ordered = match ordered {
            Ok(o) => o,
            Err(outcome) => return self.finish(outcome),
        };
        let families: &[RecordType] = match self.config.plan.families {
            AddressFamilies::Both => &[RecordType::AAAA, RecordType::A],
            AddressFamilies::Ipv4Only => &[RecordType::A],
            AddressFamilies::Ipv6Only => &[RecordType::AAAA],
        };
        let ad = message.header.authentic_data;
        for c in ordered.candidates.iter().filter(|c| c.literal.is_none()) {
            if self.parts.iter().any(|(h, _)| *h == c.host) {
                continue;
            }
            let mut hinted_ttl = NO_TTL;
            let trusted = self.config.plan.dangerous_out_of_bailiwick_glue
                || in_bailiwick(&c.host, &self.domain, &self.mx_owner);
            let hinted: Vec<IpAddr> = if self.config.use_additional && !c.implicit && trusted {
                message
                    .additional
                    .iter()
                    .chain(&message.answers)
                    .filter(|r| r.class == CLASS_IN && r.name == c.host)
                    .filter_map(|r| {
                        let address = match r.data {
                            RData::A(a) => IpAddr::V4(a),
                            RData::Aaaa(a) => IpAddr::V6(a),
                            _ => return None,
                        };
                        hinted_ttl = hinted_ttl.min(ttl_of(r.ttl));
                        Some(address)
                    })
                    .collect()
            } else {
                Vec::new()
            };
            if !hinted.is_empty() {
                self.note_host_ttl(&c.host, hinted_ttl);
                self.book.insert(
                    c.host.clone(),
                    HostStatus::Addresses {
                        addresses: hinted,
                        authenticated: ad,
                        via_cname: false,
                    },
                );
                continue;
            }
            let mut parts = [None, None];
            for (slot, qtype) in [RecordType::A, RecordType::AAAA].into_iter().enumerate() {
                if families.contains(&qtype) {
                    let host = c.host.clone();
                    self.ask(now, Purpose::Address { host: host.clone() }, host, qtype, 0);
                } else if let Some(s) = parts.get_mut(slot) {
                    *s = Some(Part::Empty);
                }
            }
            self.parts.push((c.host.clone(), parts));
        }
        self.stage = Stage::Addresses(ordered);
        self.maybe_plan();
    }

    fn record_part(&mut self, _now: Instant, host: &Name, qtype: RecordType, part: Part) {
        let slot = usize::from(qtype == RecordType::AAAA);
        if let Some(s) = self
            .parts
            .iter_mut()
            .find(|(h, _)| h == host)
            .and_then(|(_, parts)| parts.get_mut(slot))
        {
            *s = Some(part);
        }
        self.maybe_plan();
    }

    /// Once no address query is outstanding, merges the parts and decides.
    fn maybe_plan(&mut self) {
        if !self.pending.is_empty() || self.outcome.is_some() {
            return;
        }
        let Stage::Addresses(ordered) = std::mem::replace(&mut self.stage, Stage::Done) else {
            return;
        };
        for (host, parts) in &self.parts {
            let mut addresses = Vec::new();
            let mut authenticated = true;
            let mut via_cname = false;
            let mut failed = false;
            for part in parts.iter().flatten() {
                match part {
                    Part::Found {
                        addresses: a,
                        authenticated: ad,
                        via_cname: vc,
                    } => {
                        addresses.extend_from_slice(a);
                        authenticated &= ad;
                        via_cname |= vc;
                    }
                    Part::Empty => {}
                    Part::Failed => failed = true,
                }
            }
            let status = if !addresses.is_empty() {
                HostStatus::Addresses {
                    addresses,
                    authenticated,
                    via_cname,
                }
            } else if failed || parts.iter().any(Option::is_none) {
                HostStatus::TempFail
            } else {
                HostStatus::NoAddresses
            };
            self.book.insert(host.clone(), status);
        }
        let mut diagnostics = Vec::new();
        let outcome = assign_addresses(
            &ordered,
            &self.book,
            self.mx_authenticated,
            &self.config.plan,
            &mut diagnostics,
        );
        self.events
            .extend(diagnostics.into_iter().map(Event::Diagnostic));
        self.finish(outcome);
    }

    /// Lowers the TTL noted for `host`.
    fn note_host_ttl(&mut self, host: &Name, ttl: u32) {
        match self.host_ttls.iter_mut().find(|(h, _)| h == host) {
            Some((_, t)) => *t = (*t).min(ttl),
            None => self.host_ttls.push((host.clone(), ttl)),
        }
    }

    fn finish(&mut self, outcome: Outcome) {
        if self.outcome.is_some() {
            return;
        }
        let mut ttl = self.mx_ttl;
        if let Outcome::Targets(targets) = &outcome {
            for t in targets {
                if let Some((_, host_ttl)) = self.host_ttls.iter().find(|(h, _)| *h == t.host) {
                    ttl = ttl.min(*host_ttl);
                }
            }
        }
        self.ttl = (ttl != NO_TTL).then_some(ttl);
        self.pending.clear();
        self.stage = Stage::Done;
        self.events.push_back(Event::Done(outcome.clone()));
        self.outcome = Some(outcome);
    }
}
