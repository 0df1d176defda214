//! POP3 command and AUTH-line decoding on arbitrary input: never panics, and whatever
//! decodes re-encodes to bytes that decode to the same command.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mail_sansio::Parsed;
use pop3_proto::{AuthResponse, Command};

fuzz_target!(|data: &[u8]| {
    if let Ok(Parsed::Complete { value, consumed }) = Command::decode(data) {
        assert!(consumed <= data.len());
        let mut buf = BytesMut::new();
        value.encode(&mut buf);
        match Command::decode(&buf) {
            Ok(Parsed::Complete {
                value: again,
                consumed,
            }) => {
                assert_eq!(again, value);
                assert_eq!(consumed, buf.len());
            }
            other => panic!("re-encoded command does not decode: {other:?}"),
        }
    }
    if let Ok(Parsed::Complete { value, .. }) = AuthResponse::decode(data, 12288) {
        let mut buf = BytesMut::new();
        value.encode(&mut buf);
        assert_eq!(
            AuthResponse::decode(&buf, usize::MAX)
                .ok()
                .and_then(Parsed::complete),
            Some(value)
        );
    }
});
