//! Signal analysis for matching: spectra, mel bands, envelopes, segments.
//!
//! Pure functions over sample slices; the feature vector in `features` is built from these.

pub mod envelope;
pub mod log_spectrum;
pub mod mel;
pub mod onsets;
pub mod phase_surrogate;
pub mod segment;
pub mod spectral_profile;
pub mod spectrogram;
