//! FETCH: flags, UID, INTERNALDATE, sizes, ENVELOPE, BODY/BODYSTRUCTURE, `BODY[section]<partial>`
//! (and `.PEEK`), BINARY, RFC822 items, MODSEQ; CHANGEDSINCE and VANISHED (RFC 7162).

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use imap_proto::command::{FetchAttribute, FetchAttributes, FetchModifier, Partial, Section};
use imap_proto::response::{Code, Data, FetchItem, Payload, Response};
use imap_proto::server::{Server, Token};
use imap_proto::types::{IString, Literal8};

use super::mailbox::{blocking, internal_date, number_set, store_error};
use super::transport::Transport;
use super::{ImapConn, flush, mime, no};
use crate::store::{self, Account, FlagOp, Flags, Message};

/// A string for message octets: NUL (which IMAP strings cannot hold) becomes 0x80, as
/// Dovecot does.
fn octets(bytes: &[u8]) -> IString {
    let clean: Vec<u8> = bytes
        .iter()
        .map(|&b| if b == 0 { 0x80 } else { b })
        .collect();
    IString::try_from(clean).unwrap_or_default()
}

fn partial_of(bytes: &[u8], partial: Option<Partial>) -> (&[u8], Option<u32>) {
    match partial {
        None => (bytes, None),
        Some(p) => {
            let start = usize::try_from(p.offset)
                .unwrap_or(usize::MAX)
                .min(bytes.len());
            let len = usize::try_from(p.length.get()).unwrap_or(usize::MAX);
            let end = start.saturating_add(len).min(bytes.len());
            (
                bytes.get(start..end).unwrap_or_default(),
                Some(u32::try_from(p.offset).unwrap_or(u32::MAX)),
            )
        }
    }
}

/// Whether fetching `attr` reads the message file.
fn needs_content(attr: &FetchAttribute) -> bool {
    !matches!(
        attr,
        FetchAttribute::Flags
            | FetchAttribute::Uid
            | FetchAttribute::InternalDate
            | FetchAttribute::Rfc822Size
            | FetchAttribute::ModSeq
    )
}

/// Whether fetching `attr` sets `\Seen` (RFC 9051 §6.4.5).
fn sets_seen(attr: &FetchAttribute) -> bool {
    matches!(
        attr,
        FetchAttribute::Rfc822
            | FetchAttribute::Rfc822Text
            | FetchAttribute::BodySection { peek: false, .. }
            | FetchAttribute::Binary { peek: false, .. }
    )
}

/// Whether expunged UID `gone` was inside the UID set of a `UID FETCH ... (CHANGEDSINCE m
/// VANISHED)` (RFC 7162 §3.2.6), from `known`, the UIDs the client's view has (ascending),
/// and `asked`, those of them the set named. The machine hands over only the latter, so a
/// UID the client no longer knows counts as asked for when the messages the client knows
/// next to it, below and above, were both asked for (or there is none on that side): so
/// `1:*` and `300:500` report every expunge among them, and `1:5` none above 5 or below 1.
fn requested(known: &[u32], asked: &[u32], gone: u32) -> bool {
    let is_asked = |u: &u32| asked.binary_search(u).is_ok();
    if known.binary_search(&gone).is_ok() {
        return is_asked(&gone);
    }
    let at = known.partition_point(|&u| u < gone);
    let below = at.checked_sub(1).and_then(|i| known.get(i));
    let above = known.get(at);
    (below.is_some() || above.is_some()) && below.is_none_or(is_asked) && above.is_none_or(is_asked)
}

/// Messages read from disk at once, by one blocking task, up to [`READ_AHEAD_OCTETS`]:
/// a task per message cost two thread switches per message.
const READ_AHEAD: usize = 16;
/// See [`READ_AHEAD`].
const READ_AHEAD_OCTETS: u64 = 2 << 20;
/// Message octets answered before a FETCH writes its output out: a FETCH of many messages
/// goes out as it is read, never whole in memory.
const FLUSH_AT: usize = 256 * 1024;

/// Reads message `m` into `bytes` (emptied first; a buffer used before keeps its memory,
/// which spares the page faults of fresh memory for every message).
fn read_file(a: &Account, folder: &str, m: &Message, mut bytes: Vec<u8>) -> store::Result<Vec<u8>> {
    let (mut file, size) = a.open_file(folder, m)?;
    bytes.clear();
    bytes.reserve(usize::try_from(size).unwrap_or(0));
    std::io::Read::read_to_end(&mut file, &mut bytes)?;
    Ok(bytes)
}

