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
use pop3_proto::codec::{CodecError, CommandCodec, ResponseCodec};
use pop3_proto::{
    Command, MessageNumber, ParseError, Password, Response, ResponseCode, Status, StatusLine, Text,
    Username,
};
use tokio::io::{AsyncWriteExt, DuplexStream, duplex};
use tokio_util::codec::Framed;

fn text(s: &str) -> Text {
    Text::try_from(s).unwrap()
}

#[tokio::test]
async fn commands_split_at_every_byte() {
    let mut input = b"USER bob\r\nPASS a b c\r\nSTAT\nLIST\r\nRETR ".to_vec();
    input.extend(std::iter::repeat_n(b'1', 300));
    input.extend_from_slice(b"\r\nFOO\r\nTOP 1 10\r\nQUIT\r\n");
    let items = split_everywhere(CommandCodec::new, &input).await.unwrap();
    assert_eq!(items.len(), 8, "{items:?}");
    assert_eq!(
        items[0],
        Ok(Ok(Command::User(Username::try_from("bob").unwrap())))
    );
    assert_eq!(
        items[1],
        Ok(Ok(Command::Pass(Password::try_from("a b c").unwrap())))
    );
    // A bare LF: the line is refused and the next one is read.
    assert_eq!(items[2], Ok(Err(ParseError::BareNewline { offset: 0 })));
    assert_eq!(items[3], Ok(Ok(Command::List(None))));
    // Too long: one item when the line ends, then the next line.
    assert_eq!(items[4], Ok(Err(ParseError::LineTooLong { limit: 255 })));
    assert_eq!(items[5], Ok(Err(ParseError::UnknownCommand)));
    assert_eq!(
        items[6],
        Ok(Ok(Command::Top {
            message: MessageNumber::new(1).unwrap(),
            lines: 10
        }))
    );
    assert_eq!(items[7], Ok(Ok(Command::Quit)));
}

#[tokio::test]
async fn over_long_command_never_buffers_past_the_limit() {
    let mut input = b"USER ".to_vec();
    input.extend(std::iter::repeat_n(b'u', 100 * 1024));
    input.extend_from_slice(b"\r\nQUIT\r\n");
    let chunks: Vec<&[u8]> = input.chunks(1000).collect();
    let items = read_through(CommandCodec::new(), &chunks).await;
    assert_eq!(
        items,
        vec![
            Ok(Err(ParseError::LineTooLong { limit: 255 })),
            Ok(Ok(Command::Quit))
        ]
    );
}

#[tokio::test]
async fn response_lines_split_at_every_byte() {
    let input = b"+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>\r\n-ERR [IN-USE] locked\r\n+ dGVzdA==\r\n+OK 2 320\r\n";
    let items = split_everywhere(ResponseCodec::new, input).await.unwrap();
    assert_eq!(items.len(), 4, "{items:?}");
    let Ok(Response::Status(greeting)) = &items[0] else {
        panic!("{items:?}")
    };
    assert_eq!(
        greeting.apop_timestamp().unwrap().as_str(),
        "<1896.697170952@dbc.mtview.ca.us>"
    );
    let Ok(Response::Status(locked)) = &items[1] else {
        panic!("{items:?}")
    };
    assert_eq!(locked.status, Status::Err);
    assert_eq!(locked.code, Some(ResponseCode::InUse));
    assert_eq!(items[2], Ok(Response::Challenge(b"test".to_vec())));
    let Ok(Response::Status(stat)) = &items[3] else {
        panic!("{items:?}")
    };
    assert_eq!(stat.stat().unwrap().size, 320);
}

#[tokio::test]
async fn bad_responses_end_the_stream() {
    // A bare LF: the error, then the stream ends; the line after it is never read.
    let items = split_everywhere(ResponseCodec::new, b"+OK hi\r\n+OK a\n+OK b\r\n")
        .await
        .unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[1].as_ref().unwrap_err().contains("bare CR or LF"));

    // Too long: the error comes as soon as the cap is passed, before any line ending.
    let mut input = b"+OK hi\r\n-ERR ".to_vec();
    input.extend(std::iter::repeat_n(b'x', 100 * 1024));
    let chunks: Vec<&[u8]> = input.chunks(1000).collect();
    let items = read_through(ResponseCodec::new(), &chunks).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[1].as_ref().unwrap_err().contains("longer than 512"));

    // A listing line is not a response: the codec does not read multi-line bodies.
    let items = read_through(ResponseCodec::new(), &[b"+OK 1 messages\r\n1 120\r\n.\r\n"]).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[1].as_ref().unwrap_err().contains("syntax error"));
}

/// A toy server on the command codec: `+OK` to each command, `-ERR` to bad lines.
async fn serve(io: DuplexStream) -> Result<Vec<Command>, CodecError> {
    let mut framed = Framed::new(io, CommandCodec::new());
    framed.send(StatusLine::ok(text("POP3 ready"))).await?;
    let mut seen = Vec::new();
    while let Some(item) = framed.next().await {
        let line = match item? {
            Ok(command) => {
                let quit = command == Command::Quit;
                seen.push(command);
                if quit {
                    framed.send(StatusLine::ok(text("bye"))).await?;
                    break;
                }
                StatusLine::ok(text("done"))
            }
            Err(e) => StatusLine::err(None, text(&e.to_string())),
        };
        framed.send(&Response::Status(line)).await?;
    }
    Ok(seen)
}

#[tokio::test]
async fn client_and_server_through_the_codecs() {
    let (client_io, server_io) = duplex(64);
    let server = tokio::spawn(serve(server_io));
    let mut client = Framed::new(client_io, ResponseCodec::new());
    let next_status = async |client: &mut Framed<DuplexStream, ResponseCodec>| match client
        .next()
        .await
        .unwrap()
        .unwrap()
    {
        Response::Status(line) => line,
        other => panic!("{other:?}"),
    };

    assert!(next_status(&mut client).await.is_ok());
    // Pipelined (RFC 2449 PIPELINING): three commands in one write, three answers in order.
    let user = Command::User(Username::try_from("bob").unwrap());
    client.feed(&user).await.unwrap();
    client.feed(Command::Stat).await.unwrap();
    client.feed(Command::Noop).await.unwrap();
    SinkExt::<Command>::flush(&mut client).await.unwrap();
    for _ in 0..3 {
        assert!(next_status(&mut client).await.is_ok());
    }

    // A bad line written raw: the server answers -ERR and goes on.
    client.get_mut().write_all(b"DELE 0\r\n").await.unwrap();
    assert_eq!(next_status(&mut client).await.status, Status::Err);

    client.send(Command::Quit).await.unwrap();
    assert_eq!(next_status(&mut client).await.text.as_str(), "bye");
    drop(client);
    let seen = server.await.unwrap().unwrap();
    assert_eq!(
        seen,
        vec![user, Command::Stat, Command::Noop, Command::Quit]
    );
}
