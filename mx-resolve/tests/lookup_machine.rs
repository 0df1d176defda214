//! The MxLookup machine against a scripted resolver: Part C cases 19, 20,
//! 21 and 24, checklist items 57 and 59, retries and deadlines.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::*;
use mx_resolve::wire::{Message, RecordType};
use mx_resolve::{
    Diagnostic, Event, LookupConfig, Outcome, PermFailure, Protocol, TempFailure, WireError,
};

fn targets(o: &Outcome) -> Vec<(String, u16, Vec<String>)> {
    match o {
        Outcome::Targets(t) => t
            .iter()
            .map(|t| {
                (
                    t.host.to_string(),
                    t.preference,
                    t.addresses.iter().map(|a| a.to_string()).collect(),
                )
            })
            .collect(),
        other => panic!("expected targets, got {other:?}"),
    }
}

fn diagnostics(events: &[Event]) -> Vec<Diagnostic> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Diagnostic(d) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

/// A small zone: example.com MX 10 mx1, 20 mx2; addresses for both.
fn zone(s: &Seen) -> Reply {
    let q = &s.question;
    let name = q.name.to_string();
    let mut m = response(0, &name, q.qtype);
    match (name.as_str(), q.qtype) {
        ("example.com", RecordType::MX) => {
            m.answers.push(mx("example.com", 20, "mx2.example.com"));
            m.answers.push(mx("example.com", 10, "mx1.example.com"));
        }
        ("mx1.example.com", RecordType::A) => m.answers.push(a("mx1.example.com", "192.0.2.1")),
        ("mx1.example.com", RecordType::AAAA) => {
            m.answers.push(a("mx1.example.com", "2001:db8::1"))
        }
        ("mx2.example.com", RecordType::A) => m.answers.push(a("mx2.example.com", "192.0.2.2")),
        ("mx2.example.com", RecordType::AAAA) => m.authority.push(soa("example.com")),
        _ => m.header.rcode = 3,
    }
    Reply::Message(m)
}

#[test]
fn resolves_mx_then_addresses() {
    let (l, t0) = lookup("example.com", config1(), 5);
    let (o, events, seen) = drive(l, t0, zone);
    assert_eq!(
        targets(&o),
        [
            (
                "mx1.example.com".into(),
                10,
                vec!["2001:db8::1".into(), "192.0.2.1".into()]
            ),
            ("mx2.example.com".into(), 20, vec!["192.0.2.2".into()]),
        ]
    );
    assert_eq!(seen.len(), 5, "one MX query and A+AAAA per host");
    assert!(
        seen.iter()
            .all(|s| s.edns && s.protocol == Protocol::Udp && s.to == resolver(R1))
    );
    assert!(diagnostics(&events).is_empty(), "{events:?}");
}

#[test]
fn additional_section_saves_queries() {
    let (l, t0) = lookup("example.com", config1(), 5);
    let (o, _, seen) = drive(l, t0, |s| {
        let mut m = response(0, "example.com", RecordType::MX);
        assert_eq!(s.question.qtype, RecordType::MX);
        m.answers.push(mx("example.com", 10, "mx1.example.com"));
        m.additional.push(a("mx1.example.com", "192.0.2.1"));
        Reply::Message(m)
    });
    assert_eq!(targets(&o)[0].2, ["192.0.2.1"]);
    assert_eq!(seen.len(), 1);
}

#[test]
fn case20_null_mx_issues_no_address_query() {
    let (l, t0) = lookup("example.com", config1(), 5);
    let (o, _, seen) = drive(l, t0, |_| {
        let mut m = response(0, "example.com", RecordType::MX);
        m.answers.push(mx("example.com", 0, "."));
        Reply::Message(m)
    });
    assert_eq!(o, Outcome::NullMx);
    assert_eq!(seen.len(), 1);
}

#[test]
fn case19_tc_retries_over_tcp_and_ignores_partial_answers() {
    let (l, t0) = lookup("example.com", config1(), 5);
    let (o, events, seen) = drive(l, t0, |s| {
        let mut m = response(0, &s.question.name.to_string(), s.question.qtype);
        if s.protocol == Protocol::Udp {
            m.header.truncated = true;
            // A partial answer that must not be used.
            m.answers.push(mx("example.com", 5, "partial.example.com"));
            m.additional.push(a("partial.example.com", "192.0.2.99"));
        } else {
            m.answers.push(mx("example.com", 10, "mx1.example.com"));
            m.additional.push(a("mx1.example.com", "192.0.2.1"));
        }
        Reply::Message(m)
    });
    assert_eq!(
        targets(&o),
        [("mx1.example.com".into(), 10, vec!["192.0.2.1".into()])]
    );
    assert_eq!(seen[0].protocol, Protocol::Udp);
    assert_eq!(seen[1].protocol, Protocol::Tcp);
    assert_ne!(seen[0].id, seen[1].id);
    assert!(diagnostics(&events).contains(&Diagnostic::RetriedOverTcp));
}

