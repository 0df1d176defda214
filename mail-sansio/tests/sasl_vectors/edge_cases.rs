//! LOGIN, EXTERNAL and OAuth edge cases, sequencing, the adversarial inputs of the security
//! checklist (items 19 and 29), cancellation and redaction.

use super::*;

// Other mechanisms' edge cases.

#[test]
fn login_prompts_and_initial_response() {
    let mut server = SaslServer::new(Mechanism::Login, SaslServerConfig::new()).unwrap();
    assert_eq!(
        server.start().unwrap(),
        ServerStep::Challenge(b"Username:".to_vec())
    );
    assert_eq!(
        server.step(b"tim").unwrap(),
        ServerStep::Challenge(b"Password:".to_vec())
    );
    assert!(matches!(
        server.step(b"secret").unwrap(),
        ServerStep::Verify(Credentials::Password { ref authcid, .. }) if authcid == "tim"
    ));
    // Some clients send the user name as an initial response.
    let mut server = SaslServer::new(Mechanism::Login, SaslServerConfig::new()).unwrap();
    assert_eq!(
        server.step(b"tim").unwrap(),
        ServerStep::Challenge(b"Password:".to_vec())
    );

    let mut client = SaslClient::login("tim", pw("secret")).unwrap();
    assert!(client.initial_response().is_none());
    assert_eq!(client.step(b"User Name\0").unwrap().expose(), b"tim");
    assert!(matches!(
        client.finish(None),
        Err(SaslError::OutOfSequence(_))
    ));
    let mut client = SaslClient::login("tim", pw("secret")).unwrap();
    client.step(b"Username:").unwrap();
    assert_eq!(client.step(b"Password:").unwrap().expose(), b"secret");
    assert!(matches!(
        client.step(b"More:"),
        Err(SaslError::OutOfSequence(_))
    ));
}

#[test]
fn external_empty_initial_response_differs_from_none() {
    let mut client = SaslClient::external(None).unwrap();
    let ir = client.initial_response().unwrap();
    assert!(ir.expose().is_empty());
    let line = encode_initial_response(ir.expose());
    assert_eq!(line.expose(), "=");
    let decoded = decode_initial_response(line.expose().as_bytes(), DEFAULT_MAX_LINE).unwrap();
    let mut server = SaslServer::new(Mechanism::External, SaslServerConfig::new()).unwrap();
    assert_eq!(
        server.step(decoded.expose()).unwrap(),
        ServerStep::Verify(Credentials::External { authzid: None })
    );
    // LOGIN has no initial response at all.
    assert!(
        SaslClient::login("a", pw("b"))
            .unwrap()
            .initial_response()
            .is_none()
    );
    // An empty PLAIN initial response is malformed.
    let mut server = SaslServer::new(Mechanism::Plain, SaslServerConfig::new()).unwrap();
    assert!(server.step(b"").is_err());
}

#[test]
fn oauth_error_exchanges() {
    let json = br#"{"status":"invalid_token","schemes":"bearer","scope":"mail"}"#;
    for (mut client, mechanism, ack) in [
        (
            SaslClient::xoauth2("alice", pw("tok")).unwrap(),
            Mechanism::XOAuth2,
            &b""[..],
        ),
        (
            SaslClient::oauthbearer(None, None, None, pw("tok")).unwrap(),
            Mechanism::OAuthBearer,
            &b"\x01"[..],
        ),
    ] {
        let mut server = SaslServer::new(mechanism, SaslServerConfig::new()).unwrap();
        let ServerStep::Verify(Credentials::Token { token, .. }) = server
            .step(client.initial_response().unwrap().expose())
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(token.expose(), "tok");
        let challenge = server.reject_token(json).unwrap();
        let response = client.step(&challenge).unwrap();
        assert_eq!(response.expose(), ack, "{mechanism}");
        assert_eq!(client.token_error(), Some(&json[..]));
        assert_eq!(
            server.step(response.expose()),
            Err(SaslError::AuthenticationFailed)
        );
        assert!(client.finish(None).is_err());
    }
    let mut server = SaslServer::new(Mechanism::Plain, SaslServerConfig::new()).unwrap();
    assert!(server.reject_token(json).is_err());
}

