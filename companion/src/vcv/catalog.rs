//! What rackmatch knows about each Rack module: whether it renders or is ignored
//! on purpose, its params (names, ranges) and its port counts.

use rackmatch_engine::rack::{eight_vert, lfo, plaits, seq3, vca_mix, LfoBehaviour, ParamSpec};

/// The modules rackmatch knows by plugin and model slug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnownModule {
    /// Audible Instruments Plaits ("Macro Oscillator 2").
    Plaits,
    /// Fundamental LFO.
    Lfo,
    /// Fundamental 8vert.
    EightVert,
    /// Fundamental VCA Mix.
    VcaMix,
    /// Fundamental SEQ3 (rendered from plugin version 2 on).
    Seq3,
    /// Core Audio 2 / 8 / 16: the audio device, where the sound goes.
    Audio {
        /// Number of channels each way.
        channels: usize,
    },
    /// Fundamental Scope: a display.
    Scope,
    /// VCV Recorder: writes its inputs to a file.
    Recorder,
    /// Core MIDI-Map: moves params from CCs.
    MidiMap,
    /// Core Notes: text.
    Notes,
    /// Core Blank: a panel.
    Blank,
}

/// Plaits' params.
const PLAITS: &[ParamSpec] = &plaits::PARAMS;
/// 8vert's params.
const EIGHT_VERT: &[ParamSpec] = &eight_vert::PARAMS;
/// VCA Mix's params.
const VCA_MIX: &[ParamSpec] = &vca_mix::PARAMS;
/// SEQ3's params (2.x; 1.x lacks the last two).
const SEQ3: &[ParamSpec] = &seq3::PARAMS;
/// Audio 2: one level knob, gain = level².
const AUDIO_2: &[ParamSpec] = &[ParamSpec::knob("Level", 0.0, 2.0, 1.0)];
/// VCV Recorder: level and the record button.
const RECORDER: &[ParamSpec] = &[ParamSpec::knob("Level", 0.0, 2.0, 1.0), ParamSpec::button("Record")];
/// Fundamental Scope 1.x.
const SCOPE_V1: &[ParamSpec] = &[
    ParamSpec::knob("X scale", -2.0, 8.0, 0.0),
    ParamSpec::knob("X position", -10.0, 10.0, 0.0),
    ParamSpec::knob("Y scale", -2.0, 8.0, 0.0),
    ParamSpec::knob("Y position", -10.0, 10.0, 0.0),
    ParamSpec::knob("Time", 6.0, 16.0, 14.0),
    ParamSpec::button("Lissajous"),
    ParamSpec::knob("Trigger level", -10.0, 10.0, 0.0),
    ParamSpec::button("External trigger"),
];
/// Fundamental Scope 2.x.
const SCOPE_V2: &[ParamSpec] = &[
    ParamSpec::knob("Channel 1 gain", 0.0, 8.0, 0.0),
    ParamSpec::knob("Channel 1 offset", -10.0, 10.0, 0.0),
    ParamSpec::knob("Channel 2 gain", 0.0, 8.0, 0.0),
    ParamSpec::knob("Channel 2 offset", -10.0, 10.0, 0.0),
    ParamSpec::knob("Time", -5.64, 7.64, 1.0),
    ParamSpec::switch("Mode", 0.0, 1.0, 0.0),
    ParamSpec::knob("Trigger threshold", -10.0, 10.0, 0.0),
    ParamSpec::switch("Trigger", 0.0, 1.0, 1.0),
];

impl KnownModule {
    /// Looks a module up by slugs, as Rack does: the plugin slug loses characters
    /// other than `[A-Za-z0-9_-]`, and the preview alias of Audible Instruments counts.
    pub fn find(plugin: &str, model: &str) -> Option<Self> {
        let plugin: String =
            plugin.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
        let module = match (plugin.as_str(), model) {
            ("AudibleInstruments" | "AudibleInstrumentsPreview", "Plaits") => Self::Plaits,
            ("Fundamental", "LFO") => Self::Lfo,
            ("Fundamental", "8vert") => Self::EightVert,
            ("Fundamental", "VCMixer") => Self::VcaMix,
            ("Fundamental", "SEQ3") => Self::Seq3,
            ("Fundamental", "Scope") => Self::Scope,
            ("Core", "AudioInterface2") => Self::Audio { channels: 2 },
            ("Core", "AudioInterface") => Self::Audio { channels: 8 },
            ("Core", "AudioInterface16") => Self::Audio { channels: 16 },
            ("Core", "MIDI-Map") => Self::MidiMap,
            ("Core", "Notes") => Self::Notes,
            ("Core", "Blank") => Self::Blank,
            ("VCV-Recorder", "Recorder") => Self::Recorder,
            _ => return None,
        };
        Some(module)
    }

