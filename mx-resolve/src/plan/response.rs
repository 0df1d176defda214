//! Plans straight from one MX response: owned ([`plan_response`]) or
//! zero-copy ([`plan_view`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use smallvec::SmallVec;

use super::stages::{Found, NO_TTL, Slot, Slots, assign_core, order_core, ttl_of};
use super::{MxRecord, Plan, cname_ttl, mx_rrset, rcode_failure};
use crate::config::PlanConfig;
use crate::outcome::{Diagnostic, Outcome, TempFailure};
use crate::wire::host::{HostKind, RunMemo};
use crate::wire::name::is_at_or_below;
use crate::wire::record::CLASS_IN;
use crate::wire::view::RawRecord;
use crate::wire::{Message, MessageView, Name, NameRef, RData, RDataRef, Rcode, RecordType};

/// Most CNAME steps followed on the domain inside one response.
const CNAME_STEPS: usize = 8;

/// A plan that ended before any record was looked at.
fn fail<H>(outcome: Outcome<H>) -> Plan<H> {
    Plan {
        outcome,
        diagnostics: Vec::new(),
        ttl: None,
    }
}

/// Whether addresses that came with the MX answer may be used for `host`:
/// it is `domain`, the domain's CNAME target `owner` (the MX RRset's owner),
/// or below one of them, so the zone that answered for the domain also
/// answers for the host. An outside host's addresses are looked up on
/// their own instead: otherwise whoever adds one record to the answer
/// chooses where the domain's mail goes.
pub(crate) fn in_bailiwick(host: &Name, domain: &Name, owner: &Name) -> bool {
    is_at_or_below(|| host.labels(), || domain.labels())
        || is_at_or_below(|| host.labels(), || owner.labels())
}

/// A finished plan; `ttl` is [`NO_TTL`] when no record was used.
fn finish<H>(outcome: Outcome<H>, diagnostics: Vec<Diagnostic>, ttl: u32) -> Plan<H> {
    Plan {
        outcome,
        diagnostics,
        ttl: (ttl != NO_TTL).then_some(ttl),
    }
}

/// The plan for one decoded MX response, taking addresses from its answer
/// and additional sections. Hosts without address records there count as
/// not yet resolved (a temporary failure if no host has any), and so do
/// hosts outside the domain's bailiwick (neither the domain, the name its
/// CNAME chain ends at, nor below one of them) unless
/// [`PlanConfig::dangerous_out_of_bailiwick_glue`] is set.
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
    let records_ttl = response
        .mx_records(owner)
        .map(|(_, _, t)| ttl_of(t))
        .fold(cname_ttl(response, domain, owner, CNAME_STEPS), u32::min);
    let auth = response.header.authentic_data;
    let mut diagnostics = Vec::new();
    let mut slots = Slots::new();
    let (outcome, addresses_ttl) = match order_core(
        owner,
        &mx,
        |_, exchange| exchange.host_kind(),
        config,
        seed,
        &mut diagnostics,
        &mut slots,
    ) {
        Ok(stage1) => assign_core(
            &stage1,
            |_, host, out| {
                if !config.dangerous_out_of_bailiwick_glue && !in_bailiwick(host, domain, owner) {
                    return Found::TempFail;
                }
                let mut least = NO_TTL;
                for r in response.answers.iter().chain(&response.additional) {
                    if r.class != CLASS_IN || r.name != *host {
                        continue;
                    }
                    let address = match r.data {
                        RData::A(a) => IpAddr::V4(a),
                        RData::Aaaa(a) => IpAddr::V6(a),
                        _ => continue,
                    };
                    out.push(address);
                    least = least.min(ttl_of(r.ttl));
                }
                if out.is_empty() {
                    Found::TempFail
                } else {
                    Found::Addresses {
                        authenticated: auth,
                        via_cname: false,
                        ttl: least,
                    }
                }
            },
            auth,
            config,
            &mut diagnostics,
        ),
        Err(outcome) => (outcome, NO_TTL),
    };
    finish(outcome, diagnostics, records_ttl.min(addresses_ttl))
}

