//! The LPC-10 synthesiser: a glottal pulse or noise through a 10-stage lattice
//! filter, one sample per call at about 8 kHz (engines-4-7.md §4.4).

use crate::dsp::polyblep::{next_blep_sample, this_blep_sample};
use crate::dsp::random::Random;
use crate::tables::LPC_EXCITATION_PULSE;

/// Number of reflection coefficients of the lattice.
pub const LPC_ORDER: usize = 10;

/// 100 Hz at the LPC rate of 8 kHz: the pitch played when prosody is 0.
const BASE_FREQUENCY: f32 = 0.0125;

/// The glottal pulse is 20 LPC samples, 32× oversampled.
const PULSE_OVERSAMPLING: usize = 32;

/// One LPC frame as stored: quantised energy, pitch period and reflection coefficients.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LpcFrame {
    /// Energy, /256 at synthesis.
    pub energy: u8,
    /// Pitch period in LPC samples; 0 = unvoiced (noise).
    pub period: u8,
    /// First reflection coefficient, /32768.
    pub k0: i16,
    /// Second reflection coefficient, /32768.
    pub k1: i16,
    /// Reflection coefficients 2 to 9, /128.
    pub k: [i8; 8],
}

impl LpcFrame {
    /// A frame from the raw integers energy, period, k0..k9 of the data tables.
    pub const fn from_raw(raw: &[i16; 12]) -> Self {
        let mut k = [0i8; 8];
        let mut i = 0;
        while i < 8 {
            k[i] = raw[i + 4] as i8;
            i += 1;
        }
        Self { energy: raw[0] as u8, period: raw[1] as u8, k0: raw[2], k1: raw[3], k }
    }
}

/// `a + (b − a)·t`, the original's interpolation between two frames.
#[inline]
fn lerp(a: f32, b: f32, t: f32) -> f32 {
    a + (b - a) * t
}

/// State of the LPC synthesiser.
#[derive(Clone, Debug)]
pub struct LpcSpeechSynth {
    phase: f32,
    frequency: f32,
    noise_energy: f32,
    pulse_energy: f32,
    next_sample: f32,
    excitation_pulse_index: usize,
    k: [f32; LPC_ORDER],
    s: [f32; LPC_ORDER],
}

impl Default for LpcSpeechSynth {
    fn default() -> Self {
        Self {
            phase: 0.0,
            frequency: BASE_FREQUENCY,
            noise_energy: 0.0,
            pulse_energy: 0.0,
            next_sample: 0.0,
            excitation_pulse_index: 0,
            k: [0.0; LPC_ORDER],
            s: [0.0; LPC_ORDER],
        }
    }
}

impl LpcSpeechSynth {
    /// Loads frame `position` of `frames`, blended with the next one by the
    /// fractional part of `position` if `interpolate`. Frames past the end of
    /// `frames` read as silence (the original reads past its table there).
    pub fn play_frame(&mut self, frames: &[LpcFrame], position: f32, interpolate: bool) {
        let index = position as usize;
        let silence = LpcFrame::default();
        let first = frames.get(index).unwrap_or(&silence);
        if interpolate {
            let second = frames.get(index + 1).unwrap_or(&silence);
            self.load(first, second, position - index as f32);
        } else {
            // A blend of 0 gives the first frame's values exactly.
            self.load(first, first, 0.0);
        }
    }

