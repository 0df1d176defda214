//! The command grammar (RFC 9051 §9 and the extension RFCs named above each rule).
//!
//! The command name is matched once, upper-cased into a small stack buffer; every command's
//! arguments are then parsed by a function that quotes its ABNF. SEARCH keys live in
//! [`super::search`], FETCH attributes in [`super::fetch_attr`].

use std::num::NonZeroU64;

use super::fetch_attr::{fetch_attributes, fetch_modifiers};
use super::primitives::{
    Streamable, astring, atom, atom_raw, byte, close_paren, crlf, date_time, flag, flag_list,
    keyword, literal_streamable, literal8_streamable, mailbox, nil, nstring, number, number64,
    nz_number, open_paren, paren_list, quoted, seq_set_or_saved, sp, string, tag,
};
use super::search::{search_keys, search_return_opts};
use super::{Cx, Nest, PResult, fail, syntax};
use crate::command::shared::Token;
use crate::command::{
    AppendData, AppendMessage, Command, CommandBody, ListMailbox, ListReturnOption,
    ListSelectOption, MetadataDepth, MetadataValue, QResync, SelectParams, SortCriterion, SortKey,
    SpecialUse, StatusAttribute, StoreAction, StoreItem,
};
use crate::error::ParseErrorKind;
use crate::types::string::class;
use crate::types::{AString, Atom, IString};

/// Longest command or keyword name matched through [`upper`].
const NAME_MAX: usize = 24;

/// `name` upper-cased into `buf`; `None` when longer than [`NAME_MAX`] (no keyword is).
#[inline]
pub(crate) fn upper<'b>(name: &[u8], buf: &'b mut [u8; NAME_MAX]) -> Option<&'b [u8]> {
    let out = buf.get_mut(..name.len())?;
    for (o, &b) in out.iter_mut().zip(name) {
        *o = b.to_ascii_uppercase();
    }
    Some(out)
}

/// `SP` followed by another item: `Some(after the spaces)`. `None` at the end of the line or
/// of a list, so that a trailing space (lenient `extra_spaces`) is left to [`crlf`] or
/// [`close_paren`], which accept or reject it.
#[inline]
pub(crate) fn sp_more<'a>(cx: &Cx<'_>, i: &'a [u8]) -> Option<&'a [u8]> {
    let (rest, ()) = sp(cx, i).ok()?;
    match rest.first() {
        None | Some(b'\r' | b'\n' | b')') => None,
        Some(_) => Some(rest),
    }
}

/// ```abnf
/// command = tag SP (command-any / command-auth / command-nonauth /
///           command-select) CRLF
/// ```
///
/// The whole unit must be one command.
pub(crate) fn command<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Command> {
    let (i, tag) = tag(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, body) = command_body(cx, i)?;
    let (i, ()) = crlf(cx, i)?;
    Ok((i, Command { tag, body }))
}

/// ```abnf
/// command-any      = "CAPABILITY" / "LOGOUT" / "NOOP" / enable / x-command / id
/// command-auth     = append / create / delete / examine / list / namespace-command /
///                    rename / select / status / subscribe / unsubscribe / idle /
///                    getquota / getquotaroot / setquota / getmetadata / setmetadata
/// command-nonauth  = login / authenticate / "STARTTLS"
/// command-select   = "CLOSE" / "UNSELECT" / "EXPUNGE" / copy / move / fetch / store /
///                    search / sort / thread / "UID" SP (copy / move / fetch / search /
///                    store / uid-expunge / sort / thread)
/// ```
fn command_body<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, CommandBody> {
    let (rest, name) = atom_raw(i)?;
    let mut buf = [0u8; NAME_MAX];
    let Some(up) = upper(name, &mut buf) else {
        return other(cx, i, name, rest);
    };
    let simple = |body| Ok((rest, body));
    match up {
        b"CAPABILITY" => simple(CommandBody::Capability),
        b"NOOP" => simple(CommandBody::Noop),
        b"LOGOUT" => simple(CommandBody::Logout),
        b"STARTTLS" => simple(CommandBody::StartTls),
        b"NAMESPACE" => simple(CommandBody::Namespace),
        b"IDLE" => simple(CommandBody::Idle),
        b"UNSELECT" => simple(CommandBody::Unselect),
        b"UNAUTHENTICATE" => simple(CommandBody::Unauthenticate),
        b"CHECK" => simple(CommandBody::Check),
        b"CLOSE" => simple(CommandBody::Close),
        b"EXPUNGE" => simple(CommandBody::Expunge),
        b"AUTHENTICATE" => authenticate(cx, rest),
        b"LOGIN" => login(cx, rest),
        b"SELECT" => {
            let (r, (mailbox, params)) = select(cx, rest)?;
            Ok((r, CommandBody::Select { mailbox, params }))
        }
        b"EXAMINE" => {
            let (r, (mailbox, params)) = select(cx, rest)?;
            Ok((r, CommandBody::Examine { mailbox, params }))
        }
        b"CREATE" => create(cx, rest),
        b"DELETE" => one_mailbox(cx, rest, CommandBody::Delete),
        b"SUBSCRIBE" => one_mailbox(cx, rest, CommandBody::Subscribe),
        b"UNSUBSCRIBE" => one_mailbox(cx, rest, CommandBody::Unsubscribe),
        b"GETQUOTAROOT" => one_mailbox(cx, rest, CommandBody::GetQuotaRoot),
        b"RENAME" => rename_cmd(cx, rest),
        b"LIST" => list(cx, rest),
        b"LSUB" => lsub(cx, rest),
        b"STATUS" => status(cx, rest),
        b"APPEND" => append(cx, rest),
        b"ENABLE" => enable(cx, rest),
        b"ID" => id(cx, rest),
        b"GETQUOTA" => {
            let (r, ()) = sp(cx, rest)?;
            let (r, root) = astring(cx, r)?;
            Ok((r, CommandBody::GetQuota(root)))
        }
        b"SETQUOTA" => setquota(cx, rest),
        b"GETMETADATA" => getmetadata(cx, rest),
        b"SETMETADATA" => setmetadata(cx, rest),
        b"COMPRESS" => {
            let (r, ()) = sp(cx, rest)?;
            let (r, algorithm) = atom(cx, r)?;
            Ok((r, CommandBody::Compress { algorithm }))
        }
        b"UID" => uid_command(cx, rest),
        _ => match selected(cx, up, rest, false) {
            Some(res) => res,
            None => other(cx, i, name, rest),
        },
    }
}

