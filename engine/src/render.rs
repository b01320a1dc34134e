//! Rendering a Plaits voice from knob settings, as VCV's module drives it at 48 kHz.
//!
//! Output frames are `[OUT, AUX]` in rackmatch's sample convention: volts / 5.

use crate::engines::{BLOCK_SIZE, ENGINE_COUNT};
use crate::voice::{Modulations, Patch, Voice};

/// Plaits runs at 48 kHz; VCV at a 48 kHz host passes its frames through unchanged.
pub const FRAME_RATE: u32 = 48_000;

/// Length of the 10 V gate rackmatch sends into TRIG for each onset.
pub const TRIGGER_GATE_SECONDS: f64 = 0.005;

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
    let mut modulations = Modulations {
        note: settings.pitch_v * 12.0,
        trigger_patched: gate.is_some(),
        level_patched: settings.level.is_some(),
        level: settings.level.unwrap_or(0.0) / 8.0,
        ..Modulations::default()
    };
    let mut out = [0i16; BLOCK_SIZE];
    let mut aux = [0i16; BLOCK_SIZE];
    for (block_index, frames) in output.chunks_mut(BLOCK_SIZE).enumerate() {
        let first_frame = (block_index * BLOCK_SIZE) as u64;
        let trigger_volts = match &gate {
            Some(gate) if gate.is_high(first_frame) => 10.0,
            _ => 0.0,
        };
        modulations.trigger = trigger_volts / 3.0;
        voice.render(&patch, &modulations, &mut out, &mut aux);
        for (frame, (o, a)) in frames.iter_mut().zip(out.iter().zip(aux.iter())) {
            *frame = [-(*o as f32) / 32768.0, -(*a as f32) / 32768.0];
        }
    }
    true
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
