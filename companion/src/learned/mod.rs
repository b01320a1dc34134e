//! The learned encoder: a small network that reads a sound's feature vector
//! and proposes Plaits settings (engine, trigger mode, knobs), and whose
//! hidden layer is a learned embedding of the sound.

pub mod model_file;
pub mod network;
pub mod search;
pub mod train;

use std::path::Path;

use burn::backend::ndarray::{NdArray, NdArrayDevice};
use burn::tensor::{Tensor, TensorData};

use crate::features::FEATURE_VERSION;
use crate::rng::SplitMix64;
use crate::space::{quantize, Space, SpacePoint};
use model_file::{ModelError, ModelHeader};
use network::Network;

/// The model shipped with rackmatch, trained on the default space by `scripts/train-model`.
pub const BUILTIN_MODEL: &[u8] = include_bytes!("../../../models/plaits-voice.model");
/// Where [`BUILTIN_MODEL`] comes from, for messages.
pub const BUILTIN_MODEL_PATH: &str = "models/plaits-voice.model";

/// Spread (unit box) of extra proposals around a cell's predicted knobs.
const PROPOSAL_SPREAD: f64 = 0.06;
/// Smaller spread for FREQ, which features pin down well (≈ 2 semitones).
const PROPOSAL_FREQUENCY_SPREAD: f64 = 0.02;

/// A trained model, ready to predict on the CPU.
#[derive(Debug)]
pub struct LearnedModel {
    header: ModelHeader,
    network: Network<NdArray>,
    device: NdArrayDevice,
}

/// What the model says about one sound.
#[derive(Clone, Debug)]
pub struct Prediction {
    /// Probability of each engine, in the space's `models` order.
    pub engine_probabilities: Vec<f32>,
    /// Probability of each trigger mode.
    pub mode_probabilities: Vec<f32>,
    /// Predicted knobs (unit box) for every (mode, engine) cell, `cell × knobs`,
    /// cell = mode × engines + engine.
    pub knobs: Vec<f32>,
    /// The learned embedding.
    pub embedding: Vec<f32>,
}

impl LearnedModel {
    /// Reads a model file.
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let (header, weights) = model_file::read(path)?;
        Self::from_parts(path, header, weights)
    }

    /// The built-in model.
    pub fn builtin() -> Result<Self, ModelError> {
        let path = Path::new(BUILTIN_MODEL_PATH);
        let (header, weights) = model_file::decode(path, BUILTIN_MODEL)?;
        Self::from_parts(path, header, weights)
    }

    fn from_parts(path: &Path, header: ModelHeader, weights: network::Weights) -> Result<Self, ModelError> {
        if header.feature_version != FEATURE_VERSION {
            return Err(ModelError::Corrupt {
                path: path.to_path_buf(),
                problem: format!(
                    "trained on feature version {}, this rackmatch computes version {FEATURE_VERSION}; retrain it",
                    header.feature_version
                ),
            });
        }
        let device = NdArrayDevice::default();
        let network = Network::from_weights(&header.shape, &weights, &device);
        Ok(Self { header, network, device })
    }

    /// Its header (space, sizes, training record).
    pub fn header(&self) -> &ModelHeader {
        &self.header
    }

    /// Whether it predicts points of `space` (same engines, trigger modes and knobs).
    pub fn fits(&self, space: &Space) -> bool {
        let own = &self.header.space;
        own.models == space.models && own.trigger_modes == space.trigger_modes && own.knobs == space.knobs
    }

    /// Runs the network on one raw feature vector.
    pub fn predict(&self, features: &[f32]) -> Prediction {
        let input = standardise(features, &self.header.input_mean, &self.header.input_scale);
        let tensor = Tensor::from_data(TensorData::new(input, [1, self.header.shape.inputs]), &self.device);
        let out = self.network.forward(tensor);
        let to_vec = |t: Tensor<NdArray, 2>| t.into_data().to_vec::<f32>().expect("f32 outputs");
        Prediction {
            engine_probabilities: softmax(&to_vec(out.engine_logits)),
            mode_probabilities: softmax(&to_vec(out.mode_logits)),
            knobs: to_vec(out.knobs),
            embedding: to_vec(out.embedding),
        }
    }

    /// The learned embedding of a raw feature vector (the network's last hidden layer).
    pub fn embed(&self, features: &[f32]) -> Vec<f32> {
        self.predict(features).embedding
    }

    /// `count` points of the model's space to try for a sound the model
    /// gave `prediction` for: each (engine,
    /// mode) cell gets a share of the proposals in proportion to its
    /// probability (largest remainders, best cell first); a cell's first
    /// proposal is its predicted knobs, the rest are seeded jitters around them.
    pub fn proposals(&self, prediction: &Prediction, count: usize, seed: u64) -> Vec<SpacePoint> {
        let shape = &self.header.shape;
        let space = &self.header.space;
        let mut cells: Vec<(usize, f64)> = (0..shape.cells())
            .map(|cell| {
                let (mode, engine) = (cell / shape.engines, cell % shape.engines);
                (
                    cell,
                    prediction.mode_probabilities[mode] as f64
                        * prediction.engine_probabilities[engine] as f64,
                )
            })
            .collect();
        cells.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let total: f64 = cells.iter().map(|c| c.1).sum::<f64>().max(f64::MIN_POSITIVE);
        let mut shares: Vec<usize> =
            cells.iter().map(|c| (c.1 / total * count as f64).floor() as usize).collect();
        let mut remainders: Vec<usize> = (0..cells.len()).collect();
        remainders.sort_by(|&a, &b| {
            let fraction = |i: usize| cells[i].1 / total * count as f64 - shares[i] as f64;
            fraction(b).total_cmp(&fraction(a)).then(a.cmp(&b))
        });
        let assigned: usize = shares.iter().sum();
        for &i in remainders.iter().take(count.saturating_sub(assigned)) {
            shares[i] += 1;
        }
        let mut points = Vec::with_capacity(count);
        for (&(cell, _), &share) in cells.iter().zip(&shares) {
            let predicted = &prediction.knobs[cell * shape.knobs..(cell + 1) * shape.knobs];
            let mut rng = SplitMix64::for_item(seed, cell as u64);
            for copy in 0..share {
                let knobs = space
                    .knobs
                    .iter()
                    .zip(predicted)
                    .map(|(knob, &u)| {
                        let spread = if knob.name == "frequency" {
                            PROPOSAL_FREQUENCY_SPREAD
                        } else {
                            PROPOSAL_SPREAD
                        };
                        let jitter = if copy == 0 { 0.0 } else { rng.normal() * spread };
                        let unit = (u as f64 + jitter).clamp(0.0, 1.0);
                        quantize(knob.min + (knob.max - knob.min) * unit)
                    })
                    .collect();
                let model = space.models[cell % shape.engines] as u8;
                points.push(SpacePoint { model, mode: (cell / shape.engines) as u8, knobs });
            }
        }
        points
    }
}

