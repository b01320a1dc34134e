//! Reading `.vcv` files of any Rack version into the typed model.

use std::path::Path;

use super::container::{self, Container};
use super::error::{AtPath, Problem, VcvError};
use super::model::VcvPatch;

/// Reads and checks a `.vcv` file.
pub fn read_patch(path: &Path) -> Result<VcvPatch, VcvError> {
    let bytes = std::fs::read(path).map_err(|e| Problem::Io(format!("cannot read: {e}"))).at(path)?;
    parse_patch(&bytes).map(|(_, patch)| patch).at(path)
}

/// Parses the bytes of a `.vcv` file: which container it was, and the patch.
pub fn parse_patch(bytes: &[u8]) -> Result<(Container, VcvPatch), Problem> {
    let (container, json) = container::unpack(bytes)?;
    // Rack writes no byte-order mark, but tolerate one from other tools.
    let json = json.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&json);
    let value: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| Problem::NotJson(e.to_string()))?;
    Ok((container, VcvPatch::from_json(&value)?))
}
