//! Coordinate sweeps: each knob in turn tried at evenly spaced values across
//! its whole range, the best kept before the next knob. A k-NN start in a
//! random library is typically a quarter of a knob's range off on every
//! axis, and several engines step through discrete settings (chord types,
//! vowels, banks) that a local optimiser cannot cross; a sweep can.

use rayon::prelude::*;

use crate::matching::{PreparedTarget, ScoredCandidate};
use crate::render_params::RenderParams;
use crate::space::{get_field, quantize, set_field, Knob, Space, KNOB_UNIT};

/// Values tried per knob: a grid step of 1/8 of the range, which the
/// optimiser's spread that follows covers.
pub const SWEEP_POINTS: usize = 8;

/// Whether `knob` can change the sound of `params`: the LPG's knobs do
/// nothing while neither TRIG nor LEVEL is patched (Plaits bypasses it), and
/// FREQ is left to the pitch moves, which place it far more finely.
pub fn sweeps(knob: &Knob, params: &RenderParams) -> bool {
    let lpg_bypassed = params.trigger.is_none() && params.level.is_none();
    knob.name != "frequency" && !(lpg_bypassed && knob.name.starts_with("lpg_")) && knob.max > knob.min
}

/// Sweeps the knobs of `start` that [`sweeps`] allows, in the space's order,
/// with at most `budget` renders; every evaluated candidate, in order. Each
/// knob's values are rendered in parallel; the order of evaluation, and so
/// the result, does not depend on the thread count.
pub fn sweep(
    target: &PreparedTarget,
    space: &Space,
    start: &ScoredCandidate,
    budget: usize,
    method: &'static str,
) -> Vec<ScoredCandidate> {
    let mut best = start.clone();
    let mut evaluated = Vec::new();
    for knob in space.knobs.iter().filter(|k| sweeps(k, &start.params)) {
        if evaluated.len() + SWEEP_POINTS > budget {
            break;
        }
        let current = get_field(&best.params, &knob.name);
        let scored: Vec<ScoredCandidate> = grid(knob)
            .filter(|&value| Some(value) != current)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|value| {
                let mut params = best.params.clone();
                set_field(&mut params, &knob.name, value);
                let (distance, _) = target.score(&params);
                ScoredCandidate { params, distance, feature_distance: None, method, ..best.clone() }
            })
            .collect();
        if let Some(better) = scored
            .iter()
            .filter(|c| c.distance < best.distance)
            .min_by(|a, b| a.distance.total_cmp(&b.distance))
        {
            best = better.clone();
        }
        evaluated.extend(scored);
    }
    evaluated
}

/// The knob's sweep values: cell centres of an even grid, kept to 4 decimals.
fn grid(knob: &Knob) -> impl Iterator<Item = f64> + '_ {
    (0..SWEEP_POINTS).map(move |i| {
        let unit = (i as f64 + 0.5) / SWEEP_POINTS as f64;
        (quantize(knob.min + (knob.max - knob.min) * unit) as f64 * KNOB_UNIT).clamp(knob.min, knob.max)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::rendered_target;

    #[test]
    fn a_sweep_finds_a_knob_far_from_the_start_and_leaves_a_bypassed_lpg_alone() {
        let space = Space::default_space();
        let mut truth = RenderParams::defaults("truth", 0);
        truth.seconds = 0.3;
        truth.timbre = 0.8125;
        truth.harmonics = 0.5625;
        truth.morph = 0.4375;
        let target = rendered_target(&truth);
        let start = target.scored(RenderParams { timbre: 0.0625, ..truth.clone() }, "knn");
        let evaluated = sweep(&target, &space, &start, 64, "test");
        let best = evaluated.iter().min_by(|a, b| a.distance.total_cmp(&b.distance)).unwrap();
        assert_eq!(best.params.timbre, 0.8125, "{:?}", best.params);
        assert!(best.distance < 1e-3 && best.distance < start.distance);
        // A drone: neither FREQ nor the LPG's knobs are swept.
        let swept = space.knobs.iter().filter(|k| sweeps(k, &truth)).count();
        assert_eq!(swept, 3);
        assert!(evaluated.len() <= swept * SWEEP_POINTS);
        assert!(evaluated.iter().all(|c| c.params.lpg_colour == truth.lpg_colour
            && c.params.lpg_decay == truth.lpg_decay
            && c.params.frequency == truth.frequency));
        let struck = RenderParams { trigger: Some(vec![0.0]), ..truth };
        assert_eq!(space.knobs.iter().filter(|k| sweeps(k, &struck)).count(), 5);
    }

    #[test]
    fn a_sweep_keeps_to_its_budget_and_repeats_exactly() {
        let space = Space::default_space();
        let mut params = RenderParams::defaults("x", 3);
        params.seconds = 0.2;
        params.trigger = Some(vec![0.0]);
        let target = rendered_target(&RenderParams { harmonics: 0.9, ..params.clone() });
        let start = target.scored(params, "knn");
        let first = sweep(&target, &space, &start, 20, "test");
        assert_eq!(first.len(), 2 * SWEEP_POINTS, "whole knobs only");
        let again = sweep(&target, &space, &start, 20, "test");
        let key = |c: &ScoredCandidate| (serde_json::to_string(&c.params).unwrap(), c.distance.to_bits());
        assert_eq!(first.iter().map(key).collect::<Vec<_>>(), again.iter().map(key).collect::<Vec<_>>());
    }
}
