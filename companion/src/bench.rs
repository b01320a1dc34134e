//! `rackmatch bench`: every search method on the same targets at the same
//! render budget, so their MSS can be compared fairly.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::audio_in::{is_silent, load_target, AudioInputError};
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
use crate::refine::{Optimizer, MATCH_OPTIMIZER};
use crate::render_batch::render_params;
use crate::render_params::RenderParams;
use crate::rng::SplitMix64;
use crate::seed_method::SeedMethod;
use crate::space::Space;

/// Seed of in-domain targets by default: never used for libraries or training.
pub const DEFAULT_TARGET_SEED: u64 = 424_242;
/// Seed of the random-search baseline.
const RANDOM_SEARCH_SEED: u64 = 0x5EA5C4;

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
    pub const ALL: [Method; 7] =
        [Self::Random, Self::Seed, Self::Knn, Self::KnnCmaes, Self::KnnGa, Self::Learned, Self::Hybrid];

    /// Parses a method name as used on the command line.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "random" => Some(Self::Random),
            "seed" => Some(Self::Seed),
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

/// One target of a benchmark.
pub struct BenchTarget {
    /// File name or in-domain id.
    pub name: String,
    /// Mono 48 kHz samples.
    pub samples: Vec<f32>,
    /// The parameters that made it, for in-domain targets.
    pub truth: Option<RenderParams>,
}

/// Reads every WAV/FLAC file of a directory (sorted by name).
pub fn targets_from_dir(dir: &Path) -> Result<Vec<BenchTarget>, AudioInputError> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| AudioInputError::Read { path: dir.to_path_buf(), source })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("wav" | "flac" | "WAV" | "FLAC")))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let audio = load_target(p)?;
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            Ok(BenchTarget { name, samples: audio.samples, truth: None })
        })
        .collect()
}

/// Salt of the seed that draws in-domain gesture targets' trigger times.
const GESTURE_TIMES_SALT: u64 = 0x0651_7E5E;
/// Most triggers in an in-domain gesture target.
const MAX_GESTURE_TRIGGERS: u64 = 4;
/// An onset counts as recovered within this many seconds of the truth.
pub const ONSET_TOLERANCE_SECONDS: f64 = 0.010;

/// `count` renders of random points of `space` (OUT channel), drawn with `seed`.
/// Points of a mode that follows the target are struck 1 to 4 times at random
/// times (at least 0.15 s apart), as a gesture target would be.
///
/// Silent renders (a string or resonator never struck, say) are skipped:
/// `match` refuses silence as a target, and no sound tells their engine. Each
/// target keeps the number of its draw in its name. Fewer than `count` come
/// back only from a space that is nearly always silent.
pub fn in_domain_targets(space: &Space, seed: u64, count: usize) -> Vec<BenchTarget> {
    (0..count.saturating_mul(100).saturating_add(100))
        .map(|i| {
            // Shuffle the stratified order so a small count still mixes engines.
            let index = SplitMix64::for_item(seed, i as u64).below(1 << 40);
            let point = space.point(seed, index);
            let id = format!("in-domain-{i:03}");
            let params = if space.trigger_modes[point.mode as usize].follow_target {
                let mut rng = SplitMix64::for_item(seed ^ GESTURE_TIMES_SALT, i as u64);
                let hits = 1 + rng.below(MAX_GESTURE_TRIGGERS);
                let mut times = vec![0.02 + 0.1 * rng.next_f64()];
                for _ in 1..hits {
                    let last = times[times.len() - 1];
                    times.push(last + 0.15 + 0.35 * rng.next_f64());
                }
                let times: Vec<f64> = times.iter().map(|t| (t * 1e4).round() / 1e4).collect();
                let seconds = times[times.len() - 1] + space.seconds;
                space.render_params_at(&point, &id, seconds, 0.0, &times)
            } else {
                space.render_params(&point, &id, space.seconds, 0.0)
            };
            let samples = render_params(&params).iter().map(|f| f[0]).collect();
            BenchTarget { name: params.id.clone(), samples, truth: Some(params) }
        })
        .filter(|target| !is_silent(&target.samples))
        .take(count)
        .collect()
}

/// What one method achieved on one target.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TargetOutcome {
    /// Target name.
    pub target: String,
    /// Method.
    pub method: Method,
    /// MSS of its best candidate.
    pub distance: f64,
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
    random_candidates(
        target,
        space,
        budget,
        RANDOM_SEARCH_SEED ^ target_number.wrapping_mul(0x9E37_79B9_7F4A_7C15),
    )
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
                method,
                distance: best.distance,
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

/// Per-method summary.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MethodSummary {
    /// Method.
    pub method: Method,
    /// Number of targets.
    pub targets: usize,
    /// Median MSS of the best candidate.
    pub median_distance: f64,
    /// Mean MSS.
    pub mean_distance: f64,
    /// Fraction of targets where it beats random search (ties count half).
    pub win_rate_vs_random: Option<f64>,
    /// Median time per target, ms.
    pub median_ms: f64,
    /// In-domain engine-recovered rate.
    pub engine_recovered: Option<f64>,
    /// In-domain note-recovered rate (within 50 cents).
    pub note_recovered: Option<f64>,
    /// In-domain gesture targets: share of true onsets found within 10 ms.
    pub onsets_recovered: Option<f64>,
    /// Detected onsets per true onset (above 1: spurious detections).
    pub onsets_detected_per_true: Option<f64>,
}

