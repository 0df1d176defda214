//! `Plan::ttl` and `MxLookup::ttl`: the smallest TTL of the records a plan
//! used, the same from the owned and the in-place planner and from the
//! lookup machine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use mx_resolve::plan::{plan_response, plan_view};
use mx_resolve::wire::{Message, MessageView, Record, RecordType};
use mx_resolve::{AddressBook, Outcome, PlanConfig, PlanInput, plan};

fn with_ttl(mut r: Record, ttl: u32) -> Record {
    r.ttl = ttl;
    r
}

/// Both planners on `m` (through its wire form); they must agree.
fn plans(m: &Message, config: &PlanConfig) -> mx_resolve::Plan {
    let wire = m.to_vec();
    let decoded = Message::decode(&wire).unwrap();
    let domain = n("example.com");
    let owned = plan_response(&domain, &decoded, config, 3);
    let view = MessageView::parse(&wire).unwrap();
    assert_eq!(plan_view(&domain, &view, config, 3), owned);
    owned
}

#[test]
fn smallest_of_the_mx_rrset_and_the_targets_addresses() {
    let mut m = response(1, "example.com", RecordType::MX);
    m.answers
        .push(with_ttl(mx("example.com", 10, "mx1.example.com"), 3600));
    m.answers
        .push(with_ttl(mx("example.com", 20, "mx2.example.com"), 1800));
    m.additional
        .push(with_ttl(a("mx1.example.com", "192.0.2.1"), 900));
    m.additional
        .push(with_ttl(a("mx1.example.com", "2001:db8::1"), 600));
    m.additional
        .push(with_ttl(a("mx2.example.com", "192.0.2.2"), 2400));
    // A record of an unrelated host is not used.
    m.additional
        .push(with_ttl(a("other.example.com", "192.0.2.9"), 5));
    let p = plans(&m, &PlanConfig::default());
    assert!(matches!(p.outcome, Outcome::Targets(ref t) if t.len() == 2));
    assert_eq!(p.ttl, Some(600));
}

#[test]
fn hosts_that_are_not_targets_do_not_count() {
    let mut m = response(1, "example.com", RecordType::MX);
    m.answers
        .push(with_ttl(mx("example.com", 10, "mx1.example.com"), 3600));
    m.answers
        .push(with_ttl(mx("example.com", 20, "mx2.example.com"), 3600));
    m.additional
        .push(with_ttl(a("mx1.example.com", "192.0.2.1"), 700));
    m.additional
        .push(with_ttl(a("mx2.example.com", "192.0.2.2"), 30));
    let mut config = PlanConfig::default();
    config.max_hosts = 1;
    let p = plans(&m, &config);
    assert!(matches!(p.outcome, Outcome::Targets(ref t) if t.len() == 1));
    assert_eq!(p.ttl, Some(700));
}

#[test]
fn cname_on_the_domain_counts() {
    let mut m = response(1, "example.com", RecordType::MX);
    m.answers
        .push(with_ttl(cname("example.com", "mail.example.net"), 120));
    m.answers.push(with_ttl(
        mx("mail.example.net", 10, "mx.mail.example.net"),
        3600,
    ));
    m.additional
        .push(with_ttl(a("mx.mail.example.net", "192.0.2.10"), 3600));
    assert_eq!(plans(&m, &PlanConfig::default()).ttl, Some(120));
}

#[test]
fn null_mx_and_failures() {
    // Null MX: the RRset says so for as long as it lives.
    let mut m = response(1, "example.com", RecordType::MX);
    m.answers.push(with_ttl(mx("example.com", 0, "."), 86400));
    let p = plans(&m, &PlanConfig::default());
    assert_eq!(p.outcome, Outcome::NullMx);
    assert_eq!(p.ttl, Some(86400));
    // No record used: no TTL.
    let mut m = response(1, "example.com", RecordType::MX);
    m.header.rcode = 3;
    let p = plans(&m, &PlanConfig::default());
    assert_eq!(p.outcome, Outcome::NoSuchDomain);
    assert_eq!(p.ttl, None);
    // Implicit MX whose addresses are not in the response.
    let m = response(1, "example.com", RecordType::MX);
    assert_eq!(plans(&m, &PlanConfig::default()).ttl, None);
    // Implicit MX with its address in the response.
    let mut m = response(1, "example.com", RecordType::MX);
    m.additional
        .push(with_ttl(a("example.com", "192.0.2.80"), 45));
    assert_eq!(plans(&m, &PlanConfig::default()).ttl, Some(45));
}

