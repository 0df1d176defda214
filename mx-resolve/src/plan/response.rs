//! Plans straight from one MX response: owned ([`plan_response`]) or
//! zero-copy ([`plan_view`]).

use std::net::IpAddr;

use smallvec::SmallVec;

use super::stages::{Found, Slots, assign_core, order_core};
use super::{MxRecord, Plan, mx_rrset, rcode_failure};
use crate::config::PlanConfig;
use crate::outcome::{Outcome, TempFailure};
use crate::wire::record::CLASS_IN;
use crate::wire::{Message, MessageView, Name, NameRef, RData, RDataRef, Rcode};

/// Most CNAME steps followed on the domain inside one response.
const CNAME_STEPS: usize = 8;

/// A plan that ended before any record was looked at.
fn fail(outcome: Outcome) -> Plan {
    Plan {
        outcome,
        diagnostics: Vec::new(),
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
    if response.header.truncated {
        return fail(Outcome::TempFail(TempFailure::Truncated));
    }
    match response.rcode() {
        Rcode::NoError => {}
        Rcode::NxDomain => return fail(Outcome::NoSuchDomain),
        other => return fail(Outcome::TempFail(rcode_failure(other))),
    }
    let Some((owner, _)) = response.resolve_cname(domain, CNAME_STEPS) else {
        return fail(Outcome::TempFail(TempFailure::CnameChain {
            limit: CNAME_STEPS,
        }));
    };
    let mx = mx_rrset(response, owner);
    let auth = response.header.authentic_data;
    let mut diagnostics = Vec::new();
    let mut slots = Slots::new();
    let outcome = match order_core(owner, &mx, config, seed, &mut diagnostics, &mut slots) {
        Ok(pruned_self) => assign_core(
            &slots,
            pruned_self,
            |_, host, out| {
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
/// no owned message is built. One pass over the answers and one over the
/// additional section collect the records in place (on the stack for the
/// usual handful); only the exchanges are copied out, and each address
/// record is attached to the one host it names, matched by position in
/// the message before any name is compared.
pub fn plan_view<'a>(
    domain: &Name,
    response: &MessageView<'a>,
    config: &PlanConfig,
    seed: u64,
) -> Plan {
    let header = response.header();
    if header.truncated {
        return fail(Outcome::TempFail(TempFailure::Truncated));
    }
    match response.rcode() {
        Rcode::NoError => {}
        Rcode::NxDomain => return fail(Outcome::NoSuchDomain),
        other => return fail(Outcome::TempFail(rcode_failure(other))),
    }
    let mut mx_raw: SmallVec<[(NameRef<'a>, u16, NameRef<'a>); 8]> = SmallVec::new();
    let mut addresses: SmallVec<[(NameRef<'a>, IpAddr); 16]> = SmallVec::new();
    let mut has_cname = false;
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
            RDataRef::A(a) => addresses.push((r.owner, IpAddr::V4(a))),
            RDataRef::Aaaa(a) => addresses.push((r.owner, IpAddr::V6(a))),
            _ => {}
        }
    }
    for r in response.additional().filter(|r| r.class == CLASS_IN) {
        match r.rdata() {
            RDataRef::A(a) => addresses.push((r.owner, IpAddr::V4(a))),
            RDataRef::Aaaa(a) => addresses.push((r.owner, IpAddr::V6(a))),
            _ => {}
        }
    }
    // Follow a CNAME chain on the domain.
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
                Some(_) if steps == CNAME_STEPS => {
                    return fail(Outcome::TempFail(TempFailure::CnameChain {
                        limit: CNAME_STEPS,
                    }));
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
    // The RRset, and where each exchange sits in the message.
    let mut mx: SmallVec<[MxRecord; 8]> = SmallVec::new();
    let mut places: SmallVec<[usize; 8]> = SmallVec::new();
    for (o, preference, exchange) in &mx_raw {
        if is_owner(o) {
            places.push(exchange.position());
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
    let mut slots = Slots::new();
    let pruned_self = match order_core(final_name, &mx, config, seed, &mut diagnostics, &mut slots)
    {
        Ok(pruned_self) => pruned_self,
        Err(outcome) => {
            return Plan {
                outcome,
                diagnostics,
            };
        }
    };
    // Each address record belongs to at most one candidate (they are
    // distinct names): the one whose exchange sits at the same position,
    // else the one whose name it spells.
    let mut owned: SmallVec<[(usize, IpAddr); 16]> = SmallVec::new();
    for (name, address) in &addresses {
        let at = name.position();
        let slot = slots
            .iter()
            .position(|s| places.get(s.source) == Some(&at))
            .or_else(|| slots.iter().position(|s| name.eq_name(&s.candidate.host)));
        if let Some(i) = slot {
            owned.push((i, *address));
        }
    }
    let auth = header.authentic_data;
    let outcome = assign_core(
        &slots,
        pruned_self,
        |i, _, out| {
            out.extend(
                owned
                    .iter()
                    .filter(|(j, _)| *j == i)
                    .map(|(_, address)| *address),
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