#[test]
fn client_constructors_validate() {
    assert!(SaslClient::plain(None, "", pw("x")).is_err());
    assert!(SaslClient::plain(None, "a\0b", pw("x")).is_err());
    assert!(SaslClient::plain(Some("a\0"), "a", pw("x")).is_err());
    assert!(SaslClient::plain(None, "a", pw("x\0y")).is_err());
    assert!(SaslClient::plain(None, "a", pw("")).is_err());
    assert!(SaslClient::xoauth2("a\x01", pw("t")).is_err());
    assert!(SaslClient::xoauth2("a", pw("t\x01")).is_err());
    assert!(SaslClient::oauthbearer(None, Some("h\x01"), None, pw("t")).is_err());
    assert!(SaslClient::scram(ScramClientConfig::new("u", pw("p"), "a,b")).is_err());
    assert!(SaslClient::scram(ScramClientConfig::new("u", pw("p"), "")).is_err());
    assert!(
        SaslClient::scram(ScramClientConfig::new("u", pw("p"), "n").iteration_range(5, 1)).is_err()
    );
    assert!(SaslServer::new(Mechanism::CramMd5, SaslServerConfig::new()).is_err());
    assert!(SaslServer::from_name(b"scram-sha-1", SaslServerConfig::new()).is_err());
    assert!(SaslServer::from_name(b"plain", SaslServerConfig::new()).is_ok());
}

#[test]
fn steps_after_completion_or_failure_are_errors() {
    let mut client = SaslClient::plain(None, "a", pw("b")).unwrap();
    client.initial_response().unwrap();
    assert!(client.initial_response().is_none());
    assert!(matches!(
        client.step(b"unexpected"),
        Err(SaslError::OutOfSequence(_))
    ));
    assert_eq!(client.step(b""), Err(SaslError::AlreadyFailed));
    assert_eq!(client.finish(None), Err(SaslError::AlreadyFailed));

    let mut client = SaslClient::plain(None, "a", pw("b")).unwrap();
    client.step(b"").unwrap();
    client.finish(None).unwrap();
    assert_eq!(client.step(b""), Err(SaslError::AlreadyComplete));

    let mut server = SaslServer::new(Mechanism::Plain, SaslServerConfig::new()).unwrap();
    server.start().unwrap();
    assert!(server.start().is_err());
    server.step(b"\0a\0b").unwrap();
    assert_eq!(server.step(b"\0a\0b"), Err(SaslError::AlreadyComplete));

    let mut server = SaslServer::new(Mechanism::Plain, SaslServerConfig::new()).unwrap();
    assert!(server.step(b"\0a\0b\0").is_err());
    assert_eq!(server.step(b"\0a\0b"), Err(SaslError::AlreadyFailed));

    let mut server = SaslServer::new(Mechanism::CramMd5, full_config()).unwrap();
    assert!(
        server
            .step(b"tim b913a602c7eda7a495b4e6e7334d3890")
            .is_err()
    );
}

// ---------------------------------------------------------------------------------------------
// Security checklist §8 items 19 and 29, cancellation, redaction.

#[test]
fn auth_plain_adversarial_base64() {
    for (line, offset) in [
        (&b"AHRpbQB0YW5zdGFhZnRhbnN0YWFmQ"[..], 29), // 4n+1
        (b"AHRpbQB0YW5zdGFhZnRhbnN0YWFmQUJ", 31),    // 4n+3
    ] {
        assert_eq!(
            decode_initial_response(line, DEFAULT_MAX_LINE),
            Err(SaslError::InvalidBase64 {
                offset,
                reason: "length is not a multiple of 4"
            })
        );
    }
    for bad in [
        &b"QQ==QQ=="[..],
        b"Q===",
        b"QQ=",
        b"QUJ=Q",
        b"QR==",
        b"AHRp bQB0",
        b"AHRpbQB0\t",
        b"AHRp\x80QB0",
        b"AHRp_QB0",
    ] {
        assert!(
            matches!(
                decode_response(bad, DEFAULT_MAX_LINE),
                Err(SaslError::InvalidBase64 { .. })
            ),
            "{bad:?}"
        );
    }
    // Three NULs in PLAIN.
    let three = decode_initial_response(b"AHRpbQB0YW5zAHRhYWY=", DEFAULT_MAX_LINE).unwrap();
    assert_eq!(three.expose(), b"\0tim\0tans\0taaf");
    let mut server = SaslServer::new(Mechanism::Plain, SaslServerConfig::new()).unwrap();
    assert!(matches!(
        server.step(three.expose()),
        Err(SaslError::Malformed { .. })
    ));
    // 20,000 octets: refused on length before decoding.
    let long = "A".repeat(20_000);
    assert_eq!(
        decode_initial_response(long.as_bytes(), DEFAULT_MAX_LINE),
        Err(SaslError::TooLong {
            what: "sasl initial response",
            length: 20_000,
            limit: DEFAULT_MAX_LINE
        })
    );
    // And a decoded message over the server's cap.
    let mut server = SaslServer::new(Mechanism::Plain, SaslServerConfig::new()).unwrap();
    let big = [&b"\0user\0"[..], &vec![b'p'; 20_000]].concat();
    assert!(matches!(
        server.step(&big),
        Err(SaslError::TooLong { length: 20_006, .. })
    ));
}

