//! `imap-client`: list folders, read, append, move and flag messages, and wait for new mail
//! on an IMAP server.
//!
//! ```text
//! IMAP_PASSWORD=... imap-client --server localhost:2143 --ca mail-data/tls/cert.pem \
//!                   --user demo list
//! imap-client ... select INBOX
//! imap-client ... fetch INBOX 1:*                  # UID, size, flags, from, subject
//! imap-client ... fetch INBOX 7 --body > m.eml      # the message, byte for byte
//! imap-client ... append Drafts m.eml
//! imap-client ... move INBOX 7 Trash
//! imap-client ... flag INBOX 7 +\\Seen -\\Flagged
//! imap-client ... idle INBOX --once                  # wait for one change
//! ```
//!
//! Built on the Sans-IO `imap_proto::Client` with its mailbox-state tracker. TLS is required
//! by default (STARTTLS before the credentials); the usual implicit-TLS ports (993, 2993)
//! start TLS at once. The password comes from `$IMAP_PASSWORD`, and is never sent without
//! TLS unless `--dangerous-plaintext-auth` says so. UIDs, never sequence numbers, name
//! messages. Reading (`fetch`, `idle`) uses EXAMINE and `BODY.PEEK`, so it changes nothing on
//! the server. Results go to stdout (a fetched message byte for byte, or escaped on a
//! terminal), errors to stderr, peer text with control characters escaped. Exit status: see
//! [`examples::cli::Exit`].

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use examples::cli::{self, Exit, Failure};
use examples::client::{self, Connect};
use examples::display::{first_line, for_terminal, peer, safe};
use examples::driver::{Handler, Runner, TlsUpgrade};
use imap_proto::command::{
    AppendData, AppendMessage, CommandBody, FetchAttribute, FetchAttributes, ListMailbox,
    ListReturnOption, Section, SectionText, StoreAction, StoreItem,
};
use imap_proto::response::{Capability, Code, Condition, Data, Fetch, FetchItem, ListAttribute};
use imap_proto::types::{Flag, IString, Literal8, Mailbox, SeqSetOrSaved, SequenceSet, Tag};
use imap_proto::{Client, ClientConfig, ClientEvent, SendError, TlsMode};

const PROGRAM: &str = "imap-client";

const USAGE: &str = "\
usage: imap-client --server HOST[:PORT] --user NAME [OPTIONS] COMMAND";

const HELP: &str = "\
commands (messages are named by UID: 7, 3:9, 1,4, 5:*, 1:*):
  list                      the folders, with their attributes (\\Sent, \\Trash, ...)
  select FOLDER             the folder's state: exists, uidvalidity, uidnext, flags, ...
  fetch FOLDER UIDSET       one line per message: UID, size, flags, from, subject
        [--headers|--body]  or the header / the whole message, byte for byte, to stdout
  append FOLDER FILE        store the message in FILE; prints its new UID
  move FOLDER UIDSET DEST   move messages to the folder DEST; prints their new UIDs
  flag FOLDER UIDSET +FLAG|-FLAG...
                            add or remove flags (+\\Seen, -\\Flagged, +$Label); prints
                            the flags each message has afterwards
  idle FOLDER [--once]      print changes as they happen (exists, expunge, flags);
                            --once: stop after the first, printing the new UIDs
options:
  --tls MODE                required (default: STARTTLS before login),
                            implicit (TLS at once; the default on ports 993 and 2993),
                            dangerous-plaintext (never TLS; no password without the next flag)
  --dangerous-plaintext-auth
                            allow LOGIN or AUTHENTICATE without TLS (the password travels in clear)
  --ca FILE                 trust the certificates in FILE (for a self-signed server)
  --insecure                accept any certificate (still encrypted, not authenticated)
  --auth MECH               AUTHENTICATE with plain, login, cram-md5 or scram-sha-256
                            (default LOGIN, or PLAIN when the server disables LOGIN)
  --tls-timeout SECONDS     how long a TLS handshake may take (default 10)
  --greeting-timeout SECONDS
                            how long to wait for a plaintext greeting (default 10)
the password comes from $IMAP_PASSWORD; results go to stdout, errors to stderr.";

/// What `fetch` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// One summary line per message.
    Summary,
    /// `BODY.PEEK[HEADER]`, raw.
    Headers,
    /// `BODY.PEEK[]`, raw.
    Body,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    List,
    Select(Mailbox),
    Fetch {
        folder: Mailbox,
        uids: SequenceSet,
        part: Part,
    },
    Append {
        folder: Mailbox,
        file: PathBuf,
    },
    Move {
        folder: Mailbox,
        uids: SequenceSet,
        dest: Mailbox,
    },
    Flag {
        folder: Mailbox,
        uids: SequenceSet,
        add: Vec<Flag>,
        remove: Vec<Flag>,
    },
    Idle {
        folder: Mailbox,
        once: bool,
    },
}

