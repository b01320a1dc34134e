//! `rackmatch bench`: every search method on the same targets at the same
//! render budget, so their MSS can be compared fairly.

mod summary;
mod targets;

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::analysis::phase_surrogate::phase_randomised;
use crate::features::FeatureExtractor;
use crate::index::Index;
use crate::learned::search::{hybrid_search, learned_candidates};
use crate::learned::LearnedModel;
use crate::library::Library;
use crate::match_job::default_budget;
use crate::matching::{
    knn_candidates, random_candidates, search, sort_by_distance, PreparedTarget, ScoredCandidate,
    TRIGGER_LATENCY_SECONDS,
};
use crate::refine::space_ga::genetic_search;
use crate::refine::{Optimizer, MATCH_OPTIMIZER};
use crate::render_params::RenderParams;
use crate::seed_method::SeedMethod;
use crate::space::Space;

pub use summary::{format_categories, format_summary, reference_median, summarise, summarise_by_category};
pub use summary::{CategorySummary, MethodSummary};
pub use targets::{in_domain_targets, targets_from_dir, BenchTarget};

/// Seed of in-domain targets by default: never used for libraries or training.
pub const DEFAULT_TARGET_SEED: u64 = 424_242;
/// Seed of the random-search baseline.
const RANDOM_SEARCH_SEED: u64 = 0x5EA5C4;
/// Seed of the whole-space GA baseline.
const GA_SEARCH_SEED: u64 = 0x6A5EA5;
/// Base seed of the phases of each target's [phase-random reference](TargetOutcome::reference).
const REFERENCE_PHASE_SEED: u64 = 0x9A5E;
/// An onset counts as recovered within this many seconds of the truth.
pub const ONSET_TOLERANCE_SECONDS: f64 = 0.010;

/// A baseline's seed for one target: every target gets its own draw.
fn target_seed(base: u64, target_number: u64) -> u64 {
    base ^ target_number.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Renders each method may spend per target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// The same number for every target.
    Fixed(usize),
    /// What `match` spends on the target by default ([`default_budget`] of its length).
    MatchDefault,
}

impl Budget {
    /// Renders for a target lasting `seconds`.
    pub fn for_target(self, seconds: f64) -> usize {
        match self {
            Self::Fixed(renders) => renders,
            Self::MatchDefault => default_budget(seconds),
        }
    }

    /// How it reads in tables and titles.
    pub fn describe(self) -> String {
        match self {
            Self::Fixed(renders) => format!("{renders} renders/target"),
            Self::MatchDefault => "match's default renders/target".to_string(),
        }
    }
}

/// A search method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// `budget` random points of the space; the best by MSS.
    Random,
    /// The seed experiment's: MFCCs, 2-D PCA, nearest, over 10 random
    /// settings × each engine; renders only its one answer.
    Seed,
    /// A genetic algorithm over the whole space from a random population:
    /// GA-style search alone, no library and no model.
    Ga,
    /// Nearest neighbours in feature space, re-ranked by MSS (with transposition).
    Knn,
    /// k-NN, then CMA-ES on the best few engines.
    KnnCmaes,
    /// k-NN, then a genetic algorithm on the best few engines.
    KnnGa,
    /// The learned model's proposals alone.
    Learned,
    /// The model's proposals plus k-NN candidates, then `match`'s optimiser.
    Hybrid,
}

impl Method {
    /// Every method, in the order `bench` runs and shows them by default.
    pub const ALL: [Method; 8] = [
        Self::Random,
        Self::Seed,
        Self::Ga,
        Self::Knn,
        Self::KnnCmaes,
        Self::KnnGa,
        Self::Learned,
        Self::Hybrid,
    ];

    /// Parses a method name as used on the command line.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "random" => Some(Self::Random),
            "seed" => Some(Self::Seed),
            "ga" => Some(Self::Ga),
            "knn" => Some(Self::Knn),
            "knn+cmaes" => Some(Self::KnnCmaes),
            "knn+ga" => Some(Self::KnnGa),
            "learned" => Some(Self::Learned),
            "hybrid" => Some(Self::Hybrid),
            _ => None,
        }
    }

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Random => "random",
            Self::Seed => "seed",
            Self::Ga => "ga",
            Self::Knn => "knn",
            Self::KnnCmaes => "knn+cmaes",
            Self::KnnGa => "knn+ga",
            Self::Learned => "learned",
            Self::Hybrid => "hybrid",
        }
    }

    /// Whether it needs a learned model.
    pub fn needs_model(self) -> bool {
        matches!(self, Self::Learned | Self::Hybrid)
    }
}

