//! A validated, zero-copy view of a DNS message.
//!
//! [`MessageView::parse`] makes one pass over the bytes applying every rule
//! of RFC 1035 §4.1 and RFC 9267 (the same rules [`Message::decode`]
//! applies, since that decoder is built on this one) and allocates
//! nothing. Records are then read in place: names stay compressed in the
//! message and are compared or copied only when asked.
//!
//! [`Message::decode`]: crate::wire::Message::decode

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::WireError;
use crate::wire::copy::copy_name;
use crate::wire::header::{HEADER_LEN, Header, Rcode};
use crate::wire::host::{HostKind, LabelRun, RunMemo, ipv4_literal};
use crate::wire::name::{Name, NameCache, RawLabels, check_name_cached};
use crate::wire::record::RecordType;

/// A name inside a validated message, still compressed.
///
/// Compares case-insensitively with other names in place and with owned
/// [`Name`]s (RFC 4343), and displays like a [`Name`]; [`NameRef::to_name`]
/// copies it out.
#[derive(Clone, Copy)]
pub struct NameRef<'a> {
    msg: &'a [u8],
    at: usize,
}

impl<'a> NameRef<'a> {
    /// The name at `at` of a validated message.
    #[inline]
    pub(crate) fn at_offset(msg: &'a [u8], at: usize) -> Self {
        Self { msg, at }
    }

