//! The seed experiment's search, kept as a benchmark baseline: MFCC features,
//! a 2-D PCA map, and the target's nearest patch on that map, over a library
//! of 10 random settings of each engine (160 patches for the default space).

use ndarray::Array2;
use rayon::prelude::*;

use crate::features::{FeatureExtractor, SoundAnalysis, DIMS};
use crate::index::{squared_distance, Index};
use crate::library::{point_analysis, Library, Manifest, CHUNK_SIZE, LIBRARY_FORMAT};
use crate::matching::{candidate_seconds, PreparedTarget, ScoredCandidate};
use crate::reduce::encoding::{Encoding, ScaledFeatures, Sound};
use crate::reduce::pca::pca_2d;
use crate::space::Space;

/// Random settings per engine in the seed's library.
pub const SETTINGS_PER_ENGINE: usize = 10;
/// Seed of the seed's library (distinct from library and target seeds).
const LIBRARY_SEED: u64 = 0x5EED_0001;

/// The seed's small library, rendered and analysed once for a whole benchmark.
pub struct SeedMethod {
    library: Library,
    index: Index,
}

impl SeedMethod {
    /// Renders `SETTINGS_PER_ENGINE` random points of every engine of `space`
    /// (rendered in parallel, collected in order).
    pub fn build(space: &Space) -> Self {
        let size = SETTINGS_PER_ENGINE * space.models.len();
        // Point i has engine models[i % models.len()], so each engine gets exactly its share.
        let points: Vec<_> = (0..size as u64).map(|i| space.point(LIBRARY_SEED, i)).collect();
        let extractor = FeatureExtractor::new();
        let rows: Vec<SoundAnalysis> =
            points.par_iter().map(|p| point_analysis(space, p, &extractor)).collect();
        let features: Vec<f32> = rows.iter().flat_map(|r| r.features).collect();
        let profiles: Vec<u8> = rows.iter().flat_map(|r| r.profile).collect();
        let manifest = Manifest {
            format: LIBRARY_FORMAT,
            feature_version: crate::features::FEATURE_VERSION,
            dims: DIMS,
            space: space.clone(),
            seed: LIBRARY_SEED,
            size,
            chunk_size: CHUNK_SIZE,
        };
        let index = Index::build(&features);
        let library =
            Library { dir: "(seed method, in memory)".into(), manifest, points, features, profiles };
        Self { library, index }
    }

    /// Patches in its library.
    pub fn size(&self) -> usize {
        self.library.points.len()
    }

    /// The library patch nearest to the target on a PCA map of the MFCC
    /// features of the library and the target (ties to the lower index), or
    /// why there is none.
    pub fn nearest(&self, target: &PreparedTarget) -> Result<usize, String> {
        let encoding = ScaledFeatures::mfcc();
        let all: Vec<usize> = (0..self.size()).collect();
        let mut rows = encoding.encode_library(&self.library, &self.index, &all)?;
        let sound = Sound { samples: &target.samples, features: &target.features };
        rows.push(encoding.encode_sound(&self.index, &sound)?);
        let dims = rows[0].len();
        let array = Array2::from_shape_fn((rows.len(), dims), |(i, d)| rows[i][d] as f64);
        let map = pca_2d(&array).map_err(|e| e.to_string())?;
        let (library_rows, target_row) = map.coords.split_at(self.size());
        let to_f32 = |p: &[f64; 2]| [p[0] as f32, p[1] as f32];
        let target_2d = to_f32(&target_row[0]);
        library_rows
            .iter()
            .enumerate()
            .map(|(i, p)| (squared_distance(&to_f32(p), &target_2d), i))
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
            .map(|(_, i)| i)
            .ok_or_else(|| "the seed library is empty".to_string())
    }

    /// The seed's answer, rendered at the target's length and scored by MSS:
    /// one render. Without a map (a target whose features cannot be
    /// projected), the library's first patch stands in, so the method still
    /// scores.
    pub fn search(&self, target: &PreparedTarget) -> ScoredCandidate {
        let chosen = self.nearest(target).unwrap_or(0);
        let space = &self.library.manifest.space;
        let params = space.render_params(
            &self.library.points[chosen],
            "seed",
            candidate_seconds(target),
            target.onset_delay(),
        );
        target.scored(params, "seed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render_batch::render_params;

    #[test]
    fn the_library_has_ten_settings_of_every_engine_and_finds_its_own_patches() {
        let mut space = Space::default_space();
        space.seconds = 0.1;
        let seed = SeedMethod::build(&space);
        assert_eq!(seed.size(), 10 * space.models.len());
        for &model in &space.models {
            let count = seed.library.points.iter().filter(|p| p.model as u32 == model).count();
            assert_eq!(count, SETTINGS_PER_ENGINE, "engine {model}");
        }
        // A render of one of its own patches lands on it (or on a patch with
        // the same MFCCs) on the map.
        let extractor = FeatureExtractor::new();
        let params = space.render_params(&seed.library.points[37], "t", space.seconds, 0.0);
        let samples: Vec<f32> = render_params(&params).iter().map(|f| f[0]).collect();
        let target = PreparedTarget::new(samples, &extractor);
        let nearest = seed.nearest(&target).unwrap();
        let mfcc = |i: usize| encoding_row(&seed, i);
        assert_eq!(mfcc(nearest), mfcc(37));
        let found = seed.search(&target);
        assert_eq!(found.params.model, params.model);
        assert!(found.distance.is_finite() && found.method == "seed");
    }

    fn encoding_row(seed: &SeedMethod, i: usize) -> Vec<f32> {
        ScaledFeatures::mfcc().encode_library(&seed.library, &seed.index, &[i]).unwrap().remove(0)
    }
}
