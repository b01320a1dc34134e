//! `rackmatch report` and `rackmatch match --report`: the match, then
//! `report.html` with maps, spectrograms and players; and the map options
//! shared with `seed-table`.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use anyhow::Result;
use clap::Args;
use rackmatch::match_result::MatchResult;
use rackmatch::reduce::tsne::MIN_POINTS;
use rackmatch::reduce::{MapSettings, DEFAULT_MAP_POINTS, DEFAULT_MAP_SEED, ITERATIONS, PERPLEXITIES};
use rackmatch::report::write_report;

use super::match_command::MatchArgs;

/// How the maps are made (defaults: the seed experiment's full 4×4 t-SNE grid).
#[derive(Args, Clone, Debug)]
pub struct MapArgs {
    /// t-SNE perplexities, the rows of the grid (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = PERPLEXITIES)]
    perplexities: Vec<f64>,
    /// t-SNE iteration counts, the columns of the grid (comma-separated).
    #[arg(long = "tsne-iterations", value_delimiter = ',', default_values_t = ITERATIONS)]
    tsne_iterations: Vec<usize>,
    /// Most library patches on a map; larger libraries are subsampled
    /// (stratified over engines, the target's nearest always kept).
    #[arg(long, default_value_t = DEFAULT_MAP_POINTS)]
    map_points: usize,
    /// Seed of the subsample and of t-SNE's initial layout.
    #[arg(long, default_value_t = DEFAULT_MAP_SEED)]
    map_seed: u64,
}

impl MapArgs {
    /// The settings, checked.
    pub fn settings(&self) -> Result<MapSettings> {
        anyhow::ensure!(
            self.perplexities.iter().all(|p| p.is_finite() && *p >= 1.0),
            "--perplexities must be numbers of at least 1"
        );
        anyhow::ensure!(self.tsne_iterations.iter().all(|&i| i >= 1), "--tsne-iterations must be at least 1");
        anyhow::ensure!(self.map_points >= MIN_POINTS, "--map-points must be at least {MIN_POINTS}");
        Ok(MapSettings {
            perplexities: self.perplexities.clone(),
            iterations: self.tsne_iterations.clone(),
            max_points: self.map_points,
            seed: self.map_seed,
        })
    }
}

/// Runs `rackmatch report`: `match` with `--report`.
pub fn run(args: MatchArgs) -> Result<()> {
    super::match_command::run_with_report(args)
}

/// Writes the report of a finished match and says where it is. Figures
/// that failed are listed on the page and make this an error, after the
/// page and the match results are on disk.
pub fn write_and_announce(
    result: &MatchResult,
    out_dir: &Path,
    maps: &MapArgs,
    stop: &AtomicBool,
) -> Result<()> {
    let settings = maps.settings()?;
    // The onsets matching found in the target are marked on its spectrogram.
    let onsets = result.analysis.as_ref().map_or(&[][..], |analysis| &analysis.onsets[..]);
    let outcome = write_report(result, out_dir, &settings, onsets, stop)?;
    let [maps_seconds, figures_seconds, total] = outcome.seconds;
    eprintln!(
        "report {} ({} of {} library patches mapped; maps {maps_seconds:.1} s, figures {figures_seconds:.1} s, {total:.1} s in all)",
        outcome.html.display(),
        outcome.mapped_points,
        outcome.library_size
    );
    if outcome.problems.is_empty() {
        return Ok(());
    }
    for problem in &outcome.problems {
        eprintln!("rackmatch: figure not made: {problem}");
    }
    anyhow::bail!(
        "{} figure(s) could not be made (listed above and on the page); the match results in {} are complete",
        outcome.problems.len(),
        out_dir.display()
    )
}
