//! How an [`EhloReply`](super::EhloReply) keeps its extensions: a bit per known keyword, the
//! values of SIZE and LIMITS as numbers, and every text (first line, AUTH's mechanism names,
//! other keywords with their parameters) in one buffer kept inside the reply when it is short.
//! A decoded reply of a common server allocates nothing.

use crate::parse;

use super::Capability;
use super::view::{Names, Params, View};

/// Octets of text kept inside the reply: the first line, AUTH's names and a few other keywords.
const INLINE_TEXT: usize = 110;

/// Extensions whose order is kept inside the reply.
const INLINE_TAGS: usize = 30;

/// The tag of a known keyword is its [`Extension`](super::Extension) value; these two follow.
/// The next segment of the text is an other keyword and its parameters.
pub(super) const OTHER: u8 = 12;
/// The next entry of `extra`.
pub(super) const EXTRA: u8 = 13;

pub(super) const PIPELINING: u8 = 0;
pub(super) const EIGHT_BIT_MIME: u8 = 1;
pub(super) const SMTPUTF8: u8 = 2;
pub(super) const CHUNKING: u8 = 3;
pub(super) const BINARY_MIME: u8 = 4;
pub(super) const DSN: u8 = 5;
pub(super) const ENHANCED_STATUS_CODES: u8 = 6;
pub(super) const STARTTLS: u8 = 7;
pub(super) const REQUIRETLS: u8 = 8;
pub(super) const SIZE: u8 = 9;
pub(super) const AUTH: u8 = 10;
pub(super) const LIMITS: u8 = 11;

/// Octets kept inside the value up to `N` (at most 255), on the heap above.
#[derive(Debug, Clone)]
pub(super) enum SmallBytes<const N: usize> {
    /// `len` octets of `buf`.
    Inline { len: u8, buf: [u8; N] },
    /// More than fit.
    Heap(Vec<u8>),
}

impl<const N: usize> SmallBytes<N> {
    #[inline(always)]
    pub(super) const fn new() -> Self {
        Self::Inline {
            len: 0,
            buf: [0; N],
        }
    }

    #[inline(always)]
    pub(super) fn as_slice(&self) -> &[u8] {
        match self {
            Self::Inline { len, buf } => buf.get(..usize::from(*len)).unwrap_or_default(),
            Self::Heap(v) => v,
        }
    }

    #[inline(always)]
    pub(super) fn len(&self) -> usize {
        match self {
            Self::Inline { len, .. } => usize::from(*len),
            Self::Heap(v) => v.len(),
        }
    }

    /// Appends `bytes`.
    #[inline(always)]
    pub(super) fn extend(&mut self, bytes: &[u8]) {
        if let Self::Inline { len, buf } = self {
            let at = usize::from(*len);
            if let Some(dst) = buf.get_mut(at..at + bytes.len()) {
                dst.copy_from_slice(bytes);
                // At most N octets, and N fits a u8.
                *len = (at + bytes.len()) as u8;
                return;
            }
        }
        self.extend_heap(bytes);
    }

    #[cold]
    fn extend_heap(&mut self, bytes: &[u8]) {
        if let Self::Inline { .. } = self {
            let mut v = Vec::with_capacity((2 * N).max(self.len() + bytes.len()));
            v.extend_from_slice(self.as_slice());
            *self = Self::Heap(v);
        }
        if let Self::Heap(v) = self {
            v.extend_from_slice(bytes);
        }
    }

    /// Appends `bytes` (short: a name or keyword) with ASCII letters made upper case.
    #[inline(always)]
    pub(super) fn extend_upper(&mut self, bytes: &[u8]) {
        if let Self::Inline { len, buf } = self {
            let at = usize::from(*len);
            if let Some(dst) = buf.get_mut(at..at + bytes.len()) {
                for (d, s) in dst.iter_mut().zip(bytes) {
                    *d = s.to_ascii_uppercase();
                }
                // At most N octets, and N fits a u8.
                *len = (at + bytes.len()) as u8;
                return;
            }
        }
        self.extend_heap(&bytes.to_ascii_uppercase());
    }

    /// The `n` octets after the end when they fit inside, to fill and then keep with
    /// [`SmallBytes::grow`].
    #[inline(always)]
    pub(super) fn room(&mut self, n: usize) -> Option<&mut [u8]> {
        match self {
            Self::Inline { len, buf } => {
                let at = usize::from(*len);
                buf.get_mut(at..at + n)
            }
            Self::Heap(_) => None,
        }
    }

