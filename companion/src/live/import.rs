//! `rackmatch library import`: a searchable library from a sweep's clips, with
//! the same features as rendered libraries (the clip's OUT channel at 48 kHz
//! through [`FeatureExtractor`]) in the same on-disk format.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use super::clip_params::{parse_tag_params, space_point};
use super::clips::list_clips;
use super::sweep::read_manifest;
use crate::features::{FeatureExtractor, SoundAnalysis};
use crate::library;
use crate::render_batch::progress_bar;
use crate::space::SpacePoint;

/// What an import did.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportReport {
    /// Points in the library.
    pub points: usize,
    /// Clips left out, with the reason.
    pub skipped: Vec<(String, String)>,
    /// The library directory.
    pub library: PathBuf,
}

/// One clip's point index, library point and features.
type ImportedClip = (u64, SpacePoint, SoundAnalysis);

/// Where `import` puts the library by default: `<sweep dir>/library`.
pub fn default_library_dir(sweep_dir: &Path) -> PathBuf {
    sweep_dir.join("library")
}

/// Builds the library of the clips in `sweep_dir` into `out`.
pub fn import(sweep_dir: &Path, out: &Path, stop: &AtomicBool) -> Result<ImportReport, String> {
    let manifest = read_manifest(sweep_dir)?;
    let space = &manifest.space;
    let clips = list_clips(sweep_dir)?;
    if clips.is_empty() {
        return Err(format!("{}: no clips to import (run `rackmatch sweep` first)", sweep_dir.display()));
    }
    let bar = progress_bar(clips.len() as u64, "importing clips");
    let results: Vec<Result<ImportedClip, (String, String)>> = clips
        .par_iter()
        .map_init(FeatureExtractor::new, |extractor, clip| {
            let id = clip.meta.id.clone();
            if stop.load(Ordering::Relaxed) {
                return Err((id, "interrupted".into()));
            }
            let point =
                parse_tag_params(space, &clip.meta.params, &clip.meta.ccs).map_err(|e| (id.clone(), e))?;
            let out = clip.out_at_feature_rate().map_err(|e| (id.clone(), e))?;
            let analysis = extractor.analyse(&out);
            bar.inc(1);
            Ok((point.index, space_point(&point), analysis))
        })
        .collect();
    bar.finish_and_clear();
    if stop.load(Ordering::Relaxed) {
        return Err("interrupted; nothing was written, run the same command again".into());
    }
    let mut entries = Vec::new();
    let mut skipped = Vec::new();
    for result in results {
        match result {
            Ok(entry) => entries.push(entry),
            Err(problem) => skipped.push(problem),
        }
    }
    entries.sort_by_key(|(index, _, _)| *index);
    entries.dedup_by_key(|(index, _, _)| *index);
    let entries: Vec<(SpacePoint, SoundAnalysis)> = entries.into_iter().map(|(_, p, a)| (p, a)).collect();
    if entries.is_empty() {
        return Err(format!("{}: no clip could be imported", sweep_dir.display()));
    }
    library::write(out, space, manifest.seed, &entries).map_err(|e| e.to_string())?;
    Ok(ImportReport { points: entries.len(), skipped, library: out.to_path_buf() })
}
