//! The commands about folders rather than messages: LIST (with SPECIAL-USE and
//! LIST-STATUS), LSUB, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, STATUS, NAMESPACE,
//! ID, GETQUOTA and GETQUOTAROOT.

use imap_proto::command::{
    CommandBody, ListMailbox, ListReturnOption, ListSelectOption, StatusAttribute,
};
use imap_proto::response::{
    Code, Data, ListAttribute, MailboxList, NamespaceDescription, Namespaces, QuotaResource,
    Response, StatusItem,
};
use imap_proto::server::{Server, Token};
use imap_proto::types::{AString, Atom, IString, Mailbox, NString, decode_utf7};

use super::mailbox::{blocking, folder_name, store_error};
use super::{ImapConn, no};
use crate::store::{self, Account, Attribute, FolderInfo, SEPARATOR};

/// Whether `name` matches the LIST pattern (`*` anything, `%` anything but the separator).
fn matches(pattern: &[char], name: &[char]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some(('*', rest)) => {
            (0..=name.len()).any(|i| matches(rest, name.get(i..).unwrap_or_default()))
        }
        Some(('%', rest)) => {
            let stop = name
                .iter()
                .position(|&c| c == SEPARATOR)
                .unwrap_or(name.len());
            (0..=stop).any(|i| matches(rest, name.get(i..).unwrap_or_default()))
        }
        Some((&p, rest)) => name
            .split_first()
            .is_some_and(|(&c, tail)| c == p && matches(rest, tail)),
    }
}

