//! Onset and event analysis: where the hits, chirps and notes of a target
//! start, and what each event does in pitch and loudness.
//!
//! Onsets come from spectral flux (the summed rise of log-compressed STFT
//! magnitudes, 1024-point frames every 5 ms), peak-picked above an adaptive
//! threshold (moving median plus a fraction of the maximum) with a minimum
//! gap. Each peak is then placed precisely on the loudness envelope: the first
//! millisecond after the preceding dip where the level has risen by 3 dB.
//! Peaks whose level rises less than [`MIN_RISE_DB`] are not onsets, so a
//! steady drone or noise has none.

use super::envelope::{centred_rms, relative_db};
use super::spectrogram::Stft;
use crate::pitch::{yin_frames_with, YinSettings};

/// Most onsets kept per target; later ones are dropped (and the cap reported),
/// because a search over hundreds of triggers gains nothing and costs a lot.
pub const MAX_ONSETS: usize = 32;
/// Shortest gap between two onsets, seconds.
pub const MIN_GAP_SECONDS: f64 = 0.05;
/// A peak must rise at least this much above the dip before it to count.
pub const MIN_RISE_DB: f32 = 6.0;
/// Onsets quieter than this (re the loudest millisecond) are ignored.
pub const FLOOR_DB: f32 = -50.0;

/// How far before a flux peak its rise may start, ms.
const RISE_SEARCH_MS: usize = 40;
const N_FFT: usize = 1024;
const HOP: usize = 240;
/// Half-width of the moving-median threshold, in flux frames (50 ms).
const MEDIAN_HALF_WIDTH: usize = 10;
/// Fraction of the largest flux peak added to the moving median.
const DELTA: f32 = 0.1;

/// One event: from an onset to the next (or the end).
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Start, seconds.
    pub start: f64,
    /// End, seconds.
    pub end: f64,
    /// Voiced pitch estimates as (seconds, Hz).
    pub pitch: Vec<(f64, f64)>,
    /// Pitch glide in octaves per second over the voiced frames (0 if fewer than 2).
    pub glide: f64,
    /// RMS level in dB re the target's peak, every millisecond from `start`.
    pub envelope_db: Vec<f32>,
    /// Peak level of the event, dB re the target's peak.
    pub peak_db: f32,
}

/// The onsets and events of a signal.
#[derive(Clone, Debug, PartialEq)]
pub struct OnsetAnalysis {
    /// Onset times in seconds, ascending, at most [`MAX_ONSETS`].
    pub onsets: Vec<f64>,
    /// How many onsets were detected before the cap.
    pub detected: usize,
    /// The events that follow each kept onset.
    pub events: Vec<Event>,
    /// Loudest millisecond before the first onset (of all, if none), dB re the
    /// signal's peak: high when the sound already plays before its first onset.
    pub lead_peak_db: f32,
}

impl OnsetAnalysis {
    /// Whether the cap dropped onsets.
    pub fn capped(&self) -> bool {
        self.detected > self.onsets.len()
    }
}

/// Analyses a 48 kHz mono signal.
pub fn analyse(signal: &[f32], sample_rate: f64) -> OnsetAnalysis {
    let flux = spectral_flux(signal, sample_rate);
    let peaks = pick_peaks(&flux, (MIN_GAP_SECONDS * sample_rate / HOP as f64).round() as usize);
    let ms = (sample_rate / 1000.0) as usize;
    // A sound already loud at the first sample has no rise there: no onset (the
    // matcher treats the sound's start as the first event).
    let level = relative_db(&centred_rms(signal, 2 * ms, ms), -120.0);
    let mut onsets: Vec<f64> = Vec::new();
    for peak in peaks {
        // The flux frame covers samples [peak·HOP − N_FFT/2, peak·HOP + N_FFT/2) of the signal.
        let peak_ms = ((peak * HOP + N_FFT / 2) / ms).min(level.len().saturating_sub(1));
        let search_from = (peak * HOP / ms).saturating_sub(RISE_SEARCH_MS);
        let Some(onset_ms) = rise_start(&level, search_from, peak_ms) else { continue };
        let t = onset_ms as f64 / 1000.0;
        if onsets.last().is_none_or(|&last| t - last >= MIN_GAP_SECONDS) {
            onsets.push(t);
        }
    }
    let detected = onsets.len();
    onsets.truncate(MAX_ONSETS);
    let duration = signal.len() as f64 / sample_rate;
    let events = onsets
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            let end = onsets.get(i + 1).copied().unwrap_or(duration);
            describe_event(signal, sample_rate, &level, start, end)
        })
        .collect();
    let lead_end = onsets.first().map_or(level.len(), |&t| ((t * 1000.0) as usize).min(level.len()));
    let lead_peak_db = level[..lead_end].iter().copied().fold(-120.0f32, f32::max);
    OnsetAnalysis { onsets, detected, events, lead_peak_db }
}

