//! `UnitCodec` (feature `tokio-codec`) fed in pieces and in a real `Framed` over
//! `tokio::io::duplex`: whole units whatever the split, verdicts on sync literals, a fatal
//! size, and a connection closed inside a unit.
#![cfg(feature = "tokio-codec")]

use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use imap_proto::codec::{
    CodecError, CommandCodec, CommandItem, ResponseCodec, ResponseItem, UnitCodec,
};
use imap_proto::command::DecodeOptions;
use imap_proto::frame::{Frame, FrameErrorKind, FrameLimits};
use mail_sansio::testing::codec::{decode_pieces, read_through, split_everywhere};
use tokio::io::{AsyncWriteExt, duplex};
use tokio_util::codec::{Decoder, Framed};

fn unit_bytes(item: &Result<Frame, String>) -> Option<&[u8]> {
    match item {
        Ok(Frame::Unit(unit)) => Some(&unit.bytes()[..]),
        _ => None,
    }
}

#[test]
fn responses_byte_by_byte() {
    let input =
        b"* LIST () \"/\" {7}\r\nfoo bar\r\n* 3 FETCH (BODY[] {4}\r\nA1 O)\r\nA1 OK done\r\n";
    let mut codec = UnitCodec::responses(FrameLimits::default());
    let items = decode_pieces(&mut codec, input.chunks(1));
    let units: Vec<_> = items.iter().filter_map(unit_bytes).collect();
    assert_eq!(
        units,
        vec![
            &b"* LIST () \"/\" {7}\r\nfoo bar\r\n"[..],
            b"* 3 FETCH (BODY[] {4}\r\nA1 O)\r\n",
            b"A1 OK done\r\n"
        ]
    );
}

#[test]
fn commands_are_whole_and_verdicts_default_to_accept() {
    let input = b"A1 LOGIN {5}\r\nalice {2}\r\npw\r\nA2 NOOP\r\n";
    let mut codec = UnitCodec::commands(FrameLimits::default());
    let items = decode_pieces(&mut codec, input.chunks(3));
    assert!(matches!(
        items[0],
        Ok(Frame::LiteralAnnounced { len: 5, .. })
    ));
    assert!(matches!(
        items[1],
        Ok(Frame::LiteralAnnounced { len: 2, .. })
    ));
    assert_eq!(
        unit_bytes(&items[2]),
        Some(&b"A1 LOGIN {5}\r\nalice {2}\r\npw\r\n"[..])
    );
    assert_eq!(unit_bytes(&items[3]), Some(&b"A2 NOOP\r\n"[..]));
    assert_eq!(items.len(), 4);
}

#[test]
fn a_refused_literal_drops_its_command() {
    let mut codec = UnitCodec::commands(FrameLimits::default());
    let mut buf = BytesMut::from(&b"A4 APPEND INBOX {30000000}\r\nA5 NOOP\r\n"[..]);
    assert!(matches!(
        codec.decode(&mut buf),
        Ok(Some(Frame::LiteralAnnounced {
            len: 30_000_000,
            ..
        }))
    ));
    assert!(codec.refuse_literal());
    let Ok(Some(Frame::Unit(unit))) = codec.decode(&mut buf) else {
        panic!("no unit");
    };
    assert_eq!(&unit.bytes()[..], b"A5 NOOP\r\n");
}

#[test]
fn dropped_units_are_items_and_overflow_is_fatal() {
    let mut codec = UnitCodec::commands(FrameLimits::default());
    let input = b"A1 APPEND INBOX {5000+}\r\n";
    let mut items = decode_pieces(
        &mut codec,
        [
            &input[..],
            &[b'x'; 5000][..],
            b"\r\nA2 X {99999999999999999999+}\r\n",
        ],
    );
    let Some(Err(fatal)) = items.pop() else {
        panic!("no fatal error: {items:?}");
    };
    assert!(fatal.contains("64 bits"), "{fatal}");
    let Some(Ok(Frame::Error(dropped))) = items.pop() else {
        panic!("no dropped unit");
    };
    assert_eq!(
        dropped.kind(),
        FrameErrorKind::LiteralTooLarge {
            len: 5000,
            limit: 4096
        }
    );
    assert_eq!(dropped.tag().map(|t| &t[..]), Some(&b"A1"[..]));
    assert!(items.is_empty());
}

#[test]
fn eof_inside_a_unit_is_an_error() {
    let mut codec = UnitCodec::responses(FrameLimits::default());
    let items = decode_pieces(&mut codec, [&b"* 1 FETCH (BODY[] {10}\r\nabc"[..]]);
    assert_eq!(items.len(), 1);
    assert!(matches!(&items[0], Err(e) if e.contains("closed inside a response")));
    let mut codec = UnitCodec::responses(FrameLimits::default());
    assert!(
        decode_pieces(&mut codec, [&b"A1 OK done\r\n"[..]])
            .iter()
            .all(Result::is_ok)
    );
}

