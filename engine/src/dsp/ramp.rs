//! Per-block linear parameter ramps (stmlib's ParameterInterpolator, voice.md §4.5).

/// A linear ramp from a stored state toward a new target over one block.
///
/// Each [`ParameterRamp::next`] adds one increment and returns the new value, so
/// the first sample of a block has already moved. The value reached (not the
/// target) is what the caller stores back with [`ParameterRamp::value`]: they
/// differ by f32 rounding, and the real module keeps the accumulated value.
#[derive(Clone, Copy, Debug)]
pub struct ParameterRamp {
    value: f32,
    increment: f32,
}

impl ParameterRamp {
    /// A ramp from `state` to `target` over `size` samples.
    #[inline]
    pub fn new(state: f32, target: f32, size: usize) -> Self {
        Self { value: state, increment: (target - state) / size as f32 }
    }

    /// A ramp from `state` toward `target` moving `step` of the way per sample.
    #[inline]
    pub fn with_step(state: f32, target: f32, step: f32) -> Self {
        Self { value: state, increment: (target - state) * step }
    }

    /// Advances one sample and returns the new value.
    #[inline]
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> f32 {
        self.value += self.increment;
        self.value
    }

    /// The value at a fraction `t` of the next step, without advancing.
    #[inline]
    pub fn subsample(&self, t: f32) -> f32 {
        self.value + self.increment * t
    }

    /// Whether every [`ParameterRamp::next`] of this block returns the current
    /// value: the increment vanishes when rounded into it (or is zero). Callers
    /// use it to compute expressions of the value once per block instead of
    /// per sample, with identical results.
    #[inline]
    pub fn is_at_rest(&self) -> bool {
        (self.value + self.increment).to_bits() == self.value.to_bits()
    }

    /// The value reached so far: store it back as the new state.
    #[inline]
    pub fn value(&self) -> f32 {
        self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_sample_has_already_moved_and_last_reaches_the_target() {
        let mut ramp = ParameterRamp::new(0.0, 12.0, 12);
        assert_eq!(ramp.next(), 1.0);
        for _ in 0..11 {
            ramp.next();
        }
        assert_eq!(ramp.value(), 12.0);
    }

    #[test]
    fn stored_state_is_the_accumulated_value_not_the_target() {
        let mut ramp = ParameterRamp::new(0.0, 0.3, 12);
        for _ in 0..12 {
            ramp.next();
        }
        let mut expected = 0.0f32;
        for _ in 0..12 {
            expected += 0.3 / 12.0;
        }
        assert_eq!(ramp.value(), expected);
        assert_ne!(ramp.value(), 0.3, "f32 accumulation differs from the target here");
    }

    #[test]
    fn a_ramp_at_rest_stays_put_for_the_whole_block() {
        // Settled a rounding error short of its target: the increment is lost.
        let below_half = 0.5 - f32::EPSILON / 4.0;
        for (state, target, at_rest) in [(0.3, 0.3, true), (below_half, 0.5, true), (0.3, 0.31, false)] {
            let mut ramp = ParameterRamp::new(state, target, 12);
            assert_eq!(ramp.is_at_rest(), at_rest, "{state} → {target}");
            if at_rest {
                assert!((0..12).all(|_| ramp.next().to_bits() == state.to_bits()));
            }
        }
    }

    #[test]
    fn subsample_does_not_advance() {
        let ramp = ParameterRamp::new(1.0, 2.2, 12);
        assert_eq!(ramp.subsample(0.0), 1.0);
        assert_eq!(ramp.value(), 1.0);
    }
}
