//! Known-answer vectors from the RFCs, client/server round trips for every mechanism, and the
//! adversarial inputs of the security checklist (items 19 and 29).

// Test helpers outside #[test] functions may panic too.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

#[path = "sasl_vectors/edge_cases.rs"]
mod edge_cases;
#[path = "sasl_vectors/scram.rs"]
mod scram;

use mail_sansio::Secret;
use mail_sansio::sasl::wire::{
    DEFAULT_MAX_LINE, decode_base64, decode_challenge, decode_initial_response, decode_response,
    encode_challenge, encode_initial_response, encode_response,
};
use mail_sansio::sasl::{
    Credentials, Mechanism, SaslClient, SaslError, SaslServer, SaslServerConfig, ScramClientConfig,
    ScramCredentials, ServerStep,
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

fn scram_server_config() -> SaslServerConfig {
    SaslServerConfig::new().with_scram_nonce(SCRAM_SERVER_NONCE)
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

    let mut server = SaslServer::new(Mechanism::Plain, SaslServerConfig::new()).unwrap();
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

    let config = SaslServerConfig::new().with_cram_md5_challenge(CRAM_CHALLENGE);
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

fn full_config() -> SaslServerConfig {
    SaslServerConfig::new()
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
