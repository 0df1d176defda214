//! MX resolution without I/O: a hardened DNS wire codec, the RFC 5321 §5.1
//! delivery plan as pure functions, and a Sans-IO lookup machine.
//!
//! # Overview
//!
//! "Where do I deliver mail for `example.com`?" becomes an ordered list of
//! hosts, each with ordered addresses, or a precise reason why there is
//! none ([`Outcome`]): Null MX (RFC 7505), no such domain, loops back to
//! myself, temporary or permanent failure.
//!
//! * [`wire`]: DNS messages (RFC 1035) decoded with every RFC 9267 check:
//!   compression pointers only backwards and past the header, a hop budget,
//!   labels ≤ 63, names ≤ 255, RDLENGTH equal to the RDATA parsed, counts
//!   never trusted for allocation, no trailing octets. A malformed record
//!   rejects the whole message. [`wire::MessageView`] validates in place
//!   without allocating; [`wire::Message`] is the owned form built on it.
//!   Queries carry EDNS0 (1232 octets); TCP framing and reassembly.
//! * [`plan`](mod@plan): sorting, seeded shuffling of equal preferences, dedupe, Null
//!   MX (also mixed with other records), implicit MX on NODATA, loop
//!   pruning (by name and by address), bad targets, family order and caps.
//!   [`plan::plan_view`] plans straight from a [`wire::MessageView`]: its
//!   targets borrow their host names from the response
//!   ([`Plan`]`<`[`wire::NameRef`]`>`, [`Plan::into_owned`] copies them
//!   out), and for the usual handful of hosts its only allocation is the
//!   list of targets (each target's [`Addresses`] hold up to four inline).
//!   [`Plan::ttl`] says how long a plan may be cached.
//! * [`MxLookup`]: the state machine that asks the resolvers;
//!   [`MxLookup::ttl`] says how long its outcome may be cached.
//!
//! # Example
//!
//! Build a query, decode a canned response and print the plan:
//!
//! ```
//! use mx_resolve::plan::{plan_response, plan_view};
//! use mx_resolve::wire::{build_query, Message, MessageView, Name, RecordType};
//! use mx_resolve::{Outcome, PlanConfig};
//!
//! let domain = Name::domain("example.com")?;
//! let query = build_query(0x1234, &domain, RecordType::MX, true);
//! assert_eq!(&query[..2], &[0x12, 0x34]);
//!
//! // A resolver's answer: 10 mx1.example.com, 20 mx2.example.com, with
//! // an address for each in the additional section (names compressed).
//! let response: &[u8] = b"\x12\x34\x81\x80\x00\x01\x00\x02\x00\x00\x00\x02\
//!     \x07example\x03com\x00\x00\x0f\x00\x01\
//!     \xc0\x0c\x00\x0f\x00\x01\x00\x00\x0e\x10\x00\x08\x00\x14\x03mx2\xc0\x0c\
//!     \xc0\x0c\x00\x0f\x00\x01\x00\x00\x0e\x10\x00\x08\x00\x0a\x03mx1\xc0\x0c\
//!     \xc0\x2b\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\xc0\x00\x02\x14\
//!     \xc0\x3f\x00\x1c\x00\x01\x00\x00\x0e\x10\x00\x10\
//!     \x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0a";
//! let message = Message::decode(response)?;
//!
//! let plan = plan_response(&domain, &message, &PlanConfig::default(), 7);
//! // The same plan straight from the bytes, without an owned message.
//! let view = MessageView::parse(response)?;
//! assert_eq!(plan_view(&domain, &view, &PlanConfig::default(), 7), plan);
//! // Cacheable for the smallest TTL of the records used.
//! assert_eq!(plan.ttl, Some(3600));
//! let Outcome::Targets(targets) = plan.outcome else { panic!("no targets") };
//! for t in &targets {
//!     println!("{} {} {:?}", t.preference, t.host, t.addresses);
//! }
//! assert_eq!(targets[0].host.to_string(), "mx1.example.com");
//! assert_eq!(targets[0].addresses[0].to_string(), "2001:db8::a");
//! assert_eq!(targets[1].host.to_string(), "mx2.example.com");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Run loop
//!
//! ```no_run
//! # use std::time::Instant;
//! # use mx_resolve::{Event, LookupConfig, MxLookup, Protocol};
//! # use mx_resolve::wire::Name;
//! # fn send(_: &mx_resolve::Transmit) {}
//! # fn receive() -> Option<(std::net::SocketAddr, Protocol, Vec<u8>)> { None }
//! let config = LookupConfig::with_resolvers(vec!["127.0.0.1:53".parse()?]);
//! let mut lookup = MxLookup::new(Name::domain("example.com")?, config, Instant::now(), 42)?;
//! loop {
//!     while let Some(t) = lookup.poll_transmit() {
//!         send(&t); // UDP datagram, or bytes for the TCP stream
//!     }
//!     while let Some(event) = lookup.poll_event() {
//!         if let Event::Done(outcome) = event {
//!             println!("{outcome:?}");
//!             return Ok(());
//!         }
//!     }
//!     // Wait for a reply or until lookup.poll_timeout().
//!     match receive() {
//!         Some((from, proto, bytes)) => lookup.handle_input(Instant::now(), from, proto, &bytes),
//!         None => lookup.handle_timeout(Instant::now()),
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Limits
//!
//! Labels 63 octets, names 255 octets, [`wire::name::MAX_POINTER_HOPS`]
//! compression pointers per name, CNAME chains
//! [`LookupConfig::max_cname_hops`], hosts and addresses capped by
//! [`PlanConfig`]. Nothing is allocated from a count the peer announced.
//!
//! # Features
//!
//! None. Lenient behaviours are runtime switches with a test each, never
//! cargo features: [`PlanConfig::allow_ip_literal_targets`],
//! [`PlanConfig::allow_cname_targets`], [`LookupConfig::edns`],
//! [`LookupConfig::use_additional`] (addresses that came with the MX
//! answer, for targets in the domain's bailiwick only), and the dangerous
//! [`PlanConfig::dangerous_out_of_bailiwick_glue`].
//!
//! # MTA-STS and DANE
//!
//! They filter targets, never reorder them: see [`plan::retain_targets`],
//! the MTA-STS pattern matcher [`policy::MxPattern`] and
//! [`Target::authenticated`].
//!
//! # Standards
//!
//! RFC 1035, RFC 2181 §9/§10.3, RFC 3596, RFC 4343, RFC 5321 §5.1,
//! RFC 5452, RFC 6891, RFC 7505, RFC 7766, RFC 9267, RFC 9619, UTS #46.
#![forbid(unsafe_code)]

pub mod config;
pub mod error;
pub mod lookup;
pub mod outcome;
pub mod plan;
pub mod policy;
mod rng;
pub mod wire;

pub use config::{AddressFamilies, FamilyPreference, LocalIdentity, LookupConfig, PlanConfig};
pub use error::{ConfigError, InvalidName, WireError};
pub use lookup::{Event, MxLookup, Protocol, Transmit};
pub use outcome::{Addresses, Diagnostic, Outcome, PermFailure, SkipReason, Target, TempFailure};
pub use plan::{AddressBook, HostStatus, MxRecord, Plan, PlanInput, plan};
