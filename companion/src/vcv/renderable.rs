//! Turning a patch into the engine's cable graph: the modules rackmatch renders,
//! in patch order with their stored params, the cables between them, and the
//! patch's main output. Modules that do not shape the sound are left out on purpose.

use std::collections::HashMap;

use rackmatch_engine::rack::{
    plaits, EightVert, ExternalSource, Lfo, LfoBehaviour, ModuleId, OutputRef, PlaitsModule, Rack,
    RackModule, Seq3, Seq3Data, VcaMix, VcaMixLaw,
};
use rackmatch_engine::render::TriggerGate;
use rackmatch_engine::{ENGINES, ENGINE_COUNT};
use serde_json::Value;

use super::catalog::KnownModule;
use super::error::Problem;
use super::model::{Module, VcvPatch};

/// What rackmatch renders, for messages.
const RENDERED: &str = "rackmatch renders Plaits, LFO, 8vert, VCA Mix and SEQ3 (2.x), and ignores Audio, \
                        Scope, Recorder, Notes, Blank and MIDI-Map";

/// A patch ready to render.
pub struct RenderablePatch {
    rack: Rack,
    main: OutputRef,
    main_label: String,
    plaits: Vec<(i64, ModuleId)>,
}

/// The Plaits model stored in a module's `data` (0, as after a module reset, if absent).
pub fn plaits_model(module: &Module) -> Result<usize, Problem> {
    match module.data.as_ref().and_then(|d| d.get("model")) {
        None => Ok(0),
        Some(model) => model.as_u64().map(|m| m as usize).filter(|m| *m < ENGINE_COUNT).ok_or_else(|| {
            Problem::CannotRender {
                module: module.label(),
                reason: format!("data.model {model} is not 0 to 15"),
            }
        }),
    }
}

fn data_flag(module: &Module, key: &str) -> bool {
    module.data.as_ref().and_then(|d| d.get(key)).and_then(Value::as_bool).unwrap_or(false)
}

/// SEQ3's saved state: `running` (default true), `gates` (8 × 0/1, default
/// all on) and `clockPassthrough` (true when absent, as SEQ3 loads old patches).
fn seq3_data(module: &Module) -> Result<Seq3Data, Problem> {
    let mut state = Seq3Data { clock_passthrough: true, ..Seq3Data::default() };
    let Some(data) = module.data.as_ref() else {
        return Ok(state);
    };
    let bad = |what: &str| Problem::CannotRender { module: module.label(), reason: format!("data.{what}") };
    if let Some(running) = data.get("running") {
        state.running = running.as_bool().ok_or_else(|| bad("running is not true or false"))?;
    }
    if let Some(passthrough) = data.get("clockPassthrough") {
        state.clock_passthrough =
            passthrough.as_bool().ok_or_else(|| bad("clockPassthrough is not true or false"))?;
    }
    if let Some(gates) = data.get("gates") {
        let gates = gates.as_array().ok_or_else(|| bad("gates is not an array"))?;
        for (gate, value) in state.gates.iter_mut().zip(gates) {
            *gate = value.as_i64().ok_or_else(|| bad("gates holds a non-integer"))? != 0;
        }
    }
    Ok(state)
}

/// The engine module for a patch module rackmatch renders.
fn rack_module(patch: &VcvPatch, module: &Module, known: KnownModule) -> Result<RackModule, Problem> {
    let (major, minor) = patch.plugin_version(module);
    let rack_module = match known {
        KnownModule::Plaits => {
            let model = plaits_model(module)?;
            let plaits = PlaitsModule::new(model).ok_or_else(|| Problem::CannotRender {
                module: module.label(),
                reason: format!("model {model} ({}) is not available in this build", ENGINES[model].name),
            })?;
            RackModule::Plaits(plaits)
        }
        KnownModule::Lfo => RackModule::Lfo(Lfo::new(LfoBehaviour::for_plugin_version(major, minor))),
        KnownModule::EightVert => RackModule::EightVert(EightVert::default()),
        KnownModule::VcaMix => RackModule::VcaMix(VcaMix::new(VcaMixLaw::for_plugin_version(
            major,
            minor,
            data_flag(module, "chExp"),
            data_flag(module, "mixExp"),
        ))),
        KnownModule::Seq3 if major < 2 => {
            return Err(Problem::CannotRender {
                module: module.label(),
                reason: format!("SEQ3 {major}.{minor} is not rendered (only 2.x)"),
            })
        }
        KnownModule::Seq3 => RackModule::Seq3(Seq3::new(seq3_data(module)?)),
        _ => unreachable!("only rendered modules get here"),
    };
    Ok(rack_module)
}