/// Half-wave-rectified rise of log-compressed magnitudes, one value per frame.
fn spectral_flux(signal: &[f32], sample_rate: f64) -> Vec<f32> {
    let stft = Stft::new(N_FFT, HOP);
    // Frames start half a frame early so that an onset at 0 is a rise too.
    let mut padded = vec![0.0f32; N_FFT / 2];
    padded.extend_from_slice(signal);
    let spectrogram = stft.power(&padded, sample_rate);
    let peak = spectrogram.power.iter().fold(0.0f32, |m, &p| m.max(p)).max(1e-20);
    let compress = |p: f32| (1.0 + 1000.0 * (p / peak).sqrt()).ln();
    let mut previous: Vec<f32> = vec![0.0; spectrogram.bins];
    (0..spectrogram.frames)
        .map(|f| {
            let frame = spectrogram.frame(f);
            let mut rise = 0.0;
            for (p, prev) in frame.iter().zip(previous.iter_mut()) {
                let c = compress(*p);
                rise += (c - *prev).max(0.0);
                *prev = c;
            }
            rise
        })
        .collect()
}

/// Local maxima above a moving median plus `DELTA` of the largest value, at least `gap` frames apart.
fn pick_peaks(flux: &[f32], gap: usize) -> Vec<usize> {
    let max = flux.iter().fold(0.0f32, |m, &x| m.max(x));
    if max <= 0.0 {
        return Vec::new();
    }
    let mut peaks: Vec<usize> = Vec::new();
    for i in 0..flux.len() {
        let lo = i.saturating_sub(MEDIAN_HALF_WIDTH);
        let hi = (i + MEDIAN_HALF_WIDTH + 1).min(flux.len());
        let mut window: Vec<f32> = flux[lo..hi].to_vec();
        window.sort_by(f32::total_cmp);
        let threshold = window[window.len() / 2] + DELTA * max;
        let is_max = flux[lo..hi].iter().all(|&x| x <= flux[i]);
        if flux[i] > threshold && is_max {
            match peaks.last() {
                Some(&last) if i - last < gap => {
                    if flux[i] > flux[last] {
                        *peaks.last_mut().expect("non-empty") = i;
                    }
                }
                _ => peaks.push(i),
            }
        }
    }
    peaks
}

/// The millisecond where the level starts rising toward the peak in
/// `[from, to]`: first frame after the dip that is 3 dB above it; `None` if the
/// rise is under [`MIN_RISE_DB`] or the peak is under [`FLOOR_DB`].
fn rise_start(level: &[f32], from: usize, to: usize) -> Option<usize> {
    if from >= to || to >= level.len() {
        return None;
    }
    let (peak_at, &peak) =
        level[from..=to].iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))?;
    let peak_at = from + peak_at;
    let (dip_at, &dip) =
        level[from..=peak_at].iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))?;
    let dip_at = from + dip_at;
    if peak < FLOOR_DB || peak - dip < MIN_RISE_DB {
        return None;
    }
    (dip_at..=peak_at).find(|&i| level[i] >= dip + 3.0)
}

