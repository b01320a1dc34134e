//! Oscillators that belong to particular engines (the generic polyBLEP one is in `dsp`).

pub mod chord_wavetable;
pub mod harmonic;
pub mod string_synth;
pub mod variable_saw;
pub mod variable_shape;