/// What one method achieved on one target.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TargetOutcome {
    /// Target name.
    pub target: String,
    /// The target's category, where it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Method.
    pub method: Method,
    /// MSS of its best candidate.
    pub distance: f64,
    /// MSS of the target's phase-random reference
    /// ([`phase_randomised`]): its own spectrogram with random phases, scaled
    /// like a candidate. The same for every method on a target.
    pub reference: f64,
    /// The best candidate's parameters.
    pub params: RenderParams,
    /// Renders spent.
    pub renders: usize,
    /// Wall time for this target, ms.
    pub milliseconds: f64,
    /// In-domain: the engine is the target's.
    pub engine_recovered: Option<bool>,
    /// In-domain: the note is within 50 cents of the target's.
    pub note_recovered: Option<bool>,
    /// In-domain gesture targets: (true onsets found within 10 ms, true onsets, onsets detected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onsets_recovered: Option<(usize, usize, usize)>,
    /// In-domain: the parameters the target was rendered from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truth: Option<RenderParams>,
}

/// How many of a struck target's true onsets (TRIG times plus the trigger
/// latency) the analysis found within [`ONSET_TOLERANCE_SECONDS`]:
/// (found, true, detected). `None` for drones and single hits at 0 s.
pub fn onset_recovery(truth: &RenderParams, target: &PreparedTarget) -> Option<(usize, usize, usize)> {
    let triggers = truth.trigger.as_ref().filter(|t| t.iter().any(|&t| t > ONSET_TOLERANCE_SECONDS))?;
    let detected = &target.events.onsets;
    let found = triggers
        .iter()
        .filter(|&&t| {
            detected.iter().any(|&d| (d - (t + TRIGGER_LATENCY_SECONDS)).abs() <= ONSET_TOLERANCE_SECONDS)
        })
        .count();
    Some((found, triggers.len(), detected.len()))
}

/// What the methods search besides the main library, built once per benchmark.
pub struct Baselines<'a> {
    /// The seed method's own small library, when the seed method runs.
    pub seed: Option<SeedMethod>,
    /// The learned model, for the methods that [need one](Method::needs_model).
    pub model: Option<&'a LearnedModel>,
}

impl<'a> Baselines<'a> {
    /// Builds what `methods` need over `space`, with the learned model if any.
    pub fn for_methods(methods: &[Method], space: &Space, model: Option<&'a LearnedModel>) -> Self {
        Self { seed: methods.contains(&Method::Seed).then(|| SeedMethod::build(space)), model }
    }
}

/// Runs `method` on a prepared target with a render budget. Methods that
/// [need a model](Method::needs_model) use `model`, which must fit the library's space.
pub fn run_method(
    method: Method,
    target: &PreparedTarget,
    library: &Library,
    index: &Index,
    baselines: &Baselines,
    budget: usize,
    target_number: u64,
) -> (ScoredCandidate, usize) {
    let model = || baselines.model.expect("the caller checks that learned methods have a model");
    let mut candidates = match method {
        Method::Random => random_search(target, &library.manifest.space, budget, target_number),
        Method::Seed => match &baselines.seed {
            Some(seed) => vec![seed.search(target)],
            // Called without prepared baselines: build its library here (its
            // renders are the method's library, like k-NN's, not its budget).
            None => vec![SeedMethod::build(&library.manifest.space).search(target)],
        },
        Method::Ga => genetic_search(
            target,
            &library.manifest.space,
            budget,
            target_seed(GA_SEARCH_SEED, target_number),
        ),
        Method::Knn => knn_candidates(target, library, index, budget),
        Method::KnnCmaes => search(target, library, index, budget, Some(Optimizer::CmaEs), target_number),
        Method::KnnGa => search(target, library, index, budget, Some(Optimizer::Genetic), target_number),
        Method::Learned => {
            let prediction = model().predict(&target.features);
            learned_candidates(target, model(), &prediction, budget, target_number)
        }
        Method::Hybrid => {
            hybrid_search(target, library, index, model(), budget, MATCH_OPTIMIZER, target_number)
        }
    };
    sort_by_distance(&mut candidates);
    let renders = candidates.len();
    (candidates.swap_remove(0), renders)
}

/// `budget` random points of the space, aligned and scored like match candidates.
pub fn random_search(
    target: &PreparedTarget,
    space: &Space,
    budget: usize,
    target_number: u64,
) -> Vec<ScoredCandidate> {
    random_candidates(target, space, budget, target_seed(RANDOM_SEARCH_SEED, target_number))
}