/// [`plan_response`] on a zero-copy [`MessageView`]: the same rules and
/// the same plan, but nothing is copied out of the message. One pass over
/// the answers and one over the additional section collect the records in
/// place (on the stack for the usual handful); exchanges are compared and
/// checked as host names where they lie (a suffix shared through
/// compression is classified once), and each address record is attached
/// to the one host it names, matched by position in the message before
/// any name is compared.
///
/// The targets' host names are [`NameRef`]s into the response (the
/// domain's own octets for an implicit MX the response does not spell);
/// [`Plan::into_owned`] copies them out. A `Plan<NameRef>` compares equal
/// to the owned plan with the same contents.
pub fn plan_view<'a>(
    domain: &'a Name,
    response: &MessageView<'a>,
    config: &PlanConfig,
    seed: u64,
) -> Plan<NameRef<'a>> {
    let header = response.header();
    if header.truncated {
        return fail(Outcome::TempFail(TempFailure::Truncated));
    }
    match response.rcode() {
        Rcode::NoError => {}
        Rcode::NxDomain => return fail(Outcome::NoSuchDomain),
        other => return fail(Outcome::TempFail(rcode_failure(other))),
    }
    // Address records are noted as packed offsets (see `Packed`): one
    // word each, written and read whole. Validation guarantees the RDATA
    // lengths (A 4, AAAA 16, MX at least 3).
    let msg = response.bytes();
    // The question, when it names the domain: its position settles owners
    // compressed against it.
    let question = response
        .question()
        .map(|(q, _, _)| q)
        .filter(|q| q.eq_name(domain));
    let question_place = question.map(|q| q.position());
    // One pass over the answers: the domain's MX RRset (exchanges read in
    // place, classified, and where each sits), the address records, and
    // whether there is a CNAME to follow.
    let mut rrset = RrSet::new();
    let mut addresses: SmallVec<[u64; 16]> = SmallVec::new();
    let mut has_cname = false;
    for r in response.raw_records(0) {
        if r.class != CLASS_IN {
            continue;
        }
        match RecordType(r.rtype) {
            RecordType::MX => {
                let o = NameRef::at_offset(msg, r.owner);
                if Some(o.position()) == question_place || o.eq_name(domain) {
                    rrset.push(msg, &r);
                }
            }
            RecordType::CNAME => has_cname = true,
            RecordType::A | RecordType::AAAA => {
                let v6 = r.rtype == RecordType::AAAA.0;
                addresses.push(Packed::address(r.owner, r.rdata, v6, r.ttl));
            }
            _ => {}
        }
    }
    for r in response.raw_records(2) {
        if r.class == CLASS_IN && matches!(RecordType(r.rtype), RecordType::A | RecordType::AAAA) {
            let v6 = r.rtype == RecordType::AAAA.0;
            addresses.push(Packed::address(r.owner, r.rdata, v6, r.ttl));
        }
    }
    // Follow a CNAME chain on the domain; the RRset is then the one its
    // last name owns.
    let mut owner: Option<NameRef<'_>> = None;
    let mut ttl = NO_TTL;
    if has_cname {
        let mut steps = 0;
        loop {
            let next = response.answers().find_map(|r| match r.rdata() {
                RDataRef::Cname(target)
                    if r.class == CLASS_IN
                        && owner.map_or_else(|| r.owner.eq_name(domain), |o| r.owner == o) =>
                {
                    Some((target, r.ttl))
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
                Some((target, t)) => {
                    owner = Some(target);
                    ttl = ttl.min(ttl_of(t));
                    steps += 1;
                }
            }
        }
        if let Some(o) = owner {
            rrset = RrSet::new();
            for r in response.raw_records(0) {
                if r.class == CLASS_IN
                    && r.rtype == RecordType::MX.0
                    && NameRef::at_offset(msg, r.owner) == o
                {
                    rrset.push(msg, &r);
                }
            }
        }
    }
    let ttl = ttl.min(rrset.ttl);
    // The name an implicit MX delivers to, as the response spells it (or
    // as the caller did, when the response does not).
    let domain_name = question.unwrap_or_else(|| NameRef::over(domain));
    let final_name = owner.unwrap_or(domain_name);
    let mut diagnostics = Vec::new();
    let RrSet { mx, kinds, .. } = &rrset;
    let kind_of = |i: usize, _: &NameRef<'a>| kinds.get(i).map_or(HostKind::Neither, |k| k.0);
    let mut slots = Slots::new();
    let stage1 = match order_core(
        &final_name,
        mx,
        kind_of,
        config,
        seed,
        &mut diagnostics,
        &mut slots,
    ) {
        Ok(stage1) => stage1,
        Err(outcome) => return finish(outcome, diagnostics, ttl),
    };
    // Each address record belongs to at most one candidate (they are
    // distinct names): the one whose exchange sits at the same position,
    // else the one whose name it spells. Its word is tagged with that
    // candidate's index ([`Packed::UNUSED`] for none).
    let place_of = |s: &Slot| {
        usize::try_from(s.source)
            .ok()
            .and_then(|i| kinds.get(i))
            .map_or(usize::MAX, |k| k.1)
    };
    for word in addresses.iter_mut() {
        let name = NameRef::at_offset(msg, Packed::low(*word));
        let at = name.position();
        let slots = stage1.slots;
        let slot = slots
            .iter()
            .position(|s| place_of(s) == at)
            .or_else(|| slots.iter().position(|s| name == *stage1.host(s)));
        *word = Packed::with_low(*word, slot.unwrap_or(Packed::UNUSED));
    }
    let auth = header.authentic_data;
    let (outcome, addresses_ttl) = assign_core(
        &stage1,
        |i, host, out| {
            let mut least = NO_TTL;
            for &word in addresses.iter() {
                if Packed::low(word) != i {
                    continue;
                }
                if let Some(address) = Packed::ip(msg, word) {
                    out.push(address);
                    least = least.min(Packed::address_ttl(word));
                }
            }
            // Glue for a host outside the domain's zone (or the zone of
            // the CNAME target, when there is one) is not used (see
            // `in_bailiwick`); checked only for a host that has some.
            let usable = || {
                config.dangerous_out_of_bailiwick_glue
                    || host.is_at_or_below(&domain_name)
                    || owner.is_some() && host.is_at_or_below(&final_name)
            };
            if out.is_empty() || !usable() {
                out.clear();
                return Found::TempFail;
            }
            Found::Addresses {
                authenticated: auth,
                via_cname: false,
                ttl: least,
            }
        },
        auth,
        config,
        &mut diagnostics,
    );
    finish(outcome, diagnostics, ttl.min(addresses_ttl))
}

/// The MX RRset [`plan_view`] plans from: the records (exchanges read in
/// place), what each exchange is and where it sits, and the smallest TTL.
struct RrSet<'a> {
    mx: SmallVec<[MxRecord<NameRef<'a>>; 8]>,
    kinds: SmallVec<[(HostKind, usize); 8]>,
    memo: RunMemo,
    ttl: u32,
}

impl<'a> RrSet<'a> {
    /// An empty set.
    fn new() -> Self {
        Self {
            mx: SmallVec::new(),
            kinds: SmallVec::new(),
            memo: RunMemo::new(),
            ttl: NO_TTL,
        }
    }

    /// Adds the MX record `r` of `msg`. A suffix shared by compression is
    /// classified once (`memo`).
    #[inline]
    fn push(&mut self, msg: &'a [u8], r: &RawRecord) {
        let preference = msg
            .get(r.rdata..)
            .and_then(|d| d.first_chunk::<2>())
            .map_or(0, |p| u16::from_be_bytes(*p));
        let exchange = NameRef::at_offset(msg, r.rdata + 2);
        self.ttl = self.ttl.min(ttl_of(r.ttl));
        self.kinds
            .push((exchange.host_kind(&mut self.memo), exchange.position()));
        self.mx.push(MxRecord::new(preference, exchange));
    }
}

/// One record noted by [`plan_view`] as a single word: offsets in a
/// message are below 2^16 (the parser refuses longer messages).
///
/// * Address (64 bits): owner offset (or, once attached, the candidate
///   index) in the low 16 bits, RDATA offset in the next 16, bit 32 set
///   for AAAA, the TTL in the 31 bits above.
///
/// TTLs are stored as RFC 2181 §8 reads them, so they fit in 31 bits.
struct Packed;

impl Packed {
    /// The low half of an address word attached to no candidate.
    const UNUSED: usize = 0xFFFF;

    fn address(owner: usize, rdata: usize, v6: bool, ttl: u32) -> u64 {
        (owner as u64 & 0xFFFF)
            | (rdata as u64 & 0xFFFF) << 16
            | u64::from(v6) << 32
            | u64::from(ttl_of(ttl)) << 33
    }

    fn address_ttl(word: u64) -> u32 {
        (word >> 33) as u32
    }

    fn low(word: u64) -> usize {
        (word & 0xFFFF) as usize
    }

    /// The word with its low half replaced: `low` is a candidate index,
    /// below the number of records, so below 2^16.
    fn with_low(word: u64, low: usize) -> u64 {
        (word & !0xFFFF) | (low as u64 & 0xFFFF)
    }

    /// The address a packed A or AAAA record holds.
    fn ip(msg: &[u8], word: u64) -> Option<IpAddr> {
        let at = (word >> 16 & 0xFFFF) as usize;
        if word >> 32 & 1 == 1 {
            let octets = <[u8; 16]>::try_from(msg.get(at..at + 16)?).ok()?;
            Some(IpAddr::V6(Ipv6Addr::from(octets)))
        } else {
            let octets = <[u8; 4]>::try_from(msg.get(at..at + 4)?).ok()?;
            Some(IpAddr::V4(Ipv4Addr::from(octets)))
        }
    }
}
