//! Domain names: validated construction, IDNA, and hardened decompression.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use crate::error::{InvalidName, WireError};
use crate::wire::host::{HostKind, LabelRun, ipv4_literal, is_ldh_label};

/// Longest name on the wire, including the root label (RFC 1035 §3.1).
pub const MAX_NAME_OCTETS: usize = 255;
/// Longest label (RFC 1035 §2.3.4).
pub const MAX_LABEL_OCTETS: usize = 63;
/// Most compression pointers one name may follow. A legal name has at most
/// 127 labels, so honest encoders never come near this; the budget bounds
/// the work an attacker can cause with pointer chains (CVE-2026-64194).
pub const MAX_POINTER_HOPS: usize = 128;
/// Size of the DNS header; no pointer may point into it.
const HEADER_OCTETS: usize = 12;

/// A domain name in uncompressed wire form, ASCII letters lower-cased.
///
/// DNS compares names case-insensitively (RFC 4343), so names are folded
/// once when built and then compare, hash and sort with plain byte
/// equality. Internationalised names are always held as A-labels
/// (`xn--…`); [`Name::to_unicode`] gives the display form.
#[derive(Clone)]
pub struct Name {
    /// Length-prefixed labels ending with the zero-length root label.
    wire: WireBuf,
}

/// Names up to this many wire octets are stored inline: most host names
/// fit, so decoding and cloning them does not touch the allocator.
pub(crate) const INLINE_OCTETS: usize = 54;

#[derive(Clone)]
enum WireBuf {
    Inline { len: u8, buf: [u8; INLINE_OCTETS] },
    Heap(Box<[u8]>),
}

impl WireBuf {
    fn from_slice(wire: &[u8]) -> Self {
        let mut buf = [0u8; INLINE_OCTETS];
        match (buf.get_mut(..wire.len()), u8::try_from(wire.len())) {
            (Some(slot), Ok(len)) => {
                slot.copy_from_slice(wire);
                Self::Inline { len, buf }
            }
            _ => Self::Heap(wire.into()),
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            Self::Inline { len, buf } => buf.get(..usize::from(*len)).unwrap_or_default(),
            Self::Heap(b) => b,
        }
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.as_wire(), other.as_wire());
        // Sibling host names usually differ in their first octets: compare
        // those as one word before comparing the whole.
        a.len() == b.len() && a.first_chunk::<8>() == b.first_chunk::<8>() && a == b
    }
}

impl Eq for Name {}

impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_wire().hash(state);
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_wire().cmp(other.as_wire())
    }
}

impl Name {
    /// The root name `.`: as an MX exchange it means Null MX (RFC 7505).
    pub fn root() -> Self {
        Self::from_checked_wire(&[0])
    }

    /// Builds a name from dotted ASCII text (a trailing dot is optional).
    ///
    /// Any octet other than `.` may appear in a label, so this accepts names
    /// such as `_mx.example` that are legal in DNS but not host names; use
    /// [`Name::domain`] for a recipient domain. No escapes are interpreted.
    pub fn from_ascii(text: &str) -> Result<Self, InvalidName> {
        if text == "." {
            return Ok(Self::root());
        }
        let text = text.strip_suffix('.').unwrap_or(text);
        if text.is_empty() {
            return Err(InvalidName::Empty);
        }
        let mut wire = Vec::with_capacity(text.len() + 2);
        for label in text.split('.') {
            let len = u8::try_from(label.len())
                .ok()
                .filter(|&l| l > 0 && usize::from(l) <= MAX_LABEL_OCTETS)
                .ok_or_else(|| InvalidName::BadLabel {
                    label: label.to_owned(),
                })?;
            wire.push(len);
            wire.extend(label.bytes().map(|b| b.to_ascii_lowercase()));
        }
        wire.push(0);
        if wire.len() > MAX_NAME_OCTETS {
            return Err(InvalidName::TooLong);
        }
        Ok(Self::from_checked_wire(&wire))
    }