/// The commands with a `UID` form; `None` when `up` is none of them.
fn selected<'a>(
    cx: &Cx<'_>,
    up: &[u8],
    rest: &'a [u8],
    uid: bool,
) -> Option<PResult<'a, CommandBody>> {
    Some(match up {
        b"FETCH" => fetch(cx, rest, uid),
        b"STORE" => store(cx, rest, uid),
        b"SEARCH" => search(cx, rest, uid),
        b"COPY" => copy_move(cx, rest, uid, false),
        b"MOVE" => copy_move(cx, rest, uid, true),
        b"SORT" => sort(cx, rest, uid),
        b"THREAD" => thread(cx, rest, uid),
        _ => return None,
    })
}

/// ```abnf
/// uid         = "UID" SP (copy / move / fetch / search / store / uid-expunge)
/// uid-expunge = "EXPUNGE" SP sequence-set          ; RFC 4315, RFC 9051
/// ```
/// (`sort` and `thread` from RFC 5256 too.)
fn uid_command<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, CommandBody> {
    let (i, ()) = sp(cx, i)?;
    let (rest, name) = atom_raw(i)?;
    let mut buf = [0u8; NAME_MAX];
    let up = upper(name, &mut buf).unwrap_or_default();
    if up == b"EXPUNGE" {
        let (r, ()) = sp(cx, rest)?;
        let (r, set) = seq_set_or_saved(cx, r)?;
        return Ok((r, CommandBody::UidExpunge(set)));
    }
    match selected(cx, up, rest, true) {
        Some(res) => res,
        None => syntax(i, "uid"),
    }
}

/// ```abnf
/// x-command = "X" atom <experimental command arguments>
/// ```
/// and any other unknown command: the arguments as tokens, up to the line end.
fn other<'a>(
    cx: &Cx<'_>,
    start: &'a [u8],
    name: &'a [u8],
    mut i: &'a [u8],
) -> PResult<'a, CommandBody> {
    if name.is_empty() {
        return syntax(start, "command");
    }
    let name = Atom::from_checked(cx.slice(name));
    let mut args = Vec::new();
    while let Some(r) = sp_more(cx, i) {
        let (r, t) = token(cx, r)?;
        args.push(t);
        i = r;
    }
    Ok((i, CommandBody::Other { name, args }))
}

/// A generic token (the arguments of an unknown command).
///
/// ```abnf
/// token = atom-like / string / literal8 / "(" [token *(SP token)] ")"
/// atom-like = 1*<any CHAR except SP, CTL, "(", ")", DQUOTE, "{">
/// ```
pub(crate) fn token<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Token> {
    match i.first() {
        Some(b'(') => {
            let (r, list) = paren_list(cx, i, |i| token(cx, i))?;
            Ok((r, Token::List(list)))
        }
        Some(b'"') => {
            let (r, s) = quoted(cx, i)?;
            Ok((r, Token::String(s)))
        }
        Some(b'{') | Some(b'~') if i.first() == Some(&b'{') || i.get(1) == Some(&b'{') => {
            match literal8_streamable(cx, i)? {
                (r, Streamable::Value(v)) if i.first() == Some(&b'~') => {
                    Ok((r, Token::Literal8(v)))
                }
                (r, Streamable::Value(v)) => match IString::try_from(v.into_bytes()) {
                    Ok(s) => Ok((r, Token::String(s))),
                    Err(e) => fail(i, "token", ParseErrorKind::InvalidValue(e)),
                },
                (_, Streamable::Streamed { .. }) => syntax(i, "token"),
            }
        }
        _ => {
            let n = i
                .iter()
                .position(|&b| b <= b' ' || b >= 0x7f || matches!(b, b'(' | b')' | b'"' | b'{'))
                .unwrap_or(i.len());
            if n == 0 {
                return syntax(i, "token");
            }
            let (a, r) = i.split_at(n);
            Ok((r, Token::Atom(cx.slice(a))))
        }
    }
}

