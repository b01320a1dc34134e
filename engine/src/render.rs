//! Rendering a Plaits voice from knob settings, as VCV's module drives it at 48 kHz.
//!
//! Output frames are `[OUT, AUX]` in rackmatch's sample convention: volts / 5.

use crate::engines::{BLOCK_SIZE, ENGINE_COUNT};
use crate::voice::{Modulations, Patch, Voice};

/// Plaits runs at 48 kHz; VCV at a 48 kHz host passes its frames through unchanged.
pub const FRAME_RATE: u32 = 48_000;

/// Length of the 10 V gate rackmatch sends into TRIG for each onset.
pub const TRIGGER_GATE_SECONDS: f64 = 0.005;

/// Voltage of that gate while it is high.
pub const GATE_VOLTS: f32 = 10.0;

/// Everything that sets the sound of one Plaits render: the module's knobs, the
/// constant voltages on its inputs, and the trigger onsets.
#[derive(Clone, Debug, PartialEq)]
pub struct VoiceSettings {
    /// Model, 0 to 15.
    pub model: usize,
    /// FREQ knob in octaves, -4 to 4.
    pub frequency: f32,
    /// HARMONICS knob.
    pub harmonics: f32,
    /// TIMBRE knob.
    pub timbre: f32,
    /// MORPH knob.
    pub morph: f32,
    /// LPG colour (hidden knob).
    pub lpg_colour: f32,
    /// LPG decay (hidden knob).
    pub lpg_decay: f32,
    /// TIMBRE attenuverter, -1 to 1.
    pub timbre_cv: f32,
    /// FM attenuverter, -1 to 1.
    pub freq_cv: f32,
    /// MORPH attenuverter, -1 to 1.
    pub morph_cv: f32,
    /// Constant voltage on V/OCT.
    pub pitch_v: f32,
    /// `None`: TRIG unpatched. `Some(onsets)`: TRIG patched, a 5 ms 10 V gate at each onset (seconds).
    pub trigger: Option<Vec<f64>>,
    /// `None`: LEVEL unpatched. `Some(volts)`: a constant voltage on LEVEL.
    pub level: Option<f32>,
}

impl Default for VoiceSettings {
    fn default() -> Self {
        Self {
            model: 0,
            frequency: 0.0,
            harmonics: 0.5,
            timbre: 0.5,
            morph: 0.5,
            lpg_colour: 0.5,
            lpg_decay: 0.5,
            timbre_cv: 0.0,
            freq_cv: 0.0,
            morph_cv: 0.0,
            pitch_v: 0.0,
            trigger: None,
            level: None,
        }
    }
}

impl VoiceSettings {
    /// The knob state as the module hands it to the voice.
    pub fn patch(&self) -> Patch {
        Patch {
            note: 60.0 + self.frequency * 12.0,
            harmonics: self.harmonics,
            timbre: self.timbre,
            morph: self.morph,
            frequency_modulation_amount: self.freq_cv,
            timbre_modulation_amount: self.timbre_cv,
            morph_modulation_amount: self.morph_cv,
            engine: self.model.min(ENGINE_COUNT - 1),
            decay: self.lpg_decay,
            lpg_colour: self.lpg_colour,
        }
    }
}

/// The TRIG gate as a function of the frame index: high for 5 ms from each onset.
#[derive(Clone, Debug)]
pub struct TriggerGate {
    /// Half-open frame ranges where the gate is high, sorted and merged.
    spans: Vec<(u64, u64)>,
}

impl TriggerGate {
    /// Gate spans for onsets in seconds (any order; negative or non-finite onsets are ignored).
    pub fn new(onsets: &[f64]) -> Self {
        let rate = FRAME_RATE as f64;
        let gate = (TRIGGER_GATE_SECONDS * rate).round() as u64;
        let mut starts: Vec<u64> = onsets
            .iter()
            .filter(|t| t.is_finite() && **t >= 0.0)
            .map(|t| (t * rate).round() as u64)
            .collect();
        starts.sort_unstable();
        let mut spans: Vec<(u64, u64)> = Vec::with_capacity(starts.len());
        for start in starts {
            match spans.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(start + gate),
                _ => spans.push((start, start + gate)),
            }
        }
        Self { spans }
    }

    /// Whether the gate is high at `frame`.
    pub fn is_high(&self, frame: u64) -> bool {
        let i = self.spans.partition_point(|span| span.1 <= frame);
        self.spans.get(i).is_some_and(|span| span.0 <= frame)
    }

    /// The gate's voltage at `frame`: 10 V while high, else 0 V.
    pub fn volts(&self, frame: u64) -> f32 {
        if self.is_high(frame) {
            GATE_VOLTS
        } else {
            0.0
        }
    }
}

