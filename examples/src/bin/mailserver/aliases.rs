//! Sender addresses: which addresses an authenticated user may send as (`--aliases FILE`).
//!
//! A user may always send as `NAME@DOMAIN`. The aliases file adds more, one per line, in the
//! form of `/etc/aliases` (`#` starts a comment line, names are folded to lower case):
//!
//! ```text
//! sales@example.test: alice, bob    alice and bob may send as sales@; mail to it reaches both
//! @example.org: carol               carol may send as any address at example.org
//! *: listbot                        listbot may send as anyone (a list manager, a gateway)
//! ```
//!
//! An exact address in the local domain that is not a user is also delivered to its users;
//! `@domain` and `*` only allow sending. The same rules check the envelope sender (MAIL FROM,
//! `553 5.7.1` otherwise) and every address of the `From:` field (`550 5.7.1` at the end of
//! DATA otherwise).

use std::collections::BTreeMap;
use std::path::Path;

use crate::users::Users;

/// The aliases file, parsed.
#[derive(Debug, Default, Clone)]
pub(crate) struct Aliases {
    /// `address`, `@domain` or `*`, to the users it belongs to.
    map: BTreeMap<String, Vec<String>>,
}

impl Aliases {
    /// Parses `ADDRESS: USER[, USER...]` lines; every user must exist.
    pub(crate) fn parse(text: &str, users: &Users) -> Result<Self, String> {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, names)) = line.rsplit_once(':') else {
                return Err(format!("line {}: expected ADDRESS: USER[, USER...]", i + 1));
            };
            let key = key.trim().to_lowercase();
            let valid_key = key == "*"
                || key
                    .strip_prefix('@')
                    .is_some_and(|d| !d.is_empty() && !d.contains('@'))
                || key
                    .rsplit_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty());
            if !valid_key || key.contains(char::is_whitespace) {
                return Err(format!(
                    "line {}: {key:?} is not an address, @domain or *",
                    i + 1
                ));
            }
            let owners = map.entry(key).or_default();
            for name in names.split(',').map(|n| n.trim().to_ascii_lowercase()) {
                if name.is_empty() {
                    continue;
                }
                if !users.exists(&name) {
                    return Err(format!("line {}: no user {name:?}", i + 1));
                }
                if !owners.contains(&name) {
                    owners.push(name);
                }
            }
        }
        Ok(Self { map })
    }

    /// Reads an aliases file.
    pub(crate) fn load(path: &Path, users: &Users) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text, users).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// How many lines there are.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether `user` may send as `address` (`local@domain`, any case).
    pub(crate) fn may_send_as(&self, user: &str, local_domain: &str, address: &str) -> bool {
        let address = address.to_lowercase();
        if address == format!("{user}@{local_domain}") {
            return true;
        }
        let domain = address
            .rsplit_once('@')
            .map(|(_, d)| format!("@{d}"))
            .unwrap_or_default();
        [address.as_str(), domain.as_str(), "*"].iter().any(|k| {
            self.map
                .get(*k)
                .is_some_and(|owners| owners.iter().any(|o| o == user))
        })
    }

    /// The users an exact address delivers to (for local addresses that are not users).
    pub(crate) fn recipients(&self, address: &str) -> Option<&[String]> {
        let address = address.to_lowercase();
        if address.starts_with('@') || address == "*" {
            return None;
        }
        self.map.get(&address).map(Vec::as_slice)
    }
}

/// The addresses of a `From:` field's value (RFC 5322 §3.4 mailbox-list, with groups and
/// comments): the part in angle brackets when there is one, else the bare addr-spec, lower
/// case. What cannot be read comes out as it is, so it matches no user and is refused.
pub(crate) fn from_addresses(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut angle: Option<String> = None;
    let mut in_angle = false;
    let mut in_quote = false;
    let mut comment = 0u32;
    let mut chars = value.chars();
    let mut finish = |text: &mut String, angle: &mut Option<String>| {
        let addr = match angle.take() {
            // A source route (`<@a,@b:x@y>`) is obsolete syntax: the address is after it.
            Some(a) => a.rsplit(':').next().unwrap_or_default().trim().to_owned(),
            None => text.split_whitespace().collect::<String>(),
        };
        text.clear();
        if !addr.is_empty() {
            out.push(addr.to_lowercase());
        }
    };
    while let Some(c) = chars.next() {
        if comment > 0 {
            match c {
                '\\' => {
                    chars.next();
                }
                '(' => comment += 1,
                ')' => comment -= 1,
                _ => {}
            }
            continue;
        }
        if in_quote {
            text.push(c);
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        text.push(n);
                    }
                }
                '"' => in_quote = false,
                _ => {}
            }
            continue;
        }
        if in_angle {
            match c {
                '>' => in_angle = false,
                c => angle.get_or_insert_with(String::new).push(c),
            }
            continue;
        }
        match c {
            '(' => comment = 1,
            '"' => {
                in_quote = true;
                text.push(c);
            }
            '<' => {
                in_angle = true;
                angle = Some(String::new());
            }
            // A group's display name ends at the colon; its list at the semicolon.
            ':' => text.clear(),
            ',' | ';' => finish(&mut text, &mut angle),
            c => text.push(c),
        }
    }
    finish(&mut text, &mut angle);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_check() {
        let users = Users::parse("alice:a\nbob:b\ncarol:c\nlistbot:l\n").unwrap();
        let a = Aliases::parse(
            "# sender aliases\nSales@Example.test: alice, bob\n@example.org: carol\n*: listbot\n",
            &users,
        )
        .unwrap();
        let d = "example.test";
        assert!(a.may_send_as("alice", d, "Alice@example.test"));
        assert!(!a.may_send_as("alice", d, "bob@example.test"));
        assert!(a.may_send_as("alice", d, "sales@example.test"));
        assert!(a.may_send_as("bob", d, "SALES@example.test"));
        assert!(!a.may_send_as("carol", d, "sales@example.test"));
        assert!(a.may_send_as("carol", d, "anyone@example.org"));
        assert!(!a.may_send_as("carol", d, "anyone@example.org.evil"));
        assert!(a.may_send_as("listbot", d, "ceo@anywhere.example"));
        assert_eq!(
            a.recipients("sales@example.test"),
            Some(&["alice".to_owned(), "bob".to_owned()][..])
        );
        assert_eq!(a.recipients("@example.org"), None);
        assert!(Aliases::parse("x@y: nobody\n", &users).is_err());
        assert!(Aliases::parse("not an address: alice\n", &users).is_err());
        assert!(Aliases::parse("alice\n", &users).is_err());
    }

    #[test]
    fn from_fields() {
        assert_eq!(from_addresses("alice@example.test"), ["alice@example.test"]);
        assert_eq!(
            from_addresses("\"Doe, John\" <John@Example.test> (work), x@y.z"),
            ["john@example.test", "x@y.z"]
        );
        assert_eq!(
            from_addresses("=?utf-8?q?Al=C3=AFce?= <alice@example.test>"),
            ["alice@example.test"]
        );
        assert_eq!(
            from_addresses("team: a@example.test, \"b\" <b@example.test>;"),
            ["a@example.test", "b@example.test"]
        );
        assert_eq!(from_addresses("(comment <evil@x>) a@b"), ["a@b"]);
        assert_eq!(from_addresses("<@relay.example:a@b>"), ["a@b"]);
        assert_eq!(from_addresses("garbage"), ["garbage"]);
        assert!(from_addresses("  ").is_empty());
    }
}