    /// Keeps `n` octets written into [`SmallBytes::room`].
    #[inline(always)]
    pub(super) fn grow(&mut self, n: usize) {
        if let Self::Inline { len, .. } = self {
            // Within N, which fits a u8.
            *len = (usize::from(*len) + n).min(N) as u8;
        }
    }

    /// Appends one octet.
    #[inline(always)]
    pub(super) fn push(&mut self, b: u8) {
        if let Self::Inline { len, buf } = self
            && let Some(slot) = buf.get_mut(usize::from(*len))
        {
            *slot = b;
            *len += 1;
            return;
        }
        self.extend_heap(&[b]);
    }

    /// The octets from `from` on, to change in place.
    #[inline(always)]
    pub(super) fn tail_mut(&mut self, from: usize) -> &mut [u8] {
        match self {
            Self::Inline { len, buf } => buf.get_mut(from..usize::from(*len)).unwrap_or_default(),
            Self::Heap(v) => v.get_mut(from..).unwrap_or_default(),
        }
    }
}

/// The extensions of an EHLO reply and its first line.
#[derive(Debug, Clone)]
pub(super) struct Store {
    /// The first line's text (domain, then SP and the greeting when there is one), then a
    /// segment after a LF for the first AUTH (its mechanism names, upper case, each after a SP
    /// but the first) and for each other keyword (upper case when decoded, then SP and each
    /// parameter). UTF-8; no segment holds a LF, and no name, keyword or parameter a SP.
    pub(super) text: SmallBytes<INLINE_TEXT>,
    /// Octets of `text` that are the first line.
    pub(super) first_len: usize,
    /// Octets of the first line that are the domain.
    pub(super) domain_len: usize,
    /// One tag per extension, in order: a keyword's bit number, [`OTHER`] or [`EXTRA`].
    pub(super) tags: SmallBytes<INLINE_TAGS>,
    /// Bit `1 << tag` for each known keyword offered.
    pub(super) flags: u16,
    /// The first SIZE's limit.
    pub(super) size: Option<u64>,
    /// Where the first AUTH's names are in `text`.
    pub(super) auth: (usize, usize),
    /// Extensions kept whole: LIMITS (rare, and its numbers would make every reply bigger), a
    /// second SIZE or AUTH, and an other keyword that does not fit the text form.
    pub(super) extra: Vec<Capability>,
}

impl Store {
    /// A reply whose first line is `first` (UTF-8, no LF), its domain the first `domain_len`
    /// octets.
    #[inline(always)]
    pub(super) fn new(first: &[u8], domain_len: usize) -> Self {
        let mut text = SmallBytes::new();
        text.extend(first);
        Self {
            text,
            first_len: first.len(),
            domain_len,
            tags: SmallBytes::new(),
            flags: 0,
            size: None,
            auth: (0, 0),
            extra: Vec::new(),
        }
    }

    /// Sets the first line of a decoded reply on an empty store: the domain is its first word,
    /// the greeting the rest after one SP when that rest is not empty. Non-UTF-8 octets are
    /// replaced.
    #[inline(always)]
    pub(super) fn first_line(&mut self, line: &[u8]) {
        let (keep, domain_len) = match find(line, b' ') {
            // No greeting: drop the lone SP so that the reply equals one built without it.
            Some(sp) if sp + 1 == line.len() => (line.get(..sp).unwrap_or_default(), sp),
            Some(sp) => (line, sp),
            None => (line, line.len()),
        };
        if keep.is_ascii() {
            self.text.extend(keep);
            self.first_len = keep.len();
            self.domain_len = domain_len;
        } else {
            self.lossy_first_line(keep);
        }
    }

    #[cold]
    fn lossy_first_line(&mut self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        self.text.extend(text.as_bytes());
        self.first_len = text.len();
        // A replacement character holds no SP, so the first SP still ends the domain.
        self.domain_len = find(text.as_bytes(), b' ').unwrap_or(text.len());
    }

    /// The first line.
    #[inline]
    pub(super) fn first(&self) -> &str {
        let bytes = self
            .text
            .as_slice()
            .get(..self.first_len)
            .unwrap_or_default();
        std::str::from_utf8(bytes).unwrap_or_default()
    }

    /// Replaces the first line, keeping the extensions.
    pub(super) fn set_first(&mut self, first: &str, domain_len: usize) {
        let mut text = SmallBytes::new();
        text.extend(first.as_bytes());
        text.extend(
            self.text
                .as_slice()
                .get(self.first_len..)
                .unwrap_or_default(),
        );
        let shift = |at: usize| at - self.first_len + first.len();
        if self.flags & 1 << AUTH != 0 {
            self.auth = (shift(self.auth.0), shift(self.auth.1));
        }
        self.text = text;
        self.first_len = first.len();
        self.domain_len = domain_len;
    }

