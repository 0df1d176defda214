//! What a lookup ends with, and the diagnostics gathered on the way.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::ops::Deref;

use smallvec::SmallVec;
use thiserror::Error;

use crate::error::WireError;
use crate::wire::{Name, NameRef, RecordType};

/// One host to deliver to, in the order to try.
///
/// `H` is how the host name is held: an owned [`Name`] (the default), or a
/// [`NameRef`] into the response for a plan made in place by
/// [`plan_view`](crate::plan::plan_view) ([`Target::into_owned`] converts).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Target<H = Name> {
    /// The MX exchange (A-label form), or the domain itself for an
    /// implicit MX.
    pub host: H,
    /// MX preference (0 for an implicit MX).
    pub preference: u16,
    /// True when there was no MX RRset and the domain itself is the target
    /// (RFC 5321 §5.1 implicit MX).
    pub implicit: bool,
    /// Addresses to try, in order, deduplicated across the plan and capped.
    pub addresses: Addresses,
    /// True when the resolver vouched (AD bit) for the MX RRset and for
    /// this host's addresses: the precondition for DANE (RFC 7672 §2.2).
    pub authenticated: bool,
}

impl Target<NameRef<'_>> {
    /// The same target with its host name copied out of the message.
    pub fn into_owned(self) -> Target {
        Target {
            host: self.host.to_name(),
            preference: self.preference,
            implicit: self.implicit,
            addresses: self.addresses,
            authenticated: self.authenticated,
        }
    }
}

impl PartialEq<Target> for Target<NameRef<'_>> {
    /// Equal when the host names are (RFC 4343) and every other field is.
    fn eq(&self, other: &Target) -> bool {
        self.host == other.host
            && self.preference == other.preference
            && self.implicit == other.implicit
            && self.addresses == other.addresses
            && self.authenticated == other.authenticated
    }
}

/// How many addresses a target holds without allocating: the default
/// [`PlanConfig::max_addresses_per_host`](crate::PlanConfig::max_addresses_per_host).
const INLINE_ADDRESSES: usize = 4;

/// A target's addresses, in the order to try.
///
/// Reads like a slice (`Deref<Target = [IpAddr]>`), iterates by value or
/// by reference, and compares equal to arrays, slices and vectors of
/// addresses. Up to four are stored inline, so planning allocates nothing
/// per host in the usual case.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Addresses(SmallVec<[IpAddr; INLINE_ADDRESSES]>);

impl Addresses {
    /// No addresses.
    pub fn new() -> Self {
        Self::default()
    }

    /// The addresses as a slice.
    pub fn as_slice(&self) -> &[IpAddr] {
        &self.0
    }

    /// A copy in a vector.
    pub fn into_vec(self) -> Vec<IpAddr> {
        self.0.into_vec()
    }

    pub(crate) fn push(&mut self, address: IpAddr) {
        self.0.push(address);
    }

    pub(crate) fn retain(&mut self, keep: impl FnMut(&mut IpAddr) -> bool) {
        self.0.retain(keep);
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }

    pub(crate) fn last_mut(&mut self) -> Option<&mut IpAddr> {
        self.0.last_mut()
    }
}

impl Deref for Addresses {
    type Target = [IpAddr];

    fn deref(&self) -> &[IpAddr] {
        &self.0
    }
}

impl AsRef<[IpAddr]> for Addresses {
    fn as_ref(&self) -> &[IpAddr] {
        &self.0
    }
}

