//! The seed experiment's table: for each encoding and each 2-D reduction, the
//! library patch nearest to the target on that map, next to the patch that
//! is nearest in the full feature space (the one matching would pick). It
//! shows how often a 2-D neighbour is a different patch.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use rackmatch_engine::ENGINES;
use serde::{Deserialize, Serialize};

use crate::audio_in::{load_target, AudioInputError};
use crate::features::FeatureExtractor;
use crate::index::{squared_distance, Index};
use crate::library::{Library, LibraryError};
use crate::match_job::{resolve_library, LibrarySource, MatchError};
use crate::matching::PreparedTarget;
use crate::reduce::encoding::{default_encodings, Encoding, Sound};
use crate::reduce::maps::{compute_maps, MapRequest};
use crate::reduce::{MapSettings, ReduceError, Reduction};

/// Library points kept on every map besides the subsample: the target's nearest in full space.
const KEPT_NEAREST: usize = 10;

/// A library patch in the table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PatchRef {
    /// Library index.
    pub index: usize,
    /// Plaits engine number.
    pub model: u8,
    /// Engine name.
    pub engine: String,
    /// Distance to the target in the full scaled feature space.
    pub full_distance: f32,
}

/// One row: an encoding and a reduction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedRow {
    /// Encoding name.
    pub encoding: String,
    /// The reduction.
    pub reduction: Reduction,
    /// t-SNE: the perplexity actually used (lower than asked on small maps).
    pub perplexity_used: Option<f64>,
    /// The patch nearest to the target on this map.
    pub nearest_2d: Option<PatchRef>,
    /// Whether it is the full-space nearest patch.
    pub same_as_full_space: Option<bool>,
    /// Why there is no map, if there is none.
    pub problem: Option<String>,
}

/// The nearest patch in one encoding's own (unreduced) space.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EncodingNearest {
    /// Encoding name.
    pub encoding: String,
    /// Its nearest patch.
    pub nearest: PatchRef,
}

/// The whole table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedTable {
    /// The target file.
    pub target: PathBuf,
    /// The library directory.
    pub library: PathBuf,
    /// Patches in the library.
    pub library_size: usize,
    /// Library patches on each map.
    pub mapped_points: usize,
    /// The nearest patch in the full feature space.
    pub full_space_nearest: PatchRef,
    /// The nearest patch in each encoding's own space, before reduction.
    pub encoding_nearest: Vec<EncodingNearest>,
    /// One row per encoding × reduction.
    pub rows: Vec<SeedRow>,
}

