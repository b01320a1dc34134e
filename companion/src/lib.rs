//! `rackmatch`: find the VCV Rack patch that makes a sound.
//!
//! The library behind the `rackmatch` CLI: render parameters, audio files,
//! the project's distance (MSS), and the commands built on them. The DSP lives
//! in `rackmatch-engine`; this crate does the I/O around it.

#![warn(missing_docs)]

pub mod analysis;
pub mod atomic;
pub mod audio_in;
pub mod bench;
pub mod features;
pub mod index;
pub mod learned;
pub mod library;
pub mod live;
pub mod match_job;
pub mod match_result;
pub mod matching;
pub mod mss;
pub mod patch_space;
pub mod pitch;
pub mod plots;
pub mod reduce;
pub mod refine;
pub mod render_batch;
pub mod render_params;
pub mod report;
pub mod rng;
pub mod seed_method;
pub mod seed_table;
pub mod space;
pub mod vcv;
pub mod wav;
