//! Engine 7, "Vowel and speech synthesis": HARMONICS crossfades a naive formant
//! synth, a SAM-style synth and an LPC-10 synth, then selects LPC word banks
//! (engines-4-7.md §4).

pub mod lpc_speech_synth;
pub mod lpc_speech_synth_controller;
pub mod lpc_word_bank;
pub mod naive_speech_synth;
pub mod sam_speech_synth;

use crate::dsp::hysteresis::HysteresisQuantizer;
use crate::dsp::random::Random;
use crate::dsp::units::note_to_frequency;
use crate::engines::memo::Memo;
use crate::engines::{Block, Engine, EngineParameters, SpeechControls, BLOCK_SIZE};
use lpc_speech_synth_controller::{LpcControls, LpcSpeechSynthController};
use lpc_word_bank::NUM_BANKS;
use naive_speech_synth::NaiveSpeechSynth;
use sam_speech_synth::SamSpeechSynth;

/// Smoothstep, applied twice to the crossfade between synths.
///
/// Grouped as `x·(x·(3 − 2x))`: the real module's rounding (engines-4-7.md
/// corrections); `(x·x)·(3 − 2x)` is an ulp off and gives ±1 LSB errors.
#[inline]
fn smoothstep(x: f32) -> f32 {
    x * (x * (3.0 - 2.0 * x))
}

/// State of engine 7.
#[derive(Clone, Debug, Default)]
pub struct SpeechEngine {
    naive: NaiveSpeechSynth,
    sam: SamSpeechSynth,
    lpc: LpcSpeechSynthController,
    word_bank_quantizer: HysteresisQuantizer,
    controls: SpeechControls,
    /// The frequency of the last note.
    f0: Memo<1, f32>,
}

impl SpeechEngine {
    /// The LPC word bank for a HARMONICS group above 2: `None` for the fixed
    /// phonemes, else 0 to 4, with hysteresis between banks.
    fn word_bank(&mut self, group: f32) -> Option<usize> {
        let bank = self.word_bank_quantizer.process(0, (group - 2.0) * 0.275, NUM_BANKS as i32 + 1, 0.25);
        usize::try_from(bank - 1).ok()
    }
}

impl Engine for SpeechEngine {
    fn reset(&mut self) {
        self.lpc.reset();
    }

    fn set_speech_controls(&mut self, controls: SpeechControls) {
        self.controls = controls;
    }

