//! Building the queries a stub resolver sends.

use crate::wire::header::Header;
use crate::wire::message::{Message, Question};
use crate::wire::name::Name;
use crate::wire::record::{Edns, RecordType};

/// The UDP payload size advertised in EDNS OPT records: the DNS Flag Day
/// 2020 value, small enough to avoid IP fragmentation.
pub const EDNS_UDP_PAYLOAD: u16 = 1232;

/// Encodes a standard query: the given id, RD set, one IN question and,
/// when `edns` is true, an OPT record advertising [`EDNS_UDP_PAYLOAD`]
/// octets with the DO bit off (RFC 6891).
pub fn build_query(id: u16, name: &Name, qtype: RecordType, edns: bool) -> Vec<u8> {
    let mut message = Message::new(Header::query(id), Question::new(name.clone(), qtype));
    if edns {
        message.edns = Some(Edns::new(EDNS_UDP_PAYLOAD));
    }
    let mut out = Vec::with_capacity(name.as_wire().len() + 32);
    message.encode(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer() {
        let name = Name::from_ascii("example.com").unwrap();
        let q = build_query(0xbeef, &name, RecordType::MX, true);
        let expected: &[u8] = b"\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01\
            \x07example\x03com\x00\x00\x0f\x00\x01\
            \x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00";
        assert_eq!(q, expected);
        let plain = build_query(1, &name, RecordType::A, false);
        assert_eq!(plain.len(), 12 + 13 + 4);
    }
}