impl fmt::Debug for Addresses {
    /// Like a `Vec<IpAddr>`: `[192.0.2.1, 2001:db8::1]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

impl From<Vec<IpAddr>> for Addresses {
    fn from(addresses: Vec<IpAddr>) -> Self {
        Self(SmallVec::from_vec(addresses))
    }
}

impl From<&[IpAddr]> for Addresses {
    fn from(addresses: &[IpAddr]) -> Self {
        Self(SmallVec::from_slice(addresses))
    }
}

impl FromIterator<IpAddr> for Addresses {
    fn from_iter<I: IntoIterator<Item = IpAddr>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl<const N: usize> PartialEq<[IpAddr; N]> for Addresses {
    fn eq(&self, other: &[IpAddr; N]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl PartialEq<[IpAddr]> for Addresses {
    fn eq(&self, other: &[IpAddr]) -> bool {
        self.as_slice() == other
    }
}

impl PartialEq<&[IpAddr]> for Addresses {
    fn eq(&self, other: &&[IpAddr]) -> bool {
        self.as_slice() == *other
    }
}

impl PartialEq<Vec<IpAddr>> for Addresses {
    fn eq(&self, other: &Vec<IpAddr>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl IntoIterator for Addresses {
    type Item = IpAddr;
    type IntoIter = IntoIter;

    fn into_iter(self) -> IntoIter {
        IntoIter(self.0.into_iter())
    }
}

impl<'a> IntoIterator for &'a Addresses {
    type Item = &'a IpAddr;
    type IntoIter = std::slice::Iter<'a, IpAddr>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// The addresses of a [`Target`], by value.
pub struct IntoIter(smallvec::IntoIter<[IpAddr; INLINE_ADDRESSES]>);

impl fmt::Debug for IntoIter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.as_slice()).finish()
    }
}

impl Iterator for IntoIter {
    type Item = IpAddr;

    fn next(&mut self) -> Option<IpAddr> {
        self.0.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for IntoIter {
    fn next_back(&mut self) -> Option<IpAddr> {
        self.0.next_back()
    }
}

impl ExactSizeIterator for IntoIter {}

/// The result of an MX lookup or a delivery plan.
///
/// Each variant maps to the enhanced status code an MTA would use in a
/// bounce or deferral; see [`Outcome::enhanced_status`]. `H` is how the
/// targets hold their host names (see [`Target`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome<H = Name> {
    /// Deliver to these targets, in order (never empty).
    Targets(Vec<Target<H>>),
    /// The domain publishes Null MX (RFC 7505): it accepts no mail.
    NullMx,
    /// The domain does not exist (NXDOMAIN).
    NoSuchDomain,
    /// This MTA is the best MX: mail would loop (RFC 5321 §5.1).
    LoopsBackToMyself,
    /// Try again later.
    TempFail(TempFailure),
    /// Give up: the domain's DNS can never lead to a delivery as it stands.
    PermFail(PermFailure),
}

impl Outcome<NameRef<'_>> {
    /// The same outcome with the host names copied out of the message.
    pub fn into_owned(self) -> Outcome {
        match self {
            Self::Targets(targets) => {
                Outcome::Targets(targets.into_iter().map(Target::into_owned).collect())
            }
            Self::NullMx => Outcome::NullMx,
            Self::NoSuchDomain => Outcome::NoSuchDomain,
            Self::LoopsBackToMyself => Outcome::LoopsBackToMyself,
            Self::TempFail(reason) => Outcome::TempFail(reason),
            Self::PermFail(reason) => Outcome::PermFail(reason),
        }
    }
}

impl PartialEq<Outcome> for Outcome<NameRef<'_>> {
    /// Equal when both are the same variant with equal contents.
    fn eq(&self, other: &Outcome) -> bool {
        match (self, other) {
            (Self::Targets(a), Outcome::Targets(b)) => a.as_slice() == b.as_slice(),
            (Self::NullMx, Outcome::NullMx)
            | (Self::NoSuchDomain, Outcome::NoSuchDomain)
            | (Self::LoopsBackToMyself, Outcome::LoopsBackToMyself) => true,
            (Self::TempFail(a), Outcome::TempFail(b)) => a == b,
            (Self::PermFail(a), Outcome::PermFail(b)) => a == b,
            _ => false,
        }
    }
}

impl<H> Outcome<H> {
    /// The RFC 3463 enhanced status code to report, `None` for targets.
    ///
    /// Null MX: 5.1.10 (RFC 7505 §4.3); no such domain: 5.1.2; loop:
    /// 5.4.6; no primary relay: 4.4.4; other temporary: 4.4.3; other
    /// permanent: 5.4.4 (the Postfix choices).
    pub fn enhanced_status(&self) -> Option<&'static str> {
        match self {
            Self::Targets(_) => None,
            Self::NullMx => Some("5.1.10"),
            Self::NoSuchDomain => Some("5.1.2"),
            Self::LoopsBackToMyself => Some("5.4.6"),
            Self::TempFail(TempFailure::NoPrimaryRelay) => Some("4.4.4"),
            Self::TempFail(_) => Some("4.4.3"),
            Self::PermFail(_) => Some("5.4.4"),
        }
    }

    /// Whether the message should be bounced rather than kept queued.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            Self::NullMx | Self::NoSuchDomain | Self::LoopsBackToMyself | Self::PermFail(_)
        )
    }
}

