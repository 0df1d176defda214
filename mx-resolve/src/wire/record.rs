//! Resource records (RFC 1035 §3.2, §4.1.3) and the EDNS OPT pseudo-record.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::wire::name::{Compressor, Name};

/// A record TYPE or QTYPE value (RFC 1035 §3.2.2).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordType(pub u16);

impl RecordType {
    /// IPv4 host address.
    pub const A: Self = Self(1);
    /// Canonical name (alias).
    pub const CNAME: Self = Self(5);
    /// Start of authority (appears in NODATA/NXDOMAIN authority sections).
    pub const SOA: Self = Self(6);
    /// Mail exchange.
    pub const MX: Self = Self(15);
    /// IPv6 host address (RFC 3596).
    pub const AAAA: Self = Self(28);
    /// EDNS OPT pseudo-record (RFC 6891).
    pub const OPT: Self = Self(41);
}

impl fmt::Debug for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::A => f.write_str("A"),
            Self::CNAME => f.write_str("CNAME"),
            Self::SOA => f.write_str("SOA"),
            Self::MX => f.write_str("MX"),
            Self::AAAA => f.write_str("AAAA"),
            Self::OPT => f.write_str("OPT"),
            Self(other) => write!(f, "TYPE{other}"),
        }
    }
}

/// The Internet class, the only one mail uses.
pub const CLASS_IN: u16 = 1;

/// The data of a record. Types the MX lookup does not need are kept as
/// raw octets and never decompressed (RFC 3597 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RData {
    /// An IPv4 address (exactly 4 octets).
    A(Ipv4Addr),
    /// An IPv6 address (exactly 16 octets).
    Aaaa(Ipv6Addr),
    /// A mail exchange: `PREFERENCE EXCHANGE` (RFC 1035 §3.3.9).
    Mx {
        /// Lower is preferred.
        preference: u16,
        /// The host; the root name here means Null MX (RFC 7505).
        exchange: Name,
    },
    /// An alias: the owner is another name for this one.
    Cname(Name),
    /// Any other type, raw.
    Other {
        /// Its TYPE.
        rtype: RecordType,
        /// Its RDATA, uninterpreted.
        data: Vec<u8>,
    },
}

impl RData {
    /// The TYPE of this data.
    pub fn rtype(&self) -> RecordType {
        match self {
            Self::A(_) => RecordType::A,
            Self::Aaaa(_) => RecordType::AAAA,
            Self::Mx { .. } => RecordType::MX,
            Self::Cname(_) => RecordType::CNAME,
            Self::Other { rtype, .. } => *rtype,
        }
    }
}

/// A resource record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Owner name.
    pub name: Name,
    /// CLASS (1 = IN).
    pub class: u16,
    /// Time to live in seconds.
    pub ttl: u32,
    /// Type and data.
    pub data: RData,
}

impl Record {
    /// An IN-class record.
    pub fn new(name: Name, ttl: u32, data: RData) -> Self {
        Self {
            name,
            class: CLASS_IN,
            ttl,
            data,
        }
    }
}

/// The EDNS(0) parameters carried by an OPT pseudo-record (RFC 6891 §6.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edns {
    /// Largest UDP payload the sender can take (the OPT CLASS field).
    pub udp_payload_size: u16,
    /// Upper eight bits of the 12-bit RCODE.
    pub extended_rcode: u8,
    /// EDNS version (0).
    pub version: u8,
    /// DO bit: DNSSEC records wanted.
    pub dnssec_ok: bool,
    /// Raw option octets (RDATA), uninterpreted.
    pub options: Vec<u8>,
}

impl Edns {
    /// EDNS version 0 advertising `udp_payload_size` octets, DO bit off.
    pub fn new(udp_payload_size: u16) -> Self {
        Self {
            udp_payload_size,
            extended_rcode: 0,
            version: 0,
            dnssec_ok: false,
            options: Vec::new(),
        }
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.push(0); // root owner
        out.extend_from_slice(&RecordType::OPT.0.to_be_bytes());
        out.extend_from_slice(&self.udp_payload_size.to_be_bytes());
        out.push(self.extended_rcode);
        out.push(self.version);
        out.push(if self.dnssec_ok { 0x80 } else { 0 });
        out.push(0);
        let len = u16::try_from(self.options.len()).unwrap_or(0);
        out.extend_from_slice(&len.to_be_bytes());
        if len > 0 {
            out.extend_from_slice(&self.options);
        }
    }
}

/// Appends one record, compressing the owner and the names in MX and
/// CNAME RDATA.
pub(crate) fn write_record(record: &Record, comp: &mut Compressor, out: &mut Vec<u8>) {
    comp.write(&record.name, out);
    out.extend_from_slice(&record.data.rtype().0.to_be_bytes());
    out.extend_from_slice(&record.class.to_be_bytes());
    out.extend_from_slice(&record.ttl.to_be_bytes());
    let len_at = out.len();
    out.extend_from_slice(&[0, 0]);
    match &record.data {
        RData::A(a) => out.extend_from_slice(&a.octets()),
        RData::Aaaa(a) => out.extend_from_slice(&a.octets()),
        RData::Mx {
            preference,
            exchange,
        } => {
            out.extend_from_slice(&preference.to_be_bytes());
            comp.write(exchange, out);
        }
        RData::Cname(target) => comp.write(target, out),
        RData::Other { data, .. } => out.extend_from_slice(data),
    }
    let len = u16::try_from(out.len() - len_at - 2).unwrap_or(u16::MAX);
    if let Some(slot) = out.get_mut(len_at..len_at + 2) {
        slot.copy_from_slice(&len.to_be_bytes());
    }
}
