//! The result of `rackmatch match`: `result.json`, the rendered matches and
//! the human-readable table. Files are written atomically, `result.json`
//! last, so a directory with a `result.json` is always complete.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rackmatch_engine::{ENGINES, FRAME_RATE};
use serde::{Deserialize, Serialize};

use crate::atomic::write_bytes_atomically;
use crate::matching::ScoredCandidate;
use crate::render_batch::render_params;
use crate::render_params::RenderParams;
use crate::space::{get_field, Space};
use crate::wav::{write_wav, SampleFormat};

/// One candidate as written to `result.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CandidateRecord {
    /// 1 = closest.
    pub rank: usize,
    /// MSS to the target (RMS-normalised, target length).
    pub distance: f64,
    /// Plaits model name.
    pub engine: String,
    /// How the candidate was found.
    pub method: String,
    /// Render parameters; `rackmatch render --params` on them gives `wav` bit for bit.
    pub params: RenderParams,
    /// MIDI CC values (CC number → 0–127) that set the space's CC-mapped knobs.
    pub cc: BTreeMap<String, u8>,
    /// For a patch space: the exact knob values (`MODULE_ID.PARAM_ID` → value)
    /// set in the `.vcv`, as `rackmatch render --patch --set` takes them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub knobs: BTreeMap<String, f64>,
    /// The rendered match (48 kHz stereo OUT/AUX, 16-bit).
    pub wav: PathBuf,
    /// A Rack 2 patch with the knobs set.
    pub vcv: PathBuf,
}

/// Which library answered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LibraryRecord {
    /// Its directory.
    pub dir: PathBuf,
    /// Space name.
    pub space: String,
    /// Number of patches.
    pub size: usize,
    /// Sampling seed.
    pub seed: u64,
    /// Feature definition version.
    pub feature_version: u32,
}

/// The whole `result.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatchResult {
    /// The target file as given.
    pub target: PathBuf,
    /// Rate of every rendered file.
    pub sample_rate: u32,
    /// Candidates, closest first.
    pub candidates: Vec<CandidateRecord>,
    /// The library searched.
    pub library: LibraryRecord,
    /// The target's onsets and how candidates were struck.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<TargetAnalysis>,
    /// The search that found the candidates: "hybrid" (learned model and
    /// k-NN, refined; the default) or "knn+ga" (without a model).
    #[serde(default)]
    pub method: String,
    /// Where the time went, in milliseconds (the only part that varies between runs).
    pub timing_ms: BTreeMap<String, f64>,
}

/// What the onset analysis found in the target, as `result.json` reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetAnalysis {
    /// Onsets found, seconds (at most `max_onsets`).
    pub onsets: Vec<f64>,
    /// Onsets detected before the cap.
    pub detected: usize,
    /// The cap on onsets; later ones are not triggered.
    pub max_onsets: usize,
    /// Pitch glide of each event, octaves per second.
    pub event_glides: Vec<f64>,
    /// Where candidates of a mode that follows the target fire TRIG, seconds.
    pub trigger_times: Vec<f64>,
    /// Whether the space fires TRIG at the target's onsets.
    pub space_follows_onsets: bool,
    /// Set when no onset was found, so such candidates were struck once at
    /// the sound's start (the static path); says why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
}

impl TargetAnalysis {
    /// The record of a prepared target matched in `space`.
    pub fn of(target: &crate::matching::PreparedTarget, space: &Space) -> Self {
        let events = &target.events;
        Self {
            onsets: events.onsets.clone(),
            detected: events.detected,
            max_onsets: crate::analysis::onsets::MAX_ONSETS,
            event_glides: events.events.iter().map(|e| (e.glide * 1000.0).round() / 1000.0).collect(),
            trigger_times: target.trigger_times.clone(),
            space_follows_onsets: space.follows_target(),
            fallback: target.static_fallback().then(|| {
                "no onset detected (steady or noisy sound): struck once at the sound's start".to_string()
            }),
        }
    }
}

/// CC values of a candidate, keyed by CC number as text (JSON object keys).
pub fn cc_record(space: &Space, params: &RenderParams) -> BTreeMap<String, u8> {
    space.cc_values(params).into_iter().map(|(cc, v)| (cc.to_string(), v)).collect()
}

/// Builds the records for the top candidates (files are named, not yet written).
pub fn candidate_records(
    space: &Space,
    candidates: &[ScoredCandidate],
    out_dir: &Path,
) -> Vec<CandidateRecord> {
    candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let rank = i + 1;
            let mut params = c.params.clone();
            params.id = format!("match-{rank}");
            CandidateRecord {
                rank,
                distance: c.distance,
                engine: ENGINES[params.model as usize].name.to_string(),
                method: c.method.to_string(),
                cc: cc_record(space, &params),
                knobs: params
                    .patch
                    .as_ref()
                    .and_then(|patch| crate::patch_space::knob_values(patch, params.model).ok())
                    .unwrap_or_default(),
                params,
                wav: out_dir.join(format!("match-{rank}.wav")),
                vcv: out_dir.join(format!("match-{rank}.vcv")),
            }
        })
        .collect()
}

/// Writes the match WAVs (the `.vcv` files are written by the caller's patch
/// writer) and then `result.json`.
pub fn write_wavs(result: &MatchResult) -> std::io::Result<()> {
    for candidate in &result.candidates {
        let frames = render_params(&candidate.params);
        write_wav(&candidate.wav, &frames, FRAME_RATE, SampleFormat::Pcm16)?;
    }
    Ok(())
}

/// Writes `result.json` into `out_dir`.
pub fn write_result_json(result: &MatchResult, out_dir: &Path) -> std::io::Result<()> {
    let mut json = serde_json::to_vec_pretty(result).map_err(std::io::Error::other)?;
    json.push(b'\n');
    write_bytes_atomically(&out_dir.join("result.json"), &json)
}

/// The human table: rank, engine, knob values, CCs, distance.
pub fn format_table(result: &MatchResult, space: &Space) -> String {
    let mut lines = vec![format!("target: {}", result.target.display())];
    if let Some(a) = &result.analysis {
        let onsets: Vec<String> = a.onsets.iter().map(|t| format!("{t:.3}")).collect();
        let capped = if a.detected > a.onsets.len() {
            format!(" (first {} of {} kept)", a.onsets.len(), a.detected)
        } else {
            String::new()
        };
        lines.push(match &a.fallback {
            Some(why) => format!("onsets: none; {why}"),
            None => format!("onsets: {} at {} s{capped}", a.onsets.len(), onsets.join(", ")),
        });
    }
    for c in &result.candidates {
        let knobs: Vec<String> = space
            .knobs
            .iter()
            .filter_map(|k| get_field(&c.params, &k.name).map(|v| format!("{}={v:.3}", k.name)))
            .collect();
        let ccs: Vec<String> = c.cc.iter().map(|(cc, v)| format!("{cc}:{v}")).collect();
        let trigger = match &c.params.trigger {
            None => "drone".to_string(),
            Some(t) => format!("trig@{}", t.iter().map(|x| format!("{x:.3}")).collect::<Vec<_>>().join(",")),
        };
        lines.push(format!(
            "#{} {:>2} {:<27} mss {:.4}  {} {}  cc[{}]",
            c.rank,
            c.params.model,
            c.engine,
            c.distance,
            trigger,
            knobs.join(" "),
            ccs.join(" ")
        ));
    }
    lines.join("\n")
}
