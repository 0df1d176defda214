//! The server's CRAM-MD5 and SCRAM-SHA-256 (RFC 2195, RFC 5802/7677) through the shared SASL
//! machines: the application supplies the challenge or nonce and the stored keys through
//! events; known-answer vectors; misuse of the answering calls; and our own [`Client`] against
//! the [`Server`].

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use mail_sansio::Session;
use mail_sansio::sasl::{
    ChannelBinding, Credentials, Mechanism, SaslClient, SaslServerConfig, ScramClientConfig,
    ScramCredentials,
};
use mail_sansio::testing::{FakeClock, Pair, Side};
use smtp_proto::types::{Domain, MechanismName};
use smtp_proto::{
    Client, ClientConfig, ClientEvent, EnhancedStatusCode, Reply, ReplyCode, SendError, Server,
    ServerConfig, ServerEvent, TlsMode,
};

const CHALLENGE: &[u8] = b"<1896.697170952@postoffice.reston.mci.net>";
const CHALLENGE_B64: &str = "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+";
/// `tim b913a602c7eda7a495b4e6e7334d3890` (RFC 2195 §2).
const CRAM_RESPONSE_B64: &str = "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw";
const SERVER_NONCE: &str = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
const SALT: [u8; 16] = [
    91, 109, 153, 104, 157, 18, 53, 142, 236, 160, 75, 20, 18, 54, 250, 129,
];
/// RFC 7677 §3: client-first, server-first, client-final, server-final.
const SCRAM: [&str; 4] = [
    "biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=",
    "cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY=",
    "Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYkazAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ==",
    "dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==",
];

fn config(mechanisms: &[Mechanism]) -> ServerConfig {
    let mut c = ServerConfig::strict(Domain::try_from("mx.example").unwrap());
    c.tls = TlsMode::Implicit;
    c.extensions
        .auth
        .extend(mechanisms.iter().map(|&m| MechanismName::from(m)));
    c
}

fn reply(code: u16, esc: (u8, u16, u16), text: &str) -> Reply {
    let esc = EnhancedStatusCode::new(esc.0, esc.1, esc.2).unwrap();
    Reply::new(ReplyCode::new(code).unwrap(), Some(esc), text).unwrap()
}

/// A server fed line by line; the test answers the events itself.
struct Harness {
    server: Server,
    now: std::time::Instant,
}

impl Harness {
    fn new(config: ServerConfig) -> Self {
        let now = FakeClock::start().now();
        let mut h = Self {
            server: Server::new(config, now),
            now,
        };
        h.sent();
        h
    }

    /// What the server sent since the last call.
    fn sent(&mut self) -> String {
        let mut out = String::new();
        while let Some(b) = self.server.poll_transmit() {
            out.push_str(&String::from_utf8_lossy(&b));
        }
        out
    }

    /// Feeds one line and returns the next event, if any.
    fn line(&mut self, line: &str) -> Option<ServerEvent> {
        self.server
            .handle_input(self.now, format!("{line}\r\n").as_bytes());
        self.server.poll_event().unwrap()
    }

    fn event(&mut self) -> Option<ServerEvent> {
        self.server.poll_event().unwrap()
    }

    /// Greets with EHLO and accepts it; returns the EHLO reply.
    fn ehlo(&mut self) -> String {
        let Some(ServerEvent::Hello { token, .. }) = self.line("EHLO client.example") else {
            panic!("no hello event");
        };
        self.server.accept(token).unwrap();
        self.sent()
    }
}

#[test]
fn mechanisms_are_advertised_only_when_configured() {
    let mut h = Harness::new(config(&[]));
    let ehlo = h.ehlo();
    assert!(ehlo.contains("250-AUTH PLAIN LOGIN\r\n"), "{ehlo}");
    assert!(h.line("AUTH CRAM-MD5").is_none());
    assert_eq!(
        h.sent(),
        "504 5.5.4 Error: unrecognized authentication type\r\n"
    );
    assert!(h.line("AUTH SCRAM-SHA-256 biws").is_none());
    assert_eq!(
        h.sent(),
        "504 5.5.4 Error: unrecognized authentication type\r\n"
    );

    let mut h = Harness::new(config(&[Mechanism::CramMd5, Mechanism::ScramSha256]));
    let ehlo = h.ehlo();
    assert!(
        ehlo.contains("250-AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256\r\n"),
        "{ehlo}"
    );
}

