//! `rackmatch verify-capture`: how far the embedded engine is from the Rack
//! that played a sweep. Each clip is compared (MSS) with the engine's render of
//! the same parameters, aligned on when the sound last changed: the clip's last
//! recorded CC before its start, else its tag plus the settle time.

use std::path::Path;

use rackmatch_engine::{render_voice, ENGINES, FRAME_RATE};

use super::clip_params::{parse_tag_params, render_params};
use super::clips::{list_clips, Clip};
use super::sweep::read_manifest;
use crate::mss::mss;
use crate::render_batch::progress_bar;
use crate::space::Space;

/// One clip's comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct ClipCheck {
    /// Clip id.
    pub id: String,
    /// Plaits model.
    pub model: u32,
    /// MSS between the clip's OUT and the engine's render.
    pub mss: f64,
}

/// Per-engine summary.
#[derive(Clone, Debug, PartialEq)]
pub struct EngineSummary {
    /// Plaits model.
    pub model: u32,
    /// Its name.
    pub engine: &'static str,
    /// Clips compared.
    pub clips: usize,
    /// Mean MSS.
    pub mean: f64,
    /// Largest MSS.
    pub max: f64,
}

/// The whole report.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifyReport {
    /// Every compared clip, in id order.
    pub checks: Vec<ClipCheck>,
    /// Clips that could not be compared, with the reason.
    pub skipped: Vec<(String, String)>,
    /// Per engine, by model.
    pub engines: Vec<EngineSummary>,
}

/// Compares every clip of a sweep directory with the embedded engine.
pub fn verify_capture(dir: &Path) -> Result<VerifyReport, String> {
    let manifest = read_manifest(dir).map_err(|e| {
        format!("{e}: only clips of a sweep over a Plaits space (which the embedded engine renders) can be verified")
    })?;
    let mut checks = Vec::new();
    let mut skipped = Vec::new();
    let clips = list_clips(dir)?;
    let bar = progress_bar(clips.len() as u64, "comparing clips with the engine");
    for clip in clips {
        match compare(&manifest.space, &clip) {
            Ok(check) => checks.push(check),
            Err(problem) => skipped.push((clip.meta.id.clone(), problem)),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut engines: Vec<EngineSummary> = Vec::new();
    for check in &checks {
        let summary = match engines.iter_mut().find(|e| e.model == check.model) {
            Some(summary) => summary,
            None => {
                let engine = ENGINES.get(check.model as usize).map_or("?", |e| e.name);
                engines.push(EngineSummary { model: check.model, engine, clips: 0, mean: 0.0, max: 0.0 });
                engines.last_mut().expect("just pushed")
            }
        };
        summary.clips += 1;
        summary.mean += check.mss;
        summary.max = summary.max.max(check.mss);
    }
    for summary in &mut engines {
        summary.mean /= summary.clips as f64;
    }
    engines.sort_by_key(|e| e.model);
    Ok(VerifyReport { checks, skipped, engines })
}

fn compare(space: &Space, clip: &Clip) -> Result<ClipCheck, String> {
    let meta = &clip.meta;
    let point = parse_tag_params(space, &meta.params, &meta.ccs)?;
    let rate = meta.sample_rate;
    let settle_frames = (meta.settle_seconds * rate).round() as u64;
    let sound_start = meta
        .cc_events
        .iter()
        .map(|e| e.sample)
        .filter(|&s| s <= meta.start_sample)
        .max()
        .unwrap_or(meta.start_sample.saturating_sub(settle_frames));
    let offset = ((meta.start_sample - sound_start) as f64 * FRAME_RATE as f64 / rate).round() as usize;
    let out = clip.out_at_feature_rate()?;
    if out.is_empty() {
        return Err("empty clip".into());
    }
    let params = render_params(space, &point, &meta.id, 1.0);
    let mut rendered = vec![[0.0f32; 2]; offset + out.len()];
    if !render_voice(&params.voice_settings(), &mut rendered) {
        return Err(format!("model {} is not rendered by the embedded engine", point.model));
    }
    let reference: Vec<f64> = out.iter().map(|&x| f64::from(x)).collect();
    let candidate: Vec<f64> = rendered[offset..].iter().map(|f| f64::from(f[0])).collect();
    Ok(ClipCheck { id: meta.id.clone(), model: point.model, mss: mss(&reference, &candidate) })
}

/// The report as a table: one line per engine.
pub fn format_report(report: &VerifyReport) -> String {
    let mut lines = vec![format!(
        "{:>5}  {:<28} {:>5}  {:>10}  {:>10}",
        "model", "engine", "clips", "mean MSS", "max MSS"
    )];
    for e in &report.engines {
        lines.push(format!(
            "{:>5}  {:<28} {:>5}  {:>10.6}  {:>10.6}",
            e.model, e.engine, e.clips, e.mean, e.max
        ));
    }
    if !report.skipped.is_empty() {
        lines.push(format!("{} clip(s) not compared:", report.skipped.len()));
        lines.extend(report.skipped.iter().map(|(id, why)| format!("  {id}: {why}")));
    }
    lines.join("\n")
}
