//! Configuration of the delivery plan and of the lookup machine.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::wire::Name;

/// Who "myself" is, for RFC 5321 §5.1 loop avoidance: an MX host that is
/// one of these names, or resolves to one of these addresses, is this MTA.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LocalIdentity {
    /// This MTA's host names (A-label form).
    pub names: Vec<Name>,
    /// This MTA's addresses, including any proxy or NAT addresses that
    /// reach it (Postfix `proxy_interfaces`).
    pub addresses: Vec<IpAddr>,
}

impl LocalIdentity {
    /// An identity with these names and addresses.
    pub fn new(names: Vec<Name>, addresses: Vec<IpAddr>) -> Self {
        Self { names, addresses }
    }
}

/// Which address families the plan may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AddressFamilies {
    /// IPv4 and IPv6 (AAAA and A queries).
    #[default]
    Both,
    /// IPv4 only (no AAAA queries).
    Ipv4Only,
    /// IPv6 only (no A queries).
    Ipv6Only,
}

/// Which family comes first in each host's address list (Postfix
/// `smtp_address_preference`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FamilyPreference {
    /// IPv6 before IPv4 (RFC 6724 default precedence).
    #[default]
    Ipv6,
    /// IPv4 before IPv6.
    Ipv4,
}

/// Rules for turning an MX RRset and addresses into a delivery plan
/// (RFC 5321 §5.1). `Default` gives the strict, RFC-faithful behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlanConfig {
    /// This MTA, for loop avoidance (RFC 5321 §5.1).
    pub local: LocalIdentity,
    /// Accept MX exchanges that are IPv4 literals such as `192.0.2.1`
    /// (forbidden by RFC 5321 §5.1, tolerated by some MTAs). Off by default.
    pub allow_ip_literal_targets: bool,
    /// Accept MX exchanges whose address lookup goes through a CNAME
    /// (RFC 2181 §10.3 forbids it; Postfix tolerates it). On by default,
    /// reported as a diagnostic.
    pub allow_cname_targets: bool,
    /// Families to return.
    pub families: AddressFamilies,
    /// Family order within each host.
    pub prefer: FamilyPreference,
    /// Most MX hosts kept after sorting and pruning (the rest are dropped
    /// before any address query). Default 10.
    pub max_hosts: usize,
    /// Most addresses per host (Postfix `smtp_mx_address_limit` spirit).
    /// When both families exist and the cap bites, at least one address of
    /// each is kept. Default 4.
    pub max_addresses_per_host: usize,
    /// Most addresses over the whole plan. RFC 5321 §5.1: a client SHOULD
    /// try at least two. Default 10.
    pub max_addresses: usize,
    /// Take address records that came with the MX answer for every target,
    /// not only for targets at or below the domain asked for (or the name
    /// its CNAME chain ends at). Off by default, and dangerous: whoever can
    /// add a record to the answer (a poisoned cache, a meddling resolver,
    /// another domain's zone on the CNAME path) can then send this
    /// domain's mail to any address by naming an outside host
    /// (`mx.evil.test`) with glue of their choosing. Without it such
    /// targets count as not yet resolved and [`MxLookup`](crate::MxLookup)
    /// asks for their addresses.
    pub dangerous_out_of_bailiwick_glue: bool,
}

impl Default for PlanConfig {
    fn default() -> Self {
        Self {
            local: LocalIdentity::default(),
            allow_ip_literal_targets: false,
            allow_cname_targets: true,
            families: AddressFamilies::Both,
            prefer: FamilyPreference::Ipv6,
            max_hosts: 10,
            max_addresses_per_host: 4,
            max_addresses: 10,
            dangerous_out_of_bailiwick_glue: false,
        }
    }
}

/// Configuration of an [`MxLookup`](crate::MxLookup).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LookupConfig {
    /// Recursive resolvers to ask, in order; retries rotate through them.
    pub resolvers: Vec<SocketAddr>,
    /// The delivery plan rules.
    pub plan: PlanConfig,
    /// Wait for the first attempt of a query; doubled per retry
    /// (RFC 1536 §1 backoff). Default 2 s.
    pub attempt_timeout: Duration,
    /// Upper bound of the per-attempt wait. Default 8 s.
    pub max_attempt_timeout: Duration,
    /// Attempts per question before it fails (each retry goes to the next
    /// resolver). Default 4.
    pub max_attempts: usize,
    /// Deadline for the whole lookup. Default 30 s.
    pub total_timeout: Duration,
    /// Most CNAME steps followed for one question (hickory and BIND use 8
    /// to 16). Default 8.
    pub max_cname_hops: usize,
    /// Send an EDNS OPT record (1232 octets); on FORMERR or NOTIMP the
    /// query is retried once without it. Default on.
    pub edns: bool,
    /// Use A/AAAA records that came with the MX response instead of asking
    /// again, for targets at or below the domain (or the name its CNAME
    /// chain ends at); other targets are always asked for unless
    /// [`PlanConfig::dangerous_out_of_bailiwick_glue`] is set. They are
    /// only hints (RFC 2181 §5.4.1); turn this off to ask for every target.
    /// Default on.
    pub use_additional: bool,
}

impl Default for LookupConfig {
    fn default() -> Self {
        Self {
            resolvers: Vec::new(),
            plan: PlanConfig::default(),
            attempt_timeout: Duration::from_secs(2),
            max_attempt_timeout: Duration::from_secs(8),
            max_attempts: 4,
            total_timeout: Duration::from_secs(30),
            max_cname_hops: 8,
            edns: true,
            use_additional: true,
        }
    }
}

impl LookupConfig {
    /// The defaults with these resolvers.
    pub fn with_resolvers(resolvers: Vec<SocketAddr>) -> Self {
        Self {
            resolvers,
            ..Self::default()
        }
    }
}