#[test]
fn cram_md5_rfc2195_vector_through_the_event() {
    let mut h = Harness::new(config(&[Mechanism::CramMd5]));
    h.ehlo();
    let Some(ServerEvent::SaslConfig { token, mechanism }) = h.line("AUTH CRAM-MD5") else {
        panic!("no sasl config event");
    };
    assert_eq!(mechanism.as_str(), "CRAM-MD5");
    // Nothing goes out and nothing is read until the application answers.
    assert_eq!(h.sent(), "");
    assert!(!h.server.wants_input());
    let config = SaslServerConfig::new().with_cram_md5_challenge(CHALLENGE);
    h.server.provide_sasl_config(token, config).unwrap();
    assert_eq!(h.sent(), format!("334 {CHALLENGE_B64}\r\n"));
    let Some(ServerEvent::Auth { token, credentials }) = h.line(CRAM_RESPONSE_B64) else {
        panic!("no auth event");
    };
    let Credentials::CramMd5(proof) = credentials else {
        panic!("not a cram-md5 proof");
    };
    assert_eq!(proof.user(), "tim");
    assert_eq!(proof.challenge(), CHALLENGE);
    assert!(proof.verify(b"tanstaaftanstaaf"));
    assert!(!proof.verify(b"tanstaaf"));
    h.server.accept(token).unwrap();
    assert_eq!(h.sent(), "235 2.7.0 Authentication succeeded\r\n");
    assert!(h.server.is_authenticated());
}

#[test]
fn settings_given_in_advance_skip_the_event_and_serve_one_exchange() {
    let mut h = Harness::new(config(&[Mechanism::CramMd5]));
    h.ehlo();
    h.server
        .set_sasl_config(SaslServerConfig::new().with_cram_md5_challenge(CHALLENGE));
    assert!(h.line("AUTH CRAM-MD5").is_none());
    assert_eq!(h.sent(), format!("334 {CHALLENGE_B64}\r\n"));
    assert!(h.line("*").is_none());
    assert_eq!(h.sent(), "501 5.7.0 Authentication cancelled\r\n");
    // Used up: the next exchange asks again.
    assert!(matches!(
        h.line("AUTH CRAM-MD5"),
        Some(ServerEvent::SaslConfig { .. })
    ));
}

#[test]
fn scram_rfc7677_vector_through_the_events() {
    let mut h = Harness::new(config(&[Mechanism::ScramSha256]));
    h.ehlo();
    let Some(ServerEvent::SaslConfig { token, .. }) =
        h.line(&format!("AUTH SCRAM-SHA-256 {}", SCRAM[0]))
    else {
        panic!("no sasl config event");
    };
    let config = SaslServerConfig::new().with_scram_nonce(SERVER_NONCE);
    h.server.provide_sasl_config(token, config).unwrap();
    assert_eq!(h.sent(), "");
    let Some(ServerEvent::ScramCredentials {
        token,
        authcid,
        authzid,
    }) = h.event()
    else {
        panic!("no scram credentials event");
    };
    assert_eq!((authcid.as_str(), authzid), ("user", None));
    assert!(!h.server.wants_input());
    let stored = ScramCredentials::derive("pencil", &SALT, 4096).unwrap();
    h.server.provide_scram_credentials(token, stored).unwrap();
    assert_eq!(h.sent(), format!("334 {}\r\n", SCRAM[1]));
    assert!(h.line(SCRAM[2]).is_none());
    assert_eq!(h.sent(), format!("334 {}\r\n", SCRAM[3]));
    let Some(ServerEvent::SaslAuthenticated { token, authcid, .. }) = h.line("") else {
        panic!("no authenticated event");
    };
    assert_eq!(authcid, "user");
    assert!(!h.server.is_authenticated());
    h.server.accept(token).unwrap();
    assert_eq!(h.sent(), "235 2.7.0 Authentication succeeded\r\n");
    assert!(h.server.is_authenticated());
}

