//! Searching with the model: its proposals rendered and scored alone
//! ("learned"), or together with k-NN candidates as the starts of refinement
//! ("hybrid").

use rayon::prelude::*;

use super::LearnedModel;
use crate::index::Index;
use crate::library::Library;
use crate::matching::{knn_candidates, search_from, sort_by_distance, PreparedTarget, ScoredCandidate};
use crate::matching::{KNN_SHARE, MIN_KNN_RENDERS};
use crate::refine::Optimizer;

/// The model's `budget` proposals for the target, rendered at its length
/// (onsets aligned) and scored by MSS, best first.
pub fn learned_candidates(
    target: &PreparedTarget,
    model: &LearnedModel,
    budget: usize,
    seed: u64,
) -> Vec<ScoredCandidate> {
    let space = &model.header().space;
    let mut scored: Vec<ScoredCandidate> = model
        .proposals(&target.features, budget, seed)
        .into_par_iter()
        .map(|point| target.score_point(space, &point, "learned"))
        .collect();
    sort_by_distance(&mut scored);
    scored
}

/// The hybrid search, `budget` renders in all: the starting share of the
/// budget (as in [`crate::matching::search`]) is split between the model's
/// proposals and k-NN candidates; the search goes on from the best of both
/// as in [`crate::matching::search_from`], refining with `optimizer`. Every
/// evaluated candidate, best first.
///
/// `model` must fit the library's space.
pub fn hybrid_search(
    target: &PreparedTarget,
    library: &Library,
    index: &Index,
    model: &LearnedModel,
    budget: usize,
    optimizer: Optimizer,
    seed: u64,
) -> Vec<ScoredCandidate> {
    let start_budget = ((budget as f64 * KNN_SHARE) as usize).max(MIN_KNN_RENDERS).min(budget);
    let learned_budget = start_budget / 2;
    let mut starts = knn_candidates(target, library, index, start_budget - learned_budget);
    starts.extend(learned_candidates(target, model, learned_budget, seed));
    sort_by_distance(&mut starts);
    search_from(target, library, starts, budget, optimizer, seed)
}
