//! The SAM-style synthesiser: three sine formants hard-synced to a glottal
//! pulse and decaying over each period (engines-4-7.md §4.3).

use crate::dsp::interpolate::split;
use crate::dsp::polyblep::{next_blep_sample, this_blep_sample};
use crate::dsp::ramp::ParameterRamp;
use crate::dsp::units::SAMPLE_RATE;
use crate::tables::{LUT_SINE, SAM_FORMANT_AMPLITUDE, SAM_PHONEMES};

/// Number of formant oscillators.
const NUM_FORMANTS: usize = 3;

/// Number of vowels MORPH scans (rows 0 to 8 of the table).
const NUM_VOWELS: usize = 9;

/// Number of consonants (rows 9 to 16), chosen at a trigger.
const NUM_CONSONANTS: usize = 8;

/// A consonant lasts 50 ms.
const CONSONANT_SAMPLES: usize = 2400;

/// The pitch is capped at 3 kHz.
const MAX_FREQUENCY: f32 = 0.0625;

/// `a + (b − a)·t`.
#[inline]
fn lerp(a: f32, b: f32, t: f32) -> f32 {
    a + (b - a) * t
}

/// State of the SAM-style synthesiser.
#[derive(Clone, Debug, Default)]
pub struct SamSpeechSynth {
    phase: f32,
    frequency: f32,
    pulse_next_sample: f32,
    pulse_lp: f32,
    formant_phase: [u32; NUM_FORMANTS],
    consonant_samples: usize,
    consonant_index: usize,
}

