//! Which library points a map shows: all of them, or for large libraries a
//! subsample stratified over engines that always keeps the points that matter.

use std::collections::BTreeSet;

use crate::rng::SplitMix64;

/// At most `max` indices of `models` (one engine number per library point),
/// sorted. Every engine keeps its share of the library (largest remainder),
/// the points in `required` are always kept, and the rest are drawn at random
/// from `seed`. With `models.len() <= max` every point is kept.
pub fn stratified_subsample(models: &[u8], max: usize, required: &[usize], seed: u64) -> Vec<usize> {
    let n = models.len();
    if n <= max {
        return (0..n).collect();
    }
    let required: BTreeSet<usize> = required.iter().copied().filter(|&i| i < n).collect();
    let mut strata: Vec<Vec<usize>> = vec![Vec::new(); 256];
    for (i, &model) in models.iter().enumerate() {
        if !required.contains(&i) {
            strata[model as usize].push(i);
        }
    }
    let budget = max.saturating_sub(required.len());
    let optional = n - required.len();
    let quotas = largest_remainder(&strata.iter().map(Vec::len).collect::<Vec<_>>(), budget, optional);
    let mut chosen: Vec<usize> = required.into_iter().collect();
    for (model, (stratum, quota)) in strata.iter_mut().zip(quotas).enumerate() {
        // A partial Fisher-Yates shuffle: the first `quota` entries are a uniform draw.
        let mut rng = SplitMix64::for_item(seed, model as u64);
        for k in 0..quota {
            let j = k + rng.below((stratum.len() - k) as u64) as usize;
            stratum.swap(k, j);
        }
        chosen.extend_from_slice(&stratum[..quota]);
    }
    chosen.sort_unstable();
    chosen
}

/// Splits `budget` over strata of sizes `sizes` (summing to `total`) in
/// proportion to their sizes, rounding by largest remainder (ties: lower stratum).
fn largest_remainder(sizes: &[usize], budget: usize, total: usize) -> Vec<usize> {
    if total == 0 {
        return vec![0; sizes.len()];
    }
    let exact: Vec<f64> = sizes.iter().map(|&s| s as f64 * budget as f64 / total as f64).collect();
    let mut quotas: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b))
    });
    let mut left = budget.saturating_sub(quotas.iter().sum());
    for s in order {
        if left == 0 {
            break;
        }
        if quotas[s] < sizes[s] {
            quotas[s] += 1;
            left -= 1;
        }
    }
    quotas
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engines(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i % 16) as u8).collect()
    }

    #[test]
    fn small_libraries_are_mapped_whole() {
        assert_eq!(stratified_subsample(&engines(40), 40, &[3], 1), (0..40).collect::<Vec<_>>());
    }

    #[test]
    fn large_libraries_keep_the_required_points_and_every_engines_share() {
        let models = engines(16_384);
        let required = [5, 77, 16_000];
        let chosen = stratified_subsample(&models, 5000, &required, 1);
        assert_eq!(chosen.len(), 5000);
        assert!(required.iter().all(|r| chosen.binary_search(r).is_ok()));
        assert!(chosen.windows(2).all(|w| w[0] < w[1]));
        for model in 0..16u8 {
            let count = chosen.iter().filter(|&&i| models[i] == model).count();
            assert!((311..=314).contains(&count), "engine {model}: {count}");
        }
    }

    #[test]
    fn the_draw_depends_on_the_seed_only() {
        let models = engines(3000);
        let a = stratified_subsample(&models, 1000, &[1], 7);
        assert_eq!(a, stratified_subsample(&models, 1000, &[1], 7));
        assert_ne!(a, stratified_subsample(&models, 1000, &[1], 8));
    }

    #[test]
    fn uneven_engines_keep_their_proportions() {
        // Engine 0 holds three quarters of the library.
        let models: Vec<u8> = (0..4000).map(|i| if i % 4 == 3 { 1 } else { 0 }).collect();
        let chosen = stratified_subsample(&models, 400, &[], 2);
        let engine1 = chosen.iter().filter(|&&i| models[i] == 1).count();
        assert_eq!((chosen.len(), engine1), (400, 100));
    }
}
