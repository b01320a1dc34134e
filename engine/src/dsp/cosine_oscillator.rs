//! Recursive cosine oscillator with a constant frequency (stmlib `CosineOscillator`, voice.md §4.7).

/// How the recursion coefficient `2cos(2πf)` is obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CosineMode {
    /// A parabola through the exact values at f = 0, 0.25, 0.5.
    Approximate,
    /// `2 · cosf(2πf)`.
    Exact,
}

/// A second-order recursion whose output swings in about [0, 1], starting at 1.
#[derive(Clone, Debug, Default)]
pub struct CosineOscillator {
    y1: f32,
    y0: f32,
    iir_coefficient: f32,
}

impl CosineOscillator {
    /// Starts the oscillator at frequency `f` (cycles per step).
    pub fn init(&mut self, f: f32, mode: CosineMode) {
        self.iir_coefficient = match mode {
            CosineMode::Approximate => {
                let mut shifted = f - 0.25;
                let sign;
                if shifted < 0.0 {
                    shifted = -shifted;
                    sign = 16.0;
                } else if shifted > 0.5 {
                    shifted -= 0.5;
                    sign = 16.0;
                } else {
                    sign = -16.0;
                }
                sign * shifted * (1.0 - 2.0 * shifted)
            }
            CosineMode::Exact => {
                let argument = (2.0 * std::f64::consts::PI * f as f64) as f32;
                2.0 * argument.cos()
            }
        };
        self.y1 = self.iir_coefficient * 0.25;
        self.y0 = 0.5;
    }

    /// Steps and returns the value before the step.
    #[inline]
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> f32 {
        let current = self.y0;
        self.y0 = self.iir_coefficient * self.y0 - self.y1;
        self.y1 = current;
        current + 0.5
    }

    /// The value the last [`CosineOscillator::next`] returned.
    #[inline]
    pub fn value(&self) -> f32 {
        self.y1 + 0.5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_mode_follows_a_raised_cosine() {
        let mut osc = CosineOscillator::default();
        let f = 0.01;
        osc.init(f, CosineMode::Exact);
        for n in 0..300 {
            let expected = 0.5 + 0.5 * (2.0 * std::f32::consts::PI * f * n as f32).cos();
            let y = osc.next();
            assert!((y - expected).abs() < 2e-3, "{n}: {y} vs {expected}");
            assert_eq!(osc.value(), y);
        }
    }

    #[test]
    fn approximate_mode_has_the_right_period() {
        // The parabola gives c = 16·0.23·0.54 at f = 0.02, i.e. a true frequency
        // of acos(c/2)/2π ≈ 0.018: about 10 % flat at low frequencies.
        let mut osc = CosineOscillator::default();
        osc.init(0.02, CosineMode::Approximate);
        let c = 16.0f64 * 0.23 * 0.54;
        let expected = 1000.0 * (c / 2.0).acos() / (2.0 * std::f64::consts::PI);
        let values: Vec<f32> = (0..1000).map(|_| osc.next()).collect();
        let crossings = values.windows(2).filter(|w| w[0] < 0.5 && w[1] >= 0.5).count();
        assert!((crossings as f64 - expected).abs() <= 1.0, "{crossings} vs {expected}");
        let mut quarter = CosineOscillator::default();
        quarter.init(0.25, CosineMode::Approximate);
        let cycle: Vec<f32> = (0..4).map(|_| quarter.next()).collect();
        assert_eq!(cycle, [1.0, 0.5, 0.0, 0.5], "exact at a quarter of the rate");
    }
}
