//! `report.html` for a finished match: the target and every match to play,
//! their spectrograms and envelopes, the candidate table, and maps of the
//! sound space. Written after `result.json`, so a failed figure never costs
//! the match; each failure is listed on the page and returned to the caller.

pub mod html;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::atomic::write_bytes_atomically;
use crate::audio_in::{load_target, AudioInputError};
use crate::features::{FeatureExtractor, DIMS};
use crate::index::{squared_distance, Index};
use crate::library::{self, LibraryError};
use crate::match_result::MatchResult;
use crate::matching::PreparedTarget;
use crate::plots::envelope::{rms_envelope, Envelope, EnvelopeFigure};
use crate::plots::map_grid::{MapFigure, MapLegend, Panel};
use crate::plots::spectrogram::{log_mel, shared_hop, SpectrogramFigure};
use crate::plots::{write_figure, Figure};
use crate::reduce::encoding::{default_encodings, Sound};
use crate::reduce::maps::{compute_maps, MapRequest, MapSet};
use crate::reduce::{MapSettings, ReduceError, Reduction};
use crate::space::get_field;
use crate::wav::{write_wav, SampleFormat};
use html::{CandidateRow, FigureFiles, MapSection, Page};

/// Name of the page in the output directory.
pub const REPORT_FILE: &str = "report.html";
/// The target as copied next to the page.
pub const TARGET_FILE: &str = "target.wav";

/// What `write_report` made.
#[derive(Clone, Debug)]
pub struct ReportOutcome {
    /// The page.
    pub html: PathBuf,
    /// Figures that could not be made, in words (the page lists them too).
    pub problems: Vec<String>,
    /// Library points on each map.
    pub mapped_points: usize,
    /// Points in the library.
    pub library_size: usize,
    /// Seconds spent on maps, on figures, and in all.
    pub seconds: [f64; 3],
}

