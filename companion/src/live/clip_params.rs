//! What one sweep point is live: the CC values that set a space point's knobs
//! through the template patch's MIDI-Map, the knob values those CCs really give
//! (Rack's f32 law), and the tag's `params` text, both ways.

use std::collections::BTreeMap;

use rackmatch_engine::rack::plaits;

use crate::render_params::RenderParams;
use crate::space::{quantize, set_field, Space, SpacePoint};
use crate::vcv::midi_map::cc_to_value;
use crate::vcv::plaits_patch::PlaitsKnob;

/// A point as the live path plays it.
#[derive(Clone, Debug, PartialEq)]
pub struct LivePoint {
    /// Index of the point in the space for the sweep's seed.
    pub index: u64,
    /// Plaits model.
    pub model: u32,
    /// Trigger-mode index in the space.
    pub mode: u8,
    /// CC number → value sent.
    pub ccs: BTreeMap<u8, u8>,
    /// Knob name → the value the CC gives, in the space's knob order.
    pub knobs: Vec<(String, f64)>,
}

/// The value a CC gives a Plaits knob field, as MIDI-Map computes it (f32).
pub fn knob_value(field: &str, cc_value: u8) -> Option<f64> {
    let knob = PlaitsKnob::from_field(field)?;
    Some(f64::from(cc_to_value(&plaits::PARAMS[knob.param_id()], cc_value)))
}

/// Checks that every varying knob of `space` is a Plaits knob with a CC, as the live path needs.
pub fn check_live_space(space: &Space) -> Result<(), String> {
    for knob in &space.knobs {
        if knob.cc.is_none() || PlaitsKnob::from_field(&knob.name).is_none() {
            return Err(format!(
                "knob {:?} has no CC on a Plaits knob, so a running Rack cannot be set to it; give it a `cc` or fix it in [fixed]",
                knob.name
            ));
        }
    }
    Ok(())
}

/// The live version of space point `index`: its CCs and the knob values they give.
pub fn live_point(space: &Space, seed: u64, index: u64) -> LivePoint {
    let point = space.point(seed, index);
    let params = space.render_params(&point, "live", space.seconds, 0.0);
    let ccs = space.cc_values(&params);
    let knobs = space
        .knobs
        .iter()
        .filter_map(|k| Some((k.name.clone(), knob_value(&k.name, *ccs.get(&k.cc?)?)?)))
        .collect();
    LivePoint { index, model: u32::from(point.model), mode: point.mode, ccs, knobs }
}

/// Render parameters for a live point (`seconds` long, trigger as its mode says).
pub fn render_params(space: &Space, point: &LivePoint, id: &str, seconds: f64) -> RenderParams {
    let mut params = RenderParams::defaults(id, point.model);
    params.seconds = seconds;
    for (name, &value) in &space.fixed {
        set_field(&mut params, name, value);
    }
    for (name, value) in &point.knobs {
        set_field(&mut params, name, *value);
    }
    params.trigger = space.trigger_modes.get(point.mode as usize).and_then(|m| m.onsets.clone());
    params
}

/// The library point nearest to a live point (knob values kept to 4 decimals).
pub fn space_point(point: &LivePoint) -> SpacePoint {
    SpacePoint {
        model: point.model as u8,
        mode: point.mode,
        knobs: point.knobs.iter().map(|(_, v)| quantize(*v)).collect(),
    }
}

/// The tag's `params`: `index`, `model`, `mode` and every knob value (shortest exact decimal).
pub fn tag_params(point: &LivePoint) -> BTreeMap<String, String> {
    let mut params = BTreeMap::from([
        ("index".to_string(), point.index.to_string()),
        ("model".to_string(), point.model.to_string()),
        ("mode".to_string(), point.mode.to_string()),
    ]);
    params.extend(point.knobs.iter().map(|(k, v)| (k.clone(), v.to_string())));
    params
}

/// Reads a clip's params and CCs back into a live point of `space`.
pub fn parse_tag_params(
    space: &Space,
    params: &BTreeMap<String, String>,
    ccs: &BTreeMap<String, u8>,
) -> Result<LivePoint, String> {
    let field = |name: &str| params.get(name).ok_or_else(|| format!("params lack {name:?}"));
    let number = |name: &str| -> Result<f64, String> {
        field(name)?
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("params: {name} is not a number"))
    };
    let index = field("index")?.parse().map_err(|_| "params: index is not a number".to_string())?;
    let model: u32 = field("model")?.parse().map_err(|_| "params: model is not a number".to_string())?;
    let mode: u8 = field("mode")?.parse().map_err(|_| "params: mode is not a number".to_string())?;
    if !space.models.contains(&model) || mode as usize >= space.trigger_modes.len() {
        return Err(format!("model {model} / mode {mode} is not in space {:?}", space.name));
    }
    let knobs =
        space.knobs.iter().map(|k| Ok((k.name.clone(), number(&k.name)?))).collect::<Result<_, String>>()?;
    let ccs = ccs
        .iter()
        .map(|(cc, v)| Ok((cc.parse::<u8>().map_err(|_| format!("ccs: {cc:?} is not a CC number"))?, *v)))
        .collect::<Result<_, String>>()?;
    Ok(LivePoint { index, model, mode, ccs, knobs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_point_round_trips_through_its_tag_and_follows_the_cc_law() {
        let space = Space::default_space();
        check_live_space(&space).unwrap();
        let point = live_point(&space, 7, 21);
        assert_eq!(point.ccs.len(), 6);
        let frequency_cc = point.ccs[&0];
        assert_eq!(point.knobs[0].1, f64::from(-4.0f32 + (frequency_cc as f32 / 127.0) * 8.0f32));
        let ccs = point.ccs.iter().map(|(c, v)| (c.to_string(), *v)).collect();
        assert_eq!(parse_tag_params(&space, &tag_params(&point), &ccs).unwrap(), point);
        let params = render_params(&space, &point, "x", 0.5);
        params.validate().unwrap();
        assert_eq!(params.frequency, point.knobs[0].1);
        assert_eq!(knob_value("pitch_v", 3), None);
    }

    #[test]
    fn spaces_with_unmapped_knobs_are_refused_for_live_use() {
        let mut space = Space::default_space();
        space.knobs[2].cc = None;
        assert!(check_live_space(&space).unwrap_err().contains("timbre"));
    }
}
