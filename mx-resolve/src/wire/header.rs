//! The 12-octet message header (RFC 1035 §4.1.1).

use crate::error::WireError;

/// Response code (RFC 1035 §4.1.1, RFC 6895 §2.3), with the EDNS extended
/// bits already merged in when the message carried an OPT record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rcode {
    /// 0: no error (an answer, or NODATA when it holds no matching records).
    NoError,
    /// 1: the server could not interpret the query (e.g. it rejects EDNS).
    FormErr,
    /// 2: the server failed; try another one, or later.
    ServFail,
    /// 3: the name does not exist (NXDOMAIN).
    NxDomain,
    /// 4: the server does not implement the request.
    NotImp,
    /// 5: the server refuses to answer.
    Refused,
    /// Any other code, kept as a number.
    Other(u16),
}

impl Rcode {
    /// The code for a numeric value.
    pub fn from_u16(value: u16) -> Self {
        match value {
            0 => Self::NoError,
            1 => Self::FormErr,
            2 => Self::ServFail,
            3 => Self::NxDomain,
            4 => Self::NotImp,
            5 => Self::Refused,
            other => Self::Other(other),
        }
    }

    /// The numeric value.
    pub fn to_u16(self) -> u16 {
        match self {
            Self::NoError => 0,
            Self::FormErr => 1,
            Self::ServFail => 2,
            Self::NxDomain => 3,
            Self::NotImp => 4,
            Self::Refused => 5,
            Self::Other(v) => v,
        }
    }
}

/// The header fields of a DNS message.
///
/// ```text
///   0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
/// |                      ID                       |
/// |QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
/// |QDCOUNT|ANCOUNT|NSCOUNT|ARCOUNT (16 bits each)  |
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Header {
    /// Query identifier, echoed by the server (RFC 5452: must be random).
    pub id: u16,
    /// QR: this is a response.
    pub response: bool,
    /// Opcode (0 = standard query).
    pub opcode: u8,
    /// AA: authoritative answer.
    pub authoritative: bool,
    /// TC: the message was truncated; retry over TCP (RFC 2181 §9).
    pub truncated: bool,
    /// RD: recursion desired.
    pub recursion_desired: bool,
    /// RA: recursion available.
    pub recursion_available: bool,
    /// AD: authentic data, set by a validating resolver (RFC 4035 §3.2.3);
    /// only meaningful from a trusted resolver over a trusted path.
    pub authentic_data: bool,
    /// CD: checking disabled.
    pub checking_disabled: bool,
    /// The low four bits of the response code.
    pub rcode: u8,
    /// QDCOUNT.
    pub qdcount: u16,
    /// ANCOUNT. Never trusted for allocation.
    pub ancount: u16,
    /// NSCOUNT.
    pub nscount: u16,
    /// ARCOUNT.
    pub arcount: u16,
}

/// Size of the header in octets.
pub const HEADER_LEN: usize = 12;

impl Header {
    /// A query header with RD set, as a stub resolver sends it.
    pub fn query(id: u16) -> Self {
        Self {
            id,
            recursion_desired: true,
            qdcount: 1,
            ..Self::default()
        }
    }

    /// Decodes the first 12 octets.
    pub fn decode(msg: &[u8]) -> Result<Self, WireError> {
        let h: &[u8; HEADER_LEN] = msg
            .get(..HEADER_LEN)
            .and_then(|s| s.try_into().ok())
            .ok_or(WireError::Truncated { offset: msg.len() })?;
        let [i0, i1, f0, f1, q0, q1, a0, a1, n0, n1, r0, r1] = *h;
        Ok(Self {
            id: u16::from_be_bytes([i0, i1]),
            response: f0 & 0x80 != 0,
            opcode: (f0 >> 3) & 0x0F,
            authoritative: f0 & 0x04 != 0,
            truncated: f0 & 0x02 != 0,
            recursion_desired: f0 & 0x01 != 0,
            recursion_available: f1 & 0x80 != 0,
            authentic_data: f1 & 0x20 != 0,
            checking_disabled: f1 & 0x10 != 0,
            rcode: f1 & 0x0F,
            qdcount: u16::from_be_bytes([q0, q1]),
            ancount: u16::from_be_bytes([a0, a1]),
            nscount: u16::from_be_bytes([n0, n1]),
            arcount: u16::from_be_bytes([r0, r1]),
        })
    }

    /// Appends the 12 header octets.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let f0 = u8::from(self.response) << 7
            | (self.opcode & 0x0F) << 3
            | u8::from(self.authoritative) << 2
            | u8::from(self.truncated) << 1
            | u8::from(self.recursion_desired);
        let f1 = u8::from(self.recursion_available) << 7
            | u8::from(self.authentic_data) << 5
            | u8::from(self.checking_disabled) << 4
            | (self.rcode & 0x0F);
        out.extend_from_slice(&self.id.to_be_bytes());
        out.push(f0);
        out.push(f1);
        for count in [self.qdcount, self.ancount, self.nscount, self.arcount] {
            out.extend_from_slice(&count.to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer() {
        let bytes = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
        let h = Header::decode(&bytes).unwrap();
        assert_eq!(h.id, 0x1234);
        assert!(h.response && h.recursion_desired && h.recursion_available);
        assert!(!h.truncated);
        assert_eq!((h.qdcount, h.ancount), (1, 1));
        let mut out = Vec::new();
        h.encode(&mut out);
        assert_eq!(out, bytes);
        let tc = Header::decode(&[0, 0, 0x83, 0x80, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        assert!(tc.truncated);
        assert!(Header::decode(&bytes[..11]).is_err());
    }

    #[test]
    fn rcode_numbers() {
        for v in 0..30u16 {
            assert_eq!(Rcode::from_u16(v).to_u16(), v);
        }
    }
}
