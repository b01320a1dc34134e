//! Two-dimensional maps of the sound space: which points, which encodings,
//! which reductions, and the maps themselves.
//!
//! Maps are for seeing only; matching always happens in the full feature space.

pub mod encoding;
pub mod maps;
pub mod pca;
pub mod subsample;
pub mod tsne;

use serde::{Deserialize, Serialize};

/// The seed experiment's t-SNE perplexities (grid rows).
pub const PERPLEXITIES: [f64; 4] = [5.0, 30.0, 50.0, 100.0];
/// The seed experiment's t-SNE iteration counts (grid columns).
pub const ITERATIONS: [usize; 4] = [500, 1000, 2000, 5000];
/// Libraries larger than this are mapped through a stratified subsample.
pub const DEFAULT_MAP_POINTS: usize = 5000;
/// Seed of the subsample and of t-SNE's initial layout.
pub const DEFAULT_MAP_SEED: u64 = 1;

/// One way of turning feature vectors into a 2-D map.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "lowercase")]
pub enum Reduction {
    /// The first two principal components.
    Pca,
    /// Barnes-Hut t-SNE.
    Tsne {
        /// Requested perplexity (lowered for tiny maps, see `Map::perplexity_used`).
        perplexity: f64,
        /// Gradient-descent iterations.
        iterations: usize,
    },
}

impl Reduction {
    /// Short human label, e.g. "PCA" or "t-SNE p30 i1000".
    pub fn label(&self) -> String {
        match self {
            Reduction::Pca => "PCA".to_string(),
            Reduction::Tsne { perplexity, iterations } => format!("t-SNE p{perplexity} i{iterations}"),
        }
    }

    /// File-name-safe label, e.g. "pca" or "tsne-p30-i1000".
    pub fn slug(&self) -> String {
        match self {
            Reduction::Pca => "pca".to_string(),
            Reduction::Tsne { perplexity, iterations } => format!("tsne-p{perplexity}-i{iterations}"),
        }
    }
}

/// What to map and how.
#[derive(Clone, Debug, PartialEq)]
pub struct MapSettings {
    /// t-SNE perplexities (rows of the grid).
    pub perplexities: Vec<f64>,
    /// t-SNE iteration counts (columns of the grid).
    pub iterations: Vec<usize>,
    /// Most library points in a map; larger libraries are subsampled.
    pub max_points: usize,
    /// Seed of the subsample and of t-SNE.
    pub seed: u64,
}

impl Default for MapSettings {
    /// The seed experiment's full 4×4 grid over at most 5,000 points.
    fn default() -> Self {
        Self {
            perplexities: PERPLEXITIES.to_vec(),
            iterations: ITERATIONS.to_vec(),
            max_points: DEFAULT_MAP_POINTS,
            seed: DEFAULT_MAP_SEED,
        }
    }
}

impl MapSettings {
    /// PCA, then every t-SNE cell row by row (perplexity-major).
    pub fn reductions(&self) -> Vec<Reduction> {
        let mut all = vec![Reduction::Pca];
        for &perplexity in &self.perplexities {
            for &iterations in &self.iterations {
                all.push(Reduction::Tsne { perplexity, iterations });
            }
        }
        all
    }
}

/// Why a map could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReduceError {
    /// Too few points for the reduction.
    #[error("{what}: {points} points are too few to map (at least {needed} needed)")]
    TooFewPoints {
        /// The reduction.
        what: String,
        /// Points given.
        points: usize,
        /// Points needed.
        needed: usize,
    },
    /// The reduction itself failed.
    #[error("{what}: {problem}")]
    Failed {
        /// The reduction.
        what: String,
        /// Why.
        problem: String,
    },
    /// Interrupted (Ctrl-C); finished maps are kept in the map directory.
    #[error("interrupted; finished maps are kept, run the same command again to continue")]
    Interrupted,
}
