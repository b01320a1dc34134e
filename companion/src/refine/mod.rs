//! Refinement: local search around the best candidates, optimising the
//! continuous knobs of a few engines (trigger mode kept) for MSS to the target.

pub mod cmaes;
pub mod genetic;
pub mod linalg;
pub mod space_ga;
pub mod sweep;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::matching::{sort_by_distance, PreparedTarget, ScoredCandidate, FAR_DISTANCE};
use crate::render_params::RenderParams;
use crate::space::{get_field, quantize, set_field, Space, KNOB_UNIT};
use cmaes::CmaEs;
use genetic::Genetic;

/// The optimiser `match` refines with: the genetic algorithm, which beat
/// CMA-ES from the same starts on 100 in-domain targets (hybrid median MSS
/// 0.780 against 0.905, 69 wins to 30) and tied it on the example recordings.
pub const MATCH_OPTIMIZER: Optimizer = Optimizer::Genetic;

/// Which optimiser refines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Optimizer {
    /// Covariance matrix adaptation evolution strategy.
    CmaEs,
    /// Real-coded genetic algorithm.
    Genetic,
}

impl Optimizer {
    /// The method recorded for a k-NN search refined by this optimiser.
    pub fn knn_method(self) -> &'static str {
        refined_method("knn", self)
    }

    /// Name recorded in results.
    pub fn method_name(self) -> &'static str {
        match self {
            Self::CmaEs => "cmaes",
            Self::Genetic => "ga",
        }
    }
}

/// Initial spread of each knob in unit-box coordinates (0.02–0.035 did best
/// in the in-domain bench; wider spreads waste the budget far from the start).
const SPREAD: f64 = 0.035;
/// Initial spread from a far start: the optimum is rarely next to it, so a
/// wider search pays (six example recordings, budget 64: median MSS 1.98 →
/// 1.94; lark 3.64 → 3.19, gong 2.78 → 2.58), while in-domain results are
/// unchanged (median 1.089 over 100 targets at 192 renders).
const FAR_SPREAD: f64 = 0.15;
/// Initial spread of FREQ when the start already sits on the target's pitch (≈ 1 semitone).
const PITCHED_SPREAD: f64 = 0.01;
/// Mixed into the seed of a second start's optimiser run.
const SECOND_START_SEED: u64 = 0x5EC0;
/// GA population size.
const GA_POPULATION: usize = 12;
/// Most of the refinement budget spent sweeping knobs before the optimiser
/// runs (a sweep of all five knobs fits in it from about 100 renders; 0.6
/// gave identical in-domain results).
const SWEEP_SHARE: f64 = 0.4;

/// Refines the best of `candidates` (sorted, best first): its knobs are
/// swept, then the optimiser runs once from the best point found, `budget`
/// renders in all; returns every evaluated candidate, best first.
///
/// Where `preferred_model` (an engine a learned model is confident of) is not
/// the best start's engine, the best candidate of that engine is refined too,
/// with half the budget, and MSS decides between them: a start of the wrong
/// engine often leads on MSS until the right one is refined.
///
/// One start only: sweeping the best two or three engine/trigger-mode pairs,
/// the budget shared, did worse (100 in-domain targets at 192 renders: median
/// MSS 1.04 against 0.98) and no better on the example recordings, and one
/// optimiser run likewise beat two or three split ones.
pub fn refine(
    target: &PreparedTarget,
    space: &Space,
    candidates: &[ScoredCandidate],
    budget: usize,
    optimizer: Optimizer,
    seed: u64,
    preferred_model: Option<u32>,
) -> Vec<ScoredCandidate> {
    let Some(start) = candidates.first() else {
        return Vec::new();
    };
    if let Some(model) = preferred_model.filter(|&m| m != start.params.model) {
        if let Some(second) = candidates.iter().find(|c| c.params.model == model) {
            let half = budget / 2;
            let mut results = refine_start(target, space, start, budget - half, optimizer, seed);
            results.extend(refine_start(target, space, second, half, optimizer, seed ^ SECOND_START_SEED));
            sort_by_distance(&mut results);
            return results;
        }
    }
    refine_start(target, space, start, budget, optimizer, seed)
}

/// Sweep then optimiser from one start, `budget` renders in all.
fn refine_start(
    target: &PreparedTarget,
    space: &Space,
    start: &ScoredCandidate,
    budget: usize,
    optimizer: Optimizer,
    seed: u64,
) -> Vec<ScoredCandidate> {
    let method = refined_method(start.method, optimizer);
    let mut results = sweep::sweep(target, space, start, (budget as f64 * SWEEP_SHARE) as usize, method);
    let swept = results
        .iter()
        .filter(|c| c.distance < start.distance)
        .min_by(|a, b| a.distance.total_cmp(&b.distance));
    // Keeps how the start was found: a transposed start keeps its narrow FREQ spread.
    let best = ScoredCandidate { method: start.method, ..swept.unwrap_or(start).clone() };
    let remaining = budget.saturating_sub(results.len());
    results.extend(optimise(target, space, &best, remaining, optimizer, method, seed));
    sort_by_distance(&mut results);
    results
}