    /// Whether the known keyword `tag` is offered.
    #[inline(always)]
    pub(super) fn has(&self, tag: u8) -> bool {
        self.flags & 1 << tag != 0
    }

    /// Records a known keyword; `false` if it was offered before (the caller keeps the repeat
    /// elsewhere when it carries values).
    #[inline(always)]
    fn mark(&mut self, tag: u8) -> bool {
        let new = !self.has(tag);
        self.flags |= 1 << tag;
        self.tags.push(tag);
        new
    }

    /// Starts a segment of `text`; returns where its content starts.
    #[inline(always)]
    fn segment(&mut self) -> usize {
        self.text.push(b'\n');
        self.text.len()
    }

    /// Adds one extension, as [`super::EhloReply::push`] does.
    pub(super) fn push(&mut self, capability: Capability) {
        match capability {
            Capability::Pipelining => self.simple(PIPELINING),
            Capability::EightBitMime => self.simple(EIGHT_BIT_MIME),
            Capability::SmtpUtf8 => self.simple(SMTPUTF8),
            Capability::Chunking => self.simple(CHUNKING),
            Capability::BinaryMime => self.simple(BINARY_MIME),
            Capability::Dsn => self.simple(DSN),
            Capability::EnhancedStatusCodes => self.simple(ENHANCED_STATUS_CODES),
            Capability::StartTls => self.simple(STARTTLS),
            Capability::RequireTls => self.simple(REQUIRETLS),
            Capability::Size(n) if !self.has(SIZE) => {
                self.mark(SIZE);
                self.size = n;
            }
            Capability::Auth(ref mechs) if !self.has(AUTH) => {
                self.mark(AUTH);
                let start = self.segment();
                for (i, m) in mechs.iter().enumerate() {
                    if i > 0 {
                        self.text.push(b' ');
                    }
                    self.text.extend(m.as_str().as_bytes());
                }
                self.auth = (start, self.text.len());
            }
            Capability::Limits { .. } => {
                self.flags |= 1 << LIMITS;
                self.tags.push(EXTRA);
                self.extra.push(capability);
            }
            Capability::Other {
                ref keyword,
                ref params,
            } if fits_text(keyword, params) => {
                self.tags.push(OTHER);
                self.segment();
                self.text.extend(keyword.as_bytes());
                for p in params {
                    self.text.push(b' ');
                    self.text.extend(p.as_bytes());
                }
            }
            capability => {
                self.tags.push(EXTRA);
                self.extra.push(capability);
            }
        }
    }

    #[inline(always)]
    fn simple(&mut self, tag: u8) {
        self.mark(tag);
    }

    /// `ehlo-line = ehlo-keyword *( SP ehlo-param )`, one line of a decoded reply after the
    /// first; a line that is not one is skipped. The usual lines are matched here: one known
    /// keyword without parameters, `SIZE` with a number, the first `AUTH`; anything else takes
    /// [`Store::add_parsed`], which gives the same result for these.
    #[inline(always)]
    pub(super) fn add_line(&mut self, line: &[u8]) {
        if let Some(tag) = simple_tag(line) {
            self.mark(tag);
            return;
        }
        if let Some((&[a, b, c, d, b' '], params)) = line.split_first_chunk::<5>() {
            // Letters only in the words compared, so setting 0x20 folds case and nothing else.
            let word = u32::from_le_bytes([a, b, c, d]) | 0x2020_2020;
            if word == u32::from_le_bytes(*b"size")
                && !self.has(SIZE)
                && let Some(n) = short_number(params)
            {
                self.mark(SIZE);
                self.size = Some(n);
                return;
            }
            if word == u32::from_le_bytes(*b"auth") && !self.has(AUTH) {
                self.add_auth(params);
                return;
            }
        }
        self.add_parsed(line);
    }

    /// The first AUTH: its mechanism names that are valid, upper case, in one segment.
    #[inline(always)]
    fn add_auth(&mut self, params: &[u8]) {
        self.mark(AUTH);
        let start = self.segment();
        // Usually every name is valid, one SP apart: copied in one pass.
        if let Some(dst) = self.text.room(params.len())
            && copy_names(dst, params)
        {
            self.text.grow(params.len());
        } else {
            for m in Words(params) {
                if is_mechanism(m) {
                    if self.text.len() > start {
                        self.text.push(b' ');
                    }
                    self.text.extend_upper(m);
                }
            }
        }
        self.auth = (start, self.text.len());
    }

