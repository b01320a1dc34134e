//! Training the encoder on a library: cross-entropy on engine and trigger mode,
//! squared error on the true cell's knobs, Adam, fixed seeded batch order.

use std::sync::atomic::{AtomicBool, Ordering};

use burn::module::AutodiffModule;
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::activation::log_softmax;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Tensor, TensorData};
use indicatif::ProgressBar;

use super::model_file::{ModelHeader, TrainingRecord};
use super::network::{Network, Shape, Weights};
use super::{argmax, standardise};
use crate::features::{DIMS, FEATURE_VERSION};
use crate::library::Library;
use crate::rng::SplitMix64;
use crate::space::KNOB_UNIT;

/// Training settings.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// Passes over the training points.
    pub epochs: usize,
    /// Seed of initial weights and batch order.
    pub seed: u64,
    /// Points per gradient step.
    pub batch_size: usize,
    /// Adam step size.
    pub learning_rate: f64,
    /// First hidden layer width.
    pub hidden: usize,
    /// Embedding width.
    pub embedding: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self { epochs: 40, seed: 1, batch_size: 128, learning_rate: 1e-3, hidden: 256, embedding: 64 }
    }
}

/// Every this-many-th library point is held out for validation.
const VALIDATION_STRIDE: usize = 10;
/// Weight of the knob loss against the two cross-entropies: knob errors in the
/// unit box are small numbers, and without it the knob head barely learns.
const KNOB_LOSS_WEIGHT: f32 = 4.0;

/// Training was stopped by Ctrl-C; nothing was written.
#[derive(Debug, thiserror::Error)]
#[error("training interrupted; nothing was written (the training library is kept, so a rerun starts training at once)")]
pub struct Interrupted;

/// A library as network inputs and targets.
struct Dataset {
    /// Standardised features, `n × DIMS`.
    inputs: Vec<f32>,
    engines: Vec<usize>,
    modes: Vec<usize>,
    /// Knob values in the unit box, `n × knobs`.
    knobs: Vec<f32>,
}