/// Renders `frames` frames of a voice into `output`, starting from power-up.
///
/// Knobs and inputs are read once per 12-frame block at its first frame, as in
/// VCV. The int16 samples of the voice map to `-s / 32768` (VCV's inverting
/// output stage, then volts / 5). Returns false (and writes silence) if the model
/// is unknown.
pub fn render_voice(settings: &VoiceSettings, output: &mut [[f32; 2]]) -> bool {
    let mut voice = Voice::new();
    if settings.model >= ENGINE_COUNT || !voice.prepare_engine(settings.model) {
        output.fill([0.0; 2]);
        return false;
    }
    let patch = settings.patch();
    let gate = settings.trigger.as_deref().map(TriggerGate::new);
    let mut jacks = PlaitsJacks::default();
    jacks.set(plaits_input::VOCT, Some(settings.pitch_v));
    jacks.set(plaits_input::LEVEL, settings.level);
    let mut out = [0i16; BLOCK_SIZE];
    let mut aux = [0i16; BLOCK_SIZE];
    for (block_index, frames) in output.chunks_mut(BLOCK_SIZE).enumerate() {
        let first_frame = (block_index * BLOCK_SIZE) as u64;
        if let Some(gate) = &gate {
            jacks.set(plaits_input::TRIGGER, Some(gate.volts(first_frame)));
        }
        voice.render(&patch, &jacks.modulations(), &mut out, &mut aux);
        for (frame, (o, a)) in frames.iter_mut().zip(out.iter().zip(aux.iter())) {
            *frame = [sample_to_unit(*o), sample_to_unit(*a)];
        }
    }
    true
}

/// VCV's Plaits input jacks, in the module's port order (voice.md §2.2).
pub mod plaits_input {
    /// MODEL CV.
    pub const MODEL: usize = 0;
    /// TIMBRE CV.
    pub const TIMBRE: usize = 1;
    /// FM CV.
    pub const FM: usize = 2;
    /// MORPH CV.
    pub const MORPH: usize = 3;
    /// HARMONICS CV.
    pub const HARMONICS: usize = 4;
    /// TRIG.
    pub const TRIGGER: usize = 5;
    /// LEVEL.
    pub const LEVEL: usize = 6;
    /// V/OCT.
    pub const VOCT: usize = 7;
    /// Number of inputs.
    pub const COUNT: usize = 8;
}

/// The voltages on the Plaits module's inputs as one block reads them;
/// `patched[i]` says whether jack `i` has a cable (an unpatched jack reads 0 V).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PlaitsJacks {
    /// Volts per input, in [`plaits_input`] order.
    pub volts: [f32; plaits_input::COUNT],
    /// Whether each input has a cable.
    pub patched: [bool; plaits_input::COUNT],
}

impl PlaitsJacks {
    /// Patches jack `input` with a voltage (`Some`) or unplugs it (`None`, 0 V).
    pub fn set(&mut self, input: usize, volts: Option<f32>) {
        self.patched[input] = volts.is_some();
        self.volts[input] = volts.unwrap_or(0.0);
    }

    /// VCV's conversion of the jacks into the voice's modulations (voice.md §2.2).
    pub fn modulations(&self) -> Modulations {
        use plaits_input::*;
        let v = &self.volts;
        Modulations {
            engine: v[MODEL] / 5.0,
            note: v[VOCT] * 12.0,
            frequency: v[FM] * 6.0,
            harmonics: v[HARMONICS] / 5.0,
            timbre: v[TIMBRE] / 8.0,
            morph: v[MORPH] / 8.0,
            trigger: v[TRIGGER] / 3.0,
            level: v[LEVEL] / 8.0,
            frequency_patched: self.patched[FM],
            timbre_patched: self.patched[TIMBRE],
            morph_patched: self.patched[MORPH],
            trigger_patched: self.patched[TRIGGER],
            level_patched: self.patched[LEVEL],
        }
    }
}

/// A voice output sample in rackmatch's convention, volts / 5: VCV's output
/// stage is `-5 V · sample / 32768`, inverting the voice's already inverted signal.
#[inline]
pub fn sample_to_unit(sample: i16) -> f32 {
    -(sample as f32) / 32768.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_is_high_for_five_milliseconds_from_each_onset() {
        let gate = TriggerGate::new(&[0.25, 0.0]);
        assert!(gate.is_high(0));
        assert!(gate.is_high(239));
        assert!(!gate.is_high(240));
        assert!(!gate.is_high(11_999));
        assert!(gate.is_high(12_000));
        assert!(!gate.is_high(12_240));
    }

    #[test]
    fn overlapping_gates_merge() {
        let gate = TriggerGate::new(&[0.0, 0.004]);
        assert!(gate.is_high(300));
        assert!(!gate.is_high(432));
    }
}