    /// Any line but a bare known keyword. Known keywords are compared as whole words ignoring
    /// the case of their letters and allocate nothing; any other keyword is checked octet by
    /// octet and kept upper case, with its parameters, in the text.
    pub(super) fn add_parsed(&mut self, line: &[u8]) {
        let mut rest = line;
        while let [b' ', after @ ..] = rest {
            rest = after;
        }
        let len = find(rest, b' ').unwrap_or(rest.len());
        let (keyword, params) = rest.split_at_checked(len).unwrap_or((rest, &[]));
        let mut words = Words(params);
        let first = words.clone().next();
        if first.is_none()
            && let Some(tag) = simple_tag(keyword)
        {
            self.simple(tag);
            return;
        }
        match keyword.len() {
            4 if parse::is_word(keyword, b"SIZE") => {
                let size = match (words.next(), words.next()) {
                    (None, _) => None,
                    // Saturate rather than fail the whole EHLO reply (security-anchors §8 item 28).
                    (Some(n), None) => {
                        Some(parse::number(n, 20, "SIZE", "size").unwrap_or(u64::MAX))
                    }
                    _ => return,
                };
                if self.mark(SIZE) {
                    self.size = size;
                } else {
                    self.repeat(Capability::Size(size));
                }
                return;
            }
            4 if parse::is_word(keyword, b"AUTH") => {
                if self.has(AUTH) {
                    let mechs = words
                        .filter_map(crate::types::MechanismName::parse)
                        .collect();
                    self.mark(AUTH);
                    self.repeat(Capability::Auth(mechs));
                } else {
                    self.add_auth(params);
                }
                return;
            }
            6 if parse::is_word(keyword, b"LIMITS") => {
                let Some(limits) = limits(words) else {
                    return;
                };
                let [rcpt_max, mail_max, rcpt_domain_max] = limits;
                self.push(Capability::Limits {
                    rcpt_max,
                    mail_max,
                    rcpt_domain_max,
                });
                return;
            }
            _ => {}
        }
        if keyword.is_empty() || !keyword.iter().all(|&b| is_keyword_octet(b)) {
            return;
        }
        self.tags.push(OTHER);
        self.segment();
        self.text.extend_upper(keyword);
        if plain_params(params) {
            // Kept as sent: the usual case, one copy.
            self.text.extend(params);
            return;
        }
        for p in words {
            self.text.push(b' ');
            if p.is_ascii() {
                self.text.extend(p);
            } else {
                self.text.extend(String::from_utf8_lossy(p).as_bytes());
            }
        }
    }

    /// A second SIZE, AUTH or LIMITS, whose tag is already pushed: kept whole.
    #[cold]
    fn repeat(&mut self, capability: Capability) {
        if let Some(tag) = self
            .tags
            .tail_mut(self.tags.len().saturating_sub(1))
            .first_mut()
        {
            *tag = EXTRA;
        }
        self.extra.push(capability);
    }

    /// The extensions in order.
    pub(super) fn views(&self) -> impl Iterator<Item = View<'_>> + Clone {
        let text = self.text.as_slice();
        let mut segments = text
            .get(self.first_len..)
            .unwrap_or_default()
            .split(|&b| b == b'\n')
            .skip(1)
            .map(|s| std::str::from_utf8(s).unwrap_or_default());
        let mut extra = self.extra.iter();
        self.tags.as_slice().iter().filter_map(move |&tag| {
            Some(match tag {
                SIZE => View::Size(self.size),
                AUTH => View::Auth(Names::Text(segments.next().unwrap_or_default())),
                OTHER => {
                    let segment = segments.next().unwrap_or_default();
                    let (keyword, params) = segment.split_once(' ').unwrap_or((segment, ""));
                    View::Other(keyword, Params::Text(params))
                }
                EXTRA => View::of(extra.next()?),
                tag => View::Simple(tag),
            })
        })
    }
}

/// Whether an other keyword can be kept in the text as it is: a keyword and parameters that are
/// not empty and hold no SP or LF.
fn fits_text(keyword: &str, params: &[String]) -> bool {
    let word = |w: &str| !w.is_empty() && !w.bytes().any(|b| b == b' ' || b == b'\n');
    word(keyword) && params.iter().all(|p| word(p))
}

