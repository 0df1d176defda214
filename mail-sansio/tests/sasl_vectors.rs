//! Known-answer vectors from the RFCs, client/server round trips for every mechanism, and the
//! adversarial inputs of the security checklist (items 19 and 29).

// Test helpers outside #[test] functions may panic too.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use mail_sansio::Secret;
use mail_sansio::sasl::wire::{
    DEFAULT_MAX_LINE, decode_base64, decode_challenge, decode_initial_response, decode_response,
    encode_challenge, encode_initial_response, encode_response,
};
use mail_sansio::sasl::{
    ChannelBinding, Credentials, Mechanism, SaslClient, SaslError, SaslServer, ScramClientConfig,
    ScramCredentials, ServerConfig, ServerStep,
};

const SCRAM_SERVER_NONCE: &str = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
const RFC7677_SALT: &[u8] = b"W22ZaJ0SNY7soEsUEjb6gQ==";
const RFC7677_CLIENT_FIRST: &[u8] = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
const RFC7677_SERVER_FIRST: &[u8] =
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const RFC7677_CLIENT_FINAL: &[u8] = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
const RFC7677_SERVER_FINAL: &[u8] = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
const CRAM_CHALLENGE: &[u8] = b"<1896.697170952@postoffice.reston.mci.net>";

fn pw(password: &str) -> Secret<String> {
    Secret::new(password.to_owned())
}

fn rfc7677_credentials() -> ScramCredentials {
    let salt = decode_base64(RFC7677_SALT, 100).unwrap();
    ScramCredentials::derive("pencil", &salt, 4096).unwrap()
}

fn scram_server_config() -> ServerConfig {
    ServerConfig::new().with_scram_nonce(SCRAM_SERVER_NONCE)
}

fn scram_client(user: &str, password: &str) -> ScramClientConfig {
    ScramClientConfig::new(user, pw(password), "rOprNGfwEbeRWgbNEkqO")
}

/// What the application's checks decide in a round trip.
struct Store {
    password: &'static str,
    scram: ScramCredentials,
}

impl Store {
    fn new(password: &'static str) -> Self {
        Self {
            password,
            scram: ScramCredentials::derive(password, b"fixed salt 16 b.", 4096).unwrap(),
        }
    }

