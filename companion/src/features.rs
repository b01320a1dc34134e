//! The feature vector rackmatch matches on: what a sound's first half second
//! looks like in timbre, spectral evolution, loudness shape and pitch.
//!
//! Everything is level-independent (the segment is RMS-normalised first), so a
//! quiet recording matches a loud render. Dimensions are grouped; the index
//! standardises each dimension by the library's statistics and weights each
//! group equally, so that no group wins just by having more dimensions.
//!
//! | group    | dims | what |
//! |----------|------|------|
//! | mfcc     | 24   | mean and std over frames of MFCC 1–12 (32 mel bands, c0 dropped: level) |
//! | logmel   | 48   | 16 log-mel bands averaged over 0–50, 50–200 and 200–500 ms: how the spectrum evolves |
//! | envelope | 11   | RMS dB re peak in 8 log-spaced windows (0–5 … 320–500 ms), attack time, time to −20 dB, late level |
//! | pitch    | 3    | YIN f0 (octaves re 440 Hz), voicing confidence, glide (octaves/s) |
//! | spectral | 4    | centroid (octaves re 1 kHz), its change early→late, flatness (dB), zero-crossing rate |

use crate::analysis::envelope::{centred_rms, relative_db};
use crate::analysis::mel::{Dct2, MelFilterBank};
use crate::analysis::segment::sound_start;
use crate::analysis::spectral_profile::{profile, SpectralProfile};
use crate::analysis::spectrogram::Stft;
use crate::pitch::{yin_frames_with, YinSettings};

/// Rate of the signals features are computed from.
pub const FEATURE_RATE: f64 = 48_000.0;
/// Length of the analysed segment, from the sound's start.
pub const FEATURE_SECONDS: f64 = 0.5;
/// Version of the feature definition; libraries built with another are rebuilt.
pub const FEATURE_VERSION: u32 = 1;

const N_FFT: usize = 1024;
const HOP: usize = 480;
const MEL_BANDS: usize = 32;
const MFCC_COUNT: usize = 12;
const COARSE_BANDS: usize = 16;
/// Boundaries (ms) of the three spectral-evolution segments.
const TIME_SEGMENTS_MS: [f64; 4] = [0.0, 50.0, 200.0, 500.0];
/// Boundaries (ms) of the envelope windows.
const ENVELOPE_WINDOWS_MS: [f64; 9] = [0.0, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 500.0];
const ENVELOPE_FLOOR_DB: f32 = -80.0;
/// Pitch analysis runs on the signal decimated by this factor (16 kHz).
const PITCH_DECIMATION: usize = 3;

/// A named slice of the feature vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeatureGroup {
    /// Group name, e.g. "mfcc".
    pub name: &'static str,
    /// First dimension.
    pub start: usize,
    /// Number of dimensions.
    pub len: usize,
}

/// The groups, in vector order.
pub const GROUPS: [FeatureGroup; 5] = [
    FeatureGroup { name: "mfcc", start: 0, len: 24 },
    FeatureGroup { name: "logmel", start: 24, len: 48 },
    FeatureGroup { name: "envelope", start: 72, len: 11 },
    FeatureGroup { name: "pitch", start: 83, len: 3 },
    FeatureGroup { name: "spectral", start: 86, len: 4 },
];

/// Total dimensions.
pub const DIMS: usize = 90;

/// Index of the f0 dimension and of the voicing confidence (pitch group).
pub const F0_DIM: usize = 83;
/// Index of the voicing-confidence dimension.
pub const VOICING_DIM: usize = 84;
/// Index of the glide dimension.
pub const GLIDE_DIM: usize = 85;

/// What a library keeps of one sound: its feature vector, to find its
/// neighbours by, and its spectral profile, to rank it as MSS would.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SoundAnalysis {
    /// The feature vector.
    pub features: [f32; DIMS],
    /// The spectral profile of the same segment.
    pub profile: SpectralProfile,
}

/// Computes feature vectors; holds the planned FFT and filter bank, so keep one per thread.
pub struct FeatureExtractor {
    stft: Stft,
    mel: MelFilterBank,
    dct: Dct2,
    lowpass: Vec<f32>,
}

impl Default for FeatureExtractor {
    fn default() -> Self {
        Self::new()
    }
}