/// ```abnf
/// authenticate = "AUTHENTICATE" SP auth-type [SP initial-resp]
/// auth-type    = atom
/// initial-resp = (base64 / "=")                     ; RFC 4959
/// ```
fn authenticate<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, CommandBody> {
    let (i, ()) = sp(cx, i)?;
    let (mut i, mechanism) = atom(cx, i)?;
    let mut initial_response = None;
    if let Some(r) = sp_more(cx, i) {
        let n = r
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')))
            .unwrap_or(r.len());
        let (text, after) = r.split_at(n);
        let data = if text == b"=" {
            Vec::new()
        } else {
            match mail_sansio::sasl::wire::decode_base64(text, usize::MAX) {
                Ok(d) if !text.is_empty() => d,
                // The offending octet is never shown: it may be part of a password.
                _ => return fail(r, "initial-resp", ParseErrorKind::Syntax),
            }
        };
        initial_response = Some(mail_sansio::Secret::new(data));
        i = after;
    }
    Ok((
        i,
        CommandBody::Authenticate {
            mechanism,
            initial_response,
        },
    ))
}

/// ```abnf
/// login    = "LOGIN" SP userid SP password
/// userid   = astring
/// password = astring
/// ```
fn login<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, CommandBody> {
    let (i, ()) = sp(cx, i)?;
    let (i, username) = astring(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, password) = astring(cx, i)?;
    Ok((
        i,
        CommandBody::Login {
            username,
            password: mail_sansio::Secret::new(password),
        },
    ))
}

/// `SP mailbox`, for the commands whose only argument is a mailbox.
fn one_mailbox<'a>(
    cx: &Cx<'_>,
    i: &'a [u8],
    make: fn(crate::types::Mailbox) -> CommandBody,
) -> PResult<'a, CommandBody> {
    let (i, ()) = sp(cx, i)?;
    let (i, m) = mailbox(cx, i)?;
    Ok((i, make(m)))
}

/// ```abnf
/// select        = "SELECT" SP mailbox [select-params]
/// examine       = "EXAMINE" SP mailbox [select-params]
/// select-params = SP "(" select-param *(SP select-param) ")"       ; RFC 4466
/// select-param  = "CONDSTORE" / "QRESYNC" SP "(" uidvalidity SP
///                 mod-sequence-value [SP known-uids]
///                 [SP seq-match-data] ")"                           ; RFC 7162
/// seq-match-data = "(" known-sequence-set SP known-uid-set ")"
/// ```
fn select<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, (crate::types::Mailbox, SelectParams)> {
    let (i, ()) = sp(cx, i)?;
    let (i, m) = mailbox(cx, i)?;
    let mut params = SelectParams::default();
    let Some(r) = sp_more(cx, i) else {
        return Ok((i, (m, params)));
    };
    let (r, ()) = open_paren(r)?;
    let _depth = cx.nest(Nest::List, r)?;
    let mut r = r;
    loop {
        let (after, name) = atom_raw(r)?;
        let mut buf = [0u8; NAME_MAX];
        match upper(name, &mut buf).unwrap_or_default() {
            b"CONDSTORE" => {
                params.condstore = true;
                r = after;
            }
            b"QRESYNC" => {
                let (after, q) = qresync(cx, after)?;
                params.qresync = Some(q);
                r = after;
            }
            _ => return syntax(r, "select-param"),
        }
        if let Ok((after, ())) = close_paren(cx, r) {
            return Ok((after, (m, params)));
        }
        let (after, ()) = sp(cx, r)?;
        r = after;
    }
}

/// The `SP "(" uidvalidity SP mod-sequence-value ...` of `QRESYNC` (RFC 7162 §3.2.5).
fn qresync<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, QResync> {
    let (i, ()) = sp(cx, i)?;
    let (i, ()) = open_paren(i)?;
    let (i, uid_validity) = nz_number(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, mod_seq) = nz_mod_seq(cx, i)?;
    let mut q = QResync {
        uid_validity,
        mod_seq,
        known_uids: None,
        seq_match: None,
    };
    let mut i = i;
    if let Some(r) = sp_more(cx, i)
        && r.first() != Some(&b'(')
    {
        let (r, set) = seq_set_or_saved(cx, r)?;
        q.known_uids = Some(set);
        i = r;
    }
    if let Some(r) = sp_more(cx, i) {
        let (r, ()) = open_paren(r)?;
        let (r, seqs) = seq_set_or_saved(cx, r)?;
        let (r, ()) = sp(cx, r)?;
        let (r, uids) = seq_set_or_saved(cx, r)?;
        let (r, ()) = close_paren(cx, r)?;
        q.seq_match = Some((seqs, uids));
        i = r;
    }
    let (i, ()) = close_paren(cx, i)?;
    Ok((i, q))
}

/// `mod-sequence-value = 1*DIGIT` (RFC 7162), positive.
fn nz_mod_seq<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, NonZeroU64> {
    let (r, n) = number64(cx, i)?;
    match NonZeroU64::new(n) {
        Some(n) => Ok((r, n)),
        None => fail(i, "mod-sequence-value", ParseErrorKind::Zero),
    }
}

