//! Modified UTF-7 (RFC 3501 §5.1.3) for folder names on disk, as Dovecot writes them: the
//! codec of `imap_proto::types`, the one the IMAP service uses on the wire.

/// Encodes `name`: printable ASCII as itself (`&` as `&-`), any other run as `&BASE64-` of
/// its UTF-16BE.
pub(super) fn encode(name: &str) -> String {
    imap_proto::types::encode_utf7(name)
}

/// Decodes a modified UTF-7 name; `None` if it is not valid.
pub(super) fn decode(wire: &str) -> Option<String> {
    imap_proto::types::decode_utf7(wire.as_bytes()).ok()
}
