//! FETCH responses whose message content the application streams: the response starts with
//! the items before a literal of known size, the literal's octets follow in chunks, and the
//! items after it end the response, so no layer holds a whole message.

use bytes::Bytes;

use super::{Kind, Server, Token};
use crate::error::SendError;
use crate::response::{Data, Fetch, FetchItem, Payload, Response};

/// A FETCH response whose literal is going out.
#[derive(Debug)]
pub(super) struct FetchStream {
    /// The command it answers.
    pub(super) token: u64,
    /// The message number written at the start.
    seq: u32,
    /// Octets of the literal still to come.
    remaining: u64,
    /// A literal8 (`~{n}`, BINARY): NUL allowed.
    binary: bool,
}

/// The announced length of an item whose content is streamed, and whether it is a literal8.
fn streamed(item: &FetchItem) -> Option<(u64, bool)> {
    match item {
        FetchItem::Rfc822(Payload::Streamed { len })
        | FetchItem::Rfc822Header(Payload::Streamed { len })
        | FetchItem::Rfc822Text(Payload::Streamed { len })
        | FetchItem::BodySection {
            data: Payload::Streamed { len },
            ..
        } => Some((*len, false)),
        FetchItem::Binary {
            data: Payload::Streamed { len },
            ..
        } => Some((*len, true)),
        _ => None,
    }
}

impl Server {
    /// Starts the FETCH data of one message whose content the application streams (a
    /// message too large to hold): `items` ends with the one item whose content is
    /// [`Payload::Streamed`] with its exact length in octets (`BODY[]`, `BODY[TEXT]<0>`,
    /// `BINARY[1]`, `RFC822`, ...), after any items that go before it. The machine writes
    /// `* n FETCH (` with the message number the client knows for `uid` (and `UID` for UID
    /// commands, as [`Server::send_fetch`]), the items, and the literal's announcement
    /// `{len}`. Then give the content with [`Server::send_fetch_chunk`], exactly `len`
    /// octets in as many pieces as suits, and close the response with
    /// [`Server::end_fetch`], which may add more items.
    ///
    /// The bytes go out through `poll_transmit` as they come when the command is the oldest
    /// one still open (always so for an application that answers events in order; otherwise
    /// they wait in the machine until the earlier commands are finished, to keep responses
    /// in command order). While the literal is open no more commands are read (a `+` for
    /// another command's literal must not land inside it), the command cannot be completed,
    /// and nothing else can be sent for it; one streamed response is open at a time.
    ///
    /// ```
    /// # use bytes::Bytes;
    /// # use imap_proto::response::{FetchItem, Payload, Section};
    /// # use imap_proto::server::{Server, Token};
    /// # use imap_proto::SendError;
    /// fn stream(server: &mut Server, token: Token, uid: u32, body: &[Bytes]) -> Result<(), SendError> {
    ///     let len = body.iter().map(|c| c.len() as u64).sum();
    ///     let item = FetchItem::BodySection {
    ///         section: Section::default(),
    ///         origin: None,
    ///         data: Payload::Streamed { len },
    ///     };
    ///     server.start_fetch(token, uid, vec![item])?;
    ///     for chunk in body {
    ///         server.send_fetch_chunk(token, chunk.clone())?; // drain poll_transmit between
    ///     }
    ///     server.end_fetch(token, vec![FetchItem::Rfc822Size(len)])
    /// }
    /// ```
    pub fn start_fetch(
        &mut self,
        token: Token,
        uid: u32,
        mut items: Vec<FetchItem>,
    ) -> Result<(), SendError> {
        let index = self.slot_index(token)?;
        if self.fetch_stream.is_some() {
            return Err(SendError::WrongState(
                "another streamed FETCH response is open",
            ));
        }
        let Some((len, binary)) = items.last().and_then(streamed) else {
            return Err(SendError::WrongState(
                "the last item of start_fetch must be Payload::Streamed",
            ));
        };
        if items.iter().rev().skip(1).any(|i| streamed(i).is_some()) {
            return Err(SendError::WrongState(
                "only the last item of start_fetch may be streamed",
            ));
        }
        let view = self
            .view
            .as_ref()
            .ok_or(SendError::WrongState("no mailbox is selected"))?;
        let seq = view.seq(uid).ok_or(SendError::UnknownUid { uid })?;
        let uid_command = matches!(
            self.slots.get(index).map(|s| &s.kind),
            Some(Kind::Fetch { uid: true })
        ) || self.enabled.qresync;
        if uid_command && !items.iter().any(|i| matches!(i, FetchItem::Uid(_))) {
            items.insert(0, FetchItem::Uid(uid));
        }
        let response = Response::Data(Data::Fetch(Fetch { seq, items }));
        let mut bytes = self.encode(|e| response.encode(e));
        // The encoding ends with the announcement, then the `)` and CRLF that close the
        // response: those come with end_fetch.
        if !bytes.ends_with(b"}\r\n)\r\n") {
            return Err(SendError::WrongState("the streamed item cannot be written"));
        }
        bytes.truncate(bytes.len().saturating_sub(3));
        self.write_for(index, &bytes);
        self.fetch_stream = Some(Box::new(FetchStream {
            token: token.0,
            seq,
            remaining: len,
            binary,
        }));
        Ok(())
    }