/// The keywords that take no parameter, as tags.
#[inline(always)]
fn simple_tag(keyword: &[u8]) -> Option<u8> {
    let k = keyword;
    Some(match k.len() {
        3 if parse::is_word(k, b"DSN") => DSN,
        8 => match k.first().map(|b| b | 0x20) {
            Some(b'8') if parse::is_word(k, b"8BITMIME") => EIGHT_BIT_MIME,
            Some(b's') if parse::is_word(k, b"SMTPUTF8") => SMTPUTF8,
            Some(b'c') if parse::is_word(k, b"CHUNKING") => CHUNKING,
            Some(b's') if parse::is_word(k, b"STARTTLS") => STARTTLS,
            _ => return None,
        },
        10 => match k.first().map(|b| b | 0x20) {
            Some(b'p') if parse::is_word(k, b"PIPELINING") => PIPELINING,
            Some(b'b') if parse::is_word(k, b"BINARYMIME") => BINARY_MIME,
            Some(b'r') if parse::is_word(k, b"REQUIRETLS") => REQUIRETLS,
            _ => return None,
        },
        19 if parse::is_word(k, b"ENHANCEDSTATUSCODES") => ENHANCED_STATUS_CODES,
        _ => return None,
    })
}

/// Copies `src` into `dst` (as long) upper case, and tells whether `src` is valid mechanism
/// names ([`is_mechanism`]) one SP apart, with no SP before or after, so that the copy is what
/// taking the valid names one by one gives.
#[inline(always)]
fn copy_names(dst: &mut [u8], src: &[u8]) -> bool {
    let mut run = 0usize;
    let mut ok = true;
    for (d, &b) in dst.iter_mut().zip(src) {
        *d = b.to_ascii_uppercase();
        if b == b' ' {
            ok &= run > 0;
            run = 0;
        } else {
            ok &= b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
            run += 1;
        }
        ok &= run <= 20;
    }
    ok && run > 0 && dst.len() == src.len()
}

/// Whether an other keyword's parameters (empty, or SP then the rest of the line) are ASCII
/// words one SP apart with no SP after, so that they can be kept as sent.
#[inline(always)]
fn plain_params(params: &[u8]) -> bool {
    let mut space = false;
    for &b in params {
        if b == b' ' {
            if space {
                return false;
            }
            space = true;
        } else if b.is_ascii() {
            space = false;
        } else {
            return false;
        }
    }
    !space
}

/// `1*19DIGIT`, the whole of `bytes`: a number that cannot overflow.
#[inline(always)]
fn short_number(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > 19 {
        return None;
    }
    let mut n = 0u64;
    for &b in bytes {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n = n * 10 + u64::from(digit);
    }
    Some(n)
}

/// `LIMITS` parameters (RFC 9422 §4): `name=value` each; `None` if one is not.
fn limits(words: Words<'_>) -> Option<[Option<u64>; 3]> {
    let mut limits = [None; 3];
    for p in words {
        let (k, v) = p.split_at_checked(find(p, b'=')?)?;
        let n = parse::number(v.get(1..)?, 20, "LIMITS", "limit-value").ok()?;
        let slot = if k.eq_ignore_ascii_case(b"RCPTMAX") {
            0
        } else if k.eq_ignore_ascii_case(b"MAILMAX") {
            1
        } else if k.eq_ignore_ascii_case(b"RCPTDOMAINMAX") {
            2
        } else {
            continue;
        };
        if let Some(s) = limits.get_mut(slot) {
            *s = Some(n);
        }
    }
    Some(limits)
}

/// `sasl-mech = 1*20mech-char`, `mech-char = UPPER-ALPHA / DIGIT / HYPHEN / UNDERSCORE`
/// (RFC 4422 §3.1), lower case accepted as [`MechanismName::parse`] does.
///
/// [`MechanismName::parse`]: crate::types::MechanismName::parse
#[inline]
fn is_mechanism(name: &[u8]) -> bool {
    (1..=20).contains(&name.len())
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The first `b` in `bytes`: EHLO lines are short, so a plain loop beats a vector search's
/// set-up.
#[inline(always)]
fn find(bytes: &[u8], b: u8) -> Option<usize> {
    bytes.iter().position(|&x| x == b)
}

/// `ALPHA / DIGIT / "-"`, the octets of an `ehlo-keyword`.
#[inline(always)]
fn is_keyword_octet(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// The words of `*( SP ehlo-param )`: runs of octets between spaces, empty ones skipped.
#[derive(Clone)]
struct Words<'a>(&'a [u8]);

impl<'a> Iterator for Words<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let start = self.0.iter().position(|&b| b != b' ')?;
        let rest = self.0.get(start..).unwrap_or_default();
        let len = find(rest, b' ').unwrap_or(rest.len());
        let (word, after) = rest.split_at_checked(len)?;
        self.0 = after;
        Some(word)
    }
}
