//! The typed model of a Rack patch, whatever the Rack version that saved it:
//! modules with their params, cables, and every other key kept verbatim so a
//! user's patch can be written back intact (vcv-rack-format.md §1.3-1.8).

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::catalog::KnownModule;
use super::error::Problem;

/// A whole patch.
#[derive(Clone, Debug, PartialEq)]
pub struct VcvPatch {
    /// The Rack version that saved it, e.g. "1.1.6" or "2.4.1".
    pub version: String,
    /// Modules in file order, which is Rack's processing order.
    pub modules: Vec<Module>,
    /// Cables in file order.
    pub cables: Vec<Cable>,
    /// Other top-level keys (zoom, gridOffset, masterModuleId...), verbatim.
    pub extra: Map<String, Value>,
}

/// One module.
#[derive(Clone, Debug, PartialEq)]
pub struct Module {
    /// Unique id.
    pub id: i64,
    /// Plugin slug.
    pub plugin: String,
    /// Module slug within the plugin.
    pub model: String,
    /// Version of the plugin that saved it ("" if absent).
    pub version: String,
    /// Param values by id, in file order.
    pub params: Vec<Param>,
    /// Bypassed (v1: "disabled").
    pub bypass: bool,
    /// Module-specific state.
    pub data: Option<Value>,
    /// Other keys (pos, leftModuleId...), verbatim.
    pub extra: Map<String, Value>,
}

/// One param value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Param {
    /// Param index in the module's enum order.
    pub id: usize,
    /// Its value.
    pub value: f64,
}

/// One cable, from an output to an input.
#[derive(Clone, Debug, PartialEq)]
pub struct Cable {
    /// Unique id.
    pub id: i64,
    /// Source module id.
    pub output_module_id: i64,
    /// Source output port.
    pub output_id: usize,
    /// Destination module id.
    pub input_module_id: i64,
    /// Destination input port.
    pub input_id: usize,
    /// "#rrggbb", if given.
    pub color: Option<String>,
    /// Other keys, verbatim.
    pub extra: Map<String, Value>,
}

/// An integer from a JSON number (Rack writes ints; a whole float is accepted too).
fn integer(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15).map(|f| f as i64))
}

fn index(value: &Value) -> Option<usize> {
    integer(value).and_then(|i| usize::try_from(i).ok())
}

impl Module {
    /// The module if rackmatch knows it.
    pub fn known(&self) -> Option<KnownModule> {
        KnownModule::find(&self.plugin, &self.model)
    }

    /// `major.minor` of the plugin version, if it parses.
    pub fn plugin_version(&self) -> Option<(u32, u32)> {
        let mut parts = self.version.trim_start_matches('v').split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().map_or(Some(0), |m| m.parse().ok())?;
        Some((major, minor))
    }

    /// The value of param `id`, if the file lists it.
    pub fn param(&self, id: usize) -> Option<f64> {
        self.params.iter().find(|p| p.id == id).map(|p| p.value)
    }

    /// Sets param `id`, adding it if the file did not list it.
    pub fn set_param(&mut self, id: usize, value: f64) {
        match self.params.iter_mut().find(|p| p.id == id) {
            Some(param) => param.value = value,
            None => self.params.push(Param { id, value }),
        }
    }

    /// "module 166 (AudibleInstruments/Plaits)", for messages.
    pub fn label(&self) -> String {
        format!("module {} ({}/{})", self.id, self.plugin, self.model)
    }

