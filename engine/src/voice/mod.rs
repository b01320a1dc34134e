//! The Plaits voice: trigger handling, modulation, engine selection, envelopes,
//! low-pass gate and output stage around the engines (voice.md §3).

pub mod lpg;
pub mod post_processor;

use crate::dsp::delay_line::DelayLine;
use crate::dsp::hysteresis::HysteresisQuantizer;
use crate::dsp::random::Random;
use crate::dsp::units::{note_to_frequency, semitones_to_ratio};
use crate::engines::{
    new_engine, Block, Engine, EngineParameters, SpeechControls, TriggerState, BLOCK_SIZE, ENGINES,
    ENGINE_COUNT,
};
use lpg::LpgEnvelope;
use post_processor::{GateSettings, PostProcessor};

/// The speech engine's index: the voice gives it a few special controls.
const SPEECH_ENGINE: usize = 7;

/// Knob state shared by every voice of the module (voice.md §1.1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Patch {
    /// Base pitch as a MIDI note (60 + 12 · FREQ knob).
    pub note: f32,
    /// HARMONICS knob.
    pub harmonics: f32,
    /// TIMBRE knob.
    pub timbre: f32,
    /// MORPH knob.
    pub morph: f32,
    /// FM attenuverter.
    pub frequency_modulation_amount: f32,
    /// TIMBRE attenuverter.
    pub timbre_modulation_amount: f32,
    /// MORPH attenuverter.
    pub morph_modulation_amount: f32,
    /// Selected model, 0 to 15.
    pub engine: usize,
    /// LPG decay knob.
    pub decay: f32,
    /// LPG colour knob.
    pub lpg_colour: f32,
}

impl Default for Patch {
    fn default() -> Self {
        Self {
            note: 60.0,
            harmonics: 0.5,
            timbre: 0.5,
            morph: 0.5,
            frequency_modulation_amount: 0.0,
            timbre_modulation_amount: 0.0,
            morph_modulation_amount: 0.0,
            engine: 0,
            decay: 0.5,
            lpg_colour: 0.5,
        }
    }
}

/// The CV inputs of one voice for one block, in Plaits' units (voice.md §1.2).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Modulations {
    /// MODEL CV as a fraction of the engine range (volts / 5).
    pub engine: f32,
    /// V/OCT in semitones.
    pub note: f32,
    /// FM CV in semitones.
    pub frequency: f32,
    /// HARMONICS CV (volts / 5).
    pub harmonics: f32,
    /// TIMBRE CV (volts / 8).
    pub timbre: f32,
    /// MORPH CV (volts / 8).
    pub morph: f32,
    /// TRIG (volts / 3).
    pub trigger: f32,
    /// LEVEL (volts / 8).
    pub level: f32,
    /// FM jack connected.
    pub frequency_patched: bool,
    /// TIMBRE jack connected.
    pub timbre_patched: bool,
    /// MORPH jack connected.
    pub morph_patched: bool,
    /// TRIG jack connected.
    pub trigger_patched: bool,
    /// LEVEL jack connected.
    pub level_patched: bool,
}

/// A simple exponential decay restarted by triggers; sweeps note, timbre and morph.
#[derive(Clone, Debug, Default)]
struct DecayEnvelope {
    value: f32,
}

/// One Plaits voice. Renders 12-frame blocks of int16 OUT/AUX pairs, exactly as
/// the module's DSP does before VCV scales them to volts.
pub struct Voice {
    engines: [Option<Box<dyn Engine>>; ENGINE_COUNT],
    engine_quantizer: HysteresisQuantizer,
    previous_engine_index: Option<usize>,
    engine_cv: f32,
    decay_envelope: DecayEnvelope,
    lpg_envelope: LpgEnvelope,
    post_processor: PostProcessor,
    trigger_state: bool,
    previous_note: f32,
    trigger_delay: DelayLine<8>,
    random: Random,
    out_buffer: Block,
    aux_buffer: Block,
}

impl Default for Voice {
    fn default() -> Self {
        Self::new()
    }
}

