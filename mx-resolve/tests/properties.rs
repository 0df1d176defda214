//! proptest: encode→decode identity, plan invariants, truncation at every
//! offset, arbitrary bytes and arbitrary replies never panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use common::*;
use mx_resolve::plan::{order_exchanges, plan_response, plan_view};
use mx_resolve::wire::{
    Edns, Header, Message, MessageView, Name, Question, RData, Record, RecordType,
};
use mx_resolve::{
    AddressBook, LocalIdentity, MxRecord, Outcome, PlanConfig, PlanInput, Protocol, plan,
};
use proptest::prelude::*;

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?"
}

fn name() -> impl Strategy<Value = Name> {
    prop::collection::vec(label(), 1..4).prop_map(|ls| Name::from_ascii(&ls.join(".")).unwrap())
}

/// Names from a small pool so that compression has suffixes to share.
fn pooled_name() -> impl Strategy<Value = Name> {
    prop_oneof![
        Just(n("example.com")),
        Just(n("mx1.example.com")),
        Just(n("mx2.example.com")),
        Just(n("a.b.example.com")),
        name(),
    ]
}

fn rdata() -> impl Strategy<Value = RData> {
    prop_oneof![
        any::<u32>().prop_map(|v| RData::A(Ipv4Addr::from(v))),
        any::<u128>().prop_map(|v| RData::Aaaa(Ipv6Addr::from(v))),
        (any::<u16>(), pooled_name()).prop_map(|(preference, exchange)| RData::Mx {
            preference,
            exchange
        }),
        Just(RData::Mx {
            preference: 0,
            exchange: Name::root()
        }),
        pooled_name().prop_map(RData::Cname),
        (100u16..200, prop::collection::vec(any::<u8>(), 0..20)).prop_map(|(t, data)| {
            RData::Other {
                rtype: RecordType(t),
                data,
            }
        }),
    ]
}

fn record() -> impl Strategy<Value = Record> {
    (pooled_name(), any::<u32>(), rdata())
        .prop_map(|(name, ttl, data)| Record::new(name, ttl, data))
}

fn message() -> impl Strategy<Value = Message> {
    (
        any::<u16>(),
        any::<bool>(),
        pooled_name(),
        prop::collection::vec(record(), 0..8),
        prop::collection::vec(record(), 0..3),
        prop::collection::vec(record(), 0..6),
        prop::option::of(512u16..4096),
        0u8..6,
    )
        .prop_map(
            |(id, tc, qname, answers, authority, additional, edns, rcode)| {
                let mut header = Header::query(id);
                header.response = true;
                header.truncated = tc;
                header.rcode = rcode;
                let mut m = Message::new(header, Question::new(qname, RecordType::MX));
                m.answers = answers;
                m.authority = authority;
                m.additional = additional;
                m.edns = edns.map(Edns::new);
                m
            },
        )
}