    /// Builds a mail domain from user input: UTS #46 non-transitional
    /// processing (IDNA 2008 behaviour, so `faß.de` keeps its `ß` as an
    /// A-label), then RFC 1123 host name syntax. IP literals are refused.
    pub fn domain(text: &str) -> Result<Self, InvalidName> {
        let trimmed = text.strip_suffix('.').unwrap_or(text);
        if trimmed.is_empty() {
            return Err(InvalidName::Empty);
        }
        if trimmed.parse::<IpAddr>().is_ok() || trimmed.starts_with('[') {
            return Err(InvalidName::IpLiteral {
                name: text.to_owned(),
            });
        }
        let ascii = idna::domain_to_ascii(trimmed).map_err(|_| InvalidName::Idna {
            name: text.to_owned(),
        })?;
        let name = Self::from_ascii(&ascii)?;
        if ascii.parse::<Ipv4Addr>().is_ok() {
            return Err(InvalidName::IpLiteral {
                name: text.to_owned(),
            });
        }
        if let Some(label) = name.labels().find(|l| !is_ldh_label(l)) {
            return Err(InvalidName::NotHostname {
                label: String::from_utf8_lossy(label).into_owned(),
            });
        }
        if !name.last_label_ok() {
            return Err(InvalidName::NotHostname {
                label: name.last_label_text(),
            });
        }
        Ok(name)
    }

    /// Whether this is the root name `.`.
    pub fn is_root(&self) -> bool {
        self.as_wire().len() == 1
    }

    /// The labels from left to right, without the root label.
    pub fn labels(&self) -> Labels<'_> {
        Labels {
            rest: self.as_wire(),
        }
    }

    /// The uncompressed wire form, ending with the root label.
    pub fn as_wire(&self) -> &[u8] {
        self.wire.as_slice()
    }

    /// Whether every label is a host name label (RFC 1123 §2.1: letters,
    /// digits and hyphens, no hyphen at either end) and the top-level label
    /// is not all digits. MX exchanges must be host names (RFC 5321 §5.1).
    pub fn is_hostname(&self) -> bool {
        self.host_kind() == HostKind::Hostname
    }

    /// Host name, IPv4 literal or neither, in one pass over the labels.
    pub(crate) fn host_kind(&self) -> HostKind {
        let mut run = LabelRun::EMPTY;
        for label in self.labels() {
            run.push(label);
        }
        run.kind(|| self.ip_literal())
    }

    /// The IPv4 address this name spells, when it is an address literal
    /// such as `192.0.2.1` published as an MX exchange (which RFC 5321
    /// forbids but some domains do).
    pub fn ip_literal(&self) -> Option<IpAddr> {
        ipv4_literal(self.labels())
    }

    /// The display form with A-labels turned back into Unicode where valid.
    pub fn to_unicode(&self) -> String {
        let (text, _) = idna::domain_to_unicode(&self.to_string());
        text
    }

    /// Appends the uncompressed wire form.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_wire());
    }

    fn last_label_ok(&self) -> bool {
        self.labels()
            .last()
            .is_some_and(|l| !l.iter().all(u8::is_ascii_digit))
    }

    fn last_label_text(&self) -> String {
        self.labels()
            .last()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .unwrap_or_default()
    }

    /// A name held inline: `buf[..len]` is its wire form, root included.
    pub(crate) fn from_inline(len: u8, buf: [u8; INLINE_OCTETS]) -> Self {
        Self {
            wire: WireBuf::Inline { len, buf },
        }
    }

    /// Builds a name from wire octets already checked by the decoder.
    pub(crate) fn from_checked_wire(wire: &[u8]) -> Self {
        Self {
            wire: WireBuf::from_slice(wire),
        }
    }
}

/// Whether the name whose labels `name` yields is the one `parent` yields
/// or below it (RFC 4343: ASCII case ignored): `mx.example.com` is below
/// `example.com`, `mxexample.com` is not. Each closure gives a fresh walk
/// of the labels, so compressed names are compared in place.
pub(crate) fn is_at_or_below<'a, 'b, A, B>(name: impl Fn() -> A, parent: impl Fn() -> B) -> bool
where
    A: Iterator<Item = &'a [u8]>,
    B: Iterator<Item = &'b [u8]>,
{
    let (own, theirs) = (name().count(), parent().count());
    own >= theirs
        && name()
            .skip(own - theirs)
            .zip(parent())
            .all(|(a, b)| a.eq_ignore_ascii_case(b))
}