impl SamSpeechSynth {
    /// Renders one block: the glottal excitation into `excitation`, the voice into `output`.
    ///
    /// `vowel` (0 to 1) scans the nine vowels; `formant_shift` (0 to 1) scales
    /// the formant frequencies by 1 to 3.5; `consonant` starts a 50 ms consonant.
    pub fn render(
        &mut self,
        consonant: bool,
        frequency: f32,
        vowel: f32,
        formant_shift: f32,
        excitation: &mut [f32],
        output: &mut [f32],
    ) {
        let frequency = frequency.min(MAX_FREQUENCY);
        if consonant {
            self.consonant_samples = CONSONANT_SAMPLES;
            let choice = ((vowel + 3.0 * frequency + 7.0 * formant_shift) * 8.0) as i32;
            self.consonant_index = (choice % NUM_CONSONANTS as i32) as usize;
        }
        self.consonant_samples -= self.consonant_samples.min(excitation.len());

        let phoneme = if self.consonant_samples > 0 {
            (self.consonant_index + NUM_VOWELS) as f32
        } else {
            vowel * 7.9999
        };
        let (integral, fractional) = split(phoneme);
        let row = &SAM_PHONEMES[integral as usize];
        // The last consonant has no successor; its weight is 0 anyway.
        let next_row = &SAM_PHONEMES[(integral as usize + 1).min(SAM_PHONEMES.len() - 1)];

        let scale = 1.0 + 2.5 * formant_shift;
        let phase_increment_per_hz = 8.0 * scale * 4_294_967_296.0 / SAMPLE_RATE;
        let mut increment = [0u32; NUM_FORMANTS];
        let mut amplitude = [0.0f32; NUM_FORMANTS];
        for k in 0..NUM_FORMANTS {
            let formant = lerp(row[k][0] as f32, next_row[k][0] as f32, fractional);
            increment[k] = (formant * phase_increment_per_hz) as u32;
            amplitude[k] = lerp(
                SAM_FORMANT_AMPLITUDE[row[k][1] as usize],
                SAM_FORMANT_AMPLITUDE[next_row[k][1] as usize],
                fractional,
            );
        }

        let mut frequency_ramp = ParameterRamp::new(self.frequency, frequency, excitation.len());
        for (e, o) in excitation.iter_mut().zip(output.iter_mut()) {
            let mut this_sample = self.pulse_next_sample;
            self.pulse_next_sample = 0.0;
            let f = frequency_ramp.next();
            self.phase += f;
            if self.phase >= 1.0 {
                self.phase -= 1.0;
                let t = self.phase / f;
                // Hard sync at the exact sub-sample time of the glottal pulse.
                for (phase, &inc) in self.formant_phase.iter_mut().zip(&increment) {
                    *phase = (t * inc as f32) as u32;
                }
                this_sample -= this_blep_sample(t);
                self.pulse_next_sample -= next_blep_sample(t);
            } else {
                for (phase, &inc) in self.formant_phase.iter_mut().zip(&increment) {
                    *phase = phase.wrapping_add(inc);
                }
            }
            self.pulse_next_sample += self.phase;

            let d = this_sample - 0.5 - self.pulse_lp;
            self.pulse_lp += (16.0 * f).min(1.0) * d;
            *e = d;

            let mut voice = 0.0;
            for (&phase, &a) in self.formant_phase.iter().zip(&amplitude) {
                voice += LUT_SINE[(phase >> 22) as usize] * a;
            }
            *o = voice * (1.0 - self.phase);
        }
        self.frequency = frequency_ramp.value();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formant_increment_is_8_hz_per_unit_times_the_shift() {
        // Row 0, F3 = 200 → 1600 Hz at shift 0; a phase increment of 1600/48000 of 2^32.
        let mut synth = SamSpeechSynth::default();
        let mut e = [0.0f32; 12];
        let mut o = [0.0f32; 12];
        synth.render(false, 0.001, 0.0, 0.0, &mut e, &mut o);
        // Between two pulses the formant phase advances by its increment every sample.
        let before = synth.formant_phase[2];
        synth.render(false, 0.001, 0.0, 0.0, &mut e, &mut o);
        let step = synth.formant_phase[2].wrapping_sub(before) / 12;
        let hz = step as f64 * 48_000.0 / 4_294_967_296.0;
        assert!((hz - 1600.0).abs() < 0.01, "{hz}");
    }

    #[test]
    fn consonant_lasts_50_ms_and_depends_on_vowel_pitch_and_shift() {
        let mut synth = SamSpeechSynth::default();
        let mut e = [0.0f32; 12];
        let mut o = [0.0f32; 12];
        synth.render(true, 0.01, 0.5, 0.25, &mut e, &mut o);
        // (0.5 + 0.03 + 1.75)·8 = 18.24 → 18 mod 8 = 2.
        assert_eq!(synth.consonant_index, 2);
        for _ in 0..198 {
            synth.render(false, 0.01, 0.5, 0.25, &mut e, &mut o);
        }
        assert!(synth.consonant_samples > 0);
        synth.render(false, 0.01, 0.5, 0.25, &mut e, &mut o);
        assert_eq!(synth.consonant_samples, 0);
    }

    #[test]
    fn voice_decays_over_each_period_and_excitation_has_no_dc() {
        let mut synth = SamSpeechSynth::default();
        let mut e = [0.0f32; 12];
        let mut o = [0.0f32; 12];
        let mut excitation = Vec::new();
        for _ in 0..4000 {
            synth.render(false, 0.005, 0.3, 0.5, &mut e, &mut o);
            excitation.extend_from_slice(&e);
            assert!(o.iter().all(|x| x.abs() <= 1.5));
        }
        let tail = &excitation[excitation.len() - 24_000..];
        let mean = tail.iter().sum::<f32>() / tail.len() as f32;
        assert!(mean.abs() < 0.02, "{mean}");
    }

    #[test]
    fn last_consonant_plays_row_16_alone() {
        let mut synth = SamSpeechSynth::default();
        let mut e = [0.0f32; 12];
        let mut o = [0.0f32; 12];
        // (0 + 0.0003 + 7·0.13)·8 = 7.28 → the last consonant, row 16, without panicking.
        synth.render(true, 0.0001, 0.0, 0.13, &mut e, &mut o);
        assert_eq!(synth.consonant_index, 7);
    }
}
