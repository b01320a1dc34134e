//! Engine 13, "Analog bass drum": an 808-style circuit model with overdrive on
//! OUT and a synthetic 909-style kick on AUX (engines-8-15.md §7).

pub mod analog;
pub mod overdrive;
pub mod synthetic;

use crate::dsp::random::Random;
use crate::dsp::units::note_to_frequency;
use crate::engines::{Block, Engine, EngineParameters, BLOCK_SIZE};
use analog::{AnalogBassDrum, AnalogBassDrumBlock, AnalogBassDrumParameters};
use overdrive::Overdrive;
use synthetic::{
    shape, SyntheticBassDrum, SyntheticBassDrumBlock, SyntheticBassDrumFrame, SyntheticBassDrumParameters,
};

/// State of engine 13.
#[derive(Clone, Debug, Default)]
pub struct BassDrumEngine {
    analog: AnalogBassDrum,
    overdrive: Overdrive,
    synthetic: SyntheticBassDrum,
}

impl Engine for BassDrumEngine {
    fn render(
        &mut self,
        parameters: &EngineParameters,
        random: &mut Random,
        out: &mut Block,
        aux: &mut Block,
        _already_enveloped: &mut bool,
    ) {
        let f0 = note_to_frequency(parameters.note);
        let harmonics = parameters.harmonics;
        let sustain = parameters.trigger.is_unpatched();
        let trigger = parameters.trigger.is_rising_edge();

        // HARMONICS: attack FM over its first quarter, self-FM over the second,
        // overdrive over the upper half (disabled at high pitches).
        let attack_fm_amount = (harmonics * 4.0).min(1.0);
        let self_fm_amount = (harmonics * 4.0 - 1.0).clamp(0.0, 1.0);
        let drive = (harmonics * 2.0 - 1.0).max(0.0) * (1.0 - 16.0 * f0).max(0.0);

        let mut analog = self.analog.begin_block(&AnalogBassDrumParameters {
            sustain,
            trigger,
            accent: parameters.accent,
            f0,
            tone: parameters.timbre,
            decay: parameters.morph,
            attack_fm_amount,
            self_fm_amount,
        });
        let dirtiness = if sustain { harmonics } else { 0.4 - 0.25 * parameters.morph * parameters.morph };
        let mut synthetic = self.synthetic.begin_block(&SyntheticBassDrumParameters {
            sustain,
            trigger,
            accent: parameters.accent,
            f0,
            tone: parameters.timbre,
            decay: parameters.morph,
            dirtiness,
            fm_envelope_amount: (harmonics * 2.0).min(1.0),
            fm_envelope_decay: (harmonics * 2.0 - 1.0).max(0.0),
        });

        // The original renders OUT for the whole block, then AUX. Only AUX draws
        // random numbers, so interleaving the two gives the same samples, and
        // lets the CPU overlap the analog model's long dependency chain with the
        // synthetic drum's recurrences. Both keep their states in locals so that
        // they stay in registers, and each mode has its own loop. What has no
        // state (the synthetic drum's waveshaping, the overdrive) runs
        // afterwards over the whole block, and so do both tone filters.
        let (a, s) = (&mut self.analog, &mut self.synthetic);
        let quiet = sustain && a.is_quiet();
        let unit = analog.has_unit_self_fm();
        let (b, sb) = (&mut analog, &mut synthetic);
        match (sustain, quiet, unit) {
            (true, true, true) => advance::<true, true, true>(a, b, s, sb, random, out, aux),
            (true, true, false) => advance::<true, true, false>(a, b, s, sb, random, out, aux),
            (true, false, true) => advance::<true, false, true>(a, b, s, sb, random, out, aux),
            (true, false, false) => advance::<true, false, false>(a, b, s, sb, random, out, aux),
            (false, _, true) => advance::<false, false, true>(a, b, s, sb, random, out, aux),
            (false, _, false) => advance::<false, false, false>(a, b, s, sb, random, out, aux),
        }
        self.analog.end_block(analog);
        self.overdrive.process(0.5 + 0.5 * drive, out);
        self.synthetic.end_block(synthetic);
    }
}

/// The per-sample loop of both drums, compiled once per mode; `SUSTAIN`,
/// `QUIET` and `UNIT_SELF_FM` as in [`AnalogBassDrum::step`].
///
/// Both tone filters run after the loop: each is a short feedback chain of
/// its own, and out of the loop it no longer shares vector registers with
/// the analog resonator's much longer one (which it lengthened by a shuffle
/// per sample). Every state still sees its samples in order, so the output
/// bits are unchanged.
#[inline(always)]
fn advance<const SUSTAIN: bool, const QUIET: bool, const UNIT_SELF_FM: bool>(
    analog_state: &mut AnalogBassDrum,
    analog: &mut AnalogBassDrumBlock,
    synthetic_state: &mut SyntheticBassDrum,
    synthetic: &mut SyntheticBassDrumBlock,
    random: &mut Random,
    out: &mut Block,
    aux: &mut Block,
) {
    let mut frames = [SyntheticBassDrumFrame::default(); BLOCK_SIZE];
    for (y, frame) in out.iter_mut().zip(frames.iter_mut()) {
        *y = analog_state.step::<SUSTAIN, QUIET, UNIT_SELF_FM>(analog);
        *frame = synthetic_state.advance::<SUSTAIN>(synthetic, random);
    }
    shape(synthetic, &frames, aux);
    for (y, z) in out.iter_mut().zip(aux.iter_mut()) {
        *y = analog_state.tone(analog, *y);
        *z = synthetic_state.tone(synthetic, *z);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::drum_test_support::{assert_bounded_at_extremes, draws, parameters};
    use crate::engines::TriggerState;

    #[test]
    fn draws_12_random_numbers_per_block_free_running_and_24_when_triggered() {
        let free = parameters(TriggerState::Unpatched, 48.0);
        assert_eq!(draws(&mut BassDrumEngine::default(), &free, &free, 10), 120);
        let edge = parameters(TriggerState::RisingEdge, 48.0);
        let low = parameters(TriggerState::Low, 48.0);
        assert_eq!(draws(&mut BassDrumEngine::default(), &edge, &low, 10), 240);
    }

    #[test]
    fn outputs_stay_bounded_at_extremes() {
        assert_bounded_at_extremes(|| Box::new(BassDrumEngine::default()));
    }
}