    /// Whether rackmatch renders it; the others do not shape the sound and are
    /// ignored on purpose.
    pub fn renders(&self) -> bool {
        matches!(self, Self::Plaits | Self::Lfo | Self::EightVert | Self::VcaMix | Self::Seq3)
    }

    /// Whether its inputs are where the patch's sound leaves it.
    pub fn is_audio_sink(&self) -> bool {
        matches!(self, Self::Audio { .. } | Self::Recorder)
    }

    /// Its params for plugin major version `major`, or `None` where rackmatch
    /// does not know them.
    pub fn params(&self, major: u32) -> Option<&'static [ParamSpec]> {
        match self {
            Self::Plaits => Some(PLAITS),
            Self::Lfo => Some(LfoBehaviour::for_plugin_version(major, 0).params()),
            Self::EightVert => Some(EIGHT_VERT),
            Self::VcaMix => Some(VCA_MIX),
            Self::Seq3 if major < 2 => Some(&SEQ3[..seq3::param::TEMPO_CV]),
            Self::Seq3 => Some(SEQ3),
            Self::Audio { channels: 2 } => Some(AUDIO_2),
            Self::Audio { .. } | Self::MidiMap | Self::Notes | Self::Blank => Some(&[]),
            Self::Recorder => Some(RECORDER),
            Self::Scope if major < 2 => Some(SCOPE_V1),
            Self::Scope => Some(SCOPE_V2),
        }
    }

    /// Number of (input, output) ports for plugin major version `major`.
    pub fn ports(&self, major: u32) -> (usize, usize) {
        match self {
            Self::Plaits => (plaits::input::COUNT, plaits::output::COUNT),
            Self::Lfo if major < 2 => (lfo::input::CLOCK, lfo::output::COUNT),
            Self::Lfo => (lfo::input::COUNT, lfo::output::COUNT),
            Self::EightVert => (eight_vert::ROWS, eight_vert::ROWS),
            Self::VcaMix => (vca_mix::input::COUNT, vca_mix::output::COUNT),
            Self::Seq3 if major < 2 => (seq3::input::RUN, seq3::output::STEPS),
            Self::Seq3 => (seq3::input::COUNT, seq3::output::COUNT),
            Self::Audio { channels } => (*channels, *channels),
            Self::Scope if major < 2 => (3, 0),
            Self::Scope => (3, 2),
            Self::Recorder => (4, 0),
            Self::MidiMap | Self::Notes | Self::Blank => (0, 0),
        }
    }

    /// Its usual name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Plaits => "Plaits",
            Self::Lfo => "LFO",
            Self::EightVert => "8vert",
            Self::VcaMix => "VCA Mix",
            Self::Seq3 => "SEQ3",
            Self::Audio { .. } => "Audio",
            Self::Scope => "Scope",
            Self::Recorder => "Recorder",
            Self::MidiMap => "MIDI-Map",
            Self::Notes => "Notes",
            Self::Blank => "Blank",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_normalised_like_rack() {
        assert_eq!(KnownModule::find("Audible Instruments!", "Plaits"), Some(KnownModule::Plaits));
        assert_eq!(KnownModule::find("AudibleInstrumentsPreview", "Plaits"), Some(KnownModule::Plaits));
        assert_eq!(KnownModule::find("Fundamental", "VCO"), None);
        assert_eq!(KnownModule::find("Core", "AudioInterface"), Some(KnownModule::Audio { channels: 8 }));
    }

    #[test]
    fn seq3_is_known_and_rendered_with_its_v2_ports() {
        let seq3 = KnownModule::find("Fundamental", "SEQ3").unwrap();
        assert!(seq3.renders());
        assert_eq!(seq3.ports(2), (5, 16));
        assert_eq!(seq3.ports(1), (4, 12), "RUN input and the last four outputs came with 2.0");
        assert_eq!(seq3.params(2).unwrap().len(), 38);
        assert_eq!(seq3.params(1).unwrap().len(), 36);
    }

    #[test]
    fn lfo_tables_follow_the_version() {
        let v1 = KnownModule::Lfo.params(1).unwrap();
        let v2 = KnownModule::Lfo.params(2).unwrap();
        assert_eq!((v1[1].default, v2[1].default), (1.0, 0.0), "invert default flipped");
        assert_eq!((v1[3].min, v2[3].min), (0.0, -1.0));
        assert_eq!(KnownModule::Lfo.ports(1), (4, 4));
        assert_eq!(KnownModule::Lfo.ports(2), (5, 4));
    }
}
