//! What `bench` measures on: folders of recordings (a sub-folder per
//! category) and in-domain renders of random points of the space.

use std::path::{Path, PathBuf};

use crate::audio_in::{is_silent, load_target, AudioInputError};
use crate::render_batch::render_params;
use crate::render_params::RenderParams;
use crate::rng::SplitMix64;
use crate::space::Space;

/// One target of a benchmark.
pub struct BenchTarget {
    /// File name (relative to its folder) or in-domain id.
    pub name: String,
    /// The sub-folder it was read from (bird, drum, ...): results are also
    /// summarised per category.
    pub category: Option<String>,
    /// Mono 48 kHz samples.
    pub samples: Vec<f32>,
    /// The parameters that made it, for in-domain targets.
    pub truth: Option<RenderParams>,
}

/// Reads every WAV/FLAC file of `dir` and of its sub-folders, one level down,
/// sorted by path. A file in a sub-folder belongs to the category the
/// sub-folder names and is named `category/file`. A folder with no audio
/// file at either level is an error, as is any file that `match` would refuse.
pub fn targets_from_dir(dir: &Path) -> Result<Vec<BenchTarget>, AudioInputError> {
    let mut found: Vec<(Option<String>, PathBuf)> =
        audio_files(dir)?.into_iter().map(|path| (None, path)).collect();
    for sub in sub_folders(dir)? {
        let category = sub.file_name().map(|n| n.to_string_lossy().into_owned());
        found.extend(audio_files(&sub)?.into_iter().map(|path| (category.clone(), path)));
    }
    if found.is_empty() {
        return Err(AudioInputError::NoAudioFiles { path: dir.to_path_buf() });
    }
    found
        .into_iter()
        .map(|(category, path)| {
            let audio = load_target(&path)?;
            let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let name = match &category {
                Some(category) => format!("{category}/{file}"),
                None => file,
            };
            Ok(BenchTarget { name, category, samples: audio.samples, truth: None })
        })
        .collect()
}

/// Visible entries of `dir`, sorted.
fn entries(dir: &Path) -> Result<Vec<PathBuf>, AudioInputError> {
    let read = |source| AudioInputError::opening(dir, source);
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read)? {
        let path = entry.map_err(read)?.path();
        // Hidden files include the partial files of an interrupted copy.
        if !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

fn audio_files(dir: &Path) -> Result<Vec<PathBuf>, AudioInputError> {
    Ok(entries(dir)?
        .into_iter()
        .filter(|p| p.is_file())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("wav") || e.eq_ignore_ascii_case("flac"))
        })
        .collect())
}

fn sub_folders(dir: &Path) -> Result<Vec<PathBuf>, AudioInputError> {
    Ok(entries(dir)?.into_iter().filter(|p| p.is_dir()).collect())
}

/// Salt of the seed that draws in-domain gesture targets' trigger times.
const GESTURE_TIMES_SALT: u64 = 0x0651_7E5E;
/// Most triggers in an in-domain gesture target.
const MAX_GESTURE_TRIGGERS: u64 = 4;

/// `count` renders of random points of `space` (OUT channel), drawn with `seed`.
/// Points of a mode that follows the target are struck 1 to 4 times at random
/// times (at least 0.15 s apart), as a gesture target would be.
///
/// Silent renders (a string or resonator never struck, say) are skipped:
/// `match` refuses silence as a target, and no sound tells their engine. Each
/// target keeps the number of its draw in its name. Fewer than `count` come
/// back only from a space that is nearly always silent.
pub fn in_domain_targets(space: &Space, seed: u64, count: usize) -> Vec<BenchTarget> {
    (0..count.saturating_mul(100).saturating_add(100))
        .map(|i| {
            // Shuffle the stratified order so a small count still mixes engines.
            let index = SplitMix64::for_item(seed, i as u64).below(1 << 40);
            let point = space.point(seed, index);
            let id = format!("in-domain-{i:03}");
            let params = if space.trigger_modes[point.mode as usize].follow_target {
                let mut rng = SplitMix64::for_item(seed ^ GESTURE_TIMES_SALT, i as u64);
                let hits = 1 + rng.below(MAX_GESTURE_TRIGGERS);
                let mut times = vec![0.02 + 0.1 * rng.next_f64()];
                for _ in 1..hits {
                    let last = times[times.len() - 1];
                    times.push(last + 0.15 + 0.35 * rng.next_f64());
                }
                let times: Vec<f64> = times.iter().map(|t| (t * 1e4).round() / 1e4).collect();
                let seconds = times[times.len() - 1] + space.seconds;
                space.render_params_at(&point, &id, seconds, 0.0, &times)
            } else {
                space.render_params(&point, &id, space.seconds, 0.0)
            };
            let samples = render_params(&params).iter().map(|f| f[0]).collect();
            BenchTarget { name: params.id.clone(), category: None, samples, truth: Some(params) }
        })
        .filter(|target| !is_silent(&target.samples))
        .take(count)
        .collect()
}