    /// The next octets of the literal [`Server::start_fetch`] announced. More octets than
    /// announced, or a NUL outside a literal8 (BINARY), is refused and nothing is sent.
    pub fn send_fetch_chunk(&mut self, token: Token, chunk: Bytes) -> Result<(), SendError> {
        let index = self.stream_index(token)?;
        let Some(stream) = self.fetch_stream.as_mut() else {
            return Err(SendError::WrongState("no streamed FETCH response is open"));
        };
        let len = chunk.len() as u64;
        if len > stream.remaining {
            return Err(SendError::WrongState(
                "more octets than the literal announced",
            ));
        }
        if !stream.binary && memchr::memchr(0, &chunk).is_some() {
            return Err(SendError::WrongState(
                "NUL in a literal: stream the content as BINARY",
            ));
        }
        stream.remaining -= len;
        self.write_for(index, &chunk);
        Ok(())
    }

    /// Ends the FETCH response [`Server::start_fetch`] started, once all the literal's octets
    /// were given, with `items` after it (none streamed). The command stays open for more
    /// FETCH data and its completion.
    pub fn end_fetch(&mut self, token: Token, items: Vec<FetchItem>) -> Result<(), SendError> {
        let index = self.stream_index(token)?;
        let Some(stream) = self.fetch_stream.as_ref() else {
            return Err(SendError::WrongState("no streamed FETCH response is open"));
        };
        if stream.remaining > 0 {
            return Err(SendError::WrongState(
                "the literal is not complete: send its remaining octets first",
            ));
        }
        if items.iter().any(|i| streamed(i).is_some()) {
            return Err(SendError::WrongState("end_fetch items cannot be streamed"));
        }
        let seq = stream.seq;
        let any = !items.is_empty();
        let response = Response::Data(Data::Fetch(Fetch { seq, items }));
        let bytes = self.encode(|e| response.encode(e));
        let prefix = format!("* {seq} FETCH (");
        let Some(rest) = bytes.strip_prefix(prefix.as_bytes()) else {
            return Err(SendError::WrongState("the items cannot be written"));
        };
        let mut tail = Vec::with_capacity(rest.len() + 1);
        if any && rest.first() != Some(&b')') {
            tail.push(b' ');
        }
        tail.extend_from_slice(rest);
        self.write_for(index, &tail);
        self.fetch_stream = None;
        Ok(())
    }

    /// The slot of the command whose FETCH response is streaming.
    fn stream_index(&self, token: Token) -> Result<usize, SendError> {
        if self.error.is_some() || self.closing {
            return Err(SendError::Closed);
        }
        if self
            .fetch_stream
            .as_ref()
            .is_none_or(|s| s.token != token.0)
        {
            return Err(SendError::WrongState(
                "no streamed FETCH response is open for this command",
            ));
        }
        self.slots
            .iter()
            .position(|s| s.token == token.0 && s.status.is_none())
            .ok_or(SendError::UnknownToken(token.0))
    }
}