    /// Its labels, left to right (pointers followed).
    pub fn labels(&self) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        RawLabels::new(self.msg, self.at)
    }

    /// An owned name seen as one in place (its wire form is a message of
    /// one uncompressed name).
    pub(crate) fn over(name: &'a Name) -> Self {
        Self {
            msg: name.as_wire(),
            at: 0,
        }
    }

    /// Host name, IPv4 literal or neither (RFC 5321 §5.1), reading the
    /// labels in place. What the suffix behind the first pointer adds up
    /// to is kept in `memo`, so names sharing a suffix (`mx1.example.com`,
    /// `mx2.example.com`) only walk their own first labels.
    #[inline]
    pub(crate) fn host_kind(&self, memo: &mut RunMemo) -> HostKind {
        let mut head = LabelRun::EMPTY;
        let mut pos = self.at;
        loop {
            let Some(&len) = self.msg.get(pos) else {
                return HostKind::Neither;
            };
            if len & 0xC0 == 0xC0 {
                break;
            }
            if len == 0 {
                return head.kind(|| self.ip_literal());
            }
            let end = pos + 1 + usize::from(len);
            let Some(label) = self.msg.get(pos + 1..end) else {
                return HostKind::Neither;
            };
            head.push(label);
            pos = end;
        }
        // A pointer: the suffix it leads to is a name of its own.
        let Some(&low) = self.msg.get(pos + 1) else {
            return HostKind::Neither;
        };
        let target = usize::from(self.msg.get(pos).map_or(0, |b| b & 0x3F)) << 8 | usize::from(low);
        if target > self.at {
            return HostKind::Neither;
        }
        let tail = match memo.get(target) {
            Some(known) => known,
            None => {
                let mut run = LabelRun::EMPTY;
                Self::at_offset(self.msg, target)
                    .labels()
                    .for_each(|l| run.push(l));
                memo.put(target, run);
                run
            }
        };
        head.then(tail).kind(|| self.ip_literal())
    }

    /// Where the name's first label (or its root octet) really is, after
    /// any pointers at its start: two names at the same position are the
    /// same name.
    #[inline]
    pub fn position(&self) -> usize {
        let (mut pos, mut segment_start) = (self.at, self.at + 1);
        while let (Some(&hi), Some(&lo)) = (self.msg.get(pos), self.msg.get(pos + 1)) {
            if hi & 0xC0 != 0xC0 {
                break;
            }
            let target = usize::from(hi & 0x3F) << 8 | usize::from(lo);
            if target >= segment_start {
                break;
            }
            segment_start = target;
            pos = target;
        }
        pos
    }

    /// Octets of the uncompressed wire form, root label included.
    fn wire_len(&self) -> usize {
        self.labels().map(|l| 1 + l.len()).sum::<usize>() + 1
    }

    /// Whether this name is `parent` or below it (RFC 4343: ASCII case
    /// ignored), compared in place: `mx.example.com` is below
    /// `example.com`, `mxexample.com` is not. A label of this name that
    /// sits where `parent` does in the same message (a suffix shared by
    /// compression) settles it in one walk; otherwise the suffix as long
    /// as `parent` is compared label by label.
    pub(crate) fn is_at_or_below(&self, parent: &NameRef<'_>) -> bool {
        let place = if std::ptr::eq(self.msg, parent.msg) {
            parent.position()
        } else {
            usize::MAX
        };
        let mut labels = RawLabels::new(self.msg, self.at);
        let mut total = 1usize;
        while let Some((pos, label)) = labels.next_at() {
            if pos == place {
                return true;
            }
            total += 1 + label.len();
        }
        if labels.position() == place {
            return true;
        }
        // Not shared: skip to the label where a suffix of parent's length
        // would start, and compare from there.
        let Some(mut skip) = total.checked_sub(parent.wire_len()) else {
            return false;
        };
        let mut labels = RawLabels::new(self.msg, self.at);
        while skip > 0 {
            let Some(rest) = labels
                .next()
                .and_then(|label| skip.checked_sub(1 + label.len()))
            else {
                return false;
            };
            skip = rest;
        }
        NameRef::at_offset(self.msg, labels.position()) == *parent
    }

    /// The IPv4 address this name spells, when it is an address literal
    /// (see [`Name::ip_literal`]).
    pub fn ip_literal(&self) -> Option<std::net::IpAddr> {
        ipv4_literal(self.labels())
    }

    /// The first label's length and up to seven octets, case folded, as
    /// one word: equal names give equal words (0 when the message ends
    /// within eight octets, which proves nothing).
    #[inline]
    pub(crate) fn head_key(&self) -> u64 {
        head_word(self.msg, self.position()).unwrap_or(0)
    }

    /// Whether this is the root name.
    #[inline]
    pub fn is_root(&self) -> bool {
        self.msg.get(self.position()) == Some(&0)
    }

    /// An owned copy (A-label form, lower-cased).
    pub fn to_name(&self) -> Name {
        copy_name(self.msg, self.at)
    }

    /// Case-insensitive comparison with an owned name (RFC 4343): one
    /// pass over both wire forms, following pointers on this side.
    #[inline]
    pub fn eq_name(&self, name: &Name) -> bool {
        let want = name.as_wire();
        // Usual case: written out in full, in lower case.
        if self.msg.get(self.at..self.at + want.len()) == Some(want) {
            return true;
        }
        let (mut pos, mut w, mut segment_start) = (self.at, 0usize, self.at + 1);
        loop {
            let Some(&len) = self.msg.get(pos) else {
                return false;
            };
            if len & 0xC0 == 0xC0 {
                let Some(&low) = self.msg.get(pos + 1) else {
                    return false;
                };
                let target = usize::from(len & 0x3F) << 8 | usize::from(low);
                if target >= segment_start {
                    return false;
                }
                segment_start = target;
                pos = target;
                continue;
            }
            if want.get(w) != Some(&len) {
                return false;
            }
            if len == 0 {
                return true;
            }
            let l = usize::from(len);
            match (
                self.msg.get(pos + 1..pos + 1 + l),
                want.get(w + 1..w + 1 + l),
            ) {
                (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => {}
                _ => return false,
            }
            pos += 1 + l;
            w += 1 + l;
        }
    }
}

impl PartialEq<Name> for NameRef<'_> {
    fn eq(&self, other: &Name) -> bool {
        self.eq_name(other)
    }
}

impl fmt::Display for NameRef<'_> {
    /// As [`Name`] displays (RFC 1035 §5.1 escapes, no trailing dot).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_name(), f)
    }
}

impl fmt::Debug for NameRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NameRef({self})")
    }
}

impl PartialEq for NameRef<'_> {
    /// Case-insensitive, label by label; the same position is equal at
    /// once, and different first labels (most siblings) after one word
    /// compare.
    fn eq(&self, other: &Self) -> bool {
        let (mine, theirs) = (self.position(), other.position());
        if std::ptr::eq(self.msg, other.msg) && mine == theirs {
            return true;
        }
        if let (Some(a), Some(b)) = (head_word(self.msg, mine), head_word(other.msg, theirs))
            && a != b
        {
            return false;
        }
        let mut mine = self.labels();
        let mut theirs = other.labels();
        loop {
            match (mine.next(), theirs.next()) {
                (None, None) => return true,
                (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => {}
                _ => return false,
            }
        }
    }
}

