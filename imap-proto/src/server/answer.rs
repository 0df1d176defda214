//! The application's answers: untagged data for a command, FETCH answers by UID, the opened
//! mailbox, SEARCH results, and the tagged status that finishes a command.

use bytes::BytesMut;

use super::event::{Completion, MailboxSnapshot};
use super::mailbox::uid_set;
use super::{Kind, Phase, Server, Token, View};
use crate::command::SearchReturnOption;
use crate::error::SendError;
use crate::response::{
    Code, Condition, Data, ESearch, ESearchItem, Fetch, FetchItem, Response, Status, StatusKind,
    Text, Thread,
};
use crate::state::State;
use crate::types::IString;

impl Server {
    /// Finishes the command with a tagged `OK` and the machine's text, applying what success
    /// means: LOGIN/AUTHENTICATE log in (the OK carries `[CAPABILITY ...]` with the list for
    /// the new state), SELECT/EXAMINE select (`[READ-WRITE]` or `[READ-ONLY]`; call
    /// [`Server::open_mailbox`] first), CLOSE closes the mailbox.
    pub fn accept(&mut self, token: Token) -> Result<(), SendError> {
        self.complete(token, Completion::ok())
    }

    /// Finishes the command with the application's tagged status (the machine adds the tag;
    /// an empty text gets the machine's). `OK` has the effects listed at [`Server::accept`];
    /// `NO` or `BAD` to LOGIN/AUTHENTICATE leaves the client unauthenticated, to SELECT leaves
    /// no mailbox selected (RFC 9051 §6.3.2).
    pub fn complete(&mut self, token: Token, completion: Completion) -> Result<(), SendError> {
        let index = self.slot_index(token)?;
        if let Some(Kind::Search { esearch, .. }) = self.slots.get(index).map(|s| &s.kind)
            && esearch
                .as_ref()
                .is_some_and(|o| o.contains(&SearchReturnOption::Save))
        {
            // RFC 5182 §2.1: a SAVE search that gives no result leaves `$` empty.
            self.saved.clear();
        }
        self.finish(token, completion)
    }

    /// [`Server::complete`] without the SEARCHRES reset (for [`Server::send_search`]).
    fn finish(&mut self, token: Token, completion: Completion) -> Result<(), SendError> {
        let index = self.slot_index(token)?;
        let Some(slot) = self.slots.get(index) else {
            return Err(SendError::UnknownToken(token.0));
        };
        let ok = completion.condition == Condition::Ok;
        let mut code = completion.code;
        match &slot.kind {
            Kind::Idle => return Err(SendError::WrongState("IDLE ends with the client's DONE")),
            Kind::SaslConfig | Kind::ScramCredentials if ok => {
                return Err(SendError::WrongState(
                    "answer with provide_sasl_config or provide_scram_credentials",
                ));
            }
            Kind::Select { read_only } if ok => {
                if !slot.opened {
                    return Err(SendError::WrongState(
                        "call open_mailbox before accepting SELECT",
                    ));
                }
                let read_only = *read_only || self.view.as_deref().is_some_and(View::is_read_only);
                code.get_or_insert(if read_only {
                    Code::ReadOnly
                } else {
                    Code::ReadWrite
                });
            }
            _ => {}
        }
        let kind = slot.kind.clone();
        let name = slot.name;
        let mut failed_login = false;
        match kind {
            Kind::Login | Kind::SaslConfig | Kind::ScramCredentials => {
                self.phase = Phase::Command;
                self.token_check = None;
                if ok {
                    self.login_succeeded();
                    // RFC 9051 §6.2.3: the capabilities change with login; send them.
                    code.get_or_insert_with(|| Code::Capability(self.capabilities()));
                } else {
                    failed_login = code != Some(Code::Unavailable);
                }
            }
            Kind::Unauthenticate if ok => {
                self.unauthenticated();
                // RFC 8437 §3: the capabilities are those of the not-authenticated state.
                code.get_or_insert_with(|| Code::Capability(self.capabilities()));
            }
            Kind::Select { .. } if ok => self.state = State::Selected,
            Kind::Select { .. } => self.deselect(),
            Kind::Close if ok => self.deselect(),
            _ => {}
        }
        let text = if completion.text.is_empty() {
            let word = match completion.condition {
                Condition::Ok => "completed",
                Condition::No => "failed",
                Condition::Bad => "refused",
            };
            super::text_of(&format!("{name} {word}"))
        } else {
            completion.text
        };
        self.write_status(token.0, completion.condition, code, text);
        if failed_login {
            // The error, if the budget is spent, comes from the next `poll_event`.
            let _ = self.count_auth_failure();
        }
        Ok(())
    }

