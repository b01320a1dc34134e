//! The Rack 2 template patch of the live path (`patches/live-template.vcv`):
//! Plaits, a MIDI-Map with the space's CCs on its knobs, VCV's Host-FX for the
//! bridge plugin, and Audio. Built from [`plaits_patch`] so the Plaits and
//! MIDI-Map parts are exactly what `match` writes.

use serde_json::{json, Map};

use super::error::Problem;
use super::model::{Module, VcvPatch};
use super::plaits_patch::{plaits_patch, PlaitsKnob};
use crate::render_params::RenderParams;
use crate::space::Space;

/// Plugin slug of VCV Host (not verified against a running Rack: see README, "Live bridge").
pub const HOST_PLUGIN: &str = "VCV-Host";
/// Module slug of Host-FX, the effect host (not verified, as above).
pub const HOST_MODEL: &str = "HostFX";
/// Version written for it.
pub const HOST_VERSION: &str = "2.0.0";
/// Module id of the Host-FX module in the template.
pub const HOST_ID: i64 = 5;

/// The template for `space`: Plaits at its defaults with model `model`, the
/// space's CC-mapped knobs on a MIDI-Map, Host-FX on the second row.
///
/// Plaits' OUT is cabled straight to Audio so the patch sounds at once; the
/// README says how to put Host-FX between them (its port numbering and saved
/// plugin selection are not public, so the template does not guess them).
pub fn live_template(space: &Space, model: u32) -> Result<VcvPatch, Problem> {
    let midi_map: Vec<(u8, PlaitsKnob)> =
        space.knobs.iter().filter_map(|k| Some((k.cc?, PlaitsKnob::from_field(&k.name)?))).collect();
    let mut patch = plaits_patch(&RenderParams::defaults("template", model), &midi_map)?;
    let mut extra = Map::new();
    extra.insert("pos".into(), json!([0, 1]));
    patch.modules.push(Module {
        id: HOST_ID,
        plugin: HOST_PLUGIN.into(),
        model: HOST_MODEL.into(),
        version: HOST_VERSION.into(),
        params: vec![],
        bypass: false,
        data: None,
        extra,
    });
    patch.check()?;
    Ok(patch)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::vcv::midi_map::midi_mappings;
    use crate::vcv::write::encode_rack2;

    /// The committed template is what this code writes; `RACKMATCH_UPDATE_TEMPLATE=1` rewrites it.
    #[test]
    fn the_committed_template_is_up_to_date() {
        let patch = live_template(&Space::default_space(), 0).unwrap();
        let mappings = midi_mappings(&patch).unwrap();
        assert_eq!(mappings.iter().map(|m| m.cc).collect::<Vec<_>>(), [0, 1, 2, 3, 4, 5]);
        let bytes = encode_rack2(&patch).unwrap();
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../patches/live-template.vcv");
        if std::env::var_os("RACKMATCH_UPDATE_TEMPLATE").is_some() {
            crate::atomic::write_bytes_atomically(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path).expect("patches/live-template.vcv");
        assert!(
            committed == bytes,
            "patches/live-template.vcv is stale: rerun with RACKMATCH_UPDATE_TEMPLATE=1"
        );
        let (_, read_back) = crate::vcv::read::parse_patch(&committed).unwrap();
        assert!(read_back.module(HOST_ID).is_some_and(|m| m.model == HOST_MODEL));
    }
}