fn hickory_name(n: &hickory_proto::rr::Name) -> String {
    let text = n.to_ascii().to_ascii_lowercase();
    if text == "." {
        text
    } else {
        text.trim_end_matches('.').to_owned()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn encode_decode_identity(m in message()) {
        let bytes = m.to_vec();
        let mut back = Message::decode(&bytes).unwrap();
        // Counts are recomputed on encode; compare everything else.
        back.header.qdcount = m.header.qdcount;
        back.header.ancount = m.header.ancount;
        back.header.nscount = m.header.nscount;
        back.header.arcount = m.header.arcount;
        prop_assert_eq!(&back, &m);
        prop_assert_eq!(back.to_vec(), bytes);
    }

    #[test]
    fn view_plan_agrees_with_owned_plan(m in message(), seed in any::<u64>(), local in prop::option::of(pooled_name())) {
        let bytes = m.to_vec();
        let view = MessageView::parse(&bytes).unwrap();
        let owned = Message::decode(&bytes).unwrap();
        let mut config = PlanConfig::default();
        if let Some(l) = local {
            config.local = LocalIdentity::new(vec![l], vec![IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))]);
        }
        let domain = owned.question.as_ref().unwrap().name.clone();
        prop_assert_eq!(
            plan_view(&domain, &view, &config, seed),
            plan_response(&domain, &owned, &config, seed)
        );
    }

    /// Differential check against an independent decoder: what our
    /// encoder (with its name compression) writes, hickory-proto reads
    /// back record for record.
    #[test]
    fn hickory_reads_what_we_write(m in message()) {
        // Raw records of unknown types are outside the comparison (hickory
        // refuses empty RDATA for them).
        let raw = m.answers.iter().chain(&m.authority).chain(&m.additional)
            .any(|r| matches!(r.data, RData::Other { .. }));
        prop_assume!(!raw);
        let bytes = m.to_vec();
        let theirs = hickory_proto::op::Message::from_vec(&bytes).unwrap();
        prop_assert_eq!(theirs.metadata.id, m.header.id);
        prop_assert_eq!(theirs.answers.len(), m.answers.len());
        prop_assert_eq!(theirs.authorities.len(), m.authority.len());
        for (t, o) in theirs.answers.iter().zip(&m.answers).chain(theirs.authorities.iter().zip(&m.authority)) {
            prop_assert_eq!(hickory_name(&t.name), o.name.to_string());
            prop_assert_eq!(t.ttl, o.ttl);
            use hickory_proto::rr::RData as H;
            match (&t.data, &o.data) {
                (H::A(a), RData::A(b)) => prop_assert_eq!(a.0, *b),
                (H::AAAA(a), RData::Aaaa(b)) => prop_assert_eq!(a.0, *b),
                (H::MX(a), RData::Mx { preference, exchange }) => {
                    prop_assert_eq!(a.preference, *preference);
                    prop_assert_eq!(hickory_name(&a.exchange), exchange.to_string());
                }
                (H::CNAME(a), RData::Cname(b)) => prop_assert_eq!(hickory_name(&a.0), b.to_string()),
                (_, RData::Other { .. }) => {}
                (t, o) => prop_assert!(false, "{:?} vs {:?}", t, o),
            }
        }
    }

    #[test]
    fn truncation_at_every_offset_is_an_error(m in message()) {
        let bytes = m.to_vec();
        for cut in 0..bytes.len() {
            prop_assert!(Message::decode(&bytes[..cut]).is_err(), "cut {}", cut);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = Message::decode(&bytes);
    }

    #[test]
    fn mutated_messages_never_panic(m in message(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)) {
        let mut bytes = m.to_vec();
        for (i, v) in flips {
            let i = i.index(bytes.len());
            bytes[i] = v;
        }
        if let Ok(m) = Message::decode(&bytes) {
            // Whatever decodes re-encodes and decodes again.
            prop_assert!(Message::decode(&m.to_vec()).is_ok());
        }
    }

    #[test]
    fn plan_never_returns_a_pruned_host(
        prefs in prop::collection::vec((0u16..5, 0usize..6), 1..10),
        self_index in prop::option::of(0usize..6),
        seed in any::<u64>(),
    ) {
        let hosts: Vec<Name> = (0..6).map(|i| n(&format!("h{i}.example"))).collect();
        let records: Vec<MxRecord> = prefs
            .iter()
            .map(|(p, h)| MxRecord::new(*p * 10, hosts[*h].clone()))
            .collect();
        let mut book = AddressBook::new();
        for (i, h) in hosts.iter().enumerate() {
            book.add_address(h, IpAddr::V4(Ipv4Addr::new(192, 0, 2, i as u8)), false);
        }
        let mut config = PlanConfig::default();
        if let Some(s) = self_index {
            config.local = LocalIdentity::new(vec![hosts[s].clone()], vec![]);
        }
        let domain = n("example.com");
        let p = plan(&PlanInput { domain: &domain, mx: Some(&records), mx_authenticated: false, addresses: &book }, &config, seed);
        let self_pref = self_index.and_then(|s| {
            records.iter().filter(|r| r.exchange == hosts[s]).map(|r| r.preference).min()
        });
        let best = records.iter().map(|r| r.preference).min().unwrap();
        match &p.outcome {
            Outcome::Targets(ts) => {
                prop_assert!(!ts.is_empty());
                for w in ts.windows(2) {
                    prop_assert!(w[0].preference <= w[1].preference);
                }
                for t in ts {
                    if let Some(sp) = self_pref {
                        prop_assert!(t.preference < sp);
                    }
                    prop_assert!(records.iter().any(|r| r.exchange == t.host));
                    // Each host appears once, with its best preference.
                    let best_for_host = records.iter().filter(|r| r.exchange == t.host).map(|r| r.preference).min().unwrap();
                    prop_assert_eq!(t.preference, best_for_host);
                }
                let mut names: Vec<_> = ts.iter().map(|t| &t.host).collect();
                names.dedup();
                prop_assert_eq!(names.len(), ts.len());
            }
            Outcome::LoopsBackToMyself => prop_assert_eq!(self_pref, Some(best)),
            other => prop_assert!(false, "unexpected {:?}", other),
        }
        // Deterministic for a seed, and stage 1 agrees with the full plan.
        let again = plan(&PlanInput { domain: &domain, mx: Some(&records), mx_authenticated: false, addresses: &book }, &config, seed);
        prop_assert_eq!(&again, &p);
        if let (Outcome::Targets(ts), Ok(ordered)) = (&p.outcome, order_exchanges(&domain, Some(&records), &config, seed, &mut Vec::new())) {
            let order: Vec<_> = ordered.candidates.iter().map(|c| &c.host).collect();
            let got: Vec<_> = ts.iter().map(|t| &t.host).collect();
            prop_assert_eq!(got, order);
        }
    }

    #[test]
    fn lookup_survives_arbitrary_replies(
        replies in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..80), 0..8),
        seed in any::<u64>(),
    ) {
        let (mut l, t0) = lookup("example.com", config1(), seed);
        let t = l.poll_transmit().unwrap();
        let (s, _) = decode_transmit(&t);
        for mut r in replies {
            // Give some replies the right id so they reach deeper code.
            if r.len() >= 2 && r[0] & 1 == 0 {
                r[..2].copy_from_slice(&s.id.to_be_bytes());
            }
            l.handle_input(t0, s.to, Protocol::Udp, &r);
            l.handle_input(t0, s.to, Protocol::Tcp, &r);
            while l.poll_event().is_some() {}
            while l.poll_transmit().is_some() {}
        }
    }
}
