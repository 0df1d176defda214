//! RFC 5321 §4.1.2 path grammar, with RFC 6531 §3.3 UTF-8 extensions.

use crate::error::{ParseError, ParseErrorKind};

/// RFC 5321 §4.5.3.1.1: local part at most 64 octets.
pub(crate) const MAX_LOCAL_PART: usize = 64;
/// RFC 5321 §4.5.3.1.2: domain at most 255 octets.
pub(crate) const MAX_DOMAIN: usize = 255;
/// RFC 5321 §4.5.3.1.3: path (with the angle brackets) at most 256 octets.
pub(crate) const MAX_PATH: usize = 256;

fn err(kind: ParseErrorKind, offset: usize, rule: &'static str) -> ParseError {
    ParseError::new(kind, offset, rule)
}

use super::class::{ASCII, ATEXT, DNS, DOT_ATOM, LDH, PAIR_DOMAIN, PAIR_LOCAL, class};

/// `atext` of RFC 5322 §3.2.3, plus `UTF8-non-ascii` (RFC 6531 §3.3).
pub(crate) fn is_atext(b: u8) -> bool {
    class(b) & ATEXT != 0
}

/// The common case of [`domain`]: ASCII LDH labels of at most 63 octets in all, followed by an
/// ASCII byte that is none of those, or by the end. `None` means "not this simple", not
/// "invalid": the full grammar then decides. One pass: each byte's class also says which
/// neighbours it forbids (`..`, `.-`, `-.`, and a dot or hyphen at either end).
#[inline(always)]
pub(crate) fn plain_domain(input: &[u8]) -> Option<usize> {
    let (mut prev, mut bad) = (class(b'.'), 0);
    let mut end = input.len();
    for (i, &b) in input.iter().enumerate() {
        let c = class(b);
        if c & DNS == 0 {
            if c & ASCII == 0 {
                return None;
            }
            end = i;
            break;
        }
        bad |= (prev >> 2) & c & PAIR_DOMAIN;
        prev = c;
    }
    bad |= (prev >> 2) & class(b'.') & PAIR_DOMAIN;
    (bad == 0 && (1..=63).contains(&end)).then_some(end)
}

/// The common case of a dot-string local part: ASCII atoms of at most 64 octets in all, then
/// `@`. Returns the position of the `@`; `None` means "not this simple".
#[inline(always)]
fn plain_local_part(input: &[u8]) -> Option<usize> {
    let (mut prev, mut bad) = (class(b'.'), 0);
    for (i, &b) in input.iter().enumerate() {
        let c = class(b);
        if c & DOT_ATOM == 0 {
            bad |= (prev >> 3) & class(b'.') & PAIR_LOCAL;
            let ok = b == b'@' && bad == 0 && (1..=MAX_LOCAL_PART).contains(&i);
            return ok.then_some(i);
        }
        bad |= (prev >> 3) & c & PAIR_LOCAL;
        prev = c;
    }
    None
}

/// ```text
/// Domain     = sub-domain *("." sub-domain)
/// sub-domain = Let-dig [Ldh-str] / U-label
/// ```
/// Returns the length of the domain at the start of `input`.
#[inline]
pub(crate) fn domain(input: &[u8]) -> Result<usize, ParseError> {
    let mut i = 0;
    loop {
        let start = i;
        while let Some(&b) = input.get(i) {
            if class(b) & LDH != 0 {
                i += 1;
            } else {
                break;
            }
        }
        let label = input.get(start..i).unwrap_or_default();
        if label.is_empty() || label.first() == Some(&b'-') || label.last() == Some(&b'-') {
            return Err(err(ParseErrorKind::Syntax, i, "Domain"));
        }
        if label.len() > 63 {
            return Err(err(
                ParseErrorKind::TooLong {
                    what: "domain label",
                    limit: 63,
                },
                start,
                "Domain",
            ));
        }
        if input.get(i) == Some(&b'.')
            && input
                .get(i + 1)
                .is_some_and(|&b| b.is_ascii_alphanumeric() || b >= 0x80)
        {
            i += 1;
        } else {
            break;
        }
    }
    if i > MAX_DOMAIN {
        return Err(err(
            ParseErrorKind::TooLong {
                what: "domain",
                limit: MAX_DOMAIN,
            },
            0,
            "Domain",
        ));
    }
    Ok(i)
}

