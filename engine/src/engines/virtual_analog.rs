//! Engine 0, "Pair of classic waveforms": a pulse and a variable saw, detuned by
//! HARMONICS; AUX is the difference of two hard-synced oscillators (engines-0-3.md §B).

use crate::dsp::interpolate::split;
use crate::dsp::ramp::ParameterRamp;
use crate::dsp::random::Random;
use crate::dsp::units::note_to_frequency;
use crate::engines::memo::Memo;
use crate::engines::{Block, Engine, EngineParameters, BLOCK_SIZE};
use crate::oscillators::variable_saw::VariableSawOscillator;
use crate::oscillators::variable_shape::VariableShapeOscillator;

/// Detune intervals in semitones; the 0.01 adds about a cent of beating.
const INTERVALS: [f32; 5] = [0.0, 7.01, 12.01, 19.01, 24.01];

/// State of engine 0.
#[derive(Clone, Debug, Default)]
pub struct VirtualAnalogEngine {
    primary: VariableShapeOscillator,
    auxiliary: VariableShapeOscillator,
    sync: VariableShapeOscillator,
    variable_saw: VariableSawOscillator,
    square_gain: f32,
    saw_gain: f32,
    temp: Block,
    /// The last block's settings, reused while note, TIMBRE, MORPH and HARMONICS rest.
    settings: Memo<4, Settings>,
}

/// Smoothstep, applied twice to give plateaus at each interval.
#[inline]
fn squash(x: f32) -> f32 {
    x * x * (3.0 - 2.0 * x)
}

/// Detune in semitones from HARMONICS: ± up to two octaves, 0 at the centre.
fn detuning(harmonics: f32) -> f32 {
    let x = (2.05 * harmonics - 1.025).clamp(-1.0, 1.0);
    let sign = if x < 0.0 { -1.0 } else { 1.0 };
    let (integral, fractional) = split(x.abs() * 3.9999);
    let i = integral as usize;
    let a = INTERVALS[i];
    let b = INTERVALS[i + 1];
    sign * (a + (b - a) * squash(squash(fractional)))
}

/// Everything engine 0 derives from its parameters for a block.
#[derive(Clone, Copy, Debug, Default)]
struct Settings {
    primary_f: f32,
    auxiliary_f: f32,
    primary_sync_f: f32,
    auxiliary_sync_f: f32,
    shape: f32,
    pw: f32,
    square_pw: f32,
    square_sync_f: f32,
    square_gain: f32,
    saw_pw: f32,
    saw_shape: f32,
    saw_gain: f32,
    norm: f32,
    /// Whether AUX's oscillator gets the same frequencies as the primary one
    /// (no detune), bit for bit.
    auxiliary_is_primary: bool,
}

impl Settings {
    fn new(parameters: &EngineParameters) -> Self {
        let note = parameters.note;
        let timbre = parameters.timbre;
        let morph = parameters.morph;
        let sync_amount = timbre * timbre;
        let auxiliary_detune = detuning(parameters.harmonics);

        let square_sync_ratio = if timbre < 0.5 { 0.0 } else { (timbre - 0.5) * (timbre - 0.5) * 4.0 * 48.0 };
        let square_gain = (timbre * 8.0).min(1.0);

        let mut saw_pw = if morph < 0.5 { morph + 0.5 } else { 1.0 - (morph - 0.5) * 2.0 };
        saw_pw *= 1.1;
        let saw_gain = (8.0 * (1.0 - morph)).clamp(0.02, 1.0);
        let primary_f = note_to_frequency(note);
        let auxiliary_f = note_to_frequency(note + auxiliary_detune);
        let primary_sync_f = note_to_frequency(note + sync_amount * 48.0);
        let auxiliary_sync_f = note_to_frequency(note + auxiliary_detune + sync_amount * 48.0);
        Self {
            primary_f,
            auxiliary_f,
            primary_sync_f,
            auxiliary_sync_f,
            shape: (morph * 1.5).clamp(0.0, 1.0),
            pw: (0.5 + (morph - 0.66) * 1.46).clamp(0.5, 0.995),
            square_pw: (1.3 * timbre - 0.15).clamp(0.005, 0.5),
            square_sync_f: note_to_frequency(note + square_sync_ratio),
            square_gain,
            saw_pw: saw_pw.clamp(0.005, 1.0),
            saw_shape: (10.0 - 21.0 * morph).clamp(0.0, 1.0),
            saw_gain,
            norm: 1.0 / square_gain.max(saw_gain),
            auxiliary_is_primary: primary_f.to_bits() == auxiliary_f.to_bits()
                && primary_sync_f.to_bits() == auxiliary_sync_f.to_bits(),
        }
    }
}

