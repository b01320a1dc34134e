//! `rackmatch sweep`: for each point of a space (seeded, resumable), send its
//! CCs to Rack's MIDI-Map, tag the bridge, wait for the clip, check it, go on.
//!
//! State lives only in the sweep directory: `sweep.json` (what is being swept)
//! and one complete clip per point (`p-<index>.json` is written last by the
//! plugin), so a killed sweep resumes where it stopped, without duplicates.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rackmatch_bridge::protocol::{self, Reply, TagRequest};
use serde::{Deserialize, Serialize};

use super::clip_params::{check_live_space, live_point, tag_params, LivePoint};
use super::clips::{check_clip, Clip};
use super::midi::{MidiError, MidiOut};
use super::osc::OscLink;
use crate::atomic::write_bytes_atomically;
use crate::render_batch::progress_bar;
use crate::space::Space;

/// The sweep's manifest file in its directory.
pub const SWEEP_FILE: &str = "sweep.json";
/// Skipped points of the last run, with reasons.
pub const SKIPPED_FILE: &str = "sweep-skipped.json";
const SWEEP_FORMAT: u32 = 1;
/// MIDI channel the CCs go out on (MIDI-Map listens on all channels by default).
pub const MIDI_CHANNEL: u8 = 0;

/// What a sweep directory holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepManifest {
    /// Layout version.
    pub format: u32,
    /// The space swept.
    pub space: Space,
    /// Sampling seed.
    pub seed: u64,
    /// The Plaits model the Rack patch plays.
    pub model: u32,
    /// The trigger mode (index into the space's modes; TRIG unpatched).
    pub mode: u8,
    /// Settle time after the CCs, seconds.
    pub settle_seconds: f64,
    /// Clip length, seconds.
    pub length_seconds: f64,
}

