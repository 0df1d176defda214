//! POP3 response lines, capabilities and listings on arbitrary input: never panics; status
//! lines and capabilities survive an encode/decode round trip.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mail_sansio::Parsed;
use pop3_proto::{Capability, Response, ScanListing, UniqueIdListing};

fuzz_target!(|data: &[u8]| {
    if let Ok(Parsed::Complete { value, .. }) = Response::decode(data) {
        if let Response::Status(status) = &value {
            let _ = status.apop_timestamp();
            let _ = status.stat();
        }
        // Text that arrived as invalid UTF-8 is kept lossily (and may grow), so the round
        // trip is checked for UTF-8 input only.
        if std::str::from_utf8(data).is_ok() {
            let mut buf = BytesMut::new();
            value.encode(&mut buf);
            let again = Response::decode(&buf).ok().and_then(Parsed::complete);
            assert_eq!(again.as_ref(), Some(&value));
        }
    }
    let line = data.split(|&b| b == b'\n').next().unwrap_or_default();
    let cap = Capability::parse(line);
    let mut buf = BytesMut::new();
    cap.encode(&mut buf);
    let _ = ScanListing::parse(line);
    let _ = UniqueIdListing::parse(line);
});