/// Iterator over the labels of a [`Name`].
#[derive(Debug, Clone)]
pub struct Labels<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Labels<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (&len, tail) = self.rest.split_first()?;
        if len == 0 {
            return None;
        }
        let (label, rest) = tail.split_at_checked(usize::from(len))?;
        self.rest = rest;
        Some(label)
    }
}

impl fmt::Display for Name {
    /// Dotted presentation form without the trailing dot (`.` for the
    /// root). Octets outside letters, digits, `-` and `_` are written as
    /// `\DDD` and a dot inside a label as `\.` (RFC 1035 §5.1).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            return f.write_str(".");
        }
        for (i, label) in self.labels().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            for &b in label {
                if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                    fmt::Write::write_char(f, char::from(b))?;
                } else if b == b'.' || b == b'\\' {
                    write!(f, "\\{}", char::from(b))?;
                } else {
                    write!(f, "\\{b:03}")?;
                }
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({self})")
    }
}

impl std::str::FromStr for Name {
    type Err = InvalidName;

    /// Same as [`Name::from_ascii`].
    fn from_str(s: &str) -> Result<Self, InvalidName> {
        Self::from_ascii(s)
    }
}

/// Reads a possibly compressed name starting at `start` of `msg`.
///
/// RFC 1035 §4.1.4:
/// `name = *label ( zero-octet / pointer )`,
/// `label = length-octet (0x01-0x3F) 1*63OCTET`,
/// `pointer = 2OCTET ; top two bits set, 14-bit offset`.
///
/// Hardening (RFC 9267): every pointer must point strictly before the start
/// of the segment that contains it (which rules out forward pointers, self
/// references and cycles) and past the header; at most
/// [`MAX_POINTER_HOPS`] pointers; label types 0x40 and 0x80 refused; the
/// uncompressed result at most 255 octets. The loop is iterative, so stack
/// use is constant. Returns the name and the offset just after its
/// in-place representation.
#[cfg(test)]
pub(crate) fn read_name(msg: &[u8], start: usize) -> Result<(Name, usize), WireError> {
    let end = check_name(msg, start)?;
    Ok((crate::wire::copy::copy_name(msg, start), end))
}

/// One label of length `len` at `pos` in a name that began at `start`:
/// counts its octets into `used` (and the root label still to come against
/// the 255-octet cap) and returns where the next label starts.
#[inline(always)]
fn label_step(
    msg: &[u8],
    pos: usize,
    len: u8,
    used: &mut usize,
    start: usize,
) -> Result<usize, WireError> {
    let len = usize::from(len);
    if pos + 1 + len > msg.len() {
        return Err(WireError::Truncated { offset: msg.len() });
    }
    *used += 1 + len;
    if *used + 1 > MAX_NAME_OCTETS {
        return Err(WireError::NameTooLong { offset: start });
    }
    Ok(pos + 1 + len)
}

/// The compression pointer at `pos` (first octet `first`) in a name that
/// began at `start`: its target, checked by RFC 9267 (strictly backwards
/// from the current segment, not into the header, within the hop budget
/// `hops`, which it counts).
#[inline(always)]
fn pointer_step(
    msg: &[u8],
    pos: usize,
    first: u8,
    segment_start: usize,
    hops: &mut usize,
    start: usize,
) -> Result<usize, WireError> {
    let &low = msg
        .get(pos + 1)
        .ok_or(WireError::Truncated { offset: pos + 1 })?;
    let target = usize::from(first & 0x3F) << 8 | usize::from(low);
    if target >= segment_start {
        return Err(WireError::PointerNotBackwards {
            offset: pos,
            target,
        });
    }
    if target < HEADER_OCTETS {
        return Err(WireError::PointerIntoHeader {
            offset: pos,
            target,
        });
    }
    *hops += 1;
    if *hops > MAX_POINTER_HOPS {
        return Err(WireError::TooManyPointers {
            offset: start,
            limit: MAX_POINTER_HOPS,
        });
    }
    Ok(target)
}

