//! The model file: a versioned, checksummed container of a network's header
//! (space, feature scaling, sizes, training record) and its weights.
//!
//! Layout: 16-byte magic, format version (u32 LE), FNV-1a checksum of the rest
//! (u64 LE), header length (u32 LE), the header as JSON, then every weight as
//! f32 LE in layer order (weight then bias).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::network::{LayerWeights, Shape, Weights};
use crate::atomic::write_bytes_atomically;
use crate::library::fnv1a;
use crate::space::Space;

/// First bytes of every model file.
pub const MAGIC: &[u8; 16] = b"RACKMATCH-MODEL\0";
/// Current model file format.
pub const MODEL_FORMAT: u32 = 1;

/// How a model was trained, kept for the record and for `rackmatch train`'s report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecord {
    /// Seed of the training library's points.
    pub library_seed: u64,
    /// Points in the training library (validation share included).
    pub library_size: usize,
    /// Seed of weight initialisation and batch order.
    pub seed: u64,
    /// Epochs run.
    pub epochs: usize,
    /// Engine accuracy on held-out points.
    pub validation_engine_accuracy: f64,
    /// Trigger-mode accuracy on held-out points.
    pub validation_mode_accuracy: f64,
    /// RMS error of the true cell's knobs on held-out points, in unit-box units.
    pub validation_knob_rmse: f64,
}

/// Everything about a model except its weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelHeader {
    /// Feature definition version the model reads.
    pub feature_version: u32,
    /// The space it predicts points of.
    pub space: Space,
    /// Network sizes.
    pub shape: Shape,
    /// Mean of each raw feature on the training set.
    pub input_mean: Vec<f32>,
    /// 1 / standard deviation of each raw feature (0 for constant ones).
    pub input_scale: Vec<f32>,
    /// How it was trained.
    pub training: TrainingRecord,
}

/// Why a model file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why (not a `source`, so that messages do not repeat it).
        error: std::io::Error,
    },
    /// Not a rackmatch model at all.
    #[error("{path}: not a rackmatch model file")]
    Foreign {
        /// The file.
        path: PathBuf,
    },
    /// A model file of another format version.
    #[error("{path}: model format {found}, this rackmatch reads format {MODEL_FORMAT}; retrain it with `rackmatch train`")]
    Version {
        /// The file.
        path: PathBuf,
        /// Its format.
        found: u32,
    },
    /// Damaged or inconsistent.
    #[error("{path}: damaged model file: {problem}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

/// The bytes of a model file.
pub fn encode(header: &ModelHeader, weights: &Weights) -> Vec<u8> {
    let json = serde_json::to_vec(header).expect("model header serialises");
    let mut body = Vec::new();
    body.extend_from_slice(&(json.len() as u32).to_le_bytes());
    body.extend_from_slice(&json);
    for layer in &weights.layers {
        for x in layer.weight.iter().chain(&layer.bias) {
            body.extend_from_slice(&x.to_le_bytes());
        }
    }
    let mut bytes = Vec::with_capacity(body.len() + 28);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&MODEL_FORMAT.to_le_bytes());
    bytes.extend_from_slice(&fnv1a(&body).to_le_bytes());
    bytes.extend_from_slice(&body);
    bytes
}

/// Writes a model file atomically.
pub fn write(path: &Path, header: &ModelHeader, weights: &Weights) -> Result<(), ModelError> {
    write_bytes_atomically(path, &encode(header, weights))
        .map_err(|error| ModelError::Io { path: path.to_path_buf(), error })
}

/// Reads a model file.
pub fn read(path: &Path) -> Result<(ModelHeader, Weights), ModelError> {
    let bytes = std::fs::read(path).map_err(|error| ModelError::Io { path: path.to_path_buf(), error })?;
    decode(path, &bytes)
}

