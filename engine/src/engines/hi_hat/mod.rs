//! Engine 15, "Analog hi-hat": an 808-style square-cluster hat on OUT and a
//! ring-modulated hat on AUX (engines-8-15.md §9).

pub mod hat;
pub mod metallic_noise;

use crate::dsp::random::Random;
use crate::dsp::units::note_to_frequency;
use crate::engines::{Block, Engine, EngineParameters};
use hat::{HiHat, HiHatParameters, LinearVca, SwingVca};
use metallic_noise::{RingModNoise, SquareNoise};

/// State of engine 15.
#[derive(Clone, Debug, Default)]
pub struct HiHatEngine {
    square_hat: HiHat<SquareNoise, SwingVca, true>,
    ring_mod_hat: HiHat<RingModNoise, LinearVca, false>,
}

impl Engine for HiHatEngine {
    fn render(
        &mut self,
        parameters: &EngineParameters,
        random: &mut Random,
        out: &mut Block,
        aux: &mut Block,
        _already_enveloped: &mut bool,
    ) {
        let hat_parameters = HiHatParameters {
            sustain: parameters.trigger.is_unpatched(),
            trigger: parameters.trigger.is_rising_edge(),
            accent: parameters.accent,
            f0: note_to_frequency(parameters.note),
            tone: parameters.timbre,
            decay: parameters.morph,
            noisiness: parameters.harmonics,
        };
        // OUT first: both hats draw from the shared generator.
        self.square_hat.render(&hat_parameters, random, out);
        self.ring_mod_hat.render(&hat_parameters, random, aux);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::drum_test_support::{assert_bounded_at_extremes, draws, parameters};
    use crate::engines::TriggerState;

    #[test]
    fn both_hats_draw_once_per_noise_clock_tick() {
        // Note 60 at HARMONICS 0.5: the clock runs at f0 · (16 + 16 · 0.75) = 28 f0.
        let free = parameters(TriggerState::Unpatched, 60.0);
        let ticks = (1200.0 * 28.0 * note_to_frequency(60.0)) as usize;
        let n = draws(&mut HiHatEngine::default(), &free, &free, 100);
        assert!(n == 2 * ticks || n == 2 * (ticks + 1), "{n} draws for {ticks} ticks per hat");
    }

    #[test]
    fn outputs_stay_bounded_at_extremes() {
        assert_bounded_at_extremes(|| Box::new(HiHatEngine::default()));
    }
}
