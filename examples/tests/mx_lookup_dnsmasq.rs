//! Interop: the `mx-lookup` example against a real dnsmasq serving the test
//! zone in `examples/interop/dnsmasq/mx-test.conf`. Start it with
//! `examples/interop/start-peers.sh` (or `ci-dnsmasq.sh` alone); the tests
//! are ignored unless asked for (`-- --ignored`), and then fail without it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;

use mail_sansio::testing::PeersEnv;

/// The dnsmasq address from the peers env file; fails the test when the
/// peer was not started.
fn dnsmasq() -> String {
    PeersEnv::load("ci-dnsmasq.sh").require("MAILSANSIO_DNSMASQ")
}

/// Runs `mx-lookup DOMAIN --dns ADDR`: (exit code, stdout lines, stderr).
fn mx_lookup(domain: &str, dns: &str) -> (i32, Vec<String>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mx-lookup"))
        .args([domain, "--dns", dns])
        .output()
        .expect("run mx-lookup");
    let stdout = String::from_utf8(out.stdout).unwrap();
    (
        out.status.code().unwrap_or(-1),
        stdout.lines().map(str::to_owned).collect(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn several_preferences_in_order() {
    let dns = dnsmasq();
    let (code, lines, stderr) = mx_lookup("multi.test", &dns);
    assert_eq!(code, 0, "{lines:?} {stderr}");
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0], "mx 10 mx1.multi.test fd00::11 127.0.0.11");
    let mut rest = lines[1..].to_vec();
    rest.sort();
    assert_eq!(
        rest,
        [
            "mx 20 mx2.multi.test 127.0.0.12",
            "mx 20 mx3.multi.test 127.0.0.13"
        ]
    );
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn null_mx() {
    let dns = dnsmasq();
    let (code, lines, _) = mx_lookup("nullmx.test", &dns);
    assert_eq!(code, 69, "EX_UNAVAILABLE");
    assert_eq!(
        lines,
        ["null-mx: nullmx.test accepts no mail (RFC 7505) 5.1.10"]
    );
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn cname_mx_target() {
    let dns = dnsmasq();
    let (code, lines, stderr) = mx_lookup("cname.test", &dns);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(lines, ["mx 10 alias.cname.test 127.0.0.21"]);
    assert!(stderr.contains("CnameTarget"), "{stderr}");
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn only_an_a_record_is_an_implicit_mx() {
    let dns = dnsmasq();
    let (code, lines, _) = mx_lookup("aonly.test", &dns);
    assert_eq!(code, 0);
    assert_eq!(lines, ["implicit-mx 0 aonly.test 127.0.0.31"]);
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn no_such_domain() {
    let dns = dnsmasq();
    let (code, lines, _) = mx_lookup("nxdomain.test", &dns);
    assert_eq!(code, 69, "EX_UNAVAILABLE");
    assert_eq!(
        lines,
        ["no-such-domain: nxdomain.test does not exist 5.1.2"]
    );
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn truncated_reply_is_asked_again_over_tcp() {
    let dns = dnsmasq();
    let (code, lines, stderr) = mx_lookup("big.test", &dns);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("RetriedOverTcp"), "{stderr}");
    assert_eq!(lines.len(), 10, "capped at max_hosts: {lines:?}");
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        assert_eq!(
            line,
            &format!("mx {n} mail-exchanger-number-{n:02}.big.test 127.0.1.{n}")
        );
    }
}