/// Why no page could be written at all.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The target could not be read again.
    #[error(transparent)]
    Target(#[from] AudioInputError),
    /// The library could not be loaded.
    #[error(transparent)]
    Library(#[from] LibraryError),
    /// A rendered match could not be read.
    #[error("{path}: cannot read the rendered match: {problem}")]
    Match {
        /// The file.
        path: PathBuf,
        /// Why.
        problem: String,
    },
    /// A file could not be written.
    #[error("{path}: cannot write: {source}")]
    Output {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Mapping stopped (Ctrl-C).
    #[error(transparent)]
    Maps(#[from] ReduceError),
}

/// A sound on the page: its label, samples and features.
struct PageSound {
    label: String,
    samples: Vec<f32>,
    features: [f32; DIMS],
}

/// Writes `report.html` and its figures into `out_dir` for `result`.
/// `target_onsets` (seconds from the start of the target) are marked on the
/// target's spectrogram; an empty slice marks none.
pub fn write_report(
    result: &MatchResult,
    out_dir: &Path,
    settings: &MapSettings,
    target_onsets: &[f64],
    stop: &AtomicBool,
) -> Result<ReportOutcome, ReportError> {
    let started = Instant::now();
    let output = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Output { path, source }
    };
    let audio = load_target(&result.target)?;
    let target_copy = out_dir.join(TARGET_FILE);
    let frames: Vec<[f32; 2]> = audio.samples.iter().map(|&x| [x, x]).collect();
    write_wav(&target_copy, &frames, audio_rate(), SampleFormat::Pcm16).map_err(output(&target_copy))?;
    let extractor = FeatureExtractor::new();
    let target = PreparedTarget::new(audio.samples, &extractor);
    let library = library::load(&result.library.dir)?;
    let index = Index::build(&library.features);

    let mut sounds = vec![PageSound {
        label: "target".into(),
        samples: target.samples.clone(),
        features: target.features,
    }];
    for candidate in &result.candidates {
        let samples = read_out_channel(&candidate.wav)?;
        let features = extractor.extract(&samples);
        sounds.push(PageSound { label: format!("match-{}", candidate.rank), samples, features });
    }

    let maps_started = Instant::now();
    let required: Vec<usize> =
        index.search(&target.features, result.candidates.len().max(1)).iter().map(|n| n.index).collect();
    let encodings = default_encodings(&library.manifest.space);
    let map_sounds: Vec<(String, Sound)> = sounds
        .iter()
        .map(|s| (s.label.clone(), Sound { samples: &s.samples, features: &s.features }))
        .collect();
    let request = MapRequest {
        library: &library,
        index: &index,
        sounds: &map_sounds,
        required: &required,
        settings,
        encodings: &encodings,
        keep_dir: Some(&out_dir.join("maps")),
    };
    let maps = compute_maps(&request, stop)?;
    let maps_seconds = maps_started.elapsed().as_secs_f64();

    let figures_started = Instant::now();
    let mut problems = Vec::new();
    let mut figure = |figure: &dyn FigureWriter, name: &str, alt: String| -> Option<FigureFiles> {
        match figure.write(&out_dir.join(name)) {
            Ok(()) => Some(FigureFiles { png: format!("{name}.png"), svg: format!("{name}.svg"), alt }),
            Err(problem) => {
                problems.push(problem);
                None
            }
        }
    };

    let hop = shared_hop(sounds.iter().map(|s| s.samples.len()).max().unwrap_or(0));
    let seconds = sounds.iter().map(|s| s.samples.len()).max().unwrap_or(0) as f64 / 48_000.0;
    let spectrograms: Vec<Option<FigureFiles>> = sounds
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let mel = log_mel(&s.samples, hop);
            // Sound 0 is the target; only its onsets are known.
            let onsets = if k == 0 { target_onsets } else { &[] };
            let title = match onsets.len() {
                0 => format!("{} (log-mel, dB re its peak)", s.label),
                n => format!("{} (log-mel, dB re its peak; white lines: {n} onsets)", s.label),
            };
            let spectrogram = SpectrogramFigure { title, mel: &mel, seconds, onsets };
            figure(
                &spectrogram,
                &format!("spectrogram-{}", s.label),
                format!("log-mel spectrogram of {}", s.label),
            )
        })
        .collect();
    let curves: Vec<Envelope> =
        sounds.iter().enumerate().map(|(k, s)| rms_envelope(&s.label, k, &s.samples)).collect();
    let envelope = figure(
        &EnvelopeFigure { title: "RMS envelopes (dB re each sound's peak)".into(), curves: &curves },
        "envelopes",
        "RMS envelopes of the target and the matches".into(),
    );

    let engines: Vec<u8> = maps.library_points.iter().map(|&i| library.points[i].model).collect();
    let legend = MapLegend { engines: &engines, sounds: &maps.sound_labels };
    let plotted = plotted_line(&maps);
    let full_nearest = required.first().copied();
    let mut sections = Vec::new();
    for encoding in &encodings {
        let name = encoding.name();
        let cells: Vec<_> = maps.cells.iter().filter(|c| c.encoding == name).collect();
        let pca = cells.iter().find(|c| c.reduction == Reduction::Pca).map(|cell| {
            let axes = cell.map.as_ref().ok().and_then(|m| m.explained).map(|[a, b]| {
                (
                    format!("PC1 ({:.0}% of variance)", 100.0 * a),
                    format!("PC2 ({:.0}% of variance)", 100.0 * b),
                )
            });
            let panel = Panel {
                title: String::new(),
                coords: cell.map.as_ref().map(|m| &m.coords[..]).map_err(Clone::clone),
                axes,
            };
            let map = MapFigure {
                title: format!("PCA, encoding \"{name}\""),
                subtitle: plotted.clone(),
                legend,
                panels: vec![panel],
                rows: 1,
                cols: 1,
                panel_size: 760,
            };
            figure(&map, &format!("map-{name}-pca"), format!("PCA map, {name} encoding"))
        });
        let tsne_cells: Vec<_> =
            cells.iter().filter(|c| matches!(c.reduction, Reduction::Tsne { .. })).collect();
        let tsne = (!tsne_cells.is_empty()).then(|| {
            let panels = tsne_cells
                .iter()
                .map(|cell| Panel {
                    title: panel_title(
                        &cell.reduction,
                        cell.map.as_ref().ok().and_then(|m| m.perplexity_used),
                    ),
                    coords: cell.map.as_ref().map(|m| &m.coords[..]).map_err(Clone::clone),
                    axes: None,
                })
                .collect();
            let map = MapFigure {
                title: format!("t-SNE, encoding \"{name}\" (rows: perplexity, columns: iterations)"),
                subtitle: plotted.clone(),
                legend,
                panels,
                rows: settings.perplexities.len(),
                cols: settings.iterations.len(),
                panel_size: 340,
            };
            figure(&map, &format!("map-{name}-tsne"), format!("t-SNE maps, {name} encoding"))
        });
        let agreeing = cells
            .iter()
            .filter(|c| c.map.as_ref().is_ok_and(|m| maps.nearest_library_point(m, 0) == full_nearest))
            .count();
        sections.push(MapSection {
            encoding: name.to_string(),
            description: encoding.description().to_string(),
            pca: pca.flatten(),
            tsne: tsne.flatten(),
            agreement: format!(
                "The target's nearest patch on the map is its nearest in the full feature space (#{}) on {agreeing} of {} maps.",
                full_nearest.map_or("-".to_string(), |i| i.to_string()),
                cells.len()
            ),
        });
    }

    let scaled_target = index.scaler().transform(&target.features);
    let space = &library.manifest.space;
    let rows = result
        .candidates
        .iter()
        .zip(sounds.iter().skip(1))
        .zip(spectrograms.iter().skip(1))
        .map(|((c, sound), spectrogram)| CandidateRow {
            rank: c.rank,
            engine: format!("{} {}", c.params.model, c.engine),
            method: c.method.clone(),
            mss: c.distance,
            feature_distance: squared_distance(&scaled_target, &index.scaler().transform(&sound.features))
                .sqrt(),
            knobs: space
                .knobs
                .iter()
                .map(|k| get_field(&c.params, &k.name).map_or("-".into(), |v| format!("{v:.4}")))
                .collect(),
            trigger: match &c.params.trigger {
                None => "drone".to_string(),
                Some(t) => format!(
                    "struck at {}",
                    t.iter().map(|x| format!("{x:.3} s")).collect::<Vec<_>>().join(", ")
                ),
            },
            cc: c.cc.iter().map(|(cc, v)| format!("CC{cc}={v}")).collect::<Vec<_>>().join(" "),
            audio: file_name(&c.wav),
            vcv: file_name(&c.vcv),
            spectrogram: spectrogram.clone(),
        })
        .collect();
    let figures_seconds = figures_started.elapsed().as_secs_f64();

    let page = Page {
        target_name: file_name(&result.target),
        target_path: result.target.display().to_string(),
        target_audio: TARGET_FILE.to_string(),
        target_spectrogram: spectrograms.first().cloned().flatten(),
        library: format!(
            "{} ({} patches of space \"{}\", seed {})",
            result.library.dir.display(),
            result.library.size,
            result.library.space,
            result.library.seed
        ),
        plotted,
        knob_names: space.knobs.iter().map(|k| k.name.clone()).collect(),
        rows,
        envelope,
        maps: sections,
        problems: problems.clone(),
        timing: format!(
            "match {:.1} s (result.json), maps {maps_seconds:.1} s, figures {figures_seconds:.1} s",
            result.timing_ms.get("total").copied().unwrap_or(0.0) / 1000.0
        ),
    };
    let html_path = out_dir.join(REPORT_FILE);
    write_bytes_atomically(&html_path, html::render(&page).as_bytes()).map_err(output(&html_path))?;
    Ok(ReportOutcome {
        html: html_path,
        problems,
        mapped_points: maps.library_points.len(),
        library_size: maps.library_size,
        seconds: [maps_seconds, figures_seconds, started.elapsed().as_secs_f64()],
    })
}

