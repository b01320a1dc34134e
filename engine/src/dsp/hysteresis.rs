//! Rounding with a dead band around each decision point (voice.md §3.2c, engines-4-7.md §0.2).

/// Quantizes a continuous value to `steps` levels, remembering the last level
/// so that small wobbles around a boundary do not flip it.
#[derive(Clone, Debug, Default)]
pub struct HysteresisQuantizer {
    quantized: i32,
}

impl HysteresisQuantizer {
    /// Level for `value` in [0, 1] scaled to `steps − 1`, plus an integer `base`.
    #[inline]
    pub fn process(&mut self, base: i32, value: f32, steps: i32, hysteresis: f32) -> i32 {
        let mut v = value * (steps - 1) as f32 + base as f32;
        let offset = if v > self.quantized as f32 { -hysteresis } else { hysteresis };
        v += offset;
        self.quantized = ((v + 0.5) as i32).clamp(0, steps - 1);
        self.quantized
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_up_at_three_quarters_and_down_below_one_quarter() {
        let mut q = HysteresisQuantizer::default();
        assert_eq!(q.process(0, 0.7 / 15.0, 16, 0.25), 0);
        assert_eq!(q.process(0, 0.76 / 15.0, 16, 0.25), 1);
        assert_eq!(q.process(0, 0.3 / 15.0, 16, 0.25), 1);
        assert_eq!(q.process(0, 0.2 / 15.0, 16, 0.25), 0);
        assert_eq!(q.process(13, 0.0, 16, 0.25), 13);
        assert_eq!(q.process(0, 5.0, 16, 0.25), 15);
    }
}