    fn from_json(index_in_file: usize, value: &Value) -> Result<Self, Problem> {
        let object = value
            .as_object()
            .ok_or_else(|| Problem::NotAPatch(format!("modules[{index_in_file}] is not an object")))?;
        let text =
            |key: &str| -> Result<String, Problem> {
                object.get(key).and_then(Value::as_str).map(str::to_string).ok_or_else(|| {
                    Problem::NotAPatch(format!("modules[{index_in_file}] has no `{key}` string"))
                })
            };
        let id = match object.get("id") {
            None => index_in_file as i64,
            Some(id) => integer(id).ok_or_else(|| {
                Problem::NotAPatch(format!("modules[{index_in_file}] has a non-integer `id`"))
            })?,
        };
        let mut params = Vec::new();
        if let Some(list) = object.get("params") {
            let list = list
                .as_array()
                .ok_or_else(|| Problem::NotAPatch(format!("module {id}: `params` is not an array")))?;
            for (position, entry) in list.iter().enumerate() {
                let bad =
                    || Problem::NotAPatch(format!("module {id}: params[{position}] is not {{id, value}}"));
                let entry = entry.as_object().ok_or_else(bad)?;
                let param_id = match entry.get("id").or_else(|| entry.get("paramId")) {
                    Some(v) => index(v).ok_or_else(bad)?,
                    None => position,
                };
                // Rack skips entries without a value.
                if let Some(value) = entry.get("value") {
                    params.push(Param { id: param_id, value: value.as_f64().ok_or_else(bad)? });
                }
            }
        }
        let bypass =
            object.get("bypass").or_else(|| object.get("disabled")).and_then(Value::as_bool).unwrap_or(false);
        let extra = object
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "id" | "plugin" | "model" | "version" | "params" | "bypass" | "disabled" | "data"
                )
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(Self {
            id,
            plugin: text("plugin")?,
            model: text("model")?,
            version: object.get("version").and_then(Value::as_str).unwrap_or_default().to_string(),
            params,
            bypass,
            data: object.get("data").cloned(),
            extra,
        })
    }

    /// The module as Rack 2 writes it: id, plugin, model, version, params, then
    /// bypass, data and the kept keys.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("id".into(), json!(self.id));
        object.insert("plugin".into(), json!(self.plugin));
        object.insert("model".into(), json!(self.model));
        object.insert("version".into(), json!(self.version));
        let params: Vec<Value> = self.params.iter().map(|p| json!({"id": p.id, "value": p.value})).collect();
        object.insert("params".into(), Value::Array(params));
        if self.bypass {
            object.insert("bypass".into(), json!(true));
        }
        if let Some(data) = &self.data {
            object.insert("data".into(), data.clone());
        }
        for (key, value) in &self.extra {
            object.insert(key.clone(), value.clone());
        }
        Value::Object(object)
    }
}

impl Cable {
    fn from_json(index_in_file: usize, value: &Value) -> Result<Self, Problem> {
        let bad = |what: &str| Problem::NotAPatch(format!("cables[{index_in_file}] {what}"));
        let object = value.as_object().ok_or_else(|| bad("is not an object"))?;
        let int = |key: &str| {
            object.get(key).and_then(integer).ok_or_else(|| bad(&format!("has no integer `{key}`")))
        };
        let port = |key: &str| {
            object.get(key).and_then(index).ok_or_else(|| bad(&format!("has no port index `{key}`")))
        };
        let id = match object.get("id") {
            None => index_in_file as i64,
            Some(_) => int("id")?,
        };
        let extra = object
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "id" | "outputModuleId" | "outputId" | "inputModuleId" | "inputId" | "color"
                )
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(Self {
            id,
            output_module_id: int("outputModuleId")?,
            output_id: port("outputId")?,
            input_module_id: int("inputModuleId")?,
            input_id: port("inputId")?,
            color: object.get("color").and_then(Value::as_str).map(str::to_string),
            extra,
        })
    }

    /// The cable as Rack 2 writes it.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("id".into(), json!(self.id));
        object.insert("outputModuleId".into(), json!(self.output_module_id));
        object.insert("outputId".into(), json!(self.output_id));
        object.insert("inputModuleId".into(), json!(self.input_module_id));
        object.insert("inputId".into(), json!(self.input_id));
        if let Some(color) = &self.color {
            object.insert("color".into(), json!(color));
        }
        for (key, value) in &self.extra {
            object.insert(key.clone(), value.clone());
        }
        Value::Object(object)
    }
}