#[test]
fn case19_tc_with_no_records_is_never_implicit_mx() {
    let (l, t0) = lookup("example.com", config1(), 5);
    let (o, _, seen) = drive(l, t0, |s| {
        let mut m = response(0, &s.question.name.to_string(), s.question.qtype);
        m.header.truncated = true;
        Reply::Message(m)
    });
    assert_eq!(o, Outcome::TempFail(TempFailure::Truncated));
    assert!(seen.iter().all(|s| s.question.qtype == RecordType::MX));
    assert!(seen.iter().skip(1).all(|s| s.protocol == Protocol::Tcp));
}

#[test]
fn case21_nodata_implicit_mx() {
    let (l, t0) = lookup("example.com", config1(), 5);
    let (o, _, seen) = drive(l, t0, |s| {
        let mut m = response(0, &s.question.name.to_string(), s.question.qtype);
        match s.question.qtype {
            RecordType::A => m.answers.push(a("example.com", "192.0.2.80")),
            _ => m.authority.push(soa("example.com")),
        }
        Reply::Message(m)
    });
    let t = targets(&o);
    assert_eq!(t, [("example.com".into(), 0, vec!["192.0.2.80".into()])]);
    match &o {
        Outcome::Targets(t) => assert!(t[0].implicit),
        _ => unreachable!(),
    }
    assert_eq!(seen.len(), 3);
    // NODATA everywhere: no usable target, permanent.
    let (l, t0) = lookup("example.com", config1(), 5);
    let (o, _, _) = drive(l, t0, |s| {
        let mut m = response(0, &s.question.name.to_string(), s.question.qtype);
        m.authority.push(soa("example.com"));
        Reply::Message(m)
    });
    assert_eq!(o, Outcome::PermFail(PermFailure::NoAddresses));
}

fn rcode_reply(rcode: u8) -> impl FnMut(&Seen) -> Reply {
    move |s| {
        let mut m = response(0, &s.question.name.to_string(), s.question.qtype);
        m.header.rcode = rcode;
        Reply::Message(m)
    }
}

#[test]
fn case21_rcodes() {
    let (l, t0) = lookup("example.com", config1(), 5);
    assert_eq!(drive(l, t0, rcode_reply(3)).0, Outcome::NoSuchDomain);
    let (l, t0) = lookup("example.com", config1(), 5);
    let (o, _, seen) = drive(l, t0, rcode_reply(2));
    assert_eq!(o, Outcome::TempFail(TempFailure::ServFail));
    assert_eq!(seen.len(), 1, "one resolver: no pointless retry");
    let (l, t0) = lookup("example.com", config1(), 5);
    assert_eq!(
        drive(l, t0, rcode_reply(5)).0,
        Outcome::TempFail(TempFailure::Refused)
    );
}

#[test]
fn servfail_moves_to_the_next_resolver() {
    let config = LookupConfig::with_resolvers(vec![resolver(R1), resolver(R2)]);
    let (l, t0) = lookup("example.com", config, 5);
    let (o, _, seen) = drive(l, t0, |s| {
        if s.to == resolver(R1) {
            return rcode_reply(2)(s);
        }
        zone(s)
    });
    assert_eq!(targets(&o).len(), 2);
    assert_eq!(seen[0].to, resolver(R1));
    assert_eq!(seen[1].to, resolver(R2));
}

#[test]
fn case21_formerr_retries_once_without_edns() {
    let (l, t0) = lookup("example.com", config1(), 5);
    let (o, events, seen) = drive(l, t0, |s| {
        if s.edns {
            return rcode_reply(1)(s);
        }
        zone(s)
    });
    assert_eq!(targets(&o).len(), 2);
    assert!(seen[0].edns && !seen[1].edns);
    assert!(diagnostics(&events).contains(&Diagnostic::RetriedWithoutEdns));
    let (l, t0) = lookup("example.com", config1(), 5);
    let (o, _, seen) = drive(l, t0, rcode_reply(1));
    assert_eq!(o, Outcome::TempFail(TempFailure::Rcode(1)));
    assert_eq!(seen.len(), 2);
}