/// `address-literal`, checked as an address (see [`super::literal::address_literal`]).
/// Returns the length including the brackets.
pub(crate) fn address_literal(input: &[u8]) -> Result<usize, ParseError> {
    super::literal::address_literal(input).map(|(len, _)| len)
}

/// ```text
/// Local-part    = Dot-string / Quoted-string
/// Dot-string    = Atom *("."  Atom)
/// Quoted-string = DQUOTE *QcontentSMTP DQUOTE
/// ```
/// Returns the length of the local part (quotes kept).
pub(crate) fn local_part(input: &[u8]) -> Result<usize, ParseError> {
    let mut i = 0;
    if input.first() == Some(&b'"') {
        i = 1;
        loop {
            match input.get(i) {
                Some(b'"') => {
                    i += 1;
                    break;
                }
                Some(b'\\') => match input.get(i + 1) {
                    Some(32..=126) => i += 2,
                    _ => return Err(err(ParseErrorKind::Syntax, i, "Quoted-string")),
                },
                Some(32 | 33 | 35..=91 | 93..=126 | 0x80..=0xff) => i += 1,
                Some(&b) if b == b'\r' || b == b'\n' || b == 0 => {
                    return Err(err(ParseErrorKind::ForbiddenByte(b), i, "Quoted-string"));
                }
                _ => return Err(err(ParseErrorKind::Syntax, i, "Quoted-string")),
            }
        }
    } else {
        loop {
            let start = i;
            while input.get(i).is_some_and(|&b| is_atext(b)) {
                i += 1;
            }
            if i == start {
                return Err(err(ParseErrorKind::Syntax, i, "Dot-string"));
            }
            if input.get(i) == Some(&b'.') {
                i += 1;
            } else {
                break;
            }
        }
    }
    if i > MAX_LOCAL_PART {
        return Err(err(
            ParseErrorKind::TooLong {
                what: "local part",
                limit: MAX_LOCAL_PART,
            },
            0,
            "Local-part",
        ));
    }
    Ok(i)
}

/// `Mailbox = Local-part "@" ( Domain / address-literal )`. Returns (length, position of `@`).
pub(crate) fn mailbox(input: &[u8]) -> Result<(usize, usize), ParseError> {
    if let Some(at) = plain_local_part(input)
        && let Some(len) = input.get(at + 1..).and_then(plain_domain)
    {
        return Ok((at + 1 + len, at));
    }
    let at = local_part(input)?;
    if input.get(at) != Some(&b'@') {
        return Err(err(ParseErrorKind::Syntax, at, "Mailbox"));
    }
    let rest = input.get(at + 1..).unwrap_or_default();
    let dlen = if rest.first() == Some(&b'[') {
        address_literal(rest)
    } else {
        domain(rest)
    }
    .map_err(|e| e.shifted(at + 1))?;
    let len = at + 1 + dlen;
    let bytes = input.get(..len).unwrap_or_default();
    if !bytes.is_ascii() && std::str::from_utf8(bytes).is_err() {
        return Err(err(ParseErrorKind::InvalidUtf8, 0, "Mailbox"));
    }
    Ok((len, at))
}

/// What a path in angle brackets held.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RawPath {
    /// `<>`
    Null,
    /// `<postmaster>`, any case.
    Postmaster,
    /// A mailbox: its byte range in the input and the offset of `@` within it.
    Mailbox { start: usize, end: usize, at: usize },
}