    /// Finishes an application slot with a status the machine decided (an AUTHENTICATE the
    /// SASL machine refused, IDLE's end).
    pub(super) fn finish_slot(
        &mut self,
        token: u64,
        condition: Condition,
        code: Option<Code>,
        text: &str,
    ) {
        if matches!(self.phase, Phase::Auth(_) | Phase::AuthWait(_)) {
            self.phase = Phase::Command;
        }
        self.write_status(token, condition, code, super::text_of(text));
    }

    fn write_status(&mut self, token: u64, condition: Condition, code: Option<Code>, text: Text) {
        let Some(tag) = self
            .slots
            .iter()
            .find(|s| s.token == token)
            .and_then(|s| s.tag.clone())
        else {
            return;
        };
        let status = Status {
            kind: StatusKind::Tagged(tag, condition),
            code,
            text,
        };
        let bytes = self.encode(|e| status.encode(e));
        if let Some(slot) = self.slots.iter_mut().find(|s| s.token == token) {
            slot.status = Some(bytes);
        }
        self.flush();
    }

    /// Sends untagged data or an untagged status for the command `token` names (`* LIST`,
    /// `* STATUS`, `* NAMESPACE`, `* OK [COPYUID ...]`, `* VANISHED (EARLIER)` after
    /// [`Server::open_mailbox`] for QRESYNC, ...). It goes out in command order, before the
    /// command's tagged status. EXISTS, EXPUNGE and live VANISHED go through
    /// [`Server::push`], FETCH through [`Server::send_fetch`], the tagged status through
    /// [`Server::complete`]: those are refused here.
    pub fn send_response(&mut self, token: Token, response: Response) -> Result<(), SendError> {
        let index = self.slot_index(token)?;
        match &response {
            Response::Data(
                Data::Exists(_)
                | Data::Expunge(_)
                | Data::Recent(_)
                | Data::Vanished { earlier: false, .. },
            ) => {
                return Err(SendError::WrongState(
                    "push mailbox changes with Server::push",
                ));
            }
            Response::Data(Data::Fetch(_)) => {
                return Err(SendError::WrongState(
                    "send FETCH data with Server::send_fetch",
                ));
            }
            Response::Status(Status {
                kind: StatusKind::Untagged(_),
                ..
            })
            | Response::Data(_) => {}
            _ => {
                return Err(SendError::WrongState(
                    "finish a command with Server::complete",
                ));
            }
        }
        let bytes = self.encode(|e| response.encode(e));
        self.write_for(index, &bytes);
        Ok(())
    }

    /// Sends the FETCH data of one message for the command `token` names (a FETCH, a STORE
    /// that is not `.SILENT`, a QRESYNC SELECT). The machine writes the message number the
    /// client knows for `uid`, and adds the `UID` item for UID commands (RFC 9051 §6.4.9).
    pub fn send_fetch(
        &mut self,
        token: Token,
        uid: u32,
        mut items: Vec<FetchItem>,
    ) -> Result<(), SendError> {
        let index = self.slot_index(token)?;
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
        let bytes = self.encode(|e| response.encode(e));
        self.write_for(index, &bytes);
        Ok(())
    }

    /// Answers [`ServerEvent::Select`](super::ServerEvent::Select): writes the untagged
    /// responses of RFC 9051 §6.3.2 (`FLAGS`, `EXISTS`, `UIDVALIDITY`, `UIDNEXT`,
    /// `PERMANENTFLAGS`, `HIGHESTMODSEQ`, and for IMAP4rev1 clients `RECENT` and `UNSEEN`) and
    /// makes `snapshot.uids` the client's view. Finish with [`Server::accept`] (after any
    /// QRESYNC data).
    pub fn open_mailbox(
        &mut self,
        token: Token,
        snapshot: MailboxSnapshot,
    ) -> Result<(), SendError> {
        let index = self.slot_index(token)?;
        let Some(Kind::Select { read_only }) = self.slots.get(index).map(|s| s.kind.clone()) else {
            return Err(SendError::WrongState(
                "open_mailbox answers ServerEvent::Select",
            ));
        };
        if self.slots.get(index).is_some_and(|s| s.opened) {
            return Err(SendError::WrongState("the mailbox is open already"));
        }
        if snapshot.uids.windows(2).any(|w| w.first() >= w.last())
            || snapshot.uids.first() == Some(&0)
        {
            return Err(SendError::WrongState("uids must be non-zero and ascending"));
        }
        let view = View::new(snapshot.uids, read_only || snapshot.read_only);
        let mut data = vec![
            Response::Data(Data::Flags(snapshot.flags)),
            Response::Data(Data::Exists(view.len())),
        ];
        let rev1 = !self.enabled.rev2;
        if rev1 {
            data.push(Response::Data(Data::Recent(snapshot.recent)));
            if let Some(seq) = snapshot.first_unseen.and_then(|uid| view.seq(uid)) {
                data.push(untagged_ok(Code::Unseen(seq), "First unseen"));
            }
        }
        data.push(untagged_ok(
            Code::UidValidity(snapshot.uid_validity),
            "UIDs valid",
        ));
        data.push(untagged_ok(
            Code::UidNext(snapshot.uid_next),
            "Predicted next UID",
        ));
        let permanent = if view.is_read_only() {
            Vec::new()
        } else {
            snapshot.permanent_flags
        };
        data.push(untagged_ok(
            Code::PermanentFlags(permanent),
            "Flags permitted",
        ));
        if self.config.extensions.condstore {
            data.push(match snapshot.highest_modseq {
                Some(m) => untagged_ok(Code::HighestModSeq(m), "Highest"),
                None => untagged_ok(Code::NoModSeq, "No permanent modsequences"),
            });
        }
        let mut bytes = BytesMut::new();
        for response in &data {
            bytes.extend_from_slice(&self.encode(|e| response.encode(e)));
        }
        self.write_for(index, &bytes);
        self.view = Some(Box::new(view));
        self.state = State::Selected;
        if let Some(slot) = self.slots.get_mut(index) {
            slot.opened = true;
        }
        Ok(())
    }

