//! Rendering many parameter lines to WAV files in parallel.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use rackmatch_engine::{render_voice, FRAME_RATE};
use rayon::prelude::*;

use crate::render_params::RenderParams;
use crate::wav::{write_wav, SampleFormat};

/// A render that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot write: {source}")]
pub struct RenderWriteError {
    /// The output file.
    pub path: PathBuf,
    /// Why.
    pub source: std::io::Error,
}

/// Renders one parameter line into stereo frames (OUT, AUX) in volts / 5; a
/// line with a patch gives the patch's main output on both channels.
///
/// A patch line must have passed [`RenderParams::validate`] (spaces and render
/// files check theirs when they are read).
pub fn render_params(params: &RenderParams) -> Vec<[f32; 2]> {
    if let Some(patch) = &params.patch {
        return crate::patch_space::render(params, patch)
            .unwrap_or_else(|e| panic!("a validated patch render failed: {e}"));
    }
    let mut frames = vec![[0.0f32; 2]; params.frames()];
    render_voice(&params.voice_settings(), &mut frames);
    frames
}

/// A progress bar on stderr for `len` items (hidden when stderr is not a terminal).
pub fn progress_bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} [{elapsed_precise}, eta {eta}]")
            .expect("static template"),
    );
    bar.set_message(what.to_string());
    bar
}

/// Renders every line to `<out_dir>/<id>.wav`, in parallel. Each file is written
/// atomically; the bytes do not depend on the thread count.
pub fn render_to_dir(
    lines: &[RenderParams],
    out_dir: &Path,
    format: SampleFormat,
) -> Result<(), RenderWriteError> {
    let bar = progress_bar(lines.len() as u64, "rendering");
    let result = lines.par_iter().try_for_each(|params| {
        let frames = render_params(params);
        let path = out_dir.join(format!("{}.wav", params.id));
        write_wav(&path, &frames, FRAME_RATE, format).map_err(|source| RenderWriteError { path, source })?;
        bar.inc(1);
        Ok(())
    });
    bar.finish_and_clear();
    result
}
