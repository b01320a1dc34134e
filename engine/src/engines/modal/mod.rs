//! Engine 12, "Modal resonator": 24 tuned modes struck by a mallet, or rubbed
//! by dust when TRIG is unpatched (engines-8-15.md §6).

mod modal_voice;
mod resonator;
mod resonator_svf;

use modal_voice::{ModalVoice, ModalVoiceParameters};

use crate::dsp::random::Random;
use crate::dsp::units::note_to_frequency;
use crate::engines::{Block, Engine, EngineParameters};

/// State of engine 12.
#[derive(Clone, Debug, Default)]
pub struct ModalEngine {
    /// HARMONICS through a block-rate one-pole (≈25 ms); survives Reset.
    smoothed_harmonics: f32,
    voice: ModalVoice,
}

impl Engine for ModalEngine {
    fn reset(&mut self) {
        self.voice.reset();
    }

    fn render(
        &mut self,
        parameters: &EngineParameters,
        random: &mut Random,
        out: &mut Block,
        aux: &mut Block,
        _already_enveloped: &mut bool,
    ) {
        out.fill(0.0);
        aux.fill(0.0);
        self.smoothed_harmonics += 0.01 * (parameters.harmonics - self.smoothed_harmonics);
        let voice_parameters = ModalVoiceParameters {
            sustain: parameters.trigger.is_unpatched(),
            trigger: parameters.trigger.is_rising_edge(),
            accent: parameters.accent,
            f0: note_to_frequency(parameters.note),
            structure: self.smoothed_harmonics,
            brightness: parameters.timbre,
            damping: parameters.morph,
        };
        self.voice.render(&voice_parameters, random, out, aux);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::{TriggerState, BLOCK_SIZE};

    fn parameters(trigger: TriggerState, morph: f32) -> EngineParameters {
        EngineParameters { trigger, note: 60.0, timbre: 0.5, morph, harmonics: 0.5, accent: 0.8 }
    }

    /// OUT and AUX of `blocks` blocks with one trigger on block 0, or unpatched.
    fn render(trigger: TriggerState, morph: f32, blocks: usize) -> (Vec<f32>, Vec<f32>, Random) {
        let mut engine = ModalEngine::default();
        let mut random = Random::default();
        engine.reset();
        let (mut out_all, mut aux_all) = (Vec::new(), Vec::new());
        for block in 0..blocks {
            let trigger = match trigger {
                TriggerState::RisingEdge if block > 0 => TriggerState::Low,
                other => other,
            };
            let (mut out, mut aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
            engine.render(&parameters(trigger, morph), &mut random, &mut out, &mut aux, &mut true);
            out_all.extend_from_slice(&out);
            aux_all.extend_from_slice(&aux);
        }
        (out_all, aux_all, random)
    }

    /// RMS in 5 ms windows.
    fn envelope(x: &[f32]) -> Vec<f32> {
        x.chunks(240).map(|w| (w.iter().map(|v| v * v).sum::<f32>() / w.len() as f32).sqrt()).collect()
    }

    /// Seconds from the loudest window until the level stays 40 dB below it.
    fn time_to_minus_40_db(x: &[f32]) -> f32 {
        let envelope = envelope(x);
        let peak = envelope.iter().cloned().fold(0.0, f32::max);
        let last_loud = envelope.iter().rposition(|&v| v > peak * 0.01).unwrap();
        (last_loud + 1) as f32 * 0.005
    }

    #[test]
    fn morph_sets_the_ring_time() {
        // Measured on the original at note 60, TIMBRE 0.5: ≈ 0.055 s and ≈ 1.7 s.
        let (short, _, _) = render(TriggerState::RisingEdge, 0.0, 1000);
        let short = time_to_minus_40_db(&short);
        assert!((0.04..0.08).contains(&short), "{short}");
        let (long, _, _) = render(TriggerState::RisingEdge, 0.5, 12_000);
        let long = time_to_minus_40_db(&long);
        assert!((1.4..2.0).contains(&long), "{long}");
        let (endless, _, _) = render(TriggerState::RisingEdge, 1.0, 10_000);
        let envelope = envelope(&endless);
        assert!(
            envelope[480] > 0.1 * envelope[10],
            "MORPH 1 rings on: {} vs {}",
            envelope[480],
            envelope[10]
        );
    }

    #[test]
    fn a_strike_is_one_short_pulse_and_then_only_decay() {
        let (out, aux, _) = render(TriggerState::RisingEdge, 0.5, 4000);
        let energy = |x: &[f32]| x.iter().map(|v| v * v).sum::<f32>();
        assert!(energy(&aux[..240]) > 0.0);
        assert!(energy(&aux[240..]) < 1e-6 * energy(&aux[..240]), "AUX: the click only");
        // Partials beat against each other: compare 50 ms windows.
        let level: Vec<f32> = envelope(&out[480..]).chunks(10).map(|w| w.iter().sum::<f32>()).collect();
        assert!(level.windows(2).all(|w| w[1] < w[0]), "OUT decays: {level:?}");
    }

    #[test]
    fn unpatched_dust_keeps_it_ringing() {
        let (out, _, _) = render(TriggerState::Unpatched, 0.5, 8000);
        let rms = |x: &[f32]| (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt();
        let (first, last) = (rms(&out[24_000..48_000]), rms(&out[72_000..96_000]));
        assert!(first > 0.01 && last > 0.3 * first, "{first} {last}");
    }

    #[test]
    fn random_draws_follow_the_module() {
        let draws = |trigger| {
            let (_, _, random) = render(trigger, 0.5, 10);
            let mut reference = Random::default();
            (0..1000).find(|_| reference == random || reference.get_word() == 0).unwrap()
        };
        assert_eq!(draws(TriggerState::Unpatched), 10 * BLOCK_SIZE, "one dust draw per sample");
        assert_eq!(draws(TriggerState::RisingEdge), 0, "a strike draws nothing");
    }

    #[test]
    fn harmonics_glide_with_a_block_rate_one_pole() {
        let mut engine = ModalEngine::default();
        let mut random = Random::default();
        engine.reset();
        let (mut out, mut aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
        let p = EngineParameters { harmonics: 1.0, ..parameters(TriggerState::Low, 0.5) };
        for _ in 0..100 {
            engine.render(&p, &mut random, &mut out, &mut aux, &mut true);
        }
        let smoothed = engine.smoothed_harmonics;
        assert!((smoothed - (1.0 - 0.99f32.powi(100))).abs() < 1e-4, "{smoothed}");
        engine.reset();
        assert_eq!(engine.smoothed_harmonics, smoothed, "kept by Reset");
    }
}
