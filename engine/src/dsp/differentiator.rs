//! Smoothed first difference that turns an integrated wavetable back into its
//! waveform (engines-4-7.md §2.5 and §3.6).

/// First difference followed by a one-pole low-pass.
#[derive(Clone, Copy, Debug, Default)]
pub struct Differentiator {
    previous: f32,
    lp: f32,
}

impl Differentiator {
    /// Differentiates `x`, smoothing with the one-pole coefficient `coefficient`.
    #[inline]
    pub fn process(&mut self, coefficient: f32, x: f32) -> f32 {
        self.lp += coefficient * ((x - self.previous) - self.lp);
        self.previous = x;
        self.lp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_the_slope_of_a_ramp() {
        let mut differentiator = Differentiator::default();
        let mut y = 0.0;
        for n in 1..200 {
            y = differentiator.process(0.1, 0.5 * n as f32);
        }
        assert!((y - 0.5).abs() < 1e-4, "{y}");
    }

    #[test]
    fn coefficient_one_is_the_plain_difference() {
        let mut differentiator = Differentiator::default();
        let input = [1.0, 3.0, 2.0, 7.0];
        let output: Vec<f32> = input.iter().map(|&x| differentiator.process(1.0, x)).collect();
        assert_eq!(output, [1.0, 2.0, -1.0, 5.0]);
    }
}