    /// Answers [`ServerEvent::Search`](super::ServerEvent::Search) with the matching
    /// messages' UIDs (any order; those the client does not know are left out) and completes
    /// it: `* SEARCH` with message numbers or UIDs, or `* ESEARCH` with `MIN`, `MAX`, `COUNT`
    /// and `ALL` as the command's `RETURN` asked (RFC 4731). `modseq` is the highest
    /// mod-sequence of the matches when the search used `MODSEQ` (RFC 7162 §3.1.5).
    ///
    /// With `RETURN (SAVE)` (SEARCHRES, RFC 5182) the machine keeps the matches (or only
    /// `MIN`/`MAX` when those are all that was asked) as the result `$` names from now on,
    /// and sends no `* ESEARCH` when SAVE was the only option. Completing such a SEARCH any
    /// other way ([`Server::complete`]) empties `$`.
    pub fn send_search(
        &mut self,
        token: Token,
        uids: &[u32],
        modseq: Option<u64>,
    ) -> Result<(), SendError> {
        let index = self.slot_index(token)?;
        let Some(Kind::Search { uid, esearch }) = self.slots.get(index).map(|s| s.kind.clone())
        else {
            return Err(SendError::WrongState(
                "send_search answers ServerEvent::Search",
            ));
        };
        let view = self
            .view
            .as_ref()
            .ok_or(SendError::WrongState("no mailbox is selected"))?;
        let mut found: Vec<u32> = uids
            .iter()
            .copied()
            .filter(|&u| view.seq(u).is_some())
            .collect();
        found.sort_unstable();
        found.dedup();
        // UIDs and message numbers rise together, so both lists keep the same order.
        let numbers: Vec<u32> = if uid {
            found.clone()
        } else {
            found.iter().filter_map(|&u| view.seq(u)).collect()
        };
        let (data, saved) = match esearch {
            None => (Some(Data::Search { numbers, modseq }), None),
            Some(options) => {
                let tag = self
                    .slots
                    .get(index)
                    .and_then(|s| s.tag.as_ref())
                    .and_then(|t| IString::try_from(t.as_shared().clone()).ok());
                let has = |o: SearchReturnOption| options.contains(&o);
                let all = options.is_empty() || has(SearchReturnOption::All);
                let mut items = Vec::new();
                for option in &options {
                    match option {
                        SearchReturnOption::Min => {
                            items.extend(numbers.first().map(|&n| ESearchItem::Min(n)));
                        }
                        SearchReturnOption::Max => {
                            items.extend(numbers.last().map(|&n| ESearchItem::Max(n)));
                        }
                        SearchReturnOption::Count => items.push(ESearchItem::Count(
                            u32::try_from(numbers.len()).unwrap_or(u32::MAX),
                        )),
                        _ => {}
                    }
                }
                if all && let Some(set) = uid_set(&numbers) {
                    items.push(ESearchItem::All(set));
                }
                if let Some(m) = modseq.filter(|_| !numbers.is_empty()) {
                    items.push(ESearchItem::ModSeq(m));
                }
                // RFC 5182 §2.1: SAVE keeps all the matches, or only MIN and/or MAX when
                // those are all that was asked; SAVE alone gets no ESEARCH response.
                let saved = has(SearchReturnOption::Save).then(|| {
                    let ends_only = (has(SearchReturnOption::Min) || has(SearchReturnOption::Max))
                        && !all
                        && !has(SearchReturnOption::Count);
                    if !ends_only {
                        found.clone()
                    } else {
                        let mut ends = Vec::new();
                        if has(SearchReturnOption::Min) {
                            ends.extend(found.first());
                        }
                        if has(SearchReturnOption::Max) {
                            ends.extend(found.last());
                        }
                        ends.dedup();
                        ends
                    }
                });
                let only_save =
                    !options.is_empty() && options.iter().all(|o| *o == SearchReturnOption::Save);
                let data = (!only_save).then_some(Data::ESearch(ESearch { tag, uid, items }));
                (data, saved)
            }
        };
        if let Some(data) = data {
            self.send_response_unchecked(index, &Response::Data(data));
        }
        if let Some(saved) = saved {
            self.saved = saved;
        }
        self.finish(token, Completion::ok())
    }

