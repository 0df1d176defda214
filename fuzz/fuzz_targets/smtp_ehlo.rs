//! EHLO reply decoding on arbitrary bytes: never panics; a decoded reply re-encodes to one
//! that decodes to the same capabilities.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use smtp_proto::{EhloReply, Parsed};

fuzz_target!(|data: &[u8]| {
    if let Ok(Parsed::Complete { value, .. }) = EhloReply::decode(data) {
        let _ = (value.size(), value.auth_mechanisms());
        let mut out = BytesMut::new();
        value.encode(&mut out);
        if let Ok(Parsed::Complete { value: again, .. }) = EhloReply::decode(&out) {
            assert_eq!(again.capabilities().len(), value.capabilities().len());
        }
    }
});
