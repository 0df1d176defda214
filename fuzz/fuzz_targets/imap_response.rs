//! IMAP responses on arbitrary input, strict and lenient: never panics. Whatever decodes
//! re-encodes to bytes that decode again and encode to the same bytes; for ASCII input
//! without the forms the encoder normalises (an empty status text gets a placeholder, an
//! invalid FETCH item keeps its raw bytes but not its error offset), the value is equal too.
#![no_main]

use imap_proto::Parsed;
use imap_proto::command::DecodeOptions;
use imap_proto::response::{Data, FetchItem, Response};
use libfuzzer_sys::fuzz_target;

fn normalised(r: &Response) -> bool {
    match r {
        Response::Status(s) => s.text.is_empty(),
        Response::Continuation(c) => c.code.is_some() && c.text.is_empty(),
        Response::Data(Data::Fetch(f)) => {
            f.items.iter().any(|i| matches!(i, FetchItem::Invalid(_)))
        }
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    for options in [DecodeOptions::strict(), DecodeOptions::lenient()] {
        let Ok(Parsed::Complete { value, .. }) = Response::decode_with(data, &options) else {
            continue;
        };
        let bytes = value.encoded().into_bytes();
        let again = match Response::decode_with(&bytes, &options) {
            Ok(Parsed::Complete { value, consumed }) if consumed == bytes.len() => value,
            other => panic!(
                "re-decode of {:?}: {other:?}",
                String::from_utf8_lossy(&bytes)
            ),
        };
        assert_eq!(again.encoded().into_bytes(), bytes);
        if options == DecodeOptions::strict() && data.is_ascii() && !normalised(&value) {
            assert_eq!(again, value);
        }
    }
});