/// The method recorded for refined candidates.
fn refined_method(start_method: &str, optimizer: Optimizer) -> &'static str {
    match (start_method, optimizer) {
        ("learned", Optimizer::CmaEs) => "learned+cmaes",
        ("learned", Optimizer::Genetic) => "learned+ga",
        (_, Optimizer::CmaEs) => "knn+cmaes",
        (_, Optimizer::Genetic) => "knn+ga",
    }
}

/// One optimiser run from `start` with `budget` renders.
fn optimise(
    target: &PreparedTarget,
    space: &Space,
    start: &ScoredCandidate,
    budget: usize,
    optimizer: Optimizer,
    method: &'static str,
    seed: u64,
) -> Vec<ScoredCandidate> {
    let knobs = &space.knobs;
    let unit: Vec<f64> = knobs
        .iter()
        .map(|k| {
            let v = get_field(&start.params, &k.name).unwrap_or(k.min);
            if k.max > k.min {
                ((v - k.min) / (k.max - k.min)).clamp(0.0, 1.0)
            } else {
                0.0
            }
        })
        .collect();
    let pitched = start.method.contains("transpose");
    let spreads: Vec<f64> = knobs
        .iter()
        .map(|k| {
            if pitched && k.name == "frequency" {
                PITCHED_SPREAD
            } else if start.distance >= FAR_DISTANCE {
                FAR_SPREAD
            } else {
                SPREAD
            }
        })
        .collect();
    let evaluate = |points: &[Vec<f64>]| -> Vec<ScoredCandidate> {
        points
            .par_iter()
            .map(|u| {
                let params = params_at(space, &start.params, u);
                let (distance, _) = target.score(&params);
                ScoredCandidate {
                    params,
                    distance,
                    feature_distance: None,
                    library_index: start.library_index,
                    method,
                }
            })
            .collect()
    };
    let mut evaluated = Vec::new();
    match optimizer {
        Optimizer::CmaEs => {
            let mut es = CmaEs::new(unit, &spreads, seed);
            while evaluated.len() + es.lambda() <= budget {
                let generation = es.ask();
                let scored = evaluate(&generation.points);
                let fitness: Vec<f64> = scored.iter().map(|c| c.distance).collect();
                es.tell(generation, &fitness);
                evaluated.extend(scored);
            }
        }
        Optimizer::Genetic => {
            let mut ga = Genetic::new(unit, &spreads, GA_POPULATION, seed);
            while evaluated.len() + ga.size() <= budget {
                let points = ga.ask();
                let scored = evaluate(&points);
                let fitness: Vec<f64> = scored.iter().map(|c| c.distance).collect();
                ga.tell(points, fitness);
                evaluated.extend(scored);
            }
        }
    }
    evaluated
}

/// `base` with the space's knobs set from unit-box coordinates (kept to 4 decimals).
pub fn params_at(space: &Space, base: &RenderParams, unit: &[f64]) -> RenderParams {
    let mut params = base.clone();
    for (knob, &u) in space.knobs.iter().zip(unit) {
        let value = quantize(knob.min + (knob.max - knob.min) * u) as f64 * KNOB_UNIT;
        set_field(&mut params, &knob.name, value.clamp(knob.min, knob.max));
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::rendered_target;

    #[test]
    fn a_preferred_engine_behind_the_best_start_is_refined_too() {
        let space = Space::default_space();
        let mut truth = RenderParams::defaults("truth", 4);
        truth.seconds = 0.25;
        truth.harmonics = 0.3;
        let target = rendered_target(&truth);
        let right = target.scored(RenderParams { harmonics: 0.8, timbre: 0.1, ..truth.clone() }, "knn");
        // Put the other engine first, as if it led on MSS.
        let wrong = ScoredCandidate {
            distance: 0.0,
            ..target.scored(RenderParams { model: 0, ..truth.clone() }, "knn")
        };
        let candidates = [wrong.clone(), right.clone()];
        let key = |c: &ScoredCandidate| (serde_json::to_string(&c.params).unwrap(), c.distance.to_bits());
        let run = |preferred: Option<u32>| {
            refine(&target, &space, &candidates, 40, Optimizer::Genetic, 3, preferred)
        };

        let alone = run(None);
        assert!(!alone.is_empty() && alone.len() <= 40);
        assert!(alone.iter().all(|c| c.params.model == 0));

        let both = run(Some(4));
        assert!(both.len() <= 40);
        let refined_right: Vec<&ScoredCandidate> = both.iter().filter(|c| c.params.model == 4).collect();
        assert!(!refined_right.is_empty() && both.iter().any(|c| c.params.model == 0));
        assert!(
            refined_right[0].distance < right.distance,
            "{} vs {}",
            refined_right[0].distance,
            right.distance
        );
        assert!(both.windows(2).all(|w| w[0].distance <= w[1].distance));
        assert_eq!(
            both.iter().map(key).collect::<Vec<_>>(),
            run(Some(4)).iter().map(key).collect::<Vec<_>>()
        );

        // The start's own engine, or one with no candidate, changes nothing.
        for preferred in [Some(0), Some(9)] {
            assert_eq!(
                run(preferred).iter().map(key).collect::<Vec<_>>(),
                alone.iter().map(key).collect::<Vec<_>>()
            );
        }
    }
}