/// The length octet and first seven octets of the label at `at`, ASCII
/// case folded (`| 0x20`) and masked to the label: equal names give equal
/// words, so different words prove different names. `None` within eight
/// octets of the end of the message (then nothing is proved).
#[inline]
fn head_word(msg: &[u8], at: usize) -> Option<u64> {
    let window = msg.get(at..)?.first_chunk::<8>()?;
    let len = usize::from(*window.first()?).min(7);
    let mask = u64::MAX >> (8 * (7 - len));
    Some((u64::from_le_bytes(*window) | 0x2020_2020_2020_2020) & mask)
}

/// Record data read in place.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum RDataRef<'a> {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address.
    Aaaa(Ipv6Addr),
    /// A mail exchange.
    Mx {
        /// Lower is preferred.
        preference: u16,
        /// The host (root = Null MX).
        exchange: NameRef<'a>,
    },
    /// An alias target.
    Cname(NameRef<'a>),
    /// Any other type, raw.
    Other {
        /// Its TYPE.
        rtype: RecordType,
        /// Its RDATA.
        data: &'a [u8],
    },
}

/// A record read in place.
#[derive(Debug, Clone, Copy)]
pub struct RecordRef<'a> {
    /// Owner name.
    pub owner: NameRef<'a>,
    /// TYPE.
    pub rtype: RecordType,
    /// CLASS (for OPT: the UDP payload size).
    pub class: u16,
    /// TTL (for OPT: extended RCODE, version and flags).
    pub ttl: u32,
    msg: &'a [u8],
    rdata_at: usize,
    rdata_len: usize,
}

impl<'a> RecordRef<'a> {
    /// The raw RDATA.
    pub fn raw_rdata(&self) -> &'a [u8] {
        self.msg
            .get(self.rdata_at..self.rdata_at + self.rdata_len)
            .unwrap_or_default()
    }

    /// The RDATA, typed.
    pub fn rdata(&self) -> RDataRef<'a> {
        let raw = self.raw_rdata();
        match self.rtype {
            RecordType::A => match <[u8; 4]>::try_from(raw) {
                Ok(o) => RDataRef::A(Ipv4Addr::from(o)),
                Err(_) => self.other(raw),
            },
            RecordType::AAAA => match <[u8; 16]>::try_from(raw) {
                Ok(o) => RDataRef::Aaaa(Ipv6Addr::from(o)),
                Err(_) => self.other(raw),
            },
            RecordType::MX => match raw {
                [hi, lo, _, ..] => RDataRef::Mx {
                    preference: u16::from_be_bytes([*hi, *lo]),
                    exchange: NameRef {
                        msg: self.msg,
                        at: self.rdata_at + 2,
                    },
                },
                _ => self.other(raw),
            },
            RecordType::CNAME => RDataRef::Cname(NameRef {
                msg: self.msg,
                at: self.rdata_at,
            }),
            _ => self.other(raw),
        }
    }

    fn other(&self, data: &'a [u8]) -> RDataRef<'a> {
        RDataRef::Other {
            rtype: self.rtype,
            data,
        }
    }
}

fn u16_at(msg: &[u8], pos: usize) -> Result<u16, WireError> {
    match msg.get(pos..pos + 2) {
        Some(&[a, b]) => Ok(u16::from_be_bytes([a, b])),
        _ => Err(WireError::Truncated { offset: pos }),
    }
}

/// Validates one record at `pos`; returns the offset after it and whether
/// it is an OPT record.
///
/// RFC 1035 §4.1.3: `RR = NAME TYPE CLASS TTL RDLENGTH RDATA`. RDLENGTH
/// must lie within the message and equal what the type's grammar consumes
/// (RFC 9267 §4): MX `PREFERENCE EXCHANGE` needs at least 3 octets before
/// anything is read, A exactly 4, AAAA exactly 16, CNAME one name.
fn check_record(msg: &[u8], pos: usize, cache: &mut NameCache) -> Result<(usize, bool), WireError> {
    let owner_at = pos;
    let pos = check_name_cached(msg, pos, cache)?;
    let rtype = RecordType(u16_at(msg, pos)?);
    if msg.len() < pos + 10 {
        return Err(WireError::Truncated { offset: msg.len() });
    }
    let rdlength = usize::from(u16_at(msg, pos + 8)?);
    let start = pos + 10;
    let end = start + rdlength;
    if end > msg.len() {
        return Err(WireError::Truncated { offset: msg.len() });
    }
    let mismatch = |parsed: usize| WireError::RdataLengthMismatch {
        offset: start,
        rtype: rtype.0,
        rdlength,
        parsed,
    };
    match rtype {
        RecordType::A if rdlength != 4 => return Err(mismatch(4)),
        RecordType::AAAA if rdlength != 16 => return Err(mismatch(16)),
        RecordType::MX => {
            if rdlength < 3 {
                return Err(mismatch(3));
            }
            let name_end = check_name_cached(msg, start + 2, cache)?;
            if name_end != end {
                return Err(mismatch(name_end.saturating_sub(start)));
            }
        }
        RecordType::CNAME => {
            if rdlength < 1 {
                return Err(mismatch(1));
            }
            let name_end = check_name_cached(msg, start, cache)?;
            if name_end != end {
                return Err(mismatch(name_end.saturating_sub(start)));
            }
        }
        RecordType::OPT => {
            if msg.get(owner_at) != Some(&0) {
                return Err(WireError::BadOpt { offset: owner_at });
            }
            return Ok((end, true));
        }
        _ => {}
    }
    Ok((end, false))
}