/// Validates the name at `start` (all the rules of [`read_name`]) without
/// copying it; returns the offset just after its in-place representation.
pub(crate) fn check_name(msg: &[u8], start: usize) -> Result<usize, WireError> {
    let mut used = 0usize;
    let mut pos = start;
    let mut segment_start = start;
    let mut end = None;
    let mut hops = 0usize;
    loop {
        let &len = msg.get(pos).ok_or(WireError::Truncated { offset: pos })?;
        match len & 0xC0 {
            0x00 => {
                if len == 0 {
                    return Ok(end.unwrap_or(pos + 1));
                }
                pos = label_step(msg, pos, len, &mut used, start)?;
            }
            0xC0 => {
                let target = pointer_step(msg, pos, len, segment_start, &mut hops, start)?;
                if end.is_none() {
                    end = Some(pos + 2);
                }
                segment_start = target;
                pos = target;
            }
            _ => {
                return Err(WireError::ReservedLabelType {
                    offset: pos,
                    octet: len,
                });
            }
        }
    }
}

/// Slots of a [`NameCache`] (direct-mapped by offset).
const CACHE_SLOTS: usize = 64;

/// Suffixes already validated in one message, so that a compression
/// pointer to one of them costs one lookup instead of a walk.
///
/// A suffix is recorded only after the whole name containing it passed
/// [`check_name`]. A walk that reaches the same offset by a pointer would
/// see the same octets, and its segment rule is weaker (the pointer's
/// target is itself the new segment start), so the suffix is valid again;
/// only the combined length and pointer count remain to be checked, and
/// when they fail the name is walked again in full for the exact error.
#[derive(Debug)]
pub(crate) struct NameCache {
    /// (offset, uncompressed octets without the root, pointers) per slot;
    /// offset 0 (inside the header, never a target) marks an empty slot.
    slots: [(u16, u8, u8); CACHE_SLOTS],
}

impl NameCache {
    pub(crate) fn new() -> Self {
        Self {
            slots: [(0, 0, 0); CACHE_SLOTS],
        }
    }

    #[inline]
    fn get(&self, at: usize) -> Option<(usize, usize)> {
        match self.slots.get(at % CACHE_SLOTS) {
            Some(&(pos, octets, hops)) if usize::from(pos) == at => {
                Some((usize::from(octets), usize::from(hops)))
            }
            _ => None,
        }
    }

    #[inline]
    fn put(&mut self, at: usize, octets: usize, hops: usize) {
        if let (Some(slot), Ok(pos), Ok(octets), Ok(hops)) = (
            self.slots.get_mut(at % CACHE_SLOTS),
            u16::try_from(at),
            u8::try_from(octets),
            u8::try_from(hops),
        ) {
            *slot = (pos, octets, hops);
        }
    }
}

/// [`check_name`] with a cache of the suffixes validated earlier in the
/// same message: the same rules and the same errors, but a pointer to a
/// known suffix ends the walk.
#[inline]
pub(crate) fn check_name_cached(
    msg: &[u8],
    start: usize,
    cache: &mut NameCache,
) -> Result<usize, WireError> {
    // The usual owner name: one pointer to a known suffix (checked where
    // it is called, without a call).
    if let (Some(&hi), Some(&lo)) = (msg.get(start), msg.get(start + 1))
        && hi & 0xC0 == 0xC0
    {
        let target = usize::from(hi & 0x3F) << 8 | usize::from(lo);
        if (HEADER_OCTETS..start).contains(&target)
            && let Some((octets, hops)) = cache.get(target)
            && octets < MAX_NAME_OCTETS
            && hops < MAX_POINTER_HOPS
        {
            return Ok(start + 2);
        }
    }
    check_name_walk(msg, start, cache)
}

