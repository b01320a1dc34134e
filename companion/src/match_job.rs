//! `rackmatch match` end to end: load the target, find or build the library,
//! search, re-rank, write the results.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::audio_in::{load_target, AudioInputError, ANALYSIS_RATE};
use crate::features::FeatureExtractor;
use crate::index::Index;
use crate::learned::model_file::ModelError;
use crate::learned::search::hybrid_search;
use crate::learned::LearnedModel;
use crate::library::{self, Library, LibraryError, DEFAULT_SEED, DEFAULT_SIZE};
use crate::match_result::{
    candidate_records, write_result_json, write_wavs, LibraryRecord, MatchResult, TargetAnalysis,
};
use crate::matching::{search, sort_by_distance, PreparedTarget, ScoredCandidate};
use crate::refine::MATCH_OPTIMIZER;
use crate::space::{Space, SpaceError};

/// Where the patches come from.
#[derive(Clone, Debug)]
pub enum LibrarySource {
    /// A library directory built earlier.
    Directory(PathBuf),
    /// A space: its default library in the user's data directory, built if missing.
    Space(Space),
}

/// Everything `match` needs to know.
#[derive(Clone, Debug)]
pub struct MatchJob {
    /// The target recording.
    pub target: PathBuf,
    /// Library to search.
    pub library: LibrarySource,
    /// Number of matches to return.
    pub top_k: usize,
    /// Output directory.
    pub out_dir: PathBuf,
    /// Candidate renders per target (library not counted), or `None` for
    /// [`default_budget`] of the target's length; at least `top_k`.
    pub budget: Option<usize>,
    /// Seed the refinement with the learned model's proposals as well as the
    /// k-NN candidates (the hybrid search; `match`'s default, as it beat k-NN
    /// and refinement alone in the bench: see models/README.md). Without a `model`
    /// file, where the built-in model does not fit the library's space, the
    /// search goes on without a model.
    pub hybrid: bool,
    /// Model file for the hybrid search (it must fit the library's space);
    /// `None` means the built-in model.
    pub model: Option<PathBuf>,
}