impl FeatureExtractor {
    /// Plans the analysis.
    pub fn new() -> Self {
        let stft = Stft::new(N_FFT, HOP);
        let mel = MelFilterBank::new(MEL_BANDS, 30.0, 16_000.0, N_FFT / 2 + 1, FEATURE_RATE / N_FFT as f64);
        let dct = Dct2::new(MEL_BANDS, MFCC_COUNT + 1);
        Self { stft, mel, dct, lowpass: lowpass_kernel(31, 0.9 / (2.0 * PITCH_DECIMATION as f64)) }
    }

    /// Features of a 48 kHz mono signal, from its start (leading silence skipped).
    pub fn extract(&self, signal: &[f32]) -> [f32; DIMS] {
        self.analyse(signal).features
    }

    /// Features and spectral profile of a 48 kHz mono signal, both of the
    /// same segment (from its start, leading silence skipped).
    pub fn analyse(&self, signal: &[f32]) -> SoundAnalysis {
        let segment = analysis_segment(signal);
        let mut features = [0.0f32; DIMS];
        let spectrogram = self.stft.power(&segment, FEATURE_RATE);
        let mut log_mel = vec![0.0f32; spectrogram.frames * MEL_BANDS];
        for frame in 0..spectrogram.frames {
            self.mel
                .apply(spectrogram.frame(frame), &mut log_mel[frame * MEL_BANDS..(frame + 1) * MEL_BANDS]);
        }
        // An 80 dB range below the loudest band: anything under it is f32 FFT
        // noise, which would otherwise make features depend on input level.
        let floor = log_mel.iter().fold(0.0f32, |m, &e| m.max(e)) * 1e-8 + 1e-30;
        log_mel.iter_mut().for_each(|e| *e = 10.0 * e.max(floor).log10());
        self.mfcc_stats(&log_mel, spectrogram.frames, &mut features[0..24]);
        spectral_evolution(&log_mel, spectrogram.frames, spectrogram.hop_seconds, &mut features[24..72]);
        envelope_shape(&segment, &mut features[72..83]);
        self.pitch(&segment, &mut features[83..86]);
        spectral_shape(&spectrogram, &segment, &mut features[86..90]);
        // Degenerate inputs (silence, a flat pitch track) must not poison the
        // library's statistics: a missing value is neutral.
        for x in features.iter_mut().filter(|x| !x.is_finite()) {
            *x = 0.0;
        }
        SoundAnalysis { features, profile: profile(&spectrogram) }
    }

    fn mfcc_stats(&self, log_mel: &[f32], frames: usize, out: &mut [f32]) {
        let mut coefficients = vec![0.0f32; frames * MFCC_COUNT];
        let mut c = [0.0f32; MFCC_COUNT + 1];
        for frame in 0..frames {
            self.dct.apply(&log_mel[frame * MEL_BANDS..(frame + 1) * MEL_BANDS], &mut c);
            coefficients[frame * MFCC_COUNT..(frame + 1) * MFCC_COUNT].copy_from_slice(&c[1..]);
        }
        for k in 0..MFCC_COUNT {
            let values = (0..frames).map(|f| coefficients[f * MFCC_COUNT + k]);
            let (mean, std) = mean_std(values);
            out[k] = mean;
            out[MFCC_COUNT + k] = std;
        }
    }

    fn pitch(&self, segment: &[f32], out: &mut [f32]) {
        let decimated = decimate(segment, &self.lowpass, PITCH_DECIMATION);
        let rate = FEATURE_RATE / PITCH_DECIMATION as f64;
        let settings = YinSettings { frame_seconds: 0.03, hop_seconds: 0.04 };
        let frames = yin_frames_with(&decimated, rate, settings);
        let possible = ((decimated.len() as f64 / rate - 2.0 * settings.frame_seconds)
            / settings.hop_seconds)
            .ceil()
            .max(1.0);
        if frames.is_empty() {
            return;
        }
        let mut octaves: Vec<f64> = frames.iter().map(|p| (p.f0 / 440.0).log2()).collect();
        let confidence = frames.iter().map(|p| p.confidence).sum::<f64>() / possible;
        let times: Vec<f64> = frames.iter().map(|p| p.start as f64 / rate).collect();
        let glide = slope(&times, &octaves);
        octaves.sort_by(f64::total_cmp);
        out[0] = octaves[octaves.len() / 2] as f32;
        out[1] = confidence.min(1.0) as f32;
        out[2] = glide.clamp(-20.0, 20.0) as f32;
    }
}

