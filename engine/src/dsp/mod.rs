//! Shared DSP building blocks of the Plaits voice and engines (voice.md §4).
//!
//! Every block here reproduces the original's f32 arithmetic in the original
//! evaluation order, because the engine aims at sample-exact agreement with the
//! real module: no fused multiply-add, products grouped from the left.

pub mod cosine_oscillator;
pub mod delay_line;
pub mod denormal;
pub mod differentiator;
pub mod dust;
pub mod filter;
pub mod hysteresis;
pub mod interpolate;
pub mod limiter;
pub mod oscillator;
pub mod polyblep;
pub mod ramp;
pub mod random;
pub mod sine;
pub mod soft_clip;
pub mod units;