    fn load(&mut self, first: &LpcFrame, second: &LpcFrame, blend: f32) {
        // An unvoiced frame keeps the pitch of the previous one.
        let frequency_of = |frame: &LpcFrame, current: f32| {
            if frame.period == 0 {
                current
            } else {
                1.0 / frame.period as f32
            }
        };
        let frequency_1 = frequency_of(first, self.frequency);
        let frequency_2 = frequency_of(second, self.frequency);
        self.frequency = lerp(frequency_1, frequency_2, blend);

        let energies = |frame: &LpcFrame| {
            let energy = frame.energy as f32 / 256.0;
            if frame.period == 0 {
                (energy, 0.0)
            } else {
                (0.0, energy)
            }
        };
        let (noise_1, pulse_1) = energies(first);
        let (noise_2, pulse_2) = energies(second);
        self.noise_energy = lerp(noise_1, noise_2, blend);
        self.pulse_energy = lerp(pulse_1, pulse_2, blend);

        self.k[0] = lerp(first.k0 as f32 / 32768.0, second.k0 as f32 / 32768.0, blend);
        self.k[1] = lerp(first.k1 as f32 / 32768.0, second.k1 as f32 / 32768.0, blend);
        for ((k, &a), &b) in self.k[2..].iter_mut().zip(&first.k).zip(&second.k) {
            *k = lerp(a as f32 / 128.0, b as f32 / 128.0, blend);
        }
    }

    /// Energy of the loaded frame (voiced or unvoiced), for tests.
    #[cfg(test)]
    pub fn energy(&self) -> f32 {
        self.pulse_energy + self.noise_energy
    }

