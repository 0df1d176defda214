//! The DNS response decoder on arbitrary bytes: never panics; whatever
//! decodes re-encodes to a message that decodes to the same thing (when no
//! raw RDATA of unknown types could carry compression pointers); every
//! proper prefix of an accepted message is rejected; the zero-copy and the
//! owned planners agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mx_resolve::PlanConfig;
use mx_resolve::plan::{plan_response, plan_view};
use mx_resolve::wire::{Message, MessageView, RData};

fuzz_target!(|data: &[u8]| {
    let Ok(message) = Message::decode(data) else {
        return;
    };
    // No partial answers: a cut message is always an error.
    for cut in [0, data.len() / 2, data.len().saturating_sub(1)] {
        if cut < data.len() {
            assert!(Message::decode(&data[..cut]).is_err());
        }
    }
    let raw_rdata = message
        .answers
        .iter()
        .chain(&message.authority)
        .chain(&message.additional)
        .any(|r| matches!(r.data, RData::Other { .. }));
    let bytes = message.to_vec();
    match Message::decode(&bytes) {
        Ok(mut again) => {
            if !raw_rdata {
                again.header = message.header;
                assert_eq!(again, message);
            }
        }
        Err(e) => assert!(raw_rdata || bytes.len() > 0x3fff, "re-encoded message rejected: {e}"),
    }
    if let Some(q) = &message.question {
        let mut config = PlanConfig::default();
        config.allow_ip_literal_targets = data.len() % 2 == 0;
        let seed = data.len() as u64;
        // The zero-copy planner and the owned one must agree exactly.
        let view = MessageView::parse(data).expect("decode and view accept the same bytes");
        assert_eq!(
            plan_view(&q.name, &view, &config, seed),
            plan_response(&q.name, &message, &config, seed)
        );
    }
});