impl Voice {
    /// A voice in its power-up state, with the shared generator at its seed.
    pub fn new() -> Self {
        Self {
            engines: Default::default(),
            engine_quantizer: HysteresisQuantizer::default(),
            previous_engine_index: None,
            engine_cv: 0.0,
            decay_envelope: DecayEnvelope::default(),
            lpg_envelope: LpgEnvelope::default(),
            post_processor: PostProcessor::default(),
            trigger_state: false,
            previous_note: 0.0,
            trigger_delay: DelayLine::default(),
            random: Random::default(),
            out_buffer: [0.0; BLOCK_SIZE],
            aux_buffer: [0.0; BLOCK_SIZE],
        }
    }

    /// Creates the engine for `index` ahead of time, so that the first block
    /// that selects it does not allocate. Returns false if the model is unknown.
    pub fn prepare_engine(&mut self, index: usize) -> bool {
        if index >= ENGINE_COUNT {
            return false;
        }
        if self.engines[index].is_none() {
            self.engines[index] = new_engine(index);
        }
        self.engines[index].is_some()
    }

    /// Renders one block of 12 frames.
    pub fn render(
        &mut self,
        patch: &Patch,
        modulations: &Modulations,
        out: &mut [i16; BLOCK_SIZE],
        aux: &mut [i16; BLOCK_SIZE],
    ) {
        // Compensates sequencers whose pitch CV lags their gate: 4 blocks.
        self.trigger_delay.write(modulations.trigger);
        let trigger_value = self.trigger_delay.read_integer(5);

        let previous_trigger_state = self.trigger_state;
        if !previous_trigger_state {
            if trigger_value > 0.3 {
                self.trigger_state = true;
                if !modulations.level_patched {
                    self.lpg_envelope.trigger();
                }
                self.decay_envelope.value = 1.0;
                self.engine_cv = modulations.engine;
            }
        } else if trigger_value < 0.1 {
            self.trigger_state = false;
        }
        if !modulations.trigger_patched {
            self.engine_cv = modulations.engine;
        }

        let engine_index =
            self.engine_quantizer.process(patch.engine as i32, self.engine_cv, ENGINE_COUNT as i32, 0.25)
                as usize;
        if !self.prepare_engine(engine_index) {
            out.fill(0);
            aux.fill(0);
            return;
        }
        if self.previous_engine_index != Some(engine_index) {
            if let Some(engine) = self.engines[engine_index].as_mut() {
                engine.reset();
            }
            self.post_processor.reset_out_limiter();
            self.previous_engine_index = Some(engine_index);
        }
        let info = &ENGINES[engine_index];

        let note_cv = 0.5 * (modulations.note + self.previous_note);
        self.previous_note = modulations.note;

        let trigger = if modulations.trigger_patched {
            if self.trigger_state && !previous_trigger_state {
                TriggerState::RisingEdge
            } else {
                TriggerState::Low
            }
        } else {
            TriggerState::Unpatched
        };

        let short_decay = (200.0 * BLOCK_SIZE as f32) / 48_000.0 * semitones_to_ratio(-96.0 * patch.decay);
        self.decay_envelope.value *= 1.0 - 2.0 * short_decay;
        let envelope = self.decay_envelope.value;

        let compressed_level = (1.3 * modulations.level / (0.3 + modulations.level.abs())).max(0.0);
        let accent = if modulations.level_patched { compressed_level } else { 0.8 };

        let harmonics = (patch.harmonics + modulations.harmonics).clamp(0.0, 1.0);

        let mut internal_envelope_amplitude = 1.0;
        let mut speech_controls = SpeechControls::default();
        if engine_index == SPEECH_ENGINE {
            internal_envelope_amplitude = (2.0 - harmonics * 6.0).clamp(0.0, 1.0);
            if modulations.trigger_patched && !modulations.frequency_patched {
                speech_controls.prosody_amount = patch.frequency_modulation_amount;
            }
            if modulations.trigger_patched && !modulations.morph_patched {
                speech_controls.speed = patch.morph_modulation_amount;
            }
        }

        let note = apply_modulations(
            patch.note + note_cv,
            patch.frequency_modulation_amount,
            modulations.frequency_patched.then_some(modulations.frequency),
            modulations.trigger_patched,
            internal_envelope_amplitude * envelope * envelope * 48.0,
            1.0,
            -119.0,
            120.0,
        );
        let timbre = apply_modulations(
            patch.timbre,
            patch.timbre_modulation_amount,
            modulations.timbre_patched.then_some(modulations.timbre),
            modulations.trigger_patched,
            envelope,
            0.0,
            0.0,
            1.0,
        );
        let morph = apply_modulations(
            patch.morph,
            patch.morph_modulation_amount,
            modulations.morph_patched.then_some(modulations.morph),
            modulations.trigger_patched,
            internal_envelope_amplitude * envelope,
            0.0,
            0.0,
            1.0,
        );
        let parameters = EngineParameters { trigger, note, timbre, morph, harmonics, accent };

        let mut already_enveloped = info.already_enveloped;
        if let Some(engine) = self.engines[engine_index].as_mut() {
            engine.set_speech_controls(speech_controls);
            engine.render(
                &parameters,
                &mut self.random,
                &mut self.out_buffer,
                &mut self.aux_buffer,
                &mut already_enveloped,
            );
        }

        let bypass = already_enveloped || (!modulations.level_patched && !modulations.trigger_patched);
        if !bypass {
            let hf = patch.lpg_colour;
            let decay_tail = (20.0 * BLOCK_SIZE as f32) / 48_000.0
                * semitones_to_ratio(-72.0 * patch.decay + 12.0 * hf)
                - short_decay;
            if modulations.level_patched {
                self.lpg_envelope.process_lp(compressed_level, short_decay, decay_tail, hf);
            } else {
                let attack = note_to_frequency(parameters.note) * BLOCK_SIZE as f32 * 2.0;
                self.lpg_envelope.process_ping(attack, short_decay, decay_tail, hf);
            }
        }
        let gate = GateSettings {
            bypass,
            gain: self.lpg_envelope.gain(),
            frequency: self.lpg_envelope.frequency(),
            hf_bleed: self.lpg_envelope.hf_bleed(),
        };
        self.post_processor.process(
            [info.out_gain, info.aux_gain],
            gate,
            [&mut self.out_buffer, &mut self.aux_buffer],
            [out, aux],
        );
    }
}