#[test]
fn timeouts_back_off_and_rotate_resolvers() {
    let mut config = LookupConfig::with_resolvers(vec![resolver(R1), resolver(R2)]);
    config.max_attempts = 3;
    let (mut l, t0) = lookup("example.com", config, 5);
    let first = l.poll_transmit().unwrap();
    assert_eq!(first.destination, resolver(R1));
    assert_eq!(l.poll_timeout(), Some(t0 + Duration::from_secs(2)));
    l.handle_timeout(t0 + Duration::from_secs(1));
    assert!(l.poll_transmit().is_none(), "too early");
    let t1 = t0 + Duration::from_secs(2);
    l.handle_timeout(t1);
    let second = l.poll_transmit().unwrap();
    assert_eq!(second.destination, resolver(R2));
    assert_eq!(l.poll_timeout(), Some(t1 + Duration::from_secs(4)));
    let t2 = t1 + Duration::from_secs(4);
    l.handle_timeout(t2);
    assert_eq!(l.poll_transmit().unwrap().destination, resolver(R1));
    l.handle_timeout(t2 + Duration::from_secs(8));
    assert!(l.is_done());
    assert_eq!(
        l.outcome(),
        Some(&Outcome::TempFail(TempFailure::Timeout {
            qtype: RecordType::MX
        }))
    );
}

#[test]
fn total_deadline() {
    let mut config = config1();
    config.total_timeout = Duration::from_secs(3);
    config.max_attempts = 100;
    let (l, t0) = lookup("example.com", config, 5);
    let (o, _, seen) = drive(l, t0, |_| Reply::Drop);
    assert_eq!(
        o,
        Outcome::TempFail(TempFailure::Timeout {
            qtype: RecordType::MX
        })
    );
    assert_eq!(seen.len(), 2);
}

#[test]
fn address_timeouts_still_give_a_plan() {
    let mut config = config1();
    config.max_attempts = 1;
    let (l, t0) = lookup("example.com", config, 5);
    let (o, _, _) = drive(l, t0, |s| {
        if s.question.name.to_string() == "mx1.example.com" {
            return Reply::Drop;
        }
        zone(s)
    });
    assert_eq!(
        targets(&o),
        [("mx2.example.com".into(), 20, vec!["192.0.2.2".into()])]
    );
}

#[test]
fn case24_cname_chains() {
    // CNAME + MX in one answer. `mx.example.net` is below neither
    // `example.com` nor `mail.example.net`, so its glue is not trusted and
    // its address is asked for.
    let (l, t0) = lookup("example.com", config1(), 5);
    let (o, _, seen) = drive(l, t0, |s| {
        let name = s.question.name.to_string();
        let mut m = response(0, &name, s.question.qtype);
        if name == "mx.example.net" {
            if s.question.qtype == RecordType::A {
                m.answers.push(a("mx.example.net", "192.0.2.10"));
            }
            return Reply::Message(m);
        }
        m.answers.push(cname("example.com", "mail.example.net"));
        m.answers.push(mx("mail.example.net", 10, "mx.example.net"));
        m.additional.push(a("mx.example.net", "192.0.2.66"));
        Reply::Message(m)
    });
    assert_eq!(
        targets(&o),
        [("mx.example.net".into(), 10, vec!["192.0.2.10".into()])]
    );
    assert_eq!(seen.len(), 3);
    // Chain ending without MX data: a follow-up MX query for the target,
    // whose glue for a host below it is used.
    let (l, t0) = lookup("example.com", config1(), 5);
    let (o, _, seen) = drive(l, t0, |s| {
        let name = s.question.name.to_string();
        let mut m = response(0, &name, s.question.qtype);
        if name == "example.com" {
            m.answers.push(cname("example.com", "mail.example.net"));
        } else {
            m.answers
                .push(mx("mail.example.net", 10, "mx.mail.example.net"));
            m.additional.push(a("mx.mail.example.net", "192.0.2.10"));
        }
        Reply::Message(m)
    });
    assert_eq!(
        targets(&o),
        [("mx.mail.example.net".into(), 10, vec!["192.0.2.10".into()])]
    );
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].question.name.to_string(), "mail.example.net");
    assert_eq!(seen[1].question.qtype, RecordType::MX);
    // CNAME loop a→b→a.
    let (l, t0) = lookup("a.example", config1(), 5);
    let (o, _, _) = drive(l, t0, |s| {
        let mut m = response(0, &s.question.name.to_string(), s.question.qtype);
        m.answers.push(cname("a.example", "b.example"));
        m.answers.push(cname("b.example", "a.example"));
        Reply::Message(m)
    });
    assert_eq!(o, Outcome::TempFail(TempFailure::CnameChain { limit: 8 }));
    // A 9-step chain.
    let (l, t0) = lookup("c0.example", config1(), 5);
    let (o, _, _) = drive(l, t0, |s| {
        let mut m = response(0, &s.question.name.to_string(), s.question.qtype);
        for i in 0..9 {
            m.answers.push(cname(
                &format!("c{i}.example"),
                &format!("c{}.example", i + 1),
            ));
        }
        m.answers.push(mx("c9.example", 10, "mx.example"));
        Reply::Message(m)
    });
    assert_eq!(o, Outcome::TempFail(TempFailure::CnameChain { limit: 8 }));
}