/// The segment features look at: from the sound's start, `FEATURE_SECONDS`
/// long (zero-padded), scaled to an RMS of 0.1.
pub fn analysis_segment(signal: &[f32]) -> Vec<f32> {
    let start = sound_start(signal, FEATURE_RATE, -40.0);
    let length = (FEATURE_SECONDS * FEATURE_RATE) as usize;
    let mut segment: Vec<f32> = signal[start.min(signal.len())..].iter().take(length).copied().collect();
    segment.resize(length, 0.0);
    let rms = (segment.iter().map(|x| x * x).sum::<f32>() / length as f32).sqrt();
    if rms > 0.0 {
        let gain = 0.1 / rms;
        segment.iter_mut().for_each(|x| *x *= gain);
    }
    segment
}

/// Mean log-mel level of 16 band pairs in each time segment, relative to the overall mean.
fn spectral_evolution(log_mel: &[f32], frames: usize, hop_seconds: f64, out: &mut [f32]) {
    let overall = log_mel.iter().sum::<f32>() / log_mel.len() as f32;
    for s in 0..3 {
        let first = ((TIME_SEGMENTS_MS[s] / 1000.0 / hop_seconds) as usize).min(frames - 1);
        let last = ((TIME_SEGMENTS_MS[s + 1] / 1000.0 / hop_seconds) as usize).clamp(first + 1, frames);
        for band in 0..COARSE_BANDS {
            let mut sum = 0.0;
            for frame in first..last {
                sum += log_mel[frame * MEL_BANDS + 2 * band] + log_mel[frame * MEL_BANDS + 2 * band + 1];
            }
            out[s * COARSE_BANDS + band] = sum / (2 * (last - first)) as f32 - overall;
        }
    }
}

/// Envelope windows, attack time, time to −20 dB and late level.
fn envelope_shape(segment: &[f32], out: &mut [f32]) {
    let frame_ms = 1.0;
    let hop = (FEATURE_RATE * frame_ms / 1000.0) as usize;
    // 10 ms windows centred on each millisecond: long enough to smooth a
    // period of most pitched sounds without biasing the timing.
    let db = relative_db(&centred_rms(segment, 10 * hop, hop), ENVELOPE_FLOOR_DB);
    for w in 0..8 {
        let first = (ENVELOPE_WINDOWS_MS[w] / frame_ms) as usize;
        let last = ((ENVELOPE_WINDOWS_MS[w + 1] / frame_ms) as usize).min(db.len());
        out[w] = db[first..last].iter().sum::<f32>() / (last - first) as f32;
    }
    let peak = db.iter().position(|&d| d >= 0.0).unwrap_or(0);
    let below = db[peak..].iter().position(|&d| d < -20.0).map(|i| i as f32).unwrap_or(db.len() as f32);
    out[8] = (1.0 + peak as f32 * frame_ms as f32).ln();
    out[9] = (1.0 + below * frame_ms as f32).ln();
    let late = &db[db.len() - 100..];
    out[10] = late.iter().sum::<f32>() / late.len() as f32;
}

