//! ENVELOPE (RFC 3501 §7.4.2, RFC 9051 §7.5.2): the parsed header of a message.

use crate::types::NString;

/// The `ENVELOPE` of a message.
///
/// Address lists that are `NIL` on the wire are empty here (an address list is never `()`);
/// the encoder writes an empty list as `NIL`.
///
/// ```abnf
/// envelope = "(" env-date SP env-subject SP env-from SP
///            env-sender SP env-reply-to SP env-to SP env-cc SP
///            env-bcc SP env-in-reply-to SP env-message-id ")"
/// env-from = "(" 1*address ")" / nil      ; same for sender, reply-to, to, cc, bcc
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Envelope {
    /// `Date:` as sent, unparsed.
    pub date: NString,
    /// `Subject:` as sent (RFC 2047 encoded words are left alone).
    pub subject: NString,
    /// `From:`.
    pub from: Vec<Address>,
    /// `Sender:` (servers copy From when absent).
    pub sender: Vec<Address>,
    /// `Reply-To:` (servers copy From when absent).
    pub reply_to: Vec<Address>,
    /// `To:`.
    pub to: Vec<Address>,
    /// `Cc:`.
    pub cc: Vec<Address>,
    /// `Bcc:`.
    pub bcc: Vec<Address>,
    /// `In-Reply-To:`.
    pub in_reply_to: NString,
    /// `Message-ID:`.
    pub message_id: NString,
}

/// One address of an envelope address list.
///
/// RFC 2822 group syntax is kept as the server sent it: a group starts with an address whose
/// host is NIL and whose mailbox is the group name, and ends with an address whose mailbox is
/// NIL (`(NIL NIL NIL NIL)`). Odd addresses (Google's `("Calendar <x@google.com>" NIL "Google"
/// NIL)`) are kept verbatim, never "fixed".
///
/// ```abnf
/// address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    /// The phrase (display name).
    pub name: NString,
    /// The source route (obsolete).
    pub adl: NString,
    /// The local part, or the group name at a group start, or NIL at a group end.
    pub mailbox: NString,
    /// The domain, or NIL at a group start or end.
    pub host: NString,
}

impl Address {
    /// True for the first address of a group (`host` NIL, `mailbox` the group name).
    pub fn is_group_start(&self) -> bool {
        self.host.is_nil() && !self.mailbox.is_nil()
    }

    /// True for the marker that ends a group (`mailbox` and `host` NIL).
    pub fn is_group_end(&self) -> bool {
        self.host.is_nil() && self.mailbox.is_nil()
    }
}
