//! The SASL wire decoders and every mechanism's server and client steps on arbitrary input:
//! never a panic, errors are sticky, and whatever decodes re-encodes to the same text.
//!
//! Input: one control byte (mechanism, empty start or initial response, wire decoding on or
//! off), then messages separated by `\n`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_sansio::Secret;
use mail_sansio::sasl::wire::{
    decode_challenge, decode_initial_response, decode_response, encode_challenge,
    encode_initial_response, encode_response,
};
use mail_sansio::sasl::{
    ChannelBinding, Mechanism, SaslClient, SaslServer, SaslServerConfig, ScramClientConfig,
    ScramCredentials, ServerStep,
};

const MAX_LINE: usize = 4096;

fn binding() -> Option<ChannelBinding> {
    ChannelBinding::tls_exporter(vec![7; 32]).ok()
}

fn server_config() -> SaslServerConfig {
    let config = SaslServerConfig::new()
        .with_cram_md5_challenge(&b"<12345.67890@fuzz.example>"[..])
        .with_scram_nonce("fuzzservernonce")
        .with_plus_offered(true)
        .with_max_response(MAX_LINE);
    match binding() {
        Some(binding) => config.with_channel_binding(binding),
        None => config,
    }
}

fn client(mechanism: Mechanism) -> Option<SaslClient> {
    let pw = || Secret::new("pencil".to_owned());
    let scram = || ScramClientConfig::new("user", pw(), "fuzzclientnonce").iteration_range(1, 8);
    match mechanism {
        Mechanism::Plain => SaslClient::plain(Some("admin"), "user", pw()),
        Mechanism::Login => SaslClient::login("user", pw()),
        Mechanism::XOAuth2 => SaslClient::xoauth2("user", pw()),
        Mechanism::OAuthBearer => SaslClient::oauthbearer(None, Some("h"), Some(1), pw()),
        Mechanism::External => SaslClient::external(None),
        Mechanism::CramMd5 => SaslClient::cram_md5("user", pw()),
        Mechanism::ScramSha256 => SaslClient::scram(scram().binding_supported(true)),
        _ => SaslClient::scram(scram().channel_binding(binding()?)),
    }
    .ok()
}

/// Decodes with the wire helpers and checks that success is canonical.
fn wire(text: &[u8], first: bool) -> Option<Vec<u8>> {
    let _ = decode_challenge(text, MAX_LINE).map(|decoded| {
        assert_eq!(encode_challenge(&decoded).as_bytes(), text);
    });
    let decoded = if first {
        decode_initial_response(text, MAX_LINE).map(|decoded| {
            assert_eq!(encode_initial_response(decoded.expose()).expose().as_bytes(), text);
            decoded
        })
    } else {
        decode_response(text, MAX_LINE).map(|decoded| {
            assert_eq!(encode_response(decoded.expose()).expose().as_bytes(), text);
            decoded
        })
    };
    decoded.ok().map(Secret::into_inner)
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let Some(&mechanism) = Mechanism::ALL.get(usize::from(control % 8)) else {
        return;
    };
    let start = control & 0x08 != 0;
    let via_wire = control & 0x10 != 0;
    let messages: Vec<Vec<u8>> = rest
        .split(|&b| b == b'\n')
        .take(8)
        .enumerate()
        .filter_map(|(i, text)| {
            if via_wire {
                wire(text, i == 0 && !start)
            } else {
                let _ = wire(text, i == 0 && !start);
                Some(text.to_vec())
            }
        })
        .collect();

    // Server side.
    if let Ok(mut server) = SaslServer::new(mechanism, server_config()) {
        if start {
            let _ = server.start();
        }
        for message in &messages {
            match server.step(message) {
                Ok(ServerStep::NeedScramCredentials { .. }) => {
                    if let Ok(credentials) = ScramCredentials::derive("pencil", b"salt", 2) {
                        let _ = server.provide_scram_credentials(credentials);
                    }
                }
                Ok(ServerStep::Verify(_)) => {
                    let _ = server.reject_token(b"{\"status\":\"invalid_token\"}");
                }
                Ok(_) => {}
                Err(_) => {
                    assert!(server.step(message).is_err(), "errors must be sticky");
                    break;
                }
            }
        }
    }

    // Client side: the same messages as server challenges.
    if let Some(mut client) = client(mechanism) {
        if !start {
            let _ = client.initial_response();
        }
        for message in &messages {
            if client.step(message).is_err() {
                assert!(client.step(message).is_err(), "errors must be sticky");
                break;
            }
        }
        let _ = client.finish(messages.last().map(Vec::as_slice));
    }
});
