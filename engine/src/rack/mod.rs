//! The VCV Rack modules of rackmatch's patches, and the cable graph that runs
//! them the way Rack's engine does (fundamental-dsp.md).
//!
//! Every module processes one frame at a time at 48 kHz. Only mono cables
//! exist here: LFO, 8vert, VCA Mix, SEQ3 and Plaits never create polyphony
//! unless a polyphonic cable enters them, and none of these modules emits one.

pub mod eight_vert;
pub mod graph;
pub mod lfo;
pub mod plaits;
pub mod seq3;
pub mod sine;
pub mod vca_mix;

pub use eight_vert::EightVert;
pub use graph::{ExternalSource, GraphError, ModuleId, OutputRef, Rack, RackModule};
pub use lfo::{Lfo, LfoBehaviour};
pub use plaits::PlaitsModule;
pub use seq3::{Seq3, Seq3Data};
pub use vca_mix::{VcaMix, VcaMixLaw};

/// Rack's sample time at 48 kHz, as the f32 the engine hands to modules.
pub const SAMPLE_TIME: f32 = 1.0 / 48_000.0;

/// How a param's value is used: Rack rounds switches and buttons on load (v2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// A continuous knob, trimpot or slider.
    Knob,
    /// A latching switch with whole-number positions.
    Switch,
    /// A momentary button: only its presses (rising edges) matter.
    Button,
}

/// One param of a module: its name, range and default, as the module declares it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamSpec {
    /// Name shown in Rack.
    pub name: &'static str,
    /// Lowest value.
    pub min: f32,
    /// Highest value.
    pub max: f32,
    /// Value of a fresh module.
    pub default: f32,
    /// Knob, switch or button.
    pub kind: ParamKind,
}

impl ParamSpec {
    /// A knob spec.
    pub const fn knob(name: &'static str, min: f32, max: f32, default: f32) -> Self {
        Self { name, min, max, default, kind: ParamKind::Knob }
    }

    /// A switch spec.
    pub const fn switch(name: &'static str, min: f32, max: f32, default: f32) -> Self {
        Self { name, min, max, default, kind: ParamKind::Switch }
    }

    /// A momentary button spec (0 to 1, released).
    pub const fn button(name: &'static str) -> Self {
        Self { name, min: 0.0, max: 1.0, default: 0.0, kind: ParamKind::Button }
    }

    /// `value` clamped to the range, as Rack's param setter does.
    pub fn clamp(&self, value: f32) -> f32 {
        value.clamp(self.min, self.max)
    }
}

/// The defaults of a param table, for a module's initial state.
pub fn default_values<const N: usize>(specs: &[ParamSpec; N]) -> [f32; N] {
    specs.map(|spec| spec.default)
}

/// A Schmitt trigger as Rack's `dsp::SchmittTrigger`: high at >= 2 V, low again
/// at <= 0.1 V. It starts high, so a voltage already high at start-up does not fire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchmittTrigger {
    high: bool,
}

impl Default for SchmittTrigger {
    fn default() -> Self {
        Self { high: true }
    }
}

impl SchmittTrigger {
    /// Voltage at or above which the trigger turns high.
    pub const HIGH_VOLTS: f32 = 2.0;
    /// Voltage at or below which it turns low again.
    pub const LOW_VOLTS: f32 = 0.1;

    /// Whether it is high (after the last sample).
    pub fn is_high(&self) -> bool {
        self.high
    }

    /// Feeds one sample; true on a low-to-high transition.
    pub fn process(&mut self, volts: f32) -> bool {
        if self.high {
            if volts <= Self::LOW_VOLTS {
                self.high = false;
            }
            false
        } else if volts >= Self::HIGH_VOLTS {
            self.high = true;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schmitt_trigger_fires_once_per_rising_edge_and_not_at_start_up() {
        let mut trigger = SchmittTrigger::default();
        assert!(!trigger.process(5.0), "already high at start-up: no edge");
        assert!(!trigger.process(1.0), "between the thresholds: still high");
        assert!(!trigger.process(0.1), "falls at 0.1 V");
        assert!(!trigger.process(1.9), "below 2 V: no edge");
        assert!(trigger.process(2.0), "rises at 2 V");
        assert!(!trigger.process(10.0), "one edge only");
    }

    #[test]
    fn params_clamp_to_their_range() {
        let spec = ParamSpec::knob("x", -1.0, 1.0, 0.0);
        assert_eq!(spec.clamp(3.0), 1.0);
        assert_eq!(spec.clamp(-3.0), -1.0);
        assert_eq!(spec.clamp(0.25), 0.25);
    }
}
