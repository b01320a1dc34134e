//! The modal voice's excitation: a low-passed mallet click, or dust when TRIG
//! is unpatched (engines-8-15.md §6.2).

use super::resonator::{ModalResonator, ResonatorParameters};
use super::resonator_svf::{ResonatorCoefficients, ResonatorOutput, ResonatorSvf};
use crate::dsp::dust::dust;
use crate::dsp::random::Random;
use crate::dsp::units::semitones_to_ratio;
use crate::engines::{Block, BLOCK_SIZE};

/// What the voice is asked to play this block.
#[derive(Clone, Copy, Debug)]
pub struct ModalVoiceParameters {
    /// Continuous dust excitation (TRIG unpatched).
    pub sustain: bool,
    /// Strike once.
    pub trigger: bool,
    /// 0.8, or the LEVEL input: louder click, brighter and longer ring.
    pub accent: f32,
    /// Normalised fundamental.
    pub f0: f32,
    /// Smoothed HARMONICS.
    pub structure: f32,
    /// TIMBRE.
    pub brightness: f32,
    /// MORPH.
    pub damping: f32,
}

/// Excitation filter and resonator.
#[derive(Clone, Debug, Default)]
pub struct ModalVoice {
    excitation_filter: ResonatorSvf<1>,
    resonator: ModalResonator,
}

impl ModalVoice {
    /// Silences the filters.
    pub fn reset(&mut self) {
        self.excitation_filter.reset();
        self.resonator.reset();
    }

    /// Renders one block, adding the modes to `out` and the excitation to `aux`.
    pub fn render(
        &mut self,
        parameters: &ModalVoiceParameters,
        random: &mut Random,
        out: &mut Block,
        aux: &mut Block,
    ) {
        let ModalVoiceParameters { sustain, trigger, accent, f0, structure, .. } = *parameters;
        let density = parameters.brightness * parameters.brightness;
        let brightness = parameters.brightness + 0.25 * accent * (1.0 - parameters.brightness);
        let damping = parameters.damping + 0.25 * accent * (1.0 - parameters.damping);

        let (range, cutoff_base, q) = if sustain { (36.0, 4.0 * f0, 0.7) } else { (60.0, 2.0 * f0, 1.5) };
        let cutoff =
            (cutoff_base * semitones_to_ratio((brightness * (2.0 - brightness) - 0.5) * range)).min(0.499);

        let mut excitation: Block = [0.0; BLOCK_SIZE];
        if sustain {
            let dust_density = 0.00005 + 0.99995 * density * density;
            let height = 4.0 - 3.0 * dust_density;
            for e in &mut excitation {
                *e = dust(random, dust_density) * height * accent;
            }
        } else if trigger {
            // Divided by the cutoff so that the filtered click keeps its
            // level whatever the mallet's brightness.
            let amplitude = (0.12 + 0.08 * accent) * (1.0 - 0.5 * damping);
            excitation[0] = amplitude * semitones_to_ratio((cutoff * cutoff) * 24.0) / cutoff;
        }

        self.excitation_filter.flush_negligible();
        self.resonator.flush_negligible();

        let excitation_coefficients = ResonatorCoefficients::new(&[cutoff], &[q], &[1.0]);
        let resonator_parameters = ResonatorParameters { f0, structure, brightness, damping };
        let mode_coefficients = self.resonator.coefficients(&resonator_parameters);
        // The module filters the whole block, then runs the modes over it;
        // interleaving them per sample gives the same values and lets the two
        // filter chains overlap.
        for ((x, o), a) in excitation.iter().zip(out.iter_mut()).zip(aux.iter_mut()) {
            let e = self.excitation_filter.tick(&excitation_coefficients, ResonatorOutput::LowPass, *x);
            *a += e;
            *o = self.resonator.tick(&mode_coefficients, e, *o);
        }
    }
}