/// Reads a whole message of the selected folder.
pub(super) async fn read(account: &Account, folder: &str, m: &Message) -> store::Result<Vec<u8>> {
    let (a, folder, m) = (account.clone(), folder.to_owned(), m.clone());
    blocking(move || read_file(&a, &folder, &m, Vec::new())).await
}

/// Whether `bytes` holds a NUL octet (in wide steps: the compiler vectorizes the minimum).
fn has_nul(bytes: &[u8]) -> bool {
    bytes
        .chunks(4096)
        .any(|c| c.iter().copied().min() == Some(0))
}

/// Reads the next messages of `wanted` (from `next` on) into `ahead`, in one blocking task:
/// at least one, at most [`READ_AHEAD`] or [`READ_AHEAD_OCTETS`].
/// Buffers of messages already sent are reused from `spare`.
async fn read_ahead(
    account: &Account,
    folder: &str,
    wanted: &[Message],
    next: usize,
    ahead: &mut VecDeque<store::Result<Vec<u8>>>,
    spare: &mut Vec<Vec<u8>>,
) {
    let mut octets = 0;
    let batch: Vec<Message> = wanted
        .iter()
        .skip(next)
        .take(READ_AHEAD)
        .take_while(|m| {
            let first = octets == 0;
            octets += m.size.max(1);
            first || octets <= READ_AHEAD_OCTETS
        })
        .cloned()
        .collect();
    let (a, folder) = (account.clone(), folder.to_owned());
    let mut buffers = std::mem::take(spare);
    let read = tokio::task::spawn_blocking(move || {
        batch
            .iter()
            .map(|m| read_file(&a, &folder, m, buffers.pop().unwrap_or_default()))
            .collect::<Vec<_>>()
    })
    .await;
    match read {
        Ok(results) => ahead.extend(results),
        Err(e) => ahead.push_back(Err(store::Error::Io(std::io::Error::other(e)))),
    }
}

/// Whether `attr` is the whole message, which can go out as it was read (streamed, no copy
/// into the response), when it holds no NUL.
fn whole_message(attr: &FetchAttribute) -> bool {
    match attr {
        FetchAttribute::Rfc822 => true,
        FetchAttribute::BodySection {
            section, partial, ..
        } => section.part.is_empty() && section.text.is_none() && partial.is_none(),
        _ => false,
    }
}