/// ```abnf
/// create        = "CREATE" SP mailbox [create-params]                 ; RFC 4466
/// create-params = SP "(" create-param *(SP create-param) ")"
/// create-param  =/ "USE" SP "(" [use-attr *(SP use-attr)] ")"         ; RFC 6154
/// use-attr      = "\All" / "\Archive" / "\Drafts" / "\Flagged" / "\Junk" /
///                 "\Sent" / "\Trash" / use-attr-ext
/// use-attr-ext  = "\" atom
/// ```
fn create<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, CommandBody> {
    let (i, ()) = sp(cx, i)?;
    let (i, m) = mailbox(cx, i)?;
    let mut special_use = Vec::new();
    let Some(r) = sp_more(cx, i) else {
        return Ok((
            i,
            CommandBody::Create {
                mailbox: m,
                special_use,
            },
        ));
    };
    let (r, params) = paren_list(cx, r, |p| {
        let (p, ()) = keyword(p, "USE").map_err(|e| e.map(|e| rename(e, "create-param")))?;
        let (p, ()) = sp(cx, p)?;
        paren_list(cx, p, |u| use_attr(cx, u))
    })?;
    if params.is_empty() {
        return syntax(r, "create-params");
    }
    for p in params {
        special_use.extend(p);
    }
    Ok((
        r,
        CommandBody::Create {
            mailbox: m,
            special_use,
        },
    ))
}

/// Names the rule of an error.
fn rename<'a>(mut e: super::PErr<'a>, rule: &'static str) -> super::PErr<'a> {
    e.rule = rule;
    e
}

/// `use-attr` (RFC 6154 §6).
fn use_attr<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, SpecialUse> {
    let (i, ()) = byte(i, b'\\', "use-attr")?;
    let (r, name) = atom(cx, i)?;
    let mut buf = [0u8; NAME_MAX];
    let u = match upper(name.as_bytes(), &mut buf).unwrap_or_default() {
        b"ALL" => SpecialUse::All,
        b"ARCHIVE" => SpecialUse::Archive,
        b"DRAFTS" => SpecialUse::Drafts,
        b"FLAGGED" => SpecialUse::Flagged,
        b"JUNK" => SpecialUse::Junk,
        b"SENT" => SpecialUse::Sent,
        b"TRASH" => SpecialUse::Trash,
        _ => SpecialUse::Other(name),
    };
    Ok((r, u))
}

/// ```abnf
/// rename = "RENAME" SP mailbox SP mailbox
/// ```
fn rename_cmd<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, CommandBody> {
    let (i, ()) = sp(cx, i)?;
    let (i, from) = mailbox(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, to) = mailbox(cx, i)?;
    Ok((i, CommandBody::Rename { from, to }))
}