/// Centroid, its early-to-late change, flatness and zero-crossing rate.
fn spectral_shape(
    spectrogram: &crate::analysis::spectrogram::PowerSpectrogram,
    segment: &[f32],
    out: &mut [f32],
) {
    let mut centroids = Vec::with_capacity(spectrogram.frames);
    let mut weights = Vec::with_capacity(spectrogram.frames);
    let mut flatness_sum = 0.0;
    let mut flatness_weight = 0.0;
    // Same 80 dB range as the mel bands, for the same reason.
    let floor = spectrogram.power.iter().fold(0.0f32, |m, &p| m.max(p)) * 1e-8 + 1e-30;
    for frame in 0..spectrogram.frames {
        let power = spectrogram.frame(frame);
        let total: f32 = power.iter().sum();
        if total <= 1e-12 {
            continue;
        }
        let centroid = power.iter().enumerate().map(|(k, p)| k as f32 * p).sum::<f32>() / total
            * spectrogram.bin_hz as f32;
        centroids.push((centroid.max(10.0) / 1000.0).log2());
        weights.push(total);
        let log_mean = power.iter().map(|p| p.max(floor).ln()).sum::<f32>() / power.len() as f32;
        let flatness = 10.0 * (log_mean.exp() / (total / power.len() as f32)).log10();
        flatness_sum += flatness * total;
        flatness_weight += total;
    }
    if !centroids.is_empty() {
        let total: f32 = weights.iter().sum();
        out[0] = centroids.iter().zip(&weights).map(|(c, w)| c * w).sum::<f32>() / total;
        let third = centroids.len().div_ceil(3);
        let early = centroids[..third].iter().sum::<f32>() / third as f32;
        let late_part = &centroids[centroids.len() - third..];
        out[1] = late_part.iter().sum::<f32>() / third as f32 - early;
        out[2] = flatness_sum / flatness_weight;
    }
    let crossings = segment.windows(2).filter(|w| (w[0] < 0.0) != (w[1] < 0.0)).count();
    out[3] = crossings as f32 / segment.len() as f32;
}

fn mean_std(values: impl Iterator<Item = f32> + Clone) -> (f32, f32) {
    let n = values.clone().count().max(1) as f32;
    let mean = values.clone().sum::<f32>() / n;
    let var = values.map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
    (mean, var.sqrt())
}

/// Least-squares slope of `y` over `x` (0 for fewer than two points).
fn slope(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    if x.len() < 2 {
        return 0.0;
    }
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    if sxx == 0.0 {
        0.0
    } else {
        sxy / sxx
    }
}

/// A Hann-windowed sinc low-pass of `taps` taps at `cutoff` (cycles per sample).
fn lowpass_kernel(taps: usize, cutoff: f64) -> Vec<f32> {
    let middle = (taps - 1) as f64 / 2.0;
    let mut kernel: Vec<f64> = (0..taps)
        .map(|i| {
            let t = i as f64 - middle;
            let sinc = if t == 0.0 {
                2.0 * cutoff
            } else {
                (2.0 * std::f64::consts::PI * cutoff * t).sin() / (std::f64::consts::PI * t)
            };
            let window = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / (taps - 1) as f64).cos();
            sinc * window
        })
        .collect();
    let sum: f64 = kernel.iter().sum();
    kernel.iter_mut().for_each(|k| *k /= sum);
    kernel.into_iter().map(|k| k as f32).collect()
}

/// Low-pass filters and keeps every `factor`-th sample, as f64 for YIN.
fn decimate(signal: &[f32], kernel: &[f32], factor: usize) -> Vec<f64> {
    let half = kernel.len() / 2;
    let outputs = signal.len() / factor;
    let mut decimated = Vec::with_capacity(outputs);
    let mut o = 0;
    while o < outputs {
        let window_of = |o: usize| {
            (o * factor).checked_sub(half).and_then(|first| signal.get(first..first + kernel.len()))
        };
        // Away from the edges, LANES outputs at once: each keeps its own sum in
        // tap order (same bits as one at a time), and the independent sums
        // overlap in the pipeline instead of waiting on each other.
        if o + LANES <= outputs && window_of(o).is_some() && window_of(o + LANES - 1).is_some() {
            let span = &signal[o * factor - half..(o + LANES - 1) * factor - half + kernel.len()];
            let mut sums = [0.0f32; LANES];
            for (k, &w) in kernel.iter().enumerate() {
                for (lane, sum) in sums.iter_mut().enumerate() {
                    *sum += w * span[lane * factor + k];
                }
            }
            decimated.extend(sums.iter().map(|&sum| sum as f64));
            o += LANES;
        } else {
            decimated.push(decimate_one(signal, kernel, o * factor) as f64);
            o += 1;
        }
    }
    decimated
}

/// Outputs [`decimate`] computes side by side.
const LANES: usize = 8;

