//! A genetic algorithm over the whole space, engine and trigger mode
//! included, from a random population: GA-style search alone, with no
//! library and no model, the baseline the sound-matching literature
//! measures against random search.

use rayon::prelude::*;

use super::genetic::tournament;
use crate::matching::{sort_by_distance, PreparedTarget, ScoredCandidate};
use crate::rng::SplitMix64;
use crate::space::{quantize, Space, SpacePoint};

/// Individuals per generation.
pub const POPULATION: usize = 16;
/// Best individuals kept unchanged into the next generation.
const ELITES: usize = 2;
/// Chance that a child's engine is drawn afresh.
const ENGINE_MUTATION: f64 = 0.1;
/// Chance that a child's trigger mode is drawn afresh.
const MODE_MUTATION: f64 = 0.1;
/// Chance that a knob of a child is perturbed.
const KNOB_MUTATION_RATE: f64 = 0.3;
/// Spread of a knob perturbation, in unit-box coordinates.
const KNOB_MUTATION: f64 = 0.1;

/// One individual: indices into the space's models and trigger modes, and
/// the knobs in unit-box coordinates.
#[derive(Clone, Debug)]
struct Genome {
    model: usize,
    mode: usize,
    knobs: Vec<f64>,
}

/// State of one run over `space`.
pub struct SpaceGenetic<'a> {
    space: &'a Space,
    population: Vec<Genome>,
    fitness: Vec<f64>,
    size: usize,
    rng: SplitMix64,
}

impl<'a> SpaceGenetic<'a> {
    /// A random first generation of `size` (at least 1) points of `space`.
    pub fn new(space: &'a Space, size: usize, seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        let size = size.max(1);
        let population = (0..size).map(|_| random_genome(space, &mut rng)).collect();
        Self { space, population, fitness: Vec::new(), size, rng }
    }

    /// The points to evaluate this generation.
    pub fn ask(&mut self) -> Vec<SpacePoint> {
        if !self.fitness.is_empty() {
            self.population = self.next_generation();
        }
        self.population.iter().map(|g| self.point(g)).collect()
    }

    /// Records the MSS (lower is better) of the first `fitness.len()` points
    /// `ask` returned; a short last generation keeps only those.
    pub fn tell(&mut self, fitness: Vec<f64>) {
        self.population.truncate(fitness.len());
        self.fitness = fitness;
    }

    fn next_generation(&mut self) -> Vec<Genome> {
        let mut order: Vec<usize> = (0..self.population.len()).collect();
        order.sort_by(|&a, &b| self.fitness[a].total_cmp(&self.fitness[b]).then(a.cmp(&b)));
        let mut next: Vec<Genome> = order.iter().take(ELITES).map(|&i| self.population[i].clone()).collect();
        while next.len() < self.size {
            let a = tournament(&self.fitness, &mut self.rng);
            let b = tournament(&self.fitness, &mut self.rng);
            next.push(self.child(a, b));
        }
        next
    }

    /// Engine and mode from one parent; knobs crossed over gene by gene when
    /// both parents share the engine (a knob means something else on another
    /// engine), else the first parent's; then mutation.
    fn child(&mut self, a: usize, b: usize) -> Genome {
        let (first, second) = (&self.population[a], &self.population[b]);
        let same_engine = first.model == second.model;
        let mut knobs: Vec<f64> = first
            .knobs
            .iter()
            .zip(&second.knobs)
            .map(|(&x, &y)| if same_engine && self.rng.next_f64() < 0.5 { y } else { x })
            .collect();
        let (mut model, mut mode) = (first.model, first.mode);
        if self.rng.next_f64() < ENGINE_MUTATION {
            model = self.rng.below(self.space.models.len() as u64) as usize;
        }
        if self.rng.next_f64() < MODE_MUTATION {
            mode = self.rng.below(self.space.trigger_modes.len() as u64) as usize;
        }
        for knob in &mut knobs {
            if self.rng.next_f64() < KNOB_MUTATION_RATE {
                *knob = (*knob + KNOB_MUTATION * self.rng.normal()).clamp(0.0, 1.0);
            }
        }
        Genome { model, mode, knobs }
    }

    fn point(&self, genome: &Genome) -> SpacePoint {
        let knobs = self
            .space
            .knobs
            .iter()
            .zip(&genome.knobs)
            .map(|(k, &u)| quantize(k.min + (k.max - k.min) * u))
            .collect();
        SpacePoint { model: self.space.models[genome.model] as u8, mode: genome.mode as u8, knobs }
    }
}

fn random_genome(space: &Space, rng: &mut SplitMix64) -> Genome {
    Genome {
        model: rng.below(space.models.len() as u64) as usize,
        mode: rng.below(space.trigger_modes.len() as u64) as usize,
        knobs: space.knobs.iter().map(|_| rng.next_f64()).collect(),
    }
}

/// The GA on the target, `budget` renders in all (the last generation cut
/// short to fit); every evaluated candidate, best first.
pub fn genetic_search(
    target: &PreparedTarget,
    space: &Space,
    budget: usize,
    seed: u64,
) -> Vec<ScoredCandidate> {
    let mut ga = SpaceGenetic::new(space, POPULATION.min(budget), seed);
    let mut evaluated = Vec::new();
    while evaluated.len() < budget {
        let mut points = ga.ask();
        points.truncate(budget - evaluated.len());
        let scored: Vec<ScoredCandidate> =
            points.par_iter().map(|point| target.score_point(space, point, "ga")).collect();
        ga.tell(scored.iter().map(|c| c.distance).collect());
        evaluated.extend(scored);
    }
    sort_by_distance(&mut evaluated);
    evaluated
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance of a point to a fixed optimum: engine 5, mode 1, knobs at 0.3.
    fn objective(space: &Space, point: &SpacePoint) -> f64 {
        let engine = if point.model == 5 { 0.0 } else { 1.0 };
        let mode = if point.mode == 1 { 0.0 } else { 0.5 };
        let knobs: f64 = space
            .knobs
            .iter()
            .zip(&point.knobs)
            .map(|(k, &v)| {
                let unit = (v as f64 * crate::space::KNOB_UNIT - k.min) / (k.max - k.min);
                (unit - 0.3).powi(2)
            })
            .sum();
        engine + mode + knobs
    }

    fn run(space: &Space, seed: u64, generations: usize) -> (f64, Vec<SpacePoint>) {
        let mut ga = SpaceGenetic::new(space, POPULATION, seed);
        let mut best = f64::MAX;
        let mut last = Vec::new();
        for _ in 0..generations {
            let points = ga.ask();
            let fitness: Vec<f64> = points.iter().map(|p| objective(space, p)).collect();
            best = fitness.iter().copied().fold(best, f64::min);
            ga.tell(fitness);
            last = points;
        }
        (best, last)
    }

    #[test]
    fn finds_the_engine_mode_and_knobs_of_a_known_optimum_deterministically() {
        let space = Space::default_space();
        let (first_generation, _) = run(&space, 3, 1);
        let (best, last) = run(&space, 3, 60);
        assert!(
            best < 0.02 && best < first_generation * 0.05,
            "best {best}, first generation {first_generation}"
        );
        let (again, last_again) = run(&space, 3, 60);
        assert_eq!(best, again);
        assert_eq!(last, last_again);
    }

    #[test]
    fn a_short_last_generation_keeps_within_the_budget() {
        let space = Space::default_space();
        let mut ga = SpaceGenetic::new(&space, POPULATION, 1);
        let points = ga.ask();
        ga.tell(points.iter().take(5).map(|p| objective(&space, p)).collect());
        assert_eq!(ga.ask().len(), POPULATION);
    }
}