#[test]
fn data_without_ttls_gives_none() {
    let domain = n("example.com");
    let mut book = AddressBook::new();
    book.add_address(&n("example.com"), "192.0.2.1".parse().unwrap(), false);
    let p = plan(
        &PlanInput {
            domain: &domain,
            mx: None,
            mx_authenticated: false,
            addresses: &book,
        },
        &PlanConfig::default(),
        0,
    );
    assert!(matches!(p.outcome, Outcome::Targets(_)));
    assert_eq!(p.ttl, None);
}

/// RFC 2181 §8: a TTL with the top bit set counts as zero.
#[test]
fn ttls_with_the_top_bit_set_count_as_zero() {
    let mut m = response(1, "example.com", RecordType::MX);
    m.answers.push(with_ttl(
        mx("example.com", 10, "mx1.example.com"),
        0x8000_0000,
    ));
    m.additional
        .push(with_ttl(a("mx1.example.com", "192.0.2.1"), 300));
    assert_eq!(plans(&m, &PlanConfig::default()).ttl, Some(0));
}

#[test]
fn lookup_reports_the_ttl_of_what_it_used() {
    // MX answer with a hint for mx1 only; mx2's addresses are asked for.
    let (l, t0) = lookup("example.com", config1(), 5);
    let mut l = l;
    assert_eq!(l.ttl(), None);
    let (o, _, seen) = drive_ref(&mut l, t0, |s| {
        let mut m = response(0, &s.question.name.to_string(), s.question.qtype);
        match (s.question.name.to_string().as_str(), s.question.qtype) {
            ("example.com", RecordType::MX) => {
                m.answers
                    .push(with_ttl(mx("example.com", 10, "mx1.example.com"), 3600));
                m.answers
                    .push(with_ttl(mx("example.com", 20, "mx2.example.com"), 3000));
                m.additional
                    .push(with_ttl(a("mx1.example.com", "192.0.2.1"), 900));
            }
            ("mx2.example.com", RecordType::A) => {
                m.answers
                    .push(with_ttl(a("mx2.example.com", "192.0.2.2"), 200));
            }
            _ => {}
        }
        Reply::Message(m)
    });
    assert!(matches!(o, Outcome::Targets(ref t) if t.len() == 2));
    assert_eq!(seen.len(), 3);
    assert_eq!(l.ttl(), Some(200));
}

#[test]
fn lookup_null_mx_and_nxdomain() {
    let (mut l, t0) = lookup("example.com", config1(), 5);
    let (o, _, _) = drive_ref(&mut l, t0, |_| {
        let mut m = response(0, "example.com", RecordType::MX);
        m.answers.push(with_ttl(mx("example.com", 0, "."), 7200));
        Reply::Message(m)
    });
    assert_eq!(o, Outcome::NullMx);
    assert_eq!(l.ttl(), Some(7200));
    let (mut l, t0) = lookup("example.com", config1(), 5);
    let (o, _, _) = drive_ref(&mut l, t0, |_| {
        let mut m = response(0, "example.com", RecordType::MX);
        m.header.rcode = 3;
        Reply::Message(m)
    });
    assert_eq!(o, Outcome::NoSuchDomain);
    assert_eq!(l.ttl(), None);
}

#[test]
fn lookup_counts_the_cname_on_the_domain() {
    let (mut l, t0) = lookup("example.com", config1(), 5);
    let (o, _, _) = drive_ref(&mut l, t0, |_| {
        let mut m = response(0, "example.com", RecordType::MX);
        m.answers
            .push(with_ttl(cname("example.com", "mail.example.net"), 60));
        m.answers.push(with_ttl(
            mx("mail.example.net", 10, "mx.mail.example.net"),
            3600,
        ));
        m.additional
            .push(with_ttl(a("mx.mail.example.net", "192.0.2.10"), 3600));
        Reply::Message(m)
    });
    assert!(matches!(o, Outcome::Targets(_)));
    assert_eq!(l.ttl(), Some(60));
}