#[test]
fn case24_cname_mx_target_is_followed_and_reported() {
    let (l, t0) = lookup("example.com", config1(), 5);
    let (o, events, _) = drive(l, t0, |s| {
        let name = s.question.name.to_string();
        let mut m = response(0, &name, s.question.qtype);
        match (name.as_str(), s.question.qtype) {
            ("example.com", _) => m.answers.push(mx("example.com", 10, "alias.example.com")),
            ("alias.example.com", RecordType::A) => {
                m.answers
                    .push(cname("alias.example.com", "real.example.com"));
                m.answers.push(a("real.example.com", "192.0.2.20"));
            }
            _ => m.authority.push(soa("example.com")),
        }
        Reply::Message(m)
    });
    assert_eq!(
        targets(&o),
        [("alias.example.com".into(), 10, vec!["192.0.2.20".into()])]
    );
    assert!(
        diagnostics(&events)
            .iter()
            .any(|d| matches!(d, Diagnostic::CnameTarget { .. }))
    );
}

#[test]
fn case24_unrelated_answer_records_are_ignored() {
    let (l, t0) = lookup("example.com", config1(), 5);
    let (o, events, _) = drive(l, t0, |_| {
        let mut m = response(0, "example.com", RecordType::MX);
        m.answers.push(mx("evil.test", 0, "attacker.test"));
        m.answers.push(mx("example.com", 10, "mx.example.com"));
        m.additional.push(a("mx.example.com", "192.0.2.1"));
        m.additional.push(a("attacker.test", "192.0.2.66"));
        Reply::Message(m)
    });
    assert_eq!(
        targets(&o),
        [("mx.example.com".into(), 10, vec!["192.0.2.1".into()])]
    );
    assert!(
        diagnostics(&events)
            .iter()
            .any(|d| matches!(d, Diagnostic::UnrelatedRecord { .. }))
    );
}

#[test]
fn case24_item57_mismatched_replies_are_dropped() {
    let (mut l, t0) = lookup("example.com", config1(), 5);
    let t = l.poll_transmit().unwrap();
    let (s, _) = decode_transmit(&t);
    let good = |m: &mut Message| {
        m.header.id = s.id;
        m.answers.push(mx("example.com", 10, "mx.example.com"));
        m.additional.push(a("mx.example.com", "192.0.2.1"));
    };
    // Wrong id.
    let mut m = response(0, "example.com", RecordType::MX);
    good(&mut m);
    m.header.id = s.id.wrapping_add(1);
    l.handle_input(t0, s.to, Protocol::Udp, &m.to_vec());
    // QR = 0.
    let mut m = response(0, "example.com", RecordType::MX);
    good(&mut m);
    m.header.response = false;
    l.handle_input(t0, s.to, Protocol::Udp, &m.to_vec());
    // Different question.
    let mut m = response(0, "examplf.com", RecordType::MX);
    good(&mut m);
    l.handle_input(t0, s.to, Protocol::Udp, &m.to_vec());
    // Different question type.
    let mut m = response(0, "example.com", RecordType::A);
    good(&mut m);
    l.handle_input(t0, s.to, Protocol::Udp, &m.to_vec());
    // Right reply from the wrong source.
    let mut m = response(0, "example.com", RecordType::MX);
    good(&mut m);
    l.handle_input(t0, resolver(R2), Protocol::Udp, &m.to_vec());
    // Right reply over the wrong transport.
    l.handle_input(
        t0,
        s.to,
        Protocol::Tcp,
        &mx_resolve::wire::frame(&m.to_vec()).unwrap(),
    );
    assert!(!l.is_done());
    let mut unmatched = 0;
    while let Some(e) = l.poll_event() {
        assert!(
            matches!(e, Event::Diagnostic(Diagnostic::UnmatchedResponse { .. })),
            "{e:?}"
        );
        unmatched += 1;
    }
    assert_eq!(unmatched, 6);
    // A malformed datagram without the id is noise too.
    l.handle_input(t0, s.to, Protocol::Udp, &[0, 0, 1]);
    assert!(!l.is_done());
    // The real reply still works.
    l.handle_input(t0, s.to, Protocol::Udp, &m.to_vec());
    assert!(l.is_done());
    assert_eq!(targets(l.outcome().unwrap())[0].0, "mx.example.com");
}

