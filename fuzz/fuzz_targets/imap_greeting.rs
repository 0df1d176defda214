//! IMAP greetings on arbitrary input, strict and lenient: never panics; what decodes
//! re-encodes to bytes that decode back equal (an empty text gets the encoder's placeholder).
#![no_main]

use imap_proto::Parsed;
use imap_proto::command::DecodeOptions;
use imap_proto::response::Greeting;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for options in [DecodeOptions::strict(), DecodeOptions::lenient()] {
        let Ok(Parsed::Complete { value, .. }) = Greeting::decode_with(data, &options) else {
            continue;
        };
        let bytes = value.encoded().into_bytes();
        let again = match Greeting::decode_with(&bytes, &options) {
            Ok(Parsed::Complete { value, consumed }) if consumed == bytes.len() => value,
            other => panic!(
                "re-decode of {:?}: {other:?}",
                String::from_utf8_lossy(&bytes)
            ),
        };
        assert_eq!(again.encoded().into_bytes(), bytes);
        if options == DecodeOptions::strict() && data.is_ascii() && !value.text.is_empty() {
            assert_eq!(again, value);
        }
    }
});