    /// Renders one LPC sample and returns (excitation, voice).
    ///
    /// `prosody` scales the frame's recorded intonation around 100 Hz (0 =
    /// monotone, 1 = as recorded, negative = inverted); `pitch_shift` then
    /// moves the whole pitch. Draws one random sample for the noise sign.
    #[inline]
    pub fn render_sample(&mut self, prosody: f32, pitch_shift: f32, random: &mut Random) -> (f32, f32) {
        let f =
            ((BASE_FREQUENCY + (self.frequency - BASE_FREQUENCY) * prosody) * pitch_shift).clamp(0.0, 0.5);
        self.phase += f;
        let mut this_sample = self.next_sample;
        self.next_sample = 0.0;
        if self.phase >= 1.0 {
            self.phase -= 1.0;
            let reset_time = self.phase / f;
            let reset_sample = (PULSE_OVERSAMPLING as f32 * reset_time) as usize;
            let mut discontinuity = 0.0;
            if self.excitation_pulse_index < LPC_EXCITATION_PULSE.len() {
                // The pulse is cut short here; band-limit the step to where it restarts.
                let index = self.excitation_pulse_index.saturating_sub(reset_sample);
                discontinuity = LPC_EXCITATION_PULSE[index] as f32 / 128.0 * self.pulse_energy;
            }
            this_sample -= discontinuity * this_blep_sample(reset_time);
            self.next_sample -= discontinuity * next_blep_sample(reset_time);
            self.excitation_pulse_index = reset_sample;
        }

        let mut excitation = if random.get_sample() > 0 { self.noise_energy } else { -self.noise_energy };
        if let Some(&pulse) = LPC_EXCITATION_PULSE.get(self.excitation_pulse_index) {
            self.next_sample += pulse as f32 / 128.0 * self.pulse_energy;
            self.excitation_pulse_index += PULSE_OVERSAMPLING;
        }
        excitation = (excitation + this_sample) * 1.5;

        let mut e = [0.0f32; LPC_ORDER + 1];
        e[LPC_ORDER] = excitation;
        for j in (0..LPC_ORDER).rev() {
            e[j] = e[j + 1] - self.k[j] * self.s[j];
        }
        e[0] = e[0].clamp(-2.0, 2.0);
        for j in (1..LPC_ORDER).rev() {
            self.s[j] = self.s[j - 1] + self.k[j - 1] * e[j - 1];
        }
        self.s[0] = e[0];
        (excitation, e[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(energy: u8, period: u8, k0: i16) -> LpcFrame {
        LpcFrame { energy, period, k0, ..LpcFrame::default() }
    }

    #[test]
    fn from_raw_keeps_every_field() {
        let raw = [192, 80, -18368, 11584, 52, 29, 23, 14, -17, 79, 37, 4];
        let f = LpcFrame::from_raw(&raw);
        assert_eq!((f.energy, f.period, f.k0, f.k1), (192, 80, -18368, 11584));
        assert_eq!(f.k, [52, 29, 23, 14, -17, 79, 37, 4]);
    }

    #[test]
    fn voiced_frame_repeats_at_its_period_with_prosody_one() {
        // Period 80 LPC samples: the excitation pulse restarts every 80 samples.
        let mut synth = LpcSpeechSynth::default();
        synth.play_frame(&[frame(255, 80, 0)], 0.0, false);
        let mut random = Random::default();
        let excitation: Vec<f32> = (0..800).map(|_| synth.render_sample(1.0, 1.0, &mut random).0).collect();
        let peaks: Vec<usize> = (1..799)
            .filter(|&i| {
                excitation[i] > 0.5 && excitation[i] >= excitation[i - 1] && excitation[i] > excitation[i + 1]
            })
            .collect();
        let gaps: Vec<usize> = peaks.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.len() >= 8, "{peaks:?}");
        assert!(gaps.iter().all(|&g| (79..=81).contains(&g)), "{gaps:?}");
    }

    #[test]
    fn prosody_zero_plays_100_hz_times_pitch_shift() {
        let mut synth = LpcSpeechSynth::default();
        synth.play_frame(&[frame(255, 40, 0)], 0.0, false);
        let mut random = Random::default();
        // 0.0125 · 2 = one pulse every 40 samples whatever the frame's period.
        let excitation: Vec<f32> = (0..400).map(|_| synth.render_sample(0.0, 2.0, &mut random).0).collect();
        let big = excitation.iter().filter(|x| **x > 0.5).count();
        assert!(big > 0);
        let mut synth_2 = LpcSpeechSynth::default();
        synth_2.play_frame(&[frame(255, 80, 0)], 0.0, false);
        let mut random = Random::default();
        let other: Vec<f32> = (0..400).map(|_| synth_2.render_sample(0.0, 2.0, &mut random).0).collect();
        assert_eq!(excitation, other, "the frame's own period is ignored at prosody 0");
    }

    #[test]
    fn unvoiced_frame_is_signed_noise_of_the_frame_energy() {
        let mut synth = LpcSpeechSynth::default();
        synth.play_frame(&[frame(128, 0, 0)], 0.0, false);
        let mut random = Random::default();
        let mut expected = Random::default();
        for _ in 0..100 {
            let (excitation, voice) = synth.render_sample(1.0, 1.0, &mut random);
            let sign = if expected.get_sample() > 0 { 1.0 } else { -1.0 };
            assert_eq!(excitation, sign * 0.5 * 1.5);
            // All reflection coefficients are 0: the lattice passes the excitation.
            assert_eq!(voice, excitation);
        }
    }

    #[test]
    fn lattice_output_is_clamped_to_two() {
        let mut synth = LpcSpeechSynth::default();
        let resonant = LpcFrame {
            energy: 255,
            period: 20,
            k0: -32064,
            k1: 32384,
            k: [92, 126, 92, 102, 102, 102, 77, 77],
        };
        synth.play_frame(&[resonant], 0.0, false);
        let mut random = Random::default();
        for _ in 0..8000 {
            let (_, voice) = synth.render_sample(1.0, 1.0, &mut random);
            assert!(voice.abs() <= 2.0);
        }
    }

    #[test]
    fn interpolation_blends_energy_and_coefficients() {
        let mut synth = LpcSpeechSynth::default();
        let frames = [frame(0, 0, 0), frame(128, 0, 16384)];
        synth.play_frame(&frames, 0.25, true);
        assert_eq!(synth.noise_energy, 0.125);
        assert_eq!(synth.k[0], 0.125);
        // Past the end: silence, not a panic.
        synth.play_frame(&frames, 5.0, false);
        assert_eq!(synth.noise_energy, 0.0);
    }
}
