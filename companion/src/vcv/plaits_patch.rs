//! A Rack 2 patch for a plain Plaits voice: Plaits with its knobs set, an
//! Audio 2 output, and optionally a MIDI-Map whose slots put given CCs on given
//! Plaits knobs (what `rackmatch match` writes for a found sound).

use rackmatch_engine::rack::{eight_vert, plaits};
use serde_json::{json, Map, Value};

use super::error::Problem;
use super::midi_map::MAX_CC;
use super::model::{Cable, Module, Param, VcvPatch};
use super::write::{AUDIBLE_INSTRUMENTS_VERSION, CORE_VERSION, FUNDAMENTAL_VERSION, RACK_VERSION};
use crate::render_params::RenderParams;

/// Module id of the Plaits module in built patches.
pub const PLAITS_ID: i64 = 1;
/// Module id of the Audio 2 module.
pub const AUDIO_ID: i64 = 2;
/// Module id of the MIDI-Map module, when there is one.
pub const MIDI_MAP_ID: i64 = 3;
/// Module id of the 8vert that supplies constant V/OCT and LEVEL voltages.
pub const VOLTAGE_SOURCE_ID: i64 = 4;

/// A Plaits knob a MIDI-Map slot can move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaitsKnob {
    /// FREQ, -4 to 4 octaves.
    Frequency,
    /// HARMONICS.
    Harmonics,
    /// TIMBRE.
    Timbre,
    /// MORPH.
    Morph,
    /// TIMBRE attenuverter.
    TimbreCv,
    /// FM attenuverter.
    FrequencyCv,
    /// MORPH attenuverter.
    MorphCv,
    /// LPG colour.
    LpgColour,
    /// LPG decay.
    LpgDecay,
}

impl PlaitsKnob {
    /// The knob a render-schema field sets (`frequency`, `lpg_colour`, ...), if any.
    pub fn from_field(name: &str) -> Option<Self> {
        Some(match name {
            "frequency" => Self::Frequency,
            "harmonics" => Self::Harmonics,
            "timbre" => Self::Timbre,
            "morph" => Self::Morph,
            "lpg_colour" => Self::LpgColour,
            "lpg_decay" => Self::LpgDecay,
            "timbre_cv" => Self::TimbreCv,
            "freq_cv" => Self::FrequencyCv,
            "morph_cv" => Self::MorphCv,
            _ => return None,
        })
    }

    /// The knob's param id on the module.
    pub fn param_id(self) -> usize {
        match self {
            Self::Frequency => plaits::param::FREQUENCY,
            Self::Harmonics => plaits::param::HARMONICS,
            Self::Timbre => plaits::param::TIMBRE,
            Self::Morph => plaits::param::MORPH,
            Self::TimbreCv => plaits::param::TIMBRE_CV,
            Self::FrequencyCv => plaits::param::FREQUENCY_CV,
            Self::MorphCv => plaits::param::MORPH_CV,
            Self::LpgColour => plaits::param::LPG_COLOUR,
            Self::LpgDecay => plaits::param::LPG_DECAY,
        }
    }
}

/// Largest constant voltage the 8vert source can give.
const SOURCE_VOLTS: f64 = eight_vert::NORMAL_VOLTS as f64;

/// A module object with all the usual fields.
fn module(
    id: i64,
    plugin: &str,
    model: &str,
    version: &str,
    params: Vec<Param>,
    data: Option<Value>,
    x: i64,
) -> Module {
    let mut extra = Map::new();
    extra.insert("pos".into(), json!([x, 0]));
    Module {
        id,
        plugin: plugin.into(),
        model: model.into(),
        version: version.into(),
        params,
        bypass: false,
        data,
        extra,
    }
}

fn cable(id: i64, from: (i64, usize), to: (i64, usize)) -> Cable {
    const COLOURS: [&str; 5] = ["#f3374b", "#ffb437", "#00b56e", "#3695ef", "#8b4ade"];
    Cable {
        id,
        output_module_id: from.0,
        output_id: from.1,
        input_module_id: to.0,
        input_id: to.1,
        color: Some(COLOURS[(id as usize - 1) % COLOURS.len()].into()),
        extra: Map::new(),
    }
}

