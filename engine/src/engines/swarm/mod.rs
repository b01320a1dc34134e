//! Engine 8, "Granular cloud": eight randomly gliding, windowed saw (OUT) and sine
//! (AUX) voices, from sparse grains to a dense detuned swarm (engines-8-15.md §2).

mod grain_envelope;
mod oscillator_bank;

use crate::dsp::random::Random;
use crate::dsp::units::{note_to_frequency, semitones_to_ratio};
use crate::engines::{Block, Engine, EngineParameters};
use grain_envelope::GrainEnvelope;
use oscillator_bank::{OscillatorBank, VOICE_COUNT};

/// Pitch spread rank of each voice. The firmware centres on (8 − 1) / 2 in integer
/// arithmetic, i.e. 3, so the ranks run from −1 to 4/3 and voice 3 never detunes.
const RANKS: [f32; VOICE_COUNT] = {
    let mut ranks = [0.0; VOICE_COUNT];
    let mut i = 0;
    while i < VOICE_COUNT {
        ranks[i] = (i as f32 - 3.0) / 3.0;
        i += 1;
    }
    ranks
};

/// State of engine 8: each voice's grain clock, and the saw and sine each voice plays.
#[derive(Clone, Debug, Default)]
pub struct SwarmEngine {
    envelopes: [GrainEnvelope; VOICE_COUNT],
    oscillators: OscillatorBank,
}

impl Engine for SwarmEngine {
    fn render(
        &mut self,
        parameters: &EngineParameters,
        random: &mut Random,
        out: &mut Block,
        aux: &mut Block,
        _already_enveloped: &mut bool,
    ) {
        let f0 = note_to_frequency(parameters.note);
        let density = note_to_frequency(parameters.timbre * 120.0) * 0.025 * 12.0;
        let spread = parameters.harmonics * parameters.harmonics * parameters.harmonics;
        let mut size_ratio = 0.25 * semitones_to_ratio((1.0 - parameters.morph) * 84.0);
        let burst_mode = !parameters.trigger.is_unpatched();
        let start_burst = parameters.trigger.is_rising_edge();

        // The firmware renders voice after voice; only the grain clocks draw random
        // numbers, so stepping them all first keeps the generator's order.
        let mut frequency = [0.0; VOICE_COUNT];
        let mut gain = [0.0; VOICE_COUNT];
        for (i, (envelope, &rank)) in self.envelopes.iter_mut().zip(RANKS.iter()).enumerate() {
            envelope.step(density, burst_mode, start_burst, random);
            gain[i] = envelope.amplitude(size_ratio) / VOICE_COUNT as f32;
            let glide = envelope.frequency(size_ratio);
            let f = f0 * semitones_to_ratio(48.0 * glide * spread * rank);
            // A fixed detune that grows with the rank, on top of the random spread.
            frequency[i] = f * (1.0 + rank * (rank + 0.01) * spread * 0.25);
            size_ratio *= 0.97;
        }
        self.oscillators.render(&frequency, &gain, out, aux);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::{TriggerState, BLOCK_SIZE};

    #[test]
    fn ranks_centre_on_voice_three() {
        let expected = [-1.0, -2.0 / 3.0, -1.0 / 3.0, 0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0, 4.0 / 3.0];
        assert_eq!(RANKS, expected);
    }

    fn render(parameters: &EngineParameters, blocks: usize) -> (Vec<f32>, Vec<f32>) {
        let mut engine = SwarmEngine::default();
        let mut random = Random::default();
        let (mut out, mut aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
        let (mut outs, mut auxs) = (Vec::new(), Vec::new());
        for _ in 0..blocks {
            engine.render(parameters, &mut random, &mut out, &mut aux, &mut false);
            outs.extend_from_slice(&out);
            auxs.extend_from_slice(&aux);
        }
        (outs, auxs)
    }

    #[test]
    fn unison_overlapping_voices_add_up_to_one_saw_and_one_sine() {
        let parameters = EngineParameters {
            trigger: TriggerState::Unpatched,
            note: 60.0,
            timbre: 0.5,
            morph: 1.0,
            harmonics: 0.0,
            accent: 0.8,
        };
        let (out, aux) = render(&parameters, 400);
        let f0 = note_to_frequency(60.0);
        let tail_out = &out[2400..];
        let tail_aux = &aux[2400..];
        let peak_out = tail_out.iter().fold(0.0f32, |m, &x| m.max(x.abs()));
        let peak_aux = tail_aux.iter().fold(0.0f32, |m, &x| m.max(x.abs()));
        assert!((peak_out - 1.0).abs() < 0.02, "{peak_out}");
        assert!((peak_aux - (1.0 - 4.0 * f0)).abs() < 0.02, "{peak_aux}");
        // Single line at f0: the sine crosses zero twice per period.
        let crossings = tail_aux.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count() as f32;
        let expected = tail_aux.len() as f32 * f0;
        assert!((crossings - expected).abs() <= 1.0, "{crossings} vs {expected}");
    }

    #[test]
    fn patched_trigger_without_edges_freezes_the_cloud() {
        let parameters = EngineParameters {
            trigger: TriggerState::Low,
            note: 60.0,
            timbre: 1.0,
            morph: 0.2,
            harmonics: 1.0,
            accent: 0.8,
        };
        let mut engine = SwarmEngine::default();
        let mut random = Random::default();
        let (mut out, mut aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
        engine.render(&parameters, &mut random, &mut out, &mut aux, &mut false);
        let after_first_block = random.clone();
        for _ in 0..1000 {
            engine.render(&parameters, &mut random, &mut out, &mut aux, &mut false);
        }
        assert_eq!(random, after_first_block, "no new grains without a trigger");
        let burst = EngineParameters { trigger: TriggerState::RisingEdge, ..parameters };
        engine.render(&burst, &mut random, &mut out, &mut aux, &mut false);
        let mut expected = after_first_block;
        for _ in 0..2 * VOICE_COUNT {
            expected.get_word();
        }
        assert_eq!(random, expected, "a trigger restarts all eight grains");
    }
}
