//! Exact nearest-neighbour search over standardised, group-weighted features.
//!
//! Each dimension is centred and scaled by the library's own statistics, then
//! multiplied by `weight / sqrt(group size)`, so every feature group counts
//! the same however many dimensions it has. Distances are Euclidean in that
//! full space (never in a 2-D projection).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::analysis::spectral_profile::{profile_distance, PROFILE_LEN};
use crate::features::{DIMS, F0_DIM, GLIDE_DIM, GROUPS, VOICING_DIM};

/// Relative weight of each feature group, in `GROUPS` order.
pub const GROUP_WEIGHTS: [f32; 5] = [1.0, 1.0, 1.0, 1.0, 0.5];

/// Below this voicing confidence a sound has no pitch worth comparing.
const VOICED: f32 = 0.2;

/// Per-dimension centring and scaling fitted on a library.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureScaler {
    /// Mean of each dimension.
    pub mean: Vec<f32>,
    /// Multiplier of each dimension after centring.
    pub scale: Vec<f32>,
}

impl FeatureScaler {
    /// Fits the scaler on `features` (`n × DIMS`). Pitch statistics use voiced entries only.
    pub fn fit(features: &[f32]) -> Self {
        let mut mean = vec![0.0f64; DIMS];
        let mut square = vec![0.0f64; DIMS];
        let mut count = vec![0usize; DIMS];
        for row in features.chunks_exact(DIMS) {
            let voiced = row[VOICING_DIM] >= VOICED;
            for (d, &x) in row.iter().enumerate() {
                if !x.is_finite() || ((d == F0_DIM || d == GLIDE_DIM) && !voiced) {
                    continue;
                }
                mean[d] += x as f64;
                square[d] += x as f64 * x as f64;
                count[d] += 1;
            }
        }
        let mut scale = vec![0.0f32; DIMS];
        for d in 0..DIMS {
            let c = count[d].max(1) as f64;
            mean[d] /= c;
            let std = (square[d] / c - mean[d] * mean[d]).max(0.0).sqrt();
            let group =
                GROUPS.iter().position(|g| (g.start..g.start + g.len).contains(&d)).expect("groups tile");
            let weight = GROUP_WEIGHTS[group] / (GROUPS[group].len as f32).sqrt();
            scale[d] = if std > 1e-9 { weight / std as f32 } else { 0.0 };
        }
        Self { mean: mean.into_iter().map(|m| m as f32).collect(), scale }
    }

    /// The scaled vector of one raw feature vector. Unvoiced sounds get the
    /// mean pitch and glide; partly voiced ones count their pitch less.
    pub fn transform(&self, raw: &[f32]) -> Vec<f32> {
        let mut out: Vec<f32> = raw
            .iter()
            .zip(self.mean.iter().zip(&self.scale))
            .map(|(x, (m, s))| if x.is_finite() { (x - m) * s } else { 0.0 })
            .collect();
        let voicing = raw[VOICING_DIM];
        let pitch_weight = if voicing < VOICED { 0.0 } else { voicing.min(1.0) };
        out[F0_DIM] *= pitch_weight;
        out[GLIDE_DIM] *= pitch_weight;
        out
    }
}

/// A library point found by a search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Neighbour {
    /// Index of the point in the library.
    pub index: usize,
    /// Euclidean distance in scaled feature space.
    pub distance: f32,
}

/// Scaled feature vectors of a library, searchable exactly.
pub struct Index {
    scaler: FeatureScaler,
    scaled: Vec<f32>,
}

/// Rows per parallel task.
const BLOCK: usize = 16_384;

impl Index {
    /// Fits the scaler on `features` and scales every row.
    pub fn build(features: &[f32]) -> Self {
        let scaler = FeatureScaler::fit(features);
        Self::with_scaler(scaler, features)
    }

    /// Scales every row with a given scaler.
    pub fn with_scaler(scaler: FeatureScaler, features: &[f32]) -> Self {
        let scaled = features.par_chunks(DIMS).flat_map_iter(|row| scaler.transform(row)).collect();
        Self { scaler, scaled }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.scaled.len() / DIMS
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.scaled.is_empty()
    }

    /// The scaler in use.
    pub fn scaler(&self) -> &FeatureScaler {
        &self.scaler
    }

    /// Scaled features of point `index`.
    pub fn scaled_row(&self, index: usize) -> &[f32] {
        &self.scaled[index * DIMS..(index + 1) * DIMS]
    }

    /// The `k` nearest points to raw features `query`, nearest first (ties by index).
    pub fn search(&self, query: &[f32], k: usize) -> Vec<Neighbour> {
        let q = self.scaler.transform(query);
        self.search_scaled(&q, k, |_| true)
    }

    /// The `k` nearest points to an already scaled query among those `keep` accepts.
    pub fn search_scaled(&self, q: &[f32], k: usize, keep: impl Fn(usize) -> bool + Sync) -> Vec<Neighbour> {
        nearest_rows(&self.scaled, DIMS, k, |index, row| keep(index).then(|| squared_distance(q, row)))
            .into_iter()
            .map(|n| Neighbour { index: n.index, distance: n.distance.sqrt() })
            .collect()
    }
}

/// The `k` points whose spectral profiles (`profiles`, `n × PROFILE_LEN`) are
/// nearest to `query` in L1, nearest first (ties by index). Distances are in
/// profile quantisation steps.
pub fn nearest_profiles(profiles: &[u8], query: &[u8], k: usize) -> Vec<Neighbour> {
    nearest_rows(profiles, PROFILE_LEN, k, |_, row| Some(profile_distance(query, row) as f32))
}

