//! IMAP command decoding on arbitrary input, strict and lenient: never panics, and whatever
//! decodes strictly re-encodes to bytes that decode to the same command (security-anchors §8
//! item 47). The AUTHENTICATE continuation line and IDLE's DONE likewise.
#![no_main]

use imap_proto::command::{AuthenticateData, Command, DecodeOptions, IdleDone};
use imap_proto::{EncodeOptions, Encoder, Parsed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Command::decode_with(data, &DecodeOptions::lenient());
    let _ = IdleDone::decode_with(data, &DecodeOptions::lenient());
    if let Ok(Parsed::Complete { value, consumed }) = Command::decode(data) {
        assert!(consumed <= data.len());
        for options in [EncodeOptions::client(), EncodeOptions::server()] {
            let bytes = value.encoded(options).into_bytes();
            match Command::decode(&bytes) {
                Ok(Parsed::Complete {
                    value: again,
                    consumed,
                }) => {
                    assert_eq!(again, value);
                    assert_eq!(consumed, bytes.len());
                }
                other => panic!("re-encoded command does not decode: {other:?}"),
            }
        }
    }
    if let Ok(Parsed::Complete { value, .. }) = AuthenticateData::decode(data) {
        let mut enc = Encoder::new(EncodeOptions::client());
        value.encode(&mut enc);
        let bytes = enc.finish().into_bytes();
        match AuthenticateData::decode(&bytes) {
            Ok(Parsed::Complete { value: again, .. }) => assert_eq!(again, value),
            other => panic!("re-encoded line does not decode: {other:?}"),
        }
    }
});
