//! RFC 5321 §5.1 / RFC 7505 delivery-plan rules: Part C cases 20, 22, 23,
//! 25 and checklist items 58–59.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::net::IpAddr;

use common::*;
use mx_resolve::plan::{
    assign_addresses, order_exchanges, plan_response, plan_view, retain_targets,
};
use mx_resolve::wire::{Name, RecordType};
use mx_resolve::{
    AddressBook, AddressFamilies, Diagnostic, FamilyPreference, HostStatus, LocalIdentity,
    MxRecord, Outcome, PermFailure, PlanConfig, PlanInput, SkipReason, Target, TempFailure, plan,
};

fn rec(pref: u16, host: &str) -> MxRecord {
    MxRecord::new(pref, n(host))
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn book(entries: &[(&str, &[&str])]) -> AddressBook {
    let mut b = AddressBook::new();
    for (host, addrs) in entries {
        if addrs.is_empty() {
            b.insert(n(host), HostStatus::NoAddresses);
        } else {
            for a in *addrs {
                b.add_address(&n(host), ip(a), false);
            }
        }
    }
    b
}

fn run(mx: &[MxRecord], b: &AddressBook, config: &PlanConfig, seed: u64) -> mx_resolve::Plan {
    let domain = n("example.com");
    plan(
        &PlanInput {
            domain: &domain,
            mx: Some(mx),
            mx_authenticated: false,
            addresses: b,
        },
        config,
        seed,
    )
}

fn targets(o: &Outcome) -> &[Target] {
    match o {
        Outcome::Targets(t) => t,
        other => panic!("expected targets, got {other:?}"),
    }
}

fn hosts(o: &Outcome) -> Vec<String> {
    targets(o).iter().map(|t| t.host.to_string()).collect()
}

#[test]
fn case20_null_mx_alone() {
    let p = run(
        &[rec(0, ".")],
        &AddressBook::new(),
        &PlanConfig::default(),
        1,
    );
    assert_eq!(p.outcome, Outcome::NullMx);
    assert!(p.diagnostics.is_empty());
    assert_eq!(p.outcome.enhanced_status(), Some("5.1.10"));
    assert!(p.outcome.is_permanent());
}

#[test]
fn case20_null_mx_non_zero_preference() {
    let p = run(
        &[rec(10, ".")],
        &AddressBook::new(),
        &PlanConfig::default(),
        1,
    );
    assert_eq!(p.outcome, Outcome::NullMx);
    assert_eq!(
        p.diagnostics,
        vec![Diagnostic::NullMxPreference { preference: 10 }]
    );
}

#[test]
fn item58_null_mx_mixed_is_still_null_mx() {
    let b = book(&[("mx.example.net", &["192.0.2.1"])]);
    let p = run(
        &[rec(0, "."), rec(10, "mx.example.net")],
        &b,
        &PlanConfig::default(),
        1,
    );
    assert_eq!(p.outcome, Outcome::NullMx);
    assert!(p.diagnostics.contains(&Diagnostic::NullMxMixed));
}

#[test]
fn case22_ordering_and_dedupe() {
    let mx = [
        rec(10, "a"),
        rec(10, "b"),
        rec(10, "c"),
        rec(20, "d"),
        rec(20, "a"),
        rec(10, "A."),
    ];
    let b = book(&[
        ("a", &["192.0.2.1"]),
        ("b", &["192.0.2.2"]),
        ("c", &["192.0.2.3"]),
        ("d", &["192.0.2.4"]),
    ]);
    let config = PlanConfig::default();
    // Single-label names are not rejected as hosts ("a" is LDH).
    let p = run(&mx, &b, &config, 99);
    let h = hosts(&p.outcome);
    assert_eq!(h.len(), 4, "{h:?}");
    assert_eq!(h.iter().filter(|x| *x == "a").count(), 1);
    assert_eq!(h[3], "d");
    assert!(targets(&p.outcome)[..3].iter().all(|t| t.preference == 10));
    // Same seed, same order.
    assert_eq!(run(&mx, &b, &config, 99).outcome, p.outcome);
}

#[test]
fn case22_item59_shuffle_is_fair() {
    let mx = [rec(10, "a"), rec(10, "b"), rec(10, "c"), rec(20, "d")];
    let config = PlanConfig::default();
    let mut first = [0u32; 3];
    let trials = 30_000u64;
    for seed in 0..trials {
        let ordered =
            order_exchanges(&n("example.com"), Some(&mx), &config, seed, &mut Vec::new()).unwrap();
        let names: Vec<String> = ordered
            .candidates
            .iter()
            .map(|c| c.host.to_string())
            .collect();
        assert_eq!(names[3], "d");
        first[(names[0].as_bytes()[0] - b'a') as usize] += 1;
    }
    // Chi-square with 2 degrees of freedom; 13.8 is the 0.1% critical value.
    let expected = trials as f64 / 3.0;
    let chi2: f64 = first
        .iter()
        .map(|&o| (o as f64 - expected).powi(2) / expected)
        .sum();
    assert!(chi2 < 13.8, "{first:?} chi2 {chi2}");
}

fn local() -> LocalIdentity {
    LocalIdentity::new(vec![n("self.example.net")], vec![ip("192.0.2.7")])
}

#[test]
fn case23_loop_pruning() {
    let mut config = PlanConfig::default();
    config.local = local();
    let b = book(&[
        ("a.example.net", &["192.0.2.1"]),
        ("c.example.net", &["192.0.2.3"]),
        ("self.example.net", &["192.0.2.7"]),
    ]);
    // 10 a, 20 self, 30 c → [a]
    let p = run(
        &[
            rec(10, "a.example.net"),
            rec(20, "self.example.net"),
            rec(30, "c.example.net"),
        ],
        &b,
        &config,
        1,
    );
    assert_eq!(hosts(&p.outcome), ["a.example.net"]);
    assert!(
        p.diagnostics
            .contains(&Diagnostic::SelfPruned { preference: 20 })
    );
    // 10 self, 20 c → loops back to myself.
    let p = run(
        &[rec(10, "self.example.net"), rec(20, "c.example.net")],
        &b,
        &config,
        1,
    );
    assert_eq!(p.outcome, Outcome::LoopsBackToMyself);
    assert_eq!(p.outcome.enhanced_status(), Some("5.4.6"));
    // 10 a (unresolvable) + 20 self → no primary relay, 4.4.4.
    let b2 = book(&[("a.example.net", &[]), ("self.example.net", &["192.0.2.7"])]);
    let p = run(
        &[rec(10, "a.example.net"), rec(20, "self.example.net")],
        &b2,
        &config,
        1,
    );
    assert_eq!(p.outcome, Outcome::TempFail(TempFailure::NoPrimaryRelay));
    assert_eq!(p.outcome.enhanced_status(), Some("4.4.4"));
    // Self reached only through an address of a differently named MX.
    let b3 = book(&[
        ("a.example.net", &["192.0.2.1"]),
        ("alias.example.net", &["192.0.2.7"]),
        ("c.example.net", &["192.0.2.3"]),
    ]);
    let p = run(
        &[
            rec(10, "a.example.net"),
            rec(20, "alias.example.net"),
            rec(30, "c.example.net"),
        ],
        &b3,
        &config,
        1,
    );
    assert_eq!(hosts(&p.outcome), ["a.example.net"]);
    let p = run(
        &[rec(5, "alias.example.net"), rec(30, "c.example.net")],
        &b3,
        &config,
        1,
    );
    assert_eq!(p.outcome, Outcome::LoopsBackToMyself);
}

#[test]
fn case25_bad_targets() {
    let b = book(&[("good.example", &["192.0.2.9"])]);
    let mx = [
        rec(10, "192.0.2.1"),
        rec(10, "_mx.example"),
        rec(10, "a_b.example"),
        rec(20, "good.example"),
    ];
    let p = run(&mx, &b, &PlanConfig::default(), 3);
    assert_eq!(hosts(&p.outcome), ["good.example"]);
    let skipped: Vec<_> = p
        .diagnostics
        .iter()
        .filter_map(|d| match d {
            Diagnostic::SkippedTarget { reason, .. } => Some(*reason),
            _ => None,
        })
        .collect();
    assert_eq!(
        skipped,
        [
            SkipReason::IpLiteral,
            SkipReason::NotHostname,
            SkipReason::NotHostname
        ]
    );
    // Only bad targets: no fallback to the domain's A record.
    let p = run(
        &mx[..3],
        &book(&[("example.com", &["192.0.2.99"])]),
        &PlanConfig::default(),
        3,
    );
    assert_eq!(p.outcome, Outcome::PermFail(PermFailure::NoUsableMx));
    // Lenient: the IP literal becomes a target with its own address.
    let mut lenient = PlanConfig::default();
    lenient.allow_ip_literal_targets = true;
    let p = run(&mx[..1], &AddressBook::new(), &lenient, 3);
    assert_eq!(targets(&p.outcome)[0].addresses, [ip("192.0.2.1")]);
    assert!(matches!(
        p.diagnostics[0],
        Diagnostic::IpLiteralTarget { .. }
    ));
    // 254+ octet exchange cannot even be built.
    assert!(Name::from_ascii(&"a.".repeat(128)).is_err());
}

#[test]
fn nodata_is_implicit_mx() {
    let domain = n("example.com");
    let b = book(&[("example.com", &["192.0.2.5"])]);
    let p = plan(
        &PlanInput {
            domain: &domain,
            mx: None,
            mx_authenticated: false,
            addresses: &b,
        },
        &PlanConfig::default(),
        0,
    );
    let t = targets(&p.outcome);
    assert!(t[0].implicit);
    assert_eq!(t[0].host, domain);
    assert_eq!(t[0].preference, 0);
    // Implicit MX without addresses: permanent failure.
    let empty = book(&[("example.com", &[])]);
    let p = plan(
        &PlanInput {
            domain: &domain,
            mx: Some(&[]),
            mx_authenticated: false,
            addresses: &empty,
        },
        &PlanConfig::default(),
        0,
    );
    assert_eq!(p.outcome, Outcome::PermFail(PermFailure::NoAddresses));
}

#[test]
fn address_order_families_and_caps() {
    let b = book(&[(
        "mx.example",
        &[
            "192.0.2.1",
            "192.0.2.2",
            "2001:db8::1",
            "192.0.2.3",
            "2001:db8::2",
            "2001:db8::3",
        ],
    )]);
    let mx = [rec(10, "mx.example")];
    let mut c = PlanConfig::default();
    let t = run(&mx, &b, &c, 0).outcome;
    assert_eq!(
        targets(&t)[0].addresses,
        [
            ip("2001:db8::1"),
            ip("2001:db8::2"),
            ip("2001:db8::3"),
            ip("192.0.2.1")
        ],
        "IPv6 first, capped at 4 with one IPv4 kept"
    );
    c.prefer = FamilyPreference::Ipv4;
    c.max_addresses_per_host = 2;
    let t = run(&mx, &b, &c, 0).outcome;
    assert_eq!(
        targets(&t)[0].addresses,
        [ip("192.0.2.1"), ip("2001:db8::1")]
    );
    c.families = AddressFamilies::Ipv6Only;
    let t = run(&mx, &b, &c, 0).outcome;
    assert_eq!(
        targets(&t)[0].addresses,
        [ip("2001:db8::1"), ip("2001:db8::2")]
    );
    c.families = AddressFamilies::Ipv4Only;
    c.max_addresses_per_host = 10;
    c.max_addresses = 2;
    let t = run(&mx, &b, &c, 0).outcome;
    assert_eq!(targets(&t)[0].addresses, [ip("192.0.2.1"), ip("192.0.2.2")]);
}

#[test]
fn same_address_through_two_hosts_is_tried_once() {
    let b = book(&[
        ("a.example", &["192.0.2.1"]),
        ("b.example", &["192.0.2.1", "192.0.2.2"]),
    ]);
    let t = run(
        &[rec(10, "a.example"), rec(20, "b.example")],
        &b,
        &PlanConfig::default(),
        0,
    );
    let t = targets(&t.outcome);
    assert_eq!(t[0].addresses, [ip("192.0.2.1")]);
    assert_eq!(t[1].addresses, [ip("192.0.2.2")]);
}

#[test]
fn host_cap_and_temp_failures() {
    let mut c = PlanConfig::default();
    c.max_hosts = 1;
    let b = book(&[("a.example", &["192.0.2.1"]), ("b.example", &["192.0.2.2"])]);
    let p = run(&[rec(10, "a.example"), rec(20, "b.example")], &b, &c, 0);
    assert_eq!(hosts(&p.outcome), ["a.example"]);
    assert!(p.diagnostics.iter().any(|d| matches!(
        d,
        Diagnostic::SkippedTarget {
            reason: SkipReason::OverHostLimit,
            ..
        }
    )));
    // Unknown host status counts as a temporary failure.
    let p = run(
        &[rec(10, "a.example")],
        &AddressBook::new(),
        &PlanConfig::default(),
        0,
    );
    assert_eq!(p.outcome, Outcome::TempFail(TempFailure::AddressLookup));
    assert_eq!(p.outcome.enhanced_status(), Some("4.4.3"));
}

#[test]
fn cname_target_policy() {
    let mut b = AddressBook::new();
    b.insert(
        n("alias.example"),
        HostStatus::Addresses {
            addresses: vec![ip("192.0.2.1")],
            authenticated: false,
            via_cname: true,
        },
    );
    let mx = [rec(10, "alias.example")];
    let p = run(&mx, &b, &PlanConfig::default(), 0);
    assert_eq!(hosts(&p.outcome), ["alias.example"]);
    assert!(matches!(p.diagnostics[0], Diagnostic::CnameTarget { .. }));
    let mut strict = PlanConfig::default();
    strict.allow_cname_targets = false;
    let p = run(&mx, &b, &strict, 0);
    assert_eq!(p.outcome, Outcome::PermFail(PermFailure::NoAddresses));
}

#[test]
fn authenticated_needs_both_mx_and_addresses() {
    let domain = n("example.com");
    let mut b = AddressBook::new();
    b.add_address(&n("mx.example"), ip("192.0.2.1"), true);
    let mx = [rec(10, "mx.example")];
    let ordered = order_exchanges(
        &domain,
        Some(&mx),
        &PlanConfig::default(),
        0,
        &mut Vec::new(),
    )
    .unwrap();
    let o = assign_addresses(&ordered, &b, true, &PlanConfig::default(), &mut Vec::new());
    assert!(targets(&o)[0].authenticated);
    let o = assign_addresses(&ordered, &b, false, &PlanConfig::default(), &mut Vec::new());
    assert!(!targets(&o)[0].authenticated);
}

#[test]
fn policy_seam_filters_targets() {
    let b = book(&[("a.example", &["192.0.2.1"]), ("b.example", &["192.0.2.2"])]);
    let p = run(
        &[rec(10, "a.example"), rec(20, "b.example")],
        &b,
        &PlanConfig::default(),
        0,
    );
    let kept = retain_targets(p.outcome.clone(), |t| t.host.to_string() == "b.example");
    assert_eq!(hosts(&kept), ["b.example"]);
    let none = retain_targets(p.outcome, |_| false);
    assert_eq!(none, Outcome::TempFail(TempFailure::NoTargetAllowed));
    assert_eq!(retain_targets(Outcome::NullMx, |_| false), Outcome::NullMx);
}

#[test]
fn plan_response_rcodes_and_cname() {
    let config = PlanConfig::default();
    let mut m = response(1, "example.com", RecordType::MX);
    m.header.rcode = 3;
    assert_eq!(
        plan_response(&n("example.com"), &m, &config, 0).outcome,
        Outcome::NoSuchDomain
    );
    m.header.rcode = 2;
    assert_eq!(
        plan_response(&n("example.com"), &m, &config, 0).outcome,
        Outcome::TempFail(TempFailure::ServFail)
    );
    m.header.rcode = 0;
    m.header.truncated = true;
    assert_eq!(
        plan_response(&n("example.com"), &m, &config, 0).outcome,
        Outcome::TempFail(TempFailure::Truncated)
    );
    // CNAME on the domain, MX on the target, in one answer (case 24).
    let mut m = response(1, "example.com", RecordType::MX);
    m.answers.push(cname("example.com", "mail.example.net"));
    m.answers
        .push(mx("mail.example.net", 10, "mx.mail.example.net"));
    m.answers.push(mx("evil.test", 0, "attacker.test"));
    m.additional.push(a("mx.mail.example.net", "192.0.2.10"));
    m.additional.push(a("attacker.test", "192.0.2.66"));
    let p = plan_response(
        &n("example.com"),
        &Message::decode(&m.to_vec()).unwrap(),
        &config,
        0,
    );
    assert_eq!(hosts(&p.outcome), ["mx.mail.example.net"]);
}

use mx_resolve::wire::{Message, MessageView};

#[test]
fn large_rrsets_dedupe_through_the_index() {
    // 4000 records naming 2000 hosts twice each: the best preference wins,
    // then the cap keeps the 10 best hosts.
    let mut mx = Vec::new();
    let mut b = AddressBook::new();
    for i in 0..2000u16 {
        let host = format!("h{i}.example");
        mx.push(rec(1000 + i, &host));
        mx.push(rec(i, &host));
        b.add_address(
            &n(&host),
            IpAddr::from([10, 0, (i >> 8) as u8, i as u8]),
            false,
        );
    }
    let p = run(&mx, &b, &PlanConfig::default(), 7);
    let t = targets(&p.outcome);
    assert_eq!(t.len(), 10);
    let prefs: Vec<u16> = t.iter().map(|t| t.preference).collect();
    assert_eq!(prefs, (0..10).collect::<Vec<_>>());
}

/// Found by the mx_response fuzz target: an A record of another class
/// must not give an address, in either planner.
#[test]
fn address_records_of_other_classes_are_ignored() {
    let bytes: &[u8] = b"\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\x07e\xada\x03com\x00\
        \x00\x0f\x00\x01\xc0\x0c\x00\x01\x0f\x00\x00\x00\xfd\x00\x00\x04mx\xc0\x0c";
    let m = Message::decode(bytes).unwrap();
    let domain = m.question.as_ref().unwrap().name.clone();
    let view = MessageView::parse(bytes).unwrap();
    let owned = plan_response(&domain, &m, &PlanConfig::default(), 1);
    assert_eq!(owned.outcome, Outcome::TempFail(TempFailure::AddressLookup));
    assert_eq!(plan_view(&domain, &view, &PlanConfig::default(), 1), owned);
}

/// Issue 10: an address record for a target outside the queried domain is
/// not trusted (anyone answering for `example.test` could otherwise send its
/// mail anywhere), in either planner; one at or below the domain is.
#[test]
fn out_of_bailiwick_addresses_are_not_used() {
    let plans = |m: &Message, config: &PlanConfig| {
        let bytes = m.to_vec();
        let owned = plan_response(
            &n("example.test"),
            &Message::decode(&bytes).unwrap(),
            config,
            1,
        );
        let view = MessageView::parse(&bytes).unwrap();
        assert_eq!(plan_view(&n("example.test"), &view, config, 1), owned);
        owned.outcome
    };
    let mut m = response(1, "example.test", RecordType::MX);
    m.answers.push(mx("example.test", 10, "mx.evil.test"));
    m.additional.push(a("mx.evil.test", "192.0.2.66"));
    // No usable address: not yet resolved, so the lookup must ask.
    assert_eq!(
        plans(&m, &PlanConfig::default()),
        Outcome::TempFail(TempFailure::AddressLookup)
    );
    // Also when the record sits in the answer section.
    let mut m2 = response(1, "example.test", RecordType::MX);
    m2.answers.push(mx("example.test", 10, "mx.evil.test"));
    m2.answers.push(a("mx.evil.test", "192.0.2.66"));
    assert_eq!(
        plans(&m2, &PlanConfig::default()),
        Outcome::TempFail(TempFailure::AddressLookup)
    );
    // Only when asked to, by the dangerous option.
    let mut trusting = PlanConfig::default();
    trusting.dangerous_out_of_bailiwick_glue = true;
    let o = plans(&m, &trusting);
    assert_eq!(targets(&o)[0].addresses, [ip("192.0.2.66")]);
    // In bailiwick: the domain itself and names below it, in any case; a
    // name that merely ends with the same letters is not below it.
    for (target, used) in [
        ("mx.example.test", true),
        ("MX.Example.TEST", true),
        ("example.test", true),
        ("a.b.example.test", true),
        ("mxexample.test", false),
        ("test", false),
    ] {
        let mut m = response(1, "example.test", RecordType::MX);
        m.answers.push(mx("example.test", 10, target));
        m.additional.push(a(target, "192.0.2.1"));
        let o = plans(&m, &PlanConfig::default());
        if used {
            assert_eq!(targets(&o)[0].addresses, [ip("192.0.2.1")], "{target}");
        } else {
            assert_eq!(o, Outcome::TempFail(TempFailure::AddressLookup), "{target}");
        }
    }
    // Two targets: the foreign one is left out, the plan goes on with the other.
    m.answers.push(mx("example.test", 20, "mx.example.test"));
    m.additional.push(a("mx.example.test", "192.0.2.1"));
    assert_eq!(
        hosts(&plans(&m, &PlanConfig::default())),
        ["mx.example.test"]
    );
}

/// Glue behind a CNAME on the domain: addresses of hosts at or below the
/// domain or the CNAME's target are used, others are not, and the zero-copy
/// planner agrees with the owned one (names compressed against each other,
/// written in another case, or spelled out in full).
#[test]
fn bailiwick_after_a_cname() {
    let mut m = response(1, "example.test", RecordType::MX);
    m.answers.push(cname("example.test", "mail.example.net"));
    m.answers
        .push(mx("mail.example.net", 10, "mx.mail.example.net"));
    m.answers
        .push(mx("mail.example.net", 20, "mx.example.test"));
    m.answers.push(mx("mail.example.net", 30, "mx.evil.test"));
    m.answers
        .push(mx("mail.example.net", 40, "MAIL.Example.NET"));
    m.additional.push(a("mx.mail.example.net", "192.0.2.1"));
    m.additional.push(a("mx.example.test", "192.0.2.2"));
    m.additional.push(a("mx.evil.test", "192.0.2.3"));
    m.additional.push(a("mail.example.net", "192.0.2.4"));
    let bytes = m.to_vec();
    for domain in ["example.test", "EXAMPLE.test"] {
        let domain = n(domain);
        let owned = plan_response(
            &domain,
            &Message::decode(&bytes).unwrap(),
            &PlanConfig::default(),
            3,
        );
        let view = MessageView::parse(&bytes).unwrap();
        assert_eq!(plan_view(&domain, &view, &PlanConfig::default(), 3), owned);
        assert_eq!(
            hosts(&owned.outcome),
            ["mx.mail.example.net", "mx.example.test", "mail.example.net"]
        );
    }
}