/// The patch for `params`: Plaits with its model and knobs, OUT into an Audio 2.
///
/// A non-zero `pitch_v` or a `level` becomes an 8vert row (10 V × gain) cabled
/// into V/OCT or LEVEL, as a Rack user would make a constant voltage; like every
/// cable, it reaches Plaits one frame late, so the first 12-frame block plays
/// with 0 V there. Trigger onsets are not stored: a patch has no timeline.
/// `midi_map` lists (CC, knob) slots; each knob may appear once.
pub fn plaits_patch(params: &RenderParams, midi_map: &[(u8, PlaitsKnob)]) -> Result<VcvPatch, Problem> {
    params.validate().map_err(|e| Problem::Request(e.to_string()))?;
    let mut modules = Vec::new();
    let mut x = 0;
    if !midi_map.is_empty() {
        let mut maps = Vec::new();
        for (i, &(cc, knob)) in midi_map.iter().enumerate() {
            if cc > MAX_CC {
                return Err(Problem::Request(format!("CC {cc} is above {MAX_CC}")));
            }
            if midi_map[..i].iter().any(|(_, other)| *other == knob) {
                return Err(Problem::Request(format!("{knob:?} is mapped twice; a param takes one mapping")));
            }
            maps.push(json!({"cc": cc, "moduleId": PLAITS_ID, "paramId": knob.param_id()}));
        }
        // Rack saves one trailing empty slot.
        maps.push(json!({"cc": -1, "moduleId": -1, "paramId": 0}));
        modules.push(module(
            MIDI_MAP_ID,
            "Core",
            "MIDI-Map",
            CORE_VERSION,
            vec![],
            Some(json!({"maps": maps, "smooth": true})),
            x,
        ));
        x += 10;
    }
    let knobs = [
        (plaits::param::FREQUENCY, params.frequency),
        (plaits::param::HARMONICS, params.harmonics),
        (plaits::param::TIMBRE, params.timbre),
        (plaits::param::MORPH, params.morph),
        (plaits::param::TIMBRE_CV, params.timbre_cv),
        (plaits::param::FREQUENCY_CV, params.freq_cv),
        (plaits::param::MORPH_CV, params.morph_cv),
        (plaits::param::LPG_COLOUR, params.lpg_colour),
        (plaits::param::LPG_DECAY, params.lpg_decay),
    ];
    let mut plaits_params = vec![
        Param { id: plaits::param::MODEL_GREEN, value: 0.0 },
        Param { id: plaits::param::MODEL_RED, value: 0.0 },
    ];
    plaits_params.extend(knobs.iter().map(|&(id, value)| Param { id, value: value as f32 as f64 }));
    let data = json!({"lowCpu": false, "model": params.model});
    modules.push(module(
        PLAITS_ID,
        "AudibleInstruments",
        "Plaits",
        AUDIBLE_INSTRUMENTS_VERSION,
        plaits_params,
        Some(data),
        x,
    ));
    x += 12;

    let mut cables = vec![cable(1, (PLAITS_ID, plaits::output::OUT), (AUDIO_ID, 0))];
    let constants: Vec<(usize, f64)> = [
        (plaits::input::VOCT, Some(params.pitch_v).filter(|v| *v != 0.0)),
        (plaits::input::LEVEL, params.level),
    ]
    .into_iter()
    .filter_map(|(input, volts)| volts.map(|v| (input, v)))
    .collect();
    if !constants.is_empty() {
        let mut gains = vec![Param { id: 0, value: 0.0 }; eight_vert::ROWS];
        for (row, (input, volts)) in constants.iter().enumerate() {
            if volts.abs() > SOURCE_VOLTS {
                return Err(Problem::Request(format!(
                    "{volts} V is beyond the ±{SOURCE_VOLTS} V an 8vert row gives"
                )));
            }
            gains[row] = Param { id: row, value: (volts / SOURCE_VOLTS) as f32 as f64 };
            let id = cables.len() as i64 + 1;
            cables.push(cable(id, (VOLTAGE_SOURCE_ID, row), (PLAITS_ID, *input)));
        }
        for (id, gain) in gains.iter_mut().enumerate() {
            gain.id = id;
        }
        modules.push(module(VOLTAGE_SOURCE_ID, "Fundamental", "8vert", FUNDAMENTAL_VERSION, gains, None, x));
        x += 8;
    }
    modules.push(module(
        AUDIO_ID,
        "Core",
        "AudioInterface2",
        CORE_VERSION,
        vec![Param { id: 0, value: 1.0 }],
        Some(json!({"dcFilter": true})),
        x,
    ));
    let patch = VcvPatch { version: RACK_VERSION.into(), modules, cables, extra: Map::new() };
    patch.check()?;
    Ok(patch)
}
