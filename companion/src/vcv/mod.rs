//! VCV Rack patches: reading Rack 1 and Rack 2 `.vcv` files into one typed
//! model, their MIDI-Map parameter space, rendering them with the engine's
//! Rack modules, and writing Rack 2 files.

pub mod catalog;
pub mod container;
pub mod error;
pub mod live_template;
pub mod midi_map;
pub mod model;
pub mod plaits_patch;
pub mod read;
pub mod render;
pub mod renderable;
pub mod write;

pub use error::{Problem, VcvError};
pub use midi_map::{MidiMapping, ParameterSpace};
pub use model::VcvPatch;
pub use read::read_patch;
pub use write::write_rack2;