    fn check(&self, credentials: &Credentials) -> bool {
        match credentials {
            Credentials::Password { password, .. } => password.expose() == self.password,
            Credentials::Token { token, .. } => token.expose() == self.password,
            Credentials::External { .. } => true,
            Credentials::CramMd5(proof) => proof.verify(self.password.as_bytes()),
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// Drives one exchange through the base64 wire helpers, as a protocol crate would: with the
/// initial response when `sasl_ir`, otherwise from an empty start. Returns the authenticated
/// identity, or the error that ended it.
fn run(
    client: &mut SaslClient,
    server: &mut SaslServer,
    store: &Store,
    sasl_ir: bool,
) -> Result<Option<String>, SaslError> {
    let ir = if sasl_ir {
        client.initial_response()
    } else {
        None
    };
    let mut step = match ir {
        Some(ir) => {
            let line = encode_initial_response(ir.expose());
            let decoded = decode_initial_response(line.expose().as_bytes(), DEFAULT_MAX_LINE)?;
            server.step(decoded.expose())?
        }
        None => server.start()?,
    };
    for _ in 0..10 {
        step = match step {
            ServerStep::Challenge(challenge) => {
                let line = encode_challenge(&challenge);
                let challenge = decode_challenge(line.as_bytes(), DEFAULT_MAX_LINE)?;
                let response = client.step(&challenge)?;
                let line = encode_response(response.expose());
                let decoded = decode_response(line.expose().as_bytes(), DEFAULT_MAX_LINE)?;
                server.step(decoded.expose())?
            }
            ServerStep::NeedScramCredentials { authcid, .. } => {
                assert!(!authcid.is_empty());
                server.provide_scram_credentials(store.scram.clone())?
            }
            ServerStep::Verify(credentials) => {
                if store.check(&credentials) {
                    client.finish(None)?;
                    return Ok(credentials.authcid().map(str::to_owned));
                }
                return Err(SaslError::AuthenticationFailed);
            }
            ServerStep::Success {
                authcid,
                server_final,
                ..
            } => {
                if let Some(server_final) = server_final {
                    // SMTP/IMAP/POP3: server-final travels as one more challenge.
                    let response = client.step(&server_final)?;
                    assert!(response.expose().is_empty());
                    server.step(response.expose())?;
                }
                client.finish(None)?;
                return Ok(Some(authcid));
            }
            other => panic!("unexpected {other:?}"),
        };
    }
    panic!("exchange did not finish in 10 steps")
}

// ---------------------------------------------------------------------------------------------
// Known-answer vectors.

#[test]
fn rfc4616_plain_examples() {
    let mut client = SaslClient::plain(None, "tim", pw("tanstaaftanstaaf")).unwrap();
    let ir = client.initial_response().unwrap();
    assert_eq!(ir.expose(), b"\0tim\0tanstaaftanstaaf");
    assert_eq!(
        encode_initial_response(ir.expose()).expose(),
        "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"
    );

    let mut client = SaslClient::plain(Some("Ursel"), "Kurt", pw("xipj3plmq")).unwrap();
    assert_eq!(
        client.initial_response().unwrap().expose(),
        b"Ursel\0Kurt\0xipj3plmq"
    );

    let mut server = SaslServer::new(Mechanism::Plain, ServerConfig::new()).unwrap();
    let step = server.step(b"Ursel\0Kurt\0xipj3plmq").unwrap();
    assert_eq!(
        step,
        ServerStep::Verify(Credentials::Password {
            authzid: Some("Ursel".into()),
            authcid: "Kurt".into(),
            password: pw("xipj3plmq"),
        })
    );
    assert!(server.is_complete());
}

#[test]
fn rfc2195_cram_md5_vector() {
    let mut client = SaslClient::cram_md5("tim", pw("tanstaaftanstaaf")).unwrap();
    assert!(client.initial_response().is_none());
    let wire = b"PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+";
    let challenge = decode_challenge(wire, DEFAULT_MAX_LINE).unwrap();
    assert_eq!(challenge, CRAM_CHALLENGE);
    let response = client.step(&challenge).unwrap();
    assert_eq!(response.expose(), b"tim b913a602c7eda7a495b4e6e7334d3890");
    assert_eq!(
        encode_response(response.expose()).expose(),
        "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"
    );
    client.finish(None).unwrap();

    let config = ServerConfig::new().with_cram_md5_challenge(CRAM_CHALLENGE);
    let mut server = SaslServer::new(Mechanism::CramMd5, config).unwrap();
    assert_eq!(
        server.start().unwrap(),
        ServerStep::Challenge(CRAM_CHALLENGE.to_vec())
    );
    let ServerStep::Verify(Credentials::CramMd5(proof)) = server.step(response.expose()).unwrap()
    else {
        panic!("expected cram-md5 credentials")
    };
    assert_eq!(proof.user(), "tim");
    assert!(proof.verify(b"tanstaaftanstaaf"));
    assert!(!proof.verify(b"tanstaaftanstaaF"));
}

#[test]
fn rfc7677_scram_sha256_client() {
    let mut client = SaslClient::scram(scram_client("user", "pencil")).unwrap();
    assert_eq!(client.mechanism(), Mechanism::ScramSha256);
    assert_eq!(
        client.initial_response().unwrap().expose(),
        RFC7677_CLIENT_FIRST
    );
    assert_eq!(
        client.step(RFC7677_SERVER_FIRST).unwrap().expose(),
        RFC7677_CLIENT_FINAL
    );
    assert!(!client.is_complete());
    assert!(
        client
            .step(RFC7677_SERVER_FINAL)
            .unwrap()
            .expose()
            .is_empty()
    );
    client.finish(None).unwrap();
    assert!(client.is_complete());
}

#[test]
fn rfc7677_scram_sha256_client_with_final_as_additional_data() {
    let mut client = SaslClient::scram(scram_client("user", "pencil")).unwrap();
    client.initial_response().unwrap();
    client.step(RFC7677_SERVER_FIRST).unwrap();
    client.finish(Some(RFC7677_SERVER_FINAL)).unwrap();
    assert!(client.is_complete());
}

#[test]
fn rfc7677_scram_sha256_server() {
    let mut server = SaslServer::new(Mechanism::ScramSha256, scram_server_config()).unwrap();
    assert_eq!(
        server.step(RFC7677_CLIENT_FIRST).unwrap(),
        ServerStep::NeedScramCredentials {
            authcid: "user".into(),
            authzid: None
        }
    );
    assert_eq!(
        server
            .provide_scram_credentials(rfc7677_credentials())
            .unwrap(),
        ServerStep::Challenge(RFC7677_SERVER_FIRST.to_vec())
    );
    assert_eq!(
        server.step(RFC7677_CLIENT_FINAL).unwrap(),
        ServerStep::Success {
            authzid: None,
            authcid: "user".into(),
            server_final: Some(RFC7677_SERVER_FINAL.to_vec()),
        }
    );
    assert!(server.is_complete());
    assert_eq!(
        server.step(b"").unwrap(),
        ServerStep::Success {
            authzid: None,
            authcid: "user".into(),
            server_final: None,
        }
    );
    assert_eq!(server.step(b""), Err(SaslError::AlreadyComplete));
}

// ---------------------------------------------------------------------------------------------
// Round trips.

fn all_clients(password: &str) -> Vec<(SaslClient, Mechanism)> {
    vec![
        (
            SaslClient::plain(None, "alice", pw(password)).unwrap(),
            Mechanism::Plain,
        ),
        (
            SaslClient::login("alice", pw(password)).unwrap(),
            Mechanism::Login,
        ),
        (
            SaslClient::xoauth2("alice", pw(password)).unwrap(),
            Mechanism::XOAuth2,
        ),
        (
            SaslClient::oauthbearer(Some("alice"), Some("mail.example"), Some(993), pw(password))
                .unwrap(),
            Mechanism::OAuthBearer,
        ),
        (SaslClient::external(None).unwrap(), Mechanism::External),
        (
            SaslClient::cram_md5("alice", pw(password)).unwrap(),
            Mechanism::CramMd5,
        ),
        (
            SaslClient::scram(ScramClientConfig::new(
                "alice",
                pw(password),
                "clientnonce123456789",
            ))
            .unwrap(),
            Mechanism::ScramSha256,
        ),
    ]
}

fn full_config() -> ServerConfig {
    ServerConfig::new()
        .with_cram_md5_challenge(CRAM_CHALLENGE)
        .with_scram_nonce(SCRAM_SERVER_NONCE)
}

#[test]
fn round_trips_every_mechanism_with_and_without_initial_response() {
    let store = Store::new("Passw0rd.Token");
    for sasl_ir in [true, false] {
        for (mut client, mechanism) in all_clients(store.password) {
            assert_eq!(client.mechanism(), mechanism);
            let mut server = SaslServer::new(mechanism, full_config()).unwrap();
            let who = run(&mut client, &mut server, &store, sasl_ir)
                .unwrap_or_else(|e| panic!("{mechanism} ir={sasl_ir}: {e}"));
            let expected = match mechanism {
                Mechanism::External | Mechanism::OAuthBearer => None,
                _ => Some("alice".to_owned()),
            };
            assert_eq!(who, expected, "{mechanism}");
            assert!(client.is_complete(), "{mechanism}");
            assert!(server.is_complete(), "{mechanism}");
        }
    }
}

#[test]
fn wrong_password_fails_every_mechanism() {
    let store = Store::new("the-right-one");
    for (mut client, mechanism) in all_clients("the-wrong-one") {
        if mechanism == Mechanism::External {
            continue;
        }
        let mut server = SaslServer::new(mechanism, full_config()).unwrap();
        let result = run(&mut client, &mut server, &store, true);
        let expected = if mechanism.is_scram() {
            SaslError::InvalidProof
        } else {
            SaslError::AuthenticationFailed
        };
        assert_eq!(result, Err(expected), "{mechanism}");
        assert!(!client.is_complete());
    }
}

#[test]
fn scram_wrong_password_then_steps_fail() {
    let mut server = SaslServer::new(Mechanism::ScramSha256, scram_server_config()).unwrap();
    let mut client = SaslClient::scram(scram_client("user", "not-pencil")).unwrap();
    server
        .step(client.initial_response().unwrap().expose())
        .unwrap();
    let ServerStep::Challenge(first) = server
        .provide_scram_credentials(rfc7677_credentials())
        .unwrap()
    else {
        panic!()
    };
    let client_final = client.step(&first).unwrap();
    assert_eq!(
        server.step(client_final.expose()),
        Err(SaslError::InvalidProof)
    );
    assert_eq!(server.step(b""), Err(SaslError::AlreadyFailed));
    assert!(!server.is_complete());
    // The client never completes without a server signature.
    assert_eq!(client.finish(None), Err(SaslError::MissingServerSignature));
    assert_eq!(client.step(b"v=AAAA"), Err(SaslError::AlreadyFailed));
}

#[test]
fn scram_usernames_are_escaped_and_authzid_carried() {
    let store = Store::new("pencil");
    let config =
        ScramClientConfig::new("a,b=c", pw("pencil"), "nonce-nonce-nonce").authzid("ad,min");
    let mut client = SaslClient::scram(config).unwrap();
    let first = client.initial_response().unwrap();
    assert_eq!(
        first.expose(),
        b"n,a=ad=2Cmin,n=a=2Cb=3Dc,r=nonce-nonce-nonce"
    );
    let mut client = SaslClient::scram(
        ScramClientConfig::new("a,b=c", pw("pencil"), "nonce-nonce-nonce").authzid("ad,min"),
    )
    .unwrap();
    let mut server = SaslServer::new(Mechanism::ScramSha256, scram_server_config()).unwrap();
    server
        .step(client.initial_response().unwrap().expose())
        .map(|step| {
            assert_eq!(
                step,
                ServerStep::NeedScramCredentials {
                    authcid: "a,b=c".into(),
                    authzid: Some("ad,min".into())
                }
            );
        })
        .unwrap();
    let ServerStep::Challenge(first) = server.provide_scram_credentials(store.scram).unwrap()
    else {
        panic!()
    };
    let ServerStep::Success {
        authzid, authcid, ..
    } = server.step(client.step(&first).unwrap().expose()).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (authzid.as_deref(), authcid.as_str()),
        (Some("ad,min"), "a,b=c")
    );
}

#[test]
fn scram_saslprep_maps_non_ascii_space() {
    // The client prepares "pen\u{00A0}cil" to "pen cil"; the stored key was derived from the
    // prepared form, so both agree.
    let store = Store::new("pen cil");
    let mut client = SaslClient::scram(ScramClientConfig::new(
        "user",
        pw("pen\u{00A0}cil"),
        "abcdefghijklmnop",
    ))
    .unwrap();
    let mut server = SaslServer::new(Mechanism::ScramSha256, scram_server_config()).unwrap();
    assert_eq!(
        run(&mut client, &mut server, &store, true),
        Ok(Some("user".into()))
    );
    assert!(
        SaslClient::scram(ScramClientConfig::new("user", pw("pen\u{0007}cil"), "abc")).is_err()
    );
}

// ---------------------------------------------------------------------------------------------
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
        SaslServer::new(Mechanism::ScramSha256, ServerConfig::new()).err(),
        Some(SaslError::MissingConfig("scram server nonce"))
    );
    assert!(
        SaslServer::new(
            Mechanism::ScramSha256,
            ServerConfig::new().with_scram_nonce("a,b")
        )
        .is_err()
    );
}

