//! Parameter spaces: which knobs of a patch vary, over what range, and how a
//! library samples them (TOML files in `patches/`).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use rackmatch_engine::ENGINE_COUNT;
use serde::{Deserialize, Serialize};

use crate::render_params::RenderParams;
use crate::rng::SplitMix64;

/// Knob values are kept to 4 decimals: stored as integers of this unit.
pub const KNOB_UNIT: f64 = 1e-4;

/// The space `rackmatch` uses when none is given (the file in `patches/`, built in).
pub const DEFAULT_SPACE_TOML: &str = include_str!("../../patches/plaits-voice.toml");

/// A trigger mode: TRIG unpatched, or patched with these onsets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerMode {
    /// Short name, e.g. "drone" or "struck".
    pub name: String,
    /// Onsets in seconds; absent means TRIG unpatched.
    #[serde(default)]
    pub onsets: Option<Vec<f64>>,
    /// When matching, fire TRIG at the target's detected onsets instead (library
    /// renders keep `onsets`, which must then be one trigger at 0 s: one event).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub follow_target: bool,
}

/// One varying knob.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Knob {
    /// A numeric field of the render schema, e.g. "timbre".
    pub name: String,
    /// Lowest value drawn.
    pub min: f64,
    /// Highest value drawn.
    pub max: f64,
    /// The MIDI CC that sets it in the template patch.
    #[serde(default)]
    pub cc: Option<u8>,
}

/// A parameter space, as read from its TOML file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Space {
    /// Short name, used in library directory names.
    pub name: String,
    /// What the space covers.
    #[serde(default)]
    pub description: String,
    /// Length of each library render, in seconds.
    pub seconds: f64,
    /// Plaits models drawn from (stratified).
    pub models: Vec<u32>,
    /// Trigger modes drawn from (stratified).
    pub trigger_modes: Vec<TriggerMode>,
    /// Varying knobs, in storage order.
    pub knobs: Vec<Knob>,
    /// Fixed values for other numeric fields of the render schema.
    #[serde(default)]
    pub fixed: BTreeMap<String, f64>,
}

/// One point of a space: everything needed to render it, compactly.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SpacePoint {
    /// Index into [`Space::models`] resolved to the model number.
    pub model: u8,
    /// Index into [`Space::trigger_modes`].
    pub mode: u8,
    /// Knob values in units of [`KNOB_UNIT`], in [`Space::knobs`] order.
    pub knobs: Vec<i32>,
}

/// A problem with a space file.
#[derive(Debug, thiserror::Error)]
pub enum SpaceError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not valid TOML for a space, or inconsistent.
    #[error("{path}: {problem}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

/// Numeric render-schema fields a space may vary or fix, with their allowed ranges.
const NUMERIC_FIELDS: [(&str, f64, f64); 11] = [
    ("frequency", -4.0, 4.0),
    ("harmonics", 0.0, 1.0),
    ("timbre", 0.0, 1.0),
    ("morph", 0.0, 1.0),
    ("lpg_colour", 0.0, 1.0),
    ("lpg_decay", 0.0, 1.0),
    ("timbre_cv", -1.0, 1.0),
    ("freq_cv", -1.0, 1.0),
    ("morph_cv", -1.0, 1.0),
    ("pitch_v", -crate::render_params::MAX_VOLTS, crate::render_params::MAX_VOLTS),
    ("level", -crate::render_params::MAX_VOLTS, crate::render_params::MAX_VOLTS),
];