#[test]
fn huge_or_invalid_challenges_are_bounded_errors() {
    let huge = vec![b'A'; 1 << 20];
    assert!(matches!(
        decode_challenge(&huge, DEFAULT_MAX_LINE),
        Err(SaslError::TooLong {
            length: 1_048_576,
            ..
        })
    ));
    assert!(matches!(
        decode_challenge(b"VXNlcm5hbWU", DEFAULT_MAX_LINE),
        Err(SaslError::InvalidBase64 { .. })
    ));
    for mut client in all_clients("pw").into_iter().map(|(client, _)| client) {
        assert!(matches!(client.step(&huge), Err(SaslError::TooLong { .. })));
        assert_eq!(client.step(b""), Err(SaslError::AlreadyFailed));
    }
    let mut client = SaslClient::cram_md5("tim", pw("x"))
        .unwrap()
        .with_max_challenge(10);
    assert!(matches!(
        client.step(CRAM_CHALLENGE),
        Err(SaslError::TooLong { limit: 10, .. })
    ));
}

#[test]
fn cancellation() {
    assert_eq!(
        decode_response(b"*", DEFAULT_MAX_LINE),
        Err(SaslError::Cancelled)
    );
    assert_eq!(
        decode_initial_response(b"*", DEFAULT_MAX_LINE),
        Err(SaslError::Cancelled)
    );
    assert_eq!(
        SaslError::Cancelled.to_string(),
        "sasl exchange cancelled by the client"
    );
    // "**" or "* " are not cancellation but bad base64.
    assert!(matches!(
        decode_response(b"**", DEFAULT_MAX_LINE),
        Err(SaslError::InvalidBase64 { .. })
    ));
    assert!(matches!(
        decode_response(b"* ", DEFAULT_MAX_LINE),
        Err(SaslError::InvalidBase64 { .. })
    ));
    // An empty line is an empty response, "=" only counts as an initial response.
    assert!(
        decode_response(b"", DEFAULT_MAX_LINE)
            .unwrap()
            .expose()
            .is_empty()
    );
    assert!(
        decode_initial_response(b"=", DEFAULT_MAX_LINE)
            .unwrap()
            .expose()
            .is_empty()
    );
}

#[test]
fn secrets_never_appear_in_debug_or_errors() {
    const SECRET: &str = "Sup3rS3cretValue";
    let mut outputs = Vec::new();
    for (mut client, mechanism) in all_clients(SECRET) {
        outputs.push(format!("{client:?}"));
        let mut server = SaslServer::new(mechanism, full_config()).unwrap();
        outputs.push(format!("{server:?}"));
        let store = Store::new(SECRET);
        let mut step = match client.initial_response() {
            Some(ir) => {
                outputs.push(format!("{ir:?} {ir}"));
                server.step(ir.expose()).unwrap()
            }
            None => server.start().unwrap(),
        };
        for _ in 0..5 {
            outputs.push(format!("{step:?}"));
            step = match step {
                ServerStep::Challenge(challenge) => {
                    let response = client.step(&challenge).unwrap();
                    outputs.push(format!("{response:?}"));
                    server.step(response.expose()).unwrap()
                }
                ServerStep::NeedScramCredentials { .. } => {
                    outputs.push(format!("{:?}", store.scram));
                    server
                        .provide_scram_credentials(store.scram.clone())
                        .unwrap()
                }
                _ => break,
            };
        }
    }
    let config = ScramClientConfig::new("u", pw(SECRET), "nonce");
    outputs.push(format!("{config:?}"));
    // Errors from malformed secret-bearing input.
    let mut server = SaslServer::new(Mechanism::Plain, SaslServerConfig::new()).unwrap();
    let error = server
        .step(format!("\0u\0{SECRET}\0").as_bytes())
        .unwrap_err();
    outputs.push(format!("{error} {error:?}"));
    let error = decode_response(format!("{SECRET}!").as_bytes(), 100).unwrap_err();
    outputs.push(format!("{error} {error:?}"));
    for output in outputs {
        assert!(!output.contains(SECRET), "leaked in {output}");
        assert!(
            !output.contains("U3VwM3JTM2NyZXRWYWx1ZQ"),
            "leaked base64 in {output}"
        );
    }
}