#[derive(Debug)]
struct Args {
    server: String,
    user: String,
    auth: Option<String>,
    /// `None`: inferred from the port.
    tls: Option<TlsMode>,
    plaintext_auth: bool,
    ca: Option<PathBuf>,
    insecure: bool,
    tls_timeout: Duration,
    greeting_timeout: Duration,
    action: Action,
}

enum Parsed {
    Run(Box<Args>),
    Help,
}

fn folder(name: &str) -> Result<Mailbox, String> {
    Mailbox::from_utf8(name).map_err(|e| format!("bad folder name {}: {e}", safe(name)))
}

fn uid_set(s: &str) -> Result<SequenceSet, String> {
    SequenceSet::try_from(s).map_err(|_| {
        format!(
            "bad UID set {} (want UIDs and ranges like 7, 3:9, 1,4 or 5:*)",
            safe(s)
        )
    })
}

/// `+FLAG` or `-FLAG` words: the flags to add and to remove.
fn flag_changes(words: &[String]) -> Result<(Vec<Flag>, Vec<Flag>), String> {
    let (mut add, mut remove) = (Vec::new(), Vec::new());
    for word in words {
        let (list, name) = if let Some(name) = word.strip_prefix('+') {
            (&mut add, name)
        } else if let Some(name) = word.strip_prefix('-') {
            (&mut remove, name)
        } else {
            return Err(format!(
                "bad flag change {} (want +FLAG or -FLAG, e.g. +\\Seen)",
                safe(word)
            ));
        };
        let flag = Flag::try_from(name).map_err(|e| format!("bad flag {}: {e}", safe(name)))?;
        list.push(flag);
    }
    if add.is_empty() && remove.is_empty() {
        return Err("flag needs at least one +FLAG or -FLAG".to_owned());
    }
    Ok((add, remove))
}

fn parse_args() -> Result<Parsed, String> {
    let (mut server, mut user, mut tls, mut ca, mut insecure) = (None, None, None, None, false);
    let (mut tls_timeout, mut greeting_timeout) = (client::TLS_TIMEOUT, client::GREETING_TIMEOUT);
    let (mut plaintext_auth, mut once) = (false, false);
    let mut part = None;
    let mut auth = None;
    let mut words = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--server" => server = Some(value("--server")?),
            "--user" => user = Some(value("--user")?),
            "--auth" => auth = Some(value("--auth")?),
            "--tls" => {
                tls = Some(match value("--tls")?.as_str() {
                    "required" => TlsMode::Required,
                    "implicit" => TlsMode::Implicit,
                    "dangerous-plaintext" => TlsMode::DangerousPlaintext,
                    other => return Err(format!("unknown tls mode {}", safe(other))),
                })
            }
            "--dangerous-plaintext-auth" => plaintext_auth = true,
            "--ca" => ca = Some(PathBuf::from(value("--ca")?)),
            "--insecure" => insecure = true,
            "--tls-timeout" => tls_timeout = cli::seconds("--tls-timeout", &value(&arg)?)?,
            "--greeting-timeout" => {
                greeting_timeout = cli::seconds("--greeting-timeout", &value(&arg)?)?;
            }
            "--headers" | "--body" if part.is_some() => {
                return Err("--headers and --body exclude each other".to_owned());
            }
            "--headers" => part = Some(Part::Headers),
            "--body" => part = Some(Part::Body),
            "--once" => once = true,
            "-h" | "--help" => return Ok(Parsed::Help),
            // `-\Seen` is a flag change, not an option.
            _ if arg.starts_with("--") => return Err(format!("unknown flag {}", safe(&arg))),
            _ => words.push(arg),
        }
    }
    let action = match words.split_first() {
        Some((cmd, rest)) => match (cmd.as_str(), rest) {
            ("list", []) => Action::List,
            ("select", [f]) => Action::Select(folder(f)?),
            ("fetch", [f, uids]) => Action::Fetch {
                folder: folder(f)?,
                uids: uid_set(uids)?,
                part: part.take().unwrap_or(Part::Summary),
            },
            ("append", [f, file]) => Action::Append {
                folder: folder(f)?,
                file: PathBuf::from(file),
            },
            ("move", [f, uids, dest]) => Action::Move {
                folder: folder(f)?,
                uids: uid_set(uids)?,
                dest: folder(dest)?,
            },
            ("flag", [f, uids, changes @ ..]) if !changes.is_empty() => {
                let (add, remove) = flag_changes(changes)?;
                Action::Flag {
                    folder: folder(f)?,
                    uids: uid_set(uids)?,
                    add,
                    remove,
                }
            }
            ("idle", [f]) => Action::Idle {
                folder: folder(f)?,
                once: std::mem::take(&mut once),
            },
            _ => return Err(format!("bad command {}", safe(&words.join(" ")))),
        },
        None => return Err("no command".to_owned()),
    };
    if part.is_some() {
        return Err("--headers and --body go with fetch".to_owned());
    }
    if once {
        return Err("--once goes with idle".to_owned());
    }
    Ok(Parsed::Run(Box::new(Args {
        server: server.ok_or("--server is needed")?,
        user: user.ok_or("--user is needed")?,
        auth,
        tls,
        plaintext_auth,
        ca,
        insecure,
        tls_timeout,
        greeting_timeout,
        action,
    })))
}

