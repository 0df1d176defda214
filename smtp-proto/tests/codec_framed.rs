//! The `tokio-codec` codecs in a real `tokio_util::codec::Framed` over `tokio::io::duplex`:
//! the same items whatever the split of the bytes (every split point tried), an over-long
//! line, a bare LF, and a client and a server talking through the two codecs.
#![cfg(feature = "tokio-codec")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use futures_util::{SinkExt, StreamExt};
use mail_sansio::testing::codec::{read_through, split_everywhere};
use smtp_proto::codec::{CodecError, CommandCodec, ReplyCodec};
use smtp_proto::types::{Domain, ForwardPath, Mailbox, ReversePath};
use smtp_proto::{Command, ParseError, ParseErrorKind, Reply, ReplyCode, ReplyLimits};
use tokio::io::{AsyncWriteExt, DuplexStream, duplex};
use tokio_util::codec::Framed;

fn kind(item: &Result<Result<Command, ParseError>, String>) -> &ParseErrorKind {
    match item {
        Ok(Err(e)) => &e.kind,
        other => panic!("expected a parse error item, got {other:?}"),
    }
}

#[tokio::test]
async fn commands_split_at_every_byte() {
    let mut input = b"EHLO client.example\r\nMAIL FROM:<a@b.example> SIZE=100\r\n".to_vec();
    input.extend_from_slice(b"NOOP\nRCPT TO:<c@d.example>\r\nVRFY ");
    input.extend(std::iter::repeat_n(b'x', 600));
    input.extend_from_slice(b"\r\nMAIL FROM:<a@b\r\nDATA\r\nQUIT\r\n");
    let items = split_everywhere(CommandCodec::new, &input).await.unwrap();
    assert_eq!(items.len(), 8, "{items:?}");
    assert_eq!(
        items[0],
        Ok(Ok(Command::Ehlo(
            Domain::try_from("client.example").unwrap()
        )))
    );
    assert!(
        matches!(&items[1], Ok(Ok(Command::Mail { from: ReversePath::Mailbox(_), params })) if params.size == Some(100))
    );
    // A bare LF: the line is refused and the next one is read (SMTP smuggling defence).
    assert_eq!(kind(&items[2]), &ParseErrorKind::BareNewline);
    assert!(matches!(
        &items[3],
        Ok(Ok(Command::Rcpt {
            to: ForwardPath::Mailbox(_),
            ..
        }))
    ));
    // Too long: one item when the line ends, then the session goes on (500 5.5.6).
    let too_long = kind(&items[4]);
    assert_eq!(
        too_long,
        &ParseErrorKind::TooLong {
            what: "line",
            limit: 512
        }
    );
    let Ok(Err(syntax)) = &items[5] else {
        panic!("{:?}", items[5])
    };
    assert_eq!(syntax.recommended_reply().0.get(), 501);
    assert_eq!(items[6], Ok(Ok(Command::Data)));
    assert_eq!(items[7], Ok(Ok(Command::Quit)));
}

#[tokio::test]
async fn over_long_command_never_buffers_past_the_limit() {
    // 100 KiB without a line ending: dropped as it arrives, reported once it ends.
    let mut input = b"AUTH PLAIN ".to_vec();
    input.extend(std::iter::repeat_n(b'A', 100 * 1024));
    input.extend_from_slice(b"\r\nQUIT\r\n");
    let chunks: Vec<&[u8]> = input.chunks(1000).collect();
    let items = read_through(CommandCodec::new(), &chunks).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(
        kind(&items[0]),
        &ParseErrorKind::TooLong {
            what: "line",
            limit: 12288
        }
    );
    assert_eq!(items[1], Ok(Ok(Command::Quit)));
}

#[tokio::test]
async fn partial_command_at_eof_is_an_error() {
    let items = read_through(CommandCodec::new(), &[b"QUIT\r\nRS"]).await;
    assert_eq!(items[0], Ok(Ok(Command::Quit)));
    assert!(items[1].as_ref().unwrap_err().contains("closed inside"));
}

#[tokio::test]
async fn replies_split_at_every_byte() {
    let input = b"220 mx.example ESMTP\r\n250-mx.example\r\n250-PIPELINING\r\n250-SIZE 100\r\n250 2.0.0 ENHANCEDSTATUSCODES\r\n354 go ahead\r\n";
    let items = split_everywhere(ReplyCodec::new, input).await.unwrap();
    assert_eq!(items.len(), 3, "{items:?}");
    let ehlo = items[1].as_ref().unwrap();
    assert_eq!(ehlo.code(), ReplyCode::OK);
    assert_eq!(ehlo.lines().len(), 4);
    assert_eq!(items[2].as_ref().unwrap().code(), ReplyCode::START_INPUT);
}

