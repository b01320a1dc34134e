//! Audible Instruments "Macro Oscillator 2" (slug `Plaits`) as a per-sample
//! Rack module around the voice: a 12-frame block is rendered whenever the
//! output FIFO is empty, from the inputs present at that moment (voice.md §2.4).
//!
//! At Rack's 48 kHz there is no resampling, so the outputs are exactly the
//! voice's samples in volts; knob and jack conversions are `render.rs`'s.

use super::{default_values, ParamSpec};
use crate::engines::BLOCK_SIZE;
use crate::render::{plaits_input, sample_to_unit, PlaitsJacks, VoiceSettings};
use crate::voice::{Patch, Voice};

/// Param ids.
pub mod param {
    /// Left model button (green bank).
    pub const MODEL_GREEN: usize = 0;
    /// Right model button (red bank).
    pub const MODEL_RED: usize = 1;
    /// FREQ, octaves around C4.
    pub const FREQUENCY: usize = 2;
    /// HARMONICS.
    pub const HARMONICS: usize = 3;
    /// TIMBRE.
    pub const TIMBRE: usize = 4;
    /// MORPH.
    pub const MORPH: usize = 5;
    /// TIMBRE CV attenuverter.
    pub const TIMBRE_CV: usize = 6;
    /// FM CV attenuverter.
    pub const FREQUENCY_CV: usize = 7;
    /// MORPH CV attenuverter.
    pub const MORPH_CV: usize = 8;
    /// LPG colour (hidden knob).
    pub const LPG_COLOUR: usize = 9;
    /// LPG decay (hidden knob).
    pub const LPG_DECAY: usize = 10;
    /// Number of params.
    pub const COUNT: usize = 11;
}

/// Input ids: the jacks of [`plaits_input`].
pub use crate::render::plaits_input as input;

/// Output ids.
pub mod output {
    /// OUT.
    pub const OUT: usize = 0;
    /// AUX.
    pub const AUX: usize = 1;
    /// Number of outputs.
    pub const COUNT: usize = 2;
}

/// The module's params (identical layout since Audible Instruments 1.1.0).
pub const PARAMS: [ParamSpec; param::COUNT] = [
    ParamSpec::button("Pitched models"),
    ParamSpec::button("Noise/percussive models"),
    ParamSpec::knob("Frequency", -4.0, 4.0, 0.0),
    ParamSpec::knob("Harmonics", 0.0, 1.0, 0.5),
    ParamSpec::knob("Timbre", 0.0, 1.0, 0.5),
    ParamSpec::knob("Morph", 0.0, 1.0, 0.5),
    ParamSpec::knob("Timbre CV", -1.0, 1.0, 0.0),
    ParamSpec::knob("Frequency CV", -1.0, 1.0, 0.0),
    ParamSpec::knob("Morph CV", -1.0, 1.0, 0.0),
    ParamSpec::knob("LPG colour", 0.0, 1.0, 0.5),
    ParamSpec::knob("LPG decay", 0.0, 1.0, 0.5),
];

/// Volts of a full-scale voice sample.
const OUTPUT_VOLTS: f32 = 5.0;

/// One mono Plaits module at 48 kHz.
pub struct PlaitsModule {
    model: usize,
    params: [f32; param::COUNT],
    patch: Patch,
    voice: Box<Voice>,
    out: [i16; BLOCK_SIZE],
    aux: [i16; BLOCK_SIZE],
    /// Next FIFO frame to output; `BLOCK_SIZE` when the FIFO is empty.
    position: usize,
}

impl PlaitsModule {
    /// A module playing `model` with default knobs, or `None` if this build has
    /// no such engine.
    pub fn new(model: usize) -> Option<Self> {
        let params = default_values(&PARAMS);
        let mut module = Self {
            model,
            params,
            patch: patch_for(model, &params),
            voice: Box::new(Voice::new()),
            out: [0; BLOCK_SIZE],
            aux: [0; BLOCK_SIZE],
            position: BLOCK_SIZE,
        };
        module.voice.prepare_engine(model).then(|| {
            module.reset();
            module
        })
    }

    /// The selected model.
    pub fn model(&self) -> usize {
        self.model
    }

    /// Sets param `id` (clamped); false if there is no such param.
    ///
    /// The model buttons are accepted but do nothing: a render holds every
    /// param constant, so there is no press to react to; the model is fixed at
    /// construction (the patch's `data.model`).
    pub fn set_param(&mut self, id: usize, value: f32) -> bool {
        match PARAMS.get(id) {
            Some(spec) => {
                self.params[id] = spec.clamp(value);
                self.patch = patch_for(self.model, &self.params);
                true
            }
            None => false,
        }
    }

