//! The two "metallic noise" sources of the hi-hat: six detuned raw square waves
//! (808), and three ring-modulated square × saw pairs (engines-8-15.md §9.2).

use crate::dsp::oscillator::{Oscillator, OscillatorShape, MAX_FREQUENCY, MIN_FREQUENCY};
use crate::dsp::polyblep::{next_blep_sample, this_blep_sample};
use crate::dsp::ramp::ParameterRamp;
use crate::engines::BLOCK_SIZE;

/// A clangorous source rendered at a base frequency.
pub trait MetallicNoise: Default {
    /// Writes one block at base frequency `f` (cycles per sample) into `out`.
    fn render(&mut self, f: f32, out: &mut [f32; BLOCK_SIZE]);
}

/// Frequencies of the 808's six square oscillators relative to the base.
const SQUARE_RATIOS: [f32; 6] = [1.0, 1.304, 1.466, 1.787, 1.932, 2.536];

/// Six unfiltered square waves from 32-bit phase accumulators, summed.
///
/// No band-limiting: the original counts the accumulators' top bits, and the
/// aliasing is part of the sound.
#[derive(Clone, Debug, Default)]
pub struct SquareNoise {
    phases: [u32; 6],
}

impl MetallicNoise for SquareNoise {
    fn render(&mut self, f: f32, out: &mut [f32; BLOCK_SIZE]) {
        let mut increments = [0u32; 6];
        for (increment, ratio) in increments.iter_mut().zip(SQUARE_RATIOS) {
            let f = (f * ratio).min(0.499);
            *increment = (f * 4_294_967_296.0) as u32;
        }
        for y in out.iter_mut() {
            let mut high = 0u32;
            for (phase, increment) in self.phases.iter_mut().zip(increments) {
                *phase = phase.wrapping_add(increment);
                high += *phase >> 31;
            }
            *y = 0.33 * high as f32 - 1.0;
        }
    }
}

/// Frequencies in Hz of the three (square, saw) pairs, at a high base frequency.
const RING_MOD_PAIRS: [(f32, f32); 3] = [(200.0, 7530.0), (510.0, 8075.0), (730.0, 10500.0)];

/// Three ring-modulated pairs of band-limited square and saw oscillators.
#[derive(Clone, Debug, Default)]
pub struct RingModNoise {
    squares: [Oscillator; 3],
    saws: SawBank,
}

impl MetallicNoise for RingModNoise {
    fn render(&mut self, f: f32, out: &mut [f32; BLOCK_SIZE]) {
        // The pair frequencies track the base frequency only at low pitches.
        let ratio = f / (0.01 + f);
        let saws = self.saws.render(RING_MOD_PAIRS.map(|(_, saw_hz)| saw_hz / 48_000.0 * ratio));
        let mut square = [0.0; BLOCK_SIZE];
        out.fill(0.0);
        for (k, (oscillator, &(square_hz, _))) in
            self.squares.iter_mut().zip(RING_MOD_PAIRS.iter()).enumerate()
        {
            oscillator.render(OscillatorShape::Square, square_hz / 48_000.0 * ratio, 0.5, &mut square);
            for ((y, a), saw) in out.iter_mut().zip(square.iter()).zip(saws.iter()) {
                *y += a * saw[k];
            }
        }
    }
}

/// Three band-limited saws, each exactly as an [`Oscillator`] renders
/// [`OscillatorShape::Saw`] (whose pulse width does not matter), stepped
/// together and without branches.
///
/// The saws run at 4.6 to 10.5 kHz, so their phases wrap every five or six
/// samples, too irregularly for branch prediction. Each lane computes the
/// wrapped phase and the polyBLEP corrections every sample and selects them
/// when the phase wraps: the same operations on the same values, so the same
/// bits, and independent lanes that the compiler can run side by side.
#[derive(Clone, Debug)]
struct SawBank {
    phase: [f32; 3],
    next_sample: [f32; 3],
    frequency: [f32; 3],
}