/// ```abnf
/// list             = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat
///                    [SP list-return-opts]                               ; RFC 5258
/// list-select-opts = "(" [list-select-option *(SP list-select-option)] ")"
/// mbox-or-pat      = list-mailbox / patterns
/// patterns         = "(" list-mailbox *(SP list-mailbox) ")"
/// list-return-opts = "RETURN" SP "(" [return-option *(SP return-option)] ")"
/// ```
fn list<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, CommandBody> {
    let (mut i, ()) = sp(cx, i)?;
    let mut selection = Vec::new();
    if i.first() == Some(&b'(') {
        let (r, s) = paren_list(cx, i, |o| list_select_option(cx, o))?;
        selection = s;
        let (r, ()) = sp(cx, r)?;
        i = r;
    }
    let (i, reference) = mailbox(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (mut i, patterns) = if i.first() == Some(&b'(') {
        let (r, p) = paren_list(cx, i, |p| list_mailbox(cx, p))?;
        if p.is_empty() {
            return syntax(i, "patterns");
        }
        (r, p)
    } else {
        let (r, p) = list_mailbox(cx, i)?;
        (r, vec![p])
    };
    let mut return_options = Vec::new();
    if let Some(r) = sp_more(cx, i) {
        let (r, ()) = keyword(r, "RETURN").map_err(|e| e.map(|e| rename(e, "list-return-opts")))?;
        let (r, ()) = sp(cx, r)?;
        let (r, opts) = paren_list(cx, r, |o| list_return_option(cx, o))?;
        return_options = opts;
        i = r;
    }
    Ok((
        i,
        CommandBody::List {
            selection,
            reference,
            patterns,
            return_options,
        },
    ))
}

/// ```abnf
/// list-select-option = "SUBSCRIBED" / "REMOTE" / "RECURSIVEMATCH" /
///                      "SPECIAL-USE" / option-extension
/// ```
fn list_select_option<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, ListSelectOption> {
    let (r, a) = atom(cx, i)?;
    let mut buf = [0u8; NAME_MAX];
    Ok((
        r,
        match upper(a.as_bytes(), &mut buf).unwrap_or_default() {
            b"SUBSCRIBED" => ListSelectOption::Subscribed,
            b"REMOTE" => ListSelectOption::Remote,
            b"RECURSIVEMATCH" => ListSelectOption::RecursiveMatch,
            b"SPECIAL-USE" => ListSelectOption::SpecialUse,
            _ => ListSelectOption::Other(a),
        },
    ))
}

/// ```abnf
/// return-option = "SUBSCRIBED" / "CHILDREN" / "SPECIAL-USE" /
///                 "STATUS" SP "(" status-att *(SP status-att) ")" /   ; RFC 5819
///                 option-extension
/// ```
fn list_return_option<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, ListReturnOption> {
    let (r, a) = atom(cx, i)?;
    let mut buf = [0u8; NAME_MAX];
    Ok(match upper(a.as_bytes(), &mut buf).unwrap_or_default() {
        b"SUBSCRIBED" => (r, ListReturnOption::Subscribed),
        b"CHILDREN" => (r, ListReturnOption::Children),
        b"SPECIAL-USE" => (r, ListReturnOption::SpecialUse),
        b"STATUS" => {
            let (r, ()) = sp(cx, r)?;
            let (r, items) = status_atts(cx, r)?;
            (r, ListReturnOption::Status(items))
        }
        _ => (r, ListReturnOption::Other(a)),
    })
}

/// ```abnf
/// list-mailbox = 1*list-char / string
/// list-char    = ATOM-CHAR / list-wildcards / resp-specials
/// ```
pub(crate) fn list_mailbox<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, ListMailbox> {
    match i.first() {
        Some(b'"' | b'{') => {
            let (r, s) = string(cx, i)?;
            Ok((r, ListMailbox::from(s)))
        }
        _ => {
            let n = class::span(i, class::LIST);
            if n == 0 {
                return syntax(i, "list-mailbox");
            }
            let (a, r) = i.split_at(n);
            Ok((r, ListMailbox::from(IString::from_checked(cx.slice(a)))))
        }
    }
}

/// ```abnf
/// lsub = "LSUB" SP mailbox SP list-mailbox              ; RFC 3501
/// ```
fn lsub<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, CommandBody> {
    let (i, ()) = sp(cx, i)?;
    let (i, reference) = mailbox(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, pattern) = list_mailbox(cx, i)?;
    Ok((i, CommandBody::Lsub { reference, pattern }))
}

/// ```abnf
/// status = "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")"
/// ```
fn status<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, CommandBody> {
    let (i, ()) = sp(cx, i)?;
    let (i, m) = mailbox(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, items) = status_atts(cx, i)?;
    Ok((i, CommandBody::Status { mailbox: m, items }))
}

/// `"(" status-att *(SP status-att) ")"`, non-empty.
fn status_atts<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Vec<StatusAttribute>> {
    let (r, items) = paren_list(cx, i, |a| status_att(cx, a))?;
    if items.is_empty() {
        return syntax(i, "status-att");
    }
    Ok((r, items))
}

/// ```abnf
/// status-att = "MESSAGES" / "UIDNEXT" / "UIDVALIDITY" / "UNSEEN" / "DELETED" /
///              "SIZE" / "RECENT" / "HIGHESTMODSEQ" / "APPENDLIMIT" / "MAILBOXID" /
///              "DELETED-STORAGE"
/// ```
fn status_att<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, StatusAttribute> {
    let (r, a) = atom(cx, i)?;
    let mut buf = [0u8; NAME_MAX];
    Ok((
        r,
        match upper(a.as_bytes(), &mut buf).unwrap_or_default() {
            b"MESSAGES" => StatusAttribute::Messages,
            b"RECENT" => StatusAttribute::Recent,
            b"UIDNEXT" => StatusAttribute::UidNext,
            b"UIDVALIDITY" => StatusAttribute::UidValidity,
            b"UNSEEN" => StatusAttribute::Unseen,
            b"DELETED" => StatusAttribute::Deleted,
            b"SIZE" => StatusAttribute::Size,
            b"HIGHESTMODSEQ" => StatusAttribute::HighestModSeq,
            b"APPENDLIMIT" => StatusAttribute::AppendLimit,
            b"MAILBOXID" => StatusAttribute::MailboxId,
            b"DELETED-STORAGE" => StatusAttribute::DeletedStorage,
            _ => StatusAttribute::Other(a),
        },
    ))
}

/// ```abnf
/// append         = "APPEND" SP mailbox 1*append-message               ; RFC 3502
/// append-message = append-opts SP append-data
/// append-opts    = [SP flag-list] [SP date-time] *(SP append-ext)
/// append-data    = literal / literal8 / append-data-ext              ; RFC 3516
/// ```
fn append<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, CommandBody> {
    let (i, ()) = sp(cx, i)?;
    let (mut i, m) = mailbox(cx, i)?;
    let mut messages = Vec::new();
    loop {
        let (mut r, ()) = sp(cx, i)?;
        let mut flags = Vec::new();
        let mut date = None;
        if r.first() == Some(&b'(') {
            let (after, f) = flag_list(cx, r)?;
            let (after, ()) = sp(cx, after)?;
            flags = f;
            r = after;
        }
        if r.first() == Some(&b'"') {
            let (after, d) = date_time(cx, r)?;
            let (after, ()) = sp(cx, after)?;
            date = Some(d);
            r = after;
        }
        let (after, data) = append_data(cx, r)?;
        messages.push(AppendMessage { flags, date, data });
        i = after;
        match sp_more(cx, i).and_then(|r| r.first()) {
            Some(b'(' | b'"' | b'{' | b'~') => {}
            _ => {
                return Ok((
                    i,
                    CommandBody::Append {
                        mailbox: m,
                        messages,
                    },
                ));
            }
        }
    }
}

/// `append-data = literal / literal8`.
fn append_data<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, AppendData> {
    if i.first() == Some(&b'~') {
        let (r, v) = literal8_streamable(cx, i)?;
        return Ok((
            r,
            match v {
                Streamable::Value(l) => AppendData::Literal8(l),
                Streamable::Streamed { len, binary } => AppendData::Streamed { len, binary },
            },
        ));
    }
    let (r, v) = literal_streamable(cx, i).map_err(|e| e.map(|e| rename(e, "append-data")))?;
    Ok((
        r,
        match v {
            Streamable::Value(s) => AppendData::Literal(s),
            Streamable::Streamed { len, binary } => AppendData::Streamed { len, binary },
        },
    ))
}

/// ```abnf
/// enable = "ENABLE" 1*(SP capability)                    ; RFC 5161
/// ```
fn enable<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, CommandBody> {
    let (mut i, ()) = sp(cx, i)?;
    let mut caps = Vec::new();
    loop {
        let (r, a) = atom(cx, i)?;
        caps.push(a);
        match sp_more(cx, r) {
            Some(after) => i = after,
            None => return Ok((r, CommandBody::Enable(caps))),
        }
    }
}

/// ```abnf
/// id             = "ID" SP id-params-list                ; RFC 2971
/// id-params-list = "(" *(string SP nstring) ")" / nil
/// ```
fn id<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, CommandBody> {
    let (i, ()) = sp(cx, i)?;
    if let Ok((r, ())) = nil(i) {
        return Ok((r, CommandBody::Id(None)));
    }
    let (r, pairs) = paren_list(cx, i, |p| {
        let (p, k) = string(cx, p)?;
        let (p, ()) = sp(cx, p)?;
        let (p, v) = nstring(cx, p)?;
        Ok((p, (k, v)))
    })?;
    Ok((r, CommandBody::Id(Some(pairs))))
}

/// ```abnf
/// setquota          = "SETQUOTA" SP quota-root-name SP setquota-list   ; RFC 9208
/// setquota-list     = "(" [setquota-resource *(SP setquota-resource)] ")"
/// setquota-resource = resource-name SP resource-limit-number
/// ```
fn setquota<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, CommandBody> {
    let (i, ()) = sp(cx, i)?;
    let (i, root) = astring(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, limits) = paren_list(cx, i, |p| {
        let (p, name) = atom(cx, p)?;
        let (p, ()) = sp(cx, p)?;
        let (p, n) = number64(cx, p)?;
        Ok((p, (name, n)))
    })?;
    Ok((i, CommandBody::SetQuota { root, limits }))
}

/// ```abnf
/// getmetadata         = "GETMETADATA" [SP getmetadata-options] SP mailbox SP entries
/// getmetadata-options = "(" getmetadata-option *(SP getmetadata-option) ")"
/// getmetadata-option  = maxsize-opt / scope-opt
/// maxsize-opt         = "MAXSIZE" SP number
/// scope-opt           = "DEPTH" SP ("0" / "1" / "infinity")
/// entries             = entry / "(" entry *(SP entry) ")"
/// ```
fn getmetadata<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, CommandBody> {
    let (mut i, ()) = sp(cx, i)?;
    let mut max_size = None;
    let mut depth = None;
    if i.first() == Some(&b'(') {
        let (r, opts) = paren_list(cx, i, |o| {
            let (o, name) = atom_raw(o)?;
            let mut buf = [0u8; NAME_MAX];
            match upper(name, &mut buf).unwrap_or_default() {
                b"MAXSIZE" => {
                    let (o, ()) = sp(cx, o)?;
                    let (o, n) = number(cx, o)?;
                    Ok((o, (Some(n), None)))
                }
                b"DEPTH" => {
                    let (o, ()) = sp(cx, o)?;
                    let (after, v) = atom_raw(o)?;
                    let d = match v {
                        b"0" => MetadataDepth::Zero,
                        b"1" => MetadataDepth::One,
                        v if v.eq_ignore_ascii_case(b"infinity") => MetadataDepth::Infinity,
                        _ => return syntax(o, "scope-opt"),
                    };
                    Ok((after, (None, Some(d))))
                }
                _ => syntax(o, "getmetadata-option"),
            }
        })?;
        if opts.is_empty() {
            return syntax(i, "getmetadata-options");
        }
        for (m, d) in opts {
            max_size = m.or(max_size);
            depth = d.or(depth);
        }
        let (r, ()) = sp(cx, r)?;
        i = r;
    }
    let (i, m) = mailbox(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, entries) = if i.first() == Some(&b'(') {
        let (r, e) = paren_list(cx, i, |e| astring(cx, e))?;
        if e.is_empty() {
            return syntax(i, "entries");
        }
        (r, e)
    } else {
        let (r, e) = astring(cx, i)?;
        (r, vec![e])
    };
    Ok((
        i,
        CommandBody::GetMetadata {
            max_size,
            depth,
            mailbox: m,
            entries,
        },
    ))
}

/// ```abnf
/// setmetadata  = "SETMETADATA" SP mailbox SP entry-values      ; RFC 5464
/// entry-values = "(" entry-value *(SP entry-value) ")"
/// entry-value  = entry SP value
/// value        = nstring / literal8
/// ```
fn setmetadata<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, CommandBody> {
    let (i, ()) = sp(cx, i)?;
    let (i, m) = mailbox(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (r, entries) = paren_list(cx, i, |e| {
        let (e, name) = astring(cx, e)?;
        let (e, ()) = sp(cx, e)?;
        if e.first() == Some(&b'~') {
            let (e, v) = literal8_streamable(cx, e)?;
            match v {
                Streamable::Value(l) => Ok((e, (name, MetadataValue::Literal8(l)))),
                Streamable::Streamed { .. } => syntax(e, "value"),
            }
        } else {
            let (e, v) = nstring(cx, e)?;
            Ok((e, (name, MetadataValue::String(v))))
        }
    })?;
    if entries.is_empty() {
        return syntax(i, "entry-values");
    }
    Ok((
        r,
        CommandBody::SetMetadata {
            mailbox: m,
            entries,
        },
    ))
}

/// ```abnf
/// fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" /
///         fetch-att / "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers]
/// ```
fn fetch<'a>(cx: &Cx<'_>, i: &'a [u8], uid: bool) -> PResult<'a, CommandBody> {
    let (i, ()) = sp(cx, i)?;
    let (i, set) = seq_set_or_saved(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, attributes) = fetch_attributes(cx, i)?;
    let (i, modifiers) = fetch_modifiers(cx, i)?;
    Ok((
        i,
        CommandBody::Fetch {
            uid,
            set,
            attributes,
            modifiers,
        },
    ))
}

/// ```abnf
/// store           = "STORE" SP sequence-set [store-modifiers] SP store-att-flags
/// store-modifiers = SP "(" store-modifier *(SP store-modifier) ")"      ; RFC 4466
/// store-modifier  =/ "UNCHANGEDSINCE" SP mod-sequence-valzer            ; RFC 7162
/// store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP
///                   (flag-list / (flag *(SP flag)))
/// ```
/// and Gmail's `[+-]X-GM-LABELS[.SILENT] SP (label-list / label *(SP label))`.
fn store<'a>(cx: &Cx<'_>, i: &'a [u8], uid: bool) -> PResult<'a, CommandBody> {
    let (i, ()) = sp(cx, i)?;
    let (i, set) = seq_set_or_saved(cx, i)?;
    let (mut i, ()) = sp(cx, i)?;
    let mut unchanged_since = None;
    if i.first() == Some(&b'(') {
        let (r, mods) = paren_list(cx, i, |m| {
            let (m, ()) =
                keyword(m, "UNCHANGEDSINCE").map_err(|e| e.map(|e| rename(e, "store-modifier")))?;
            let (m, ()) = sp(cx, m)?;
            number64(cx, m)
        })?;
        if mods.is_empty() {
            return syntax(i, "store-modifiers");
        }
        unchanged_since = mods.last().copied();
        let (r, ()) = sp(cx, r)?;
        i = r;
    }
    let (action, r) = match i.split_first() {
        Some((b'+', r)) => (StoreAction::Add, r),
        Some((b'-', r)) => (StoreAction::Remove, r),
        _ => (StoreAction::Replace, i),
    };
    let (r, name) = atom_raw(r)?;
    let mut buf = [0u8; NAME_MAX];
    let (labels, silent) = match upper(name, &mut buf).unwrap_or_default() {
        b"FLAGS" => (false, false),
        b"FLAGS.SILENT" => (false, true),
        b"X-GM-LABELS" => (true, false),
        b"X-GM-LABELS.SILENT" => (true, true),
        _ => return syntax(i, "store-att-flags"),
    };
    let (r, ()) = sp(cx, r)?;
    let (r, item) = if labels {
        let (r, l) = items_or_list(cx, r, gm_label)?;
        (r, StoreItem::GmLabels(l))
    } else {
        let (r, f) = items_or_list(cx, r, flag)?;
        (r, StoreItem::Flags(f))
    };
    Ok((
        r,
        CommandBody::Store {
            uid,
            set,
            unchanged_since,
            action,
            silent,
            item,
        },
    ))
}

/// `"(" [item *(SP item)] ")" / (item *(SP item))`.
fn items_or_list<'a, T>(
    cx: &Cx<'_>,
    i: &'a [u8],
    item: impl Fn(&Cx<'_>, &'a [u8]) -> PResult<'a, T>,
) -> PResult<'a, Vec<T>> {
    if i.first() == Some(&b'(') {
        return paren_list(cx, i, |x| item(cx, x));
    }
    let mut out = Vec::new();
    let mut i = i;
    loop {
        let (r, v) = item(cx, i)?;
        out.push(v);
        match sp_more(cx, r) {
            Some(after) => i = after,
            None => return Ok((r, out)),
        }
    }
}