/// One low-passed sample centred on `centre`; taps outside the signal read nothing.
fn decimate_one(signal: &[f32], kernel: &[f32], centre: usize) -> f32 {
    let half = kernel.len() / 2;
    let mut sum = 0.0f32;
    for (k, &w) in kernel.iter().enumerate() {
        if let Some(&x) = (centre + k).checked_sub(half).and_then(|i| signal.get(i)) {
            sum += w * x;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimation_matches_one_output_at_a_time() {
        let signal: Vec<f32> = (0..1003).map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0).collect();
        let kernel = lowpass_kernel(31, 0.1);
        let decimated = decimate(&signal, &kernel, 4);
        assert_eq!(decimated.len(), 1003 / 4);
        for (o, &y) in decimated.iter().enumerate() {
            assert_eq!(y.to_bits(), (decimate_one(&signal, &kernel, o * 4) as f64).to_bits(), "output {o}");
        }
    }

    /// Five harmonics with a 1/k spectrum, decaying exponentially.
    fn tone(hz: f64, seconds: f64, decay_per_s: f64) -> Vec<f32> {
        (0..(seconds * FEATURE_RATE) as usize)
            .map(|i| {
                let t = i as f64 / FEATURE_RATE;
                let wave: f64 =
                    (1..=5).map(|k| (2.0 * std::f64::consts::PI * hz * k as f64 * t).sin() / k as f64).sum();
                (wave * (-decay_per_s * t).exp()) as f32
            })
            .collect()
    }

    #[test]
    fn groups_tile_the_vector() {
        let mut next = 0;
        for g in GROUPS {
            assert_eq!(g.start, next, "{}", g.name);
            next += g.len;
        }
        assert_eq!(next, DIMS);
    }

    #[test]
    fn features_do_not_depend_on_level_or_leading_silence() {
        let x = tone(330.0, 0.6, 4.0);
        let quiet: Vec<f32> = x.iter().map(|v| v * 0.01).collect();
        let mut delayed = vec![0.0f32; 2400];
        delayed.extend_from_slice(&x);
        let extractor = FeatureExtractor::new();
        let a = extractor.extract(&x);
        let b = extractor.extract(&quiet);
        let c = extractor.extract(&delayed);
        for i in 0..DIMS {
            assert!((a[i] - b[i]).abs() < 1e-3 * (1.0 + a[i].abs()), "dim {i}: {} vs {}", a[i], b[i]);
            assert!((a[i] - c[i]).abs() < 0.05 * (1.0 + a[i].abs()), "dim {i}: {} vs {}", a[i], c[i]);
        }
    }

    #[test]
    fn pitch_is_found_and_percussive_differs_from_drone() {
        let extractor = FeatureExtractor::new();
        let drone = extractor.extract(&tone(220.0, 0.6, 0.0));
        let cents = 1200.0 * (drone[F0_DIM] as f64 - (220.0f64 / 440.0).log2());
        assert!(cents.abs() < 5.0, "{cents}");
        assert!(drone[VOICING_DIM] > 0.8);
        let hit = extractor.extract(&tone(220.0, 0.6, 30.0));
        // Late level: a drone stays near 0 dB, a hit decays far below.
        assert!(drone[82] > -1.0 && hit[82] < -40.0, "{} {}", drone[82], hit[82]);
    }

    #[test]
    fn silence_and_clicks_give_finite_features() {
        let extractor = FeatureExtractor::new();
        let mut click = vec![0.0f32; 24_000];
        click[100] = 1.0;
        for signal in [vec![0.0f32; 24_000], click, vec![1.0f32; 24_000]] {
            assert!(extractor.extract(&signal).iter().all(|x| x.is_finite()));
        }
    }

    #[test]
    fn a_glide_has_a_positive_slope() {
        let extractor = FeatureExtractor::new();
        let mut phase = 0.0f64;
        let glide: Vec<f32> = (0..24_000)
            .map(|i| {
                let t = i as f64 / FEATURE_RATE;
                phase += 220.0 * 2f64.powf(2.0 * t) / FEATURE_RATE;
                (2.0 * std::f64::consts::PI * phase).sin() as f32
            })
            .collect();
        let f = extractor.extract(&glide);
        assert!((f[GLIDE_DIM] - 2.0).abs() < 0.3, "2 octaves per second: {}", f[GLIDE_DIM]);
    }
}
