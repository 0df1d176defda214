//! Copying names out of a validated message: uncompressed, lower-cased,
//! held inline when they fit, and classified as host names on the way
//! when asked.

use crate::wire::host::{HostKind, LabelRun, RunMemo};
use crate::wire::name::{INLINE_OCTETS, MAX_NAME_OCTETS, Name, RawLabels};

/// Octets copied at once from a run of labels when both sides have room:
/// most runs are shorter, so a fixed-size copy (two vector moves) replaces
/// a variable-length one.
const WINDOW: usize = 32;

/// Copies a name that [`check_name`](super::name::check_name) accepted,
/// lower-casing it.
pub(crate) fn copy_name(msg: &[u8], start: usize) -> Name {
    match copy_inline::<false>(msg, start, &mut RunMemo::new()) {
        Some((name, _)) => name,
        None => copy_heap(msg, start),
    }
}

/// Copies the checked name at `start` into `out` and tells whether it is
/// a host name (see [`HostKind`]). `memo` keeps what each suffix a
/// pointer leads to adds up to, so names sharing a suffix classify it
/// once per message.
pub(crate) fn copy_classify_into(
    msg: &[u8],
    start: usize,
    out: &mut Name,
    memo: &mut RunMemo,
) -> HostKind {
    let (name, kind) = match copy_inline::<true>(msg, start, memo) {
        Some((name, Some(kind))) => (name, kind),
        Some((name, None)) => {
            let kind = name.host_kind();
            (name, kind)
        }
        None => {
            let name = copy_heap(msg, start);
            let kind = name.host_kind();
            (name, kind)
        }
    };
    *out = name;
    kind
}

/// The copy for names that fit inline (`None` for longer ones), one run
/// of labels (the labels between two pointers) at a time. With `CLASSIFY`,
/// also the verdict, unless the name follows more pointers than are
/// remembered before reaching a known suffix (then the caller classifies
/// the copy).
fn copy_inline<const CLASSIFY: bool>(
    msg: &[u8],
    start: usize,
    memo: &mut RunMemo,
) -> Option<(Name, Option<HostKind>)> {
    let mut tmp = [0u8; INLINE_OCTETS + WINDOW];
    let mut used = 0usize;
    let (mut pos, mut segment_start) = (start, start + 1);
    // The run of labels before each pointer followed, and where it led.
    let mut runs = [(LabelRun::EMPTY, 0usize); 4];
    let mut count = 0usize;
    let mut current = LabelRun::EMPTY;
    // What the rest adds up to, once a known suffix was reached.
    let mut tail: Option<LabelRun> = None;
    let mut classified = CLASSIFY;
    loop {
        let run_start = pos;
        let walking = classified && tail.is_none();
        while let Some(&len) = msg.get(pos) {
            if len == 0 || len & 0xC0 != 0 {
                break;
            }
            let end = pos + 1 + usize::from(len);
            if walking && let Some(label) = msg.get(pos + 1..end) {
                current.push(label);
            }
            pos = end;
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
            _ => {
                let (Some(src), Some(dst)) =
                    (msg.get(run_start..pos), tmp.get_mut(used..used + run))
                else {
                    return None;
                };
                dst.copy_from_slice(src);
            }
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
        if walking {
            match runs.get_mut(count) {
                Some(slot) => {
                    *slot = (current, target);
                    count += 1;
                    current = LabelRun::EMPTY;
                    tail = memo.get(target);
                }
                None => classified = false,
            }
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
    let name = Name::from_inline(u8::try_from(used + 1).ok()?, buf);
    if !classified {
        return Some((name, None));
    }
    // Sum the runs from the end, noting each suffix a pointer led to.
    let mut suffix = current.then(tail.unwrap_or(LabelRun::EMPTY));
    for &(run, target) in runs.iter().take(count).rev() {
        memo.put(target, suffix);
        suffix = run.then(suffix);
    }
    let kind = suffix.kind(|| name.ip_literal());
    Some((name, Some(kind)))
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