/// A Gmail label: an astring, or a `\System` name written bare (`\Inbox`).
fn gm_label<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, AString> {
    if i.first() == Some(&b'\\') {
        let n = 1 + class::span(i.get(1..).unwrap_or_default(), class::ATOM);
        if n > 1 {
            let (a, r) = i.split_at(n);
            return Ok((r, AString::from_checked(cx.slice(a))));
        }
    }
    astring(cx, i)
}

/// ```abnf
/// copy = "COPY" SP sequence-set SP mailbox
/// move = "MOVE" SP sequence-set SP mailbox              ; RFC 6851
/// ```
fn copy_move<'a>(cx: &Cx<'_>, i: &'a [u8], uid: bool, is_move: bool) -> PResult<'a, CommandBody> {
    let (i, ()) = sp(cx, i)?;
    let (i, set) = seq_set_or_saved(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, m) = mailbox(cx, i)?;
    Ok((
        i,
        if is_move {
            CommandBody::Move {
                uid,
                set,
                mailbox: m,
            }
        } else {
            CommandBody::Copy {
                uid,
                set,
                mailbox: m,
            }
        },
    ))
}

/// ```abnf
/// search         = "SEARCH" [search-return-opts] SP search-program
/// search-program = ["CHARSET" SP charset SP] search-key *(SP search-key)
/// charset        = atom / quoted
/// ```
fn search<'a>(cx: &Cx<'_>, i: &'a [u8], uid: bool) -> PResult<'a, CommandBody> {
    let (i, return_options) = search_return_opts(cx, i)?;
    let (mut i, ()) = sp(cx, i)?;
    let mut charset = None;
    if let Ok((r, ())) = keyword(i, "CHARSET")
        && r.first() == Some(&b' ')
    {
        let (r, ()) = sp(cx, r)?;
        let (r, c) = astring(cx, r)?;
        let (r, ()) = sp(cx, r)?;
        charset = Some(c);
        i = r;
    }
    let (i, criteria) = search_keys(cx, i)?;
    Ok((
        i,
        CommandBody::Search {
            uid,
            return_options,
            charset,
            criteria,
        },
    ))
}