/// Runs every method on every target.
pub fn run(
    targets: &[BenchTarget],
    methods: &[Method],
    library: &Library,
    index: &Index,
    model: Option<&LearnedModel>,
    budget: Budget,
) -> Vec<TargetOutcome> {
    let extractor = FeatureExtractor::new();
    let baselines = Baselines::for_methods(methods, &library.manifest.space, model);
    let bar = crate::render_batch::progress_bar((targets.len() * methods.len()) as u64, "benchmarking");
    let mut outcomes = Vec::new();
    for (number, target) in targets.iter().enumerate() {
        let prepared = PreparedTarget::new(target.samples.clone(), &extractor);
        let renders = budget.for_target(prepared.seconds());
        let reference = prepared
            .distance(&phase_randomised(&prepared.samples, target_seed(REFERENCE_PHASE_SEED, number as u64)));
        for &method in methods {
            let started = Instant::now();
            let (best, renders) =
                run_method(method, &prepared, library, index, &baselines, renders, number as u64);
            let milliseconds = started.elapsed().as_secs_f64() * 1000.0;
            let onsets_recovered = target.truth.as_ref().and_then(|t| onset_recovery(t, &prepared));
            let (engine_recovered, note_recovered) = match &target.truth {
                Some(truth) => (
                    Some(truth.model == best.params.model),
                    Some(((truth.frequency - best.params.frequency) * 1200.0).abs() <= 50.0),
                ),
                None => (None, None),
            };
            outcomes.push(TargetOutcome {
                target: target.name.clone(),
                category: target.category.clone(),
                method,
                distance: best.distance,
                reference,
                params: best.params,
                renders,
                milliseconds,
                engine_recovered,
                note_recovered,
                onsets_recovered,
                truth: target.truth.clone(),
            });
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    outcomes
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use super::*;

    #[test]
    fn every_method_runs_on_a_tiny_set_within_its_budget() {
        let dir = tempfile::tempdir().unwrap();
        let space = Space::default_space();
        crate::library::build(dir.path(), &space, 9, 64, &AtomicBool::new(false)).unwrap();
        let library = crate::library::load(dir.path()).unwrap();
        let index = Index::build(&library.features);
        let model = LearnedModel::builtin().unwrap();
        let targets = in_domain_targets(&space, DEFAULT_TARGET_SEED, 2);
        let methods = [
            Method::Random,
            Method::Ga,
            Method::Knn,
            Method::KnnCmaes,
            Method::KnnGa,
            Method::Learned,
            Method::Hybrid,
        ];
        let budget = 12;
        let outcomes = run(&targets, &methods, &library, &index, Some(&model), Budget::Fixed(budget));
        assert_eq!(outcomes.len(), targets.len() * methods.len());
        for o in &outcomes {
            assert!(o.renders >= 1 && o.renders <= budget, "{:?} spent {}", o.method, o.renders);
            assert!(o.distance.is_finite());
            // One reference per target, whatever the method.
            let first = outcomes.iter().find(|f| f.target == o.target).unwrap();
            assert!(o.reference > 0.0 && o.reference.is_finite() && o.reference == first.reference);
        }
        let summaries = summarise(&outcomes, &methods);
        assert!(summaries.iter().all(|s| s.gap_closed.is_some() == (s.method != Method::Random)));
        assert!(summaries.iter().all(|s| s.targets == 2 && s.engine_recovered.is_some()));
        for name in ["learned", "hybrid"] {
            assert_eq!(Method::parse(name).unwrap().name(), name);
        }
        assert!(
            format_summary(&summaries, reference_median(&outcomes), Budget::Fixed(budget)).contains("hybrid")
        );
        // Draw 15 of the default target seed renders silence: it is skipped.
        let names: Vec<String> =
            in_domain_targets(&space, DEFAULT_TARGET_SEED, 17).into_iter().map(|t| t.name).collect();
        assert_eq!(names.len(), 17);
        assert!(
            !names.contains(&"in-domain-015".to_string()) && names.contains(&"in-domain-017".to_string())
        );
        // By default each target gets what `match` would spend on it.
        let one = run(&targets[..1], &[Method::Random], &library, &index, None, Budget::MatchDefault);
        assert_eq!(one[0].renders, default_budget(targets[0].samples.len() as f64 / 48_000.0));
    }
}