#[test]
fn scram_with_a_wrong_password_fails_without_an_event() {
    let mut h = Harness::new(config(&[Mechanism::ScramSha256]));
    h.ehlo();
    h.server
        .set_sasl_config(SaslServerConfig::new().with_scram_nonce(SERVER_NONCE));
    let Some(ServerEvent::ScramCredentials { token, .. }) =
        h.line(&format!("AUTH SCRAM-SHA-256 {}", SCRAM[0]))
    else {
        panic!("no scram credentials event");
    };
    let stored = ScramCredentials::derive("not pencil", &SALT, 4096).unwrap();
    h.server.provide_scram_credentials(token, stored).unwrap();
    assert_eq!(h.sent(), format!("334 {}\r\n", SCRAM[1]));
    assert!(h.line(SCRAM[2]).is_none());
    assert_eq!(h.sent(), "535 5.7.8 Authentication credentials invalid\r\n");
    assert!(!h.server.is_authenticated());
}

#[test]
fn answering_calls_are_checked() {
    let mut h = Harness::new(config(&[Mechanism::CramMd5, Mechanism::ScramSha256]));
    h.ehlo();
    let Some(ServerEvent::SaslConfig { token, .. }) = h.line("AUTH CRAM-MD5") else {
        panic!("no sasl config event");
    };
    // The machine cannot accept without a challenge, nor take success from the application.
    assert!(matches!(
        h.server.accept(token),
        Err(SendError::WrongState(_))
    ));
    let ok = Reply::new(ReplyCode::OK, None, "OK").unwrap();
    assert!(matches!(
        h.server.send_reply(token, ok),
        Err(SendError::BadReply { code: 250, .. })
    ));
    let stored = ScramCredentials::derive("pencil", &SALT, 4096).unwrap();
    assert!(matches!(
        h.server.provide_scram_credentials(token, stored),
        Err(SendError::WrongState(_))
    ));
    assert_eq!(h.sent(), "");
    // A refusal ends the exchange; the session carries on.
    let busy = reply(454, (4, 7, 0), "Temporary authentication failure");
    h.server.send_reply(token, busy).unwrap();
    assert_eq!(h.sent(), "454 4.7.0 Temporary authentication failure\r\n");
    assert!(
        h.server
            .provide_sasl_config(token, SaslServerConfig::new())
            .is_err()
    );
    assert!(h.line("NOOP").is_none());
    assert_eq!(h.sent(), "250 2.0.0 OK\r\n");

    // Settings that lack what the mechanism needs: 454, session usable.
    let Some(ServerEvent::SaslConfig { token, .. }) =
        h.line(&format!("AUTH SCRAM-SHA-256 {}", SCRAM[0]))
    else {
        panic!("no sasl config event");
    };
    h.server
        .provide_sasl_config(
            token,
            SaslServerConfig::new().with_cram_md5_challenge(CHALLENGE),
        )
        .unwrap();
    assert_eq!(h.sent(), "454 4.7.0 Temporary authentication failure\r\n");

    // The keys may be refused too.
    let Some(ServerEvent::SaslConfig { token, .. }) =
        h.line(&format!("AUTH SCRAM-SHA-256 {}", SCRAM[0]))
    else {
        panic!("no sasl config event");
    };
    h.server
        .provide_sasl_config(
            token,
            SaslServerConfig::new().with_scram_nonce(SERVER_NONCE),
        )
        .unwrap();
    let Some(ServerEvent::ScramCredentials { token, .. }) = h.event() else {
        panic!("no scram credentials event");
    };
    let busy = reply(454, (4, 7, 0), "Temporary authentication failure");
    h.server.send_reply(token, busy).unwrap();
    assert_eq!(h.sent(), "454 4.7.0 Temporary authentication failure\r\n");
    assert!(h.line("NOOP").is_none());
    assert_eq!(h.sent(), "250 2.0.0 OK\r\n");
}

