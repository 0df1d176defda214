//! The two stages of the plan over any source of records and addresses.
//!
//! Working storage lives on the stack for the usual handful of hosts and
//! addresses ([`SmallVec`]); only larger RRsets spill to the heap, sized
//! by what was actually parsed. The only allocation of a usual plan is the
//! list of targets itself.

use std::collections::HashMap;
use std::net::IpAddr;

use smallvec::SmallVec;

use super::{Candidate, HostName, MxRecord, Ordered};
use crate::config::{AddressFamilies, FamilyPreference, PlanConfig};
use crate::outcome::{
    Addresses, Diagnostic, Outcome, PermFailure, SkipReason, Target, TempFailure,
};
use crate::rng::SplitMix64;
use crate::wire::Name;
use crate::wire::host::HostKind;

/// A candidate by reference: the index of the MX record it came from
/// ([`IMPLICIT`] for an implicit MX, whose host is the domain) and what
/// stage 1 decided. One word and `Copy`, so shuffling and sorting move
/// words, never names.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    pub(crate) source: u32,
    pub(crate) preference: u16,
    /// The exchange is an IP literal accepted in lenient mode (its address
    /// is read back from the name when needed).
    pub(crate) literal: bool,
}

/// [`Slot::source`] of an implicit MX.
pub(crate) const IMPLICIT: u32 = u32::MAX;

impl Slot {
    /// Whether this is the implicit MX on the domain.
    pub(crate) fn implicit(&self) -> bool {
        self.source == IMPLICIT
    }
}

/// Candidates in delivery order.
pub(crate) type Slots = SmallVec<[Slot; 8]>;

/// One host's addresses while they are being gathered.
pub(crate) type Scratch = SmallVec<[IpAddr; 8]>;

/// The result of stage 1 over borrowed records.
#[derive(Debug)]
pub(crate) struct Stage1<'r, H> {
    pub(crate) domain: &'r H,
    pub(crate) records: &'r [MxRecord<H>],
    pub(crate) slots: &'r [Slot],
    pub(crate) pruned_self: bool,
}

impl<H: HostName> Stage1<'_, H> {
    /// The host a slot stands for.
    #[inline]
    pub(crate) fn host(&self, slot: &Slot) -> &H {
        host_of(self.domain, self.records, slot)
    }

    /// The address of a slot's IP-literal exchange.
    fn literal(&self, slot: &Slot) -> Option<IpAddr> {
        slot.literal.then(|| self.host(slot).ip_literal()).flatten()
    }
}

impl Stage1<'_, Name> {
    /// Owned candidates, for the public stage-1 result.
    pub(crate) fn to_candidates(&self) -> Vec<Candidate> {
        self.slots
            .iter()
            .map(|s| Candidate {
                host: self.host(s).clone(),
                preference: s.preference,
                implicit: s.implicit(),
                literal: self.literal(s),
            })
            .collect()
    }
}

/// One candidate as stage 2 reads it.
pub(crate) struct CandidateRef<'a, H> {
    host: &'a H,
    preference: u16,
    implicit: bool,
    literal: Option<IpAddr>,
}

/// Anything stage 2 can read candidates from, in delivery order.
pub(crate) trait Candidates {
    /// How hosts are held.
    type Host: HostName;
    fn count(&self) -> usize;
    fn at(&self, index: usize) -> Option<CandidateRef<'_, Self::Host>>;
    fn pruned_self(&self) -> bool;
}

impl<H: HostName> Candidates for Stage1<'_, H> {
    type Host = H;

    fn count(&self) -> usize {
        self.slots.len()
    }

    #[inline]
    fn at(&self, index: usize) -> Option<CandidateRef<'_, H>> {
        let s = self.slots.get(index)?;
        Some(CandidateRef {
            host: self.host(s),
            preference: s.preference,
            implicit: s.implicit(),
            literal: self.literal(s),
        })
    }

    fn pruned_self(&self) -> bool {
        self.pruned_self
    }
}

impl Candidates for Ordered {
    type Host = Name;

    fn count(&self) -> usize {
        self.candidates.len()
    }