/// Why a lookup failed for now.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TempFailure {
    /// Every attempt timed out, or the lookup's total deadline passed.
    #[error("dns query for {qtype:?} timed out")]
    Timeout {
        /// The question's type.
        qtype: RecordType,
    },
    /// The resolvers answered SERVFAIL.
    #[error("dns server failure (servfail)")]
    ServFail,
    /// The resolvers refused to answer.
    #[error("dns query refused")]
    Refused,
    /// Another error RCODE.
    #[error("dns rcode {0}")]
    Rcode(u16),
    /// A response was malformed; the whole answer was discarded.
    #[error("malformed dns response: {0}")]
    Malformed(WireError),
    /// The response was truncated even over TCP.
    #[error("dns response truncated over tcp")]
    Truncated,
    /// A CNAME chain looped or was longer than the configured limit.
    #[error("cname chain loops or is longer than {limit} steps")]
    CnameChain {
        /// The hop limit.
        limit: usize,
    },
    /// The best MX hosts had no usable address and the next one is this
    /// MTA (Postfix "unable to find primary relay", 4.4.4).
    #[error("unable to find primary relay")]
    NoPrimaryRelay,
    /// Address lookups of the MX hosts failed temporarily.
    #[error("address lookup for the mx hosts failed")]
    AddressLookup,
    /// A policy filter (MTA-STS, DANE) removed every target.
    #[error("no target allowed by policy")]
    NoTargetAllowed,
}

/// Why a lookup failed for good.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PermFailure {
    /// MX records exist but none names a usable host (all IP literals,
    /// non-host names or pruned); there is no fallback to A/AAAA.
    #[error("mx records exist but none is usable")]
    NoUsableMx,
    /// No target has any address (including an implicit MX on a domain
    /// without A/AAAA records).
    #[error("no mx host has an address")]
    NoAddresses,
}

/// Why an MX exchange was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// An IPv4 literal, refused unless `allow_ip_literal_targets`.
    IpLiteral,
    /// Not a host name (e.g. `_mx.example`, raw UTF-8, `a_b`).
    NotHostname,
    /// Its address lookup went through a CNAME and CNAME targets are off.
    CnameTarget,
    /// Beyond `max_hosts`.
    OverHostLimit,
}

/// Anomalies noticed along the way: each one was handled (the outcome
/// already accounts for it) but is worth logging.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Diagnostic {
    /// A Null MX record had a non-zero preference (RFC 7505 §3 says 0).
    NullMxPreference {
        /// The preference sent.
        preference: u16,
    },
    /// A Null MX record came with other MX records (RFC 7505 §3 forbids
    /// it); the domain is still treated as accepting no mail.
    NullMxMixed,
    /// The same exchange was listed more than once; its best preference
    /// was kept.
    DuplicateExchange {
        /// The host.
        host: Name,
    },
    /// An exchange was skipped.
    SkippedTarget {
        /// The host as published.
        host: Name,
        /// Why.
        reason: SkipReason,
    },
    /// An IP literal exchange was accepted (lenient mode).
    IpLiteralTarget {
        /// The host as published.
        host: Name,
    },
    /// An exchange's address lookup went through a CNAME (tolerated).
    CnameTarget {
        /// The host as published.
        host: Name,
    },
    /// This MTA was found among the MX hosts at this preference; it and
    /// every host at or above it were dropped.
    SelfPruned {
        /// This MTA's preference.
        preference: u16,
    },
    /// An answer record not owned by the question's name or its CNAME
    /// chain was ignored.
    UnrelatedRecord {
        /// Its owner.
        owner: Name,
    },
    /// A datagram did not match any outstanding query (wrong source, id,
    /// QR bit, opcode or question) and was dropped.
    UnmatchedResponse {
        /// Where it came from.
        from: SocketAddr,
    },
    /// A response could not be decoded and was discarded whole.
    MalformedResponse {
        /// Where it came from.
        from: SocketAddr,
        /// What was wrong.
        error: WireError,
    },
    /// A UDP response had TC set; the question was asked again over TCP.
    RetriedOverTcp,
    /// The server rejected EDNS (FORMERR/NOTIMP); asked again without OPT.
    RetriedWithoutEdns,
    /// A query timed out; it was sent again, to the next resolver.
    Retried {
        /// The resolver that did not answer.
        resolver: SocketAddr,
    },
}