    /// Back to power-up: a fresh voice with the shared generator at its seed and an
    /// empty FIFO. Params are kept.
    pub fn reset(&mut self) {
        *self.voice = Voice::new();
        self.voice.prepare_engine(self.model);
        self.position = BLOCK_SIZE;
    }

    /// Processes one frame: renders a block if the FIFO is empty, then pops one frame.
    pub fn process(&mut self, inputs: &[f32], connected: &[bool], outputs: &mut [f32], _wanted: &[bool]) {
        if self.position == BLOCK_SIZE {
            let mut jacks = PlaitsJacks::default();
            jacks.volts.copy_from_slice(&inputs[..plaits_input::COUNT]);
            jacks.patched.copy_from_slice(&connected[..plaits_input::COUNT]);
            self.voice.render(&self.patch, &jacks.modulations(), &mut self.out, &mut self.aux);
            self.position = 0;
        }
        outputs[output::OUT] = OUTPUT_VOLTS * sample_to_unit(self.out[self.position]);
        outputs[output::AUX] = OUTPUT_VOLTS * sample_to_unit(self.aux[self.position]);
        self.position += 1;
    }
}

/// The voice's knob state for these params, through `render.rs`'s mapping.
fn patch_for(model: usize, params: &[f32; param::COUNT]) -> Patch {
    VoiceSettings {
        model,
        frequency: params[param::FREQUENCY],
        harmonics: params[param::HARMONICS],
        timbre: params[param::TIMBRE],
        morph: params[param::MORPH],
        timbre_cv: params[param::TIMBRE_CV],
        freq_cv: params[param::FREQUENCY_CV],
        morph_cv: params[param::MORPH_CV],
        lpg_colour: params[param::LPG_COLOUR],
        lpg_decay: params[param::LPG_DECAY],
        ..VoiceSettings::default()
    }
    .patch()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::render_voice;

    /// Runs the module for `frames` frames with a constant V/OCT (if any).
    fn run(module: &mut PlaitsModule, voct: Option<f32>, frames: usize) -> Vec<[f32; 2]> {
        let mut inputs = [0.0; input::COUNT];
        let mut connected = [false; input::COUNT];
        if let Some(v) = voct {
            inputs[input::VOCT] = v;
            connected[input::VOCT] = true;
        }
        let mut out = [0.0; output::COUNT];
        (0..frames)
            .map(|_| {
                module.process(&inputs, &connected, &mut out, &[true; 2]);
                [out[0], out[1]]
            })
            .collect()
    }

    #[test]
    fn matches_the_block_renderer_in_volts() {
        let settings = VoiceSettings {
            frequency: 0.7,
            harmonics: 0.3,
            timbre: 0.8,
            pitch_v: 0.25,
            ..VoiceSettings::default()
        };
        let mut expected = vec![[0.0f32; 2]; 4800];
        assert!(render_voice(&settings, &mut expected));
        let mut module = PlaitsModule::new(0).unwrap();
        for (id, value) in [(param::FREQUENCY, 0.7), (param::HARMONICS, 0.3), (param::TIMBRE, 0.8)] {
            assert!(module.set_param(id, value));
        }
        let got = run(&mut module, Some(0.25), 4800);
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert_eq!(g[0], 5.0 * e[0], "OUT frame {i}");
            assert_eq!(g[1], 5.0 * e[1], "AUX frame {i}");
        }
        assert!(got.iter().any(|f| f[0].abs() > 1.0), "the voice is audible");
    }

    #[test]
    fn inputs_are_read_only_when_a_block_starts() {
        let mut reference = PlaitsModule::new(0).unwrap();
        let steady = run(&mut reference, Some(1.0), 48);
        let mut module = PlaitsModule::new(0).unwrap();
        let mut got = run(&mut module, Some(1.0), 13);
        // A V/OCT change in the middle of block 2 is only seen at frame 24.
        got.extend(run(&mut module, Some(-1.0), 11));
        assert_eq!(got, steady[..24]);
        let next = run(&mut module, Some(-1.0), 12);
        assert_ne!(next, steady[24..36]);
    }

    #[test]
    fn reset_returns_to_the_power_up_state() {
        let mut module = PlaitsModule::new(0).unwrap();
        let first = run(&mut module, None, 500);
        module.reset();
        assert_eq!(run(&mut module, None, 500), first);
    }

    #[test]
    fn params_are_clamped_and_checked() {
        let mut module = PlaitsModule::new(0).unwrap();
        assert!(module.set_param(param::FREQUENCY, 9.0));
        assert_eq!(module.patch.note, 60.0 + 12.0 * 4.0);
        assert!(!module.set_param(param::COUNT, 0.0));
        assert!(PlaitsModule::new(crate::ENGINE_COUNT).is_none());
    }
}
