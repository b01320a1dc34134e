//! `rackmatch-engine`: a Plaits-compatible macro oscillator and the few VCV Rack
//! modules rackmatch's patches use, as pure, deterministic DSP.
//!
//! No I/O happens here: callers hand in settings and buffers, and get samples.
//! The Plaits voice follows the clean-room specification in the project docs,
//! aiming at sample-exact agreement with VCV's "Macro Oscillator 2" at 48 kHz.

#![warn(missing_docs)]

pub mod dsp;
pub mod engines;
pub mod oscillators;
pub mod rack;
pub mod render;
pub mod tables;
pub mod voice;

pub use engines::{EngineInfo, ENGINES, ENGINE_COUNT};
pub use render::{render_voice, VoiceSettings, FRAME_RATE};
pub use voice::{Modulations, Patch, Voice};