/// [`check_name_cached`] past its fast path: the walk.
fn check_name_walk(msg: &[u8], start: usize, cache: &mut NameCache) -> Result<usize, WireError> {
    // Label offsets of the first segment and the octets before each.
    let mut firsts = [(0u16, 0u8); 8];
    let mut first_count = 0usize;
    let mut used = 0usize;
    let mut pos = start;
    let mut segment_start = start;
    let mut end = None;
    let mut hops = 0usize;
    let (total, total_hops) = loop {
        let &len = msg.get(pos).ok_or(WireError::Truncated { offset: pos })?;
        match len & 0xC0 {
            0x00 => {
                if len == 0 {
                    break (used, hops);
                }
                if let (None, Some(slot), Ok(at), Ok(before)) = (
                    end,
                    firsts.get_mut(first_count),
                    u16::try_from(pos),
                    u8::try_from(used),
                ) {
                    *slot = (at, before);
                    first_count += 1;
                }
                pos = label_step(msg, pos, len, &mut used, start)?;
            }
            0xC0 => {
                let target = pointer_step(msg, pos, len, segment_start, &mut hops, start)?;
                if end.is_none() {
                    end = Some(pos + 2);
                }
                if let Some((octets, more)) = cache.get(target) {
                    if used + octets + 1 > MAX_NAME_OCTETS || hops + more > MAX_POINTER_HOPS {
                        return check_name(msg, start);
                    }
                    break (used + octets, hops + more);
                }
                segment_start = target;
                pos = target;
            }
            _ => {
                return Err(WireError::ReservedLabelType {
                    offset: pos,
                    octet: len,
                });
            }
        }
    };
    for &(at, before) in firsts.iter().take(first_count) {
        cache.put(usize::from(at), total - usize::from(before), total_hops);
    }
    Ok(end.unwrap_or(pos + 1))
}

/// Labels of a name that [`check_name`] accepted, following pointers.
/// On bytes that were not checked it stops early instead of failing, and
/// it never loops: pointers must go strictly backwards here too.
#[derive(Debug, Clone)]
pub(crate) struct RawLabels<'a> {
    msg: &'a [u8],
    pos: usize,
    segment_start: usize,
}

impl<'a> RawLabels<'a> {
    pub(crate) fn new(msg: &'a [u8], start: usize) -> Self {
        Self {
            msg,
            pos: start,
            segment_start: start + 1,
        }
    }
}

impl<'a> RawLabels<'a> {
    /// The next label and the position of its length octet (after any
    /// pointers before it).
    #[inline]
    pub(crate) fn next_at(&mut self) -> Option<(usize, &'a [u8])> {
        loop {
            let &len = self.msg.get(self.pos)?;
            if len & 0xC0 == 0xC0 {
                let &low = self.msg.get(self.pos + 1)?;
                let target = usize::from(len & 0x3F) << 8 | usize::from(low);
                if target >= self.segment_start {
                    return None;
                }
                self.segment_start = target;
                self.pos = target;
                continue;
            }
            if len == 0 || len & 0xC0 != 0 {
                return None;
            }
            let (at, len) = (self.pos, usize::from(len));
            let label = self.msg.get(at + 1..at + 1 + len)?;
            self.pos += 1 + len;
            return Some((at, label));
        }
    }

    /// Where reading stands: the next label's length octet, or a pointer
    /// to it; once the labels are done, the root octet.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for RawLabels<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        self.next_at().map(|(_, label)| label)
    }
}

/// Name compression for the encoder (RFC 1035 §4.1.4): remembers where
/// each suffix of each written name starts and replaces a repeated suffix
/// with a pointer. Only used for owner names and for the RDATA of types
/// RFC 3597 §4 allows (MX, CNAME).
#[derive(Debug, Default)]
pub(crate) struct Compressor {
    /// (suffix in wire form, offset in the message)
    seen: Vec<(Vec<u8>, u16)>,
}

impl Compressor {
    /// Writes `name` at the end of `out`, compressed against earlier names.
    pub(crate) fn write(&mut self, name: &Name, out: &mut Vec<u8>) {
        let wire = name.as_wire();
        let mut pos = 0usize;
        while let Some(suffix) = wire.get(pos..) {
            if suffix.len() <= 1 {
                break;
            }
            if let Some((_, at)) = self.seen.iter().find(|(s, _)| s.as_slice() == suffix) {
                let ptr = 0xC000 | *at;
                out.extend_from_slice(&ptr.to_be_bytes());
                return;
            }
            if let Some(offset) = u16::try_from(out.len()).ok().filter(|o| *o < 0x4000) {
                self.seen.push((suffix.to_vec(), offset));
            }
            let len = usize::from(suffix.first().copied().unwrap_or(0));
            let label = suffix.get(..=len).unwrap_or_default();
            out.extend_from_slice(label);
            pos += 1 + len;
        }
        out.push(0);
    }
}

#[cfg(test)]
mod tests;
