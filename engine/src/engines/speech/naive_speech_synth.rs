//! The naive formant synthesiser: an impulse train through five band-pass
//! filters set from a vowel × register table (engines-4-7.md §4.2).

use crate::dsp::filter::{Svf, TanApproximation};
use crate::dsp::interpolate::split;
use crate::dsp::oscillator::{Oscillator, OscillatorShape};
use crate::dsp::units::{semitones_to_ratio, A0, SAMPLE_RATE};
use crate::tables::NAIVE_SPEECH_FORMANTS;

/// Number of formant filters.
const NUM_FORMANTS: usize = 5;

/// A click (trigger) drops the pitch an octave for 50 ms.
const CLICK_SAMPLES: usize = 2400;

/// Resonance of the formant filters.
const FORMANT_Q: f32 = 20.0;

/// `a + (b − a)·t`.
#[inline]
fn lerp(a: f32, b: f32, t: f32) -> f32 {
    a + (b - a) * t
}

/// State of the naive formant synthesiser.
#[derive(Clone, Debug)]
pub struct NaiveSpeechSynth {
    pulse: Oscillator,
    click_samples: usize,
    formant_filters: [Svf; NUM_FORMANTS],
    pulse_colouration: Svf,
}

impl Default for NaiveSpeechSynth {
    fn default() -> Self {
        let mut pulse_colouration = Svf::default();
        pulse_colouration.set_frequency_q(800.0 / SAMPLE_RATE, 0.5, TanApproximation::Dirty);
        Self {
            pulse: Oscillator::default(),
            click_samples: 0,
            formant_filters: Default::default(),
            pulse_colouration,
        }
    }
}

impl NaiveSpeechSynth {
    /// Renders one block: the glottal excitation into `excitation`, the voice into `output`.
    ///
    /// `phoneme` (0 to 1) scans the vowels a, e, i, o, u; `vocal_register`
    /// (0 to 1) goes from bass to soprano.
    pub fn render(
        &mut self,
        click: bool,
        frequency: f32,
        phoneme: f32,
        vocal_register: f32,
        excitation: &mut [f32],
        output: &mut [f32],
    ) {
        if click {
            self.click_samples = CLICK_SAMPLES;
        }
        self.click_samples -= self.click_samples.min(excitation.len());
        let clicking = self.click_samples > 0;
        let frequency = if clicking { frequency / 2.0 } else { frequency };

        self.pulse.render(OscillatorShape::ImpulseTrain, frequency, 0.5, excitation);
        for x in excitation.iter_mut() {
            *x = self.pulse_colouration.process(*x).bp * 4.0;
        }

        let (phoneme_integral, phoneme_fractional) = split(phoneme * 3.999);
        let (register_integral, register_fractional) = split(vocal_register * 3.999);
        let p = phoneme_integral as usize;
        let r = register_integral as usize;
        let table = &NAIVE_SPEECH_FORMANTS;
        let (low_0, low_1) = (&table[p][r], &table[p][r + 1]);
        let (high_0, high_1) = (&table[p + 1][r], &table[p + 1][r + 1]);

        output.fill(0.0);
        for (k, filter) in self.formant_filters.iter_mut().enumerate() {
            // First along the register, then along the phoneme.
            let at = |field: usize| {
                let low = lerp(low_0[k][field] as f32, low_1[k][field] as f32, register_fractional);
                let high = lerp(high_0[k][field] as f32, high_1[k][field] as f32, register_fractional);
                lerp(low, high, phoneme_fractional)
            };
            let note = at(0).min(160.0);
            let amplitude = at(1) / 256.0;
            let mut f = A0 * semitones_to_ratio(note - 33.0);
            if clicking && k == 0 {
                f /= 2.0;
            }
            filter.set_frequency_q(f, FORMANT_Q, TanApproximation::Dirty);
            for (y, &x) in output.iter_mut().zip(excitation.iter()) {
                *y += amplitude * filter.process(x).bp;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustfft::{num_complex::Complex, FftPlanner};

    fn render(synth: &mut NaiveSpeechSynth, f: f32, phoneme: f32, register: f32, blocks: usize) -> Vec<f32> {
        let mut out = Vec::new();
        let mut excitation = [0.0f32; 12];
        let mut block = [0.0f32; 12];
        for _ in 0..blocks {
            synth.render(false, f, phoneme, register, &mut excitation, &mut block);
            out.extend_from_slice(&block);
        }
        out
    }

    fn spectrum(signal: &[f32]) -> Vec<f32> {
        let mut buffer: Vec<Complex<f32>> = signal.iter().map(|&x| Complex::new(x, 0.0)).collect();
        FftPlanner::new().plan_fft_forward(buffer.len()).process(&mut buffer);
        buffer[..buffer.len() / 2].iter().map(|c| c.norm()).collect()
    }

    #[test]
    fn vowel_a_bass_has_its_first_formant_near_589_hz() {
        // A low pitch (≈ 47 Hz) gives dense harmonics, so the envelope shows the formants.
        let mut synth = NaiveSpeechSynth::default();
        let out = render(&mut synth, 47.0 / 48_000.0, 0.0, 0.0, 8000);
        let tail = &out[out.len() - 48_000..];
        let magnitudes = spectrum(tail);
        // 1 Hz bins: the strongest partial below 800 Hz lies within a harmonic of F1.
        let (peak, _) = magnitudes[100..800].iter().enumerate().fold((0, 0.0f32), |best, (i, &m)| {
            if m > best.1 {
                (i + 100, m)
            } else {
                best
            }
        });
        let f1 = 440.0 * 2f32.powf((74.0 - 69.0) / 12.0) * 48_000.0 / 47_872.34;
        assert!((peak as f32 - f1).abs() < 50.0, "peak at {peak} Hz, F1 {f1} Hz");
    }

    #[test]
    fn a_click_drops_the_pitch_an_octave_for_199_blocks() {
        let mut synth = NaiveSpeechSynth::default();
        let mut excitation = [0.0f32; 12];
        let mut out = [0.0f32; 12];
        synth.render(true, 0.01, 0.5, 0.5, &mut excitation, &mut out);
        for _ in 0..198 {
            assert!(synth.click_samples > 0);
            synth.render(false, 0.01, 0.5, 0.5, &mut excitation, &mut out);
        }
        assert!(synth.click_samples > 0);
        synth.render(false, 0.01, 0.5, 0.5, &mut excitation, &mut out);
        assert_eq!(synth.click_samples, 0);
    }

    #[test]
    fn excitation_is_a_pulse_train_at_the_pitch() {
        let mut synth = NaiveSpeechSynth::default();
        let mut excitation = [0.0f32; 12];
        let mut out = [0.0f32; 12];
        let mut signal = Vec::new();
        for _ in 0..4000 {
            synth.render(false, 0.01, 0.0, 0.0, &mut excitation, &mut out);
            signal.extend_from_slice(&excitation);
        }
        let magnitudes = spectrum(&signal[signal.len() - 48_000..]);
        let (peak, _) = magnitudes[200..2000].iter().enumerate().fold((0, 0.0f32), |best, (i, &m)| {
            if m > best.1 {
                (i + 200, m)
            } else {
                best
            }
        });
        // Every bin with energy is a harmonic of 480 Hz.
        assert_eq!(peak % 480, 0, "{peak}");
    }
}
