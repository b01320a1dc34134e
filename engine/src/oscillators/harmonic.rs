//! Harmonics 1 to 24 of one table sine by the Chebyshev recurrence, mixed with
//! per-harmonic amplitude ramps (engines-4-7.md §1.4).
//!
//! The real module runs three oscillators (harmonics 1–12 and 13–24 for OUT,
//! 1–12 for the organ on AUX), each with its own phase. They always receive the
//! same frequency, so their phases and recurrences are bit-identical: here one
//! [`HarmonicPhase`] and one set of Chebyshev values per block serve all three,
//! and each [`HarmonicMixer`] keeps its own amplitude ramps.

use crate::dsp::interpolate::interpolate_wrap;
use crate::dsp::ramp::ParameterRamp;
use crate::dsp::sine::sine_no_wrap;
use crate::engines::{Block, BLOCK_SIZE};
use crate::tables::LUT_SINE;

/// Harmonics mixed by one [`HarmonicMixer`].
pub const HARMONICS_PER_MIXER: usize = 12;

/// One block of each of 12 consecutive harmonics, unit amplitude.
pub type HarmonicBlock = [Block; HARMONICS_PER_MIXER];

/// The fundamental's phase accumulator.
#[derive(Clone, Debug, Default)]
pub struct HarmonicPhase {
    phase: f32,
    frequency: f32,
}

impl HarmonicPhase {
    /// Advances one block toward `frequency` (clamped to 0.5) and returns each
    /// sample's phase in [0, 1).
    pub fn render(&mut self, frequency: f32) -> Block {
        let mut frequency_ramp = ParameterRamp::new(self.frequency, frequency.min(0.5), BLOCK_SIZE);
        let mut phases = [0.0; BLOCK_SIZE];
        for phase in phases.iter_mut() {
            self.phase += frequency_ramp.next();
            if self.phase >= 1.0 {
                self.phase -= 1.0;
            }
            *phase = self.phase;
        }
        self.frequency = frequency_ramp.value();
        phases
    }
}

/// Runs the recurrence `T_{m+1} = 2x·T_m − T_{m−1}` for 12 steps from the seeds
/// (`previous`, `current`), for all samples of the block at once.
#[inline]
fn chebyshev(two_x: &Block, mut previous: Block, mut current: Block, harmonics: &mut HarmonicBlock) {
    for harmonic in harmonics.iter_mut() {
        *harmonic = current;
        for n in 0..BLOCK_SIZE {
            let next = two_x[n] * current[n] - previous[n];
            previous[n] = current[n];
            current[n] = next;
        }
    }
}

/// Harmonics 1–12 (into `low`) and 13–24 (into `high`) at the given phases.
///
/// Harmonic m comes out as `T_m(sin θ)`, i.e. ±sin or ±cos of `m·θ` depending
/// on `m mod 4`: the real module's phase convention, kept for bit-exactness.
/// Harmonics 13–24 are reseeded from two table reads so that the recurrence's
/// error does not build up.
/// Written in place: the blocks are large enough that returning them cost copies.
pub fn harmonics(phases: &Block, low: &mut HarmonicBlock, high: &mut HarmonicBlock) {
    let mut sine = [0.0; BLOCK_SIZE];
    let mut twelfth = [0.0; BLOCK_SIZE];
    let mut thirteenth = [0.0; BLOCK_SIZE];
    for n in 0..BLOCK_SIZE {
        sine[n] = sine_no_wrap(phases[n]);
        twelfth[n] = interpolate_wrap(&LUT_SINE, phases[n] * 12.0 + 0.25, 1024.0);
        thirteenth[n] = interpolate_wrap(&LUT_SINE, phases[n] * 13.0, 1024.0);
    }
    let mut two_x = [0.0; BLOCK_SIZE];
    for (t, s) in two_x.iter_mut().zip(&sine) {
        *t = 2.0 * s;
    }
    chebyshev(&two_x, [1.0; BLOCK_SIZE], sine, low);
    chebyshev(&two_x, twelfth, thirteenth, high);
}

/// Mixes harmonics `first .. first + 12` with ramped amplitudes.
#[derive(Clone, Debug, Default)]
pub struct HarmonicMixer {
    amplitude: [f32; HARMONICS_PER_MIXER],
}