fn describe_event(signal: &[f32], sample_rate: f64, level: &[f32], start: f64, end: f64) -> Event {
    let first = ((start * 1000.0) as usize).min(level.len());
    let last = ((end * 1000.0) as usize).clamp(first, level.len());
    let envelope_db = level[first..last].to_vec();
    let peak_db = envelope_db.iter().cloned().fold(f32::MIN, f32::max);
    let a = ((start * sample_rate) as usize).min(signal.len());
    let b = ((end * sample_rate) as usize).clamp(a, signal.len());
    let segment: Vec<f64> = signal[a..b].iter().map(|&x| x as f64).collect();
    let frames =
        yin_frames_with(&segment, sample_rate, YinSettings { frame_seconds: 0.02, hop_seconds: 0.01 });
    let pitch: Vec<(f64, f64)> =
        frames.iter().map(|p| (start + p.start as f64 / sample_rate, p.f0)).collect();
    let glide = if pitch.len() >= 2 {
        let n = pitch.len() as f64;
        let mt = pitch.iter().map(|p| p.0).sum::<f64>() / n;
        let mo = pitch.iter().map(|p| p.1.log2()).sum::<f64>() / n;
        let sxy: f64 = pitch.iter().map(|p| (p.0 - mt) * (p.1.log2() - mo)).sum();
        let sxx: f64 = pitch.iter().map(|p| (p.0 - mt).powi(2)).sum();
        if sxx > 0.0 {
            sxy / sxx
        } else {
            0.0
        }
    } else {
        0.0
    };
    Event { start, end, pitch, glide, envelope_db, peak_db }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: f64 = 48_000.0;

    /// Decaying tone bursts at `onsets` (seconds), each gliding by `glide` octaves/s.
    fn bursts(onsets: &[f64], seconds: f64, hz: f64, glide: f64) -> Vec<f32> {
        let mut x = vec![0.0f32; (seconds * SR) as usize];
        for &t0 in onsets {
            let mut phase = 0.0f64;
            for (i, sample) in x.iter_mut().enumerate().skip((t0 * SR) as usize) {
                let t = i as f64 / SR - t0;
                phase += hz * 2f64.powf(glide * t) / SR;
                *sample += ((2.0 * std::f64::consts::PI * phase).sin() * (-12.0 * t).exp()) as f32;
            }
        }
        x
    }

    #[test]
    fn finds_known_onsets_within_5_ms() {
        let truth = [0.1, 0.35, 0.52, 0.9];
        let analysis = analyse(&bursts(&truth, 1.2, 440.0, 0.0), SR);
        assert_eq!(analysis.onsets.len(), truth.len(), "{:?}", analysis.onsets);
        for (got, want) in analysis.onsets.iter().zip(truth) {
            assert!((got - want).abs() <= 0.005, "{got} vs {want}");
        }
        assert!(!analysis.capped());
    }

    #[test]
    fn an_onset_just_after_the_start_is_found_and_a_sound_already_playing_has_none() {
        let analysis = analyse(&bursts(&[0.004], 0.5, 300.0, 0.0), SR);
        assert_eq!(analysis.onsets.len(), 1);
        assert!((analysis.onsets[0] - 0.004).abs() <= 0.005, "{:?}", analysis.onsets);
        assert!(analysis.lead_peak_db < -60.0, "{}", analysis.lead_peak_db);
        let playing = analyse(&bursts(&[0.0], 0.5, 300.0, 0.0), SR);
        assert!(playing.onsets.is_empty());
        assert!(playing.lead_peak_db > -1.0, "{}", playing.lead_peak_db);
    }

    #[test]
    fn glides_are_measured_per_event() {
        let analysis = analyse(&bursts(&[0.05, 0.45], 0.8, 1000.0, 3.0), SR);
        assert_eq!(analysis.events.len(), 2);
        for event in &analysis.events {
            assert!((event.glide - 3.0).abs() < 0.3, "3 octaves/s: {}", event.glide);
            let (_, f0) = event.pitch[0];
            assert!((f0 / 1000.0 - 1.0).abs() < 0.1, "{f0}");
        }
    }

    #[test]
    fn a_steady_drone_and_noise_have_no_onsets() {
        let drone: Vec<f32> = (0..48_000).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
        assert!(analyse(&drone, SR).onsets.is_empty());
        let mut state = 9u32;
        let noise: Vec<f32> = (0..48_000)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1 << 24) as f32 - 0.5
            })
            .collect();
        assert!(analyse(&noise, SR).onsets.is_empty());
    }

    #[test]
    fn hundreds_of_hits_are_capped() {
        let truth: Vec<f64> = (0..100).map(|i| 0.01 + i as f64 * 0.07).collect();
        let analysis = analyse(&bursts(&truth, 7.2, 500.0, 0.0), SR);
        assert_eq!(analysis.onsets.len(), MAX_ONSETS);
        assert!(analysis.detected >= 95, "{}", analysis.detected);
        assert!(analysis.capped());
    }
}
