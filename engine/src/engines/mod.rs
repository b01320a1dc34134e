//! The sixteen Plaits engines behind one [`Engine`] trait, and the table that maps
//! a model index to its engine and its output settings (voice.md §3.6).

use crate::dsp::random::Random;

pub mod additive;
pub mod bass_drum;
pub mod chords;
pub mod drum_pulse;
#[cfg(test)]
mod drum_test_support;
pub mod filtered_noise;
pub mod fm;
pub mod grain;
pub mod hi_hat;
pub(crate) mod memo;
pub mod modal;
pub mod particle;
pub mod snare_drum;
pub mod speech;
pub mod string;
pub mod swarm;
pub mod virtual_analog;
pub mod waveshaping;
pub mod wavetable;

/// Samples per block: the voice renders and reads its controls in blocks of 12.
pub const BLOCK_SIZE: usize = 12;

/// One block of engine output.
pub type Block = [f32; BLOCK_SIZE];

/// What the trigger input did during a block, as the engines see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TriggerState {
    /// TRIG patched, no rising edge in this block.
    Low,
    /// TRIG patched, a rising edge in this block.
    RisingEdge,
    /// Nothing patched into TRIG: percussive engines free-run.
    Unpatched,
}

impl TriggerState {
    /// Whether a rising edge happened in this block.
    #[inline]
    pub fn is_rising_edge(self) -> bool {
        self == TriggerState::RisingEdge
    }

    /// Whether the trigger jack is unpatched.
    #[inline]
    pub fn is_unpatched(self) -> bool {
        self == TriggerState::Unpatched
    }
}

/// The parameters an engine receives each block, after the voice's modulation.
#[derive(Clone, Copy, Debug)]
pub struct EngineParameters {
    /// Trigger state for this block.
    pub trigger: TriggerState,
    /// MIDI note, fractional, clamped to [-119, 120].
    pub note: f32,
    /// TIMBRE, 0 to 1.
    pub timbre: f32,
    /// MORPH, 0 to 1.
    pub morph: f32,
    /// HARMONICS, 0 to 1.
    pub harmonics: f32,
    /// 0.8 when LEVEL is unpatched, else the compressed LEVEL.
    pub accent: f32,
}

/// Controls the voice passes only to the speech engine (engines-4-7.md §4.6).
#[derive(Clone, Copy, Debug, Default)]
pub struct SpeechControls {
    /// Prosody amount: the FM attenuverter when TRIG is patched and FM is not.
    pub prosody_amount: f32,
    /// Word speed: the MORPH attenuverter when TRIG is patched and MORPH is not.
    pub speed: f32,
}

/// One Plaits synthesis model.
pub trait Engine: Send {
    /// Called whenever the voice switches to this engine, including the first block.
    fn reset(&mut self) {}

    /// Renders one block into `out` and `aux`.
    ///
    /// `already_enveloped` starts as the engine's registered flag; only the
    /// speech engine changes it. `random` is the generator shared by the voice.
    fn render(
        &mut self,
        parameters: &EngineParameters,
        random: &mut Random,
        out: &mut Block,
        aux: &mut Block,
        already_enveloped: &mut bool,
    );

    /// Receives the speech-only controls before each render; other engines ignore them.
    fn set_speech_controls(&mut self, _controls: SpeechControls) {}
}

/// How the voice treats one engine's output (voice.md §3.6).
#[derive(Clone, Copy, Debug)]
pub struct EngineInfo {
    /// VCV's label for the model.
    pub name: &'static str,
    /// OUT gain; negative means "limiter with pre-gain |gain|".
    pub out_gain: f32,
    /// AUX gain; negative means "limiter with pre-gain |gain|".
    pub aux_gain: f32,
    /// Engines with their own envelope never go through the low-pass gate.
    pub already_enveloped: bool,
}

/// Number of models in firmware 1.0.
pub const ENGINE_COUNT: usize = 16;

const fn info(name: &'static str, out_gain: f32, aux_gain: f32, already_enveloped: bool) -> EngineInfo {
    EngineInfo { name, out_gain, aux_gain, already_enveloped }
}

/// Models in VCV order (index = the model number).
pub static ENGINES: [EngineInfo; ENGINE_COUNT] = [
    info("Pair of classic waveforms", 0.8, 0.8, false),
    info("Waveshaping oscillator", 0.7, 0.6, false),
    info("Two operator FM", 0.6, 0.6, false),
    info("Granular formant oscillator", 0.7, 0.6, false),
    info("Harmonic oscillator", 0.8, 0.8, false),
    info("Wavetable oscillator", 0.6, 0.6, false),
    info("Chords", 0.8, 0.8, false),
    info("Vowel and speech synthesis", -0.7, 0.8, false),
    info("Granular cloud", -3.0, 1.0, false),
    info("Filtered noise", -1.0, -1.0, false),
    info("Particle noise", -2.0, 1.0, false),
    info("Inharmonic string modeling", -1.0, 0.8, true),
    info("Modal resonator", -1.0, 0.8, true),
    info("Analog bass drum", 0.8, 0.8, true),
    info("Analog snare drum", 0.8, 0.8, true),
    info("Analog hi-hat", 0.8, 0.8, true),
];

/// A freshly initialised engine for model `index` (0 to 15), or `None` if the
/// model is not implemented.
pub fn new_engine(index: usize) -> Option<Box<dyn Engine>> {
    let engine: Box<dyn Engine> = match index {
        0 => Box::new(virtual_analog::VirtualAnalogEngine::default()),
        1 => Box::new(waveshaping::WaveshapingEngine::default()),
        2 => Box::new(fm::FmEngine::default()),
        3 => Box::new(grain::GrainEngine::default()),
        4 => Box::new(additive::AdditiveEngine::default()),
        5 => Box::new(wavetable::WavetableEngine::default()),
        6 => Box::new(chords::ChordEngine::default()),
        7 => Box::new(speech::SpeechEngine::default()),
        8 => Box::new(swarm::SwarmEngine::default()),
        9 => Box::new(filtered_noise::FilteredNoiseEngine::default()),
        10 => Box::new(particle::ParticleEngine::default()),
        11 => Box::new(string::StringEngine::default()),
        12 => Box::new(modal::ModalEngine::default()),
        13 => Box::new(bass_drum::BassDrumEngine::default()),
        14 => Box::new(snare_drum::SnareDrumEngine::default()),
        15 => Box::new(hi_hat::HiHatEngine::default()),
        _ => return None,
    };
    Some(engine)
}