impl HarmonicMixer {
    /// One block of `Σ amplitude_i · harmonic_i`, with the amplitudes ramped to
    /// `amplitudes` faded toward Nyquist for fundamental `frequency`.
    pub fn render(
        &mut self,
        first: usize,
        frequency: f32,
        amplitudes: &[f32; HARMONICS_PER_MIXER],
        harmonics: &HarmonicBlock,
    ) -> Block {
        let frequency = frequency.min(0.5);
        // Ramp values of every harmonic, computed harmonic by harmonic (each a
        // chain of f32 additions, as in the real module)...
        let mut ramps = [[0.0; BLOCK_SIZE]; HARMONICS_PER_MIXER];
        for (i, (values, state)) in ramps.iter_mut().zip(self.amplitude.iter_mut()).enumerate() {
            // The block's target frequency decides the fade, not the ramped one.
            let harmonic_frequency = (frequency * (first + i) as f32).min(0.5);
            let mut ramp =
                ParameterRamp::new(*state, amplitudes[i] * (1.0 - 2.0 * harmonic_frequency), BLOCK_SIZE);
            for value in values.iter_mut() {
                *value = ramp.next();
            }
            *state = ramp.value();
        }
        // ...then the same additions per sample as the real module, harmonic by
        // harmonic into a sum that starts at 0, for all samples at once.
        let mut out = [0.0; BLOCK_SIZE];
        for (values, harmonic) in ramps.iter().zip(harmonics) {
            for n in 0..BLOCK_SIZE {
                out[n] += values[n] * harmonic[n];
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both blocks of [`harmonics`] at `phases`.
    fn harmonic_blocks(phases: &Block) -> (HarmonicBlock, HarmonicBlock) {
        let (mut low, mut high) = Default::default();
        harmonics(phases, &mut low, &mut high);
        (low, high)
    }

    /// Harmonic m is T_m(sin θ) = cos(m·θ − m·π/2).
    fn expected(harmonic: usize, phase: f64) -> f64 {
        let m = harmonic as f64;
        (m * 2.0 * std::f64::consts::PI * phase - m * std::f64::consts::FRAC_PI_2).cos()
    }

    #[test]
    fn each_harmonic_is_the_chebyshev_polynomial_of_the_sine() {
        let mut phase = HarmonicPhase::default();
        for block in 0..400 {
            let phases = phase.render(1.0 / 479.0);
            let (low, high) = harmonic_blocks(&phases);
            for (n, &p) in phases.iter().enumerate() {
                for m in 1..=24 {
                    let value = if m <= 12 { low[m - 1][n] } else { high[m - 13][n] };
                    let want = expected(m, p as f64);
                    assert!(
                        (value as f64 - want).abs() < 2e-3,
                        "block {block} harmonic {m}: {value} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn phase_ramps_to_the_frequency_within_one_block() {
        let mut phase = HarmonicPhase::default();
        let first = phase.render(0.012);
        assert!((first[11] - 0.078).abs() < 1e-6, "{}", first[11]);
        let second = phase.render(0.012);
        assert!((second[0] - first[11] - 0.012).abs() < 1e-6);
    }

    #[test]
    fn harmonics_at_or_above_nyquist_are_silent() {
        let frequency = 0.05;
        let mut phase = HarmonicPhase::default();
        let mut mixer = HarmonicMixer::default();
        let mut amplitudes = [0.0; HARMONICS_PER_MIXER];
        // Harmonic 10 sits at Nyquist, 11 and 12 above.
        amplitudes[9..].fill(1.0);
        for _ in 0..3 {
            let (low, _) = harmonic_blocks(&phase.render(frequency));
            let out = mixer.render(1, frequency, &amplitudes, &low);
            assert!(out.iter().all(|&y| y == 0.0));
        }
        // While harmonic 9 is only attenuated: (1 − 2·0.45) = 0.1.
        let mut amplitudes = [0.0; HARMONICS_PER_MIXER];
        amplitudes[8] = 1.0;
        let mut peak = 0.0f32;
        for _ in 0..100 {
            let (low, _) = harmonic_blocks(&phase.render(frequency));
            let out = mixer.render(1, frequency, &amplitudes, &low);
            peak = out.iter().fold(peak, |m, &y| m.max(y.abs()));
        }
        // (Sampled at 2.2 samples per cycle, the peaks come close but not exactly.)
        assert!(peak > 0.095 && peak < 0.1001, "{peak}");
    }

    #[test]
    fn amplitudes_ramp_across_the_block() {
        let mut mixer = HarmonicMixer::default();
        let mut amplitudes = [0.0; HARMONICS_PER_MIXER];
        amplitudes[0] = 1.0;
        let ones = [[1.0; BLOCK_SIZE]; HARMONICS_PER_MIXER];
        let out = mixer.render(1, 0.0, &amplitudes, &ones);
        assert!((out[0] - 1.0 / 12.0).abs() < 1e-7 && (out[11] - 1.0).abs() < 1e-6);
    }
}