    fn at(&self, index: usize) -> Option<CandidateRef<'_, Name>> {
        let c = self.candidates.get(index)?;
        Some(CandidateRef {
            host: &c.host,
            preference: c.preference,
            implicit: c.implicit,
            literal: c.literal,
        })
    }

    fn pruned_self(&self) -> bool {
        self.pruned_self
    }
}

/// "No TTL": no record was used. Real TTLs are at most 2^31 - 1 (see
/// [`ttl_of`]), so this never collides with one.
pub(crate) const NO_TTL: u32 = u32::MAX;

/// A record's TTL as RFC 2181 §8 reads it: values with the top bit set
/// count as zero.
#[inline]
pub(crate) fn ttl_of(raw: u32) -> u32 {
    if raw > 0x7FFF_FFFF { 0 } else { raw }
}

/// What an address source knows about one host.
pub(crate) enum Found {
    Addresses {
        authenticated: bool,
        via_cname: bool,
        /// The smallest TTL of the records the addresses came from
        /// ([`NO_TTL`] when none carried one).
        ttl: u32,
    },
    None,
    TempFail,
}

/// Stage 1 over borrowed records. See
/// [`order_exchanges`](super::order_exchanges) for the rules.
/// `kind_of(index, exchange)` classifies `records[index]` (a caller that
/// still has the message can do it in place, sharing suffixes). The
/// candidates are written to the caller's `out` (emptied first), so only
/// references are returned.
pub(crate) fn order_core<'r, H: HostName>(
    domain: &'r H,
    records: &'r [MxRecord<H>],
    kind_of: impl Fn(usize, &H) -> HostKind,
    config: &PlanConfig,
    seed: u64,
    diagnostics: &mut Vec<Diagnostic>,
    out: &'r mut Slots,
) -> Result<Stage1<'r, H>, Outcome<H>> {
    out.clear();
    let host = |s: &Slot| host_of(domain, records, s);
    if records.is_empty() {
        out.push(Slot {
            source: IMPLICIT,
            preference: 0,
            literal: false,
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
        // Index of each host in `out`: a linear scan for the usual
        // handful, a hash map for large RRsets (a 64 KiB TCP answer can
        // carry thousands of MX records; the cost must stay linear).
        let mut index: Option<HashMap<Name, usize>> =
            (records.len() > 16).then(|| HashMap::with_capacity(records.len()));
        // Each kept host's key, beside `out` (small sets only).
        let mut keys: SmallVec<[u64; 8]> = SmallVec::new();
        for (source, record) in records.iter().enumerate() {
            let key = record.exchange.key();
            let found = match &index {
                Some(map) => map.get(&record.exchange.to_name()).copied(),
                None => out.iter().zip(keys.iter()).position(|(s, &k)| {
                    (k == key || k == 0 || key == 0) && host(s).same(&record.exchange)
                }),
            };
            if let Some(seen) = found.and_then(|i| out.get_mut(i)) {
                seen.preference = seen.preference.min(record.preference);
                diagnostics.push(Diagnostic::DuplicateExchange {
                    host: record.exchange.to_name(),
                });
                continue;
            }
            let (literal, skip) = match kind_of(source, &record.exchange) {
                HostKind::Hostname => (false, None),
                HostKind::IpLiteral(_) if config.allow_ip_literal_targets => {
                    diagnostics.push(Diagnostic::IpLiteralTarget {
                        host: record.exchange.to_name(),
                    });
                    (true, None)
                }
                HostKind::IpLiteral(_) => (false, Some(SkipReason::IpLiteral)),
                HostKind::Neither => (false, Some(SkipReason::NotHostname)),
            };
            if let Some(reason) = skip {
                diagnostics.push(Diagnostic::SkippedTarget {
                    host: record.exchange.to_name(),
                    reason,
                });
                continue;
            }
            if let Some(map) = &mut index {
                map.insert(record.exchange.to_name(), out.len());
            } else {
                keys.push(key);
            }
            // `records` comes from one message, far below 2^32 records.
            out.push(Slot {
                source: u32::try_from(source).unwrap_or(IMPLICIT),
                preference: record.preference,
                literal,
            });
        }
        if out.is_empty() {
            return Err(Outcome::PermFail(PermFailure::NoUsableMx));
        }
    }
    // Shuffle, then sort stably by preference: equal preferences end up in
    // a random (seeded) order, as RFC 5321 §5.1 requires.
    SplitMix64::new(seed).shuffle(out);
    sort_by_preference(out);

    let local = &config.local;
    let self_pref = if local.names.is_empty() && local.addresses.is_empty() {
        None
    } else {
        out.iter()
            .filter(|s| {
                local.names.iter().any(|n| host(s).is(n))
                    || (s.literal
                        && host(s)
                            .ip_literal()
                            .is_some_and(|a| local.addresses.contains(&a)))
            })
            .map(|s| s.preference)
            .min()
    };
    let mut pruned_self = false;
    if let Some(p) = self_pref {
        diagnostics.push(Diagnostic::SelfPruned { preference: p });
        out.retain(|s| s.preference < p);
        if out.is_empty() {
            return Err(Outcome::LoopsBackToMyself);
        }
        pruned_self = true;
    }
    if out.len() > config.max_hosts {
        for dropped in out.get(config.max_hosts..).unwrap_or_default() {
            diagnostics.push(Diagnostic::SkippedTarget {
                host: host(dropped).to_name(),
                reason: SkipReason::OverHostLimit,
            });
        }
        out.truncate(config.max_hosts);
    }
    let slots: &'r Slots = out;
    Ok(Stage1 {
        domain,
        records,
        slots: slots.as_slice(),
        pruned_self,
    })
}

/// The host a slot stands for: its exchange, or the domain.
#[inline]
fn host_of<'r, H>(domain: &'r H, records: &'r [MxRecord<H>], slot: &Slot) -> &'r H {
    usize::try_from(slot.source)
        .ok()
        .and_then(|i| records.get(i))
        .map_or(domain, |r| &r.exchange)
}

/// Stable sort by preference: insertion sort for the usual handful of
/// hosts, the standard stable sort beyond that.
fn sort_by_preference(slots: &mut [Slot]) {
    if slots.len() > 16 {
        slots.sort_by_key(|s| s.preference);
        return;
    }
    for i in 1..slots.len() {
        let mut j = i;
        while j > 0 {
            let (Some(a), Some(b)) = (slots.get(j - 1), slots.get(j)) else {
                break;
            };
            if a.preference <= b.preference {
                break;
            }
            slots.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Stage 2 over any address source: `fill(index, host, scratch)` appends
/// the addresses of `candidates[index]` to `scratch` and says what it
/// knows. It is called at most twice per candidate and the scratch buffer
/// is reused, so the only allocation is the list of targets.
/// Also returns the smallest TTL of the address records of the hosts that
/// became targets ([`NO_TTL`] when none).
pub(crate) fn assign_core<C: Candidates>(
    candidates: &C,
    mut fill: impl FnMut(usize, &C::Host, &mut Scratch) -> Found,
    mx_authenticated: bool,
    config: &PlanConfig,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Outcome<C::Host>, u32) {
    let mut scratch = Scratch::new();
    // Resolves one candidate into `scratch`: Some((authenticated, ttl))
    // when it is usable, None when it has no addresses, with `temp` set
    // on a temporary failure.
    let mut resolve = |i: usize,
                       c: &CandidateRef<'_, C::Host>,
                       scratch: &mut Scratch,
                       diags: Option<&mut Vec<Diagnostic>>,
                       temp: &mut bool|
     -> Option<(bool, u32)> {
        scratch.clear();
        if let Some(literal) = c.literal {
            scratch.push(literal);
            return Some((false, NO_TTL));
        }
        match fill(i, c.host, scratch) {
            Found::Addresses {
                authenticated,
                via_cname,
                ttl,
            } => {
                if via_cname && !c.implicit {
                    let allowed = config.allow_cname_targets;
                    if let Some(d) = diags {
                        d.push(if allowed {
                            Diagnostic::CnameTarget {
                                host: c.host.to_name(),
                            }
                        } else {
                            Diagnostic::SkippedTarget {
                                host: c.host.to_name(),
                                reason: SkipReason::CnameTarget,
                            }
                        });
                    }
                    if !allowed {
                        return None;
                    }
                }
                Some((authenticated, ttl))
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
        for i in 0..candidates.count() {
            let Some(c) = candidates.at(i) else { break };
            if resolve(i, &c, &mut scratch, None, &mut ignored).is_some()
                && scratch.iter().any(|a| local.contains(a))
            {
                self_pref = Some(self_pref.map_or(c.preference, |p| p.min(c.preference)));
            }
        }
    }
    let mut pruned = candidates.pruned_self();
    let limit = match self_pref {
        Some(p) => {
            diagnostics.push(Diagnostic::SelfPruned { preference: p });
            if !(0..candidates.count())
                .filter_map(|i| candidates.at(i))
                .any(|c| c.preference < p)
            {
                return (Outcome::LoopsBackToMyself, NO_TTL);
            }
            pruned = true;
            p
        }
        None => u16::MAX,
    };

    // Pass 2: targets in order, addresses deduplicated and capped.
    let mut any_temp = false;
    let mut total = 0usize;
    let mut least_ttl = NO_TTL;
    // Allocated at the first target (a plan with none allocates nothing),
    // with room for every candidate left.
    let mut targets: Vec<Target<C::Host>> = Vec::new();
    // A one-word filter of the addresses already in a target, for the
    // plan-wide dedupe: a clear bit proves an address is new, a set one
    // sends it to a scan of the earlier targets.
    let mut taken_filter = 0u64;
    for i in 0..candidates.count() {
        let Some(c) = candidates.at(i) else { break };
        if self_pref.is_some() && c.preference >= limit {
            continue;
        }
        let room = config.max_addresses.saturating_sub(total);
        if room == 0 {
            break;
        }
        let Some((authenticated, ttl)) =
            resolve(i, &c, &mut scratch, Some(diagnostics), &mut any_temp)
        else {
            continue;
        };
        // Built in place: the target is pushed first and its addresses
        // filled there, so no large value is moved; dropped if none is left.
        if targets.capacity() == 0 {
            targets.reserve_exact(candidates.count() - i);
        }
        targets.push(Target {
            host: c.host.clone(),
            preference: c.preference,
            implicit: c.implicit,
            addresses: Addresses::new(),
            authenticated: mx_authenticated && authenticated,
        });
        let Some((target, earlier)) = targets.split_last_mut() else {
            continue;
        };
        let addresses = &mut target.addresses;
        order_host_addresses(&scratch, config, addresses);
        let seen = |a: &IpAddr| {
            taken_filter & filter_bit(a) != 0 && earlier.iter().any(|t| t.addresses.contains(a))
        };
        if addresses.iter().any(seen) {
            addresses.retain(|a| !seen(a));
        }
        addresses.truncate(room);
        if addresses.is_empty() {
            targets.pop();
            continue;
        }
        total += addresses.len();
        least_ttl = least_ttl.min(ttl);
        for a in addresses.iter() {
            taken_filter |= filter_bit(a);
        }
    }
    let outcome = if !targets.is_empty() {
        Outcome::Targets(targets)
    } else if pruned {
        Outcome::TempFail(TempFailure::NoPrimaryRelay)
    } else if any_temp {
        Outcome::TempFail(TempFailure::AddressLookup)
    } else {
        Outcome::PermFail(PermFailure::NoAddresses)
    };
    (outcome, least_ttl)
}

/// The bit of `address` in a one-word filter: equal addresses share it.
#[inline]
fn filter_bit(address: &IpAddr) -> u64 {
    let folded = match address {
        IpAddr::V4(v4) => u64::from(v4.to_bits()),
        IpAddr::V6(v6) => {
            let bits = v6.to_bits();
            (bits >> 64) as u64 ^ bits as u64 ^ 1
        }
    };
    1 << (folded.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58)
}

/// One host's addresses into `out`: allowed families only, preferred
/// family first (stable otherwise), capped at `max_addresses_per_host`
/// while keeping one address of the other family when both exist.
#[inline]
fn order_host_addresses(addrs: &[IpAddr], config: &PlanConfig, out: &mut Addresses) {
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
}
