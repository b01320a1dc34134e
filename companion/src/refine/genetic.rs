//! A real-coded genetic algorithm on the unit box: tournament selection,
//! blend crossover, Gaussian mutation, elitism. The baseline CMA-ES is measured
//! against (GA-style refinement is what the literature compares with).

use crate::rng::SplitMix64;

/// Parents kept unchanged into the next generation.
const ELITES: usize = 2;
/// Per-gene mutation spread.
const MUTATION: f64 = 0.05;

/// State of one GA run minimising over `[0, 1]^n`.
pub struct Genetic {
    population: Vec<Vec<f64>>,
    fitness: Vec<f64>,
    size: usize,
    rng: SplitMix64,
}

impl Genetic {
    /// A population of `size` around `start` (spread `spread` per coordinate).
    pub fn new(start: Vec<f64>, spreads: &[f64], size: usize, seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        let mut population = vec![start.clone()];
        while population.len() < size {
            let child =
                start.iter().zip(spreads).map(|(x, s)| (x + s * rng.normal()).clamp(0.0, 1.0)).collect();
            population.push(child);
        }
        Self { population, fitness: Vec::new(), size, rng }
    }

    /// Population size.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The points to evaluate this generation.
    pub fn ask(&mut self) -> Vec<Vec<f64>> {
        if self.fitness.is_empty() {
            return self.population.clone();
        }
        let mut order: Vec<usize> = (0..self.population.len()).collect();
        order.sort_by(|&a, &b| self.fitness[a].total_cmp(&self.fitness[b]).then(a.cmp(&b)));
        let mut next: Vec<Vec<f64>> =
            order.iter().take(ELITES).map(|&i| self.population[i].clone()).collect();
        while next.len() < self.size {
            let a = tournament(&self.fitness, &mut self.rng);
            let b = tournament(&self.fitness, &mut self.rng);
            let child = self.population[a]
                .iter()
                .zip(&self.population[b])
                .map(|(x, y)| {
                    let mix = self.rng.next_f64() * 1.5 - 0.25;
                    let gene = x + mix * (y - x);
                    let mutated =
                        if self.rng.next_f64() < 0.3 { gene + MUTATION * self.rng.normal() } else { gene };
                    mutated.clamp(0.0, 1.0)
                })
                .collect();
            next.push(child);
        }
        next
    }

    /// Records the fitness (lower is better) of the points `ask` returned.
    pub fn tell(&mut self, points: Vec<Vec<f64>>, fitness: Vec<f64>) {
        self.population = points;
        self.fitness = fitness;
    }
}

/// Binary tournament: the fitter (lower) of two individuals drawn at random
/// from a generation with these `fitness` values.
pub fn tournament(fitness: &[f64], rng: &mut SplitMix64) -> usize {
    let n = fitness.len() as u64;
    let a = rng.below(n) as usize;
    let b = rng.below(n) as usize;
    if fitness[a] <= fitness[b] {
        a
    } else {
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn improves_a_known_objective_deterministically() {
        let f = |x: &[f64]| (x[0] - 0.3).powi(2) + (x[1] - 0.8).powi(2) + (x[2] - 0.5).powi(2);
        let run = |seed| {
            let mut ga = Genetic::new(vec![0.9, 0.1, 0.1], &[0.1; 3], 12, seed);
            let mut best = f64::MAX;
            for _ in 0..40 {
                let points = ga.ask();
                let fitness: Vec<f64> = points.iter().map(|x| f(x)).collect();
                best = fitness.iter().cloned().fold(best, f64::min);
                ga.tell(points, fitness);
            }
            best
        };
        let start = f(&[0.9, 0.1, 0.1]);
        assert!(run(4) < start * 0.01, "{} vs {start}", run(4));
        assert_eq!(run(4), run(4));
    }
}
