//! The delivery plan: RFC 5321 §5.1 as pure functions.
//!
//! Two stages, both deterministic for a given seed:
//!
//! 1. [`order_exchanges`] turns the MX RRset into an ordered list of
//!    candidate hosts: Null MX, implicit MX, dedupe, bad targets, sorting,
//!    shuffling of equal preferences, loop pruning by name, host cap.
//! 2. [`assign_addresses`] attaches each candidate's addresses: loop
//!    pruning by address, family filter and order, dedupe, caps, and the
//!    final [`Outcome`].
//!
//! [`plan()`] runs both on data already at hand; [`plan_response`] does so
//! for one decoded response whose additional section carries the
//! addresses, and [`plan_view`] for a zero-copy
//! [`MessageView`] of one. The [`MxLookup`](crate::MxLookup) machine runs stage 1 when
//! the MX answer arrives (to know which hosts to resolve) and the whole
//! plan at the end.
//!
//! # Policy seam (MTA-STS, DANE)
//!
//! MX selection is never changed by MTA-STS (RFC 8461 §4.1) or DANE
//! (RFC 7672): they only decide which targets are eligible. Fetch the
//! policy elsewhere and apply it to the finished outcome with
//! [`retain_targets`]; each [`Target`] carries `authenticated` (the AD bit
//! of the MX RRset and of its addresses), the precondition for DANE.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::config::{AddressFamilies, FamilyPreference, PlanConfig};
use crate::outcome::{Diagnostic, Outcome, PermFailure, SkipReason, Target, TempFailure};
use crate::rng::SplitMix64;
use crate::wire::record::CLASS_IN;
use crate::wire::{Message, MessageView, Name, NameRef, RData, RDataRef, Rcode};

/// One MX record: `PREFERENCE EXCHANGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MxRecord {
    /// Lower is tried first.
    pub preference: u16,
    /// The host (root = Null MX).
    pub exchange: Name,
}

impl MxRecord {
    /// An MX record.
    pub fn new(preference: u16, exchange: Name) -> Self {
        Self {
            preference,
            exchange,
        }
    }
}

/// What is known about one host's addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HostStatus {
    /// The host has these addresses (A and AAAA together).
    Addresses {
        /// In the order received.
        addresses: Vec<IpAddr>,
        /// The resolver set AD on every answer used.
        authenticated: bool,
        /// The lookup went through a CNAME (RFC 2181 §10.3 forbids it for
        /// MX targets).
        via_cname: bool,
    },
    /// The host has no address records (NODATA or NXDOMAIN).
    NoAddresses,
    /// Its lookup failed temporarily.
    TempFail,
}

/// Addresses known per host; a host not listed counts as a temporary
/// failure (its lookup never completed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressBook {
    entries: Vec<(Name, HostStatus)>,
}

impl AddressBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records (or replaces) what is known about `host`.
    pub fn insert(&mut self, host: Name, status: HostStatus) {
        match self.entries.iter_mut().find(|(n, _)| *n == host) {
            Some((_, s)) => *s = status,
            None => self.entries.push((host, status)),
        }
    }

    /// Adds addresses to `host`, creating its entry if needed.
    pub fn add_address(&mut self, host: &Name, address: IpAddr, authenticated: bool) {
        match self.entries.iter_mut().find(|(n, _)| n == host) {
            Some((
                _,
                HostStatus::Addresses {
                    addresses,
                    authenticated: auth,
                    ..
                },
            )) => {
                addresses.push(address);
                *auth &= authenticated;
            }
            Some((_, status)) => {
                *status = HostStatus::Addresses {
                    addresses: vec![address],
                    authenticated,
                    via_cname: false,
                }
            }
            None => self.entries.push((
                host.clone(),
                HostStatus::Addresses {
                    addresses: vec![address],
                    authenticated,
                    via_cname: false,
                },
            )),
        }
    }

    /// What is known about `host`.
    pub fn get(&self, host: &Name) -> Option<&HostStatus> {
        self.entries
            .iter()
            .find_map(|(n, s)| (n == host).then_some(s))
    }
}

/// A host that survived stage 1, in delivery order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Candidate {
    /// The exchange, or the domain for an implicit MX.
    pub host: Name,
    /// Its preference.
    pub preference: u16,
    /// Implicit MX (no MX RRset).
    pub implicit: bool,
    /// The address an IP-literal exchange spells (lenient mode only); no
    /// lookup is needed for it.
    pub literal: Option<IpAddr>,
}