#[test]
fn malformed_replies_fail_the_attempt_whole() {
    let mut config = config1();
    config.max_attempts = 2;
    let (l, t0) = lookup("example.com", config, 5);
    let (o, events, seen) = drive(l, t0, |s| {
        // A valid MX answer plus one record with a bad RDLENGTH.
        let mut m = response(s.id, "example.com", RecordType::MX);
        m.answers.push(mx("example.com", 10, "mx.example.com"));
        let mut bytes = m.to_vec();
        bytes[7] = 2;
        bytes.extend_from_slice(
            b"\xc0\x0c\x00\x0f\x00\x01\x00\x00\x0e\x10\x00\x05\x00\x0a\x02mx\xc0\x0c",
        );
        Reply::Raw(bytes)
    });
    assert!(
        matches!(
            o,
            Outcome::TempFail(TempFailure::Malformed(
                WireError::RdataLengthMismatch { .. }
            ))
        ),
        "{o:?}"
    );
    assert_eq!(seen.len(), 2);
    assert!(
        diagnostics(&events)
            .iter()
            .any(|d| matches!(d, Diagnostic::MalformedResponse { .. }))
    );
}

#[test]
fn tcp_reply_split_at_every_offset() {
    let mut reply = response(0, "example.com", RecordType::MX);
    reply.answers.push(mx("example.com", 10, "mx.example.com"));
    reply.additional.push(a("mx.example.com", "192.0.2.1"));
    for cut in 0..60 {
        let (mut l, t0) = lookup("example.com", config1(), 5);
        let t = l.poll_transmit().unwrap();
        let (s, _) = decode_transmit(&t);
        let mut tc = response(s.id, "example.com", RecordType::MX);
        tc.header.truncated = true;
        l.handle_input(t0, s.to, Protocol::Udp, &tc.to_vec());
        let t = l.poll_transmit().unwrap();
        let (s, _) = decode_transmit(&t);
        assert_eq!(s.protocol, Protocol::Tcp);
        reply.header.id = s.id;
        let framed = mx_resolve::wire::frame(&reply.to_vec()).unwrap();
        let cut = cut.min(framed.len());
        l.handle_input(t0, s.to, Protocol::Tcp, &framed[..cut]);
        l.handle_input(t0, s.to, Protocol::Tcp, &framed[cut..]);
        assert_eq!(
            targets(l.outcome().unwrap())[0].0,
            "mx.example.com",
            "cut {cut}"
        );
    }
}

#[test]
fn idna_domain_goes_out_as_a_label() {
    let (l, t0) = lookup("bücher.example", config1(), 5);
    let (_, _, seen) = drive(l, t0, rcode_reply(3));
    assert_eq!(seen[0].question.name.to_string(), "xn--bcher-kva.example");
}

#[test]
fn config_errors() {
    let now = t0();
    assert!(mx_resolve::MxLookup::new(n("example.com"), LookupConfig::default(), now, 0).is_err());
    let mut c = config1();
    c.max_attempts = 0;
    assert!(mx_resolve::MxLookup::new(n("example.com"), c, now, 0).is_err());
}

fn t0() -> std::time::Instant {
    lookup("example.com", config1(), 0).1
}

