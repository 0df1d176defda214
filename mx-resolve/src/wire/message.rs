//! Whole DNS messages (RFC 1035 §4.1): decode with every RFC 9267 check,
//! encode with name compression.

use crate::error::WireError;
use crate::wire::header::{HEADER_LEN, Header, Rcode};
use crate::wire::name::{Compressor, Name};
use crate::wire::record::{CLASS_IN, Edns, RData, Record, RecordType};
use crate::wire::view::{MessageView, RDataRef, Records};

/// The question of a message (RFC 1035 §4.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// QNAME.
    pub name: Name,
    /// QTYPE.
    pub qtype: RecordType,
    /// QCLASS (1 = IN).
    pub qclass: u16,
}

impl Question {
    /// An IN-class question.
    pub fn new(name: Name, qtype: RecordType) -> Self {
        Self {
            name,
            qtype,
            qclass: CLASS_IN,
        }
    }
}

/// A decoded DNS message.
///
/// Decoding is all or nothing: any malformed part rejects the whole
/// message, so a caller never sees a partial record list. Section counts
/// are used only as loop bounds and never to size allocations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The header as received. On encode the four counts are recomputed
    /// from the sections.
    pub header: Header,
    /// The question; `None` only when QDCOUNT is 0.
    pub question: Option<Question>,
    /// Answer section.
    pub answers: Vec<Record>,
    /// Authority section.
    pub authority: Vec<Record>,
    /// Additional section, without the OPT pseudo-record.
    pub additional: Vec<Record>,
    /// EDNS parameters from the OPT pseudo-record, if present.
    pub edns: Option<Edns>,
}

impl Message {
    /// A message with this header and question and empty sections.
    pub fn new(header: Header, question: Question) -> Self {
        Self {
            header,
            question: Some(question),
            answers: Vec::new(),
            authority: Vec::new(),
            additional: Vec::new(),
            edns: None,
        }
    }