// ---------------------------------------------------------------------------------------------
// Other mechanisms' edge cases.

#[test]
fn login_prompts_and_initial_response() {
    let mut server = SaslServer::new(Mechanism::Login, ServerConfig::new()).unwrap();
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
    let mut server = SaslServer::new(Mechanism::Login, ServerConfig::new()).unwrap();
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
    let mut server = SaslServer::new(Mechanism::External, ServerConfig::new()).unwrap();
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
    let mut server = SaslServer::new(Mechanism::Plain, ServerConfig::new()).unwrap();
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
        let mut server = SaslServer::new(mechanism, ServerConfig::new()).unwrap();
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
    let mut server = SaslServer::new(Mechanism::Plain, ServerConfig::new()).unwrap();
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
    assert!(SaslServer::new(Mechanism::CramMd5, ServerConfig::new()).is_err());
    assert!(SaslServer::from_name(b"scram-sha-1", ServerConfig::new()).is_err());
    assert!(SaslServer::from_name(b"plain", ServerConfig::new()).is_ok());
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

    let mut server = SaslServer::new(Mechanism::Plain, ServerConfig::new()).unwrap();
    server.start().unwrap();
    assert!(server.start().is_err());
    server.step(b"\0a\0b").unwrap();
    assert_eq!(server.step(b"\0a\0b"), Err(SaslError::AlreadyComplete));

    let mut server = SaslServer::new(Mechanism::Plain, ServerConfig::new()).unwrap();
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
    let mut server = SaslServer::new(Mechanism::Plain, ServerConfig::new()).unwrap();
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
    let mut server = SaslServer::new(Mechanism::Plain, ServerConfig::new()).unwrap();
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
    let mut server = SaslServer::new(Mechanism::Plain, ServerConfig::new()).unwrap();
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