#[test]
fn ipv4_only_asks_no_aaaa() {
    let mut config = config1();
    config.plan.families = mx_resolve::AddressFamilies::Ipv4Only;
    let (l, t0) = lookup("example.com", config, 5);
    let (o, _, seen) = drive(l, t0, zone);
    assert!(seen.iter().all(|s| s.question.qtype != RecordType::AAAA));
    assert_eq!(
        targets(&o),
        [
            ("mx1.example.com".into(), 10, vec!["192.0.2.1".into()]),
            ("mx2.example.com".into(), 20, vec!["192.0.2.2".into()]),
        ]
    );
}

#[test]
fn case23_self_by_address_through_the_machine() {
    let mut config = config1();
    config.plan.local = mx_resolve::LocalIdentity::new(vec![], vec!["192.0.2.1".parse().unwrap()]);
    let (l, t0) = lookup("example.com", config, 5);
    // mx1 (preference 10) resolves to our own address.
    let (o, events, _) = drive(l, t0, zone);
    assert_eq!(o, Outcome::LoopsBackToMyself);
    assert!(diagnostics(&events).contains(&Diagnostic::SelfPruned { preference: 10 }));
}

#[test]
fn tcp_reply_byte_by_byte_and_foreign_sources() {
    let (mut l, t0) = lookup("example.com", config1(), 9);
    let t = l.poll_transmit().unwrap();
    let (s, _) = decode_transmit(&t);
    let mut tc = response(s.id, "example.com", RecordType::MX);
    tc.header.truncated = true;
    l.handle_input(t0, s.to, Protocol::Udp, &tc.to_vec());
    let (s, _) = decode_transmit(&l.poll_transmit().unwrap());
    let mut reply = response(s.id, "example.com", RecordType::MX);
    reply.answers.push(mx("example.com", 0, "."));
    let framed = mx_resolve::wire::frame(&reply.to_vec()).unwrap();
    // Bytes from an address that is not a resolver are ignored.
    l.handle_input(t0, resolver(R2), Protocol::Tcp, &framed);
    assert!(!l.is_done());
    for b in &framed {
        l.handle_input(t0, s.to, Protocol::Tcp, std::slice::from_ref(b));
    }
    assert_eq!(l.outcome(), Some(&Outcome::NullMx));
}

/// Issue 10: the MX answer for `example.test` carries an address for a
/// target outside it (`mx.evil.test`): that address is not used, the lookup
/// asks for the target's A and AAAA instead; glue for `mx.example.test` is
/// still used without a query.
#[test]
fn out_of_bailiwick_glue_is_looked_up() {
    let script = |s: &Seen| {
        let name = s.question.name.to_string();
        let mut m = response(0, &name, s.question.qtype);
        match (name.as_str(), s.question.qtype) {
            ("example.test", RecordType::MX) => {
                m.answers.push(mx("example.test", 10, "mx.evil.test"));
                m.answers.push(mx("example.test", 20, "mx.example.test"));
                m.additional.push(a("mx.evil.test", "192.0.2.66"));
                m.additional.push(a("mx.example.test", "192.0.2.1"));
            }
            ("mx.evil.test", RecordType::A) => m.answers.push(a("mx.evil.test", "192.0.2.25")),
            _ => m.authority.push(soa(&name)),
        }
        Reply::Message(m)
    };
    let (l, t0) = lookup("example.test", config1(), 5);
    let (o, _, seen) = drive(l, t0, script);
    assert_eq!(
        targets(&o),
        [
            ("mx.evil.test".into(), 10, vec!["192.0.2.25".into()]),
            ("mx.example.test".into(), 20, vec!["192.0.2.1".into()]),
        ]
    );
    let asked: Vec<(String, RecordType)> = seen
        .iter()
        .map(|s| (s.question.name.to_string(), s.question.qtype))
        .collect();
    assert_eq!(asked.len(), 3, "{asked:?}");
    for q in [
        ("example.test".into(), RecordType::MX),
        ("mx.evil.test".into(), RecordType::A),
        ("mx.evil.test".into(), RecordType::AAAA),
    ] {
        assert!(asked.contains(&q), "{q:?} not in {asked:?}");
    }
    // The old behaviour only by the option whose name says it is dangerous.
    let mut config = config1();
    config.plan.dangerous_out_of_bailiwick_glue = true;
    let (l, t0) = lookup("example.test", config, 5);
    let (o, _, seen) = drive(l, t0, script);
    assert_eq!(targets(&o)[0].2, ["192.0.2.66"]);
    assert_eq!(seen.len(), 1);
}
