//! SCRAM channel binding, downgrade detection, and both sides' checks on the peer's messages.

use mail_sansio::sasl::ChannelBinding;

use super::*;

// Channel binding.

fn exporter(byte: u8) -> ChannelBinding {
    ChannelBinding::tls_exporter(vec![byte; 32]).unwrap()
}

fn plus_server(binding: ChannelBinding) -> SaslServer {
    let config = scram_server_config()
        .with_channel_binding(binding)
        .with_plus_offered(true);
    SaslServer::new(Mechanism::ScramSha256Plus, config).unwrap()
}

fn plain_scram_server(plus_offered: bool) -> SaslServer {
    let config = scram_server_config()
        .with_channel_binding(exporter(7))
        .with_plus_offered(plus_offered);
    SaslServer::new(Mechanism::ScramSha256, config).unwrap()
}

#[test]
fn scram_plus_with_matching_binding() {
    let store = Store::new("pencil");
    let mut client =
        SaslClient::scram(scram_client("user", "pencil").channel_binding(exporter(7))).unwrap();
    assert_eq!(client.mechanism(), Mechanism::ScramSha256Plus);
    let mut server = plus_server(exporter(7));
    assert_eq!(
        run(&mut client, &mut server, &store, true),
        Ok(Some("user".into()))
    );
}

