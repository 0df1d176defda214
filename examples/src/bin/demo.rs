//! The workspace demo: an SMTP client and an SMTP server, both Sans-IO state machines, talk to
//! each other in memory. No socket, no clock, no TLS library: `Pair` moves the bytes and
//! stands in for the TLS handshake.
//!
//! The session: greeting, EHLO, STARTTLS, EHLO again, AUTH PLAIN, MAIL, two RCPT (the server's
//! policy refuses one), DATA with a line that starts with a dot, QUIT.
//!
//! Run it with `cargo run -p examples --bin demo`.

use mail_sansio::sasl::{Credentials, SaslClient};
use mail_sansio::testing::{FakeClock, Pair, Side};
use smtp_proto::types::Domain;
use smtp_proto::{
    Client, ClientConfig, ClientEvent, EnhancedStatusCode, Envelope, Reply, ReplyCode, Server,
    ServerConfig, ServerEvent,
};

const BODY: &[u8] = b"From: alice@client.example\r\n\
To: bob@mx.example\r\n\
Subject: demo\r\n\
\r\n\
Hello Bob,\r\n\
.this line starts with a dot; the client stuffs it, the server unstuffs it.\r\n";

/// What the server application stored.
#[derive(Default)]
struct Mailbox {
    from: String,
    to: Vec<String>,
    body: Vec<u8>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clock = FakeClock::start();
    let mut client_config = ClientConfig::new(Domain::try_from("client.example")?);
    client_config.chunking = false; // show DATA and dot-stuffing rather than BDAT
    let client = Client::new(client_config, clock.now());
    let server = Server::new(
        ServerConfig::strict(Domain::try_from("mx.example")?),
        clock.now(),
    );

    let mut pair = Pair::new(client, server, clock);
    let mut mailbox = Mailbox::default();
    pair.run(|client, server, event| match event {
        Side::Client(event) => client_app(client, event),
        Side::Server(event) => server_app(server, event, &mut mailbox),
    })?;

    let transcript = pair.transcript_text().replace(
        "Ready to start TLS\n",
        "Ready to start TLS\n   (TLS handshake, simulated by the pair)\n",
    );
    println!("\nTranscript:\n{transcript}");
    println!("The server application received:");
    println!("  MAIL FROM: {}", mailbox.from);
    for to in &mailbox.to {
        println!("  RCPT TO:   {to}");
    }
    println!("  body:");
    for line in String::from_utf8_lossy(&mailbox.body).lines() {
        println!("    | {line}");
    }
    Ok(())
}

/// The sending application: authenticate once ready, send one message, quit.
fn client_app(client: &mut Client, event: ClientEvent) {
    match event {
        ClientEvent::Ready => {
            let sasl = SaslClient::plain(None, "alice", "wonderland".to_owned())
                .expect("valid credentials");
            client.authenticate(sasl).expect("ready and under TLS");
        }
        ClientEvent::Authenticated => {
            let envelope = Envelope::parse(
                "alice@client.example",
                ["bob@mx.example", "nobody@mx.example"],
            )
            .expect("valid addresses")
            .for_body(BODY);
            client.send_mail(envelope).expect("ready");
        }
        ClientEvent::Recipient { to, reply, .. } => {
            let to = to
                .mailbox()
                .map_or("postmaster".into(), ToString::to_string);
            println!(
                "client: RCPT {to} -> {} {}",
                reply.code(),
                reply.text_lossy()
            );
        }
        ClientEvent::DataReady { .. } => {
            client.send_data(BODY).expect("body open");
            client.finish_data().expect("body open");
        }
        ClientEvent::MessageSent { reply } => {
            println!("client: message accepted: {}", reply.text_lossy());
            client.quit().expect("ready");
        }
        other => {
            println!("client: {other:?}");
            client.quit().ok();
        }
    }
}

/// The receiving application: one user, one mailbox, everything else refused.
fn server_app(server: &mut Server, event: ServerEvent, mailbox: &mut Mailbox) {
    let result = match event {
        ServerEvent::Hello { token, .. } => server.accept(token),
        ServerEvent::Auth { token, credentials } => match credentials {
            Credentials::Password {
                authcid, password, ..
            } if authcid == "alice" && password.expose() == "wonderland" => server.accept(token),
            _ => server.send_reply(token, reply(535, (5, 7, 8), "Authentication failed")),
        },
        ServerEvent::Mail { token, from, .. } => {
            mailbox.from = from.mailbox().map(ToString::to_string).unwrap_or_default();
            server.accept(token)
        }
        ServerEvent::Rcpt { token, to, .. } => {
            let to = to.mailbox().map(ToString::to_string).unwrap_or_default();
            if to == "bob@mx.example" {
                mailbox.to.push(to);
                server.accept(token)
            } else {
                server.send_reply(token, reply(550, (5, 1, 1), "No such user here"))
            }
        }
        ServerEvent::BodyChunk(chunk) => {
            mailbox.body.extend_from_slice(&chunk);
            Ok(())
        }
        ServerEvent::MessageComplete { token, .. } => {
            server.send_reply(token, reply(250, (2, 0, 0), "Ok: queued as 7E1F2A"))
        }
        _ => Ok(()),
    };
    result.expect("every decision is answered once");
}

fn reply(code: u16, (class, subject, detail): (u8, u16, u16), text: &str) -> Reply {
    let code = ReplyCode::new(code).expect("valid code");
    let enhanced = EnhancedStatusCode::new(class, subject, detail).expect("valid enhanced code");
    Reply::new(code, Some(enhanced), text).expect("text without CR or LF")
}