/// `(x - mean) × scale` per dimension; non-finite features become 0 (the mean).
pub fn standardise(raw: &[f32], mean: &[f32], scale: &[f32]) -> Vec<f32> {
    raw.iter()
        .zip(mean.iter().zip(scale))
        .map(|(&x, (&m, &s))| if x.is_finite() { ((x - m) * s).clamp(-10.0, 10.0) } else { 0.0 })
        .collect()
}

/// Index of the largest value (the first on ties).
pub fn argmax(values: &[f32]) -> usize {
    values.iter().enumerate().fold(0, |best, (i, &v)| if v > values[best] { i } else { best })
}

fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = logits.iter().map(|&l| (l - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.iter().map(|e| e / sum).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::FeatureExtractor;
    use crate::render_batch::render_params;
    use crate::render_params::RenderParams;

    fn features_of(params: &RenderParams) -> Vec<f32> {
        let out: Vec<f32> = render_params(params).iter().map(|f| f[0]).collect();
        FeatureExtractor::new().extract(&out).to_vec()
    }

    fn clear_case(model: u32, struck: bool) -> RenderParams {
        let mut params = RenderParams::defaults("clear", model);
        params.seconds = 0.5;
        params.frequency = -1.0;
        params.trigger = struck.then(|| vec![0.0]);
        params
    }

    #[test]
    fn the_builtin_model_fits_the_default_space_and_knows_clear_cases() {
        let model = LearnedModel::builtin().unwrap();
        assert!(model.fits(&Space::default_space()));
        let mut drone = clear_case(0, false);
        // Slight detune and a near-sine waveform: a pure sine (timbre and morph
        // at 0) is truly ambiguous, and the model then prefers the waveshaper.
        (drone.harmonics, drone.timbre, drone.morph) = (0.1, 0.2, 0.0);
        let kick = clear_case(13, true);
        for (params, engine) in [(drone, 0), (kick, 13)] {
            let prediction = model.predict(&features_of(&params));
            let p = prediction.engine_probabilities[engine];
            assert_eq!(argmax(&prediction.engine_probabilities), engine, "engine {engine}: {prediction:?}");
            assert!(p > 3.0 / 16.0, "engine {engine} at chance: {p}");
        }
    }

    #[test]
    fn proposals_fill_the_count_best_cell_first_and_repeat_for_a_seed() {
        let model = LearnedModel::builtin().unwrap();
        let features = features_of(&clear_case(13, true));
        let prediction = model.predict(&features);
        let proposals = model.proposals(&prediction, 20, 9);
        assert_eq!(proposals.len(), 20);
        assert_eq!(proposals, model.proposals(&prediction, 20, 9));
        assert_eq!(proposals[0].model, 13);
        assert_eq!(model.proposals(&prediction, 3, 9).len(), 3);
        assert_eq!(model.embed(&features).len(), model.header().shape.embedding);
    }
}
