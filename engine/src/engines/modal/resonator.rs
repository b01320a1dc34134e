//! 24 band-pass modes tuned by a stiffness law: harmonic, compressed or
//! bell-like stretched partials (engines-8-15.md §6.3).

use super::resonator_svf::{ResonatorCoefficients, ResonatorOutput, ResonatorSvf};
use crate::dsp::cosine_oscillator::{CosineMode, CosineOscillator};
use crate::dsp::interpolate::interpolate;
use crate::dsp::units::semitones_to_ratio;
use crate::tables::LUT_STIFFNESS;

/// Number of modes.
pub const MODES: usize = 24;
/// Modes per filter bank: the module processes them four at a time.
const BANK_SIZE: usize = 4;
const BANKS: usize = MODES / BANK_SIZE;
/// Highest mode frequency; modes above are clamped here and nearly muted.
const MAX_MODE_FREQUENCY: f32 = 0.499;

/// Per-block coefficients of the six banks of four modes.
pub type ModeCoefficients = [ResonatorCoefficients<BANK_SIZE>; BANKS];

/// What the resonator is asked to do this block.
#[derive(Clone, Copy, Debug)]
pub struct ResonatorParameters {
    /// Normalised fundamental before stiffness compensation.
    pub f0: f32,
    /// Smoothed HARMONICS: the stiffness law.
    pub structure: f32,
    /// Accent-adjusted TIMBRE: high modes lose less when brighter.
    pub brightness: f32,
    /// Accent-adjusted MORPH: decay time.
    pub damping: f32,
}

/// The modal resonator.
#[derive(Clone, Debug)]
pub struct ModalResonator {
    /// Mode amplitudes: a raised cosine over the mode number (the pickup position).
    amplitudes: [f32; MODES],
    banks: [ResonatorSvf<BANK_SIZE>; BANKS],
}

impl Default for ModalResonator {
    fn default() -> Self {
        Self { amplitudes: mode_amplitudes(), banks: Default::default() }
    }
}

/// `0.25 ·` an approximate cosine oscillator at 0.015 cycles per mode, as the
/// module computes them at start-up.
fn mode_amplitudes() -> [f32; MODES] {
    let mut oscillator = CosineOscillator::default();
    oscillator.init(0.015, CosineMode::Approximate);
    std::array::from_fn(|_| 0.25 * oscillator.next())
}

impl ModalResonator {
    /// Silences every mode.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Mode frequencies, resonances and gains for one block.
    fn modes(&self, parameters: &ResonatorParameters) -> ([f32; MODES], [f32; MODES], [f32; MODES]) {
        let ResonatorParameters { f0, structure, damping, .. } = *parameters;
        let mut stiffness = interpolate(&LUT_STIFFNESS, structure, 64.0);
        // Keeps the third partial at exactly 3 · f0. Multiplying by the
        // reciprocal rounds differently from dividing; the module multiplies.
        let decay = if stiffness < 0.0 { 0.93 } else { 0.98 };
        let compensation = 1.0 / ((1.0 + stiffness) + stiffness * decay);
        let f0 = f0 * compensation;

        let mut harmonic = f0;
        let mut stretch_factor = 1.0f32;
        let q_semitones = semitones_to_ratio(damping * 79.7);
        let mut q = (500.0 * q_semitones) * q_semitones;
        let brightness = (parameters.brightness * (1.0 - 0.3 * structure)) * (1.0 - 0.3 * damping);
        let q_loss = (brightness * (2.0 - brightness)) * 0.85 + 0.15;

        let mut frequency = [0.0f32; MODES];
        let mut resonance = [0.0f32; MODES];
        let mut gain = [0.0f32; MODES];
        for i in 0..MODES {
            let mode_frequency = (harmonic * stretch_factor).min(MAX_MODE_FREQUENCY);
            frequency[i] = mode_frequency;
            resonance[i] = 1.0 + mode_frequency * q;
            gain[i] = self.amplitudes[i] * (1.0 - 2.0 * mode_frequency);
            stretch_factor += stiffness;
            stiffness *= if stiffness < 0.0 { 0.93 } else { 0.98 };
            harmonic += f0;
            q *= q_loss;
        }
        (frequency, resonance, gain)
    }

    /// This block's filter coefficients, bank by bank.
    pub fn coefficients(&self, parameters: &ResonatorParameters) -> ModeCoefficients {
        let (frequency, resonance, gain) = self.modes(parameters);
        let mut coefficients = [ResonatorCoefficients::default(); BANKS];
        for (((bank, frequency), resonance), gain) in coefficients
            .iter_mut()
            .zip(frequency.chunks_exact(BANK_SIZE))
            .zip(resonance.chunks_exact(BANK_SIZE))
            .zip(gain.chunks_exact(BANK_SIZE))
        {
            *bank = ResonatorCoefficients::new(
                frequency.try_into().unwrap(),
                resonance.try_into().unwrap(),
                gain.try_into().unwrap(),
            );
        }
        coefficients
    }

