//! Spaces whose sound is a whole `.vcv` patch: the knobs are the CCs of the
//! patch's MIDI-Map, and every point renders through the patch-graph renderer.
//!
//! A point's knob `ccN` holds the value of CC N as a real number from 0 to 127
//! (kept to 4 decimals like every knob); each param that CC moves is set to
//! `min + (max - min) · v / 127`, the value MIDI-Map settles at, computed in f32
//! as Rack does. Fractional values lie between two CC steps: the written `.vcv`
//! holds the exact knob values, and `result.json` also gives the nearest CCs.
//!
//! The patch is rendered as Rack 2 with current plugins plays it (a Rack 1
//! patch such as the seed is upgraded first), which is what the written
//! `.vcv` of a match plays. The render starts from the power-up state: every LFO begins at phase 0 at
//! t = 0 and runs live for the whole render, so a point sounds the same every time.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Serialize};

use crate::render_params::RenderParams;
use crate::vcv::catalog::KnownModule;
use crate::vcv::error::{AtPath, Problem};
use crate::vcv::midi_map::{ParameterSpace, MAX_CC};
use crate::vcv::plaits_patch::add_trigger_sequencer;
use crate::vcv::render::{render_volts, PatchRequest};
use crate::vcv::write::to_rack2;
use crate::vcv::{read_patch, VcvError, VcvPatch};

/// Patch renders are scaled like voice renders: volts / 5 (Plaits' OUT is about ±5 V).
pub const PATCH_RENDER_VOLTS: f32 = 5.0;

/// Prefix of a patch knob's name: `cc7` is CC 7.
pub const CC_KNOB_PREFIX: &str = "cc";

/// The `[patch]` table of a space file: the `.vcv` its points render.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchSource {
    /// The `.vcv` file, relative to the space file in TOML; resolved to an
    /// absolute path when the space is loaded.
    pub file: PathBuf,
}

/// The patch part of a render line: which `.vcv`, and the CC values set on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchSettings {
    /// The `.vcv` file.
    pub file: PathBuf,
    /// CC number → value from 0 to 127 (fractional values lie between CC steps).
    #[serde(default)]
    pub cc: BTreeMap<u8, f64>,
}

/// The CC number of a patch knob name (`cc7` → 7).
pub fn cc_of_knob(name: &str) -> Option<u8> {
    let digits = name.strip_prefix(CC_KNOB_PREFIX)?;
    if digits.is_empty() || digits.starts_with('+') || (digits.len() > 1 && digits.starts_with('0')) {
        return None;
    }
    digits.parse::<u8>().ok().filter(|cc| *cc <= MAX_CC)
}

/// Parsed patches, read once per process (renders run thousands of times).
fn cache() -> &'static Mutex<HashMap<PathBuf, Arc<VcvPatch>>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<VcvPatch>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Reads a patch as Rack 2 loads it (a Rack 1 patch is upgraded, see
/// [`to_rack2`]), or returns the copy read before. Points render, and matches
/// are written, as this Rack 2 patch, so a written `.vcv` plays what was scored.
pub fn load_patch(file: &Path) -> Result<Arc<VcvPatch>, VcvError> {
    if let Some(patch) = cache().lock().unwrap_or_else(|e| e.into_inner()).get(file) {
        return Ok(patch.clone());
    }
    let patch = Arc::new(to_rack2(&read_patch(file)?));
    cache().lock().unwrap_or_else(|e| e.into_inner()).insert(file.to_path_buf(), patch.clone());
    Ok(patch)
}

/// The patch of `settings` with `model` in every Plaits and each CC value
/// applied to every param its MIDI-Map slots move. An unmapped CC or a value
/// outside 0 to 127 is an error.
pub fn apply(patch: &VcvPatch, settings: &PatchSettings, model: u32) -> Result<VcvPatch, Problem> {
    let mut patch = patch.clone();
    let request =
        PatchRequest { cc: vec![], set: vec![], model: Some(model as usize), trigger: None, seconds: 1.0 };
    crate::vcv::render::apply_values(&mut patch, &request)?;
    let space = ParameterSpace::of_patch(&patch)?;
    for (&cc, &value) in &settings.cc {
        if !(value.is_finite() && (0.0..=MAX_CC as f64).contains(&value)) {
            return Err(Problem::Request(format!("CC {cc} = {value} is not 0 to 127")));
        }
        let control = space.control(cc).ok_or_else(|| {
            let mapped: Vec<String> = space.ccs().iter().map(u8::to_string).collect();
            Problem::Request(format!(
                "CC {cc} is not mapped by the patch's MIDI-Map (mapped CCs: {})",
                if mapped.is_empty() { "none".to_string() } else { mapped.join(", ") }
            ))
        })?;
        for target in &control.targets {
            let Some(spec) = target.param else { continue };
            // The same f32 steps as `cc_to_value`, for a real-valued CC.
            let normalised = value as f32 / MAX_CC as f32;
            let param_value = spec.min + normalised * (spec.max - spec.min);
            patch
                .module_mut(target.module_id)
                .expect("mappings point at modules")
                .set_param(target.param_id, param_value as f64);
        }
    }
    Ok(patch)
}