/// Trains a model on `library`; `bar` counts gradient steps.
pub fn train<B: AutodiffBackend>(
    library: &Library,
    options: &TrainOptions,
    device: &B::Device,
    stop: &AtomicBool,
    bar: &ProgressBar,
) -> Result<(ModelHeader, Weights), Interrupted> {
    let space = &library.manifest.space;
    let shape = Shape {
        inputs: DIMS,
        hidden: options.hidden,
        embedding: options.embedding,
        engines: space.models.len(),
        modes: space.trigger_modes.len(),
        knobs: space.knobs.len(),
    };
    let (train_rows, validation_rows): (Vec<usize>, Vec<usize>) =
        (0..library.points.len()).partition(|i| i % VALIDATION_STRIDE != VALIDATION_STRIDE - 1);
    let (input_mean, input_scale) = fit_scaling(&library.features, &train_rows);
    let data = dataset(library, &input_mean, &input_scale);

    let mut network: Network<B> =
        Network::from_weights(&shape, &Weights::initial(&shape, options.seed), device);
    let mut optimizer = AdamConfig::new().init();
    let batches = train_rows.len().div_ceil(options.batch_size.max(1));
    bar.set_length((batches * options.epochs) as u64);
    let mut order = train_rows.clone();
    for epoch in 0..options.epochs {
        shuffle(&mut order, options.seed ^ (epoch as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut epoch_loss = 0.0;
        for batch in order.chunks(options.batch_size.max(1)) {
            if stop.load(Ordering::Relaxed) {
                return Err(Interrupted);
            }
            let loss = loss::<B>(&network, &data, batch, &shape, device);
            epoch_loss += loss.clone().into_scalar().elem::<f64>() * batch.len() as f64;
            let gradients = GradientsParams::from_grads(loss.backward(), &network);
            network = optimizer.step(options.learning_rate, network, gradients);
            bar.inc(1);
        }
        bar.set_message(format!(
            "training: epoch {} loss {:.3}",
            epoch + 1,
            epoch_loss / train_rows.len() as f64
        ));
    }
    let weights = network.weights();
    let inference: Network<B::InnerBackend> = network.valid();
    let (engine_accuracy, mode_accuracy, knob_rmse) =
        validate(&inference, &data, &validation_rows, &shape, device);
    let header = ModelHeader {
        feature_version: FEATURE_VERSION,
        space: space.clone(),
        shape,
        input_mean,
        input_scale,
        training: TrainingRecord {
            library_seed: library.manifest.seed,
            library_size: library.points.len(),
            seed: options.seed,
            epochs: options.epochs,
            validation_engine_accuracy: engine_accuracy,
            validation_mode_accuracy: mode_accuracy,
            validation_knob_rmse: knob_rmse,
        },
    };
    Ok((header, weights))
}

/// Per-dimension mean and 1/std over `rows` (finite values only).
fn fit_scaling(features: &[f32], rows: &[usize]) -> (Vec<f32>, Vec<f32>) {
    let mut sum = [0.0f64; DIMS];
    let mut square = [0.0f64; DIMS];
    let mut count = [0usize; DIMS];
    for &r in rows {
        for (d, &x) in features[r * DIMS..(r + 1) * DIMS].iter().enumerate() {
            if x.is_finite() {
                sum[d] += x as f64;
                square[d] += x as f64 * x as f64;
                count[d] += 1;
            }
        }
    }
    (0..DIMS)
        .map(|d| {
            let c = count[d].max(1) as f64;
            let mean = sum[d] / c;
            let std = (square[d] / c - mean * mean).max(0.0).sqrt();
            (mean as f32, if std > 1e-9 { (1.0 / std) as f32 } else { 0.0 })
        })
        .unzip()
}

fn dataset(library: &Library, mean: &[f32], scale: &[f32]) -> Dataset {
    let space = &library.manifest.space;
    let mut data = Dataset { inputs: Vec::new(), engines: Vec::new(), modes: Vec::new(), knobs: Vec::new() };
    for (i, point) in library.points.iter().enumerate() {
        data.inputs.extend(standardise(&library.features[i * DIMS..(i + 1) * DIMS], mean, scale));
        let engine = space.models.iter().position(|&m| m == point.model as u32).unwrap_or(0);
        data.engines.push(engine);
        data.modes.push(point.mode as usize);
        data.knobs.extend(space.knobs.iter().zip(&point.knobs).map(|(k, &v)| {
            let value = v as f64 * KNOB_UNIT;
            if k.max > k.min {
                ((value - k.min) / (k.max - k.min)) as f32
            } else {
                0.0
            }
        }));
    }
    data
}

/// Fisher–Yates with a seeded generator.
fn shuffle(items: &mut [usize], seed: u64) {
    let mut rng = SplitMix64::new(seed);
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i as u64 + 1) as usize);
    }
}

fn rows_tensor<B: Backend>(data: &Dataset, rows: &[usize], device: &B::Device) -> Tensor<B, 2> {
    let inputs: Vec<f32> =
        rows.iter().flat_map(|&r| data.inputs[r * DIMS..(r + 1) * DIMS].iter().copied()).collect();
    Tensor::from_data(TensorData::new(inputs, [rows.len(), DIMS]), device)
}

fn one_hot<B: Backend>(classes: &[usize], width: usize, device: &B::Device) -> Tensor<B, 2> {
    let mut values = vec![0.0f32; classes.len() * width];
    for (row, &c) in classes.iter().enumerate() {
        values[row * width + c] = 1.0;
    }
    Tensor::from_data(TensorData::new(values, [classes.len(), width]), device)
}

/// The batch loss: both cross-entropies plus the weighted knob error of the true cell only.
fn loss<B: Backend>(
    network: &Network<B>,
    data: &Dataset,
    rows: &[usize],
    shape: &Shape,
    device: &B::Device,
) -> Tensor<B, 1> {
    let n = rows.len();
    let out = network.forward(rows_tensor(data, rows, device));
    let engines: Vec<usize> = rows.iter().map(|&r| data.engines[r]).collect();
    let modes: Vec<usize> = rows.iter().map(|&r| data.modes[r]).collect();
    let engine_loss =
        (log_softmax(out.engine_logits, 1) * one_hot(&engines, shape.engines, device)).sum().neg() / n as f32;
    let mode_loss =
        (log_softmax(out.mode_logits, 1) * one_hot(&modes, shape.modes, device)).sum().neg() / n as f32;
    // Targets and a mask laid out like the knob head, non-zero only in each row's true cell.
    let width = shape.cells() * shape.knobs;
    let mut target = vec![0.0f32; n * width];
    let mut mask = vec![0.0f32; n * width];
    for (row, &r) in rows.iter().enumerate() {
        let cell = data.modes[r] * shape.engines + data.engines[r];
        let start = row * width + cell * shape.knobs;
        target[start..start + shape.knobs]
            .copy_from_slice(&data.knobs[r * shape.knobs..(r + 1) * shape.knobs]);
        mask[start..start + shape.knobs].fill(1.0);
    }
    let target = Tensor::<B, 2>::from_data(TensorData::new(target, [n, width]), device);
    let mask = Tensor::<B, 2>::from_data(TensorData::new(mask, [n, width]), device);
    let error = (out.knobs - target) * mask;
    let knob_loss = (error.clone() * error).sum() / (n * shape.knobs) as f32;
    engine_loss + mode_loss + knob_loss * KNOB_LOSS_WEIGHT
}

