//! The peak-following limiter used on engines registered with a negative gain (voice.md §3.5).

/// A peak follower that divides the signal by its peak above 1, then scales by 0.8.
#[derive(Clone, Debug)]
pub struct Limiter {
    peak: f32,
}

impl Default for Limiter {
    fn default() -> Self {
        Self { peak: 0.5 }
    }
}

impl Limiter {
    /// Back to the power-up state.
    pub fn reset(&mut self) {
        self.peak = 0.5;
    }

    /// Limits `samples` in place after a pre-gain.
    #[inline]
    pub fn process(&mut self, pre_gain: f32, samples: &mut [f32]) {
        for x in samples {
            let s = *x * pre_gain;
            let error = s.abs() - self.peak;
            self.peak += if error > 0.0 { 0.05 } else { 0.00002 } * error;
            let gain = if self.peak <= 1.0 { 1.0 } else { 1.0 / self.peak };
            *x = s * gain * 0.8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_signals_only_get_the_fixed_gain() {
        let mut limiter = Limiter::default();
        let mut x = [0.25f32; 64];
        limiter.process(2.0, &mut x);
        assert!(x.iter().all(|&y| y == 0.5 * 0.8));
    }

    #[test]
    fn loud_signals_settle_near_0_8() {
        let mut limiter = Limiter::default();
        let mut x = vec![4.0f32; 2000];
        limiter.process(1.0, &mut x);
        assert!((x[1999] - 0.8).abs() < 1e-3, "{}", x[1999]);
    }
}
