//! Reading the clips a bridge wrote: `<id>.json` (written last, so its presence
//! means the clip is complete) and `<id>.wav`, plus the checks a sweep applies.

use std::path::{Path, PathBuf};

use rackmatch_bridge::protocol::ClipMeta;

use crate::audio_in::resample;
use crate::features::FEATURE_RATE;

/// A complete clip on disk.
#[derive(Clone, Debug)]
pub struct Clip {
    /// Its metadata.
    pub meta: ClipMeta,
    /// The JSON file.
    pub json: PathBuf,
}

impl Clip {
    /// Reads `<dir>/<id>.json`.
    pub fn read(json: &Path) -> Result<Self, String> {
        let bytes = std::fs::read(json).map_err(|e| format!("{}: cannot read: {e}", json.display()))?;
        let meta: ClipMeta = serde_json::from_slice(&bytes)
            .map_err(|e| format!("{}: not a bridge clip: {e}", json.display()))?;
        if rackmatch_bridge::protocol::validate_id(&meta.id).is_err()
            || meta.wav != format!("{}.wav", meta.id)
        {
            return Err(format!("{}: clip id {:?} does not name its files", json.display(), meta.id));
        }
        Ok(Self { meta, json: json.to_path_buf() })
    }

    /// The WAV beside the JSON.
    pub fn wav(&self) -> PathBuf {
        self.json.with_file_name(&self.meta.wav)
    }

    /// The stereo frames and their rate.
    pub fn frames(&self) -> Result<(Vec<[f32; 2]>, u32), String> {
        let path = self.wav();
        let mut reader = hound::WavReader::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let spec = reader.spec();
        if spec.channels != 2
            || spec.sample_format != hound::SampleFormat::Float
            || spec.bits_per_sample != 32
        {
            return Err(format!("{}: not a 32-bit float stereo clip", path.display()));
        }
        let samples: Vec<f32> = reader
            .samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok((samples.chunks_exact(2).map(|f| [f[0], f[1]]).collect(), spec.sample_rate))
    }

    /// The first channel (OUT in the template patch) at the feature rate, 48 kHz.
    pub fn out_at_feature_rate(&self) -> Result<Vec<f32>, String> {
        let (frames, rate) = self.frames()?;
        let out: Vec<f32> = frames.iter().map(|f| f[0]).collect();
        Ok(resample(&out, rate, FEATURE_RATE as u32))
    }
}

/// Every complete clip in `dir` (JSON files that read as clips), sorted by id;
/// other JSON files (e.g. `sweep.json`) are skipped.
pub fn list_clips(dir: &Path) -> Result<Vec<Clip>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: cannot list: {e}", dir.display()))?;
    let mut clips = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let is_json = path.extension().is_some_and(|e| e == "json");
        let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if is_json && !hidden {
            if let Ok(clip) = Clip::read(&path) {
                clips.push(clip);
            }
        }
    }
    clips.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
    Ok(clips)
}

/// Peak level below which a clip counts as silent.
pub const SILENCE_PEAK: f32 = 1e-7;

/// Checks a clip against what was asked: frame count at its rate, not silent,
/// tags equal to those sent.
pub fn check_clip(
    clip: &Clip,
    frames: &[[f32; 2]],
    sent: &rackmatch_bridge::protocol::TagRequest,
) -> Result<(), String> {
    let meta = &clip.meta;
    let expected = (sent.length_seconds * meta.sample_rate).round() as u64;
    if meta.frames != expected || frames.len() as u64 != expected {
        return Err(format!("{} frames, expected {expected}", frames.len()));
    }
    if frames.iter().all(|f| f[0].abs() < SILENCE_PEAK && f[1].abs() < SILENCE_PEAK) {
        return Err("silent clip (is the patch's audio cabled into the Host module?)".into());
    }
    if meta.params != sent.params {
        return Err("the clip's params differ from the tag sent".into());
    }
    let sent_ccs: std::collections::BTreeMap<String, u8> =
        sent.ccs.iter().map(|(c, v)| (c.to_string(), *v)).collect();
    if meta.ccs != sent_ccs {
        return Err("the clip's CCs differ from the tag sent".into());
    }
    Ok(())
}