/// Builds the graph of a patch (checked first, see [`VcvPatch::check`]).
///
/// Unknown modules, bypassed rendered modules, and cables from a module that is
/// not rendered into one that is, are errors naming the module.
pub fn build(patch: &VcvPatch) -> Result<RenderablePatch, Problem> {
    patch.check()?;
    let mut rack = Rack::new();
    let mut ids: HashMap<i64, ModuleId> = HashMap::new();
    let mut plaits = Vec::new();
    for module in &patch.modules {
        let known = module.known().ok_or_else(|| Problem::CannotRender {
            module: module.label(),
            reason: format!("unknown module ({RENDERED})"),
        })?;
        if !known.renders() {
            continue;
        }
        if module.bypass {
            return Err(Problem::CannotRender { module: module.label(), reason: "it is bypassed".into() });
        }
        let mut rack_module = rack_module(patch, module, known)?;
        for param in &module.params {
            // Rack ignores params a module does not have.
            rack_module.set_param(param.id, param.value as f32);
        }
        let id = rack.add_module(rack_module);
        ids.insert(module.id, id);
        if known == KnownModule::Plaits {
            plaits.push((module.id, id));
        }
    }
    let mut sinks: Vec<(usize, usize, OutputRef)> = Vec::new();
    for cable in &patch.cables {
        let source =
            ids.get(&cable.output_module_id).map(|&module| OutputRef { module, output: cable.output_id });
        let destination = patch.module(cable.input_module_id).expect("checked patch");
        match (source, ids.get(&cable.input_module_id)) {
            (Some(source), Some(&to)) => {
                rack.connect(source, to, cable.input_id).map_err(|e| Problem::CannotRender {
                    module: destination.label(),
                    reason: format!("cable {}: {e}", cable.id),
                })?
            }
            (None, Some(_)) => {
                let from = patch.module(cable.output_module_id).expect("checked patch");
                return Err(Problem::CannotRender {
                    module: from.label(),
                    reason: format!(
                        "cable {} carries its output into {}, and {RENDERED}",
                        cable.id,
                        destination.label()
                    ),
                });
            }
            (Some(source), None) => {
                if let Some(rank) = destination.known().filter(KnownModule::is_audio_sink).map(sink_rank) {
                    let position = patch.modules.iter().position(|m| m.id == destination.id).unwrap_or(0);
                    sinks.push((rank * patch.modules.len() + position, cable.input_id, source));
                }
            }
            (None, None) => {}
        }
    }
    let main = main_output(patch, &ids, sinks)?;
    let module =
        patch.modules.iter().find(|m| ids.get(&m.id) == Some(&main.module)).expect("a rendered module");
    let main_label = format!("output {} of {}", main.output, module.label());
    Ok(RenderablePatch { rack, main, main_label, plaits })
}

/// Audio modules first, then recorders.
fn sink_rank(known: KnownModule) -> usize {
    match known {
        KnownModule::Audio { .. } => 0,
        _ => 1,
    }
}

