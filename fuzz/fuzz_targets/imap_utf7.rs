//! Modified UTF-7 mailbox names (RFC 3501 §5.1.3) on arbitrary input: never a panic; a name
//! the strict decoder accepts re-encodes to the same bytes (one encoding per name); any text
//! encodes to printable US-ASCII that decodes back to the same text.
#![no_main]

use imap_proto::types::{Mailbox, decode_utf7, encode_utf7};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = decode_utf7(data) {
        assert_eq!(encode_utf7(&text).as_bytes(), data, "non-canonical name accepted");
    }
    if let Ok(mailbox) = Mailbox::try_from(data) {
        let _ = mailbox.to_utf8();
        let _ = mailbox.to_string();
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let wire = encode_utf7(text);
        assert!(wire.bytes().all(|b| (0x20..0x7f).contains(&b)));
        assert_eq!(decode_utf7(wire.as_bytes()).as_deref(), Ok(text));
        let mailbox = Mailbox::from_utf8(text).expect("an encoded name is always valid");
        if !mailbox.is_inbox() {
            assert_eq!(mailbox.to_utf8().as_deref(), Ok(text));
        }
    }
});
