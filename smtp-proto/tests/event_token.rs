//! `ServerEvent::token` gives the token of every event that needs an answer, and `None` for
//! the two that need none.

use mail_sansio::Session;
use mail_sansio::testing::FakeClock;
use smtp_proto::types::Domain;
use smtp_proto::{Server, ServerConfig, ServerEvent, TlsMode, Token};

/// The token the long way, by a match over the variants.
fn matched(event: &ServerEvent) -> Option<Token> {
    match event {
        ServerEvent::Hello { token, .. }
        | ServerEvent::Mail { token, .. }
        | ServerEvent::Rcpt { token, .. }
        | ServerEvent::MessageComplete { token, .. }
        | ServerEvent::Auth { token, .. }
        | ServerEvent::SaslConfig { token, .. }
        | ServerEvent::ScramCredentials { token, .. }
        | ServerEvent::SaslAuthenticated { token, .. }
        | ServerEvent::Vrfy { token, .. }
        | ServerEvent::Expn { token, .. } => Some(*token),
        _ => None,
    }
}

#[test]
fn token_is_the_one_in_the_event_and_answers_it() {
    let mut config = ServerConfig::strict(Domain::try_from("mx.example").unwrap());
    config.tls = TlsMode::Implicit;
    config.extensions.vrfy = true;
    config.limits.message_size = 20;
    let now = FakeClock::start().now();
    let mut server = Server::new(config, now);
    server.handle_input(
        now,
        b"EHLO c.example\r\nVRFY someone\r\nAUTH PLAIN AHVzZXIAcGVuY2ls\r\n\
          MAIL FROM:<a@c.example>\r\nRCPT TO:<b@mx.example>\r\nDATA\r\n",
    );
    let mut seen = Vec::new();
    let drive = |server: &mut Server, seen: &mut Vec<String>| {
        while let Some(event) = server.poll_event().unwrap() {
            assert_eq!(event.token(), matched(&event), "{event:?}");
            let name = format!("{event:?}");
            seen.push(name[..name.find([' ', '(']).unwrap_or(name.len())].to_owned());
            if let Some(token) = event.token() {
                server.accept(token).unwrap();
            }
            while server.poll_transmit().is_some() {}
        }
    };
    drive(&mut server, &mut seen);
    server.handle_input(now, b"a short body\r\n.\r\n");
    drive(&mut server, &mut seen);
    server.handle_input(
        now,
        b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@mx.example>\r\nDATA\r\n",
    );
    drive(&mut server, &mut seen);
    server.handle_input(now, b"a body longer than twenty octets\r\n.\r\n");
    drive(&mut server, &mut seen);
    assert_eq!(
        seen,
        [
            "Hello",
            "Vrfy",
            "Auth",
            "Mail",
            "Rcpt",
            "BodyChunk",
            "MessageComplete",
            "Mail",
            "Rcpt",
            "MessageAborted",
        ]
    );
}