#[test]
fn a_response_sent_before_the_challenge_is_read_as_the_response() {
    // A client that does not wait for the 334 gains nothing: its bytes stay unread until the
    // application answered and are then taken as the (wrong) response.
    let mut h = Harness::new(config(&[Mechanism::CramMd5]));
    h.ehlo();
    let Some(ServerEvent::SaslConfig { token, .. }) = h.line("AUTH CRAM-MD5") else {
        panic!("no sasl config event");
    };
    h.server.handle_input(
        h.now,
        b"dGltIDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw\r\n",
    );
    assert!(h.event().is_none());
    let config = SaslServerConfig::new().with_cram_md5_challenge(CHALLENGE);
    h.server.provide_sasl_config(token, config).unwrap();
    let Some(ServerEvent::Auth { token, credentials }) = h.event() else {
        panic!("no auth event");
    };
    let Credentials::CramMd5(proof) = credentials else {
        panic!("not a cram-md5 proof");
    };
    assert!(!proof.verify(b"tanstaaftanstaaf"));
    h.server
        .send_reply(token, reply(535, (5, 7, 8), "no"))
        .unwrap();
    assert_eq!(h.sent(), format!("334 {CHALLENGE_B64}\r\n535 5.7.8 no\r\n"));
}

/// Our client against our server: the server application hands out a fresh challenge or
/// nonce per exchange (a counter here; a real one uses a CSPRNG) and the stored keys.
fn pair_auth(sasl: SaslClient) -> (Vec<String>, String) {
    pair_auth_with(sasl, &[Mechanism::CramMd5, Mechanism::ScramSha256], None)
}

/// [`pair_auth`] with the server's mechanisms and the TLS channel binding its application
/// adds to the SASL settings.
fn pair_auth_with(
    sasl: SaslClient,
    mechanisms: &[Mechanism],
    binding: Option<&[u8]>,
) -> (Vec<String>, String) {
    let clock = FakeClock::start();
    let mut client_config = ClientConfig::new(Domain::try_from("client.example").unwrap());
    client_config.tls = TlsMode::Implicit;
    let client = Client::new(client_config, clock.now());
    let server = Server::new(config(mechanisms), clock.now());
    let mut pair = Pair::new(client, server, clock);
    let mut sasl = Some(sasl);
    let mut events = Vec::new();
    let mut exchanges = 0u32;
    let result = pair.run(|client, server, event| match event {
        Side::Client(event) => {
            events.push(format!("{event:?}"));
            match event {
                ClientEvent::Ready => match sasl.take() {
                    Some(s) => client.authenticate(s).unwrap(),
                    None => client.quit().unwrap(),
                },
                ClientEvent::Authenticated | ClientEvent::AuthFailed { .. } => {
                    client.quit().unwrap();
                }
                _ => {}
            }
        }
        Side::Server(event) => match event {
            ServerEvent::Hello { token, .. } => server.accept(token).unwrap(),
            ServerEvent::SaslConfig { token, .. } => {
                exchanges += 1;
                let mut config = SaslServerConfig::new()
                    .with_cram_md5_challenge(format!("<{exchanges}.1@mx.example>"))
                    .with_scram_nonce(format!("{SERVER_NONCE}{exchanges}"));
                if let Some(data) = binding {
                    config = config
                        .with_channel_binding(ChannelBinding::tls_exporter(data.to_vec()).unwrap());
                }
                server.provide_sasl_config(token, config).unwrap();
            }
            ServerEvent::ScramCredentials { token, authcid, .. } => {
                let password = if authcid == "user" { "pencil" } else { "x" };
                let stored = ScramCredentials::derive(password, &SALT, 4096).unwrap();
                server.provide_scram_credentials(token, stored).unwrap();
            }
            ServerEvent::Auth {
                token,
                credentials: Credentials::CramMd5(proof),
            } => {
                if proof.user() == "user" && proof.verify(b"pencil") {
                    server.accept(token).unwrap();
                } else {
                    server
                        .send_reply(token, reply(535, (5, 7, 8), "bad credentials"))
                        .unwrap();
                }
            }
            ServerEvent::SaslAuthenticated { token, .. } => server.accept(token).unwrap(),
            _ => {}
        },
    });
    let transcript = pair.transcript_text();
    result.unwrap_or_else(|e| panic!("{e}\n{transcript}"));
    (events, transcript)
}