/// A pattern from the wire: modified UTF-7 when ASCII, raw UTF-8 otherwise (UTF8=ACCEPT).
fn pattern_text(bytes: &[u8]) -> String {
    if bytes.is_ascii() {
        decode_utf7(bytes).unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned())
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

fn matches_pattern(reference: &str, pattern: &str, name: &str) -> bool {
    let full: Vec<char> = format!("{reference}{pattern}").chars().collect();
    // INBOX is case-insensitive.
    let name_chars: Vec<char> = name.chars().collect();
    if name == store::INBOX {
        let upper: Vec<char> = full.iter().map(char::to_ascii_uppercase).collect();
        return matches(&upper, &name_chars);
    }
    matches(&full, &name_chars)
}

/// The wire name of a folder.
fn wire(server: &Server, name: &str) -> Option<Mailbox> {
    if server.utf8_enabled() {
        Mailbox::from_utf8_raw(name).ok()
    } else {
        Mailbox::from_utf8(name).ok()
    }
}

fn attributes(f: &FolderInfo, extended: bool, subscribed: bool) -> Vec<ListAttribute> {
    let mut out = Vec::new();
    for a in &f.attributes {
        match a {
            Attribute::NonExistent => {
                out.push(ListAttribute::NoSelect);
                if extended {
                    out.push(ListAttribute::NonExistent);
                }
            }
            Attribute::HasChildren => out.push(ListAttribute::HasChildren),
            Attribute::HasNoChildren => out.push(ListAttribute::HasNoChildren),
            Attribute::Drafts => out.push(ListAttribute::Drafts),
            Attribute::Sent => out.push(ListAttribute::Sent),
            Attribute::Trash => out.push(ListAttribute::Trash),
            Attribute::Junk => out.push(ListAttribute::Junk),
        }
    }
    if subscribed && f.subscribed {
        out.push(ListAttribute::Subscribed);
    }
    out
}

fn status_items(
    s: &store::Status,
    items: &[StatusAttribute],
    quota: Option<u64>,
) -> Vec<StatusItem> {
    items
        .iter()
        .filter_map(|i| {
            Some(match i {
                StatusAttribute::Messages => StatusItem::Messages(s.messages),
                StatusAttribute::Recent => StatusItem::Recent(0),
                StatusAttribute::UidNext => StatusItem::UidNext(s.uidnext),
                StatusAttribute::UidValidity => StatusItem::UidValidity(s.uidvalidity),
                StatusAttribute::Unseen => StatusItem::Unseen(s.unseen),
                StatusAttribute::Deleted => StatusItem::Deleted(s.deleted),
                StatusAttribute::Size => StatusItem::Size(s.size),
                StatusAttribute::HighestModSeq => {
                    StatusItem::HighestModSeq(s.highest_modseq.max(1))
                }
                StatusAttribute::AppendLimit => StatusItem::AppendLimit(
                    quota
                        .unwrap_or(super::APPEND_LIMIT)
                        .min(super::APPEND_LIMIT)
                        .try_into()
                        .ok(),
                ),
                _ => return None,
            })
        })
        .collect()
}

impl ImapConn {
    /// CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST, LSUB, STATUS, NAMESPACE, ID,
    /// GETQUOTA, GETQUOTAROOT, SETQUOTA, GETMETADATA, SETMETADATA.
    pub(super) async fn command(
        &mut self,
        server: &mut Server,
        account: &Account,
        token: Token,
        body: CommandBody,
    ) {
        let result = match body {
            CommandBody::List {
                selection,
                reference,
                patterns,
                return_options,
            } => {
                self.list(
                    server,
                    account,
                    token,
                    &selection,
                    &reference,
                    &patterns,
                    &return_options,
                )
                .await
            }
            CommandBody::Lsub { reference, pattern } => {
                self.lsub(server, account, token, &reference, &pattern)
                    .await
            }
            CommandBody::Create { mailbox, .. } => {
                let Some(name) = folder_name(&mailbox) else {
                    let _ = server.complete(token, no(Some(Code::Cannot), "bad folder name"));
                    return;
                };
                let name = name.trim_end_matches(SEPARATOR).to_owned();
                let a = account.clone();
                blocking(move || a.create_folder(&name)).await
            }
            CommandBody::Delete(mailbox) => {
                let Some(name) = folder_name(&mailbox) else {
                    let _ = server.complete(token, no(Some(Code::NonExistent), "no such folder"));
                    return;
                };
                let a = account.clone();
                blocking(move || a.delete_folder(&name)).await
            }
            CommandBody::Rename { from, to } => {
                let (Some(from), Some(to)) = (folder_name(&from), folder_name(&to)) else {
                    let _ = server.complete(token, no(Some(Code::Cannot), "bad folder name"));
                    return;
                };
                let a = account.clone();
                blocking(move || a.rename_folder(&from, &to)).await
            }
            CommandBody::Subscribe(mailbox) | CommandBody::Unsubscribe(mailbox)
                if folder_name(&mailbox).is_none() =>
            {
                let _ = server.complete(token, no(Some(Code::Cannot), "bad folder name"));
                return;
            }
            CommandBody::Subscribe(mailbox) => {
                let (a, name) = (account.clone(), folder_name(&mailbox).unwrap_or_default());
                blocking(move || a.set_subscribed(&name, true)).await
            }
            CommandBody::Unsubscribe(mailbox) => {
                let (a, name) = (account.clone(), folder_name(&mailbox).unwrap_or_default());
                blocking(move || a.set_subscribed(&name, false)).await
            }
            CommandBody::Status { mailbox, items } => {
                let Some(name) = folder_name(&mailbox) else {
                    let _ = server.complete(token, no(Some(Code::NonExistent), "no such folder"));
                    return;
                };
                let a = account.clone();
                match blocking(move || a.status(&name)).await {
                    Ok(s) => {
                        let items = status_items(&s, &items, self.ctx.store.quota());
                        let _ = server
                            .send_response(token, Response::Data(Data::Status { mailbox, items }));
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
            CommandBody::Namespace => {
                let personal = NamespaceDescription {
                    prefix: IString::default(),
                    delimiter: Some(SEPARATOR),
                    extensions: Vec::new(),
                };
                let _ = server.send_response(
                    token,
                    Response::Data(Data::Namespace(Namespaces {
                        personal: vec![personal],
                        other: Vec::new(),
                        shared: Vec::new(),
                    })),
                );
                Ok(())
            }
            CommandBody::Id(_) => {
                let pairs = [("name", "mailserver"), ("vendor", "mail-sansio examples")]
                    .iter()
                    .filter_map(|(k, v)| {
                        Some((
                            IString::try_from(*k).ok()?,
                            NString(IString::try_from(*v).ok()),
                        ))
                    })
                    .collect();
                let _ = server.send_response(token, Response::Data(Data::Id(Some(pairs))));
                Ok(())
            }
            CommandBody::GetQuotaRoot(mailbox) => {
                let roots = if self.ctx.store.quota().is_some() {
                    vec![AString::default()]
                } else {
                    Vec::new()
                };
                let _ =
                    server.send_response(token, Response::Data(Data::QuotaRoot { mailbox, roots }));
                self.quota(server, account, token).await
            }
            CommandBody::GetQuota(root) => {
                if !root.is_empty() || self.ctx.store.quota().is_none() {
                    let _ =
                        server.complete(token, no(Some(Code::NonExistent), "no such quota root"));
                    return;
                }
                self.quota(server, account, token).await
            }
            CommandBody::SetQuota { .. } => {
                let _ =
                    server.complete(token, no(Some(Code::NoPerm), "quotas are set with --quota"));
                return;
            }
            _ => {
                let _ = server.complete(token, no(Some(Code::Cannot), "not supported"));
                return;
            }
        };
        match result {
            Ok(()) => {
                let _ = server.accept(token);
            }
            Err(e) => {
                let _ = server.complete(token, store_error(&e));
            }
        }
    }

    /// `* QUOTA "" (STORAGE used limit)` in KiB, when `--quota` is set.
    async fn quota(
        &self,
        server: &mut Server,
        account: &Account,
        token: Token,
    ) -> store::Result<()> {
        let Some(limit) = self.ctx.store.quota() else {
            return Ok(());
        };
        let a = account.clone();
        let usage = blocking(move || a.usage().map_err(store::Error::Io)).await?;
        if let Some(name) = Atom::from_static("STORAGE") {
            let _ = server.send_response(
                token,
                Response::Data(Data::Quota {
                    root: AString::default(),
                    resources: vec![QuotaResource {
                        name,
                        usage: usage.div_ceil(1024),
                        limit: limit / 1024,
                    }],
                }),
            );
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments, reason = "the fields of LIST")]
    async fn list(
        &mut self,
        server: &mut Server,
        account: &Account,
        token: Token,
        selection: &[ListSelectOption],
        reference: &Mailbox,
        patterns: &[ListMailbox],
        return_options: &[ListReturnOption],
    ) -> store::Result<()> {
        let reference = pattern_text(reference.as_bytes());
        // `LIST "" ""`: the hierarchy separator.
        if patterns.len() == 1 && patterns.iter().all(|p| p.as_bytes().is_empty()) {
            if let Ok(root) = Mailbox::from_utf8_raw(&reference).or_else(|_| Mailbox::from_utf8(""))
            {
                let _ = server.send_response(
                    token,
                    Response::Data(Data::List(MailboxList {
                        attributes: vec![ListAttribute::NoSelect],
                        delimiter: Some(SEPARATOR),
                        mailbox: root,
                        extended: Vec::new(),
                    })),
                );
            }
            return Ok(());
        }
        let extended = !selection.is_empty() || !return_options.is_empty();
        let only_subscribed = selection.contains(&ListSelectOption::Subscribed);
        let only_special = selection.contains(&ListSelectOption::SpecialUse);
        let show_subscribed = only_subscribed
            || return_options
                .iter()
                .any(|o| matches!(o, ListReturnOption::Subscribed));
        let status: Option<Vec<StatusAttribute>> = return_options.iter().find_map(|o| match o {
            ListReturnOption::Status(items) => Some(items.clone()),
            _ => None,
        });
        let a = account.clone();
        let folders = blocking(move || a.list_folders()).await?;
        let patterns: Vec<String> = patterns
            .iter()
            .map(|p| pattern_text(p.as_bytes()))
            .collect();
        for f in &folders {
            if !patterns
                .iter()
                .any(|p| matches_pattern(&reference, p, &f.name))
            {
                continue;
            }
            let children = f.attributes.contains(&Attribute::HasChildren);
            if only_subscribed && !f.subscribed {
                continue;
            }
            if !only_subscribed && !f.exists() && !children {
                continue; // a subscription to a folder that is gone
            }
            if only_special && !f.attributes.iter().any(|a| a.is_special_use()) {
                continue;
            }
            let Some(mailbox) = wire(server, &f.name) else {
                continue;
            };
            let _ = server.send_response(
                token,
                Response::Data(Data::List(MailboxList {
                    attributes: attributes(f, extended, show_subscribed),
                    delimiter: Some(SEPARATOR),
                    mailbox: mailbox.clone(),
                    extended: Vec::new(),
                })),
            );
            if let Some(items) = &status
                && f.exists()
            {
                let (a, name) = (account.clone(), f.name.clone());
                if let Ok(s) = blocking(move || a.status(&name)).await {
                    let items = status_items(&s, items, self.ctx.store.quota());
                    let _ = server
                        .send_response(token, Response::Data(Data::Status { mailbox, items }));
                }
            }
        }
        Ok(())
    }

    async fn lsub(
        &mut self,
        server: &mut Server,
        account: &Account,
        token: Token,
        reference: &Mailbox,
        pattern: &ListMailbox,
    ) -> store::Result<()> {
        let reference = pattern_text(reference.as_bytes());
        let pattern = pattern_text(pattern.as_bytes());
        let a = account.clone();
        let folders = blocking(move || a.list_folders()).await?;
        for f in folders.iter().filter(|f| f.subscribed) {
            if !matches_pattern(&reference, &pattern, &f.name) {
                continue;
            }
            let Some(mailbox) = wire(server, &f.name) else {
                continue;
            };
            let attributes = if f.exists() {
                Vec::new()
            } else {
                vec![ListAttribute::NoSelect]
            };
            let _ = server.send_response(
                token,
                Response::Data(Data::Lsub(MailboxList {
                    attributes,
                    delimiter: Some(SEPARATOR),
                    mailbox,
                    extended: Vec::new(),
                })),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(matches_pattern("", "*", "Archive.2026"));
        assert!(!matches_pattern("", "%", "Archive.2026"));
        assert!(matches_pattern("", "%", "Archive"));
        assert!(matches_pattern("Archive.", "%", "Archive.2026"));
        assert!(matches_pattern("", "inbox", "INBOX"));
        assert!(matches_pattern("", "S*", "Sent"));
        assert!(!matches_pattern("", "S*", "Trash"));
    }
}