/// The attenuverter law: square-law amount with a small linear region (voice.md §3.2j).
///
/// The source is the external CV when its jack is patched, else the internal
/// envelope when TRIG is patched, else `default_source`.
#[allow(clippy::too_many_arguments)]
#[inline]
fn apply_modulations(
    base: f32,
    amount: f32,
    external: Option<f32>,
    use_internal: bool,
    internal: f32,
    default_source: f32,
    min: f32,
    max: f32,
) -> f32 {
    let amount = amount * (amount.abs() - 0.05).max(0.05) * 1.05;
    let source = match external {
        Some(cv) => cv,
        None if use_internal => internal,
        None => default_source,
    };
    (base + amount * source).clamp(min, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attenuverter_reaches_0_9975_at_full_scale() {
        assert!((apply_modulations(0.0, 1.0, None, false, 0.0, 1.0, -10.0, 10.0) - 0.9975).abs() < 1e-6);
        assert!((apply_modulations(0.0, -1.0, None, false, 0.0, 1.0, -10.0, 10.0) + 0.9975).abs() < 1e-6);
        // Linear region below 0.1: 0.05 · 0.05 · 1.05.
        assert!((apply_modulations(0.0, 0.05, None, false, 0.0, 1.0, -1.0, 1.0) - 0.002625).abs() < 1e-7);
    }

    #[test]
    fn external_cv_wins_over_the_internal_envelope() {
        assert_eq!(apply_modulations(0.5, 1.0, Some(0.0), true, 1.0, 0.0, 0.0, 1.0), 0.5);
        assert!(apply_modulations(0.5, 1.0, None, true, 0.2, 0.0, 0.0, 1.0) > 0.69);
        assert_eq!(apply_modulations(0.5, 1.0, None, false, 1.0, 0.0, 0.0, 1.0), 0.5);
    }
}