    /// Decodes one whole message (a UDP payload, or one TCP frame without
    /// its length prefix).
    ///
    /// RFC 1035 §4.1: `message = header question answer authority additional`.
    pub fn decode(msg: &[u8]) -> Result<Self, WireError> {
        let view = MessageView::parse(msg)?;
        let question = view.question().map(|(name, qtype, qclass)| Question {
            name: name.to_name(),
            qtype,
            qclass,
        });
        let header = *view.header();
        // The view validated every record, so the counts are now facts.
        let own = |records: Records<'_>, count: u16| {
            let mut out = Vec::with_capacity(usize::from(count));
            out.extend(records.map(|r| Record {
                name: r.owner.to_name(),
                class: r.class,
                ttl: r.ttl,
                data: match r.rdata() {
                    RDataRef::A(a) => RData::A(a),
                    RDataRef::Aaaa(a) => RData::Aaaa(a),
                    RDataRef::Mx {
                        preference,
                        exchange,
                    } => RData::Mx {
                        preference,
                        exchange: exchange.to_name(),
                    },
                    RDataRef::Cname(target) => RData::Cname(target.to_name()),
                    RDataRef::Other { rtype, data } => RData::Other {
                        rtype,
                        data: data.to_vec(),
                    },
                },
            }));
            out
        };
        let answers = own(view.answers(), header.ancount);
        let authority = own(view.authority(), header.nscount);
        let additional = own(view.additional(), header.arcount);
        let edns = view.opt().map(|o| {
            let [ext, version, flags, _] = o.ttl.to_be_bytes();
            Edns {
                udp_payload_size: o.class,
                extended_rcode: ext,
                version,
                dnssec_ok: flags & 0x80 != 0,
                options: o.raw_rdata().to_vec(),
            }
        });
        Ok(Self {
            header,
            question,
            answers,
            authority,
            additional,
            edns,
        })
    }

    /// Appends the wire form, compressing owner names and MX/CNAME targets.
    /// Section counts come from the sections, not from `self.header`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let base = out.len();
        let mut body = Vec::with_capacity(512);
        body.resize(HEADER_LEN, 0);
        let count = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
        let header = Header {
            qdcount: u16::from(self.question.is_some()),
            ancount: count(self.answers.len()),
            nscount: count(self.authority.len()),
            arcount: count(self.additional.len() + usize::from(self.edns.is_some())),
            ..self.header
        };
        let mut comp = Compressor::default();
        if let Some(q) = &self.question {
            comp.write(&q.name, &mut body);
            body.extend_from_slice(&q.qtype.0.to_be_bytes());
            body.extend_from_slice(&q.qclass.to_be_bytes());
        }
        for r in self
            .answers
            .iter()
            .chain(&self.authority)
            .chain(&self.additional)
        {
            crate::wire::record::write_record(r, &mut comp, &mut body);
        }
        if let Some(edns) = &self.edns {
            edns.encode(&mut body);
        }
        let mut head = Vec::with_capacity(HEADER_LEN);
        header.encode(&mut head);
        if let Some(slot) = body.get_mut(..HEADER_LEN) {
            slot.copy_from_slice(&head);
        }
        out.truncate(base);
        out.extend_from_slice(&body);
    }

    /// The encoded message as a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// The full response code: header RCODE plus the EDNS extended bits.
    pub fn rcode(&self) -> Rcode {
        let ext = self
            .edns
            .as_ref()
            .map_or(0, |e| u16::from(e.extended_rcode));
        Rcode::from_u16(ext << 4 | u16::from(self.header.rcode))
    }

    /// MX records in the answer section owned by `owner`, as
    /// `(preference, exchange, ttl)`.
    pub fn mx_records<'a>(
        &'a self,
        owner: &'a Name,
    ) -> impl Iterator<Item = (u16, &'a Name, u32)> + 'a {
        self.answers.iter().filter_map(move |r| match &r.data {
            RData::Mx {
                preference,
                exchange,
            } if r.name == *owner && r.class == CLASS_IN => Some((*preference, exchange, r.ttl)),
            _ => None,
        })
    }

    /// Follows the CNAME chain for `name` through the answer section, at
    /// most `max_hops` steps. Returns the final name and the number of
    /// steps, or `None` for a loop or a chain longer than `max_hops`.
    pub fn resolve_cname<'a>(
        &'a self,
        name: &'a Name,
        max_hops: usize,
    ) -> Option<(&'a Name, usize)> {
        let mut current = name;
        for hops in 0..=max_hops {
            let next = self.answers.iter().find_map(|r| match &r.data {
                RData::Cname(target) if r.name == *current && r.class == CLASS_IN => Some(target),
                _ => None,
            });
            match next {
                None => return Some((current, hops)),
                Some(target) => current = target,
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// The 48-octet base message of security-anchors §5.2.
    pub(crate) const BASE: [u8; 48] = [
        0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x07, b'e', b'x',
        b'a', b'm', b'p', b'l', b'e', 0x03, b'c', b'o', b'm', 0x00, 0x00, 0x0f, 0x00, 0x01, 0xc0,
        0x0c, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x07, 0x00, 0x0a, 0x02, b'm',
        b'x', 0xc0, 0x0c,
    ];

    #[test]
    fn decodes_base_message() {
        let m = Message::decode(&BASE).unwrap();
        assert_eq!(m.header.id, 0x1234);
        let q = m.question.as_ref().unwrap();
        assert_eq!(q.name.to_string(), "example.com");
        assert_eq!(q.qtype, RecordType::MX);
        let mx: Vec<_> = m.mx_records(&q.name).collect();
        assert_eq!(mx.len(), 1);
        assert_eq!(mx[0].0, 10);
        assert_eq!(mx[0].1.to_string(), "mx.example.com");
        assert_eq!(mx[0].2, 3600);
        assert_eq!(m.to_vec(), BASE.to_vec());
    }

    #[test]
    fn every_prefix_is_an_error() {
        for cut in 0..BASE.len() {
            assert!(Message::decode(&BASE[..cut]).is_err(), "cut {cut}");
        }
        let mut longer = BASE.to_vec();
        longer.push(0);
        assert!(matches!(
            Message::decode(&longer),
            Err(WireError::TrailingOctets { .. })
        ));
    }

    #[test]
    fn roundtrip_with_opt_and_addresses() {
        let name = Name::from_ascii("example.com").unwrap();
        let mx = Name::from_ascii("mx.example.com").unwrap();
        let mut m = Message::new(
            Header::query(7),
            Question::new(name.clone(), RecordType::MX),
        );
        m.header.response = true;
        m.answers.push(Record::new(
            name,
            60,
            RData::Mx {
                preference: 5,
                exchange: mx.clone(),
            },
        ));
        m.additional
            .push(Record::new(mx, 60, RData::A(Ipv4Addr::new(192, 0, 2, 1))));
        m.edns = Some(Edns::new(1232));
        let bytes = m.to_vec();
        let mut back = Message::decode(&bytes).unwrap();
        back.header = m.header;
        assert_eq!(back, m);
    }
}