/// Parses model file bytes (`path` names them in errors).
pub fn decode(path: &Path, bytes: &[u8]) -> Result<(ModelHeader, Weights), ModelError> {
    let corrupt =
        |problem: &str| ModelError::Corrupt { path: path.to_path_buf(), problem: problem.to_string() };
    if bytes.len() < 28 || &bytes[..16] != MAGIC {
        return Err(ModelError::Foreign { path: path.to_path_buf() });
    }
    let found = u32::from_le_bytes(bytes[16..20].try_into().expect("4 bytes"));
    if found != MODEL_FORMAT {
        return Err(ModelError::Version { path: path.to_path_buf(), found });
    }
    let checksum = u64::from_le_bytes(bytes[20..28].try_into().expect("8 bytes"));
    let body = &bytes[28..];
    if fnv1a(body) != checksum {
        return Err(corrupt("checksum mismatch (truncated or altered)"));
    }
    let json_len = body.get(..4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize);
    let json = json_len.and_then(|n| body.get(4..4 + n)).ok_or_else(|| corrupt("header cut short"))?;
    let header: ModelHeader =
        serde_json::from_slice(json).map_err(|e| corrupt(&format!("unreadable header: {e}")))?;
    let mut floats =
        body[4 + json.len()..].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")));
    let expected: usize = header.shape.layer_sizes().iter().map(|(i, o)| i * o + o).sum();
    if body.len() - 4 - json.len() != expected * 4 {
        return Err(corrupt(&format!("expected {expected} weights for the network's shape")));
    }
    let layers = header
        .shape
        .layer_sizes()
        .iter()
        .map(|&(inputs, outputs)| LayerWeights {
            weight: floats.by_ref().take(inputs * outputs).collect(),
            bias: floats.by_ref().take(outputs).collect(),
        })
        .collect();
    let weights = Weights { layers };
    weights.check(&header.shape).map_err(|p| corrupt(&p))?;
    let dims = header.shape.inputs;
    if header.input_mean.len() != dims || header.input_scale.len() != dims {
        return Err(corrupt("input scaling does not match the network's inputs"));
    }
    if header.shape.engines != header.space.models.len()
        || header.shape.modes != header.space.trigger_modes.len()
        || header.shape.knobs != header.space.knobs.len()
    {
        return Err(corrupt("network shape does not match its space"));
    }
    Ok((header, weights))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_model() -> (ModelHeader, Weights) {
        let shape = Shape { inputs: 90, hidden: 8, embedding: 4, engines: 16, modes: 2, knobs: 6 };
        let header = ModelHeader {
            feature_version: crate::features::FEATURE_VERSION,
            space: Space::default_space(),
            shape: shape.clone(),
            input_mean: vec![0.5; 90],
            input_scale: vec![2.0; 90],
            training: TrainingRecord {
                library_seed: 2,
                library_size: 10,
                seed: 1,
                epochs: 1,
                validation_engine_accuracy: 0.5,
                validation_mode_accuracy: 0.5,
                validation_knob_rmse: 0.2,
            },
        };
        (header, Weights::initial(&shape, 3))
    }

    #[test]
    fn a_model_file_reads_back_what_was_written() {
        let (header, weights) = small_model();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.model");
        write(&path, &header, &weights).unwrap();
        let (h, w) = read(&path).unwrap();
        assert_eq!(h, header);
        assert_eq!(w, weights);
    }

    #[test]
    fn broken_and_foreign_files_are_named_and_explained() {
        let (header, weights) = small_model();
        let bytes = encode(&header, &weights);
        let path = Path::new("x.model");
        let message = |bytes: &[u8]| decode(path, bytes).unwrap_err().to_string();
        assert_eq!(message(b"RIFF....WAVEfmt not a model at all"), "x.model: not a rackmatch model file");
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(message(&flipped).contains("checksum"), "{}", message(&flipped));
        assert!(message(&bytes[..bytes.len() - 4]).contains("checksum"));
        let mut future = bytes.clone();
        future[16..20].copy_from_slice(&(MODEL_FORMAT + 1).to_le_bytes());
        assert!(message(&future).contains("model format 2"), "{}", message(&future));
        let missing = read(Path::new("/nonexistent/m.model")).unwrap_err().to_string();
        assert!(missing.starts_with("/nonexistent/m.model: "), "{missing}");
    }
}
