//! Properties of the SASL wire helpers and machines: encode/decode identity, no panics on
//! arbitrary input, and round trips with arbitrary identities.

// Test helpers outside #[test] functions may panic too.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use mail_sansio::Secret;
use mail_sansio::sasl::wire::{
    decode_base64, decode_challenge, decode_initial_response, decode_response, encode_challenge,
    encode_initial_response, encode_response,
};
use mail_sansio::sasl::{
    ChannelBinding, Mechanism, SaslClient, SaslServer, SaslServerConfig, ScramClientConfig,
    ScramCredentials, ServerStep,
};
use proptest::prelude::*;

const MAX: usize = 16 * 1024;

fn config() -> SaslServerConfig {
    SaslServerConfig::new()
        .with_cram_md5_challenge(&b"<1.2@example.org>"[..])
        .with_scram_nonce("servernonce0123456789")
        .with_channel_binding(ChannelBinding::tls_exporter(vec![9; 32]).unwrap())
        .with_plus_offered(true)
        .with_max_response(4096)
}

fn cheap_scram_credentials() -> ScramCredentials {
    ScramCredentials::derive("pencil", b"salt", 2).unwrap()
}

fn clients() -> Vec<SaslClient> {
    let pw = || Secret::new("pencil".to_owned());
    vec![
        SaslClient::plain(None, "u", pw()).unwrap(),
        SaslClient::login("u", pw()).unwrap(),
        SaslClient::xoauth2("u", pw()).unwrap(),
        SaslClient::oauthbearer(None, None, None, pw()).unwrap(),
        SaslClient::external(Some("u")).unwrap(),
        SaslClient::cram_md5("u", pw()).unwrap(),
        SaslClient::scram(ScramClientConfig::new("u", pw(), "cnonce").iteration_range(1, 4))
            .unwrap(),
        SaslClient::scram(
            ScramClientConfig::new("u", pw(), "cnonce")
                .iteration_range(1, 4)
                .channel_binding(ChannelBinding::tls_exporter(vec![9; 32]).unwrap()),
        )
        .unwrap(),
    ]
}

/// Bytes that sometimes look like the real thing, so the machines get past their first checks.
fn message() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        Just(b"n,,n=u,r=cnonce".to_vec()),
        Just(b"p=tls-exporter,,n=u,r=cnonce".to_vec()),
        Just(b"\0u\0pencil".to_vec()),
        Just(b"u".to_vec()),
        Just(b"".to_vec()),
        "c=[a-zA-Z0-9+/=]{0,12},r=cnonceservernonce0123456789(,p=[a-zA-Z0-9+/=]{0,44})?"
            .prop_map(String::into_bytes),
        "r=cnonce[a-z]{0,5},s=[a-zA-Z0-9+/=]{0,8},i=[0-9]{0,3}".prop_map(String::into_bytes),
        "[nyp=a-z\\-]{0,16},(a=[a-z=2CD]{0,6})?,[\\x00-\\x7f]{0,30}".prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn wire_encode_decode_identity(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let line = encode_response(&bytes);
        let decoded = decode_response(line.expose().as_bytes(), MAX).unwrap();
        prop_assert_eq!(decoded.expose(), &bytes);
        let line = encode_initial_response(&bytes);
        let decoded = decode_initial_response(line.expose().as_bytes(), MAX).unwrap();
        prop_assert_eq!(decoded.expose(), &bytes);
        let line = encode_challenge(&bytes);
        prop_assert_eq!(decode_challenge(line.as_bytes(), MAX).unwrap(), bytes);
    }

    #[test]
    fn wire_decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode_response(&bytes, 200);
        let _ = decode_initial_response(&bytes, 200);
        let _ = decode_challenge(&bytes, 200);
        // Whatever decodes re-encodes to the same text (the decoder is canonical).
        if let Ok(decoded) = decode_base64(&bytes, 300) {
            let encoded = encode_challenge(&decoded);
            prop_assert_eq!(encoded.as_bytes(), &bytes[..]);
        }
    }

    #[test]
    fn server_steps_never_panic(
        start in any::<bool>(),
        messages in proptest::collection::vec(message(), 1..5),
    ) {
        for mechanism in Mechanism::ALL {
            let mut server = SaslServer::new(mechanism, config()).unwrap();
            if start {
                let _ = server.start();
            }
            for message in &messages {
                match server.step(message) {
                    Ok(ServerStep::NeedScramCredentials { .. }) => {
                        let _ = server.provide_scram_credentials(cheap_scram_credentials());
                    }
                    Ok(ServerStep::Verify(_)) => {
                        let _ = server.reject_token(b"{}");
                    }
                    Ok(_) => {}
                    Err(_) => {
                        prop_assert!(server.step(message).is_err());
                    }
                }
            }
        }
    }

    #[test]
    fn client_steps_never_panic(
        ir in any::<bool>(),
        challenges in proptest::collection::vec(message(), 1..5),
        additional in proptest::option::of(message()),
    ) {
        for mut client in clients() {
            if ir {
                let _ = client.initial_response();
            }
            for challenge in &challenges {
                let _ = client.step(challenge);
            }
            let _ = client.finish(additional.as_deref());
        }
    }

    #[test]
    fn scram_round_trips_with_arbitrary_identities(
        user in "[^\\x00-\\x1f\\x7f\\u{80}-\\u{10ffff}]{1,20}",
        password in "[!-~]{1,20}",
        nonce in "[!-+\\--~]{1,30}",
    ) {
        let mut client = SaslClient::scram(
            ScramClientConfig::new(&user, Secret::new(password.clone()), &nonce).iteration_range(1, 64),
        ).unwrap();
        let config = SaslServerConfig::new().with_scram_nonce("srv");
        let mut server = SaslServer::new(Mechanism::ScramSha256, config).unwrap();
        let step = server.step(client.initial_response().unwrap().expose()).unwrap();
        prop_assert_eq!(
            step,
            ServerStep::NeedScramCredentials { authcid: user.clone(), authzid: None }
        );
        let stored = ScramCredentials::derive(&password, b"some salt", 16).unwrap();
        let ServerStep::Challenge(first) = server.provide_scram_credentials(stored).unwrap() else {
            panic!("expected server-first");
        };
        let last = client.step(&first).unwrap();
        let ServerStep::Success { authcid, server_final: Some(server_final), .. } =
            server.step(last.expose()).unwrap()
        else {
            panic!("expected success");
        };
        prop_assert_eq!(authcid, user);
        client.finish(Some(&server_final)).unwrap();
        prop_assert!(client.is_complete());
    }
}