/// Where the patch's sound comes out: the rendered output cabled into the first
/// Audio module's lowest input (else a Recorder's); without such a sink, the one
/// VCA Mix's mix, else the one Plaits' OUT.
fn main_output(
    patch: &VcvPatch,
    ids: &HashMap<i64, ModuleId>,
    mut sinks: Vec<(usize, usize, OutputRef)>,
) -> Result<OutputRef, Problem> {
    sinks.sort_by_key(|(order, input, _)| (*order, *input));
    if let Some((_, _, source)) = sinks.first() {
        return Ok(*source);
    }
    let of_kind = |kind: KnownModule| -> Vec<ModuleId> {
        patch
            .modules
            .iter()
            .filter(|m| m.known() == Some(kind))
            .filter_map(|m| ids.get(&m.id).copied())
            .collect()
    };
    let mixers = of_kind(KnownModule::VcaMix);
    let voices = of_kind(KnownModule::Plaits);
    match (mixers.as_slice(), voices.as_slice()) {
        ([mixer], _) => {
            Ok(OutputRef { module: *mixer, output: rackmatch_engine::rack::vca_mix::output::MIX })
        }
        ([], [voice]) => Ok(OutputRef { module: *voice, output: plaits::output::OUT }),
        _ => Err(Problem::NoMainOutput(format!(
            "nothing is cabled into an Audio or Recorder module, and with {} VCA Mix and {} Plaits modules \
                 the main output is ambiguous",
            mixers.len(),
            voices.len()
        ))),
    }
}

impl RenderablePatch {
    /// "output 0 of module 2 (Fundamental/VCMixer)".
    pub fn main_output_label(&self) -> &str {
        &self.main_label
    }

    /// The main output in the engine's graph.
    pub fn main_output(&self) -> OutputRef {
        self.main
    }

    /// The graph, for inspection.
    pub fn rack(&self) -> &Rack {
        &self.rack
    }

    /// Plugs a 10 V, 5 ms gate at each onset (seconds) into the TRIG input of
    /// every Plaits module whose TRIG has no cable; an error if there is none.
    pub fn trigger(&mut self, onsets: &[f64]) -> Result<(), Problem> {
        let gate = TriggerGate::new(onsets);
        let mut patched = 0;
        for (_, id) in &self.plaits {
            if !self.rack.is_input_connected(*id, plaits::input::TRIGGER) {
                self.rack
                    .drive(*id, plaits::input::TRIGGER, ExternalSource::Gate(gate.clone()))
                    .map_err(|e| Problem::Request(e.to_string()))?;
                patched += 1;
            }
        }
        if patched == 0 {
            return Err(Problem::Request(
                "--trigger needs a Plaits module whose TRIG input has no cable".into(),
            ));
        }
        Ok(())
    }

