//! t-SNE maps (bhtsne: Barnes-Hut, θ = 0.5), reproducible for a seed at any
//! thread count.
//!
//! - One run per perplexity gives every iteration count of the grid: the
//!   schedule (early exaggeration and momentum switch at iteration 250,
//!   learning rate from the point count) does not depend on the total, so the
//!   layout after 500 iterations of a 5,000-iteration run is the 500-iteration map.
//! - The initial layout comes from the seed (the crate's own is unseeded).
//! - bhtsne sums in parallel with rayon (the P normaliser, the mean of every
//!   iteration), and rayon's split points vary between runs, so each run goes
//!   on a one-thread pool of its own; the maps run side by side instead.
//! - Nearest neighbours are found here, exactly and in parallel (each row on
//!   its own, ties to the lower index), once per encoding for every perplexity.

use bhtsne::{tSNE, Neighbor};
use rayon::prelude::*;

use super::ReduceError;
use crate::index::squared_distance;
use crate::rng::SplitMix64;

/// Fewest points t-SNE is run on.
pub const MIN_POINTS: usize = 10;
/// Barnes-Hut accuracy (the original implementation's default).
const THETA: f32 = 0.5;
/// Spread of the seeded initial layout (the original implementation's).
const INITIAL_SPREAD: f64 = 1e-4;

/// The maps of one t-SNE run.
#[derive(Clone, Debug, PartialEq)]
pub struct TsneRun {
    /// The perplexity used: the one asked for, or less where the map has too
    /// few points for it (t-SNE needs at least 3·perplexity + 1 points).
    pub perplexity_used: f64,
    /// `(iterations, one point per row)`, in the order asked for.
    pub maps: Vec<(usize, Vec<[f64; 2]>)>,
}

/// The largest perplexity a map of `points` points supports.
pub fn max_perplexity(points: usize) -> f64 {
    (points.saturating_sub(1) / 3) as f64
}

/// The nearest neighbours of every row, nearest first, enough for perplexities up to a bound.
#[derive(Clone, Debug, PartialEq)]
pub struct Neighbours {
    rows: Vec<Vec<Neighbor<f32>>>,
}