/// A figure behind a trait object (plotters' `Figure` is generic over backends).
trait FigureWriter {
    fn write(&self, stem: &Path) -> Result<(), String>;
}

impl<F: Figure> FigureWriter for F {
    fn write(&self, stem: &Path) -> Result<(), String> {
        write_figure(self, stem).map(|_| ()).map_err(|e| e.to_string())
    }
}

/// "5000 of 16384 library patches (stratified over engines, nearest ones kept); ..."
fn plotted_line(maps: &MapSet) -> String {
    let shown = maps.library_points.len();
    let sample = if shown < maps.library_size {
        format!("{shown} of {} library patches (a subsample stratified over engines that keeps the target's nearest)", maps.library_size)
    } else {
        format!("all {shown} library patches")
    };
    format!("{sample}; target in red, matches ringed with their rank")
}

/// "perplexity 30, 1000 iterations" (noting a lowered perplexity).
fn panel_title(reduction: &Reduction, used: Option<f64>) -> String {
    match *reduction {
        Reduction::Pca => "PCA".into(),
        Reduction::Tsne { perplexity, iterations } => match used {
            Some(used) if used < perplexity => {
                format!("perplexity {perplexity} (used {used}), {iterations} iter.")
            }
            _ => format!("perplexity {perplexity}, {iterations} iterations"),
        },
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

fn audio_rate() -> u32 {
    crate::audio_in::ANALYSIS_RATE
}

/// The first channel (Plaits OUT) of a rendered match, as floats.
fn read_out_channel(path: &Path) -> Result<Vec<f32>, ReportError> {
    let failed = |problem: String| ReportError::Match { path: path.to_path_buf(), problem };
    let mut reader = hound::WavReader::open(path).map_err(|e| failed(e.to_string()))?;
    let spec = reader.spec();
    if spec.sample_rate != audio_rate() || spec.channels == 0 {
        return Err(failed(format!(
            "{} Hz, {} channels; expected 48000 Hz",
            spec.sample_rate, spec.channels
        )));
    }
    let channels = spec.channels as usize;
    let samples: Vec<f32> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Int, 16) => reader
            .samples::<i16>()
            .step_by(channels)
            .map(|s| s.map(|v| v as f32 / 32768.0))
            .collect::<Result<_, _>>()
            .map_err(|e| failed(e.to_string()))?,
        (hound::SampleFormat::Float, 32) => reader
            .samples::<f32>()
            .step_by(channels)
            .collect::<Result<_, _>>()
            .map_err(|e| failed(e.to_string()))?,
        (format, bits) => return Err(failed(format!("unexpected sample format {format:?} {bits}-bit"))),
    };
    Ok(samples)
}