#[tokio::test]
async fn framed_gives_the_same_units_at_every_split() {
    let input = b"* 1 FETCH (BODY[] {20}\r\n0123456789abcdefghij FLAGS ())\r\n* 2 FETCH (BODY[] {0}\r\n)\r\nA1 OK\r\n";
    let items = split_everywhere(|| UnitCodec::responses(FrameLimits::default()), input)
        .await
        .unwrap();
    let units: Vec<_> = items.iter().filter_map(unit_bytes).collect();
    assert_eq!(
        units,
        vec![
            &b"* 1 FETCH (BODY[] {20}\r\n0123456789abcdefghij FLAGS ())\r\n"[..],
            b"* 2 FETCH (BODY[] {0}\r\n)\r\n",
            b"A1 OK\r\n",
        ]
    );
}

// Streamed literals through `Framed`: chunks depend on the reads, their sum does not.
#[tokio::test]
async fn framed_streams_large_literals() {
    let mut limits = FrameLimits::default();
    limits.literal_stream_threshold = 8;
    let input = b"* 1 FETCH (BODY[] {20}\r\n0123456789abcdefghij FLAGS ())\r\nA1 OK\r\n";
    for step in [1, 3, 7, input.len()] {
        let pieces: Vec<&[u8]> = input.chunks(step).collect();
        let items = read_through(UnitCodec::responses(limits.clone()), &pieces).await;
        let mut streamed = Vec::new();
        let mut units = Vec::new();
        for item in items {
            match item.unwrap() {
                Frame::LiteralChunk(chunk) => streamed.extend_from_slice(&chunk),
                Frame::Unit(unit) => units.push(unit.into_bytes()),
                _ => {}
            }
        }
        assert_eq!(streamed, b"0123456789abcdefghij");
        assert_eq!(
            units,
            vec![
                Bytes::from_static(b"* 1 FETCH (BODY[] {20}\r\n FLAGS ())\r\n"),
                Bytes::from_static(b"A1 OK\r\n"),
            ]
        );
    }
}

// A client and a server through the codec: the server sends `+` for the sync literal.
#[tokio::test]
async fn client_and_server_talk() {
    let (client_io, server_io) = duplex(64);
    let mut server = Framed::new(server_io, UnitCodec::commands(FrameLimits::default()));
    let mut client = Framed::new(client_io, UnitCodec::responses(FrameLimits::default()));
    let server_task = async move {
        let mut seen = Vec::new();
        while let Some(item) = server.next().await {
            match item? {
                Frame::LiteralAnnounced { .. } => server.send(&b"+ go on\r\n"[..]).await?,
                Frame::Unit(unit) => {
                    seen.push(unit.into_bytes());
                    server.send(&b"A1 OK logged in\r\n"[..]).await?;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        Ok::<_, CodecError>(seen)
    };
    let client_task = async move {
        client.send(&b"A1 LOGIN {5}\r\n"[..]).await?;
        let Some(Ok(Frame::Unit(go))) = client.next().await else {
            panic!("no continuation");
        };
        assert_eq!(&go.bytes()[..], b"+ go on\r\n");
        client.send(&b"alice pw\r\n"[..]).await?;
        let Some(Ok(Frame::Unit(done))) = client.next().await else {
            panic!("no status");
        };
        assert_eq!(&done.bytes()[..], b"A1 OK logged in\r\n");
        client.get_mut().shutdown().await?;
        Ok::<_, CodecError>(())
    };
    let (seen, sent) = tokio::join!(server_task, client_task);
    sent.unwrap();
    assert_eq!(
        seen.unwrap(),
        vec![Bytes::from_static(b"A1 LOGIN {5}\r\nalice pw\r\n")]
    );
}

// The grammar on top: whole commands, literals parsed inline, a bad one as an item.
#[test]
fn command_codec_parses_units() {
    let input = b"A1 LOGIN {5}\r\nalice {2}\r\npw\r\nA2 NOOP\r\nA3 LOGIN\r\n";
    let mut codec = CommandCodec::new(FrameLimits::default(), DecodeOptions::strict());
    let items = decode_pieces(&mut codec, input.chunks(1));
    let commands: Vec<_> = items
        .iter()
        .filter_map(|item| match item {
            Ok(CommandItem::Command(command)) => {
                Some(command.as_ref().map(|c| c.tag.as_bytes().to_vec()).is_ok())
            }
            _ => None,
        })
        .collect();
    assert_eq!(commands, vec![true, true, false], "{items:?}");
    assert_eq!(items.len(), 5, "{items:?}");
}

// The client side: greeting first, then responses, a literal inside one of them.
#[test]
fn response_codec_parses_units() {
    let input = b"* OK IMAP4rev2 ready\r\n* LIST () \"/\" {7}\r\nfoo bar\r\nA1 OK done\r\n";
    let mut codec = ResponseCodec::new(FrameLimits::default(), DecodeOptions::strict());
    let items = decode_pieces(&mut codec, input.chunks(1));
    assert_eq!(items.len(), 3, "{items:?}");
    assert!(
        matches!(items[0], Ok(ResponseItem::Greeting(Ok(_)))),
        "{items:?}"
    );
    assert!(
        matches!(items[1], Ok(ResponseItem::Response(Ok(_)))),
        "{items:?}"
    );
    assert!(
        matches!(items[2], Ok(ResponseItem::Response(Ok(_)))),
        "{items:?}"
    );
}
