//! Encodings: how a patch or a sound becomes the vector a map is made from.
//!
//! The maps and the seed table run over `default_encodings()`: hand-made
//! feature slices plus the learned embedding; a new encoding is one more entry.

use std::ops::Range;
use std::sync::Mutex;

use crate::features::{DIMS, GROUPS};
use crate::index::Index;
use crate::learned::LearnedModel;
use crate::library::Library;
use crate::space::Space;

/// A sound outside the library (the target, a rendered match), as an encoding sees it.
#[derive(Clone, Copy, Debug)]
pub struct Sound<'a> {
    /// Mono 48 kHz samples.
    pub samples: &'a [f32],
    /// Its raw feature vector.
    pub features: &'a [f32; DIMS],
}

/// Turns library points and outside sounds into vectors of one length.
pub trait Encoding: Send + Sync {
    /// Short name used in tables, file names and JSON ("mfcc", "full").
    fn name(&self) -> &str;
    /// What it is, in words.
    fn description(&self) -> &str;
    /// Encoded vectors of library points `points`, in that order.
    fn encode_library(
        &self,
        library: &Library,
        index: &Index,
        points: &[usize],
    ) -> Result<Vec<Vec<f32>>, String>;
    /// Encoded vector of an outside sound.
    fn encode_sound(&self, index: &Index, sound: &Sound) -> Result<Vec<f32>, String>;
}

/// A slice of the standardised, group-weighted feature vector the index searches.
#[derive(Clone, Debug)]
pub struct ScaledFeatures {
    name: &'static str,
    description: &'static str,
    dims: Range<usize>,
}

impl ScaledFeatures {
    /// The MFCC group alone (the seed's "MFCC" encoding).
    pub fn mfcc() -> Self {
        let group = GROUPS.iter().find(|g| g.name == "mfcc").expect("features have an mfcc group");
        Self {
            name: "mfcc",
            description: "MFCC statistics alone (standardised)",
            dims: group.start..group.start + group.len,
        }
    }

    /// The whole vector, exactly the space matching searches.
    pub fn full() -> Self {
        Self { name: "full", description: "the full feature vector, as matching scales it", dims: 0..DIMS }
    }
}

impl Encoding for ScaledFeatures {
    fn name(&self) -> &str {
        self.name
    }

    fn description(&self) -> &str {
        self.description
    }

    fn encode_library(
        &self,
        _library: &Library,
        index: &Index,
        points: &[usize],
    ) -> Result<Vec<Vec<f32>>, String> {
        points
            .iter()
            .map(|&p| {
                if p < index.len() {
                    Ok(index.scaled_row(p)[self.dims.clone()].to_vec())
                } else {
                    Err(format!("library point {p} is not in the index ({} points)", index.len()))
                }
            })
            .collect()
    }

    fn encode_sound(&self, index: &Index, sound: &Sound) -> Result<Vec<f32>, String> {
        Ok(index.scaler().transform(sound.features)[self.dims.clone()].to_vec())
    }
}

/// The learned encoder's embedding (its last hidden layer), as the seed's
/// WaveNet encoding was: a vector a network learned, not one designed by hand.
pub struct LearnedEmbedding {
    // burn's modules are Send but not Sync; maps encode from one thread at a time anyway.
    model: Mutex<LearnedModel>,
}

impl LearnedEmbedding {
    /// The built-in model's embedding, where that model was trained on `space`.
    pub fn builtin_for(space: &Space) -> Option<Self> {
        LearnedModel::builtin().ok().filter(|m| m.fits(space)).map(|model| Self { model: Mutex::new(model) })
    }
}

impl Encoding for LearnedEmbedding {
    fn name(&self) -> &str {
        "learned"
    }

    fn description(&self) -> &str {
        "the learned encoder's 64-dimensional embedding"
    }

    fn encode_library(
        &self,
        library: &Library,
        _index: &Index,
        points: &[usize],
    ) -> Result<Vec<Vec<f32>>, String> {
        let rows = library.features.len() / DIMS;
        let model = self.model.lock().map_err(|_| "the learned model failed earlier".to_string())?;
        points
            .iter()
            .map(|&p| match library.features.get(p * DIMS..(p + 1) * DIMS) {
                Some(row) => Ok(model.embed(row)),
                None => Err(format!("library point {p} is not in the library ({rows} points)")),
            })
            .collect()
    }

    fn encode_sound(&self, _index: &Index, sound: &Sound) -> Result<Vec<f32>, String> {
        let model = self.model.lock().map_err(|_| "the learned model failed earlier".to_string())?;
        Ok(model.embed(sound.features))
    }
}

/// The encodings every map and seed table of a library of `space` shows, in
/// order: MFCC, the full vector, and the learned embedding where the built-in
/// model was trained on that space.
pub fn default_encodings(space: &Space) -> Vec<Box<dyn Encoding>> {
    let mut encodings: Vec<Box<dyn Encoding>> =
        vec![Box::new(ScaledFeatures::mfcc()), Box::new(ScaledFeatures::full())];
    if let Some(learned) = LearnedEmbedding::builtin_for(space) {
        encodings.push(Box::new(learned));
    }
    encodings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    #[test]
    fn slices_take_the_scaled_rows_the_index_searches() {
        let mut rng = SplitMix64::new(3);
        let features: Vec<f32> = (0..50 * DIMS).map(|_| rng.normal() as f32).collect();
        let index = Index::build(&features);
        let mut raw = [0.0f32; DIMS];
        raw.copy_from_slice(&features[7 * DIMS..8 * DIMS]);
        let sound = Sound { samples: &[], features: &raw };
        let full = ScaledFeatures::full();
        assert_eq!(full.encode_sound(&index, &sound).unwrap(), index.scaled_row(7));
        let mfcc = ScaledFeatures::mfcc();
        let encoded = mfcc.encode_sound(&index, &sound).unwrap();
        assert_eq!(encoded.len(), 24);
        assert_eq!(encoded, index.scaled_row(7)[..24]);
        let names = |space: &Space| -> Vec<String> {
            default_encodings(space).iter().map(|e| e.name().to_string()).collect()
        };
        assert_eq!(names(&Space::default_space()), ["mfcc", "full", "learned"]);
        let mut other = Space::default_space();
        other.models = vec![0, 1];
        assert_eq!(names(&other), ["mfcc", "full"], "no learned encoding where the model does not fit");
    }
}
