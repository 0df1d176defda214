//! Error types: wire decoding, name construction and configuration.

use thiserror::Error;

/// Why a DNS message could not be decoded (RFC 1035 §4.1, RFC 9267).
///
/// Every variant names the byte offset where decoding stopped, so that a
/// fuzz finding or a bad packet capture can be located at once. A message
/// that produces any of these is rejected whole: no partial answer is ever
/// returned from a malformed message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WireError {
    /// The message ends inside a field (header, name, record or RDATA).
    #[error("message truncated at offset {offset}")]
    Truncated {
        /// Offset of the first missing octet.
        offset: usize,
    },
    /// A compression pointer does not point strictly before the name
    /// segment being read: forward pointers, self references and cycles
    /// (RFC 9267 §2).
    #[error("compression pointer at offset {offset} to {target} does not point backwards")]
    PointerNotBackwards {
        /// Offset of the pointer.
        offset: usize,
        /// Offset it points to.
        target: usize,
    },
    /// A compression pointer points into the 12-octet header.
    #[error("compression pointer at offset {offset} points into the header ({target})")]
    PointerIntoHeader {
        /// Offset of the pointer.
        offset: usize,
        /// Offset it points to.
        target: usize,
    },
    /// A name follows more compression pointers than the hop budget allows
    /// (CVE-2026-64194: long backward chains).
    #[error("name at offset {offset} follows more than {limit} compression pointers")]
    TooManyPointers {
        /// Offset where the name starts.
        offset: usize,
        /// The hop budget.
        limit: usize,
    },
    /// A label length octet uses the reserved types 0x40 or 0x80
    /// (RFC 1035 §4.1.4, RFC 6891 §5), which also covers labels over 63 octets.
    #[error("reserved label type 0x{octet:02x} at offset {offset} (labels are at most 63 octets)")]
    ReservedLabelType {
        /// Offset of the length octet.
        offset: usize,
        /// The length octet.
        octet: u8,
    },
    /// The uncompressed name is longer than 255 octets (RFC 1035 §3.1).
    #[error("name at offset {offset} is longer than 255 octets")]
    NameTooLong {
        /// Offset where the name starts.
        offset: usize,
    },
    /// RDLENGTH does not match the RDATA the record type defines (RFC 9267 §4).
    #[error(
        "record type {rtype} at offset {offset}: rdlength {rdlength} but the rdata is {parsed} octets"
    )]
    RdataLengthMismatch {
        /// Offset of the RDATA.
        offset: usize,
        /// Record type.
        rtype: u16,
        /// RDLENGTH as sent.
        rdlength: usize,
        /// Octets the RDATA actually took (or needs, at least).
        parsed: usize,
    },
    /// More than one question, which no DNS server sends (RFC 9619).
    #[error("qdcount {count} is more than 1")]
    TooManyQuestions {
        /// QDCOUNT as sent.
        count: u16,
    },
    /// Octets remain after the last record the header announced.
    #[error("{count} trailing octets after the last record at offset {offset}")]
    TrailingOctets {
        /// Offset of the first trailing octet.
        offset: usize,
        /// How many octets trail.
        count: usize,
    },
    /// An OPT pseudo-record outside the additional section, with a non-root
    /// owner, or more than one of them (RFC 6891 §6.1.1).
    #[error("misplaced or duplicate opt record at offset {offset}")]
    BadOpt {
        /// Offset of the record.
        offset: usize,
    },
    /// The message is longer than the 65535 octets DNS allows.
    #[error("message of {length} octets is longer than 65535")]
    MessageTooLong {
        /// Length in octets.
        length: usize,
    },
}

/// Why a domain name given by the application is not usable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum InvalidName {
    /// The name is empty.
    #[error("empty domain name")]
    Empty,
    /// UTS #46 processing (IDNA 2008, non-transitional) rejected the name,
    /// for example invalid Punycode such as `xn--a`.
    #[error("idna conversion failed for {name:?}")]
    Idna {
        /// The name as given.
        name: String,
    },
    /// A label is empty (`a..b`) or longer than 63 octets.
    #[error("label {label:?} is empty or longer than 63 octets")]
    BadLabel {
        /// The offending label.
        label: String,
    },
    /// The A-label form is longer than 253 characters (255 octets on the wire).
    #[error("domain name longer than 253 characters")]
    TooLong,
    /// A label is not a host name label (letters, digits, hyphens; no hyphen
    /// at either end), RFC 1123 §2.1.
    #[error("label {label:?} is not a host name label")]
    NotHostname {
        /// The offending label.
        label: String,
    },
    /// The name is an IP address literal, not a domain.
    #[error("{name:?} is an ip address, not a domain name")]
    IpLiteral {
        /// The name as given.
        name: String,
    },
}

/// Why a lookup configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No resolver address was configured.
    #[error("no resolver address configured")]
    NoResolvers,
    /// `max_attempts` is zero.
    #[error("max_attempts must be at least 1")]
    NoAttempts,
}
