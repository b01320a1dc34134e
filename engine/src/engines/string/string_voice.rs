//! One string voice: its excitation (a noise burst or dust) and its string
//! (engines-8-15.md §5.2).

use super::karplus_string::{KarplusString, StringParameters};
use crate::dsp::dust::dust;
use crate::dsp::filter::{Svf, TanApproximation};
use crate::dsp::random::Random;
use crate::dsp::units::semitones_to_ratio;
use crate::engines::{Block, BLOCK_SIZE};

/// What one voice is asked to play this block.
#[derive(Clone, Copy, Debug)]
pub struct StringVoiceParameters {
    /// Continuously excite the string with dust (TRIG unpatched, active voice).
    pub sustain: bool,
    /// Pluck: a one-period noise burst.
    pub trigger: bool,
    /// 0.8, or the LEVEL input: brightens and lengthens the sound.
    pub accent: f32,
    /// Normalised frequency; 0 silences the loop.
    pub f0: f32,
    /// HARMONICS: curved bridge below 0.24, clean to 0.26, dispersion above.
    pub structure: f32,
    /// TIMBRE²: excitation and loop brightness.
    pub brightness: f32,
    /// MORPH: loop damping, infinite sustain near 1.
    pub damping: f32,
}

/// An excitation source and a string; the engine plays three of them.
#[derive(Clone, Debug, Default)]
pub struct StringVoice {
    excitation_filter: Svf,
    /// Noise samples of the pluck still to play.
    remaining_noise_samples: usize,
    string: KarplusString,
}

impl StringVoice {
    /// Silences the string; the excitation filter and burst counter are kept,
    /// as in the module.
    pub fn reset(&mut self) {
        self.string.reset();
    }

    /// Renders one block, adding the string to `out` and the filtered
    /// excitation to `aux`.
    pub fn render(
        &mut self,
        parameters: &StringVoiceParameters,
        random: &mut Random,
        out: &mut Block,
        aux: &mut Block,
    ) {
        let StringVoiceParameters { sustain, trigger, accent, f0, structure, .. } = *parameters;
        let density = parameters.brightness * parameters.brightness;
        let brightness = parameters.brightness + 0.25 * accent * (1.0 - parameters.brightness);
        let damping = parameters.damping + 0.25 * accent * (1.0 - parameters.damping);

        if trigger || sustain {
            // ±36 semitones around 4 · f0.
            let cutoff =
                (4.0 * f0 * semitones_to_ratio((brightness * (2.0 - brightness) - 0.5) * 72.0)).min(0.499);
            let q = if sustain { 1.0 } else { 0.5 };
            // One period of noise. In sustain mode the counter is re-armed every
            // block but not used.
            self.remaining_noise_samples = (1.0 / f0) as usize;
            self.excitation_filter.set_frequency_q(cutoff, q, TanApproximation::Dirty);
        }

        let mut excitation: Block = [0.0; BLOCK_SIZE];
        if sustain {
            let dust_density = 0.00005 + 0.99995 * density * density;
            let height = 8.0 - 6.0 * dust_density;
            for e in &mut excitation {
                *e = dust(random, dust_density) * height * accent;
            }
        } else if self.remaining_noise_samples > 0 {
            let burst = self.remaining_noise_samples.min(BLOCK_SIZE);
            self.remaining_noise_samples -= burst;
            for e in &mut excitation[..burst] {
                *e = 2.0 * random.get_float() - 1.0;
            }
        }

        // After a pluck the excitation filter rings on in subnormal numbers
        // for ever, which costs several times the normal arithmetic on x86.
        // Between excitations, flush it to zero: its output is then 2^-126 or
        // smaller, far below one LSB of the 16-bit output, and the string
        // loop cannot amplify it past that, so no output sample changes.
        if excitation.iter().all(|&e| e == 0.0) && self.excitation_filter.is_subnormal() {
            self.excitation_filter.reset();
        } else {
            for (e, a) in excitation.iter_mut().zip(aux.iter_mut()) {
                *e = self.excitation_filter.low_pass(*e);
                *a += *e;
            }
        }

        let non_linearity = if structure < 0.24 {
            (structure - 0.24) * 4.166
        } else if structure > 0.26 {
            (structure - 0.26) * 1.35135
        } else {
            0.0
        };
        let string_parameters = StringParameters { f0, non_linearity, brightness, damping };
        self.string.process(&string_parameters, &excitation, out, random);
    }
}