    fn render(
        &mut self,
        parameters: &EngineParameters,
        random: &mut Random,
        out: &mut Block,
        aux: &mut Block,
        already_enveloped: &mut bool,
    ) {
        let f0 = self.f0.get([parameters.note], |[note]| note_to_frequency(note));
        let group = parameters.harmonics * 6.0;
        let trigger = parameters.trigger.is_rising_edge();
        let free_running = parameters.trigger.is_unpatched();

        if group <= 2.0 {
            *already_enveloped = false;
            let blend = if group <= 1.0 {
                self.naive.render(trigger, f0, parameters.morph, parameters.timbre, aux, out);
                group
            } else {
                let controls = LpcControls {
                    free_running,
                    trigger,
                    bank: None,
                    frequency: f0,
                    prosody_amount: 0.0,
                    speed: 0.0,
                    address: parameters.morph,
                    formant_shift: parameters.timbre,
                    gain: 1.0,
                };
                self.lpc.render(&controls, random, aux, out);
                2.0 - group
            };

            let mut sam_excitation = [0.0f32; BLOCK_SIZE];
            let mut sam_voice = [0.0f32; BLOCK_SIZE];
            self.sam.render(
                trigger,
                f0,
                parameters.morph,
                parameters.timbre,
                &mut sam_excitation,
                &mut sam_voice,
            );
            let blend = smoothstep(smoothstep(blend));
            for (a, e) in aux.iter_mut().zip(&sam_excitation) {
                *a += (*e - *a) * blend;
            }
            for (o, v) in out.iter_mut().zip(&sam_voice) {
                *o += (*v - *o) * blend;
            }
        } else {
            let bank = self.word_bank(group);
            // Triggered words carry their own envelope: bypass the LPG, follow LEVEL.
            let replay_prosody = bank.is_some() && !free_running;
            *already_enveloped = replay_prosody;
            let controls = LpcControls {
                free_running,
                trigger,
                bank,
                frequency: f0,
                prosody_amount: self.controls.prosody_amount,
                speed: self.controls.speed,
                address: parameters.morph,
                formant_shift: parameters.timbre,
                gain: if replay_prosody { parameters.accent } else { 1.0 },
            };
            self.lpc.render(&controls, random, aux, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::TriggerState;

    fn parameters(harmonics: f32, trigger: TriggerState) -> EngineParameters {
        EngineParameters { trigger, note: 48.0, timbre: 0.5, morph: 0.5, harmonics, accent: 0.8 }
    }

    /// HARMONICS values where the bank changes, sweeping from `from` to `to`.
    fn bank_changes(engine: &mut SpeechEngine, from: f32, to: f32) -> Vec<(Option<usize>, f32)> {
        let mut changes = Vec::new();
        let mut previous = engine.word_bank(from * 6.0);
        for i in 0..=10_000 {
            let harmonics = from + i as f32 * (to - from) / 10_000.0;
            let bank = engine.word_bank(harmonics * 6.0);
            if bank != previous {
                changes.push((bank, harmonics));
                previous = bank;
            }
        }
        changes
    }

    #[test]
    fn banks_switch_around_the_documented_harmonics_points_with_hysteresis() {
        // Decision points (engines-4-7.md §4.1) and the ±0.25 step hysteresis in HARMONICS units.
        let points = [0.394, 0.515, 0.636, 0.758, 0.879];
        let hysteresis = 0.25 / 1.375 / 6.0;
        let mut engine = SpeechEngine::default();
        let up = bank_changes(&mut engine, 1.0 / 3.0 + 1e-4, 1.0);
        assert_eq!(up.len(), 5, "{up:?}");
        for (b, (&(bank, at), point)) in up.iter().zip(points).enumerate() {
            assert_eq!(bank, Some(b));
            assert!((at - (point + hysteresis)).abs() < 0.001, "bank {b} at {at}");
        }
        let down = bank_changes(&mut engine, 1.0, 1.0 / 3.0 + 1e-4);
        assert_eq!(down.len(), 5, "{down:?}");
        for (&(bank, at), point) in down.iter().zip(points.iter().rev()) {
            assert!((at - (point - hysteresis)).abs() < 0.001, "{bank:?} at {at}");
        }
        assert_eq!(down[4].0, None);
    }

    #[test]
    fn smoothstep_is_grouped_from_the_inside() {
        let x = 0.3f32;
        assert_eq!(smoothstep(x), x * (x * (3.0 - 2.0 * x)));
        assert_eq!(smoothstep(0.0), 0.0);
        assert_eq!(smoothstep(1.0), 1.0);
    }

    #[test]
    fn only_triggered_words_bypass_the_lpg() {
        let mut engine = SpeechEngine::default();
        let mut random = Random::default();
        let (mut out, mut aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
        for (harmonics, trigger, expected) in [
            (0.9, TriggerState::Low, true),
            (0.9, TriggerState::Unpatched, false),
            (0.35, TriggerState::Low, false),
            (0.1, TriggerState::RisingEdge, false),
        ] {
            let mut enveloped = !expected;
            engine.render(&parameters(harmonics, trigger), &mut random, &mut out, &mut aux, &mut enveloped);
            assert_eq!(enveloped, expected, "harmonics {harmonics}, {trigger:?}");
        }
    }

    #[test]
    fn outputs_stay_bounded_at_extreme_settings() {
        let mut peak = 0.0f32;
        for harmonics in [0.0, 0.1, 1.0 / 6.0, 0.25, 1.0 / 3.0, 0.37, 0.45, 0.6, 0.7, 0.8, 1.0] {
            for note in [-119.0, -60.0, 0.0, 24.0, 60.0, 96.0, 120.0] {
                for (timbre, morph) in [(0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0), (0.5, 0.5)] {
                    let mut engine = SpeechEngine::default();
                    engine.set_speech_controls(SpeechControls { prosody_amount: -1.0, speed: 1.0 });
                    let mut random = Random::default();
                    let (mut out, mut aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
                    for block in 0..800 {
                        let trigger =
                            if block % 100 == 0 { TriggerState::RisingEdge } else { TriggerState::Low };
                        let parameters =
                            EngineParameters { trigger, note, timbre, morph, harmonics, accent: 1.05 };
                        let mut enveloped = false;
                        engine.render(&parameters, &mut random, &mut out, &mut aux, &mut enveloped);
                        for x in out.iter().chain(&aux) {
                            assert!(x.is_finite(), "{harmonics} {note} {timbre} {morph}");
                            peak = peak.max(x.abs());
                        }
                    }
                }
            }
        }
        println!("peak {peak}");
        assert!(peak < 64.0, "{peak}");
    }

    #[test]
    fn renders_are_deterministic_from_the_same_seed() {
        let render = || {
            let mut engine = SpeechEngine::default();
            let mut random = Random::default();
            let (mut out, mut aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
            let mut all = Vec::new();
            for block in 0..2000 {
                let harmonics = (block / 200) as f32 / 10.0;
                let trigger = if block % 150 == 0 { TriggerState::RisingEdge } else { TriggerState::Low };
                let mut enveloped = false;
                engine.render(
                    &parameters(harmonics, trigger),
                    &mut random,
                    &mut out,
                    &mut aux,
                    &mut enveloped,
                );
                all.extend_from_slice(&out);
                all.extend_from_slice(&aux);
            }
            all
        };
        let a = render();
        assert!(a.iter().all(|x| x.is_finite()));
        assert_eq!(a, render());
    }
}