impl VcvPatch {
    /// Reads the typed model from a parsed `patch.json`, accepting the older key
    /// names (`wires`, `paramId`, `disabled`), then checks it (see [`Self::check`]).
    pub fn from_json(value: &Value) -> Result<Self, Problem> {
        let object =
            value.as_object().ok_or_else(|| Problem::NotAPatch("the top level is not an object".into()))?;
        let modules = object
            .get("modules")
            .and_then(Value::as_array)
            .ok_or_else(|| Problem::NotAPatch("there is no `modules` array".into()))?;
        let modules =
            modules.iter().enumerate().map(|(i, m)| Module::from_json(i, m)).collect::<Result<_, _>>()?;
        let cables = match object.get("cables").or_else(|| object.get("wires")) {
            None => Vec::new(),
            Some(list) => list
                .as_array()
                .ok_or_else(|| Problem::NotAPatch("`cables` is not an array".into()))?
                .iter()
                .enumerate()
                .map(|(i, c)| Cable::from_json(i, c))
                .collect::<Result<_, _>>()?,
        };
        let version = match object.get("version") {
            None => String::new(),
            Some(v) => {
                v.as_str().ok_or_else(|| Problem::NotAPatch("`version` is not a string".into()))?.to_string()
            }
        };
        let extra = object
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "version" | "modules" | "cables" | "wires"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let patch = Self { version, modules, cables, extra };
        patch.check()?;
        Ok(patch)
    }