/// The `k` rows of `rows` (`width` values each) with the smallest
/// `distance(index, row)`, skipping rows it gives `None`, smallest first
/// (ties by index): an exact scan in parallel blocks, merged.
fn nearest_rows<T: Sync>(
    rows: &[T],
    width: usize,
    k: usize,
    distance: impl Fn(usize, &[T]) -> Option<f32> + Sync,
) -> Vec<Neighbour> {
    let blocks: Vec<Vec<Neighbour>> = rows
        .par_chunks(BLOCK * width)
        .enumerate()
        .map(|(b, block)| {
            let mut best = TopK::new(k);
            for (i, row) in block.chunks_exact(width).enumerate() {
                let index = b * BLOCK + i;
                if let Some(d) = distance(index, row) {
                    best.offer(index, d);
                }
            }
            best.into_sorted()
        })
        .collect();
    let mut best = TopK::new(k);
    for n in blocks.into_iter().flatten() {
        best.offer(n.index, n.distance);
    }
    best.into_sorted()
}

/// Squared Euclidean distance, written so the compiler vectorises it.
#[inline]
pub fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let chunks = a.len() / 8;
    for c in 0..chunks {
        for l in 0..8 {
            let d = a[c * 8 + l] - b[c * 8 + l];
            lanes[l] += d * d;
        }
    }
    let mut sum: f32 = lanes.iter().sum();
    for i in chunks * 8..a.len() {
        let d = a[i] - b[i];
        sum += d * d;
    }
    sum
}

/// The k smallest (distance, index) pairs seen, kept sorted.
struct TopK {
    k: usize,
    items: Vec<Neighbour>,
}

impl TopK {
    fn new(k: usize) -> Self {
        Self { k, items: Vec::with_capacity(k + 1) }
    }

    fn offer(&mut self, index: usize, distance: f32) {
        if self.k == 0 {
            return;
        }
        let worse = |n: &Neighbour| (n.distance, n.index) > (distance, index);
        if self.items.len() == self.k && !worse(self.items.last().expect("full")) {
            return;
        }
        let at = self.items.partition_point(|n| !worse(n));
        self.items.insert(at, Neighbour { index, distance });
        self.items.truncate(self.k);
    }

    fn into_sorted(self) -> Vec<Neighbour> {
        self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    fn random_features(n: usize, seed: u64) -> Vec<f32> {
        let mut rng = SplitMix64::new(seed);
        (0..n * DIMS).map(|_| rng.normal() as f32).collect()
    }

    #[test]
    fn profile_search_matches_a_full_sort() {
        let mut rng = SplitMix64::new(3);
        let n = BLOCK + 500;
        let profiles: Vec<u8> = (0..n * PROFILE_LEN).map(|_| rng.below(256) as u8).collect();
        let query: Vec<u8> = (0..PROFILE_LEN).map(|_| rng.below(256) as u8).collect();
        let got = nearest_profiles(&profiles, &query, 5);
        let mut all: Vec<(u32, usize)> = profiles
            .chunks_exact(PROFILE_LEN)
            .enumerate()
            .map(|(i, row)| (profile_distance(&query, row), i))
            .collect();
        all.sort();
        assert_eq!(
            got.iter().map(|n| n.index).collect::<Vec<_>>(),
            all[..5].iter().map(|p| p.1).collect::<Vec<_>>()
        );
        assert_eq!(got[0].distance, all[0].0 as f32);
        let own = nearest_profiles(&profiles, &profiles[PROFILE_LEN * 7..PROFILE_LEN * 8], 1);
        assert_eq!((own[0].index, own[0].distance), (7, 0.0));
    }

    #[test]
    fn exact_search_matches_a_full_sort() {
        let features = random_features(40_000, 1);
        let index = Index::build(&features);
        let query = &random_features(1, 2)[..];
        let got = index.search(query, 7);
        let q = index.scaler().transform(query);
        let mut all: Vec<(f32, usize)> =
            (0..index.len()).map(|i| (squared_distance(&q, index.scaled_row(i)), i)).collect();
        all.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let expected: Vec<usize> = all[..7].iter().map(|p| p.1).collect();
        assert_eq!(got.iter().map(|n| n.index).collect::<Vec<_>>(), expected);
        assert!(got.windows(2).all(|w| w[0].distance <= w[1].distance));
    }

    #[test]
    fn a_library_point_finds_itself() {
        let features = random_features(1000, 3);
        let index = Index::build(&features);
        let hit = index.search(&features[500 * DIMS..501 * DIMS], 1);
        assert_eq!(hit[0].index, 500);
        assert!(hit[0].distance < 1e-5);
    }

    #[test]
    fn groups_weigh_the_same_whatever_their_size() {
        let features = random_features(20_000, 4);
        let scaler = FeatureScaler::fit(&features);
        for (g, group) in GROUPS.iter().enumerate() {
            // Variance of a scaled group = weight²: one unit per group.
            let dims = group.start..group.start + group.len;
            let variance: f32 = dims.map(|d| (scaler.scale[d]).powi(2)).sum();
            assert!((variance - GROUP_WEIGHTS[g].powi(2)).abs() < 0.05, "{}: {variance}", group.name);
        }
    }
}
