//! Core MIDI-Map: its slots resolved to "CC n -> module m param p" with the
//! param's range, and the patch's parameter space they define
//! (vcv-rack-format.md §2.1-2.2).

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use rackmatch_engine::rack::{ParamKind, ParamSpec};
use serde_json::Value;

use super::catalog::KnownModule;
use super::error::Problem;
use super::model::VcvPatch;

/// Highest CC number and value.
pub const MAX_CC: u8 = 127;

/// One active MIDI-Map slot.
#[derive(Clone, Debug, PartialEq)]
pub struct MidiMapping {
    /// The MIDI-Map module's id.
    pub midi_map: i64,
    /// Slot index in that module.
    pub slot: usize,
    /// The CC number, 0 to 127.
    pub cc: u8,
    /// Target module id.
    pub module_id: i64,
    /// The target module, if rackmatch knows it.
    pub module: Option<KnownModule>,
    /// Target param id.
    pub param_id: usize,
    /// The target param's name and range, if rackmatch knows the module.
    pub param: Option<ParamSpec>,
}

impl MidiMapping {
    /// The param value a CC value gives, as Rack computes it in f32:
    /// `min + (cc / 127) · (max - min)`. `None` if the range is unknown.
    pub fn value_for(&self, cc_value: u8) -> Option<f32> {
        self.param.map(|spec| cc_to_value(&spec, cc_value))
    }

    /// Whether moving it changes the rendered sound: a knob or switch of a
    /// module rackmatch renders (momentary buttons need a press to act).
    pub fn shapes_sound(&self) -> bool {
        self.module.is_some_and(|m| m.renders()) && self.param.is_some_and(|p| p.kind != ParamKind::Button)
    }
}

impl fmt::Display for MidiMapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let module = self.module.map_or("unknown module", |m| m.name());
        write!(f, "CC {} -> module {} ({module}) param {}", self.cc, self.module_id, self.param_id)?;
        if let Some(spec) = self.param {
            write!(f, " ({}, {} to {})", spec.name, spec.min, spec.max)?;
        }
        Ok(())
    }
}

/// A CC value as a param value, in Rack's f32 arithmetic.
pub fn cc_to_value(spec: &ParamSpec, cc_value: u8) -> f32 {
    let normalised = cc_value as f32 / 127.0;
    spec.min + normalised * (spec.max - spec.min)
}

/// Every active slot of every MIDI-Map, in module then slot order.
///
/// Slots with CC -1 or module -1 are empty and skipped. As when Rack loads a
/// patch, a param already held by an earlier slot is not mapped again.
/// A slot pointing at a module that is not in the patch, or at a param its
/// module does not have, is an error.
pub fn midi_mappings(patch: &VcvPatch) -> Result<Vec<MidiMapping>, Problem> {
    let mut mappings = Vec::new();
    let mut taken = HashSet::new();
    for midi_map in patch.modules.iter().filter(|m| m.known() == Some(KnownModule::MidiMap)) {
        let Some(maps) = midi_map.data.as_ref().and_then(|d| d.get("maps")) else {
            continue;
        };
        let slot_problem =
            |slot: usize, problem: String| Problem::MidiMapSlot { midi_map: midi_map.id, slot, problem };
        let maps = maps.as_array().ok_or_else(|| slot_problem(0, "`maps` is not an array".into()))?;
        for (slot, entry) in maps.iter().enumerate() {
            let field = |key: &str| -> Result<i64, Problem> {
                match entry.get(key) {
                    None => Ok(-1),
                    Some(v) => {
                        v.as_i64().ok_or_else(|| slot_problem(slot, format!("`{key}` is not an integer")))
                    }
                }
            };
            if !entry.is_object() {
                return Err(slot_problem(slot, "not an object".into()));
            }
            let (cc, module_id) = (field("cc")?, field("moduleId")?);
            let param_id = match entry.get("paramId") {
                None | Some(Value::Null) => 0,
                Some(_) => field("paramId")?,
            };
            if cc < 0 || module_id < 0 {
                continue;
            }
            let cc = u8::try_from(cc)
                .ok()
                .filter(|cc| *cc <= MAX_CC)
                .ok_or_else(|| slot_problem(slot, format!("CC {cc} is above {MAX_CC}")))?;
            let module = patch.module(module_id).ok_or(Problem::MidiMapMissingModule {
                midi_map: midi_map.id,
                slot,
                cc: cc as i64,
                module: module_id,
            })?;
            let param_id = usize::try_from(param_id)
                .map_err(|_| slot_problem(slot, format!("param {param_id} is negative")))?;
            let known = module.known();
            let specs = known.and_then(|k| k.params(patch.plugin_version(module).0));
            let param = match specs {
                Some(specs) => Some(*specs.get(param_id).ok_or_else(|| {
                    slot_problem(
                        slot,
                        format!("{} has no param {param_id} (it has {})", module.label(), specs.len()),
                    )
                })?),
                None => None,
            };
            if taken.insert((module_id, param_id)) {
                mappings.push(MidiMapping {
                    midi_map: midi_map.id,
                    slot,
                    cc,
                    module_id,
                    module: known,
                    param_id,
                    param,
                });
            }
        }
    }
    Ok(mappings)
}

/// The knobs a patch's CCs move: its parameter space for matching.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParameterSpace {
    /// The mapped CCs in ascending order, each with its targets.
    pub controls: Vec<CcControl>,
}