/// The result of stage 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordered {
    /// Hosts in the order to try.
    pub candidates: Vec<Candidate>,
    /// This MTA was among the MX hosts and was pruned with every host at or
    /// above its preference.
    pub pruned_self: bool,
}

/// Everything [`plan()`] needs.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    /// The recipient domain (after any CNAME on it was followed).
    pub domain: &'a Name,
    /// The MX RRset; `None` or empty means NODATA, hence implicit MX.
    pub mx: Option<&'a [MxRecord]>,
    /// The resolver set AD on the MX answer.
    pub mx_authenticated: bool,
    /// Addresses of the hosts.
    pub addresses: &'a AddressBook,
}

/// A finished plan: the outcome plus the anomalies noticed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// What to do.
    pub outcome: Outcome,
    /// What was odd on the way.
    pub diagnostics: Vec<Diagnostic>,
}

/// Stage 1: orders the MX RRset of `domain` (RFC 5321 §5.1, RFC 7505).
///
/// Returns the terminal outcome instead when there is nothing to resolve:
/// Null MX (also mixed with other records), no usable exchange (no
/// fallback to the domain's A/AAAA), or this MTA being the best MX.
pub fn order_exchanges(
    domain: &Name,
    mx: Option<&[MxRecord]>,
    config: &PlanConfig,
    seed: u64,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<Ordered, Outcome> {
    let records = mx.unwrap_or_default();
    let mut candidates: Vec<Candidate> = Vec::new();
    if records.is_empty() {
        candidates.push(Candidate {
            host: domain.clone(),
            preference: 0,
            implicit: true,
            literal: None,
        });
    } else {
        if let Some(null) = records.iter().find(|r| r.exchange.is_root()) {
            if null.preference != 0 {
                diagnostics.push(Diagnostic::NullMxPreference {
                    preference: null.preference,
                });
            }
            if records.iter().any(|r| !r.exchange.is_root()) {
                diagnostics.push(Diagnostic::NullMxMixed);
            }
            return Err(Outcome::NullMx);
        }
        // Index of each host in `candidates`: a linear scan for the usual
        // handful, a hash map for large RRsets (a 64 KiB TCP answer can
        // carry thousands of MX records; the cost must stay linear).
        let mut index: Option<HashMap<Name, usize>> =
            (records.len() > 16).then(|| HashMap::with_capacity(records.len()));
        for record in records {
            let found = match &index {
                Some(map) => map.get(&record.exchange).copied(),
                None => candidates.iter().position(|c| c.host == record.exchange),
            };
            if let Some(seen) = found.and_then(|i| candidates.get_mut(i)) {
                seen.preference = seen.preference.min(record.preference);
                diagnostics.push(Diagnostic::DuplicateExchange {
                    host: record.exchange.clone(),
                });
                continue;
            }
            let literal = record.exchange.ip_literal();
            let skip = match literal {
                Some(_) if config.allow_ip_literal_targets => {
                    diagnostics.push(Diagnostic::IpLiteralTarget {
                        host: record.exchange.clone(),
                    });
                    None
                }
                Some(_) => Some(SkipReason::IpLiteral),
                None if !record.exchange.is_hostname() => Some(SkipReason::NotHostname),
                None => None,
            };
            if let Some(reason) = skip {
                diagnostics.push(Diagnostic::SkippedTarget {
                    host: record.exchange.clone(),
                    reason,
                });
                continue;
            }
            if let Some(map) = &mut index {
                map.insert(record.exchange.clone(), candidates.len());
            }
            candidates.push(Candidate {
                host: record.exchange.clone(),
                preference: record.preference,
                implicit: false,
                literal,
            });
        }
        if candidates.is_empty() {
            return Err(Outcome::PermFail(PermFailure::NoUsableMx));
        }
    }
    // Shuffle, then sort stably by preference: equal preferences end up in
    // a random (seeded) order, as RFC 5321 §5.1 requires.
    SplitMix64::new(seed).shuffle(&mut candidates);
    sort_by_preference(&mut candidates);

    let local = &config.local;
    let self_pref = candidates
        .iter()
        .filter(|c| {
            local.names.contains(&c.host) || c.literal.is_some_and(|a| local.addresses.contains(&a))
        })
        .map(|c| c.preference)
        .min();
    let mut pruned_self = false;
    if let Some(p) = self_pref {
        diagnostics.push(Diagnostic::SelfPruned { preference: p });
        candidates.retain(|c| c.preference < p);
        if candidates.is_empty() {
            return Err(Outcome::LoopsBackToMyself);
        }
        pruned_self = true;
    }
    if candidates.len() > config.max_hosts {
        for dropped in candidates.drain(config.max_hosts..) {
            diagnostics.push(Diagnostic::SkippedTarget {
                host: dropped.host,
                reason: SkipReason::OverHostLimit,
            });
        }
    }
    Ok(Ordered {
        candidates,
        pruned_self,
    })
}

/// Stable sort by preference: insertion sort for the usual handful of
/// hosts, the standard stable sort beyond that.
fn sort_by_preference(candidates: &mut [Candidate]) {
    if candidates.len() > 16 {
        candidates.sort_by_key(|c| c.preference);
        return;
    }
    for i in 1..candidates.len() {
        let mut j = i;
        while j > 0 {
            let (Some(a), Some(b)) = (candidates.get(j - 1), candidates.get(j)) else {
                break;
            };
            if a.preference <= b.preference {
                break;
            }
            candidates.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Stage 2: attaches addresses to the ordered candidates and decides the
/// outcome.
pub fn assign_addresses(
    ordered: &Ordered,
    book: &AddressBook,
    mx_authenticated: bool,
    config: &PlanConfig,
    diagnostics: &mut Vec<Diagnostic>,
) -> Outcome {
    assign_with(
        ordered,
        |host, out| match book.get(host) {
            Some(HostStatus::Addresses {
                addresses,
                authenticated,
                via_cname,
            }) => {
                out.extend_from_slice(addresses);
                Found::Addresses {
                    authenticated: *authenticated,
                    via_cname: *via_cname,
                }
            }
            Some(HostStatus::NoAddresses) => Found::None,
            Some(HostStatus::TempFail) | None => Found::TempFail,
        },
        mx_authenticated,
        config,
        diagnostics,
    )
}

/// What an address source knows about one host.
enum Found {
    Addresses {
        authenticated: bool,
        via_cname: bool,
    },
    None,
    TempFail,
}

/// Stage 2 over any address source: `fill(host, scratch)` appends the
/// host's addresses to `scratch` and says what it knows. It is called at
/// most twice per candidate and the scratch buffer is reused, so the only
/// allocations are the targets themselves.
fn assign_with(
    ordered: &Ordered,
    mut fill: impl FnMut(&Name, &mut Vec<IpAddr>) -> Found,
    mx_authenticated: bool,
    config: &PlanConfig,
    diagnostics: &mut Vec<Diagnostic>,
) -> Outcome {
    let mut scratch: Vec<IpAddr> = Vec::with_capacity(16);
    // Resolves one candidate into `scratch`: Some(authenticated) when it
    // is usable, None when it has no addresses, with `temp` set on a
    // temporary failure.
    let mut resolve = |c: &Candidate,
                       scratch: &mut Vec<IpAddr>,
                       diags: Option<&mut Vec<Diagnostic>>,
                       temp: &mut bool|
     -> Option<bool> {
        scratch.clear();
        if let Some(literal) = c.literal {
            scratch.push(literal);
            return Some(false);
        }
        match fill(&c.host, scratch) {
            Found::Addresses {
                authenticated,
                via_cname,
            } => {
                if via_cname && !c.implicit {
                    let allowed = config.allow_cname_targets;
                    if let Some(d) = diags {
                        d.push(if allowed {
                            Diagnostic::CnameTarget {
                                host: c.host.clone(),
                            }
                        } else {
                            Diagnostic::SkippedTarget {
                                host: c.host.clone(),
                                reason: SkipReason::CnameTarget,
                            }
                        });
                    }
                    if !allowed {
                        return None;
                    }
                }
                Some(authenticated)
            }
            Found::None => None,
            Found::TempFail => {
                *temp = true;
                None
            }
        }
    };

    // Pass 1: loop avoidance by address. A host that resolves to one of
    // our addresses is us, whatever its name (RFC 5321 §5.1, Postfix).
    let local = &config.local.addresses;
    let mut self_pref: Option<u16> = None;
    if !local.is_empty() {
        let mut ignored = false;
        for c in &ordered.candidates {
            if resolve(c, &mut scratch, None, &mut ignored).is_some()
                && scratch.iter().any(|a| local.contains(a))
            {
                self_pref = Some(self_pref.map_or(c.preference, |p| p.min(c.preference)));
            }
        }
    }
    let mut pruned = ordered.pruned_self;
    let limit = match self_pref {
        Some(p) => {
            diagnostics.push(Diagnostic::SelfPruned { preference: p });
            if !ordered.candidates.iter().any(|c| c.preference < p) {
                return Outcome::LoopsBackToMyself;
            }
            pruned = true;
            p
        }
        None => u16::MAX,
    };

    // Pass 2: targets in order, addresses deduplicated and capped.
    let mut any_temp = false;
    let mut total = 0usize;
    let mut targets: Vec<Target> = Vec::with_capacity(ordered.candidates.len());
    for c in &ordered.candidates {
        if self_pref.is_some() && c.preference >= limit {
            continue;
        }
        let room = config.max_addresses.saturating_sub(total);
        if room == 0 {
            break;
        }
        let Some(authenticated) = resolve(c, &mut scratch, Some(diagnostics), &mut any_temp) else {
            continue;
        };
        let mut addresses = order_host_addresses(&scratch, config);
        addresses.retain(|a| !targets.iter().any(|t| t.addresses.contains(a)));
        addresses.truncate(room);
        if addresses.is_empty() {
            continue;
        }
        total += addresses.len();
        targets.push(Target {
            host: c.host.clone(),
            preference: c.preference,
            implicit: c.implicit,
            addresses,
            authenticated: mx_authenticated && authenticated,
        });
    }
    if !targets.is_empty() {
        Outcome::Targets(targets)
    } else if pruned {
        Outcome::TempFail(TempFailure::NoPrimaryRelay)
    } else if any_temp {
        Outcome::TempFail(TempFailure::AddressLookup)
    } else {
        Outcome::PermFail(PermFailure::NoAddresses)
    }
}

/// One host's addresses: allowed families only, preferred family first
/// (stable otherwise), capped at `max_addresses_per_host` while keeping
/// one address of the other family when both exist.
fn order_host_addresses(addrs: &[IpAddr], config: &PlanConfig) -> Vec<IpAddr> {
    let allowed = |a: &&IpAddr| match config.families {
        AddressFamilies::Both => true,
        AddressFamilies::Ipv4Only => a.is_ipv4(),
        AddressFamilies::Ipv6Only => a.is_ipv6(),
    };
    let preferred = |a: &IpAddr| match config.prefer {
        FamilyPreference::Ipv6 => a.is_ipv6(),
        FamilyPreference::Ipv4 => a.is_ipv4(),
    };
    // Preferred family first, each family in the order received.
    let mut out: Vec<IpAddr> = Vec::with_capacity(addrs.len());
    for first in [true, false] {
        for a in addrs.iter().filter(allowed) {
            if preferred(a) == first && !out.contains(a) {
                out.push(*a);
            }
        }
    }
    let cap = config.max_addresses_per_host;
    if out.len() > cap {
        let other = out.iter().skip(cap).find(|a| !preferred(a)).copied();
        let kept_has_other = out.iter().take(cap).any(|a| !preferred(a));
        out.truncate(cap);
        if let (Some(other), false, true, Some(last)) =
            (other, kept_has_other, cap >= 2, out.last_mut())
        {
            *last = other;
        }
    }
    out
}

/// Both stages on data already at hand.
pub fn plan(input: &PlanInput<'_>, config: &PlanConfig, seed: u64) -> Plan {
    let mut diagnostics = Vec::new();
    let outcome = match order_exchanges(input.domain, input.mx, config, seed, &mut diagnostics) {
        Ok(ordered) => assign_addresses(
            &ordered,
            input.addresses,
            input.mx_authenticated,
            config,
            &mut diagnostics,
        ),
        Err(outcome) => outcome,
    };
    Plan {
        outcome,
        diagnostics,
    }
}

/// The plan for one decoded MX response, taking addresses from its answer
/// and additional sections. Hosts without address records there count as
/// not yet resolved (a temporary failure if no host has any).
///
/// The RCODE is honoured: NXDOMAIN gives [`Outcome::NoSuchDomain`],
/// SERVFAIL and other errors a temporary failure, TC a temporary failure
/// (ask again over TCP). A CNAME on the domain is followed through the
/// answer section (at most 8 steps).
pub fn plan_response(domain: &Name, response: &Message, config: &PlanConfig, seed: u64) -> Plan {
    let mut diagnostics = Vec::new();
    let fail = |outcome| Plan {
        outcome,
        diagnostics: Vec::new(),
    };
    if response.header.truncated {
        return fail(Outcome::TempFail(TempFailure::Truncated));
    }
    match response.rcode() {
        Rcode::NoError => {}
        Rcode::NxDomain => return fail(Outcome::NoSuchDomain),
        other => return fail(Outcome::TempFail(rcode_failure(other))),
    }
    let Some((owner, _)) = response.resolve_cname(domain, 8) else {
        return fail(Outcome::TempFail(TempFailure::CnameChain { limit: 8 }));
    };
    let mx = mx_rrset(response, owner);
    let auth = response.header.authentic_data;
    let outcome = match order_exchanges(owner, Some(&mx), config, seed, &mut diagnostics) {
        Ok(ordered) => assign_with(
            &ordered,
            |host, out| {
                out.extend(
                    response
                        .answers
                        .iter()
                        .chain(&response.additional)
                        .filter(|r| r.class == CLASS_IN && r.name == *host)
                        .filter_map(|r| match r.data {
                            RData::A(a) => Some(IpAddr::V4(a)),
                            RData::Aaaa(a) => Some(IpAddr::V6(a)),
                            _ => None,
                        }),
                );
                if out.is_empty() {
                    Found::TempFail
                } else {
                    Found::Addresses {
                        authenticated: auth,
                        via_cname: false,
                    }
                }
            },
            auth,
            config,
            &mut diagnostics,
        ),
        Err(outcome) => outcome,
    };
    Plan {
        outcome,
        diagnostics,
    }
}

/// [`plan_response`] on a zero-copy [`MessageView`]: the same rules, but
/// no owned message is built; only the MX exchanges and the owners of
/// address records are copied out.
pub fn plan_view<'a>(
    domain: &Name,
    response: &MessageView<'a>,
    config: &PlanConfig,
    seed: u64,
) -> Plan {
    let fail = |outcome| Plan {
        outcome,
        diagnostics: Vec::new(),
    };
    let header = response.header();
    if header.truncated {
        return fail(Outcome::TempFail(TempFailure::Truncated));
    }
    match response.rcode() {
        Rcode::NoError => {}
        Rcode::NxDomain => return fail(Outcome::NoSuchDomain),
        other => return fail(Outcome::TempFail(rcode_failure(other))),
    }
    // One pass over the answers and one over the additional section.
    // Address records are kept with their owner's first label and
    // position, which settle most comparisons without walking names.
    let mut mx_raw: Vec<(NameRef<'a>, u16, NameRef<'a>)> = Vec::new();
    let mut addresses: Vec<(&'a [u8], usize, NameRef<'a>, IpAddr)> = Vec::new();
    let mut has_cname = false;
    let mut note_address = |owner: NameRef<'a>, address: IpAddr| {
        let first = owner.labels().next().unwrap_or_default();
        addresses.push((first, owner.position(), owner, address));
    };
    for r in response.answers() {
        if r.class != CLASS_IN {
            continue;
        }
        match r.rdata() {
            RDataRef::Mx {
                preference,
                exchange,
            } => mx_raw.push((r.owner, preference, exchange)),
            RDataRef::Cname(_) => has_cname = true,
            RDataRef::A(a) => note_address(r.owner, IpAddr::V4(a)),
            RDataRef::Aaaa(a) => note_address(r.owner, IpAddr::V6(a)),
            _ => {}
        }
    }
    for r in response.additional().filter(|r| r.class == CLASS_IN) {
        match r.rdata() {
            RDataRef::A(a) => note_address(r.owner, IpAddr::V4(a)),
            RDataRef::Aaaa(a) => note_address(r.owner, IpAddr::V6(a)),
            _ => {}
        }
    }
    // Follow a CNAME chain on the domain (at most 8 steps).
    let mut owner: Option<NameRef<'_>> = None;
    if has_cname {
        let mut steps = 0;
        loop {
            let next = response.answers().find_map(|r| match r.rdata() {
                RDataRef::Cname(target)
                    if r.class == CLASS_IN
                        && owner.map_or_else(|| r.owner.eq_name(domain), |o| r.owner == o) =>
                {
                    Some(target)
                }
                _ => None,
            });
            match next {
                None => break,
                Some(_) if steps == 8 => {
                    return fail(Outcome::TempFail(TempFailure::CnameChain { limit: 8 }));
                }
                Some(target) => {
                    owner = Some(target);
                    steps += 1;
                }
            }
        }
    }
    // The question's position settles owners compressed against it.
    let question_place = response
        .question()
        .filter(|(q, _, _)| q.eq_name(domain))
        .map(|(q, _, _)| q.position());
    let is_owner = |n: &NameRef<'_>| match owner {
        Some(o) => *n == o,
        None => Some(n.position()) == question_place || n.eq_name(domain),
    };
    let mut mx: Vec<MxRecord> = Vec::with_capacity(mx_raw.len());
    let mut places: Vec<(usize, usize)> = Vec::with_capacity(mx_raw.len());
    for (o, preference, exchange) in &mx_raw {
        if is_owner(o) {
            places.push((mx.len(), exchange.position()));
            mx.push(MxRecord::new(*preference, exchange.to_name()));
        }
    }
    let owned_final;
    let final_name = match owner {
        Some(o) => {
            owned_final = o.to_name();
            &owned_final
        }
        None => domain,
    };
    let mut diagnostics = Vec::new();
    let ordered = match order_exchanges(final_name, Some(&mx), config, seed, &mut diagnostics) {
        Ok(ordered) => ordered,
        Err(outcome) => {
            return Plan {
                outcome,
                diagnostics,
            };
        }
    };
    let auth = header.authentic_data;
    let outcome = assign_with(
        &ordered,
        |host, out| {
            let place = mx
                .iter()
                .position(|m| m.exchange == *host)
                .and_then(|i| places.iter().find(|(j, _)| *j == i))
                .map(|(_, p)| *p);
            let first = host.labels().next().unwrap_or_default();
            out.extend(
                addresses
                    .iter()
                    .filter(|(label, at, name, _)| {
                        Some(*at) == place
                            || (label.eq_ignore_ascii_case(first) && name.eq_name(host))
                    })
                    .map(|(_, _, _, a)| *a),
            );
            if out.is_empty() {
                Found::TempFail
            } else {
                Found::Addresses {
                    authenticated: auth,
                    via_cname: false,
                }
            }
        },
        auth,
        config,
        &mut diagnostics,
    );
    Plan {
        outcome,
        diagnostics,
    }
}

/// The MX RRset owned by `owner` in the answer section.
pub(crate) fn mx_rrset(response: &Message, owner: &Name) -> Vec<MxRecord> {
    response
        .mx_records(owner)
        .map(|(preference, exchange, _)| MxRecord::new(preference, exchange.clone()))
        .collect()
}

/// The temporary failure an error RCODE stands for.
pub(crate) fn rcode_failure(rcode: Rcode) -> TempFailure {
    match rcode {
        Rcode::ServFail => TempFailure::ServFail,
        Rcode::Refused => TempFailure::Refused,
        other => TempFailure::Rcode(other.to_u16()),
    }
}

/// Keeps only the targets `allow` accepts: the hook for MTA-STS (drop
/// hosts not matching the policy's `mx` patterns in enforce mode) and DANE
/// (drop hosts whose TLSA lookup is bogus). When every target is removed
/// the outcome becomes a temporary failure, as RFC 8461 §5 requires;
/// other outcomes pass through unchanged.
pub fn retain_targets(outcome: Outcome, mut allow: impl FnMut(&Target) -> bool) -> Outcome {
    match outcome {
        Outcome::Targets(mut targets) => {
            targets.retain(|t| allow(t));
            if targets.is_empty() {
                Outcome::TempFail(TempFailure::NoTargetAllowed)
            } else {
                Outcome::Targets(targets)
            }
        }
        other => other,
    }
}