#[tokio::test]
async fn bad_replies_end_the_stream() {
    // A bare LF: the error, then the stream ends; the reply after it is never read.
    let items = split_everywhere(ReplyCodec::new, b"220 ok\r\n250 a\n250 b\r\n")
        .await
        .unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[1].as_ref().unwrap_err().contains("bare cr or lf"));

    // Too long: the error comes as soon as the cap is passed, before any line ending.
    let mut input = b"220 ok\r\n250-".to_vec();
    input.extend(std::iter::repeat_n(b'x', 100 * 1024));
    let chunks: Vec<&[u8]> = input.chunks(1000).collect();
    let items = read_through(ReplyCodec::with_limits(ReplyLimits::strict()), &chunks).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[1].as_ref().unwrap_err().contains("longer than 512"));

    // Closed inside a multi-line reply.
    let items = read_through(ReplyCodec::new(), &[b"250-a\r\n250-b\r\n"]).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(
        items[0]
            .as_ref()
            .unwrap_err()
            .contains("closed inside a reply")
    );
}

/// A toy server on the command codec: answers each command, 500/501 for bad lines.
async fn serve(io: DuplexStream) -> Result<Vec<Command>, CodecError> {
    let mut framed = Framed::new(io, CommandCodec::new());
    framed
        .send(Reply::new(ReplyCode::SERVICE_READY, None, "mx.example ESMTP").unwrap())
        .await?;
    let mut seen = Vec::new();
    while let Some(item) = framed.next().await {
        let reply = match item? {
            Ok(Command::Quit) => {
                framed
                    .send(Reply::new(ReplyCode::CLOSING, None, "bye").unwrap())
                    .await?;
                seen.push(Command::Quit);
                break;
            }
            Ok(Command::Ehlo(_)) => {
                Reply::multiline(ReplyCode::OK, None, ["mx.example", "PIPELINING"]).unwrap()
            }
            Ok(command) => {
                seen.push(command);
                Reply::new(ReplyCode::OK, None, "OK").unwrap()
            }
            Err(e) => {
                let (code, esc) = e.recommended_reply();
                Reply::new(code, Some(esc), "Error").unwrap()
            }
        };
        framed.send(&reply).await?;
    }
    Ok(seen)
}

#[tokio::test]
async fn client_and_server_through_the_codecs() {
    let (client_io, server_io) = duplex(64);
    let server = tokio::spawn(serve(server_io));
    let mut client = Framed::new(client_io, ReplyCodec::new());

    let greeting = client.next().await.unwrap().unwrap();
    assert_eq!(greeting.code(), ReplyCode::SERVICE_READY);
    client
        .send(Command::Ehlo(Domain::try_from("client.example").unwrap()))
        .await
        .unwrap();
    let ehlo = client.next().await.unwrap().unwrap();
    assert_eq!(
        ehlo.lines().collect::<Vec<_>>(),
        [&b"mx.example"[..], b"PIPELINING"]
    );

    // Pipelined: three commands in one write, three replies in order.
    let mailbox = Mailbox::try_from("a@b.example").unwrap();
    let mail = Command::Mail {
        from: ReversePath::Mailbox(mailbox.clone()),
        params: Default::default(),
    };
    client.feed(&mail).await.unwrap();
    client.feed(Command::Rset).await.unwrap();
    client.feed(Command::Noop(None)).await.unwrap();
    SinkExt::<Command>::flush(&mut client).await.unwrap();
    for _ in 0..3 {
        assert_eq!(client.next().await.unwrap().unwrap().code(), ReplyCode::OK);
    }

    // A bad line written raw: the server answers 501 5.5.4 and goes on.
    client
        .get_mut()
        .write_all(b"MAIL FROM:<a@b\r\n")
        .await
        .unwrap();
    let error = client.next().await.unwrap().unwrap();
    assert_eq!(error.code(), ReplyCode::PARAMETER_ERROR);
    assert_eq!(error.enhanced().unwrap().to_string(), "5.1.3");

    client.send(Command::Quit).await.unwrap();
    assert_eq!(
        client.next().await.unwrap().unwrap().code(),
        ReplyCode::CLOSING
    );
    drop(client);
    let seen = server.await.unwrap().unwrap();
    assert_eq!(
        seen,
        vec![mail, Command::Rset, Command::Noop(None), Command::Quit]
    );
}