/// Skips a name already validated.
#[inline]
fn skip_name(msg: &[u8], mut pos: usize) -> usize {
    while let Some(&len) = msg.get(pos) {
        match len {
            0 => return pos + 1,
            l if l & 0xC0 == 0xC0 => return pos + 2,
            l => pos += 1 + usize::from(l),
        }
    }
    pos
}

/// A validated message, read in place.
#[derive(Debug, Clone, Copy)]
pub struct MessageView<'a> {
    msg: &'a [u8],
    header: Header,
    /// Offset where each of the three record sections starts.
    sections: [usize; 3],
    /// Offset of the OPT record, if any.
    opt: Option<usize>,
}

impl<'a> MessageView<'a> {
    /// Validates a whole message (a UDP payload, or one TCP frame without
    /// its length prefix). Any malformed part rejects the whole message.
    ///
    /// RFC 1035 §4.1: `message = header question answer authority additional`.
    pub fn parse(msg: &'a [u8]) -> Result<Self, WireError> {
        if msg.len() > usize::from(u16::MAX) {
            return Err(WireError::MessageTooLong { length: msg.len() });
        }
        let header = Header::decode(msg)?;
        let mut pos = HEADER_LEN;
        let mut cache = NameCache::new();
        match header.qdcount {
            0 => {}
            1 => {
                pos = check_name_cached(msg, pos, &mut cache)?;
                if msg.len() < pos + 4 {
                    return Err(WireError::Truncated { offset: msg.len() });
                }
                pos += 4;
            }
            count => return Err(WireError::TooManyQuestions { count }),
        }
        let mut sections = [0usize; 3];
        let mut opt = None;
        let counts = [header.ancount, header.nscount, header.arcount];
        for (section, (start, count)) in sections.iter_mut().zip(counts).enumerate() {
            *start = pos;
            for _ in 0..count {
                let at = pos;
                let (next, is_opt) = check_record(msg, pos, &mut cache)?;
                if is_opt {
                    if section != 2 || opt.is_some() {
                        return Err(WireError::BadOpt { offset: at });
                    }
                    opt = Some(at);
                }
                pos = next;
            }
        }
        if pos != msg.len() {
            return Err(WireError::TrailingOctets {
                offset: pos,
                count: msg.len().saturating_sub(pos),
            });
        }
        Ok(Self {
            msg,
            header,
            sections,
            opt,
        })
    }

    /// The validated message.
    pub(crate) fn bytes(&self) -> &'a [u8] {
        self.msg
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The question: name, type and class.
    #[inline]
    pub fn question(&self) -> Option<(NameRef<'a>, RecordType, u16)> {
        if self.header.qdcount == 0 {
            return None;
        }
        let end = skip_name(self.msg, HEADER_LEN);
        Some((
            NameRef {
                msg: self.msg,
                at: HEADER_LEN,
            },
            RecordType(u16_at(self.msg, end).ok()?),
            u16_at(self.msg, end + 2).ok()?,
        ))
    }