/// Engine accuracy, mode accuracy and true-cell knob RMS error on `rows`.
fn validate<B: Backend>(
    network: &Network<B>,
    data: &Dataset,
    rows: &[usize],
    shape: &Shape,
    device: &B::Device,
) -> (f64, f64, f64) {
    if rows.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let out = network.forward(rows_tensor(data, rows, device));
    let to_vec = |t: Tensor<B, 2>| t.into_data().to_vec::<f32>().expect("f32 outputs");
    let engine_logits = to_vec(out.engine_logits);
    let mode_logits = to_vec(out.mode_logits);
    let knobs = to_vec(out.knobs);
    let width = shape.cells() * shape.knobs;
    let (mut engines_right, mut modes_right, mut square) = (0usize, 0usize, 0.0f64);
    for (row, &r) in rows.iter().enumerate() {
        engines_right += usize::from(
            argmax(&engine_logits[row * shape.engines..(row + 1) * shape.engines]) == data.engines[r],
        );
        modes_right +=
            usize::from(argmax(&mode_logits[row * shape.modes..(row + 1) * shape.modes]) == data.modes[r]);
        let cell = data.modes[r] * shape.engines + data.engines[r];
        let predicted = &knobs[row * width + cell * shape.knobs..row * width + (cell + 1) * shape.knobs];
        let truth = &data.knobs[r * shape.knobs..(r + 1) * shape.knobs];
        square += predicted.iter().zip(truth).map(|(p, t)| ((p - t) as f64).powi(2)).sum::<f64>();
    }
    let n = rows.len() as f64;
    (engines_right as f64 / n, modes_right as f64 / n, (square / (n * shape.knobs as f64)).sqrt())
}

#[cfg(test)]
mod tests {
    use burn::backend::ndarray::{NdArray, NdArrayDevice};
    use burn::backend::Autodiff;

    use super::*;
    use crate::space::Space;

    fn tiny_run(library: &Library, seed: u64) -> (ModelHeader, Weights) {
        let options =
            TrainOptions { epochs: 2, seed, batch_size: 16, hidden: 16, embedding: 8, ..Default::default() };
        let stop = AtomicBool::new(false);
        train::<Autodiff<NdArray>>(
            library,
            &options,
            &NdArrayDevice::default(),
            &stop,
            &ProgressBar::hidden(),
        )
        .unwrap()
    }

    #[test]
    fn training_is_deterministic_for_a_seed_and_moves_the_weights() {
        let dir = tempfile::tempdir().unwrap();
        let space = Space::default_space();
        crate::library::build(dir.path(), &space, 5, 64, &AtomicBool::new(false)).unwrap();
        let library = crate::library::load(dir.path()).unwrap();
        let (header, weights) = tiny_run(&library, 1);
        let (again_header, again) = tiny_run(&library, 1);
        assert_eq!(weights, again);
        assert_eq!(header, again_header);
        assert_ne!(weights, tiny_run(&library, 2).1);
        assert_ne!(weights, Weights::initial(&header.shape, 1), "training changed nothing");
        weights.check(&header.shape).unwrap();
    }

    #[test]
    fn an_interrupted_training_returns_nothing() {
        let dir = tempfile::tempdir().unwrap();
        crate::library::build(dir.path(), &Space::default_space(), 5, 32, &AtomicBool::new(false)).unwrap();
        let library = crate::library::load(dir.path()).unwrap();
        let stop = AtomicBool::new(true);
        let result = train::<Autodiff<NdArray>>(
            &library,
            &TrainOptions { epochs: 1, hidden: 8, embedding: 4, ..Default::default() },
            &NdArrayDevice::default(),
            &stop,
            &ProgressBar::hidden(),
        );
        assert!(result.is_err());
    }
}
