//! `render --patch`: CC and knob values applied to a patch, then its main output
//! rendered at 48 kHz from the power-up state.

use std::path::Path;

use rackmatch_engine::rack::ParamKind;
use rackmatch_engine::{ENGINE_COUNT, FRAME_RATE};
use serde_json::{json, Value};

use super::catalog::KnownModule;
use super::error::{AtPath, Problem, VcvError};
use super::midi_map::{ParameterSpace, MAX_CC};
use super::model::VcvPatch;
use super::read::read_patch;
use super::renderable::build;
use crate::render_params::MAX_SECONDS;

/// Patch renders are written as volts / 10, as Rack's Audio and Recorder
/// modules turn volts into samples.
pub const PATCH_FULL_SCALE_VOLTS: f32 = 10.0;

/// `--cc N=V`: CC N at value V.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CcValue {
    /// CC number.
    pub cc: u8,
    /// Value, 0 to 127.
    pub value: u8,
}

/// `--set MODULE.PARAM=VALUE`: a knob set directly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KnobValue {
    /// Module id in the patch.
    pub module_id: i64,
    /// Param id.
    pub param_id: usize,
    /// The value, in the param's own units.
    pub value: f64,
}

/// Parses `N=V` (both 0 to 127).
pub fn parse_cc_value(text: &str) -> Result<CcValue, String> {
    let (cc, value) = text.split_once('=').ok_or_else(|| format!("{text:?} is not CC=VALUE"))?;
    let number = |s: &str, what: &str| -> Result<u8, String> {
        s.trim()
            .parse::<u8>()
            .ok()
            .filter(|n| *n <= MAX_CC)
            .ok_or_else(|| format!("{what} {s:?} is not 0 to 127"))
    };
    Ok(CcValue { cc: number(cc, "CC number")?, value: number(value, "CC value")? })
}

/// Parses `MODULE_ID.PARAM_ID=VALUE`.
pub fn parse_knob_value(text: &str) -> Result<KnobValue, String> {
    let usage = || format!("{text:?} is not MODULE_ID.PARAM_ID=VALUE");
    let (target, value) = text.split_once('=').ok_or_else(usage)?;
    let (module, param) = target.split_once('.').ok_or_else(usage)?;
    let value: f64 = value.trim().parse().map_err(|_| format!("{value:?} is not a number"))?;
    if !value.is_finite() {
        return Err(format!("{value} is not a finite number"));
    }
    Ok(KnobValue {
        module_id: module.trim().parse().map_err(|_| format!("{module:?} is not a module id"))?,
        param_id: param.trim().parse().map_err(|_| format!("{param:?} is not a param id"))?,
        value,
    })
}

/// What to render from a patch.
#[derive(Clone, Debug, PartialEq)]
pub struct PatchRequest {
    /// CC values, applied through the patch's MIDI-Map as settled knob values.
    pub cc: Vec<CcValue>,
    /// Knob values, applied after the CCs.
    pub set: Vec<KnobValue>,
    /// Plaits model for every Plaits module, instead of the stored one.
    pub model: Option<usize>,
    /// Trigger onsets (seconds) into every Plaits TRIG input that has no cable.
    pub trigger: Option<Vec<f64>>,
    /// Length in seconds.
    pub seconds: f64,
}

impl PatchRequest {
    /// Number of frames at 48 kHz: `round(seconds × 48000)`.
    pub fn frames(&self) -> usize {
        (self.seconds * FRAME_RATE as f64).round() as usize
    }
}