    /// Zeroes the modes that have decayed below `NEGLIGIBLE` (see
    /// [`ResonatorSvf::flush_negligible`]).
    pub fn flush_negligible(&mut self) {
        for bank in &mut self.banks {
            bank.flush_negligible();
        }
    }

    /// One sample: rings the modes with `x` and returns `out` plus the modes.
    ///
    /// The module runs each bank over the whole block and adds it to OUT,
    /// bank after bank; per sample that is the same sum in the same order,
    /// and running all banks per sample lets their filters overlap.
    #[inline(always)]
    pub fn tick(&mut self, coefficients: &ModeCoefficients, x: f32, out: f32) -> f32 {
        let mut sum = out;
        for (bank, coefficients) in self.banks.iter_mut().zip(coefficients.iter()) {
            sum += bank.tick(coefficients, ResonatorOutput::BandPass, x);
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amplitudes_are_the_modules_pickup_curve() {
        // The spec's values, printed to 9 significant digits.
        let expected: [f64; MODES] = [
            0.25,
            0.249549985,
            0.248203203,
            0.245969325,
            0.242864475,
            0.238910973,
            0.234137312,
            0.228577852,
            0.222272605,
            0.215267003,
            0.207611457,
            0.199361116,
            0.190575346,
            0.181317449,
            0.171654046,
            0.161654741,
            0.151391506,
            0.140938237,
            0.130370229,
            0.119763546,
            0.109194562,
            0.0987393856,
            0.0884732902,
            0.0784701928,
        ];
        assert_eq!(mode_amplitudes(), expected.map(|a| a as f32));
    }

    fn parameters(f0: f32, structure: f32) -> ResonatorParameters {
        ResonatorParameters { f0, structure, brightness: 0.5, damping: 0.5 }
    }

    #[test]
    fn third_mode_sits_at_three_times_f0_for_any_structure() {
        let resonator = ModalResonator::default();
        for structure in [0.0, 0.1, 0.27, 0.5, 0.8, 1.0] {
            let (frequency, _, _) = resonator.modes(&parameters(0.001, structure));
            assert!((frequency[2] / 0.003 - 1.0).abs() < 1e-5, "{structure}: {}", frequency[2]);
        }
    }

    #[test]
    fn modes_are_harmonic_where_stiffness_is_zero_compressed_below_and_stretched_above() {
        let resonator = ModalResonator::default();
        let (harmonic, _, _) = resonator.modes(&parameters(0.001, 0.27));
        for (i, f) in harmonic.iter().enumerate() {
            assert!((f / (0.001 * (i + 1) as f32) - 1.0).abs() < 1e-5, "mode {i}: {f}");
        }
        let (compressed, _, _) = resonator.modes(&parameters(0.001, 0.1));
        assert!(compressed[9] < 0.01 * 0.999 && compressed[0] > 0.001);
        let (stretched, _, _) = resonator.modes(&parameters(0.001, 1.0));
        assert!(stretched[9] > 0.02 && stretched[0] < 0.001);
        let (clamped, _, gain) = resonator.modes(&parameters(0.05, 0.27));
        assert_eq!(clamped[23], MAX_MODE_FREQUENCY);
        assert!(gain[23] < 0.001, "a clamped mode is almost muted: {}", gain[23]);
    }

    #[test]
    fn a_mode_decays_with_the_time_constant_of_its_q() {
        // τ = Q / (π F): mode 0 alone, damping 0.5 → Q ≈ 1 + f0 · 500 · 2^(79.7/12).
        let f0 = 0.005;
        let mut resonator = ModalResonator::default();
        let p = ResonatorParameters { f0, structure: 0.27, brightness: 0.0, damping: 0.5 };
        let (frequency, resonance, _) = resonator.modes(&p);
        let expected_tau = resonance[0] / (std::f32::consts::PI * frequency[0]);
        let coefficients = resonator.coefficients(&p);
        let mut envelope = Vec::new();
        let mut x = 1.0;
        for _ in 0..3000 {
            let mut block_peak = 0.0f32;
            for _ in 0..crate::engines::BLOCK_SIZE {
                block_peak = block_peak.max(resonator.tick(&coefficients, x, 0.0).abs());
                x = 0.0;
            }
            envelope.push(block_peak);
        }
        // Peaks over 20-block windows (more than a period), 1000 blocks apart,
        // late enough for the higher modes to have died out.
        let peak = |at: usize| envelope[at..at + 20].iter().cloned().fold(0.0f32, f32::max);
        let measured_tau = 12_000.0 / (peak(1000) / peak(2000)).ln();
        assert!((measured_tau / expected_tau - 1.0).abs() < 0.05, "{measured_tau} vs {expected_tau}");
    }
}