#[test]
fn scram_plus_client_first_carries_the_binding_type() {
    let mut client =
        SaslClient::scram(scram_client("user", "pencil").channel_binding(exporter(7))).unwrap();
    assert_eq!(
        client.initial_response().unwrap().expose(),
        b"p=tls-exporter,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    );
}

#[test]
fn scram_plus_with_mismatching_binding_data() {
    let store = Store::new("pencil");
    let mut client =
        SaslClient::scram(scram_client("user", "pencil").channel_binding(exporter(8))).unwrap();
    let mut server = plus_server(exporter(7));
    assert_eq!(
        run(&mut client, &mut server, &store, true),
        Err(SaslError::ChannelBindingMismatch)
    );
}

#[test]
fn scram_plus_with_unsupported_binding_type() {
    let store = Store::new("pencil");
    let binding = ChannelBinding::tls_server_end_point(vec![7; 32]).unwrap();
    let mut client =
        SaslClient::scram(scram_client("user", "pencil").channel_binding(binding)).unwrap();
    let mut server = plus_server(exporter(7));
    assert!(matches!(
        run(&mut client, &mut server, &store, true),
        Err(SaslError::ChannelBinding(_))
    ));
}

#[test]
fn scram_downgrade_is_detected() {
    let store = Store::new("pencil");
    // The client could bind but did not see -PLUS: "y,,". The server did offer it.
    let mut client =
        SaslClient::scram(scram_client("user", "pencil").binding_supported(true)).unwrap();
    assert_eq!(&client.initial_response().unwrap().expose()[..3], b"y,,");
    let mut client =
        SaslClient::scram(scram_client("user", "pencil").binding_supported(true)).unwrap();
    let mut server = plain_scram_server(true);
    assert_eq!(
        run(&mut client, &mut server, &store, true),
        Err(SaslError::ChannelBindingDowngrade)
    );
    // Not offered: "y,," is honest and succeeds.
    let mut client =
        SaslClient::scram(scram_client("user", "pencil").binding_supported(true)).unwrap();
    let mut server = plain_scram_server(false);
    assert_eq!(
        run(&mut client, &mut server, &store, true),
        Ok(Some("user".into()))
    );
    // A client without binding support ("n,,") is fine either way.
    let mut client = SaslClient::scram(scram_client("user", "pencil")).unwrap();
    let mut server = plain_scram_server(true);
    assert_eq!(
        run(&mut client, &mut server, &store, true),
        Ok(Some("user".into()))
    );
}

#[test]
fn scram_binding_flag_must_match_the_mechanism() {
    let store = Store::new("pencil");
    // p= with plain SCRAM-SHA-256.
    let mut client =
        SaslClient::scram(scram_client("user", "pencil").channel_binding(exporter(7))).unwrap();
    let mut server = plain_scram_server(true);
    assert!(matches!(
        run(&mut client, &mut server, &store, true),
        Err(SaslError::ChannelBinding(_))
    ));
    // n with -PLUS.
    let mut client = SaslClient::scram(scram_client("user", "pencil")).unwrap();
    let mut server = plus_server(exporter(7));
    assert!(matches!(
        run(&mut client, &mut server, &store, true),
        Err(SaslError::ChannelBinding(_))
    ));
    // -PLUS needs binding data in the configuration.
    assert_eq!(
        SaslServer::new(Mechanism::ScramSha256Plus, scram_server_config()).err(),
        Some(SaslError::MissingConfig(
            "channel binding data for scram-sha-256-plus"
        ))
    );
}

#[test]
fn scram_client_final_with_wrong_cbind_header() {
    let mut server = SaslServer::new(Mechanism::ScramSha256, scram_server_config()).unwrap();
    server.step(RFC7677_CLIENT_FIRST).unwrap();
    server
        .provide_scram_credentials(rfc7677_credentials())
        .unwrap();
    // "eSws" is "y,," while client-first said "n,,".
    let forged = b"c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    assert_eq!(server.step(forged), Err(SaslError::ChannelBindingMismatch));
}

// ---------------------------------------------------------------------------------------------
// SCRAM client checks on the server's messages.

fn client_after_first() -> SaslClient {
    let mut client = SaslClient::scram(scram_client("user", "pencil")).unwrap();
    client.initial_response().unwrap();
    client
}

#[test]
fn scram_client_rejects_wrong_or_missing_server_signature() {
    let mut client = client_after_first();
    client.step(RFC7677_SERVER_FIRST).unwrap();
    assert_eq!(
        client.step(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G5="),
        Err(SaslError::ServerSignatureMismatch)
    );
    assert!(!client.is_complete());

    let mut client = client_after_first();
    client.step(RFC7677_SERVER_FIRST).unwrap();
    assert_eq!(client.finish(None), Err(SaslError::MissingServerSignature));

    let mut client = client_after_first();
    client.step(RFC7677_SERVER_FIRST).unwrap();
    assert_eq!(client.step(b"x=1"), Err(SaslError::MissingServerSignature));

    let mut client = client_after_first();
    client.step(RFC7677_SERVER_FIRST).unwrap();
    assert_eq!(
        client.finish(Some(b"v=AAAA")),
        Err(SaslError::ServerSignatureMismatch)
    );

    // Success before client-final was even sent.
    let mut client = client_after_first();
    assert_eq!(client.finish(None), Err(SaslError::MissingServerSignature));
}

#[test]
fn scram_client_surfaces_server_error() {
    let mut client = client_after_first();
    client.step(RFC7677_SERVER_FIRST).unwrap();
    assert_eq!(
        client.step(b"e=invalid-proof"),
        Err(SaslError::ServerError("invalid-proof".into()))
    );
}

#[test]
fn scram_client_checks_nonce_and_iterations() {
    let mut client = client_after_first();
    assert_eq!(
        client.step(b"r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"),
        Err(SaslError::NonceMismatch)
    );
    let mut client = client_after_first();
    assert_eq!(
        client.step(b"r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"),
        Err(SaslError::NonceMismatch)
    );
    let mut client = client_after_first();
    assert_eq!(
        client.step(b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1024"),
        Err(SaslError::IterationCount {
            count: 1024,
            min: 4096,
            max: 1_000_000
        })
    );
    let mut client = client_after_first();
    assert!(matches!(
        client.step(b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4000000000"),
        Err(SaslError::IterationCount {
            count: 4_000_000_000,
            ..
        })
    ));
    let mut client =
        SaslClient::scram(scram_client("user", "pencil").iteration_range(1, 10)).unwrap();
    client.initial_response().unwrap();
    assert!(
        client
            .step(b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=2")
            .is_ok()
    );
}

#[test]
fn scram_client_rejects_malformed_server_first() {
    for bad in [
        &b""[..],
        b"m=ext,r=rOprNGfwEbeRWgbNEkqOx,s=QQ==,i=4096",
        b"r=rOprNGfwEbeRWgbNEkqOx,i=4096,s=QQ==",
        b"r=rOprNGfwEbeRWgbNEkqOx,s=,i=4096",
        b"r=rOprNGfwEbeRWgbNEkqOx,s=Q,i=4096",
        b"r=rOprNGfwEbeRWgbNEkqOx,s=QQ==,i=",
        b"r=rOprNGfwEbeRWgbNEkqOx,s=QQ==,i=-1",
        b"r=rOprNGfwEbeRWgbNEkqOx,s=QQ==,i=99999999999999999999",
        b"r=rOprNGfwEbeRWgbNEkqO x,s=QQ==,i=4096",
        b"r=rOprNGfwEbeRWgbNEkqOx,s=QQ==",
        b"\xff",
    ] {
        let mut client = client_after_first();
        assert!(client.step(bad).is_err(), "{bad:?}");
        assert_eq!(
            client.step(RFC7677_SERVER_FIRST),
            Err(SaslError::AlreadyFailed)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// SCRAM server checks on the client's messages.

#[test]
fn scram_server_rejects_malformed_client_messages() {
    for bad in [
        &b""[..],
        b"n,,",
        b"n,,r=abc",
        b"n,,n=user",
        b"n,,n=user,r=",
        b"n,,n=us=er,r=abc",
        b"n,,n=,r=abc",
        b"n,,m=x,n=user,r=abc",
        b"q,,n=user,r=abc",
        b"n,,n=user,r=ab c",
        b"n,,n=user,r=abc,1=x",
        b"n,,n=u\x01,r=abc",
    ] {
        let mut server = SaslServer::new(Mechanism::ScramSha256, scram_server_config()).unwrap();
        assert!(server.step(bad).is_err(), "{bad:?}");
    }
    for bad in [
        &b""[..],
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=",
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=QQ==",
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,c=biws,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        b"c=biw,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ",
    ] {
        let mut server = SaslServer::new(Mechanism::ScramSha256, scram_server_config()).unwrap();
        server.step(RFC7677_CLIENT_FIRST).unwrap();
        server.provide_scram_credentials(rfc7677_credentials()).unwrap();
        assert!(server.step(bad).is_err(), "{bad:?}");
        assert_eq!(server.step(RFC7677_CLIENT_FINAL), Err(SaslError::AlreadyFailed));
    }
}

#[test]
fn scram_server_nonce_mismatch() {
    let mut server = SaslServer::new(Mechanism::ScramSha256, scram_server_config()).unwrap();
    server.step(RFC7677_CLIENT_FIRST).unwrap();
    server
        .provide_scram_credentials(rfc7677_credentials())
        .unwrap();
    let wrong = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k1,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    assert_eq!(server.step(wrong), Err(SaslError::NonceMismatch));
}

#[test]
fn scram_server_sequence_errors() {
    let mut server = SaslServer::new(Mechanism::ScramSha256, scram_server_config()).unwrap();
    // Credentials before client-first: refused, exchange still usable.
    assert!(matches!(
        server.provide_scram_credentials(rfc7677_credentials()),
        Err(SaslError::OutOfSequence(_))
    ));
    server.step(RFC7677_CLIENT_FIRST).unwrap();
    // A client message while waiting for the application.
    assert!(matches!(
        server.step(RFC7677_CLIENT_FINAL),
        Err(SaslError::OutOfSequence(_))
    ));
    assert_eq!(
        server.step(RFC7677_CLIENT_FINAL),
        Err(SaslError::AlreadyFailed)
    );
    assert_eq!(
        SaslServer::new(Mechanism::ScramSha256, SaslServerConfig::new()).err(),
        Some(SaslError::MissingConfig("scram server nonce"))
    );
    assert!(
        SaslServer::new(
            Mechanism::ScramSha256,
            SaslServerConfig::new().with_scram_nonce("a,b")
        )
        .is_err()
    );
}