impl Engine for VirtualAnalogEngine {
    fn render(
        &mut self,
        parameters: &EngineParameters,
        _random: &mut Random,
        out: &mut Block,
        aux: &mut Block,
        _already_enveloped: &mut bool,
    ) {
        self.render_block(parameters, out, aux, true);
    }
}

impl VirtualAnalogEngine {
    /// One block; `shortcut` allows copying the primary oscillator for AUX's
    /// where that gives the same bits (off only to test that it does).
    fn render_block(
        &mut self,
        parameters: &EngineParameters,
        out: &mut Block,
        aux: &mut Block,
        shortcut: bool,
    ) {
        // Steady knobs give the same settings block after block: keep them.
        let s = self
            .settings
            .get([parameters.note, parameters.timbre, parameters.morph, parameters.harmonics], |_| {
                Settings::new(parameters)
            });

        // Without detune, AUX's oscillator in the primary's state would
        // render exactly what the primary does (at HARMONICS' centre, say):
        // copy it instead.
        let auxiliary_follows =
            shortcut && s.auxiliary_is_primary && self.auxiliary.same_state(&self.primary);
        // AUX: the OUT buffer is scratch for the primary oscillator.
        self.primary.render(true, s.primary_f, s.primary_sync_f, s.pw, s.shape, out);
        if auxiliary_follows {
            self.auxiliary.clone_from(&self.primary);
            aux.copy_from_slice(out);
        } else {
            self.auxiliary.render(true, s.auxiliary_f, s.auxiliary_sync_f, s.pw, s.shape, aux);
        }
        for (a, o) in aux.iter_mut().zip(out.iter()) {
            *a = (*a - *o) * 0.5;
        }

        self.sync.render(true, s.primary_f, s.square_sync_f, s.square_pw, 1.0, &mut self.temp);
        self.variable_saw.render(s.auxiliary_f, s.saw_pw, s.saw_shape, out);

        let mut square_gain_ramp =
            ParameterRamp::new(self.square_gain, s.square_gain * 0.3 * s.norm, BLOCK_SIZE);
        let mut saw_gain_ramp = ParameterRamp::new(self.saw_gain, s.saw_gain * 0.5 * s.norm, BLOCK_SIZE);
        for (o, square) in out.iter_mut().zip(self.temp.iter()) {
            *o = *o * saw_gain_ramp.next() + square_gain_ramp.next() * *square;
        }
        self.square_gain = square_gain_ramp.value();
        self.saw_gain = saw_gain_ramp.value();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copying_the_primary_for_aux_gives_the_same_bits() {
        let mut random = Random::default();
        let mut engine = VirtualAnalogEngine::default();
        let mut reference = VirtualAnalogEngine::default();
        let mut p = EngineParameters {
            trigger: crate::engines::TriggerState::Unpatched,
            note: 48.0,
            timbre: 0.5,
            morph: 0.5,
            harmonics: 0.5,
            accent: 0.8,
        };
        for block in 0..6000 {
            // HARMONICS at its centre most of the time, now and then off it
            // (the oscillators part) and back (the copy must wait until they
            // meet again, which they may never do).
            if block % 50 == 0 {
                p.harmonics = if random.get_word() % 3 == 0 { random.get_float() } else { 0.5 };
                p.note = 20.0 + random.get_float() * 90.0;
                p.timbre = random.get_float();
                p.morph = random.get_float();
            }
            if block == 3000 {
                // Start over together: the copy resumes.
                (engine, reference) = (VirtualAnalogEngine::default(), VirtualAnalogEngine::default());
            }
            let (mut out, mut aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
            let (mut expected_out, mut expected_aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
            engine.render_block(&p, &mut out, &mut aux, true);
            reference.render_block(&p, &mut expected_out, &mut expected_aux, false);
            assert_eq!(out.map(f32::to_bits), expected_out.map(f32::to_bits), "block {block}");
            assert_eq!(aux.map(f32::to_bits), expected_aux.map(f32::to_bits), "block {block}");
        }
    }

    #[test]
    fn detune_is_zero_at_the_centre_and_two_octaves_at_the_ends() {
        assert_eq!(detuning(0.5), 0.0);
        assert!((detuning(1.0) - 24.01).abs() < 1e-4);
        assert!((detuning(0.0) + 24.01).abs() < 1e-4);
    }
}