/// Reads `<dir>/sweep.json`.
pub fn read_manifest(dir: &Path) -> Result<SweepManifest, String> {
    let path = dir.join(SWEEP_FILE);
    let bytes = std::fs::read(&path).map_err(|e| {
        format!("{}: cannot read ({e}); is {} a sweep directory?", path.display(), dir.display())
    })?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Everything a sweep needs to know.
#[derive(Clone, Debug)]
pub struct SweepJob {
    /// The space to sweep.
    pub space: Space,
    /// Sampling seed.
    pub seed: u64,
    /// Points to capture.
    pub count: usize,
    /// Clip directory (inside the plugin's clip root).
    pub dir: PathBuf,
    /// The model the Rack patch plays; required when the space has several.
    pub model: Option<u32>,
    /// Settle time after the CCs (MIDI-Map glides about 0.45 s to an exact value).
    pub settle_seconds: f64,
    /// Clip length.
    pub length_seconds: f64,
    /// Extra wait for a reply beyond settle + length.
    pub reply_timeout: Duration,
    /// Retries per point before it is skipped.
    pub retries: u32,
}

/// What a sweep did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepReport {
    /// Clips captured by this run.
    pub captured: usize,
    /// Points whose clip was already on disk.
    pub resumed: usize,
    /// Points given up on, with the last reason.
    pub skipped: Vec<(String, String)>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Why a sweep could not run or stopped.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The request does not fit (space, model, directory).
    #[error("{0}")]
    Setup(String),
    /// The bridge plugin did not answer or cannot write there.
    #[error("{0}")]
    Bridge(String),
    /// MIDI failed.
    #[error(transparent)]
    Midi(#[from] MidiError),
    /// Ctrl-C; finished clips are kept.
    #[error("interrupted after {captured} new clip(s); run the same command again to continue")]
    Interrupted {
        /// Clips captured before the stop.
        captured: usize,
    },
}

/// Runs a sweep; `log` gets one line per retry or skip.
pub fn run_sweep(
    job: &SweepJob,
    midi: &mut dyn MidiOut,
    osc: &mut dyn OscLink,
    stop: &AtomicBool,
) -> Result<SweepReport, SweepError> {
    let started = Instant::now();
    let manifest = prepare(job)?;
    let dir = job.dir.canonicalize().map_err(|e| SweepError::Setup(format!("{}: {e}", job.dir.display())))?;
    check_bridge(osc, &dir)?;
    let points = sweep_indices(&job.space, manifest.model, manifest.mode, job.count);
    let mut report = SweepReport::default();
    let mut todo = Vec::new();
    for index in points {
        let point = live_point(&job.space, job.seed, index);
        let tag = tag_for(&point, &dir, job);
        if clip_is_done(&dir, &tag) {
            report.resumed += 1;
        } else {
            todo.push((point, tag));
        }
    }
    let bar =
        progress_bar(job.count as u64, &format!("sweeping {} (model {})", job.space.name, manifest.model));
    bar.set_position(report.resumed as u64);
    for (point, tag) in &todo {
        if stop.load(Ordering::Relaxed) {
            bar.finish_and_clear();
            return Err(SweepError::Interrupted { captured: report.captured });
        }
        let mut last_problem = String::new();
        let mut done = false;
        for attempt in 0..=job.retries {
            match capture(point, tag, job, midi, osc) {
                Ok(()) => {
                    done = true;
                    break;
                }
                Err(Failure::Midi(e)) => {
                    bar.finish_and_clear();
                    return Err(SweepError::Midi(e));
                }
                Err(Failure::Retry(problem)) => {
                    bar.println(format!("{}: attempt {} failed: {problem}", tag.id, attempt + 1));
                    last_problem = problem;
                }
            }
        }
        if done {
            report.captured += 1;
        } else {
            bar.println(format!("{}: skipped after {} attempts: {last_problem}", tag.id, job.retries + 1));
            report.skipped.push((tag.id.clone(), last_problem));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let skipped = serde_json::to_vec_pretty(&report.skipped).unwrap_or_default();
    let _ = write_bytes_atomically(&dir.join(SKIPPED_FILE), &skipped);
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Checks the job, creates the directory and writes (or matches) its manifest.
fn prepare(job: &SweepJob) -> Result<SweepManifest, SweepError> {
    check_live_space(&job.space).map_err(SweepError::Setup)?;
    let model =
        match (job.model, job.space.models.as_slice()) {
            (Some(model), models) if models.contains(&model) => model,
            (Some(model), _) => {
                return Err(SweepError::Setup(format!("model {model} is not in space {:?}", job.space.name)))
            }
            (None, [only]) => *only,
            (None, _) => return Err(SweepError::Setup(
                "the space has several models; give --model with the model the Rack patch's Plaits plays \
                 (a model cannot be set over MIDI-Map)"
                    .into(),
            )),
        };
    let mode = job.space.trigger_modes.iter().position(|m| m.onsets.is_none()).ok_or_else(|| {
        SweepError::Setup(
            "the live template plays Plaits with TRIG unpatched, but the space has no such trigger mode"
                .into(),
        )
    })? as u8;
    if !(job.length_seconds > 0.0 && job.length_seconds <= protocol::MAX_CLIP_SECONDS) {
        return Err(SweepError::Setup(format!(
            "--length must be above 0 and at most {} s",
            protocol::MAX_CLIP_SECONDS
        )));
    }
    if !(0.0..=protocol::MAX_SETTLE_SECONDS).contains(&job.settle_seconds) {
        return Err(SweepError::Setup(format!("--settle must be 0 to {} s", protocol::MAX_SETTLE_SECONDS)));
    }
    std::fs::create_dir_all(&job.dir)
        .map_err(|e| SweepError::Setup(format!("{}: cannot create: {e}", job.dir.display())))?;
    let manifest = SweepManifest {
        format: SWEEP_FORMAT,
        space: job.space.clone(),
        seed: job.seed,
        model,
        mode,
        settle_seconds: job.settle_seconds,
        length_seconds: job.length_seconds,
    };
    if job.dir.join(SWEEP_FILE).exists() {
        let existing = read_manifest(&job.dir).map_err(SweepError::Setup)?;
        if existing != manifest {
            return Err(SweepError::Setup(format!(
                "{} holds a sweep of space {:?} (seed {}, model {}, settle {} s, length {} s); use another --dir",
                job.dir.display(),
                existing.space.name,
                existing.seed,
                existing.model,
                existing.settle_seconds,
                existing.length_seconds
            )));
        }
    } else {
        let json = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
        write_bytes_atomically(&job.dir.join(SWEEP_FILE), &json)
            .map_err(|e| SweepError::Setup(format!("{}: cannot write: {e}", job.dir.display())))?;
    }
    Ok(manifest)
}

/// Pings the bridge and checks that it may write into `dir`.
fn check_bridge(osc: &mut dyn OscLink, dir: &Path) -> Result<(), SweepError> {
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        osc.send(&protocol::encode(protocol::PING, vec![]))
            .map_err(|e| SweepError::Bridge(format!("cannot send to the bridge: {e}")))?;
        let wait_until = Instant::now() + Duration::from_millis(300);
        while Instant::now() < wait_until {
            let packet =
                osc.recv(Duration::from_millis(50)).map_err(|e| SweepError::Bridge(e.to_string()))?;
            if let Some(Reply::Pong { clip_root, .. }) = packet.as_deref().and_then(Reply::decode) {
                let root = Path::new(&clip_root);
                let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
                if !dir.starts_with(&root) {
                    return Err(SweepError::Bridge(format!(
                        "{} is outside the bridge's clip root {}; sweep into a folder inside it, or start Rack with \
                         RACKMATCH_BRIDGE_CLIP_ROOT set to a folder that contains it",
                        dir.display(),
                        root.display()
                    )));
                }
                return Ok(());
            }
        }
    }
    Err(SweepError::Bridge(
        "no rackmatch bridge answered: is Rack running with VCV Host loading rackmatch-bridge, on the --osc address?".into(),
    ))
}

/// The space indices of the first `count` points in the cell (model, mode).
pub fn sweep_indices(space: &Space, model: u32, mode: u8, count: usize) -> Vec<u64> {
    let model_position = space.models.iter().position(|&m| m == model).unwrap_or(0);
    let cell = (model_position + mode as usize * space.models.len()) as u64;
    (0..count as u64).map(|k| cell + k * space.cells() as u64).collect()
}

/// The tag for a point.
pub fn tag_for(point: &LivePoint, dir: &Path, job: &SweepJob) -> TagRequest {
    TagRequest {
        id: format!("p-{:06}", point.index),
        clip_dir: dir.display().to_string(),
        params: tag_params(point),
        ccs: point.ccs.clone(),
        settle_seconds: job.settle_seconds,
        length_seconds: job.length_seconds,
    }
}

fn clip_is_done(dir: &Path, tag: &TagRequest) -> bool {
    let Ok(clip) = Clip::read(&dir.join(format!("{}.json", tag.id))) else {
        return false;
    };
    clip.frames().is_ok_and(|(frames, _)| check_clip(&clip, &frames, tag).is_ok())
}

enum Failure {
    Midi(MidiError),
    Retry(String),
}

/// One attempt: CCs, tag, wait, check.
fn capture(
    point: &LivePoint,
    tag: &TagRequest,
    job: &SweepJob,
    midi: &mut dyn MidiOut,
    osc: &mut dyn OscLink,
) -> Result<(), Failure> {
    for (&cc, &value) in &point.ccs {
        midi.send_cc(MIDI_CHANNEL, cc, value).map_err(Failure::Midi)?;
    }
    osc.send(&protocol::encode_tag(tag)).map_err(|e| Failure::Retry(format!("cannot send the tag: {e}")))?;
    let wait = Duration::from_secs_f64(job.settle_seconds + job.length_seconds) + job.reply_timeout;
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::Retry(format!("no clip within {:.1} s", wait.as_secs_f64())));
        }
        let packet =
            osc.recv(left.min(Duration::from_millis(100))).map_err(|e| Failure::Retry(e.to_string()))?;
        match packet.as_deref().and_then(Reply::decode) {
            Some(Reply::Done { id, json, .. }) if id == tag.id => {
                let clip = Clip::read(Path::new(&json)).map_err(Failure::Retry)?;
                let (frames, _) = clip.frames().map_err(Failure::Retry)?;
                return check_clip(&clip, &frames, tag).map_err(Failure::Retry);
            }
            Some(Reply::Error { id, message }) if id == tag.id => return Err(Failure::Retry(message)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use rackmatch_bridge::clip_writer::{write_all, write_clip};
    use rackmatch_bridge::protocol::{parse_request, ClipMeta, Request, CLIP_FORMAT_VERSION};

    use super::*;
    use crate::live::midi::memory_midi;
    use crate::live::osc::{memory_osc, MemoryOsc};

    /// A stand-in for the plugin: answers pings, writes a clip per tag, fails
    /// the first attempt of `flaky` ids and never answers `dead` ids.
    fn fake_bridge(
        mut link: MemoryOsc,
        root: PathBuf,
        flaky: Vec<String>,
        dead: Vec<String>,
    ) -> Arc<AtomicBool> {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut attempts: HashMap<String, u32> = HashMap::new();
            while !done.load(Ordering::Relaxed) {
                let Ok(Some(packet)) = link.recv(Duration::from_millis(10)) else { continue };
                let reply = match parse_request(&packet) {
                    Ok(Request::Ping) => {
                        Reply::Pong { version: "t".into(), clip_root: root.display().to_string(), port: 0 }
                    }
                    Ok(Request::Tag(tag)) => {
                        let n = attempts.entry(tag.id.clone()).or_default();
                        *n += 1;
                        if dead.contains(&tag.id) {
                            continue;
                        }
                        if flaky.contains(&tag.id) && *n == 1 {
                            Reply::Error { id: tag.id.clone(), message: "simulated failure".into() }
                        } else {
                            let frames = (tag.length_seconds * 48_000.0).round() as usize;
                            let audio: Vec<[f32; 2]> =
                                (0..frames).map(|i| [(i as f32 * 0.01).sin(); 2]).collect();
                            let meta = ClipMeta {
                                format: CLIP_FORMAT_VERSION,
                                plugin_version: "t".into(),
                                id: tag.id.clone(),
                                params: tag.params.clone(),
                                ccs: tag.ccs.iter().map(|(c, v)| (c.to_string(), *v)).collect(),
                                sample_rate: 48_000.0,
                                channels: 2,
                                frames: frames as u64,
                                settle_seconds: tag.settle_seconds,
                                length_seconds: tag.length_seconds,
                                session: 1,
                                tag_sample: 0,
                                start_sample: 0,
                                cc_events: vec![],
                                cc_events_dropped: 0,
                                wav: format!("{}.wav", tag.id),
                            };
                            let (wav, json) =
                                write_clip(Path::new(&tag.clip_dir), &meta, &audio, &write_all).unwrap();
                            Reply::Done {
                                id: tag.id,
                                wav: wav.display().to_string(),
                                json: json.display().to_string(),
                            }
                        }
                    }
                    Err(_) => continue,
                };
                let _ = link.send(&reply.encode());
            }
        });
        stop
    }

    fn job(dir: &Path, count: usize) -> SweepJob {
        let mut space = Space::default_space();
        space.models = vec![4];
        SweepJob {
            space,
            seed: 3,
            count,
            dir: dir.to_path_buf(),
            model: None,
            settle_seconds: 0.0,
            length_seconds: 0.02,
            reply_timeout: Duration::from_millis(200),
            retries: 1,
        }
    }

    #[test]
    fn sweeps_retry_skip_and_resume_without_duplicates() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("sweep");
        let job = job(&dir, 6);
        let indices = sweep_indices(&job.space, 4, 0, 6);
        assert_eq!(indices, [0, 2, 4, 6, 8, 10], "model 4, drone: every other point");
        let id = |k: usize| format!("p-{:06}", indices[k]);
        let (mut ours, theirs) = memory_osc();
        let stop_bridge = fake_bridge(theirs, root.path().to_path_buf(), vec![id(1)], vec![id(4)]);
        let (mut midi, midi_in) = memory_midi();
        let report = run_sweep(&job, &mut midi, &mut ours, &AtomicBool::new(false)).unwrap();
        assert_eq!((report.captured, report.resumed), (5, 0));
        assert_eq!(report.skipped.len(), 1);
        assert_eq!(report.skipped[0].0, id(4));
        // Every attempt sent the point's six CCs first.
        let sent: Vec<[u8; 3]> = std::iter::from_fn(|| midi_in.try_recv()).collect();
        assert_eq!(sent.len(), 6 * (6 + 1 + 1));
        assert!(sent.iter().all(|m| m[0] == 0xB0));
        // A torn leftover of a killed run (WAV without JSON) does not count as done.
        std::fs::write(dir.join(format!("{}.wav", id(4))), b"torn").unwrap();
        let again = run_sweep(&job, &mut midi, &mut ours, &AtomicBool::new(false)).unwrap();
        assert_eq!((again.captured, again.resumed), (0, 5));
        // A bigger count resumes and only adds the new points.
        let more =
            run_sweep(&SweepJob { count: 8, ..job.clone() }, &mut midi, &mut ours, &AtomicBool::new(false))
                .unwrap();
        assert_eq!((more.captured, more.resumed), (2, 5));
        let clips = crate::live::clips::list_clips(&dir).unwrap();
        assert_eq!(clips.len(), 7);
        // A different sweep into the same directory is refused.
        let other = SweepJob { seed: 4, ..job.clone() };
        assert!(run_sweep(&other, &mut midi, &mut ours, &AtomicBool::new(false))
            .unwrap_err()
            .to_string()
            .contains("another --dir"));
        // A directory outside the bridge's clip root is refused before anything is sent.
        let outside = tempfile::tempdir().unwrap();
        let err =
            run_sweep(&job_in(outside.path()), &mut midi, &mut ours, &AtomicBool::new(false)).unwrap_err();
        assert!(err.to_string().contains("outside the bridge's clip root"), "{err}");
        stop_bridge.store(true, Ordering::Relaxed);
    }

    fn job_in(dir: &Path) -> SweepJob {
        job(&dir.join("s"), 1)
    }

    #[test]
    fn without_a_bridge_the_sweep_says_so() {
        let root = tempfile::tempdir().unwrap();
        let (mut ours, _theirs) = memory_osc();
        let (mut midi, _in) = memory_midi();
        let err = run_sweep(&job(root.path(), 1), &mut midi, &mut ours, &AtomicBool::new(false)).unwrap_err();
        assert!(err.to_string().contains("no rackmatch bridge answered"), "{err}");
        let mut several = job(root.path(), 1);
        several.space = Space::default_space();
        let err = run_sweep(&several, &mut midi, &mut ours, &AtomicBool::new(false)).unwrap_err();
        assert!(err.to_string().contains("--model"), "{err}");
    }
}
