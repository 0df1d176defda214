//! A counting global allocator for the allocation and memory checks (`tests/alloc.rs`).
//!
//! [`Counting`] forwards every call to [`System`] and counts, per thread, the allocation
//! calls made and the bytes currently live. Counts are per thread so that tests running in
//! parallel do not see each other's allocations. Install it in a test or bench binary with
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOC: benches::counting::Counting = benches::counting::Counting;
//! ```
//!
//! and read it with [`snapshot`]. Setting `MAILSANSIO_ALLOC_TRACE=1` (checked by [`trace`])
//! prints a backtrace for every allocation made inside a [`trace`] call, to find where each
//! one comes from.
//!
//! This is the only `unsafe` in the workspace outside dependencies: `GlobalAlloc` is an unsafe
//! trait. Each method only forwards its arguments unchanged to `System`, whose contract is the
//! same, and updates thread-local `Cell` counters, which never allocate.
#![allow(
    unsafe_code,
    reason = "GlobalAlloc is an unsafe trait; see the module docs"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The counting allocator; see the [module docs](self).
#[derive(Debug)]
pub struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static TRACING: Cell<bool> = const { Cell::new(false) };
}

/// What this thread has allocated so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// Calls to `alloc`, `alloc_zeroed` and `realloc`.
    pub allocs: u64,
    /// Bytes allocated and not yet freed.
    pub live: i64,
}

/// The counters of the calling thread.
pub fn snapshot() -> Snapshot {
    Snapshot {
        allocs: ALLOCS.with(Cell::get),
        live: LIVE.with(Cell::get),
    }
}

/// Runs `f`; with `MAILSANSIO_ALLOC_TRACE` set, prints a backtrace for each allocation it makes.
pub fn trace<T>(f: impl FnOnce() -> T) -> T {
    let on = std::env::var_os("MAILSANSIO_ALLOC_TRACE").is_some();
    TRACING.with(|t| t.set(on));
    let out = f();
    TRACING.with(|t| t.set(false));
    out
}

fn counted(size: usize) {
    ALLOCS.with(|c| c.set(c.get() + 1));
    LIVE.with(|c| c.set(c.get() + size as i64));
    if TRACING.with(|t| t.replace(false)) {
        // Tracing is off while the backtrace itself allocates.
        eprintln!(
            "allocation of {size} bytes at\n{}",
            std::backtrace::Backtrace::force_capture()
        );
        TRACING.with(|t| t.set(true));
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so
// `System`'s guarantees are the caller's; the counters are thread-local `Cell`s of plain
// integers (const-initialised, no destructor), which never allocate or reenter.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        counted(layout.size());
        // SAFETY: the caller's layout, as `GlobalAlloc::alloc` requires.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        counted(layout.size());
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.with(|c| c.set(c.get() - layout.size() as i64));
        // SAFETY: `ptr` was allocated by `System` with `layout`, as the caller guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.with(|c| c.set(c.get() - layout.size() as i64));
        counted(new_size);
        // SAFETY: as for `dealloc` and `alloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