/// Why a match failed.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    /// The target could not be used.
    #[error(transparent)]
    Target(#[from] AudioInputError),
    /// The space file is bad.
    #[error(transparent)]
    Space(#[from] SpaceError),
    /// The library could not be loaded or built.
    #[error(transparent)]
    Library(#[from] LibraryError),
    /// The output directory cannot be written (the reason follows as its source).
    #[error("{path}: cannot write the results there")]
    Output {
        /// The directory or file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The model file cannot be used.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The model was trained on another space.
    #[error("{path}: the model was trained on space {model_space:?}, not on the library's space {library_space:?}")]
    ModelSpace {
        /// The model file.
        path: PathBuf,
        /// Its space's name.
        model_space: String,
        /// The library's space's name.
        library_space: String,
    },
    /// A result patch could not be written.
    #[error("{path}: cannot write the patch: {problem}")]
    Patch {
        /// The file.
        path: PathBuf,
        /// Why.
        problem: String,
    },
}

/// Seconds of candidate audio rendered and scored per target by default: on
/// 2 cores this keeps `match` within a few seconds whatever the target's length.
pub const DEFAULT_RENDERED_SECONDS: f64 = 192.0;
/// Bounds of the default budget, in renders.
pub const DEFAULT_BUDGET_RANGE: (usize, usize) = (32, 384);
/// Seed of the refinement's random draws.
pub const REFINE_SEED: u64 = 7;

/// The default render budget for a target of `seconds`: rendering and MSS cost
/// grow with length, so long targets get fewer candidates.
pub fn default_budget(seconds: f64) -> usize {
    let (lo, hi) = DEFAULT_BUDGET_RANGE;
    ((DEFAULT_RENDERED_SECONDS / seconds.max(0.1)) as usize).clamp(lo, hi)
}

/// Default output directory for a target: `./rackmatch-out/<target-name>/`.
pub fn default_out_dir(target: &Path) -> PathBuf {
    let stem =
        target.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "target".into());
    PathBuf::from("rackmatch-out").join(stem)
}

/// Checks that `dir` can be created and written, and removes a stale
/// `result.json` so the directory does not look complete while it is rewritten.
pub fn prepare_out_dir(dir: &Path) -> Result<(), MatchError> {
    let output = |source| MatchError::Output { path: dir.to_path_buf(), source };
    std::fs::create_dir_all(dir).map_err(output)?;
    let probe = dir.join(format!(".rackmatch-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(output)?;
    std::fs::remove_file(&probe).map_err(output)?;
    match std::fs::remove_file(dir.join("result.json")) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(output(e)),
        _ => Ok(()),
    }
}

/// Loads the library a job names, building the default one on first use.
pub fn resolve_library(source: &LibrarySource, stop: &AtomicBool) -> Result<Library, MatchError> {
    match source {
        LibrarySource::Directory(dir) => Ok(library::load(dir)?),
        LibrarySource::Space(space) => {
            let dir = library::default_library_dir(space);
            match library::load(&dir) {
                Ok(lib) => Ok(lib),
                Err(_) => {
                    eprintln!(
                        "rackmatch: building the default library for space {:?} in {} (first use; it is reused afterwards)",
                        space.name,
                        dir.display()
                    );
                    library::build(&dir, space, DEFAULT_SEED, DEFAULT_SIZE, stop)?;
                    Ok(library::load(&dir)?)
                }
            }
        }
    }
}

/// Runs a match and writes its files. `write_patch` writes one `.vcv`.
pub fn run_match(
    job: &MatchJob,
    stop: &AtomicBool,
    write_patch: &dyn Fn(&Path, &crate::render_params::RenderParams, &Space) -> Result<(), String>,
) -> Result<MatchResult, MatchError> {
    let mut timing = BTreeMap::new();
    let started = Instant::now();
    let audio = load_target(&job.target)?;
    prepare_out_dir(&job.out_dir)?;
    timing.insert("load_target".to_string(), ms(started));

    let step = Instant::now();
    let library = resolve_library(&job.library, stop)?;
    let index = Index::build(&library.features);
    timing.insert("load_library".to_string(), ms(step));

    let step = Instant::now();
    let extractor = FeatureExtractor::new();
    debug_assert_eq!(ANALYSIS_RATE, 48_000);
    let target = PreparedTarget::new(audio.samples, &extractor);
    timing.insert("features".to_string(), ms(step));

    let step = Instant::now();
    let budget = job.budget.unwrap_or_else(|| default_budget(target.seconds())).max(job.top_k);
    let model = match (job.hybrid, &job.model) {
        (false, _) => None,
        (true, Some(path)) => Some(match_model(path, &library.manifest.space)?),
        (true, None) => {
            let builtin = LearnedModel::builtin()?;
            builtin.fits(&library.manifest.space).then_some(builtin)
        }
    };
    let (method, mut candidates) = match &model {
        Some(model) => {
            ("hybrid", hybrid_search(&target, &library, &index, model, budget, MATCH_OPTIMIZER, REFINE_SEED))
        }
        None => (
            MATCH_OPTIMIZER.knn_method(),
            search(&target, &library, &index, budget, Some(MATCH_OPTIMIZER), REFINE_SEED),
        ),
    };
    candidates = distinct(candidates, job.top_k);
    timing.insert("search_and_rerank".to_string(), ms(step));

    let space = &library.manifest.space;
    let result = MatchResult {
        target: job.target.clone(),
        sample_rate: 48_000,
        candidates: candidate_records(space, &candidates, &job.out_dir),
        analysis: Some(TargetAnalysis::of(&target, space)),
        library: LibraryRecord {
            dir: library.dir.clone(),
            space: space.name.clone(),
            size: library.points.len(),
            seed: library.manifest.seed,
            feature_version: library.manifest.feature_version,
        },
        method: method.to_string(),
        timing_ms: timing,
    };
    let step = Instant::now();
    write_wavs(&result).map_err(|source| MatchError::Output { path: job.out_dir.clone(), source })?;
    for candidate in &result.candidates {
        write_patch(&candidate.vcv, &candidate.params, space)
            .map_err(|problem| MatchError::Patch { path: candidate.vcv.clone(), problem })?;
    }
    let mut result = result;
    result.timing_ms.insert("write".to_string(), ms(step));
    result.timing_ms.insert("total".to_string(), ms(started));
    write_result_json(&result, &job.out_dir)
        .map_err(|source| MatchError::Output { path: job.out_dir.clone(), source })?;
    Ok(result)
}

/// The model file of a hybrid match, which must fit `space`.
fn match_model(path: &Path, space: &Space) -> Result<LearnedModel, MatchError> {
    let model = LearnedModel::load(path)?;
    if !model.fits(space) {
        return Err(MatchError::ModelSpace {
            path: path.to_path_buf(),
            model_space: model.header().space.name.clone(),
            library_space: space.name.clone(),
        });
    }
    Ok(model)
}

/// The best `top_k` candidates, each the best of its engine and trigger mode,
/// so the list offers real alternatives rather than near-copies of one
/// patch; where a small budget found fewer distinct sounds than `top_k`, the
/// list is filled with the best of the others (no two with the same
/// parameters), closest first.
fn distinct(candidates: Vec<ScoredCandidate>, top_k: usize) -> Vec<ScoredCandidate> {
    let mut seen = std::collections::HashSet::new();
    let (mut chosen, others): (Vec<_>, Vec<_>) =
        candidates.into_iter().partition(|c| seen.insert((c.params.model, c.params.trigger.is_some())));
    for candidate in others {
        if chosen.len() >= top_k {
            break;
        }
        if chosen.iter().all(|c| c.params != candidate.params) {
            chosen.push(candidate);
        }
    }
    sort_by_distance(&mut chosen);
    chosen.truncate(top_k);
    chosen
}

fn ms(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1e5).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render_params::RenderParams;

    fn candidate(model: u32, timbre: f64, distance: f64) -> ScoredCandidate {
        let params = RenderParams { timbre, ..RenderParams::defaults("c", model) };
        ScoredCandidate { params, distance, feature_distance: None, library_index: None, method: "knn" }
    }

    #[test]
    fn the_list_prefers_distinct_engines_and_fills_up_without_copies() {
        let found = vec![
            candidate(3, 0.1, 0.5),
            candidate(3, 0.2, 0.6),
            candidate(3, 0.2, 0.6),
            candidate(5, 0.1, 0.9),
        ];
        let engines =
            |list: &[ScoredCandidate]| list.iter().map(|c| (c.params.model, c.distance)).collect::<Vec<_>>();
        assert_eq!(engines(&distinct(found.clone(), 2)), [(3, 0.5), (5, 0.9)]);
        assert_eq!(engines(&distinct(found.clone(), 3)), [(3, 0.5), (3, 0.6), (5, 0.9)]);
        assert_eq!(engines(&distinct(found, 5)).len(), 3, "the copy of the second is left out");
    }
}
