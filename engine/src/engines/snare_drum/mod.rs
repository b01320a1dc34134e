//! Engine 14, "Analog snare drum": an 808-style shell-and-snares model on OUT
//! and a synthetic 909-style snare on AUX (engines-8-15.md §8).

pub mod analog;
pub mod synthetic;

use crate::dsp::random::Random;
use crate::dsp::units::note_to_frequency;
use crate::engines::{Block, Engine, EngineParameters};
use analog::{AnalogSnareDrum, AnalogSnareDrumParameters};
use synthetic::{SyntheticSnareDrum, SyntheticSnareDrumParameters};

/// State of engine 14.
#[derive(Clone, Debug, Default)]
pub struct SnareDrumEngine {
    analog: AnalogSnareDrum,
    synthetic: SyntheticSnareDrum,
}

impl Engine for SnareDrumEngine {
    fn render(
        &mut self,
        parameters: &EngineParameters,
        random: &mut Random,
        out: &mut Block,
        aux: &mut Block,
        _already_enveloped: &mut bool,
    ) {
        let f0 = note_to_frequency(parameters.note);
        let sustain = parameters.trigger.is_unpatched();
        let trigger = parameters.trigger.is_rising_edge();
        // OUT first: both parts draw from the shared generator, all of
        // OUT's numbers before AUX's.
        let analog = self.analog.prepare(
            &AnalogSnareDrumParameters {
                sustain,
                trigger,
                accent: parameters.accent,
                f0,
                tone: parameters.timbre,
                decay: parameters.morph,
                snappy: parameters.harmonics,
            },
            random,
        );
        let synthetic = self.synthetic.prepare(
            &SyntheticSnareDrumParameters {
                sustain,
                trigger,
                accent: parameters.accent,
                f0,
                fm_amount: parameters.timbre,
                decay: parameters.morph,
                snappy: parameters.harmonics,
            },
            random,
        );
        // The two parts' filters in one loop: each filter waits on its own
        // previous sample, and side by side the processor overlaps the waits.
        let synthetic_drum = &mut self.synthetic;
        self.analog.finish(&analog, out, |i| aux[i] = synthetic_drum.finish_sample(&synthetic, i));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::drum_test_support::{assert_bounded_at_extremes, draws, parameters};
    use crate::engines::TriggerState;

    #[test]
    fn draws_24_random_numbers_per_block_in_every_mode() {
        let free = parameters(TriggerState::Unpatched, 60.0);
        assert_eq!(draws(&mut SnareDrumEngine::default(), &free, &free, 10), 240);
        let edge = parameters(TriggerState::RisingEdge, 60.0);
        let low = parameters(TriggerState::Low, 60.0);
        assert_eq!(draws(&mut SnareDrumEngine::default(), &edge, &low, 10), 240);
    }

    #[test]
    fn free_running_output_follows_level_and_morph() {
        let free = EngineParameters { harmonics: 0.0, ..parameters(TriggerState::Unpatched, 60.0) };
        let mut random = crate::dsp::random::Random::default();
        let quiet = crate::engines::drum_test_support::render(
            &mut SnareDrumEngine::default(),
            &EngineParameters { morph: 0.25, ..free },
            &EngineParameters { morph: 0.25, ..free },
            400,
            &mut random,
        );
        let loud = crate::engines::drum_test_support::render(
            &mut SnareDrumEngine::default(),
            &EngineParameters { accent: 0.4, ..free },
            &EngineParameters { accent: 0.4, ..free },
            400,
            &mut random,
        );
        // Same gain accent · morph = 0.2: with no noise, identical outputs.
        assert_eq!(quiet.0[2400..], loud.0[2400..]);
        assert!(crate::engines::drum_test_support::peak(&quiet.0[2400..]) > 0.1);
    }

    #[test]
    fn outputs_stay_bounded_at_extremes() {
        assert_bounded_at_extremes(|| Box::new(SnareDrumEngine::default()));
    }
}