    fn section(&self, index: usize, count: u16) -> Records<'a> {
        Records {
            msg: self.msg,
            pos: self.sections.get(index).copied().unwrap_or(self.msg.len()),
            left: count,
            opt: self.opt,
        }
    }

    /// The records of the answer (`0`) or additional (`2`) section, raw.
    pub(crate) fn raw_records(&self, index: usize) -> RawRecords<'a> {
        let count = match index {
            0 => self.header.ancount,
            1 => self.header.nscount,
            _ => self.header.arcount,
        };
        RawRecords {
            msg: self.msg,
            pos: self.sections.get(index).copied().unwrap_or(self.msg.len()),
            left: count,
            opt: self.opt,
        }
    }

    /// Answer section records.
    pub fn answers(&self) -> Records<'a> {
        self.section(0, self.header.ancount)
    }

    /// Authority section records.
    pub fn authority(&self) -> Records<'a> {
        self.section(1, self.header.nscount)
    }

    /// Additional section records, without the OPT pseudo-record.
    pub fn additional(&self) -> Records<'a> {
        self.section(2, self.header.arcount)
    }

    /// The OPT pseudo-record, if present.
    pub fn opt(&self) -> Option<RecordRef<'a>> {
        let at = self.opt?;
        Records {
            msg: self.msg,
            pos: at,
            left: 1,
            opt: None,
        }
        .next()
    }

    /// The full response code: header RCODE plus the EDNS extended bits.
    #[inline]
    pub fn rcode(&self) -> Rcode {
        // OPT: root owner (1), TYPE (2), CLASS (2), then the TTL whose
        // first octet is the extended RCODE.
        let ext = self
            .opt
            .and_then(|at| self.msg.get(at + 5))
            .map_or(0, |&b| u16::from(b));
        Rcode::from_u16(ext << 4 | u16::from(self.header.rcode))
    }
}

/// Where one record's parts sit in a validated message: the little the
/// planner reads, without building a [`RecordRef`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawRecord {
    /// Offset of the owner name.
    pub(crate) owner: usize,
    /// TYPE.
    pub(crate) rtype: u16,
    /// CLASS.
    pub(crate) class: u16,
    /// TTL.
    pub(crate) ttl: u32,
    /// Offset of the RDATA.
    pub(crate) rdata: usize,
}

/// Iterator over the records of one section as [`RawRecord`]s (OPT
/// skipped).
#[derive(Debug, Clone)]
pub(crate) struct RawRecords<'a> {
    msg: &'a [u8],
    pos: usize,
    left: u16,
    opt: Option<usize>,
}

impl Iterator for RawRecords<'_> {
    type Item = RawRecord;

    #[inline]
    fn next(&mut self) -> Option<RawRecord> {
        while self.left > 0 {
            self.left -= 1;
            let owner = self.pos;
            let fixed = match self.msg.get(owner) {
                Some(&b) if b & 0xC0 == 0xC0 => owner + 2,
                _ => skip_name(self.msg, owner),
            };
            let f = self.msg.get(fixed..)?.first_chunk::<10>()?;
            let rdata = fixed + 10;
            self.pos = rdata + usize::from(u16::from_be_bytes([f[8], f[9]]));
            if Some(owner) != self.opt {
                return Some(RawRecord {
                    owner,
                    rtype: u16::from_be_bytes([f[0], f[1]]),
                    class: u16::from_be_bytes([f[2], f[3]]),
                    ttl: u32::from_be_bytes([f[4], f[5], f[6], f[7]]),
                    rdata,
                });
            }
        }
        None
    }
}

/// Iterator over the records of one section.
#[derive(Debug, Clone)]
pub struct Records<'a> {
    msg: &'a [u8],
    pos: usize,
    left: u16,
    opt: Option<usize>,
}

impl<'a> Iterator for Records<'a> {
    type Item = RecordRef<'a>;

    fn next(&mut self) -> Option<RecordRef<'a>> {
        loop {
            if self.left == 0 {
                return None;
            }
            self.left -= 1;
            let at = self.pos;
            // Owners are usually one pointer.
            let fixed = match self.msg.get(at) {
                Some(&b) if b & 0xC0 == 0xC0 => at + 2,
                _ => skip_name(self.msg, at),
            };
            let f = self.msg.get(fixed..fixed + 10)?;
            let [t0, t1, c0, c1, l0, l1, l2, l3, r0, r1] = <[u8; 10]>::try_from(f).ok()?;
            let rdata_len = usize::from(u16::from_be_bytes([r0, r1]));
            self.pos = fixed + 10 + rdata_len;
            if Some(at) == self.opt {
                continue;
            }
            return Some(RecordRef {
                owner: NameRef { msg: self.msg, at },
                rtype: RecordType(u16::from_be_bytes([t0, t1])),
                class: u16::from_be_bytes([c0, c1]),
                ttl: u32::from_be_bytes([l0, l1, l2, l3]),
                msg: self.msg,
                rdata_at: fixed + 10,
                rdata_len,
            });
        }
    }
}

#[cfg(test)]
mod tests;