    /// Answers [`ServerEvent::Sort`](super::ServerEvent::Sort) with the matching messages'
    /// UIDs in sort order (those the client does not know are left out, a repeated one
    /// counts once) and completes it: `* SORT` with message numbers, or UIDs for `UID SORT`
    /// (RFC 5256 §4). `modseq` is the highest mod-sequence of the matches when the search
    /// used `MODSEQ` (RFC 7162 §3.1.5).
    pub fn send_sort(
        &mut self,
        token: Token,
        uids: &[u32],
        modseq: Option<u64>,
    ) -> Result<(), SendError> {
        let index = self.slot_index(token)?;
        let Some(Kind::Sort { uid }) = self.slots.get(index).map(|s| s.kind.clone()) else {
            return Err(SendError::WrongState("send_sort answers ServerEvent::Sort"));
        };
        let view = self
            .view
            .as_ref()
            .ok_or(SendError::WrongState("no mailbox is selected"))?;
        let mut seen = std::collections::HashSet::with_capacity(uids.len());
        let numbers: Vec<u32> = uids
            .iter()
            .filter(|&&u| seen.insert(u))
            .filter_map(|&u| view.seq(u).map(|seq| if uid { u } else { seq }))
            .collect();
        let modseq = modseq.filter(|_| !numbers.is_empty());
        self.send_response_unchecked(index, &Response::Data(Data::Sort { numbers, modseq }));
        self.finish(token, Completion::ok())
    }

    /// Answers [`ServerEvent::Thread`](super::ServerEvent::Thread) with the threads as trees
    /// of UIDs ([`Thread`]: each thread's trunk, parent first, then its branches) and
    /// completes it: `* THREAD` with message numbers, or UIDs for `UID THREAD` (RFC 5256
    /// §4). Every UID must be one the client knows ([`SendError::UnknownUid`] otherwise,
    /// and nothing is sent).
    pub fn send_thread(&mut self, token: Token, threads: Vec<Thread>) -> Result<(), SendError> {
        let index = self.slot_index(token)?;
        let Some(Kind::Thread { uid }) = self.slots.get(index).map(|s| s.kind.clone()) else {
            return Err(SendError::WrongState(
                "send_thread answers ServerEvent::Thread",
            ));
        };
        let view = self
            .view
            .as_ref()
            .ok_or(SendError::WrongState("no mailbox is selected"))?;
        let threads = threads
            .into_iter()
            .map(|t| number_thread(view, t, uid))
            .collect::<Result<Vec<_>, _>>()?;
        self.send_response_unchecked(index, &Response::Data(Data::Thread(threads)));
        self.finish(token, Completion::ok())
    }

    fn send_response_unchecked(&mut self, index: usize, response: &Response) {
        let bytes = self.encode(|e| response.encode(e));
        self.write_for(index, &bytes);
    }
}

/// A thread of UIDs with the numbers the client uses (UIDs for `UID THREAD`), walked with a
/// stack rather than recursion.
fn number_thread(view: &View, mut thread: Thread, uid: bool) -> Result<Thread, SendError> {
    let mut stack: Vec<&mut Thread> = vec![&mut thread];
    while let Some(t) = stack.pop() {
        for member in &mut t.members {
            let seq = view
                .seq(*member)
                .ok_or(SendError::UnknownUid { uid: *member })?;
            if !uid {
                *member = seq;
            }
        }
        stack.extend(t.children.iter_mut());
    }
    Ok(thread)
}

fn untagged_ok(code: Code, text: &str) -> Response {
    Response::Status(Status {
        kind: StatusKind::Untagged(Condition::Ok),
        code: Some(code),
        text: super::text_of(text),
    })
}