impl ImapConn {
    #[allow(
        clippy::too_many_arguments,
        reason = "the fields of ServerEvent::Fetch"
    )]
    pub(super) async fn fetch(
        &mut self,
        server: &mut Server,
        io: &mut Transport,
        account: &Account,
        token: Token,
        _uid_command: bool,
        uids: Vec<u32>,
        attributes: &FetchAttributes,
        modifiers: &[FetchModifier],
    ) {
        let Some(sel) = self.selected.as_mut() else {
            let _ = server.complete(token, no(None, "no folder selected"));
            return;
        };
        let attrs = attributes.expand();
        let mut changed_since = None;
        let mut vanished = false;
        for m in modifiers {
            match m {
                FetchModifier::ChangedSince(n) => changed_since = Some(*n),
                FetchModifier::Vanished => vanished = true,
                _ => {}
            }
        }
        if let (true, Some(since)) = (vanished, changed_since) {
            let known = server
                .selected()
                .map(|v| v.uids().to_vec())
                .unwrap_or_default();
            let gone: Vec<u32> = sel
                .view
                .vanished_since(since)
                .uids
                .into_iter()
                .filter(|&u| requested(&known, &uids, u))
                .collect();
            if let Some(uids) = number_set(&gone) {
                let _ = server.send_response(
                    token,
                    Response::Data(Data::Vanished {
                        earlier: true,
                        uids,
                    }),
                );
            }
        }
        let wanted: Vec<Message> = uids
            .iter()
            .filter_map(|&u| sel.view.by_uid(u))
            .filter(|m| changed_since.is_none_or(|since| m.modseq > since))
            .cloned()
            .collect();
        // Reading a body sets \Seen, and the new flags go with the answer.
        let mut seen_now = Vec::new();
        if !sel.read_only && attrs.iter().any(sets_seen) {
            let unseen: Vec<u32> = wanted
                .iter()
                .filter(|m| !m.flags.contains(store::Flag::Seen))
                .map(|m| m.uid)
                .collect();
            if !unseen.is_empty() {
                let (a, folder, set) = (account.clone(), sel.folder.clone(), unseen);
                let seen = Flags::new().with(store::Flag::Seen);
                match blocking(move || a.set_flags(&folder, &set, FlagOp::Add, &seen, None)).await {
                    Ok(update) => {
                        seen_now = update.changed.clone();
                        for (uid, flags, modseq) in &update.messages {
                            if let Ok(i) = sel.view.messages.binary_search_by_key(uid, |m| m.uid)
                                && let Some(m) = sel.view.messages.get_mut(i)
                            {
                                m.flags = flags.clone();
                                m.modseq = *modseq;
                            }
                        }
                    }
                    Err(e) => {
                        let _ = server.complete(token, store_error(&e));
                        return;
                    }
                }
            }
        }
        let content = attrs.iter().any(needs_content);
        let condstore = server.condstore_enabled() || changed_since.is_some();
        let mut ahead = VecDeque::new();
        let mut spare = Vec::new();
        let mut unflushed = 0;
        for (i, m) in wanted.iter().enumerate() {
            if content && ahead.is_empty() {
                read_ahead(account, &sel.folder, &wanted, i, &mut ahead, &mut spare).await;
            }
            let read = if content { ahead.pop_front() } else { None };
            let Some(m) = sel.view.by_uid(m.uid).cloned() else {
                continue;
            };
            let raw = match read {
                Some(read) => match read {
                    Ok(raw) => Some(raw),
                    // Expunged meanwhile by another session: its EXPUNGE is on the way.
                    Err(store::Error::NoSuchMessage) => continue,
                    Err(e) => {
                        self.log(&format!("cannot read message {}: {e}", m.uid));
                        let _ = server
                            .complete(token, no(Some(Code::ServerBug), "cannot read message"));
                        return;
                    }
                },
                None => None,
            };
            // The first whole-message item goes out as read, unless the message holds NUL
            // (which a literal cannot: octets() makes it 0x80).
            let mut stream_at = None;
            let streamable = raw.as_deref().is_some_and(|r| !has_nul(r));
            let raw_owned = raw;
            let raw = raw_owned.as_deref().unwrap_or_default();
            unflushed += raw.len();
            let summary = if attrs.iter().any(|a| {
                matches!(
                    a,
                    FetchAttribute::Envelope | FetchAttribute::Body | FetchAttribute::BodyStructure
                )
            }) {
                match sel.summary(m.uid) {
                    Some(s) => Some(s),
                    None => {
                        let s = Arc::new(mime::summary(raw));
                        sel.keep_summary(m.uid, s.clone());
                        Some(s)
                    }
                }
            } else {
                None
            };
            let mut items = Vec::with_capacity(attrs.len() + 2);
            let mut has_flags = false;
            let mut has_modseq = false;
            for attr in &attrs {
                match attr {
                    FetchAttribute::Flags => {
                        has_flags = true;
                        items.push(FetchItem::Flags(sel.flags_of(m.uid, &m.flags)));
                    }
                    FetchAttribute::Uid => items.push(FetchItem::Uid(m.uid)),
                    FetchAttribute::InternalDate => {
                        if let Some(d) = internal_date(m.internal_date) {
                            items.push(FetchItem::InternalDate(d));
                        }
                    }
                    FetchAttribute::Rfc822Size => items.push(FetchItem::Rfc822Size(m.size)),
                    FetchAttribute::ModSeq => {
                        has_modseq = true;
                        items.push(FetchItem::ModSeq(m.modseq));
                    }
                    FetchAttribute::Envelope => {
                        if let Some(s) = &summary {
                            items.push(FetchItem::Envelope(Box::new(s.envelope.clone())));
                        }
                    }
                    FetchAttribute::BodyStructure => {
                        if let Some(s) = &summary {
                            items.push(FetchItem::BodyStructure(Box::new(s.structure.clone())));
                        }
                    }
                    FetchAttribute::Body => {
                        if let Some(s) = &summary {
                            items.push(FetchItem::Body(Box::new(mime::without_extensions(
                                &s.structure,
                            ))));
                        }
                    }
                    FetchAttribute::Rfc822 if streamable && stream_at.is_none() => {
                        stream_at = Some(items.len());
                        let len = raw.len() as u64;
                        items.push(FetchItem::Rfc822(Payload::Streamed { len }));
                    }
                    FetchAttribute::Rfc822 => {
                        items.push(FetchItem::Rfc822(Payload::Data(octets(raw))));
                    }
                    FetchAttribute::Rfc822Header | FetchAttribute::Rfc822Text => {
                        let text = if matches!(attr, FetchAttribute::Rfc822Header) {
                            imap_proto::command::SectionText::Header
                        } else {
                            imap_proto::command::SectionText::Text
                        };
                        let section = Section {
                            part: Vec::new(),
                            text: Some(text),
                        };
                        let bytes = mime::section(raw, &section).unwrap_or_default();
                        let data = Payload::Data(octets(&bytes));
                        items.push(if matches!(attr, FetchAttribute::Rfc822Header) {
                            FetchItem::Rfc822Header(data)
                        } else {
                            FetchItem::Rfc822Text(data)
                        });
                    }
                    FetchAttribute::BodySection { section, .. }
                        if streamable && stream_at.is_none() && whole_message(attr) =>
                    {
                        stream_at = Some(items.len());
                        items.push(FetchItem::BodySection {
                            section: section.clone(),
                            origin: None,
                            data: Payload::Streamed {
                                len: raw.len() as u64,
                            },
                        });
                    }
                    FetchAttribute::BodySection {
                        section, partial, ..
                    } => {
                        let bytes = mime::section(raw, section).unwrap_or_default();
                        let (slice, origin) = partial_of(&bytes, *partial);
                        items.push(FetchItem::BodySection {
                            section: section.clone(),
                            origin,
                            data: Payload::Data(octets(slice)),
                        });
                    }
                    FetchAttribute::Binary { part, partial, .. } => match mime::binary(raw, part) {
                        Some(Ok(bytes)) => {
                            let (slice, origin) = partial_of(&bytes, *partial);
                            let data = Literal8::try_from(slice.to_vec())
                                .map(Payload::Data)
                                .unwrap_or(Payload::Nil);
                            items.push(FetchItem::Binary {
                                section: part.clone(),
                                origin,
                                data,
                            });
                        }
                        Some(Err(())) => {
                            let _ = server.complete(
                                token,
                                no(Some(Code::UnknownCte), "unknown transfer encoding"),
                            );
                            return;
                        }
                        None => items.push(FetchItem::Binary {
                            section: part.clone(),
                            origin: None,
                            data: Payload::Nil,
                        }),
                    },
                    FetchAttribute::BinarySize { part } => {
                        if let Some(Ok(bytes)) = mime::binary(raw, part) {
                            items.push(FetchItem::BinarySize {
                                section: part.clone(),
                                size: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
                            });
                        }
                    }
                    _ => {}
                }
            }
            if !has_flags && seen_now.contains(&m.uid) {
                items.push(FetchItem::Flags(sel.flags_of(m.uid, &m.flags)));
            }
            if condstore && !has_modseq && (has_flags || changed_since.is_some()) {
                items.push(FetchItem::ModSeq(m.modseq));
            }
            match stream_at {
                Some(at) => {
                    let after = items.split_off(at + 1);
                    let body = Bytes::from(raw_owned.unwrap_or_default());
                    let sent = server
                        .start_fetch(token, m.uid, items)
                        .and_then(|()| server.send_fetch_chunk(token, body.clone()))
                        .and_then(|()| server.end_fetch(token, after));
                    if let Err(e) = sent {
                        self.log(&format!("cannot send message {}: {e}", m.uid));
                        return;
                    }
                    // The machine copied it out: the buffer serves the next read.
                    if let Ok(body) = body.try_into_mut() {
                        spare.push(Vec::from(body));
                    }
                }
                None => {
                    let _ = server.send_fetch(token, m.uid, items);
                    spare.extend(raw_owned);
                }
            }
            if unflushed >= FLUSH_AT {
                unflushed = 0;
                if flush(io, server).await.is_err() {
                    // The connection is gone: the session loop finds out at its next write.
                    return;
                }
            }
        }
        let _ = server.accept(token);
    }
}
