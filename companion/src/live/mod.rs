//! The live path: drive a running VCV Rack over MIDI, collect the bridge
//! plugin's tagged clips over OSC, and turn them into a searchable library.
//!
//! Transports sit behind small traits ([`midi::MidiOut`], [`osc::OscLink`]) with
//! in-memory versions, so every job here runs in tests without Rack, MIDI
//! hardware or an ALSA sequencer.

pub mod apply;
pub mod clip_params;
pub mod clips;
pub mod import;
pub mod midi;
pub mod osc;
pub mod sweep;
pub mod verify;
