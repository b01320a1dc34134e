//! The one linear congruential generator that all Plaits randomness comes from (voice.md §4.9).

/// stmlib's 32-bit LCG. One instance models the generator Plaits shares
/// between all voices; its draws must happen in the original order for noise
/// engines to agree sample for sample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Random {
    state: u32,
}

impl Default for Random {
    fn default() -> Self {
        Self { state: Self::SEED }
    }
}

impl Random {
    /// The state Plaits starts from.
    pub const SEED: u32 = 0x21;

    /// Advances and returns the new state.
    #[inline]
    pub fn get_word(&mut self) -> u32 {
        self.state = self.state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        self.state
    }

    /// A float in [0, 1] (exactly 1.0 is possible through rounding).
    #[inline]
    pub fn get_float(&mut self) -> f32 {
        self.get_word() as f32 / 4_294_967_296.0
    }

    /// The upper 16 bits of the new state as a signed sample.
    #[inline]
    pub fn get_sample(&mut self) -> i16 {
        (self.get_word() >> 16) as i16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_from_the_seed_is_exact() {
        let mut rng = Random::default();
        let first = 0x21u32.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        assert_eq!(rng.get_word(), first);
        assert_eq!(first, 1_068_833_548);
        let second = first.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        assert_eq!(rng.get_sample(), (second >> 16) as i16);
    }

    #[test]
    fn float_rounds_to_one_at_the_top_of_the_range() {
        assert_eq!(0xFFFF_FF80u32 as f32 / 4_294_967_296.0, 1.0);
        let mut rng = Random::default();
        for _ in 0..10_000 {
            let x = rng.get_float();
            assert!((0.0..=1.0).contains(&x));
        }
    }
}
