//! A bank of state-variable filters sharing one input and one summed output
//! (stmlib `ResonatorSvf`, engines-8-15.md §1.2).

use crate::dsp::denormal::NEGLIGIBLE;
use crate::dsp::filter::TanApproximation;

/// Which output of each filter is summed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResonatorOutput {
    /// Low-pass outputs.
    LowPass,
    /// Band-pass outputs (peak gain Q at resonance).
    BandPass,
}

/// Per-block coefficients of `N` filters (FAST tangent) and their output gains.
#[derive(Clone, Copy, Debug)]
pub struct ResonatorCoefficients<const N: usize> {
    g: [f32; N],
    r_plus_g: [f32; N],
    h: [f32; N],
    gain: [f32; N],
}

impl<const N: usize> Default for ResonatorCoefficients<N> {
    /// Silent filters.
    fn default() -> Self {
        Self { g: [0.0; N], r_plus_g: [0.0; N], h: [0.0; N], gain: [0.0; N] }
    }
}

impl<const N: usize> ResonatorCoefficients<N> {
    /// Coefficients for cutoffs `frequency`, resonances `q` and output gains `gain`.
    #[inline(always)]
    pub fn new(frequency: &[f32; N], q: &[f32; N], gain: &[f32; N]) -> Self {
        let g = frequency.map(|f| TanApproximation::Fast.tan(f));
        let r = q.map(|q| 1.0 / q);
        Self {
            g,
            r_plus_g: std::array::from_fn(|i| r[i] + g[i]),
            h: std::array::from_fn(|i| 1.0 / (1.0 + r[i] * g[i] + g[i] * g[i])),
            gain: *gain,
        }
    }
}

/// `N` zero-delay-feedback SVFs fed the same input.
///
/// Same equations as [`crate::dsp::filter::Svf`], except that the high-pass
/// term subtracts `(r + g) · s1` in one product, which can round differently.
#[derive(Clone, Debug)]
pub struct ResonatorSvf<const N: usize> {
    state_1: [f32; N],
    state_2: [f32; N],
}

impl<const N: usize> Default for ResonatorSvf<N> {
    fn default() -> Self {
        Self { state_1: [0.0; N], state_2: [0.0; N] }
    }
}

impl<const N: usize> ResonatorSvf<N> {
    /// Clears all filter states.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Zeroes the filters whose states are both negligible. Without this, a
    /// decayed filter rings on below f32's normal range for ever, and
    /// subnormal arithmetic costs several times the normal on x86. The values
    /// flushed are below [`NEGLIGIBLE`], so no 16-bit output sample can change.
    #[inline]
    pub fn flush_negligible(&mut self) {
        for (s1, s2) in self.state_1.iter_mut().zip(self.state_2.iter_mut()) {
            if s1.abs() < NEGLIGIBLE && s2.abs() < NEGLIGIBLE {
                *s1 = 0.0;
                *s2 = 0.0;
            }
        }
    }

    /// One sample: `Σ gain[i] · output_i`, summed from 0 in filter order.
    #[inline(always)]
    pub fn tick(&mut self, coefficients: &ResonatorCoefficients<N>, output: ResonatorOutput, x: f32) -> f32 {
        let ResonatorCoefficients { g, r_plus_g, h, gain } = coefficients;
        let mut outputs = [0.0f32; N];
        // Lane-wise first so that the filters run side by side (SIMD), then
        // summed in order.
        for i in 0..N {
            let s1 = self.state_1[i];
            let s2 = self.state_2[i];
            let hp = ((x - r_plus_g[i] * s1) - s2) * h[i];
            let bp = g[i] * hp + s1;
            self.state_1[i] = g[i] * hp + bp;
            let lp = g[i] * bp + s2;
            self.state_2[i] = g[i] * bp + lp;
            outputs[i] = gain[i]
                * match output {
                    ResonatorOutput::LowPass => lp,
                    ResonatorOutput::BandPass => bp,
                };
        }
        outputs.iter().fold(0.0, |sum, y| sum + y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::BLOCK_SIZE;

    /// Steady-state peak of the bank's response to a sine of frequency `f`.
    fn response(frequency: [f32; 2], q: [f32; 2], gain: [f32; 2], f: f32) -> f32 {
        let mut bank = ResonatorSvf::<2>::default();
        let coefficients = ResonatorCoefficients::new(&frequency, &q, &gain);
        let mut peak = 0.0f32;
        let mut n = 0;
        for block in 0..4000 {
            let mut input = [0.0; BLOCK_SIZE];
            for x in input.iter_mut() {
                *x = (2.0 * std::f32::consts::PI * f * n as f32).sin();
                n += 1;
            }
            for x in input {
                let y = bank.tick(&coefficients, ResonatorOutput::BandPass, x);
                if block > 3000 {
                    peak = peak.max(y.abs());
                }
            }
        }
        peak
    }

    #[test]
    fn band_pass_gain_is_q_at_resonance_and_small_away_from_it() {
        let at = response([0.01, 0.1], [20.0, 20.0], [1.0, 0.0], 0.01);
        assert!((at / 20.0 - 1.0).abs() < 0.02, "{at}");
        let away = response([0.01, 0.1], [20.0, 20.0], [1.0, 0.0], 0.02);
        assert!(away < 1.5, "{away}");
        let second = response([0.01, 0.1], [20.0, 20.0], [0.0, 0.5], 0.1);
        assert!((second / 10.0 - 1.0).abs() < 0.05, "the gains weight each filter: {second}");
    }

    #[test]
    fn low_pass_passes_dc() {
        let mut bank = ResonatorSvf::<1>::default();
        let coefficients = ResonatorCoefficients::new(&[0.05], &[0.7], &[1.0]);
        let mut y = 0.0;
        for _ in 0..6000 {
            y = bank.tick(&coefficients, ResonatorOutput::LowPass, 1.0);
        }
        assert!((y - 1.0).abs() < 1e-4, "{y}");
    }

    #[test]
    fn flush_zeroes_only_filters_that_have_decayed_to_negligible_states() {
        let mut bank = ResonatorSvf::<3> { state_1: [1e-39, 1e-39, 5e-31], state_2: [-1e-40, 1e-30, -5e-31] };
        bank.flush_negligible();
        assert_eq!(bank.state_1, [0.0, 1e-39, 0.0]);
        assert_eq!(bank.state_2, [0.0, 1e-30, 0.0]);
    }
}
