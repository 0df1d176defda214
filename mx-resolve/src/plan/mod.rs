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
//! [`MessageView`](crate::wire::MessageView) of one. Both stages keep
//! their working storage on the stack for the usual handful of hosts
//! (larger RRsets spill to the heap, sized by what was parsed), so a plan
//! allocates only its targets. The [`MxLookup`](crate::MxLookup) machine runs stage 1 when
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

use std::net::IpAddr;

use crate::config::PlanConfig;
use crate::outcome::{Diagnostic, Outcome, Target, TempFailure};
use crate::wire::record::CLASS_IN;
use crate::wire::{Message, Name, NameRef, RData, Rcode};

mod response;
mod stages;

pub(crate) use response::in_bailiwick;
pub use response::{plan_response, plan_view};
use stages::{Found, Slots, assign_core, order_core};
pub(crate) use stages::{NO_TTL, ttl_of};

/// One MX record: `PREFERENCE EXCHANGE`, the exchange held as `H` (an
/// owned [`Name`] by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MxRecord<H = Name> {
    /// Lower is tried first.
    pub preference: u16,
    /// The host (root = Null MX).
    pub exchange: H,
}

impl<H> MxRecord<H> {
    /// An MX record.
    pub fn new(preference: u16, exchange: H) -> Self {
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
///
/// `H` is how target host names are held: owned [`Name`]s (the default),
/// or [`NameRef`]s into the response for [`plan_view`], which
/// [`Plan::into_owned`] copies out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Plan<H = Name> {
    /// What to do.
    pub outcome: Outcome<H>,
    /// What was odd on the way.
    pub diagnostics: Vec<Diagnostic>,
    /// How long the plan may be cached, in seconds: the smallest TTL of
    /// the records it used (the CNAMEs followed on the domain, the MX
    /// RRset, the address records of the hosts that became targets).
    /// `None` when no record was used: an RCODE or truncation ended the
    /// plan, or it was made from data without TTLs ([`plan()`]).
    pub ttl: Option<u32>,
}

impl Plan<NameRef<'_>> {
    /// The same plan with the host names copied out of the message.
    pub fn into_owned(self) -> Plan {
        Plan {
            outcome: self.outcome.into_owned(),
            diagnostics: self.diagnostics,
            ttl: self.ttl,
        }
    }
}

impl PartialEq<Plan> for Plan<NameRef<'_>> {
    fn eq(&self, other: &Plan) -> bool {
        self.outcome == other.outcome
            && self.diagnostics == other.diagnostics
            && self.ttl == other.ttl
    }
}

/// What stage 1 and 2 need from a host name, however it is held.
pub(crate) trait HostName: Clone {
    /// The root name (Null MX).
    fn is_root(&self) -> bool;
    /// The same host (RFC 4343).
    fn same(&self, other: &Self) -> bool;
    /// A word that equal hosts share (different words prove different
    /// hosts): a cheap first test before [`HostName::same`].
    fn key(&self) -> u64;
    /// The same host as an owned name.
    fn is(&self, name: &Name) -> bool;
    /// An owned copy.
    fn to_name(&self) -> Name;
    /// The IPv4 address the name spells, if it is a literal.
    fn ip_literal(&self) -> Option<IpAddr>;
}

impl HostName for Name {
    fn is_root(&self) -> bool {
        Self::is_root(self)
    }

    fn same(&self, other: &Self) -> bool {
        self == other
    }

    fn key(&self) -> u64 {
        let wire = self.as_wire();
        let mut head = [0u8; 8];
        for (h, w) in head.iter_mut().zip(wire) {
            *h = *w;
        }
        u64::from_le_bytes(head) ^ (wire.len() as u64) << 56
    }

    fn is(&self, name: &Name) -> bool {
        self == name
    }

    fn to_name(&self) -> Name {
        self.clone()
    }

    fn ip_literal(&self) -> Option<IpAddr> {
        Self::ip_literal(self)
    }
}

impl HostName for NameRef<'_> {
    fn is_root(&self) -> bool {
        Self::is_root(self)
    }

    fn same(&self, other: &Self) -> bool {
        self == other
    }

    fn key(&self) -> u64 {
        self.head_key()
    }

    fn is(&self, name: &Name) -> bool {
        self.eq_name(name)
    }

    fn to_name(&self) -> Name {
        Self::to_name(self)
    }

    fn ip_literal(&self) -> Option<IpAddr> {
        Self::ip_literal(self)
    }
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
    let mut slots = Slots::new();
    let stage1 = order_core(
        domain,
        mx.unwrap_or_default(),
        |_, exchange| exchange.host_kind(),
        config,
        seed,
        diagnostics,
        &mut slots,
    )?;
    Ok(Ordered {
        candidates: stage1.to_candidates(),
        pruned_self: stage1.pruned_self,
    })
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
    assign_core(
        ordered,
        |_, host, out| match book.get(host) {
            Some(HostStatus::Addresses {
                addresses,
                authenticated,
                via_cname,
            }) => {
                out.extend_from_slice(addresses);
                Found::Addresses {
                    authenticated: *authenticated,
                    via_cname: *via_cname,
                    ttl: NO_TTL,
                }
            }
            Some(HostStatus::NoAddresses) => Found::None,
            Some(HostStatus::TempFail) | None => Found::TempFail,
        },
        mx_authenticated,
        config,
        diagnostics,
    )
    .0
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
        ttl: None,
    }
}

/// The MX RRset owned by `owner` in the answer section.
pub(crate) fn mx_rrset(response: &Message, owner: &Name) -> Vec<MxRecord> {
    response
        .mx_records(owner)
        .map(|(preference, exchange, _)| MxRecord::new(preference, exchange.clone()))
        .collect()
}

/// The smallest TTL of the CNAME records leading from `domain` to `last`
/// in the answer section, following at most `max_steps` ([`NO_TTL`] when
/// there is none).
pub(crate) fn cname_ttl(response: &Message, domain: &Name, last: &Name, max_steps: usize) -> u32 {
    let mut ttl = NO_TTL;
    let mut current = domain;
    for _ in 0..max_steps {
        if current == last {
            break;
        }
        let Some((target, t)) = response.answers.iter().find_map(|r| match &r.data {
            RData::Cname(target) if r.name == *current && r.class == CLASS_IN => {
                Some((target, r.ttl))
            }
            _ => None,
        }) else {
            break;
        };
        ttl = ttl.min(ttl_of(t));
        current = target;
    }
    ttl
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
