//! CMA-ES, the covariance matrix adaptation evolution strategy (Hansen's
//! tutorial formulation, default parameters), on the unit box.
//!
//! Ask/tell: the caller evaluates each generation (in parallel if it likes)
//! and reports the fitness back, so the search itself stays deterministic.

// Index loops mirror the matrix formulas they implement.
#![allow(clippy::needless_range_loop)]

use super::linalg::symmetric_eigen;
use crate::rng::SplitMix64;

/// State of one CMA-ES run minimising over `[0, 1]^n`.
pub struct CmaEs {
    n: usize,
    lambda: usize,
    weights: Vec<f64>,
    mu_eff: f64,
    c_sigma: f64,
    d_sigma: f64,
    c_c: f64,
    c_1: f64,
    c_mu: f64,
    chi_n: f64,
    mean: Vec<f64>,
    sigma: f64,
    covariance: Vec<f64>,
    basis: Vec<f64>,
    scales: Vec<f64>,
    path_sigma: Vec<f64>,
    path_c: Vec<f64>,
    generation: usize,
    rng: SplitMix64,
}

/// One generation's candidates, with the steps that made them.
pub struct Generation {
    /// Candidate points in the unit box.
    pub points: Vec<Vec<f64>>,
    steps: Vec<Vec<f64>>,
}

impl CmaEs {
    /// A run from `mean` with per-coordinate initial spreads `spreads` (their
    /// largest becomes σ, the rest shape the starting covariance).
    pub fn new(mean: Vec<f64>, spreads: &[f64], seed: u64) -> Self {
        let n = mean.len();
        let lambda = 4 + (3.0 * (n as f64).ln()).floor() as usize;
        let mu = lambda / 2;
        let raw: Vec<f64> = (0..mu).map(|i| ((mu as f64) + 0.5).ln() - ((i + 1) as f64).ln()).collect();
        let total: f64 = raw.iter().sum();
        let weights: Vec<f64> = raw.iter().map(|w| w / total).collect();
        let mu_eff = 1.0 / weights.iter().map(|w| w * w).sum::<f64>();
        let nf = n as f64;
        let c_sigma = (mu_eff + 2.0) / (nf + mu_eff + 5.0);
        let d_sigma = 1.0 + 2.0 * (((mu_eff - 1.0) / (nf + 1.0)).sqrt() - 1.0).max(0.0) + c_sigma;
        let c_c = (4.0 + mu_eff / nf) / (nf + 4.0 + 2.0 * mu_eff / nf);
        let c_1 = 2.0 / ((nf + 1.3).powi(2) + mu_eff);
        let c_mu = (1.0 - c_1).min(2.0 * (mu_eff - 2.0 + 1.0 / mu_eff) / ((nf + 2.0).powi(2) + mu_eff));
        let chi_n = nf.sqrt() * (1.0 - 1.0 / (4.0 * nf) + 1.0 / (21.0 * nf * nf));
        let sigma = spreads.iter().cloned().fold(1e-6, f64::max);
        let mut covariance = vec![0.0; n * n];
        for i in 0..n {
            covariance[i * n + i] = (spreads[i] / sigma).powi(2).max(1e-12);
        }
        let mut es = Self {
            n,
            lambda,
            weights,
            mu_eff,
            c_sigma,
            d_sigma,
            c_c,
            c_1,
            c_mu,
            chi_n,
            mean,
            sigma,
            covariance,
            basis: Vec::new(),
            scales: Vec::new(),
            path_sigma: vec![0.0; n],
            path_c: vec![0.0; n],
            generation: 0,
            rng: SplitMix64::new(seed),
        };
        es.decompose();
        es
    }

    /// Population size.
    pub fn lambda(&self) -> usize {
        self.lambda
    }

    /// Current mean.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// Current step size.
    pub fn sigma(&self) -> f64 {
        self.sigma
    }

    fn decompose(&mut self) {
        let (values, vectors) = symmetric_eigen(&self.covariance, self.n);
        self.scales = values.iter().map(|v| v.max(1e-20).sqrt()).collect();
        self.basis = vectors;
    }

    /// Samples the next generation; points are clipped into the unit box.
    pub fn ask(&mut self) -> Generation {
        let n = self.n;
        let mut points = Vec::with_capacity(self.lambda);
        let mut steps = Vec::with_capacity(self.lambda);
        for _ in 0..self.lambda {
            let z: Vec<f64> = (0..n).map(|_| self.rng.normal()).collect();
            let y: Vec<f64> =
                (0..n).map(|i| (0..n).map(|k| self.basis[i * n + k] * self.scales[k] * z[k]).sum()).collect();
            let x: Vec<f64> = (0..n).map(|i| (self.mean[i] + self.sigma * y[i]).clamp(0.0, 1.0)).collect();
            // The clipped point is what gets evaluated, so it is what the update learns from.
            let step = (0..n).map(|i| (x[i] - self.mean[i]) / self.sigma).collect();
            points.push(x);
            steps.push(step);
        }
        Generation { points, steps }
    }

