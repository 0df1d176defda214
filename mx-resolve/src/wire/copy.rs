//! Copying names out of a validated message: uncompressed, lower-cased,
//! held inline when they fit.

use crate::wire::name::{INLINE_OCTETS, MAX_NAME_OCTETS, Name, RawLabels};

/// Octets copied at once from a run of labels when both sides have room:
/// most runs are shorter, so a fixed-size copy (two vector moves) replaces
/// a variable-length one.
const WINDOW: usize = 32;

/// Copies a name that [`check_name`](super::name::check_name) accepted,
/// lower-casing it.
pub(crate) fn copy_name(msg: &[u8], start: usize) -> Name {
    copy_inline(msg, start).unwrap_or_else(|| copy_heap(msg, start))
}

/// The copy of a name that fits inline (`None` for longer ones), one run
/// of labels (the labels between two pointers) at a time.
fn copy_inline(msg: &[u8], start: usize) -> Option<Name> {
    let mut tmp = [0u8; INLINE_OCTETS + WINDOW];
    let mut used = 0usize;
    let (mut pos, mut segment_start) = (start, start + 1);
    loop {
        let run_start = pos;
        while let Some(&len) = msg.get(pos) {
            if len == 0 || len & 0xC0 != 0 {
                break;
            }
            pos += 1 + usize::from(len);
        }
        let run = pos - run_start;
        // One octet for the root label must stay free.
        if used + run >= INLINE_OCTETS {
            return None;
        }
        let window = (
            msg.get(run_start..).and_then(|m| m.first_chunk::<WINDOW>()),
            tmp.get_mut(used..)
                .and_then(|t| t.first_chunk_mut::<WINDOW>()),
        );
        match window {
            (Some(src), Some(dst)) if run <= WINDOW => *dst = *src,
            _ => tmp
                .get_mut(used..used + run)?
                .copy_from_slice(msg.get(run_start..pos)?),
        }
        used += run;
        let (Some(&hi), Some(&lo)) = (msg.get(pos), msg.get(pos + 1)) else {
            break;
        };
        if hi & 0xC0 != 0xC0 {
            break;
        }
        let target = usize::from(hi & 0x3F) << 8 | usize::from(lo);
        if target >= segment_start {
            break;
        }
        segment_start = target;
        pos = target;
    }
    // Length octets are at most 63, below b'A', so folding the whole
    // buffer only touches label octets (and unused ones past the name);
    // its fixed length lets the fold run in vector registers.
    let mut buf = [0u8; INLINE_OCTETS];
    if let Some(head) = tmp.first_chunk::<INLINE_OCTETS>() {
        buf = *head;
    }
    buf.make_ascii_lowercase();
    *buf.get_mut(used)? = 0;
    Some(Name::from_inline(u8::try_from(used + 1).ok()?, buf))
}

/// The copy of a name too long to hold inline.
fn copy_heap(msg: &[u8], start: usize) -> Name {
    let mut wire = Vec::with_capacity(MAX_NAME_OCTETS);
    for label in RawLabels::new(msg, start) {
        if wire.len() + 2 + label.len() > MAX_NAME_OCTETS {
            break;
        }
        wire.push(label.len() as u8);
        wire.extend(label.iter().map(u8::to_ascii_lowercase));
    }
    wire.push(0);
    Name::from_checked_wire(&wire)
}