/// The knob values `settings` give, as `MODULE_ID.PARAM_ID` → value (what
/// `rackmatch render --patch --set` takes), for `result.json`.
pub fn knob_values(settings: &PatchSettings, model: u32) -> Result<BTreeMap<String, f64>, VcvError> {
    let original = load_patch(&settings.file)?;
    let applied = apply(&original, settings, model).at(&settings.file)?;
    let space = ParameterSpace::of_patch(&applied).at(&settings.file)?;
    let mut knobs = BTreeMap::new();
    for &cc in settings.cc.keys() {
        for target in space.control(cc).map(|c| c.targets.as_slice()).unwrap_or(&[]) {
            if let Some(value) = applied.module(target.module_id).and_then(|m| m.param(target.param_id)) {
                knobs.insert(format!("{}.{}", target.module_id, target.param_id), value);
            }
        }
    }
    Ok(knobs)
}

/// Checks a render line's patch part: the file renders and every CC is mapped.
pub fn validate(params: &RenderParams, settings: &PatchSettings) -> Result<(), VcvError> {
    let patch = load_patch(&settings.file)?;
    let applied = apply(&patch, settings, params.model).at(&settings.file)?;
    let mut renderable = crate::vcv::renderable::build(&applied).at(&settings.file)?;
    if let Some(onsets) = &params.trigger {
        renderable.trigger(onsets).at(&settings.file)?;
    }
    Ok(())
}

/// Renders a render line whose patch part was validated: the patch's main
/// output in volts / 5 on both channels.
pub fn render(params: &RenderParams, settings: &PatchSettings) -> Result<Vec<[f32; 2]>, VcvError> {
    let patch = load_patch(&settings.file)?;
    let applied = apply(&patch, settings, params.model).at(&settings.file)?;
    let request = PatchRequest {
        cc: vec![],
        set: vec![],
        model: None,
        trigger: params.trigger.clone(),
        seconds: params.seconds,
    };
    let volts = render_volts(&applied, &request).at(&settings.file)?;
    Ok(volts.iter().map(|v| v / PATCH_RENDER_VOLTS).map(|x| [x, x]).collect())
}

/// Checks a patch space's knobs against its `.vcv`: each `ccN` knob and each
/// fixed `ccN` must be a CC that the MIDI-Map puts on a param that shapes the
/// sound. Returns the problem as text for the space's error.
pub fn check_knobs(file: &Path, ccs: impl IntoIterator<Item = u8>) -> Result<(), String> {
    let patch = load_patch(file).map_err(|e| e.to_string())?;
    crate::vcv::renderable::build(&patch).map_err(|e| format!("{}: {e}", file.display()))?;
    let space = ParameterSpace::of_patch(&patch).map_err(|e| format!("{}: {e}", file.display()))?;
    let shaping: Vec<String> =
        space.controls.iter().filter(|c| c.shapes_sound()).map(|c| c.cc.to_string()).collect();
    for cc in ccs {
        if !space.control(cc).is_some_and(|c| c.shapes_sound()) {
            return Err(format!(
                "CC {cc} does not move a rendered knob in {} (its MIDI-Map moves rendered knobs with CCs {})",
                file.display(),
                if shaping.is_empty() { "none".to_string() } else { shaping.join(", ") }
            ));
        }
    }
    Ok(())
}

/// The `.vcv` of a patch line: the space's patch with the line's model and CC
/// values set and, where the line has trigger times, a SEQ3 firing them into
/// every Plaits whose TRIG has no cable, looping every `seconds` (see
/// [`crate::vcv::trigger_sequencer`]; a trigger at 0 s fires 4 frames late).
pub fn match_patch(params: &RenderParams, settings: &PatchSettings) -> Result<VcvPatch, VcvError> {
    let original = load_patch(&settings.file)?;
    let mut applied = apply(&original, settings, params.model).at(&settings.file)?;
    if let Some(onsets) = &params.trigger {
        let cabled: Vec<i64> = applied
            .cables
            .iter()
            .filter(|c| c.input_id == rackmatch_engine::rack::plaits::input::TRIGGER)
            .map(|c| c.input_module_id)
            .collect();
        let voices: Vec<i64> = applied
            .modules
            .iter()
            .filter(|m| m.known() == Some(KnownModule::Plaits) && !cabled.contains(&m.id))
            .map(|m| m.id)
            .collect();
        let sequencer = applied.modules.iter().map(|m| m.id).max().unwrap_or(0) + 1;
        add_trigger_sequencer(&mut applied, sequencer, &voices, onsets, params.seconds).at(&settings.file)?;
    }
    Ok(applied)
}

/// Writes [`match_patch`] as a Rack 2 file.
pub fn write_patch(path: &Path, params: &RenderParams, settings: &PatchSettings) -> Result<(), VcvError> {
    crate::vcv::write_rack2(path, &match_patch(params, settings)?)
}
