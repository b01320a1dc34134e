//! Fundamental VCA Mix (slug `VCMixer`): four strips with squared fader gains
//! and linear CV, summed, then a linear master (fundamental-dsp.md §3).

use super::{default_values, ParamSpec};

/// Param ids.
pub mod param {
    /// Master ("Mix") level, linear gain 0 to 2.
    pub const MASTER: usize = 0;
    /// Channel 1 level; channels 2 to 4 follow.
    pub const CHANNEL_1: usize = 1;
    /// Number of params.
    pub const COUNT: usize = 5;
}

/// Input ids.
pub mod input {
    /// Master CV.
    pub const MASTER_CV: usize = 0;
    /// Channel 1 audio in; channels 2 to 4 follow.
    pub const CHANNEL_1: usize = 1;
    /// Channel 1 CV; channels 2 to 4 follow.
    pub const CHANNEL_1_CV: usize = 5;
    /// Number of inputs.
    pub const COUNT: usize = 9;
}

/// Output ids.
pub mod output {
    /// The mix.
    pub const MIX: usize = 0;
    /// Channel 1 out (post fader and CV); channels 2 to 4 follow.
    pub const CHANNEL_1: usize = 1;
    /// Number of outputs.
    pub const COUNT: usize = 5;
}

/// Number of strips.
pub const CHANNELS: usize = 4;

/// √2 as f32: the channel faders' top, a gain of 2.
const SQRT_2: f32 = std::f32::consts::SQRT_2;

/// Master 0 to 2 (linear), channel levels 0 to √2 (squared); same in v1 and v2.
pub const PARAMS: [ParamSpec; param::COUNT] = [
    ParamSpec::knob("Mix level", 0.0, 2.0, 1.0),
    ParamSpec::knob("Channel 1 level", 0.0, SQRT_2, 1.0),
    ParamSpec::knob("Channel 2 level", 0.0, SQRT_2, 1.0),
    ParamSpec::knob("Channel 3 level", 0.0, SQRT_2, 1.0),
    ParamSpec::knob("Channel 4 level", 0.0, SQRT_2, 1.0),
];

/// The CV law of the plugin version; fader and master laws never changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VcaMixLaw {
    /// Fundamental 1.x to 2.4: CV gain = clamp(V / 10, 0, 1).
    V1,
    /// Fundamental 2.5 and later: CV gain = max(0, V / 10), optionally to the
    /// fourth power (the `chExp` / `mixExp` menu options).
    V2_5 {
        /// Exponential channel VCAs.
        channel_exponential: bool,
        /// Exponential mix VCA.
        mix_exponential: bool,
    },
}

impl VcaMixLaw {
    /// The law of Fundamental `major.minor`, with the v2.5 menu options from the patch.
    pub fn for_plugin_version(
        major: u32,
        minor: u32,
        channel_exponential: bool,
        mix_exponential: bool,
    ) -> Self {
        if (major, minor) >= (2, 5) {
            Self::V2_5 { channel_exponential, mix_exponential }
        } else {
            Self::V1
        }
    }

    /// The gain of a CV input at `volts`; `exponential` is the menu option of that VCA.
    fn cv_gain(&self, volts: f32, exponential: bool) -> f32 {
        match self {
            Self::V1 => (volts / 10.0).clamp(0.0, 1.0),
            Self::V2_5 { .. } => {
                let gain = (volts / 10.0).max(0.0);
                if exponential {
                    let squared = gain * gain;
                    squared * squared
                } else {
                    gain
                }
            }
        }
    }

    fn channel_exponential(&self) -> bool {
        matches!(self, Self::V2_5 { channel_exponential: true, .. })
    }

    fn mix_exponential(&self) -> bool {
        matches!(self, Self::V2_5 { mix_exponential: true, .. })
    }
}

/// One VCA Mix (mono).
#[derive(Clone, Debug)]
pub struct VcaMix {
    law: VcaMixLaw,
    params: [f32; param::COUNT],
}

impl VcaMix {
    /// A mixer with default levels.
    pub fn new(law: VcaMixLaw) -> Self {
        Self { law, params: default_values(&PARAMS) }
    }

    /// Sets param `id` (clamped); false if there is no such param.
    pub fn set_param(&mut self, id: usize, value: f32) -> bool {
        match PARAMS.get(id) {
            Some(spec) => {
                self.params[id] = spec.clamp(value);
                true
            }
            None => false,
        }
    }

