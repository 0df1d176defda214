//! The hardened DNS wire codec: header, names, records, messages, query
//! building and TCP framing (RFC 1035, RFC 6891, RFC 7766, RFC 9267).

mod copy;
pub mod header;
pub(crate) mod host;
pub mod message;
pub mod name;
pub mod query;
pub mod record;
pub mod tcp;
pub mod view;

pub use header::{Header, Rcode};
pub use message::{Message, Question};
pub use name::Name;
pub use query::{EDNS_UDP_PAYLOAD, build_query};
pub use record::{Edns, RData, Record, RecordType};
pub use tcp::{TcpReassembler, frame};
pub use view::{MessageView, NameRef, RDataRef, RecordRef};
