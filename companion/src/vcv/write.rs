//! Writing Rack 2 `.vcv` files: the upgrade of a Rack 1 patch to Rack 2
//! meanings, then `patch.json` in a zstd tar, written atomically.

use std::path::Path;

use rackmatch_engine::rack::lfo;

use super::catalog::KnownModule;
use super::container;
use super::error::{AtPath, Problem, VcvError};
use super::model::VcvPatch;

/// The Rack version written into patches.
pub const RACK_VERSION: &str = "2.4.1";
/// Plugin versions written for the modules rackmatch renders.
pub const FUNDAMENTAL_VERSION: &str = "2.6.0";
/// Audible Instruments version written for Plaits (same params since 1.1.0).
pub const AUDIBLE_INSTRUMENTS_VERSION: &str = "2.0.0";
/// Core version written for Core modules.
pub const CORE_VERSION: &str = "2.4.1";

/// The patch as Rack 2 would save it after loading it.
///
/// For a Rack 1 patch: the version becomes Rack 2's; modules rackmatch renders
/// get their v2 plugin versions, and the LFO's switches are rewritten so they
/// keep their sound (v1 Invert = 1 meant "not inverted", in v2 it means
/// inverted; v1 switches acted only at exactly 0). Every param value goes
/// through f32, as Rack stores it. Modules rackmatch does not render are kept
/// as they are (Rack 2 migrates those itself on load).
pub fn to_rack2(patch: &VcvPatch) -> VcvPatch {
    let mut upgraded = patch.clone();
    upgraded.version = RACK_VERSION.to_string();
    for module in &mut upgraded.modules {
        let (major, _) = patch.plugin_version(module);
        let known = module.known();
        if major < 2 {
            match known {
                Some(KnownModule::Lfo) => {
                    let v1 = lfo::LfoBehaviour::for_plugin_version(major, 0);
                    let defaults = &lfo::PARAMS_V1;
                    let offset = module
                        .param(lfo::param::OFFSET)
                        .unwrap_or(defaults[lfo::param::OFFSET].default as f64);
                    let invert = module
                        .param(lfo::param::INVERT)
                        .unwrap_or(defaults[lfo::param::INVERT].default as f64);
                    let unipolar = v1.is_unipolar(offset as f32);
                    let inverted = v1.is_inverted(invert as f32);
                    module.set_param(lfo::param::OFFSET, if unipolar { 1.0 } else { 0.0 });
                    module.set_param(lfo::param::INVERT, if inverted { 1.0 } else { 0.0 });
                    module.version = FUNDAMENTAL_VERSION.to_string();
                }
                Some(KnownModule::EightVert | KnownModule::VcaMix) => {
                    module.version = FUNDAMENTAL_VERSION.to_string()
                }
                Some(KnownModule::Plaits) => module.version = AUDIBLE_INSTRUMENTS_VERSION.to_string(),
                _ => {}
            }
        }
        for param in &mut module.params {
            param.value = param.value as f32 as f64;
        }
    }
    upgraded
}

/// The bytes of a Rack 2 `.vcv` for `patch` (upgraded first, see [`to_rack2`]).
pub fn encode_rack2(patch: &VcvPatch) -> Result<Vec<u8>, Problem> {
    let upgraded = to_rack2(patch);
    upgraded.check()?;
    let json = serde_json::to_vec_pretty(&upgraded.to_json()).map_err(|e| Problem::Io(e.to_string()))?;
    container::pack(&json).map_err(|e| Problem::Io(format!("cannot compress: {e}")))
}

/// Writes `patch` as a Rack 2 `.vcv` at `path`, atomically: on any error the
/// file is neither created nor changed.
pub fn write_rack2(path: &Path, patch: &VcvPatch) -> Result<(), VcvError> {
    let bytes = encode_rack2(patch).at(path)?;
    crate::atomic::write_bytes_atomically(path, &bytes)
        .map_err(|e| Problem::Io(format!("cannot write: {e}")))
        .at(path)
}