/// Writes the request's model, CC and knob values into the patch.
///
/// A CC sets every param its MIDI-Map slots target to `min + (max - min) · v / 127`
/// at once (the value MIDI-Map settles at; its glide is not rendered). An
/// unmapped CC, an unknown module or param, a module that is not rendered or a
/// value outside the param's range is an error.
pub fn apply_values(patch: &mut VcvPatch, request: &PatchRequest) -> Result<(), Problem> {
    if let Some(model) = request.model {
        if model >= ENGINE_COUNT {
            return Err(Problem::Request(format!("model {model} is not 0 to {}", ENGINE_COUNT - 1)));
        }
        let mut found = false;
        for module in patch.modules.iter_mut().filter(|m| m.known() == Some(KnownModule::Plaits)) {
            match module.data.get_or_insert_with(|| json!({})) {
                Value::Object(data) => {
                    data.insert("model".into(), json!(model));
                }
                _ => return Err(Problem::Request(format!("{}: `data` is not an object", module.label()))),
            }
            found = true;
        }
        if !found {
            return Err(Problem::Request("--model needs a Plaits module, and the patch has none".into()));
        }
    }
    let space = ParameterSpace::of_patch(patch)?;
    for &CcValue { cc, value } in &request.cc {
        let control = space.control(cc).ok_or_else(|| {
            let mapped: Vec<String> = space.ccs().iter().map(u8::to_string).collect();
            let mapped = if mapped.is_empty() { "none".to_string() } else { mapped.join(", ") };
            Problem::Request(format!("CC {cc} is not mapped by the patch's MIDI-Map (mapped CCs: {mapped})"))
        })?;
        for target in &control.targets {
            let Some(param_value) = target.value_for(value) else {
                continue;
            };
            let module = patch.module_mut(target.module_id).expect("mappings point at modules");
            module.set_param(target.param_id, param_value as f64);
        }
    }
    for knob in &request.set {
        let version = patch.module(knob.module_id).map(|m| patch.plugin_version(m).0);
        let module = patch
            .module_mut(knob.module_id)
            .ok_or_else(|| Problem::Request(format!("--set: there is no module {}", knob.module_id)))?;
        let known = module.known().filter(KnownModule::renders).ok_or_else(|| {
            Problem::Request(format!(
                "--set: {} is not rendered, so its params do not change the sound",
                module.label()
            ))
        })?;
        let specs = known.params(version.unwrap_or(2)).unwrap_or(&[]);
        let spec = specs.get(knob.param_id).ok_or_else(|| {
            Problem::Request(format!(
                "--set: {} has no param {} (it has {})",
                module.label(),
                knob.param_id,
                specs.len()
            ))
        })?;
        if !(spec.min as f64..=spec.max as f64).contains(&knob.value) {
            return Err(Problem::Request(format!(
                "--set: {} param {} ({}) is {} to {}, not {}",
                module.label(),
                knob.param_id,
                spec.name,
                spec.min,
                spec.max,
                knob.value
            )));
        }
        let value = if spec.kind == ParamKind::Knob { knob.value } else { knob.value.round() };
        module.set_param(knob.param_id, value as f32 as f64);
    }
    Ok(())
}

/// Checks the request's length and onsets.
fn check_timing(request: &PatchRequest) -> Result<(), Problem> {
    if !(request.seconds.is_finite() && request.seconds > 0.0 && request.seconds <= MAX_SECONDS) {
        return Err(Problem::Request(format!(
            "--seconds {} must be above 0 and at most {MAX_SECONDS}",
            request.seconds
        )));
    }
    if request.frames() == 0 {
        return Err(Problem::Request(format!("--seconds {} is shorter than one frame", request.seconds)));
    }
    for &onset in request.trigger.iter().flatten() {
        if !(onset.is_finite() && (0.0..=MAX_SECONDS).contains(&onset)) {
            return Err(Problem::Request(format!("--trigger {onset} is outside 0 to {MAX_SECONDS} s")));
        }
    }
    Ok(())
}

/// Renders a patch whose values are already applied: the main output in volts.
pub fn render_volts(patch: &VcvPatch, request: &PatchRequest) -> Result<Vec<f32>, Problem> {
    check_timing(request)?;
    let mut renderable = build(patch)?;
    if let Some(onsets) = &request.trigger {
        renderable.trigger(onsets)?;
    }
    Ok(renderable.render(request.frames()))
}

/// Reads `path`, applies the request and renders it: the patch with its new
/// values, and stereo frames with the main output on both channels in
/// volts / 10. Everything is checked before anything is rendered.
pub fn render_patch_file(path: &Path, request: &PatchRequest) -> Result<(VcvPatch, Vec<[f32; 2]>), VcvError> {
    let mut patch = read_patch(path)?;
    apply_values(&mut patch, request).at(path)?;
    let volts = render_volts(&patch, request).at(path)?;
    let frames = volts.iter().map(|v| v / PATCH_FULL_SCALE_VOLTS).map(|x| [x, x]).collect();
    Ok((patch, frames))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_parse_and_bad_ones_say_why() {
        assert_eq!(parse_cc_value("7=120"), Ok(CcValue { cc: 7, value: 120 }));
        assert_eq!(
            parse_knob_value("166.2=-0.5"),
            Ok(KnobValue { module_id: 166, param_id: 2, value: -0.5 })
        );
        assert!(parse_cc_value("7").unwrap_err().contains("CC=VALUE"));
        assert!(parse_cc_value("7=128").unwrap_err().contains("CC value \"128\" is not 0 to 127"));
        assert!(parse_cc_value("300=1").unwrap_err().contains("CC number"));
        assert!(parse_knob_value("166=1").unwrap_err().contains("MODULE_ID.PARAM_ID=VALUE"));
        assert!(parse_knob_value("166.x=1").unwrap_err().contains("not a param id"));
        assert!(parse_knob_value("166.2=inf").unwrap_err().contains("finite"));
    }
}