    /// The patch as Rack 2 writes `patch.json` (without `path`/`unsaved`, which
    /// Rack rewrites itself).
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("version".into(), json!(self.version));
        for (key, value) in &self.extra {
            if !matches!(key.as_str(), "path" | "unsaved") {
                object.insert(key.clone(), value.clone());
            }
        }
        object.insert("modules".into(), Value::Array(self.modules.iter().map(Module::to_json).collect()));
        object.insert("cables".into(), Value::Array(self.cables.iter().map(Cable::to_json).collect()));
        Value::Object(object)
    }

    /// Major version of the Rack that saved it (1 for "1.1.6"; 0 if unknown).
    pub fn rack_major(&self) -> u32 {
        self.version.split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0)
    }

    /// The module with id `id`.
    pub fn module(&self, id: i64) -> Option<&Module> {
        self.modules.iter().find(|m| m.id == id)
    }

    /// The module with id `id`, to change it.
    pub fn module_mut(&mut self, id: i64) -> Option<&mut Module> {
        self.modules.iter_mut().find(|m| m.id == id)
    }

    /// `major.minor` that sets a module's behaviour: its own plugin version, or
    /// if that is missing, the usual one for the Rack that saved the patch.
    pub fn plugin_version(&self, module: &Module) -> (u32, u32) {
        module.plugin_version().unwrap_or(if self.rack_major() >= 2 { (2, 6) } else { (1, 0) })
    }

    /// What Rack itself refuses or trips on: duplicate ids, cables to missing
    /// modules or ports, two cables into one input, bad MIDI-Map slots.
    pub fn check(&self) -> Result<(), Problem> {
        let mut modules = HashMap::new();
        for module in &self.modules {
            if modules.insert(module.id, module).is_some() {
                return Err(Problem::DuplicateModuleId(module.id));
            }
        }
        let mut cable_ids = HashMap::new();
        let mut inputs: HashMap<(i64, usize), i64> = HashMap::new();
        for cable in &self.cables {
            if cable_ids.insert(cable.id, ()).is_some() {
                return Err(Problem::DuplicateCableId(cable.id));
            }
            for (module_id, port, direction) in [
                (cable.output_module_id, cable.output_id, "output"),
                (cable.input_module_id, cable.input_id, "input"),
            ] {
                let module = modules
                    .get(&module_id)
                    .ok_or(Problem::CableToMissingModule { cable: cable.id, module: module_id })?;
                if let Some(known) = module.known() {
                    let (input_count, output_count) = known.ports(self.plugin_version(module).0);
                    let count = if direction == "input" { input_count } else { output_count };
                    if port >= count {
                        let module = module.label();
                        return Err(Problem::NoSuchPort { cable: cable.id, module, direction, port, count });
                    }
                }
            }
            if let Some(first) = inputs.insert((cable.input_module_id, cable.input_id), cable.id) {
                return Err(Problem::InputTwice {
                    module: modules[&cable.input_module_id].label(),
                    input: cable.input_id,
                    first,
                    second: cable.id,
                });
            }
        }
        super::midi_map::midi_mappings(self).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(text: &str) -> Result<VcvPatch, Problem> {
        VcvPatch::from_json(&serde_json::from_str(text).unwrap())
    }

    #[test]
    fn old_key_names_are_read() {
        let p = patch(
            r#"{"version":"0.6.2","modules":[
                {"plugin":"Fundamental","model":"8vert","params":[{"paramId":1,"value":0.5},{"value":0.25}],"disabled":true},
                {"plugin":"Fundamental","model":"8vert"}],
              "wires":[{"outputModuleId":0,"outputId":0,"inputModuleId":1,"inputId":0}]}"#,
        )
        .unwrap();
        assert_eq!(p.modules[0].id, 0, "missing id: the array index");
        assert_eq!(p.modules[1].id, 1);
        assert_eq!(p.modules[0].params, [Param { id: 1, value: 0.5 }, Param { id: 1, value: 0.25 }]);
        assert!(p.modules[0].bypass);
        assert_eq!(p.cables.len(), 1);
        assert_eq!(p.cables[0].id, 0);
    }

    #[test]
    fn unknown_keys_survive_a_round_trip() {
        let text = r#"{"version":"2.4.1","zoom":1.5,"modules":[{"id":7,"plugin":"X","model":"Y","version":"1.0",
            "params":[],"pos":[3,0],"data":{"k":[1,2]}}],"cables":[]}"#;
        let p = patch(text).unwrap();
        let again = VcvPatch::from_json(&p.to_json()).unwrap();
        assert_eq!(again, p);
        assert_eq!(p.extra["zoom"], json!(1.5));
        assert_eq!(p.modules[0].extra["pos"], json!([3, 0]));
    }

    #[test]
    fn structural_errors_are_named() {
        let cases = [
            (r#"[1,2]"#, "top level is not an object"),
            (r#"{"version":"2.4.1"}"#, "no `modules` array"),
            (r#"{"modules":[{"plugin":"Core"}]}"#, "no `model` string"),
            (
                r#"{"modules":[{"id":1,"plugin":"a","model":"b"},{"id":1,"plugin":"a","model":"c"}]}"#,
                "two modules have id 1",
            ),
            (
                r#"{"modules":[{"id":1,"plugin":"a","model":"b"}],"cables":[{"id":3,"outputModuleId":1,"outputId":0,"inputModuleId":2,"inputId":0}]}"#,
                "cable 3 refers to module 2",
            ),
            (
                r#"{"modules":[{"id":1,"plugin":"Fundamental","model":"8vert"}],"cables":[{"id":3,"outputModuleId":1,"outputId":8,"inputModuleId":1,"inputId":0}]}"#,
                "uses output 8 of module 1 (Fundamental/8vert), which has 8",
            ),
            (
                r#"{"modules":[{"id":1,"plugin":"Fundamental","model":"8vert"}],"cables":[
                {"id":3,"outputModuleId":1,"outputId":0,"inputModuleId":1,"inputId":2},
                {"id":4,"outputModuleId":1,"outputId":1,"inputModuleId":1,"inputId":2}]}"#,
                "input 2 of module 1 (Fundamental/8vert) has two cables (3 and 4)",
            ),
            (r#"{"modules":[],"cables":[{"id":1},{"id":1}]}"#, "has no integer `outputModuleId`"),
        ];
        for (text, expected) in cases {
            let message = patch(text).unwrap_err().to_string();
            assert!(message.contains(expected), "{text}: {message}");
        }
    }

    #[test]
    fn plugin_versions_parse_and_fall_back_to_the_rack_version() {
        let p = patch(r#"{"version":"1.1.6","modules":[{"id":1,"plugin":"a","model":"b","version":"2.6.0"},{"id":2,"plugin":"a","model":"b"}]}"#)
            .unwrap();
        assert_eq!(p.plugin_version(&p.modules[0]), (2, 6));
        assert_eq!(p.plugin_version(&p.modules[1]), (1, 0));
        assert_eq!(p.rack_major(), 1);
    }
}