/// ```text
/// Path          = "<" [ A-d-l ":" ] Mailbox ">"
/// A-d-l         = At-domain *( "," At-domain )   ; accepted and ignored (RFC 5321 §4.1.1.3)
/// Reverse-path  = Path / "<>"
/// Forward-path  = Path / "<Postmaster>"
/// ```
/// Returns the path and its length.
pub(crate) fn path(input: &[u8]) -> Result<(RawPath, usize), ParseError> {
    if input.first() != Some(&b'<') {
        return Err(err(ParseErrorKind::Syntax, 0, "Path"));
    }
    if input.get(1) == Some(&b'>') {
        return Ok((RawPath::Null, 2));
    }
    if let Some(word) = input.get(1..12)
        && word.first().is_some_and(|b| b | 0x20 == b'p')
        && word.eq_ignore_ascii_case(b"postmaster>")
    {
        return Ok((RawPath::Postmaster, 12));
    }
    let mut i = 1;
    if input.get(1) == Some(&b'@') {
        // Source route: At-domain *( "," At-domain ) ":"
        loop {
            i += 1;
            let rest = input.get(i..).unwrap_or_default();
            let len = if rest.first() == Some(&b'[') {
                address_literal(rest)
            } else {
                domain(rest)
            }
            .map_err(|e| e.shifted(i))?;
            i += len;
            match input.get(i) {
                Some(b',') if input.get(i + 1) == Some(&b'@') => i += 1,
                Some(b':') => {
                    i += 1;
                    break;
                }
                _ => return Err(err(ParseErrorKind::Syntax, i, "A-d-l")),
            }
        }
    }
    let rest = input.get(i..).unwrap_or_default();
    let (len, at) = mailbox(rest).map_err(|e| e.shifted(i))?;
    let end = i + len;
    if input.get(end) != Some(&b'>') {
        return Err(err(ParseErrorKind::Syntax, end, "Path"));
    }
    if end + 1 > MAX_PATH {
        return Err(err(
            ParseErrorKind::TooLong {
                what: "path",
                limit: MAX_PATH,
            },
            0,
            "Path",
        ));
    }
    Ok((RawPath::Mailbox { start: i, end, at }, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string of up to seven bytes over an alphabet of every byte class that matters:
    /// whenever a one-pass fast path answers, the full grammar gives the same answer.
    #[test]
    fn fast_paths_agree_with_the_grammar() {
        const ALPHABET: &[u8] = b"a9-.@> \xc3[";
        let mut s = Vec::new();
        let mut checked = (0, 0);
        for len in 0..=7u32 {
            for mut n in 0..ALPHABET.len().pow(len) {
                s.clear();
                for _ in 0..len {
                    s.push(ALPHABET[n % ALPHABET.len()]);
                    n /= ALPHABET.len();
                }
                if let Some(end) = plain_domain(&s) {
                    // An address literal always goes to its own grammar.
                    assert_ne!(s.first(), Some(&b'['), "{s:?}");
                    assert_eq!(domain(&s).ok(), Some(end), "{s:?}");
                    checked.0 += 1;
                }
                if let Some(at) = plain_local_part(&s) {
                    assert_eq!(local_part(&s).ok(), Some(at), "{s:?}");
                    assert_eq!(s[at], b'@');
                    checked.1 += 1;
                }
            }
        }
        assert!(checked.0 > 1000 && checked.1 > 1000, "{checked:?}");
        let long = "a".repeat(64);
        assert_eq!(plain_domain(long.as_bytes()), None);
        assert_eq!(plain_domain(&long.as_bytes()[1..]), Some(63));
        assert_eq!(plain_local_part(format!("{long}@").as_bytes()), Some(64));
        assert_eq!(plain_local_part(format!("{long}a@").as_bytes()), None);
    }

    #[test]
    fn paths() {
        assert_eq!(path(b"<>").unwrap(), (RawPath::Null, 2));
        assert_eq!(path(b"<PostMaster>").unwrap(), (RawPath::Postmaster, 12));
        assert_eq!(
            path(b"<a@b.example>").unwrap(),
            (
                RawPath::Mailbox {
                    start: 1,
                    end: 12,
                    at: 1
                },
                13
            )
        );
        let (p, n) = path(b"<@a.example,@b.example:u@c.example>").unwrap();
        assert_eq!(n, 35);
        assert_eq!(
            p,
            RawPath::Mailbox {
                start: 23,
                end: 34,
                at: 1
            }
        );
        assert!(path(b"<\"john doe\"@example.org>").is_ok());
        assert!(path(b"<;sleep 66;>").is_err());
        assert!(path(b"<a@b c>").is_err());
        assert!(path(b"<a@b").is_err());
        assert!(path(b"<a..b@c>").is_err());
        assert!(path(b"<a@-b>").is_err());
        assert!(path(b"<a@[1.2.3.4]>").is_ok());
        let long = format!("<{}@b>", "a".repeat(65));
        assert!(matches!(
            path(long.as_bytes()).unwrap_err().kind,
            ParseErrorKind::TooLong { .. }
        ));
        let long = format!("<a@{}>", vec!["b".repeat(60); 5].join("."));
        assert!(matches!(
            path(long.as_bytes()).unwrap_err().kind,
            ParseErrorKind::TooLong { .. }
        ));
        assert!(path("<jos\u{e9}@exampl\u{e9}.fr>".as_bytes()).is_ok());
        assert!(matches!(
            path(b"<a\xff@b>").unwrap_err().kind,
            ParseErrorKind::InvalidUtf8
        ));
        assert!(path(b"<\"a\r\nb\"@c>").is_err());
    }
}