/// ```abnf
/// sort            = ["UID" SP] "SORT" [search-return-opts] SP sort-criteria SP
///                   search-criteria                                 ; RFC 5256, 5267
/// sort-criteria   = "(" sort-criterion *(SP sort-criterion) ")"
/// sort-criterion  = ["REVERSE" SP] sort-key
/// sort-key        = "ARRIVAL" / "CC" / "DATE" / "FROM" / "SIZE" / "SUBJECT" / "TO" /
///                   "DISPLAYFROM" / "DISPLAYTO"                       ; RFC 5957
/// search-criteria = charset 1*(SP search-key)
/// ```
fn sort<'a>(cx: &Cx<'_>, i: &'a [u8], uid: bool) -> PResult<'a, CommandBody> {
    let (i, return_options) = search_return_opts(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (r, criteria) = paren_list(cx, i, |c| sort_criterion(cx, c))?;
    if criteria.is_empty() {
        return syntax(i, "sort-criteria");
    }
    let (r, ()) = sp(cx, r)?;
    let (r, charset) = astring(cx, r)?;
    let (r, ()) = sp(cx, r)?;
    let (r, search) = search_keys(cx, r)?;
    Ok((
        r,
        CommandBody::Sort {
            uid,
            return_options,
            criteria,
            charset,
            search,
        },
    ))
}

/// `sort-criterion = ["REVERSE" SP] sort-key`.
fn sort_criterion<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, SortCriterion> {
    let (mut r, mut a) = atom(cx, i)?;
    let mut reverse = false;
    if a.eq_ignore_ascii_case("REVERSE") {
        let (after, ()) = sp(cx, r)?;
        let (after, k) = atom(cx, after)?;
        reverse = true;
        r = after;
        a = k;
    }
    let mut buf = [0u8; NAME_MAX];
    let key = match upper(a.as_bytes(), &mut buf).unwrap_or_default() {
        b"ARRIVAL" => SortKey::Arrival,
        b"CC" => SortKey::Cc,
        b"DATE" => SortKey::Date,
        b"FROM" => SortKey::From,
        b"SIZE" => SortKey::Size,
        b"SUBJECT" => SortKey::Subject,
        b"TO" => SortKey::To,
        b"DISPLAYFROM" => SortKey::DisplayFrom,
        b"DISPLAYTO" => SortKey::DisplayTo,
        _ => SortKey::Other(a),
    };
    Ok((r, SortCriterion { reverse, key }))
}

/// ```abnf
/// thread     = ["UID" SP] "THREAD" SP thread-alg SP search-criteria   ; RFC 5256
/// thread-alg = "ORDEREDSUBJECT" / "REFERENCES" / thread-alg-ext
/// ```
fn thread<'a>(cx: &Cx<'_>, i: &'a [u8], uid: bool) -> PResult<'a, CommandBody> {
    let (i, ()) = sp(cx, i)?;
    let (i, algorithm) = atom(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, charset) = astring(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, search) = search_keys(cx, i)?;
    Ok((
        i,
        CommandBody::Thread {
            uid,
            algorithm,
            charset,
            search,
        },
    ))
}
