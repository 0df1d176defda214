//! Drives a framer over input pieces and records what it hands out, in a form that does not
//! depend on how the input was split (consecutive literal chunks are merged).
#![allow(dead_code, unreachable_pub)]

use bytes::BytesMut;
use imap_proto::frame::{Frame, FrameErrorKind, FrameLimits, Framer, LiteralSpan};

/// A literal's place in a unit, comparable and constructible in tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lit {
    pub offset: usize,
    pub len: u64,
    pub sync: bool,
    pub binary: bool,
    pub streamed: bool,
}

impl From<&LiteralSpan> for Lit {
    fn from(s: &LiteralSpan) -> Self {
        Self {
            offset: s.offset,
            len: s.len,
            sync: s.sync,
            binary: s.binary,
            streamed: s.streamed,
        }
    }
}

/// A kept sync literal.
pub fn kept(offset: usize, len: u64) -> Lit {
    Lit {
        offset,
        len,
        sync: true,
        binary: false,
        streamed: false,
    }
}

/// One recorded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev {
    Unit(Vec<u8>, Vec<Lit>),
    Announced {
        len: u64,
        binary: bool,
        so_far: Vec<u8>,
    },
    Start {
        prefix: Vec<u8>,
        len: u64,
        binary: bool,
        sync: bool,
    },
    Data(Vec<u8>),
    End,
    Error {
        kind: FrameErrorKind,
        tag: Option<Vec<u8>>,
        fatal: bool,
    },
}

/// What a run gave, and the most the buffer ever held after the framer was done with it.
#[derive(Debug)]
pub struct Run {
    pub events: Vec<Ev>,
    pub max_buffered: usize,
    pub scanned: u64,
    pub left: usize,
}

/// Feeds `pieces` one after the other; `verdict(len)` answers each sync literal announced to
/// a server-side framer (true: accept).
pub fn run(mut framer: Framer, pieces: &[&[u8]], mut verdict: impl FnMut(u64) -> bool) -> Run {
    let mut buf = BytesMut::new();
    let mut events: Vec<Ev> = Vec::new();
    let mut max_buffered = 0;
    for piece in pieces {
        buf.extend_from_slice(piece);
        while let Some(frame) = framer.next_frame(&mut buf) {
            let ev = match frame {
                Frame::Unit(unit) => Ev::Unit(
                    unit.bytes().to_vec(),
                    unit.literals().iter().map(Lit::from).collect(),
                ),
                Frame::LiteralAnnounced { len, binary } => {
                    let so_far = framer.unit_so_far(&buf).to_vec();
                    if verdict(len) {
                        assert!(framer.accept_literal());
                    } else {
                        assert!(framer.refuse_literal());
                    }
                    Ev::Announced {
                        len,
                        binary,
                        so_far,
                    }
                }
                Frame::LiteralStart {
                    prefix,
                    len,
                    binary,
                    sync,
                } => Ev::Start {
                    prefix: prefix.to_vec(),
                    len,
                    binary,
                    sync,
                },
                Frame::LiteralChunk(chunk) => {
                    assert!(!chunk.is_empty());
                    if let Some(Ev::Data(data)) = events.last_mut() {
                        data.extend_from_slice(&chunk);
                        continue;
                    }
                    Ev::Data(chunk.to_vec())
                }
                Frame::LiteralEnd => Ev::End,
                Frame::Error(error) => Ev::Error {
                    kind: error.kind(),
                    tag: error.tag().map(|tag| tag.to_vec()),
                    fatal: error.is_fatal(),
                },
                other => unreachable!("unexpected frame {other:?}"),
            };
            events.push(ev);
        }
        max_buffered = max_buffered.max(buf.len());
    }
    Run {
        events,
        max_buffered,
        scanned: framer.scanned_bytes(),
        left: buf.len(),
    }
}

/// Whole input in one piece.
pub fn whole(framer: Framer, input: &[u8]) -> Vec<Ev> {
    run(framer, &[input], |_| true).events
}

/// Input one byte at a time.
pub fn bytewise(framer: Framer, input: &[u8]) -> Vec<Ev> {
    let pieces: Vec<&[u8]> = input.chunks(1).collect();
    run(framer, &pieces, |_| true).events
}

/// Every way of cutting `input` in two gives `expected`.
pub fn assert_every_split(make: impl Fn() -> Framer, input: &[u8], expected: &[Ev]) {
    for cut in 0..=input.len() {
        let (a, b) = input.split_at(cut);
        let got = run(make(), &[a, b], |_| true).events;
        assert_eq!(got, expected, "split at {cut}");
    }
    assert_eq!(bytewise(make(), input), expected, "byte by byte");
}

pub fn limits() -> FrameLimits {
    FrameLimits::default()
}

pub fn client() -> Framer {
    Framer::responses(limits())
}

pub fn server() -> Framer {
    Framer::commands(limits())
}

pub fn unit(bytes: &[u8], literals: &[Lit]) -> Ev {
    Ev::Unit(bytes.to_vec(), literals.to_vec())
}