    /// Renders `frames` frames of the main output in volts, from the power-up
    /// state (LFO phase 0, fresh voices), so equal patches give equal sounds.
    pub fn render(&mut self, frames: usize) -> Vec<f32> {
        let mut volts = vec![0.0; frames];
        self.rack.render(self.main, &mut volts).expect("the main output exists");
        volts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(modules: &str, cables: &str) -> VcvPatch {
        let text = format!(r#"{{"version":"2.4.1","modules":[{modules}],"cables":[{cables}]}}"#);
        VcvPatch::from_json(&serde_json::from_str(&text).unwrap()).unwrap()
    }

    const PLAITS: &str =
        r#"{"id":1,"plugin":"AudibleInstruments","model":"Plaits","version":"2.0.0","data":{"model":0}}"#;
    const MIXER: &str = r#"{"id":2,"plugin":"Fundamental","model":"VCMixer","version":"2.6.0"}"#;
    const AUDIO: &str = r#"{"id":3,"plugin":"Core","model":"AudioInterface2","version":"2.4.1"}"#;

    fn error(modules: &str, cables: &str) -> String {
        build(&patch(modules, cables)).err().expect("an error").to_string()
    }

    #[test]
    fn main_output_is_what_the_audio_module_hears() {
        let p = patch(
            &format!("{PLAITS},{MIXER},{AUDIO}"),
            r#"{"id":1,"outputModuleId":1,"outputId":0,"inputModuleId":2,"inputId":1},
               {"id":2,"outputModuleId":1,"outputId":1,"inputModuleId":3,"inputId":1},
               {"id":3,"outputModuleId":2,"outputId":0,"inputModuleId":3,"inputId":0}"#,
        );
        let built = build(&p).unwrap();
        assert_eq!(built.main_output_label(), "output 0 of module 2 (Fundamental/VCMixer)");
    }

    #[test]
    fn without_a_sink_the_mixer_then_plaits_is_the_main_output() {
        let with_mixer = build(&patch(&format!("{PLAITS},{MIXER}"), "")).unwrap();
        assert_eq!(with_mixer.main_output_label(), "output 0 of module 2 (Fundamental/VCMixer)");
        let alone = build(&patch(PLAITS, "")).unwrap();
        assert_eq!(alone.main_output_label(), "output 0 of module 1 (AudibleInstruments/Plaits)");
        let two = r#"{"id":9,"plugin":"AudibleInstruments","model":"Plaits","data":{"model":0}}"#;
        assert!(error(&format!("{PLAITS},{two}"), "").contains("ambiguous"));
    }

    #[test]
    fn unrenderable_modules_and_cables_are_named() {
        let unknown = r#"{"id":5,"plugin":"Befaco","model":"EvenVCO","version":"2.0.0"}"#;
        let message = error(&format!("{PLAITS},{unknown}"), "");
        assert!(
            message.starts_with("module 5 (Befaco/EvenVCO) cannot be rendered: unknown module"),
            "{message}"
        );
        let bypassed = r#"{"id":2,"plugin":"Fundamental","model":"VCMixer","bypass":true}"#;
        assert!(error(&format!("{PLAITS},{bypassed}"), "")
            .contains("module 2 (Fundamental/VCMixer) cannot be rendered: it is bypassed"));
        let from_audio = error(
            &format!("{PLAITS},{AUDIO}"),
            r#"{"id":4,"outputModuleId":3,"outputId":0,"inputModuleId":1,"inputId":7}"#,
        );
        assert!(
            from_audio.starts_with("module 3 (Core/AudioInterface2) cannot be rendered: cable 4"),
            "{from_audio}"
        );
        let bad_model = r#"{"id":1,"plugin":"AudibleInstruments","model":"Plaits","data":{"model":16}}"#;
        assert!(error(bad_model, "").contains("data.model 16 is not 0 to 15"));
    }

    #[test]
    fn seq3_renders_from_2_0_with_its_saved_state() {
        let v1 = r#"{"id":4,"plugin":"Fundamental","model":"SEQ3","version":"1.4.0"}"#;
        assert!(error(&format!("{PLAITS},{v1}"), "").contains("SEQ3 1.4 is not rendered"));
        let bad = r#"{"id":4,"plugin":"Fundamental","model":"SEQ3","version":"2.6.0","data":{"gates":"x"}}"#;
        assert!(error(&format!("{PLAITS},{bad}"), "").contains("data.gates is not an array"));
        let seq3 = r#"{"id":4,"plugin":"Fundamental","model":"SEQ3","version":"2.6.0",
                       "params":[{"id":0,"value":4.0}],"data":{"running":true,"gates":[0,1,0,0,0,0,0,0]}}"#;
        let mut built = build(&patch(
            &format!("{PLAITS},{seq3}"),
            r#"{"id":1,"outputModuleId":4,"outputId":0,"inputModuleId":1,"inputId":5}"#,
        ))
        .unwrap();
        assert!(built.trigger(&[0.0]).is_err(), "TRIG has the SEQ3's cable");
        assert_eq!(built.render(4800).len(), 4800);
    }

    #[test]
    fn trigger_needs_a_free_trig_input() {
        let mut p = build(&patch(PLAITS, "")).unwrap();
        p.trigger(&[0.0]).unwrap();
        assert!(p.trigger(&[0.0]).unwrap_err().to_string().contains("TRIG"));
    }
}
