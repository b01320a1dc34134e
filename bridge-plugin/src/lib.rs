//! The rackmatch bridge: a CLAP and VST3 audio effect that passes stereo audio
//! through unchanged and, when the companion tags it over OSC, captures an
//! exact window of that audio into `<id>.wav` + `<id>.json`.
//!
//! Everything that decides what is captured and written is plain safe Rust,
//! shared by both formats and tested without a host: [`protocol`] (the OSC
//! address space and clip metadata), [`capture`] (the audio-thread state machine
//! and its lock-free ring), [`worker`] (listener and clip writer), [`clip_path`]
//! and [`clip_writer`]. The format glue lives in `clap_entry` and `vst3_entry`,
//! the only modules that talk to a host's C ABI.

#![warn(missing_docs)]

pub mod capture;
pub mod clip_path;
pub mod clip_writer;
pub mod protocol;
pub mod settings;
pub mod worker;

#[cfg(feature = "formats")]
mod clap_entry;
#[cfg(feature = "formats")]
mod vst3_entry;

/// The plugin's version, written into every clip's JSON.
pub const PLUGIN_VERSION: &str = env!("CARGO_PKG_VERSION");
/// The plugin's display name.
pub const PLUGIN_NAME: &str = "rackmatch bridge";
/// The CLAP plugin id (never change it: hosts save it in projects).
pub const CLAP_ID: &str = "org.rackmatch.bridge";

/// Logs a line on stderr (never called from the audio thread).
pub fn log(message: &str) {
    eprintln!("rackmatch-bridge: {message}");
}