/// What a command in flight is for: its `Completed` moves the script on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Login,
    List,
    /// SELECT or EXAMINE of the folder the action works in.
    Open,
    Fetch,
    Append,
    Move,
    /// MOVE without the MOVE extension: COPY, then STORE `\Deleted`, then UID EXPUNGE.
    Copy,
    MarkDeleted,
    UidExpunge,
    Store,
    /// The flags after a STORE.
    FetchFlags,
    Idle,
    /// The UIDs of the messages that arrived during IDLE.
    NewUids,
    Logout,
}

/// Logs in, runs the action, LOGOUTs.
struct Script {
    user: String,
    password: String,
    /// The SASL mechanism, or LOGIN.
    auth: Option<String>,
    action: Action,
    /// The message of `append`, read before connecting.
    message: Option<Vec<u8>>,
    pending: Vec<(Tag, Step)>,
    failure: Option<Failure>,
    logout_sent: bool,
    out: std::io::Stdout,
    /// Stdout is a terminal: message text is escaped, not written byte for byte.
    terminal: bool,
    /// Messages written by `fetch` (and changed by `flag`).
    messages: usize,
    /// A streamed literal is being written (a `fetch --headers/--body`).
    streaming: bool,
    /// COPYUID of a move: old UID, new UID.
    moved: Vec<(u32, u32)>,
    expunged: bool,
    /// `idle`: the message count when IDLE started, and whether a change ended it.
    idle_exists: u32,
    idle_tag: Option<Tag>,
    idle_change: bool,
}

/// A command to send, with what it is for.
type Sent = Result<Tag, SendError>;

fn fetch_body(part: Part) -> FetchAttribute {
    FetchAttribute::BodySection {
        peek: true,
        section: Section {
            part: Vec::new(),
            text: (part == Part::Headers).then_some(SectionText::Header),
        },
        partial: None,
    }
}

/// A flag or attribute name: IMAP atoms hold no control characters, so one prints as it
/// is (`\Seen`, not `\\Seen`) unless the server sent something unsafe after all.
fn atom_text(text: &str) -> String {
    if text.chars().any(examples::display::is_unsafe) {
        safe(text)
    } else {
        text.to_owned()
    }
}