impl Neighbours {
    /// The `k` nearest rows (Euclidean) of each of the `rows.len() / dims`
    /// rows, itself excluded, ties to the lower index.
    pub fn find(rows: &[f32], dims: usize, k: usize) -> Self {
        let points: Vec<&[f32]> = rows.chunks_exact(dims.max(1)).collect();
        let k = k.min(points.len().saturating_sub(1));
        let rows = (0..points.len())
            .into_par_iter()
            .map(|i| {
                let mut all: Vec<(f32, usize)> = points
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(j, p)| (squared_distance(points[i], p), j))
                    .collect();
                let order = |a: &(f32, usize), b: &(f32, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
                if k < all.len() {
                    all.select_nth_unstable_by(k, order);
                    all.truncate(k);
                }
                all.sort_unstable_by(order);
                all.into_iter().map(|(d, index)| Neighbor { index, distance: d.sqrt() }).collect()
            })
            .collect();
        Self { rows }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// How many neighbours t-SNE uses at `perplexity`.
    pub fn count_for(perplexity: f64) -> usize {
        (3.0 * perplexity).floor() as usize
    }
}

/// Embeds the rows behind `neighbours` in 2-D at `perplexity` and keeps the
/// layout after each of `iterations`.
pub fn tsne_2d(
    neighbours: &Neighbours,
    perplexity: f64,
    iterations: &[usize],
    seed: u64,
) -> Result<TsneRun, ReduceError> {
    let what = format!("t-SNE (perplexity {perplexity})");
    let n = neighbours.len();
    if n < MIN_POINTS {
        return Err(ReduceError::TooFewPoints { what, points: n, needed: MIN_POINTS });
    }
    let longest = iterations.iter().copied().max().unwrap_or(0);
    if longest == 0 {
        return Err(ReduceError::Failed { what, problem: "no iteration count given".into() });
    }
    let perplexity_used = perplexity.min(max_perplexity(n));
    let k = Neighbours::count_for(perplexity_used);
    if neighbours.rows.iter().any(|row| row.len() < k) {
        return Err(ReduceError::Failed {
            what,
            problem: format!("fewer than {k} neighbours were searched"),
        });
    }
    let table: Vec<Vec<Neighbor<f32>>> = neighbours.rows.iter().map(|row| row[..k].to_vec()).collect();
    let mut rng = SplitMix64::new(seed);
    let initial: Vec<f32> = (0..n * 2).map(|_| (INITIAL_SPREAD * rng.normal()) as f32).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| ReduceError::Failed { what: what.clone(), problem: e.to_string() })?;
    // bhtsne only reads the sample count from its data when given the neighbours.
    let samples = vec![(); n];
    let mut snapshots: Vec<(usize, Vec<[f64; 2]>)> = Vec::new();
    // bhtsne asserts on bad input instead of returning errors; a failed map
    // must not take the rest of a report down with it.
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.install(|| {
            let mut tsne: tSNE<f32, ()> = tSNE::new(&samples);
            tsne.perplexity(perplexity_used as f32).epochs(longest).initial_embedding(initial);
            tsne.epoch_callback(|epoch, layout| {
                // The callback runs after update `epoch` (0-based).
                if iterations.contains(&(epoch + 1)) {
                    let coords = layout.chunks_exact(2).map(|p| [p[0] as f64, p[1] as f64]).collect();
                    snapshots.push((epoch + 1, coords));
                }
            });
            tsne.barnes_hut_with_neighbors(THETA, &table);
        })
    }));
    if run.is_err() {
        return Err(ReduceError::Failed { what, problem: "the t-SNE backend stopped with an error".into() });
    }
    let mut maps = Vec::with_capacity(iterations.len());
    for &count in iterations {
        let coords = snapshots.iter().find(|(i, _)| *i == count).map(|(_, c)| c.clone());
        let Some(coords) = coords else {
            return Err(ReduceError::Failed { what, problem: format!("no layout after {count} iterations") });
        };
        if coords.iter().flatten().any(|x| !x.is_finite()) {
            return Err(ReduceError::Failed {
                what,
                problem: format!("the layout after {count} iterations is not finite"),
            });
        }
        maps.push((count, coords));
    }
    Ok(TsneRun { perplexity_used, maps })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two tight clusters far apart (6-D), with exact duplicates in each.
    fn two_clusters() -> Vec<f32> {
        let mut rng = SplitMix64::new(4);
        (0..80 * 6)
            .map(|k| {
                let (i, d) = (k / 6, k % 6);
                let centre = if i < 40 { -5.0 } else { 5.0 };
                if i % 40 < 10 {
                    centre + d as f32 * 0.01
                } else {
                    centre + 0.3 * rng.normal() as f32
                }
            })
            .collect()
    }

    fn in_pool<T: Send>(threads: usize, work: impl FnOnce() -> T + Send) -> T {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(work)
    }

    #[test]
    fn neighbours_are_exact_and_break_ties_by_index() {
        let rows = two_clusters();
        let found = Neighbours::find(&rows, 6, 12);
        // Rows 0-9 are one point: each one's nearest are the other nine, in index order.
        let first: Vec<usize> = found.rows[3].iter().take(9).map(|n| n.index).collect();
        assert_eq!(first, [0, 1, 2, 4, 5, 6, 7, 8, 9]);
        assert!(found.rows[3][..9].iter().all(|n| n.distance == 0.0));
        assert!(found
            .rows
            .iter()
            .all(|r| r.len() == 12 && r.windows(2).all(|w| w[0].distance <= w[1].distance)));
        assert_eq!(found, in_pool(1, || Neighbours::find(&rows, 6, 12)));
    }

    #[test]
    fn clusters_stay_apart_and_the_maps_repeat_at_any_thread_count() {
        let rows = two_clusters();
        let map = |threads, seed| {
            in_pool(threads, || tsne_2d(&Neighbours::find(&rows, 6, 30), 10.0, &[300, 100], seed).unwrap())
        };
        let a = map(1, 1);
        assert_eq!(a, map(2, 1));
        assert_eq!(a.maps.iter().map(|m| m.0).collect::<Vec<_>>(), [300, 100]);
        let coords = &a.maps[0].1;
        let centroid = |range: std::ops::Range<usize>| {
            let n = range.len() as f64;
            let s = range.fold([0.0, 0.0], |s, i| [s[0] + coords[i][0], s[1] + coords[i][1]]);
            [s[0] / n, s[1] / n]
        };
        let (left, right) = (centroid(0..40), centroid(40..80));
        let distance = |p: [f64; 2], c: [f64; 2]| ((p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2)).sqrt();
        for (i, &p) in coords.iter().enumerate() {
            let (own, other) = if i < 40 { (left, right) } else { (right, left) };
            assert!(distance(p, own) < distance(p, other), "point {i} sits with the other cluster");
        }
        assert_ne!(a, map(2, 2));
    }

    #[test]
    fn a_snapshot_is_the_shorter_run() {
        let neighbours = Neighbours::find(&two_clusters(), 6, 30);
        let long = tsne_2d(&neighbours, 10.0, &[120, 300], 3).unwrap();
        let short = tsne_2d(&neighbours, 10.0, &[120], 3).unwrap();
        assert_eq!(long.maps[0], short.maps[0]);
    }

    #[test]
    fn tiny_maps_lower_the_perplexity() {
        let rows = two_clusters();
        let run = tsne_2d(&Neighbours::find(&rows, 6, 100), 100.0, &[50], 1).unwrap();
        assert_eq!(run.perplexity_used, 26.0);
        let few = Neighbours::find(&rows[..5 * 6], 6, 4);
        assert!(matches!(tsne_2d(&few, 5.0, &[50], 1), Err(ReduceError::TooFewPoints { .. })));
        let short = Neighbours::find(&rows, 6, 10);
        assert!(matches!(tsne_2d(&short, 30.0, &[50], 1), Err(ReduceError::Failed { .. })));
    }
}