impl Space {
    /// Reads and checks a space file.
    pub fn load(path: &Path) -> Result<Self, SpaceError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| SpaceError::Read { path: path.to_path_buf(), source })?;
        Self::parse(path, &text)
    }

    /// The built-in default space.
    pub fn default_space() -> Self {
        Self::parse(Path::new("patches/plaits-voice.toml"), DEFAULT_SPACE_TOML)
            .expect("the built-in space is valid")
    }

    /// Parses and checks TOML text (`path` is only used in messages).
    pub fn parse(path: &Path, text: &str) -> Result<Self, SpaceError> {
        let invalid = |problem: String| SpaceError::Invalid { path: path.to_path_buf(), problem };
        let space: Space = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        space.check().map_err(invalid)?;
        Ok(space)
    }

    fn check(&self) -> Result<(), String> {
        crate::render_params::validate_id(&self.name)
            .map_err(|_| format!("name {:?} must be a plain file name", self.name))?;
        if !(self.seconds > 0.0 && self.seconds <= crate::render_params::MAX_SECONDS) {
            return Err(format!("seconds = {} must be above 0 and at most 600", self.seconds));
        }
        if self.models.is_empty() || self.models.len() > ENGINE_COUNT {
            return Err("models: give 1 to 16 models".into());
        }
        let mut seen = HashSet::new();
        for &m in &self.models {
            if m as usize >= ENGINE_COUNT || !seen.insert(m) {
                return Err(format!("models: {m} is not a model or is listed twice"));
            }
        }
        if self.trigger_modes.is_empty() || self.trigger_modes.len() > 255 {
            return Err("trigger_modes: give at least one".into());
        }
        for mode in &self.trigger_modes {
            if mode.follow_target && mode.onsets.as_deref() != Some(&[0.0]) {
                return Err(format!(
                    "trigger mode {:?}: follow_target needs onsets = [0.0] (one event per library render)",
                    mode.name
                ));
            }
            for &t in mode.onsets.iter().flatten() {
                if !(t.is_finite() && t >= 0.0 && t < self.seconds) {
                    return Err(format!("trigger mode {:?}: onset {t} is outside the render", mode.name));
                }
            }
        }
        let mut names = HashSet::new();
        let mut ccs = HashSet::new();
        for knob in &self.knobs {
            let (lo, hi) = field_range(&knob.name)
                .ok_or_else(|| format!("knob {:?} is not a render parameter", knob.name))?;
            if !names.insert(knob.name.as_str()) {
                return Err(format!("knob {:?} is listed twice", knob.name));
            }
            if !(knob.min.is_finite()
                && knob.max.is_finite()
                && lo <= knob.min
                && knob.min <= knob.max
                && knob.max <= hi)
            {
                return Err(format!(
                    "knob {:?}: range {} to {} must lie within {lo} to {hi}",
                    knob.name, knob.min, knob.max
                ));
            }
            if let Some(cc) = knob.cc {
                if cc > 127 || !ccs.insert(cc) {
                    return Err(format!("knob {:?}: CC {cc} is not 0 to 127 or is used twice", knob.name));
                }
            }
        }
        for (name, &value) in &self.fixed {
            let (lo, hi) =
                field_range(name).ok_or_else(|| format!("fixed {name:?} is not a render parameter"))?;
            if names.contains(name.as_str()) {
                return Err(format!("{name:?} is both a knob and fixed"));
            }
            if !(lo..=hi).contains(&value) {
                return Err(format!("fixed {name:?} = {value} is outside {lo} to {hi}"));
            }
        }
        Ok(())
    }

    /// Whether any trigger mode fires at the target's onsets when matching.
    pub fn follows_target(&self) -> bool {
        self.trigger_modes.iter().any(|m| m.follow_target)
    }

    /// Number of (model, trigger mode) cells the library is stratified over.
    pub fn cells(&self) -> usize {
        self.models.len() * self.trigger_modes.len()
    }

    /// Point `index` of the library drawn with `seed`: a pure function of both.
    pub fn point(&self, seed: u64, index: u64) -> SpacePoint {
        let cell = (index % self.cells() as u64) as usize;
        let model = self.models[cell % self.models.len()] as u8;
        let mode = (cell / self.models.len()) as u8;
        let mut rng = SplitMix64::for_item(seed, index);
        let knobs = self.knobs.iter().map(|k| quantize(k.min + (k.max - k.min) * rng.next_f64())).collect();
        SpacePoint { model, mode, knobs }
    }

    /// The render parameters of a point, `seconds` long, with trigger onsets
    /// moved later by `onset_delay` seconds (to line up with a target).
    pub fn render_params(
        &self,
        point: &SpacePoint,
        id: &str,
        seconds: f64,
        onset_delay: f64,
    ) -> RenderParams {
        let mut params = RenderParams::defaults(id, point.model as u32);
        params.seconds = seconds;
        for (name, &value) in &self.fixed {
            set_field(&mut params, name, value);
        }
        for (knob, &value) in self.knobs.iter().zip(&point.knobs) {
            set_field(&mut params, &knob.name, value as f64 * KNOB_UNIT);
        }
        params.trigger = self.trigger_modes[point.mode as usize]
            .onsets
            .as_ref()
            .map(|onsets| onsets.iter().map(|t| round_seconds(t + onset_delay)).collect());
        params
    }

    /// Like [`Space::render_params`], but a mode that follows the target fires
    /// at `target_triggers` (seconds, ascending) instead of its own onsets.
    pub fn render_params_at(
        &self,
        point: &SpacePoint,
        id: &str,
        seconds: f64,
        onset_delay: f64,
        target_triggers: &[f64],
    ) -> RenderParams {
        let mut params = self.render_params(point, id, seconds, onset_delay);
        if self.trigger_modes[point.mode as usize].follow_target && !target_triggers.is_empty() {
            params.trigger = Some(target_triggers.iter().map(|&t| round_seconds(t)).collect());
        }
        params
    }

    /// The CC value (0–127) that sets each CC-mapped knob closest to its value in `params`.
    pub fn cc_values(&self, params: &RenderParams) -> BTreeMap<u8, u8> {
        self.knobs
            .iter()
            .filter_map(|knob| {
                let cc = knob.cc?;
                let value = get_field(params, &knob.name)?;
                let (lo, hi) = field_range(&knob.name)?;
                let unit = if hi > lo { (value - lo) / (hi - lo) } else { 0.0 };
                Some((cc, (unit * 127.0).round().clamp(0.0, 127.0) as u8))
            })
            .collect()
    }

    /// The point nearest to `params` (for seeding searches from outside the library).
    pub fn point_of(&self, params: &RenderParams, mode: u8) -> SpacePoint {
        let knobs = self
            .knobs
            .iter()
            .map(|k| quantize(get_field(params, &k.name).unwrap_or(k.min).clamp(k.min, k.max)))
            .collect();
        SpacePoint { model: params.model as u8, mode, knobs }
    }
}

