//! Oscillators that belong to particular engines (the generic polyBLEP one is in `dsp`).

pub mod block_math;
pub mod chord_wavetable;
pub mod clocked_noise;
pub mod grainlet;
pub mod harmonic;
pub mod string_synth;
pub mod variable_saw;
pub mod variable_shape;
pub mod z_oscillator;