/// Why there is no table.
#[derive(Debug, thiserror::Error)]
pub enum SeedTableError {
    /// The target could not be used (the same errors as `match`).
    #[error(transparent)]
    Target(#[from] AudioInputError),
    /// The library could not be loaded or built.
    #[error(transparent)]
    Library(#[from] MatchError),
    /// The library is empty.
    #[error("{0}: the library holds no patches")]
    Empty(PathBuf),
    /// Mapping stopped.
    #[error(transparent)]
    Maps(#[from] ReduceError),
    /// An encoding failed.
    #[error("encoding {encoding}: {problem}")]
    Encoding {
        /// The encoding.
        encoding: String,
        /// Why.
        problem: String,
    },
}

impl From<LibraryError> for SeedTableError {
    fn from(error: LibraryError) -> Self {
        Self::Library(MatchError::Library(error))
    }
}

/// Builds the table for `target`. `keep_dir` keeps finished maps so that an
/// interrupted run resumes.
pub fn seed_table(
    target_path: &Path,
    source: &LibrarySource,
    settings: &MapSettings,
    keep_dir: Option<&Path>,
    stop: &AtomicBool,
) -> Result<SeedTable, SeedTableError> {
    let audio = load_target(target_path)?;
    let library = resolve_library(source, stop)?;
    if library.points.is_empty() {
        return Err(SeedTableError::Empty(library.dir.clone()));
    }
    let index = Index::build(&library.features);
    let target = PreparedTarget::new(audio.samples, &FeatureExtractor::new());
    let nearest = index.search(&target.features, KEPT_NEAREST);
    let required: Vec<usize> = nearest.iter().map(|n| n.index).collect();
    let scaled_target = index.scaler().transform(&target.features);
    let patch = |i: usize| patch_ref(&library, &index, &scaled_target, i);
    let encodings = default_encodings(&library.manifest.space);
    let sound = Sound { samples: &target.samples, features: &target.features };
    let mut encoding_nearest = Vec::new();
    for encoding in &encodings {
        let nearest = nearest_in_encoding(encoding.as_ref(), &library, &index, &sound)
            .map_err(|problem| SeedTableError::Encoding { encoding: encoding.name().into(), problem })?;
        encoding_nearest.push(EncodingNearest { encoding: encoding.name().into(), nearest: patch(nearest) });
    }
    let sounds = [("target".to_string(), sound)];
    let request = MapRequest {
        library: &library,
        index: &index,
        sounds: &sounds,
        required: &required,
        settings,
        encodings: &encodings,
        keep_dir,
    };
    let maps = compute_maps(&request, stop)?;
    let full_space_nearest = patch(required[0]);
    let rows = maps
        .cells
        .iter()
        .map(|cell| match &cell.map {
            Ok(map) => {
                let nearest = maps.nearest_library_point(map, 0).map(patch);
                SeedRow {
                    encoding: cell.encoding.clone(),
                    reduction: cell.reduction,
                    perplexity_used: map.perplexity_used,
                    same_as_full_space: nearest.as_ref().map(|n| n.index == full_space_nearest.index),
                    nearest_2d: nearest,
                    problem: None,
                }
            }
            Err(problem) => SeedRow {
                encoding: cell.encoding.clone(),
                reduction: cell.reduction,
                perplexity_used: None,
                nearest_2d: None,
                same_as_full_space: None,
                problem: Some(problem.clone()),
            },
        })
        .collect();
    Ok(SeedTable {
        target: target_path.to_path_buf(),
        library: library.dir.clone(),
        library_size: library.points.len(),
        mapped_points: maps.library_points.len(),
        full_space_nearest,
        encoding_nearest,
        rows,
    })
}

fn patch_ref(library: &Library, index: &Index, scaled_target: &[f32], i: usize) -> PatchRef {
    let model = library.points[i].model;
    PatchRef {
        index: i,
        model,
        engine: ENGINES.get(model as usize).map_or("unknown engine", |e| e.name).to_string(),
        full_distance: squared_distance(scaled_target, index.scaled_row(i)).sqrt(),
    }
}

/// The library point nearest to `sound` in the encoding's own space (ties to the lower index).
fn nearest_in_encoding(
    encoding: &dyn Encoding,
    library: &Library,
    index: &Index,
    sound: &Sound,
) -> Result<usize, String> {
    let query = encoding.encode_sound(index, sound)?;
    let all: Vec<usize> = (0..library.points.len()).collect();
    let vectors = encoding.encode_library(library, index, &all)?;
    vectors
        .iter()
        .enumerate()
        .map(|(i, v)| (squared_distance(&query, v), i))
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
        .map(|(_, i)| i)
        .ok_or_else(|| "no library points".to_string())
}

/// How many maps of each encoding put the full-space nearest patch nearest: `(encoding, agreeing, maps)`.
pub fn agreement(table: &SeedTable) -> Vec<(String, usize, usize)> {
    let mut counts: Vec<(String, usize, usize)> = Vec::new();
    for row in &table.rows {
        if !counts.iter().any(|c| c.0 == row.encoding) {
            counts.push((row.encoding.clone(), 0, 0));
        }
        let entry = counts.iter_mut().find(|c| c.0 == row.encoding).expect("just added");
        entry.2 += 1;
        entry.1 += usize::from(row.same_as_full_space == Some(true));
    }
    counts
}

/// The table as plain text.
pub fn format_seed_table(table: &SeedTable) -> String {
    let describe =
        |p: &PatchRef| format!("#{:<6} {:>2} {:<24} {:>7.3}", p.index, p.model, p.engine, p.full_distance);
    let mut lines = vec![
        format!("target:  {}", table.target.display()),
        format!(
            "library: {} ({} patches, {} on each map)",
            table.library.display(),
            table.library_size,
            table.mapped_points
        ),
        format!("{:<32} {}", "full-space nearest:", describe(&table.full_space_nearest)),
    ];
    for e in &table.encoding_nearest {
        let label = format!("nearest in the {} encoding:", e.encoding);
        lines.push(format!("{label:<32} {}", describe(&e.nearest)));
    }
    lines.push(String::new());
    lines.push(format!(
        "{:<8} {:<24} {:<50} {}",
        "encoding", "reduction", "2-D nearest (index, engine, full-space distance)", "= full-space nearest?"
    ));
    for row in &table.rows {
        let reduction = match (row.reduction, row.perplexity_used) {
            (Reduction::Tsne { perplexity, .. }, Some(used)) if used < perplexity => {
                format!("{} (p{used} used)", row.reduction.label())
            }
            _ => row.reduction.label(),
        };
        let (nearest, same) = match (&row.nearest_2d, row.same_as_full_space, &row.problem) {
            (Some(n), Some(same), _) => (describe(n), if same { "yes" } else { "no" }.to_string()),
            (_, _, Some(problem)) => (format!("no map: {problem}"), "-".to_string()),
            _ => ("-".to_string(), "-".to_string()),
        };
        lines.push(format!("{:<8} {:<24} {:<50} {}", row.encoding, reduction, nearest, same));
    }
    lines.push(String::new());
    for (encoding, agreeing, maps) in agreement(table) {
        lines.push(format!(
            "{encoding}: the 2-D nearest is the full-space nearest on {agreeing} of {maps} maps"
        ));
    }
    lines.join("\n")
}