/// A knob value rounded to 4 decimals, in storage units.
pub fn quantize(value: f64) -> i32 {
    (value / KNOB_UNIT).round() as i32
}

/// Onsets are kept to 0.1 ms so that JSON stays readable and exact.
fn round_seconds(t: f64) -> f64 {
    (t * 10_000.0).round() / 10_000.0
}

/// The allowed range of a numeric render-schema field.
pub fn field_range(name: &str) -> Option<(f64, f64)> {
    NUMERIC_FIELDS.iter().find(|(n, _, _)| *n == name).map(|&(_, lo, hi)| (lo, hi))
}

/// Sets a numeric field of the render schema by name.
pub fn set_field(params: &mut RenderParams, name: &str, value: f64) {
    match name {
        "frequency" => params.frequency = value,
        "harmonics" => params.harmonics = value,
        "timbre" => params.timbre = value,
        "morph" => params.morph = value,
        "lpg_colour" => params.lpg_colour = value,
        "lpg_decay" => params.lpg_decay = value,
        "timbre_cv" => params.timbre_cv = value,
        "freq_cv" => params.freq_cv = value,
        "morph_cv" => params.morph_cv = value,
        "pitch_v" => params.pitch_v = value,
        "level" => params.level = Some(value),
        _ => {}
    }
}

/// Reads a numeric field of the render schema by name.
pub fn get_field(params: &RenderParams, name: &str) -> Option<f64> {
    Some(match name {
        "frequency" => params.frequency,
        "harmonics" => params.harmonics,
        "timbre" => params.timbre,
        "morph" => params.morph,
        "lpg_colour" => params.lpg_colour,
        "lpg_decay" => params.lpg_decay,
        "timbre_cv" => params.timbre_cv,
        "freq_cv" => params.freq_cv,
        "morph_cv" => params.morph_cv,
        "pitch_v" => params.pitch_v,
        "level" => params.level?,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_space_is_stratified_and_reproducible() {
        let space = Space::default_space();
        assert_eq!(space.cells(), 32);
        let points: Vec<SpacePoint> = (0..64).map(|i| space.point(3, i)).collect();
        for model in 0..16u8 {
            for mode in 0..2u8 {
                let n = points.iter().filter(|p| p.model == model && p.mode == mode).count();
                assert_eq!(n, 2, "model {model} mode {mode}");
            }
        }
        assert_eq!(points[5], space.point(3, 5));
        assert_ne!(points[5], space.point(4, 5));
        let params = space.render_params(&points[17], "x", 0.5, 0.0);
        params.validate().unwrap();
        assert_eq!(params.trigger, Some(vec![0.0]));
        assert!((-4.0..=4.0).contains(&params.frequency));
    }

    #[test]
    fn cc_values_follow_the_midi_map_law() {
        let space = Space::default_space();
        let mut params = RenderParams::defaults("x", 0);
        params.frequency = 4.0;
        params.timbre = 0.5;
        let cc = space.cc_values(&params);
        assert_eq!(cc[&0], 127);
        assert_eq!(cc[&2], 64);
        assert_eq!(cc.len(), 6);
    }

    #[test]
    fn bad_spaces_are_rejected_with_the_reason() {
        let cases = [
            ("name = \"x\"\nseconds = 0.5\nmodels = [16]\ntrigger_modes = [{name = \"d\"}]\nknobs = []", "not a model"),
            ("name = \"x\"\nseconds = 0.5\nmodels = [1]\ntrigger_modes = [{name = \"d\"}]\nknobs = [{name = \"colour\", min = 0, max = 1}]", "not a render parameter"),
            ("name = \"x\"\nseconds = 0.5\nmodels = [1]\ntrigger_modes = [{name = \"d\"}]\nknobs = [{name = \"timbre\", min = 0, max = 2}]", "must lie within"),
            ("name = \"x\"\nseconds = 0.5\nmodels = [1]\ntrigger_modes = [{name = \"d\", onsets = [0.9]}]\nknobs = []", "outside the render"),
            ("name = \"x\"\nseconds = 0.5\nmodels = [1]\ntrigger_modes = []\nknobs = []", "trigger_modes"),
            ("this is not toml", "space.toml"),
        ];
        for (text, expected) in cases {
            let err = Space::parse(Path::new("space.toml"), text).unwrap_err().to_string();
            assert!(err.contains(expected) && err.starts_with("space.toml"), "{err}");
        }
    }
}