    /// Updates the distribution from a generation's fitness (lower is better).
    pub fn tell(&mut self, generation: Generation, fitness: &[f64]) {
        let n = self.n;
        let mut order: Vec<usize> = (0..fitness.len()).collect();
        order.sort_by(|&a, &b| fitness[a].total_cmp(&fitness[b]).then(a.cmp(&b)));
        let mu = self.weights.len();
        let step_mean: Vec<f64> =
            (0..n).map(|i| (0..mu).map(|r| self.weights[r] * generation.steps[order[r]][i]).sum()).collect();
        for i in 0..n {
            self.mean[i] = (self.mean[i] + self.sigma * step_mean[i]).clamp(0.0, 1.0);
        }
        // C^{-1/2} · step_mean = B · D⁻¹ · Bᵀ · step_mean.
        let projected: Vec<f64> = (0..n)
            .map(|k| (0..n).map(|i| self.basis[i * n + k] * step_mean[i]).sum::<f64>() / self.scales[k])
            .collect();
        let whitened: Vec<f64> =
            (0..n).map(|i| (0..n).map(|k| self.basis[i * n + k] * projected[k]).sum()).collect();
        let cs = (self.c_sigma * (2.0 - self.c_sigma) * self.mu_eff).sqrt();
        for i in 0..n {
            self.path_sigma[i] = (1.0 - self.c_sigma) * self.path_sigma[i] + cs * whitened[i];
        }
        let norm = self.path_sigma.iter().map(|p| p * p).sum::<f64>().sqrt();
        self.generation += 1;
        let threshold = (1.4 + 2.0 / (n as f64 + 1.0)) * self.chi_n;
        let h_sigma = norm / (1.0 - (1.0 - self.c_sigma).powi(2 * self.generation as i32)).sqrt() < threshold;
        let cc = (self.c_c * (2.0 - self.c_c) * self.mu_eff).sqrt();
        for i in 0..n {
            self.path_c[i] =
                (1.0 - self.c_c) * self.path_c[i] + if h_sigma { cc * step_mean[i] } else { 0.0 };
        }
        let delta = if h_sigma { 0.0 } else { self.c_c * (2.0 - self.c_c) };
        for i in 0..n {
            for j in 0..n {
                let rank_mu: f64 = (0..mu)
                    .map(|r| self.weights[r] * generation.steps[order[r]][i] * generation.steps[order[r]][j])
                    .sum();
                let c = &mut self.covariance[i * n + j];
                *c = (1.0 - self.c_1 - self.c_mu) * *c
                    + self.c_1 * (self.path_c[i] * self.path_c[j] + delta * *c)
                    + self.c_mu * rank_mu;
            }
        }
        self.sigma *= ((self.c_sigma / self.d_sigma) * (norm / self.chi_n - 1.0)).exp();
        self.sigma = self.sigma.clamp(1e-6, 1.0);
        self.decompose();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimise(
        f: impl Fn(&[f64]) -> f64,
        start: Vec<f64>,
        generations: usize,
        seed: u64,
    ) -> (Vec<f64>, f64) {
        let mut es = CmaEs::new(start.clone(), &vec![0.2; start.len()], seed);
        let mut best = (start.clone(), f(&start));
        for _ in 0..generations {
            let generation = es.ask();
            let fitness: Vec<f64> = generation.points.iter().map(|x| f(x)).collect();
            for (x, &y) in generation.points.iter().zip(&fitness) {
                if y < best.1 {
                    best = (x.clone(), y);
                }
            }
            es.tell(generation, &fitness);
        }
        best
    }

    #[test]
    fn finds_the_minimum_of_an_ill_conditioned_quadratic() {
        let optimum = [0.3, 0.7, 0.55, 0.1, 0.9, 0.42];
        let f = |x: &[f64]| {
            x.iter()
                .zip(&optimum)
                .enumerate()
                .map(|(i, (a, b))| 10f64.powi(i as i32 % 3) * (a - b).powi(2))
                .sum()
        };
        let (x, y) = minimise(f, vec![0.5; 6], 250, 1);
        assert!(y < 1e-8, "{y} at {x:?}");
    }

    #[test]
    fn is_deterministic_for_a_seed() {
        let f = |x: &[f64]| (x[0] - 0.2).powi(2) + (x[1] - 0.8).abs();
        assert_eq!(minimise(f, vec![0.5, 0.5], 20, 9), minimise(f, vec![0.5, 0.5], 20, 9));
        assert_ne!(minimise(f, vec![0.5, 0.5], 20, 9).0, minimise(f, vec![0.5, 0.5], 20, 10).0);
    }

    #[test]
    fn stays_in_the_unit_box() {
        let f = |x: &[f64]| -x.iter().sum::<f64>();
        let (x, _) = minimise(f, vec![0.9; 3], 30, 3);
        assert!(x.iter().all(|v| (0.0..=1.0).contains(v)));
        assert!(x.iter().all(|v| *v > 0.99), "{x:?}");
    }
}
