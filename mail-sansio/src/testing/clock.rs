//! A clock for tests.

use std::time::{Duration, Instant};

/// Time that moves only when [`advance`](Self::advance) is called.
///
/// Sessions take `now` as an argument, so tests never wait: they advance this clock past a
/// deadline and call `handle_timeout`.
#[derive(Debug, Clone, Copy)]
pub struct FakeClock {
    now: Instant,
}

impl FakeClock {
    /// A clock whose first reading is `origin`.
    pub fn new(origin: Instant) -> Self {
        Self { now: origin }
    }

    /// A clock starting at an arbitrary origin.
    ///
    /// The standard library offers no constant `Instant`, so the origin is read from the real
    /// clock once; the clock never follows real time afterwards.
    #[allow(clippy::disallowed_methods)]
    pub fn start() -> Self {
        Self::new(Instant::now())
    }

    /// The current reading.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Moves the clock forward and returns the new reading.
    pub fn advance(&mut self, by: Duration) -> Instant {
        self.now += by;
        self.now
    }
}