fn flag_list(flags: &[impl std::fmt::Display]) -> String {
    flags
        .iter()
        .map(|f| atom_text(&f.to_string()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn attribute(a: &ListAttribute) -> String {
    let name = match a {
        ListAttribute::NoInferiors => "Noinferiors",
        ListAttribute::NoSelect => "Noselect",
        ListAttribute::Marked => "Marked",
        ListAttribute::Unmarked => "Unmarked",
        ListAttribute::HasChildren => "HasChildren",
        ListAttribute::HasNoChildren => "HasNoChildren",
        ListAttribute::NonExistent => "NonExistent",
        ListAttribute::Subscribed => "Subscribed",
        ListAttribute::Remote => "Remote",
        ListAttribute::All => "All",
        ListAttribute::Archive => "Archive",
        ListAttribute::Drafts => "Drafts",
        ListAttribute::Flagged => "Flagged",
        ListAttribute::Junk => "Junk",
        ListAttribute::Sent => "Sent",
        ListAttribute::Trash => "Trash",
        ListAttribute::Important => "Important",
        ListAttribute::Extension(atom) => {
            return format!("\\{}", atom_text(&String::from_utf8_lossy(atom.as_bytes())));
        }
        _ => "?",
    };
    format!("\\{name}")
}

/// The first address of an envelope list as `mailbox@host`.
fn address(list: &[imap_proto::response::Address]) -> String {
    list.first()
        .map(|a| {
            let mailbox = a.mailbox.as_bytes().unwrap_or_default();
            match a.host.as_bytes() {
                Some(host) => format!("{}@{}", peer(mailbox), peer(host)),
                None => peer(mailbox),
            }
        })
        .unwrap_or_default()
}

/// A `*`-free UID set, or the set as it is (for messages).
fn uid_text(set: &SequenceSet) -> String {
    set.to_string()
}

impl Script {
    fn send(&mut self, client: &mut Client, step: Step, sent: Sent) {
        match sent {
            Ok(tag) => self.pending.push((tag, step)),
            Err(SendError::PlaintextCredentials) => self.fail(client, cli::plaintext_refusal()),
            Err(SendError::NotOffered(what)) => {
                let why = format!("the server does not offer {what}");
                self.fail(client, Failure::new(Exit::Unavailable, why));
            }
            Err(e) => {
                let why = format!("{step:?}: {}", safe(&e.to_string()));
                self.fail(client, Failure::new(Exit::Unavailable, why));
            }
        }
    }

    fn fail(&mut self, client: &mut Client, why: Failure) {
        if self.failure.is_some() {
            return;
        }
        self.failure = Some(why);
        if self.idle_tag.is_some() {
            let _ = client.idle_done();
        }
        self.logout(client);
    }

    fn logout(&mut self, client: &mut Client) {
        if !self.logout_sent {
            self.logout_sent = true;
            if let Ok(tag) = client.logout() {
                self.pending.push((tag, Step::Logout));
            }
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        let _ = if self.terminal {
            self.out.write_all(for_terminal(bytes).as_bytes())
        } else {
            self.out.write_all(bytes)
        };
    }

    fn line(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}");
    }

    fn login(&mut self, client: &mut Client) {
        let sent = match self.auth.as_deref() {
            None if client.has_capability(&Capability::LoginDisabled) => {
                self.authenticate(client, "plain")
            }
            None => client.login(&self.user, &self.password),
            Some(mechanism) => {
                let mechanism = mechanism.to_owned();
                self.authenticate(client, &mechanism)
            }
        };
        self.send(client, Step::Login, sent);
    }

    fn authenticate(&mut self, client: &mut Client, mechanism: &str) -> Sent {
        match examples::auth::sasl_client(mechanism, &self.user, self.password.clone()) {
            Ok(sasl) => client.authenticate(sasl),
            Err(e) => {
                let why = format!("--auth: {}", safe(&e));
                self.fail(client, Failure::new(Exit::Usage, why));
                Err(SendError::Closed)
            }
        }
    }

    /// Logged in: the action's first command.
    fn start(&mut self, client: &mut Client) {
        match self.action.clone() {
            Action::List => {
                // LIST-EXTENDED with SPECIAL-USE names Sent, Trash, ... even where the
                // basic LIST leaves them out.
                let special = client.has_capability(&Capability::SpecialUse)
                    && client.has_capability(&Capability::ListExtended);
                let sent = ListMailbox::try_from("*")
                    .map_err(SendError::from)
                    .and_then(|pattern| {
                        client.send_command(CommandBody::List {
                            selection: Vec::new(),
                            reference: Mailbox::try_from("")?,
                            patterns: vec![pattern],
                            return_options: if special {
                                vec![ListReturnOption::SpecialUse]
                            } else {
                                Vec::new()
                            },
                        })
                    });
                self.send(client, Step::List, sent);
            }
            Action::Append { folder, .. } => {
                let data = self.message.take().unwrap_or_default();
                // A message with NUL octets goes as a literal8 where BINARY allows it.
                let data = if data.contains(&0) && client.has_capability(&Capability::Binary) {
                    Literal8::try_from(data)
                        .map(AppendData::Literal8)
                        .map_err(SendError::from)
                } else {
                    IString::try_from(data)
                        .map(AppendData::Literal)
                        .map_err(SendError::from)
                };
                let sent = data.and_then(|data| {
                    client.send_command(CommandBody::Append {
                        mailbox: folder,
                        messages: vec![AppendMessage {
                            flags: Vec::new(),
                            date: None,
                            data,
                        }],
                    })
                });
                self.send(client, Step::Append, sent);
            }
            Action::Select(folder) | Action::Move { folder, .. } | Action::Flag { folder, .. } => {
                let sent = client.select(folder);
                self.send(client, Step::Open, sent);
            }
            Action::Fetch { folder, .. } | Action::Idle { folder, .. } => {
                let sent = client.examine(folder);
                self.send(client, Step::Open, sent);
            }
        }
    }

    /// The folder is open: the action's command in it.
    fn opened(&mut self, client: &mut Client) {
        match self.action.clone() {
            Action::Select(folder) => {
                self.print_state(client, &folder);
                self.logout(client);
            }
            Action::Fetch { uids, part, .. } => {
                let attributes = match part {
                    Part::Summary => vec![
                        FetchAttribute::Uid,
                        FetchAttribute::Rfc822Size,
                        FetchAttribute::Flags,
                        FetchAttribute::Envelope,
                    ],
                    _ => vec![FetchAttribute::Uid, fetch_body(part)],
                };
                let sent = client.send_command(CommandBody::Fetch {
                    uid: true,
                    set: uids.into(),
                    attributes: FetchAttributes::List(attributes),
                    modifiers: Vec::new(),
                });
                self.send(client, Step::Fetch, sent);
            }
            Action::Move { uids, dest, .. } => {
                if client.has_capability(&Capability::Move) {
                    let sent = client.send_command(CommandBody::Move {
                        uid: true,
                        set: uids.into(),
                        mailbox: dest,
                    });
                    self.send(client, Step::Move, sent);
                } else if client.has_capability(&Capability::UidPlus) {
                    let sent = client.send_command(CommandBody::Copy {
                        uid: true,
                        set: uids.into(),
                        mailbox: dest,
                    });
                    self.send(client, Step::Copy, sent);
                } else {
                    let why = "the server offers neither MOVE nor UIDPLUS (UID EXPUNGE): \
                               a move could expunge other deleted messages";
                    self.fail(client, Failure::new(Exit::Unavailable, why));
                }
            }
            Action::Flag {
                uids, add, remove, ..
            } => {
                for (action, flags) in [(StoreAction::Add, add), (StoreAction::Remove, remove)] {
                    if flags.is_empty() {
                        continue;
                    }
                    let sent = client.send_command(CommandBody::Store {
                        uid: true,
                        set: uids.clone().into(),
                        unchanged_since: None,
                        action,
                        silent: true,
                        item: StoreItem::Flags(flags),
                    });
                    self.send(client, Step::Store, sent);
                }
            }
            Action::Idle { .. } => self.idle(client),
            Action::List | Action::Append { .. } => self.logout(client),
        }
    }

    fn idle(&mut self, client: &mut Client) {
        self.idle_exists = client.mailbox().map_or(0, |m| m.exists());
        match client.idle() {
            Ok(tag) => {
                self.idle_tag = Some(tag.clone());
                self.pending.push((tag, Step::Idle));
            }
            Err(e) => self.send(client, Step::Idle, Err(e)),
        }
    }

    /// The tracker's view of the selected folder, one `name value` line each.
    fn print_state(&mut self, client: &Client, folder: &Mailbox) {
        let Some(m) = client.mailbox() else {
            return;
        };
        let mut lines = vec![
            format!("folder {}", safe(&folder.to_string())),
            format!("exists {}", m.exists()),
            format!("recent {}", m.recent()),
        ];
        if let Some(v) = m.uid_validity() {
            lines.push(format!("uidvalidity {v}"));
        }
        if let Some(n) = m.uid_next() {
            lines.push(format!("uidnext {n}"));
        }
        if let Some(n) = m.first_unseen() {
            lines.push(format!("unseen {n}"));
        }
        if let Some(n) = m.highest_modseq() {
            lines.push(format!("highestmodseq {n}"));
        }
        lines.push(format!("flags {}", flag_list(m.flags())));
        if let Some(p) = m.permanent_flags() {
            lines.push(format!("permanentflags {}", flag_list(p)));
        }
        let access = if client.is_read_only() {
            "read-only"
        } else {
            "read-write"
        };
        lines.push(format!("access {access}"));
        for l in lines {
            self.line(&l);
        }
    }

    /// A command completed OK: the next one.
    fn next(&mut self, client: &mut Client, step: Step, code: Option<Code>) {
        match step {
            Step::Login => self.start(client),
            Step::Open => self.opened(client),
            Step::List => self.logout(client),
            Step::Append => {
                match code {
                    Some(Code::AppendUid { uid_validity, uids }) => {
                        let line = format!("appended uid {} uidvalidity {uid_validity}", uids);
                        self.line(&line);
                    }
                    _ => self.line("appended"),
                }
                self.logout(client);
            }
            Step::Fetch => {
                let part = match &self.action {
                    Action::Fetch { part, .. } => *part,
                    _ => Part::Summary,
                };
                if self.messages == 0 && part != Part::Summary {
                    let uids = match &self.action {
                        Action::Fetch { uids, .. } => uid_text(uids),
                        _ => String::new(),
                    };
                    let why = format!("no message with UID {uids} in this folder");
                    self.fail(client, Failure::new(Exit::Unavailable, why));
                } else {
                    self.logout(client);
                }
            }
            Step::Move | Step::UidExpunge => self.moved(client, code),
            Step::Copy => {
                if let Some(Code::CopyUid {
                    source,
                    destination,
                    ..
                }) = &code
                {
                    self.copyuid(source, destination);
                }
                if let Action::Move { uids, .. } = &self.action {
                    let sent = client.send_command(CommandBody::Store {
                        uid: true,
                        set: uids.clone().into(),
                        unchanged_since: None,
                        action: StoreAction::Add,
                        silent: true,
                        item: StoreItem::Flags(vec![Flag::Deleted]),
                    });
                    self.send(client, Step::MarkDeleted, sent);
                }
            }
            Step::MarkDeleted => {
                if let Action::Move { uids, .. } = &self.action {
                    let set = SeqSetOrSaved::from(uids.clone());
                    let sent = client.send_command(CommandBody::UidExpunge(set));
                    self.send(client, Step::UidExpunge, sent);
                }
            }
            Step::Store => {
                if self.pending.iter().any(|(_, s)| *s == Step::Store) {
                    return;
                }
                if let Action::Flag { uids, .. } = &self.action {
                    let sent = client.send_command(CommandBody::Fetch {
                        uid: true,
                        set: uids.clone().into(),
                        attributes: FetchAttributes::List(vec![
                            FetchAttribute::Uid,
                            FetchAttribute::Flags,
                        ]),
                        modifiers: Vec::new(),
                    });
                    self.send(client, Step::FetchFlags, sent);
                }
            }
            Step::FetchFlags => {
                if self.messages == 0 {
                    let uids = match &self.action {
                        Action::Flag { uids, .. } => uid_text(uids),
                        _ => String::new(),
                    };
                    let why = format!("no message with UID {uids} in this folder");
                    self.fail(client, Failure::new(Exit::Unavailable, why));
                } else {
                    self.logout(client);
                }
            }
            Step::Idle => {
                self.idle_tag = None;
                if !self.idle_change {
                    // The client's own refresh (RFC 2177: before the server's autologout).
                    self.idle(client);
                    return;
                }
                let exists = client.mailbox().map_or(0, |m| m.exists());
                if exists > self.idle_exists {
                    // Sequence numbers past the old count are the new messages.
                    let set = format!("{}:*", self.idle_exists + 1);
                    let sent = SeqSetOrSaved::try_from(set.as_str())
                        .map_err(SendError::from)
                        .and_then(|set| {
                            client.send_command(CommandBody::Fetch {
                                uid: false,
                                set,
                                attributes: FetchAttributes::List(vec![FetchAttribute::Uid]),
                                modifiers: Vec::new(),
                            })
                        });
                    self.send(client, Step::NewUids, sent);
                } else {
                    self.logout(client);
                }
            }
            Step::NewUids => {
                let from = self.idle_exists + 1;
                let new: Vec<u32> = client
                    .mailbox()
                    .map(|m| (from..=m.exists()).filter_map(|seq| m.uid(seq)).collect())
                    .unwrap_or_default();
                for uid in new {
                    self.line(&format!("new uid {uid}"));
                }
                self.logout(client);
            }
            Step::Logout => {}
        }
    }

    fn copyuid(&mut self, source: &SequenceSet, destination: &SequenceSet) {
        self.moved
            .extend(source.iter(u32::MAX).zip(destination.iter(u32::MAX)));
    }

    fn moved(&mut self, client: &mut Client, code: Option<Code>) {
        if let Some(Code::CopyUid {
            source,
            destination,
            ..
        }) = &code
        {
            self.copyuid(source, destination);
        }
        if self.moved.is_empty() && !self.expunged {
            let uids = match &self.action {
                Action::Move { uids, .. } => uid_text(uids),
                _ => String::new(),
            };
            let why = format!("nothing moved: no message with UID {uids} in this folder");
            self.fail(client, Failure::new(Exit::Unavailable, why));
            return;
        }
        let moved = std::mem::take(&mut self.moved);
        if moved.is_empty() {
            self.line("moved");
        }
        for (old, new) in moved {
            self.line(&format!("moved uid {old} to uid {new}"));
        }
        self.logout(client);
    }

    fn on_fetch(&mut self, client: &mut Client, fetch: &Fetch) {
        let Some(uid) = fetch
            .uid()
            .or_else(|| client.mailbox().and_then(|m| m.uid(fetch.seq)))
        else {
            return;
        };
        match &self.action {
            Action::Fetch {
                part: Part::Summary,
                ..
            } => {
                let mut size = None;
                let (mut flags, mut from, mut subject) = (String::new(), String::new(), None);
                for item in &fetch.items {
                    match item {
                        FetchItem::Rfc822Size(n) => size = Some(*n),
                        FetchItem::Flags(f) => flags = flag_list(f),
                        FetchItem::Envelope(e) => {
                            from = address(&e.from);
                            subject = Some(peer(e.subject.as_bytes().unwrap_or_default()));
                        }
                        _ => {}
                    }
                }
                // Unsolicited FETCH (another session's flag change) carries no size.
                if let Some(size) = size {
                    self.messages += 1;
                    let subject = subject.unwrap_or_default();
                    self.line(&format!("{uid}\t{size}\t{flags}\t{from}\t{subject}"));
                }
            }
            Action::Fetch { .. } => {
                for item in &fetch.items {
                    if let FetchItem::BodySection { data, .. } = item {
                        self.messages += 1;
                        if let Some(bytes) = data.data() {
                            let bytes = bytes.as_bytes().to_vec();
                            self.write(&bytes);
                        }
                    }
                }
            }
            Action::Flag { .. } if self.pending.iter().any(|(_, s)| *s == Step::FetchFlags) => {
                for item in &fetch.items {
                    if let FetchItem::Flags(f) = item {
                        self.messages += 1;
                        let line = format!("{uid}\t{}", flag_list(f));
                        self.line(&line);
                    }
                }
            }
            _ => {}
        }
    }

    /// Untagged data while IDLE runs: print it; with `--once`, the first change ends it.
    fn on_idle_data(&mut self, client: &mut Client, data: &Data) {
        let line = match data {
            Data::Exists(n) if *n > self.idle_exists => format!("exists {n}"),
            Data::Expunge(seq) => format!("expunge {seq}"),
            Data::Vanished {
                earlier: false,
                uids,
            } => format!("vanished uid {uids}"),
            Data::Fetch(f) => {
                let flags = f.items.iter().find_map(|i| match i {
                    FetchItem::Flags(f) => Some(flag_list(f)),
                    _ => None,
                });
                let Some(flags) = flags else {
                    return;
                };
                match f.uid() {
                    Some(uid) => format!("flags {} uid {uid} {flags}", f.seq),
                    None => format!("flags {} {flags}", f.seq),
                }
            }
            _ => return,
        };
        self.line(&line);
        let _ = self.out.flush();
        if let Action::Idle { once: true, .. } = self.action
            && !self.idle_change
        {
            self.idle_change = true;
            let _ = client.idle_done();
        }
    }

    fn completed(
        &mut self,
        client: &mut Client,
        tag: &Tag,
        command: &str,
        condition: Condition,
        code: Option<Code>,
        text: &[u8],
    ) {
        let Some(index) = self.pending.iter().position(|(t, _)| t == tag) else {
            return;
        };
        let (_, step) = self.pending.remove(index);
        if condition == Condition::Ok {
            if self.failure.is_none() {
                self.next(client, step, code);
            }
            return;
        }
        if step == Step::Logout {
            return;
        }
        let exit = match (&code, step) {
            (
                Some(
                    Code::Unavailable
                    | Code::InUse
                    | Code::ServerBug
                    | Code::Limit
                    | Code::ExpungeIssued,
                ),
                _,
            ) => Exit::TempFail,
            (_, Step::Login) => Exit::NoPerm,
            _ => Exit::Unavailable,
        };
        let code = code
            .map(|c| format!("[{}] ", code_name(&c)))
            .unwrap_or_default();
        let condition = match condition {
            Condition::No => "NO",
            Condition::Bad => "BAD",
            _ => "OK",
        };
        let why = format!(
            "{command} refused: {condition} {}{}",
            safe(&code),
            peer(text)
        );
        self.fail(client, Failure::new(exit, why));
    }
}

/// A response code's name, for error messages.
fn code_name(code: &Code) -> String {
    let debug = format!("{code:?}");
    let name: String = debug
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    name.to_ascii_uppercase()
}

impl Handler<Client> for Script {
    async fn on_event(&mut self, client: &mut Client, event: ClientEvent) {
        match event {
            ClientEvent::Ready { preauth } => {
                if preauth {
                    self.start(client);
                } else {
                    self.login(client);
                }
            }
            ClientEvent::Data(data) => {
                match &data {
                    Data::List(list) if self.pending.iter().any(|(_, s)| *s == Step::List) => {
                        let name = safe(&list.mailbox.to_string());
                        let attrs: Vec<String> = list.attributes.iter().map(attribute).collect();
                        self.line(&format!("{name}\t{}", attrs.join(" ")));
                    }
                    Data::Expunge(_) | Data::Vanished { earlier: false, .. } => {
                        self.expunged = true;
                    }
                    _ => {}
                }
                if self.idle_tag.is_some() {
                    self.on_idle_data(client, &data);
                } else if let Data::Fetch(fetch) = &data {
                    self.on_fetch(client, fetch);
                }
            }
            ClientEvent::LiteralStart { .. } => {
                self.streaming = matches!(
                    self.action,
                    Action::Fetch {
                        part: Part::Headers | Part::Body,
                        ..
                    }
                );
            }
            ClientEvent::LiteralChunk(bytes) if self.streaming => self.write(&bytes),
            ClientEvent::LiteralEnd => self.streaming = false,
            ClientEvent::Idling { .. } => {
                if let Action::Idle { folder, .. } = &self.action {
                    let line = format!(
                        "idling in {} with {} messages",
                        safe(&folder.to_string()),
                        self.idle_exists
                    );
                    self.line(&line);
                    let _ = self.out.flush();
                }
            }
            ClientEvent::Status(status) => match &status.code {
                Some(Code::Alert) => {
                    eprintln!("{PROGRAM}: server alert: {}", peer(status.text.as_bytes()));
                }
                // MOVE sends COPYUID in an untagged OK, before the expunges (RFC 6851 §4.3).
                Some(Code::CopyUid {
                    source,
                    destination,
                    ..
                }) if self.pending.iter().any(|(_, s)| *s == Step::Move) => {
                    self.copyuid(source, destination);
                }
                _ => {}
            },
            ClientEvent::Bye(status) if !self.logout_sent && self.failure.is_none() => {
                let why = format!(
                    "the server closed the session: {}",
                    peer(status.text.as_bytes())
                );
                self.failure = Some(Failure::new(Exit::TempFail, why));
            }
            ClientEvent::AuthCancelled { error, .. } => {
                let why = format!("authentication cancelled: {}", safe(&error.to_string()));
                self.fail(client, Failure::new(Exit::NoPerm, why));
            }
            ClientEvent::Completed {
                tag,
                command,
                condition,
                code,
                text,
            } => self.completed(client, &tag, command, condition, code, text.as_bytes()),
            _ => {}
        }
    }
}

/// Why an IMAP session failed, for stderr. `first` is what the server sent first.
fn imap_failure(e: imap_proto::Error, host: &str, greeted: bool, first: &[u8]) -> Failure {
    use imap_proto::Error as E;
    let text = safe(&e.to_string());
    match e {
        E::BadResponse(_) | E::Framing(_) | E::UnexpectedResponse(_)
            if !greeted && !first.starts_with(b"* ") =>
        {
            Failure::new(
                Exit::Protocol,
                format!(
                    "{host}'s greeting is not an IMAP greeting: \"{}\"",
                    first_line(first, 120)
                ),
            )
        }
        E::Rejected { .. } => Failure::new(Exit::Unavailable, format!("{host}: {text}")),
        E::TlsUnavailable { .. } => Failure::new(
            Exit::Unavailable,
            format!("{host}: {text}\nif the port expects TLS at once, use --tls implicit"),
        ),
        E::Timeout { .. } | E::UnexpectedEof { .. } => {
            Failure::new(Exit::TempFail, format!("{host}: {text}"))
        }
        E::Sasl(_) => Failure::new(Exit::NoPerm, format!("{host}: {text}")),
        _ => Failure::new(Exit::Protocol, format!("{host}: {text}")),
    }
}

async fn run(args: Args) -> Exit {
    let usage = |m: String| Failure::new(Exit::Usage, m).report(PROGRAM);
    let default_port = match args.tls {
        Some(TlsMode::Implicit) => 993,
        _ => 143,
    };
    let (host, port) = match cli::host_port(&args.server, default_port) {
        Ok(hp) => hp,
        Err(e) => return usage(safe(&e)),
    };
    let tls = args.tls.unwrap_or(if cli::implies_tls(port) {
        TlsMode::Implicit
    } else {
        TlsMode::Required
    });
    if tls == TlsMode::DangerousPlaintext && !args.plaintext_auth {
        return cli::plaintext_refusal().report(PROGRAM);
    }
    let Ok(password) = std::env::var("IMAP_PASSWORD") else {
        return usage("put the password in $IMAP_PASSWORD".to_owned());
    };
    let message = match &args.action {
        Action::Append { file, .. } => match std::fs::read(file) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                let why = format!("{}: {e}", safe(&file.display().to_string()));
                return Failure::new(Exit::NoInput, why).report(PROGRAM);
            }
        },
        _ => None,
    };
    let (connector, name) = match client::tls_for_host(&host, args.ca.as_deref(), args.insecure) {
        Ok(set_up) => set_up,
        Err(f) => return f.report(PROGRAM),
    };
    let addr = match client::resolve(&host, port).await {
        Ok(a) => a,
        Err(f) => return f.report(PROGRAM),
    };
    let conn = match client::connect(&Connect {
        host: &host,
        addr,
        implicit_tls: tls == TlsMode::Implicit,
        connector: &connector,
        name: name.clone(),
        tls_timeout: args.tls_timeout,
        greeting_timeout: args.greeting_timeout,
        ca: args.ca.as_deref(),
    })
    .await
    {
        Ok(c) => c,
        Err(f) => return f.report(PROGRAM),
    };
    let mut config = ClientConfig::new(tls).with_tracking(true);
    config.tls_timeout = args.tls_timeout;
    let mut client = Client::new(config, std::time::Instant::now());
    let mut script = Script {
        user: args.user,
        password,
        auth: args.auth,
        action: args.action,
        message,
        pending: Vec::new(),
        failure: None,
        logout_sent: false,
        out: std::io::stdout(),
        terminal: std::io::stdout().is_terminal(),
        messages: 0,
        streaming: false,
        moved: Vec::new(),
        expunged: false,
        idle_exists: 0,
        idle_tag: None,
        idle_change: false,
    };
    let upgrade = TlsUpgrade::Client(connector, name);
    let mut runner = Runner::new(args.tls_timeout, 512);
    let ended = runner
        .run(conn, &mut client, &mut script, Some(&upgrade))
        .await;
    let _ = script.out.flush();
    if let Some(failure) = script.failure {
        return failure.report(PROGRAM);
    }
    match ended {
        Ok(()) if script.logout_sent => Exit::Ok,
        Ok(()) => {
            Failure::new(Exit::TempFail, format!("{host}: session ended early")).report(PROGRAM)
        }
        // The server may close right after its BYE and the tagged OK to LOGOUT.
        Err(examples::driver::DriverError::Eof) if script.logout_sent => Exit::Ok,
        Err(e) => {
            let greeted = client.greeting().is_some();
            client::driver_failure(e, &host, args.ca.as_deref(), |e| {
                imap_failure(e, &host, greeted, runner.first_input())
            })
            .report(PROGRAM)
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match parse_args() {
        Ok(Parsed::Run(args)) => run(*args).await.into(),
        Ok(Parsed::Help) => {
            println!("{USAGE}\n{HELP}\n{}", cli::EXIT_CODES);
            ExitCode::SUCCESS
        }
        Err(why) => cli::usage_error(PROGRAM, &why, USAGE),
    }
}