    /// Processes one frame: strips in order 1 to 4 into an f32 sum from 0,
    /// then the master, then the master CV. Nothing clips.
    pub fn process(&mut self, inputs: &[f32], connected: &[bool], outputs: &mut [f32], wanted: &[bool]) {
        let mut mix = 0.0f32;
        for strip in 0..CHANNELS {
            let mut channel = 0.0;
            if connected[input::CHANNEL_1 + strip] {
                let level = self.params[param::CHANNEL_1 + strip];
                channel = inputs[input::CHANNEL_1 + strip] * (level * level);
                if connected[input::CHANNEL_1_CV + strip] {
                    channel *=
                        self.law.cv_gain(inputs[input::CHANNEL_1_CV + strip], self.law.channel_exponential());
                }
                mix += channel;
            }
            if wanted[output::CHANNEL_1 + strip] {
                outputs[output::CHANNEL_1 + strip] = channel;
            }
        }
        mix *= self.params[param::MASTER];
        if connected[input::MASTER_CV] {
            mix *= self.law.cv_gain(inputs[input::MASTER_CV], self.law.mix_exponential());
        }
        if wanted[output::MIX] {
            outputs[output::MIX] = mix;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V2_5: VcaMixLaw = VcaMixLaw::V2_5 { channel_exponential: false, mix_exponential: false };

    /// The mix and strip outputs for strip inputs `(strip, volts, cv)`.
    fn mix(
        law: VcaMixLaw,
        params: &[(usize, f32)],
        strips: &[(usize, f32, Option<f32>)],
        master_cv: Option<f32>,
    ) -> [f32; 5] {
        let mut mixer = VcaMix::new(law);
        for &(id, value) in params {
            assert!(mixer.set_param(id, value));
        }
        let mut inputs = [0.0; input::COUNT];
        let mut connected = [false; input::COUNT];
        for &(strip, volts, cv) in strips {
            inputs[input::CHANNEL_1 + strip] = volts;
            connected[input::CHANNEL_1 + strip] = true;
            if let Some(cv) = cv {
                inputs[input::CHANNEL_1_CV + strip] = cv;
                connected[input::CHANNEL_1_CV + strip] = true;
            }
        }
        if let Some(cv) = master_cv {
            inputs[input::MASTER_CV] = cv;
            connected[input::MASTER_CV] = true;
        }
        let mut outputs = [f32::NAN; output::COUNT];
        mixer.process(&inputs, &connected, &mut outputs, &[true; output::COUNT]);
        outputs
    }

    #[test]
    fn channel_levels_are_squared() {
        for (level, gain) in [(1.0f32, 1.0f32), (SQRT_2, SQRT_2 * SQRT_2), (0.5, 0.25), (0.0, 0.0)] {
            let out = mix(VcaMixLaw::V1, &[(param::CHANNEL_1 + 2, level)], &[(2, 4.0, None)], None);
            assert_eq!(out[output::MIX], 4.0 * gain, "level {level}");
            assert_eq!(out[output::CHANNEL_1 + 2], 4.0 * gain);
        }
        assert!((SQRT_2 * SQRT_2 - 2.0).abs() < 1e-6, "√2 is +6 dB");
    }

    #[test]
    fn master_is_linear() {
        for master in [0.0f32, 0.5, 0.787_401_6, 2.0] {
            let out = mix(VcaMixLaw::V1, &[(param::MASTER, master)], &[(0, 3.0, None)], None);
            assert_eq!(out[output::MIX], 3.0 * master);
        }
    }

    #[test]
    fn one_signal_in_two_strips_doubles_without_clipping() {
        let out = mix(VcaMixLaw::V1, &[], &[(0, 8.0, None), (1, 8.0, None)], None);
        assert_eq!(out[output::MIX], 16.0);
    }

    #[test]
    fn channel_cv_law_differs_between_v1_and_v2_5() {
        let at = |law, cv| mix(law, &[], &[(0, 1.0, Some(cv))], None)[output::MIX];
        assert_eq!(at(VcaMixLaw::V1, 5.0), 0.5);
        assert_eq!(at(VcaMixLaw::V1, -3.0), 0.0);
        assert_eq!(at(VcaMixLaw::V1, 15.0), 1.0, "v1 caps CV gain at 1");
        assert_eq!(at(V2_5, 15.0), 1.5, "v2.5 does not");
        assert_eq!(at(V2_5, -3.0), 0.0);
        let exponential = VcaMixLaw::V2_5 { channel_exponential: true, mix_exponential: false };
        assert_eq!(at(exponential, 5.0), 0.0625);
        let master_exp = VcaMixLaw::V2_5 { channel_exponential: false, mix_exponential: true };
        assert_eq!(mix(master_exp, &[], &[(0, 1.0, Some(5.0))], Some(5.0))[output::MIX], 0.5 * 0.0625);
    }

    #[test]
    fn no_strip_patched_gives_silence() {
        let out = mix(VcaMixLaw::V1, &[(param::MASTER, 2.0)], &[], Some(10.0));
        assert_eq!(out, [0.0; 5]);
    }

    #[test]
    fn versions_pick_their_law() {
        assert_eq!(VcaMixLaw::for_plugin_version(1, 4, true, true), VcaMixLaw::V1);
        assert_eq!(VcaMixLaw::for_plugin_version(2, 4, false, false), VcaMixLaw::V1);
        assert_eq!(VcaMixLaw::for_plugin_version(2, 6, false, false), V2_5);
    }
}
