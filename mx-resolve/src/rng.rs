//! A tiny deterministic generator for query ids and shuffles.
//!
//! The crate never reads OS randomness: the caller passes a seed (from its
//! own CSPRNG in production, a constant in tests), so every run is
//! reproducible. SplitMix64 passes BigCrush and is plenty for shuffling
//! and for spreading query ids; RFC 5452's unpredictability comes from the
//! caller's seed.

/// SplitMix64 (Steele, Lea and Flood, 2014).
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A 16-bit query id.
    pub(crate) fn next_id(&mut self) -> u16 {
        (self.next_u64() >> 48) as u16
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; bias below 2^-32 for
    /// the small `n` used here). `n` must be non-zero.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        ((u128::from(self.next_u64() >> 32) * u128::from(n)) >> 32) as usize
    }

    /// Fisher–Yates shuffle.
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_in_range() {
        let mut a = SplitMix64::new(42);
        let mut b = SplitMix64::new(42);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
            assert!(a.below(3) < 3);
            b.below(3);
        }
        let mut v = [1, 2, 3, 4, 5];
        a.shuffle(&mut v);
        v.sort_unstable();
        assert_eq!(v, [1, 2, 3, 4, 5]);
    }
}