/// One CC and the params it moves.
#[derive(Clone, Debug, PartialEq)]
pub struct CcControl {
    /// The CC number.
    pub cc: u8,
    /// Its targets, in slot order.
    pub targets: Vec<MidiMapping>,
}

impl CcControl {
    /// Whether any target changes the rendered sound.
    pub fn shapes_sound(&self) -> bool {
        self.targets.iter().any(MidiMapping::shapes_sound)
    }
}

impl ParameterSpace {
    /// Groups mappings by CC.
    pub fn new(mappings: &[MidiMapping]) -> Self {
        let mut by_cc: BTreeMap<u8, Vec<MidiMapping>> = BTreeMap::new();
        for mapping in mappings {
            by_cc.entry(mapping.cc).or_default().push(mapping.clone());
        }
        Self { controls: by_cc.into_iter().map(|(cc, targets)| CcControl { cc, targets }).collect() }
    }

    /// The parameter space of a patch's MIDI-Maps.
    pub fn of_patch(patch: &VcvPatch) -> Result<Self, Problem> {
        Ok(Self::new(&midi_mappings(patch)?))
    }

    /// The control for CC `cc`.
    pub fn control(&self, cc: u8) -> Option<&CcControl> {
        self.controls.iter().find(|c| c.cc == cc)
    }

    /// The mapped CC numbers, ascending.
    pub fn ccs(&self) -> Vec<u8> {
        self.controls.iter().map(|c| c.cc).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(maps: &str) -> Result<VcvPatch, Problem> {
        let text = format!(
            r#"{{"version":"2.4.1","modules":[
                {{"id":5,"plugin":"AudibleInstruments","model":"Plaits","version":"2.0.0"}},
                {{"id":6,"plugin":"Fundamental","model":"LFO","version":"1.4.0"}},
                {{"id":9,"plugin":"Core","model":"MIDI-Map","version":"2.4.1","data":{{"maps":{maps}}}}}]}}"#
        );
        VcvPatch::from_json(&serde_json::from_str(&text).unwrap())
    }

    #[test]
    fn slots_resolve_with_ranges_and_first_wins() {
        let p = patch(
            r#"[{"cc":0,"moduleId":5,"paramId":2},{"cc":3,"moduleId":-1,"paramId":0},{"cc":8,"moduleId":6,"paramId":2},
                {"cc":9,"moduleId":5,"paramId":2},{"cc":1,"moduleId":6,"paramId":3},{"cc":-1,"moduleId":-1,"paramId":0}]"#,
        )
        .unwrap();
        let mappings = midi_mappings(&p).unwrap();
        let described: Vec<String> = mappings.iter().map(|m| m.to_string()).collect();
        assert_eq!(
            described,
            [
                "CC 0 -> module 5 (Plaits) param 2 (Frequency, -4 to 4)",
                "CC 8 -> module 6 (LFO) param 2 (Frequency, -8 to 10)",
                "CC 1 -> module 6 (LFO) param 3 (FM1 amount, 0 to 1)",
            ]
        );
        let space = ParameterSpace::new(&mappings);
        assert_eq!(space.ccs(), [0, 1, 8]);
        assert!(space.control(0).unwrap().shapes_sound());
        assert!(space.control(9).is_none(), "CC 9's slot lost its param to CC 0's");
    }

    #[test]
    fn cc_values_map_linearly_like_rack() {
        // The seed patch was saved after MIDI-Map settled on CC values; its
        // stored knobs are exactly Rack's f32 results.
        let stored = |text: &str| text.parse::<f32>().unwrap();
        let lfo = rackmatch_engine::rack::lfo::PARAMS_V1[2];
        assert_eq!(cc_to_value(&lfo, 96), stored("5.6062994"));
        let gain = rackmatch_engine::rack::eight_vert::PARAMS[0];
        assert_eq!(cc_to_value(&gain, 120), stored("0.889763832"));
        let frequency = rackmatch_engine::rack::plaits::PARAMS[2];
        assert_eq!(cc_to_value(&frequency, 102), stored("2.42519665"));
        let master = rackmatch_engine::rack::vca_mix::PARAMS[0];
        assert_eq!(cc_to_value(&master, 50), 0.787_401_56);
        assert_eq!(cc_to_value(&master, 0), 0.0);
        assert_eq!(cc_to_value(&master, 127), 2.0);
    }

    #[test]
    fn bad_slots_are_errors() {
        let missing = patch(r#"[{"cc":4,"moduleId":77,"paramId":0}]"#).unwrap_err();
        assert_eq!(missing, Problem::MidiMapMissingModule { midi_map: 9, slot: 0, cc: 4, module: 77 });
        assert!(missing.to_string().contains("slot 0 (CC 4) points at module 77, which is not in the patch"));
        let no_param = patch(r#"[{"cc":4,"moduleId":5,"paramId":11}]"#).unwrap_err().to_string();
        assert!(no_param.contains("has no param 11 (it has 11)"), "{no_param}");
        let big_cc = patch(r#"[{"cc":128,"moduleId":5,"paramId":1}]"#).unwrap_err().to_string();
        assert!(big_cc.contains("CC 128 is above 127"), "{big_cc}");
        assert!(patch(r#"{"cc":1}"#).is_err());
    }
}