impl Default for SawBank {
    fn default() -> Self {
        // An [`Oscillator`]'s initial state.
        Self { phase: [0.5; 3], next_sample: [0.0; 3], frequency: [0.001; 3] }
    }
}

impl SawBank {
    /// One block of the three saws, sample by sample, at frequencies ramped
    /// toward `f` (cycles per sample).
    fn render(&mut self, f: [f32; 3]) -> [[f32; 3]; BLOCK_SIZE] {
        let mut frequency: [ParameterRamp; 3] = std::array::from_fn(|k| {
            ParameterRamp::new(self.frequency[k], f[k].clamp(MIN_FREQUENCY, MAX_FREQUENCY), BLOCK_SIZE)
        });
        let mut out = [[0.0; 3]; BLOCK_SIZE];
        for frame in out.iter_mut() {
            for k in 0..3 {
                let this_sample = self.next_sample[k];
                let f = frequency[k].next();
                let phase = self.phase[k] + f;
                let wrap = phase >= 1.0;
                let wrapped = phase - 1.0;
                let phase = if wrap { wrapped } else { phase };
                let t = phase / f;
                let this_sample = if wrap { this_sample - this_blep_sample(t) } else { this_sample };
                let next_sample = if wrap { 0.0 - next_blep_sample(t) } else { 0.0 };
                self.next_sample[k] = next_sample + phase;
                self.phase[k] = phase;
                frame[k] = 2.0 * this_sample - 1.0;
            }
        }
        self.frequency = frequency.map(|ramp| ramp.value());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_noise_is_the_sum_of_six_squares_at_exact_truncated_increments() {
        let mut noise = SquareNoise::default();
        let mut block = [0.0; BLOCK_SIZE];
        let f = 0.01;
        let mut samples = Vec::new();
        for _ in 0..1000 {
            noise.render(f, &mut block);
            samples.extend_from_slice(&block);
        }
        let increment = (f * 1.304 * 4_294_967_296.0) as u32;
        assert_eq!(noise.phases[1], increment.wrapping_mul(12_000));
        // Levels are 0.33·c − 1 for c = 0..6 high oscillators.
        for x in &samples {
            let c = (x + 1.0) / 0.33;
            assert!((c - c.round()).abs() < 1e-4 && (0.0..=6.0).contains(&c.round()), "{x}");
        }
        let mean = samples.iter().sum::<f32>() / samples.len() as f32;
        assert!((mean - (0.33 * 3.0 - 1.0)).abs() < 0.02, "half of them high on average: {mean}");
    }

    #[test]
    fn ring_mod_noise_multiplies_squares_and_saws_at_pair_frequencies_scaled_by_f_over_f_plus_0_01() {
        let mut noise = RingModNoise::default();
        let mut squares: [Oscillator; 3] = Default::default();
        let mut saws: [Oscillator; 3] = Default::default();
        let mut block = [0.0; BLOCK_SIZE];
        let mut a = [0.0; BLOCK_SIZE];
        let mut b = [0.0; BLOCK_SIZE];
        for _ in 0..100 {
            // f = 0.01: every pair at half its nominal frequency.
            noise.render(0.01, &mut block);
            let mut expected = [0.0f32; BLOCK_SIZE];
            for k in 0..3 {
                let (square_hz, saw_hz) = RING_MOD_PAIRS[k];
                squares[k].render(OscillatorShape::Square, square_hz / 48_000.0 * 0.5, 0.5, &mut a);
                saws[k].render(OscillatorShape::Saw, saw_hz / 48_000.0 * 0.5, 0.5, &mut b);
                for n in 0..BLOCK_SIZE {
                    expected[n] += a[n] * b[n];
                }
            }
            assert_eq!(block, expected);
            assert!(block.iter().all(|x| x.abs() <= 3.0 * 1.1 * 1.1));
        }
    }
}