/// Summaries per method, in the order given.
pub fn summarise(outcomes: &[TargetOutcome], methods: &[Method]) -> Vec<MethodSummary> {
    methods
        .iter()
        .map(|&method| {
            let mine: Vec<&TargetOutcome> = outcomes.iter().filter(|o| o.method == method).collect();
            let mut distances: Vec<f64> = mine.iter().map(|o| o.distance).collect();
            let mut times: Vec<f64> = mine.iter().map(|o| o.milliseconds).collect();
            let random: Vec<&TargetOutcome> =
                outcomes.iter().filter(|o| o.method == Method::Random).collect();
            let win_rate = (!random.is_empty() && method != Method::Random).then(|| {
                let wins: f64 = mine
                    .iter()
                    .filter_map(|o| random.iter().find(|r| r.target == o.target).map(|r| (o, r)))
                    .map(|(o, r)| {
                        if o.distance < r.distance {
                            1.0
                        } else if o.distance == r.distance {
                            0.5
                        } else {
                            0.0
                        }
                    })
                    .sum();
                wins / mine.len().max(1) as f64
            });
            let rate = |f: fn(&TargetOutcome) -> Option<bool>| {
                let known: Vec<bool> = mine.iter().filter_map(|o| f(o)).collect();
                (!known.is_empty()).then(|| known.iter().filter(|&&b| b).count() as f64 / known.len() as f64)
            };
            let onset_counts: Vec<(usize, usize, usize)> =
                mine.iter().filter_map(|o| o.onsets_recovered).collect();
            let true_onsets: usize = onset_counts.iter().map(|c| c.1).sum();
            let onset_share = |pick: fn(&(usize, usize, usize)) -> usize| {
                (true_onsets > 0)
                    .then(|| onset_counts.iter().map(pick).sum::<usize>() as f64 / true_onsets as f64)
            };
            MethodSummary {
                method,
                onsets_recovered: onset_share(|c| c.0),
                onsets_detected_per_true: onset_share(|c| c.2),
                targets: mine.len(),
                median_distance: median(&mut distances),
                mean_distance: distances.iter().sum::<f64>() / distances.len().max(1) as f64,
                win_rate_vs_random: win_rate,
                median_ms: median(&mut times),
                engine_recovered: rate(|o| o.engine_recovered),
                note_recovered: rate(|o| o.note_recovered),
            }
        })
        .collect()
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        0.5 * (values[n / 2 - 1] + values[n / 2])
    }
}

/// The summary as a text table.
pub fn format_summary(summaries: &[MethodSummary], budget: Budget) -> String {
    let mut lines = vec![format!(
        "{:<10} {:>7} {:>10} {:>10} {:>9} {:>9} {:>8} {:>8}   (budget {})",
        "method",
        "targets",
        "median",
        "mean",
        "win/rand",
        "ms/tgt",
        "engine",
        "note",
        budget.describe()
    )];
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{:.0}%", x * 100.0));
    for s in summaries {
        lines.push(format!(
            "{:<10} {:>7} {:>10.4} {:>10.4} {:>9} {:>9.0} {:>8} {:>8}",
            s.method.name(),
            s.targets,
            s.median_distance,
            s.mean_distance,
            pct(s.win_rate_vs_random),
            s.median_ms,
            pct(s.engine_recovered),
            pct(s.note_recovered)
        ));
    }
    if let Some(s) = summaries.iter().find(|s| s.onsets_recovered.is_some()) {
        lines.push(format!(
            "onsets recovered within 10 ms: {}; detected per true onset: {:.2}",
            pct(s.onsets_recovered),
            s.onsets_detected_per_true.unwrap_or(f64::NAN)
        ));
    }
    lines.join("\n")
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
        let methods =
            [Method::Random, Method::Knn, Method::KnnCmaes, Method::KnnGa, Method::Learned, Method::Hybrid];
        let budget = 12;
        let outcomes = run(&targets, &methods, &library, &index, Some(&model), Budget::Fixed(budget));
        assert_eq!(outcomes.len(), targets.len() * methods.len());
        for o in &outcomes {
            assert!(o.renders >= 1 && o.renders <= budget, "{:?} spent {}", o.method, o.renders);
            assert!(o.distance.is_finite());
        }
        let summaries = summarise(&outcomes, &methods);
        assert!(summaries.iter().all(|s| s.targets == 2 && s.engine_recovered.is_some()));
        for name in ["learned", "hybrid"] {
            assert_eq!(Method::parse(name).unwrap().name(), name);
        }
        assert!(format_summary(&summaries, Budget::Fixed(budget)).contains("hybrid"));
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
