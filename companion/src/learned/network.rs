//! The encoder network: an MLP from standardised features to an embedding,
//! with heads for engine, trigger mode and per-cell knob values.

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::rng::SplitMix64;

/// Sizes of the network: everything needed to rebuild it from its weights.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shape {
    /// Input features.
    pub inputs: usize,
    /// Width of the first hidden layer.
    pub hidden: usize,
    /// Width of the second hidden layer: the learned embedding.
    pub embedding: usize,
    /// Engines (classes of the engine head).
    pub engines: usize,
    /// Trigger modes (classes of the mode head).
    pub modes: usize,
    /// Knobs predicted per (engine, mode) cell.
    pub knobs: usize,
}

impl Shape {
    /// (engine, mode) cells: the knob head predicts one knob set per cell,
    /// because a knob means something different on every engine.
    pub fn cells(&self) -> usize {
        self.engines * self.modes
    }

    /// (inputs, outputs) of each layer, in [`Weights::layers`] order.
    pub fn layer_sizes(&self) -> [(usize, usize); 5] {
        [
            (self.inputs, self.hidden),
            (self.hidden, self.embedding),
            (self.embedding, self.engines),
            (self.embedding, self.modes),
            (self.embedding, self.cells() * self.knobs),
        ]
    }
}

/// One dense layer's parameters as plain numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerWeights {
    /// `inputs × outputs`, row-major.
    pub weight: Vec<f32>,
    /// `outputs`.
    pub bias: Vec<f32>,
}

/// All parameters of a network, backend-free (what model files store).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    /// Layers in [`Shape::layer_sizes`] order.
    pub layers: Vec<LayerWeights>,
}

impl Weights {
    /// Uniform initialisation in ±sqrt(6 / inputs) (He) for hidden layers and
    /// ±sqrt(1 / inputs) for heads; a pure function of `seed`, so training is
    /// reproducible without touching the backend's global random state.
    pub fn initial(shape: &Shape, seed: u64) -> Self {
        let layers = shape
            .layer_sizes()
            .iter()
            .enumerate()
            .map(|(i, &(inputs, outputs))| {
                let bound = if i < 2 { (6.0 / inputs as f64).sqrt() } else { (1.0 / inputs as f64).sqrt() };
                let mut rng = SplitMix64::for_item(seed, i as u64);
                let weight =
                    (0..inputs * outputs).map(|_| ((rng.next_f64() * 2.0 - 1.0) * bound) as f32).collect();
                LayerWeights { weight, bias: vec![0.0; outputs] }
            })
            .collect();
        Self { layers }
    }

    /// Checks that the weights fit `shape` and are finite.
    pub fn check(&self, shape: &Shape) -> Result<(), String> {
        let sizes = shape.layer_sizes();
        if self.layers.len() != sizes.len() {
            return Err(format!("{} layers, expected {}", self.layers.len(), sizes.len()));
        }
        for (i, (layer, &(inputs, outputs))) in self.layers.iter().zip(&sizes).enumerate() {
            if layer.weight.len() != inputs * outputs || layer.bias.len() != outputs {
                return Err(format!("layer {i} has the wrong size for {inputs}×{outputs}"));
            }
            if !layer.weight.iter().chain(&layer.bias).all(|x| x.is_finite()) {
                return Err(format!("layer {i} holds non-finite weights"));
            }
        }
        Ok(())
    }
}

/// The MLP on a burn backend.
#[derive(Module, Debug)]
pub struct Network<B: Backend> {
    hidden: Linear<B>,
    embedding: Linear<B>,
    engine: Linear<B>,
    mode: Linear<B>,
    knobs: Linear<B>,
}

/// What the network outputs for a batch.
pub struct Outputs<B: Backend> {
    /// `[n, embedding]`: the second hidden layer's activations.
    pub embedding: Tensor<B, 2>,
    /// `[n, engines]` logits.
    pub engine_logits: Tensor<B, 2>,
    /// `[n, modes]` logits.
    pub mode_logits: Tensor<B, 2>,
    /// `[n, cells × knobs]` knob values in the unit box (0..1 over each knob's range).
    pub knobs: Tensor<B, 2>,
}

impl<B: Backend> Network<B> {
    /// Builds the network from plain weights (which must fit `shape`).
    pub fn from_weights(shape: &Shape, weights: &Weights, device: &B::Device) -> Self {
        let sizes = shape.layer_sizes();
        let layer = |i: usize| {
            let (inputs, outputs) = sizes[i];
            let w = &weights.layers[i];
            Linear {
                weight: Param::from_tensor(Tensor::from_data(
                    TensorData::new(w.weight.clone(), [inputs, outputs]),
                    device,
                )),
                bias: Some(Param::from_tensor(Tensor::from_data(
                    TensorData::new(w.bias.clone(), [outputs]),
                    device,
                ))),
            }
        };
        Self { hidden: layer(0), embedding: layer(1), engine: layer(2), mode: layer(3), knobs: layer(4) }
    }

    /// The weights as plain numbers.
    pub fn weights(&self) -> Weights {
        let plain = |linear: &Linear<B>| LayerWeights {
            weight: linear.weight.val().into_data().to_vec::<f32>().expect("f32 weights"),
            bias: linear
                .bias
                .as_ref()
                .map(|b| b.val().into_data().to_vec::<f32>().expect("f32 bias"))
                .unwrap_or_default(),
        };
        Weights {
            layers: vec![
                plain(&self.hidden),
                plain(&self.embedding),
                plain(&self.engine),
                plain(&self.mode),
                plain(&self.knobs),
            ],
        }
    }

    /// Runs a batch of standardised feature rows `[n, inputs]`.
    pub fn forward(&self, input: Tensor<B, 2>) -> Outputs<B> {
        let hidden = relu(self.hidden.forward(input));
        let embedding = relu(self.embedding.forward(hidden));
        Outputs {
            engine_logits: self.engine.forward(embedding.clone()),
            mode_logits: self.mode.forward(embedding.clone()),
            knobs: sigmoid(self.knobs.forward(embedding.clone())),
            embedding,
        }
    }
}