#[test]
fn our_client_authenticates_with_cram_md5_and_scram() {
    let (events, t) = pair_auth(SaslClient::cram_md5("user", "pencil".to_owned()).unwrap());
    assert!(events.iter().any(|e| e == "Authenticated"), "{t}");
    assert!(t.contains("C: AUTH CRAM-MD5\n"), "{t}");

    let scram = ScramClientConfig::new("user", "pencil".to_owned(), "rOprNGfwEbeRWgbNEkqO");
    let (events, t) = pair_auth(SaslClient::scram(scram).unwrap());
    assert!(events.iter().any(|e| e == "Authenticated"), "{t}");
    assert!(t.contains("C: AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9"), "{t}");
    assert!(t.contains("S: 235 2.7.0"), "{t}");
}

#[test]
fn our_client_is_refused_with_a_wrong_password() {
    let (events, t) = pair_auth(SaslClient::cram_md5("user", "wrong".to_owned()).unwrap());
    assert!(events.iter().any(|e| e.starts_with("AuthFailed")), "{t}");

    let scram = ScramClientConfig::new("user", "wrong".to_owned(), "rOprNGfwEbeRWgbNEkqO");
    let (events, t) = pair_auth(SaslClient::scram(scram).unwrap());
    assert!(events.iter().any(|e| e.starts_with("AuthFailed")), "{t}");
    assert!(t.contains("S: 535 5.7.8"), "{t}");
}

#[test]
fn scram_plus_binds_to_the_channel_and_detects_a_downgrade() {
    let mechanisms = [Mechanism::ScramSha256, Mechanism::ScramSha256Plus];
    let binding = b"exporter output of this connection";
    let scram = ScramClientConfig::new("user", "pencil".to_owned(), "rOprNGfwEbeRWgbNEkqO")
        .channel_binding(ChannelBinding::tls_exporter(binding.to_vec()).unwrap());
    let (events, t) = pair_auth_with(
        SaslClient::scram(scram).unwrap(),
        &mechanisms,
        Some(binding),
    );
    assert!(
        t.contains("C: AUTH SCRAM-SHA-256-PLUS cD10bHMtZXhwb3J0ZXIs"),
        "{t}"
    );
    assert!(events.iter().any(|e| e == "Authenticated"), "{t}");

    // Another channel (a man in the middle): the proof does not match.
    let scram = ScramClientConfig::new("user", "pencil".to_owned(), "rOprNGfwEbeRWgbNEkqO")
        .channel_binding(ChannelBinding::tls_exporter(b"other channel".to_vec()).unwrap());
    let (events, t) = pair_auth_with(
        SaslClient::scram(scram).unwrap(),
        &mechanisms,
        Some(binding),
    );
    assert!(events.iter().any(|e| e.starts_with("AuthFailed")), "{t}");

    // RFC 5802 §6: a client able to bind that was made to believe -PLUS was not offered.
    let scram = ScramClientConfig::new("user", "pencil".to_owned(), "rOprNGfwEbeRWgbNEkqO")
        .binding_supported(true);
    let (events, t) = pair_auth_with(
        SaslClient::scram(scram).unwrap(),
        &mechanisms,
        Some(binding),
    );
    assert!(events.iter().any(|e| e.starts_with("AuthFailed")), "{t}");
    assert!(t.contains("S: 535 5.7.8"), "{t}");
}
