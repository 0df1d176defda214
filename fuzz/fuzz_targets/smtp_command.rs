//! SMTP command decoding on arbitrary bytes: never panics, and anything decoded re-encodes to
//! a command that decodes to the same value.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use smtp_proto::{Command, ParseOptions, Parsed};

fuzz_target!(|data: &[u8]| {
    let _ = Command::from_line_with(data, ParseOptions::lenient());
    if let Ok(Parsed::Complete { value, consumed }) = Command::decode(data) {
        assert!(consumed <= data.len());
        let mut out = BytesMut::new();
        value.encode(&mut out);
        match Command::decode(&out) {
            Ok(Parsed::Complete {
                value: again,
                consumed,
            }) => {
                assert_eq!(consumed, out.len());
                assert_eq!(again, value);
            }
            other => panic!("re-encoded command did not decode: {other:?}"),
        }
    }
});
