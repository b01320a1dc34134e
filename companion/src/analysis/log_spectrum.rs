//! A sound's long-term spectrum on a log-frequency axis, and the pitch
//! shifts that best line two such spectra up.
//!
//! On a log-frequency axis a transposition is a plain shift, so
//! cross-correlating two spectra finds how far one sound must be transposed
//! to sit on the other. Unlike comparing two f0 estimates, it uses every
//! partial at once, so it works for chords, inharmonic and noisy sounds, and
//! it offers the octave and fifth alternatives as further peaks rather than
//! silently picking one.

use realfft::num_complex::Complex;
use realfft::RealFftPlanner;

/// Analysis frame (samples): 1.5 Hz resolution at 48 kHz, enough to separate
/// quarter semitones down to about 70 Hz.
const FRAME: usize = 32_768;
/// Frames averaged at most; long sounds are sampled evenly.
const MAX_FRAMES: usize = 8;
/// Lowest bin centre, Hz.
const LOWEST_HZ: f64 = 20.0;
/// Log bins per semitone.
pub const BINS_PER_SEMITONE: usize = 4;
/// Log bins in all: ten octaves from [`LOWEST_HZ`].
const BINS: usize = 10 * 12 * BINS_PER_SEMITONE;
/// Level (re the loudest bin) below which a bin counts as silent.
const FLOOR: f64 = 1e-6;

/// A long-term log-frequency spectrum, compressed so that loud partials do
/// not drown the pattern of quieter ones.
#[derive(Clone, Debug, PartialEq)]
pub struct LogSpectrum {
    bins: Vec<f64>,
    norm: f64,
}

impl LogSpectrum {
    /// The spectrum of mono `samples` at `sample_rate`.
    pub fn of(samples: &[f32], sample_rate: f64) -> Self {
        let power = average_power(samples);
        let bin_hz = sample_rate / FRAME as f64;
        let loudest = power.iter().cloned().fold(0.0, f64::max);
        let bins: Vec<f64> = (0..BINS)
            .map(|b| {
                let centre = LOWEST_HZ * 2f64.powf(b as f64 / (12 * BINS_PER_SEMITONE) as f64);
                let half_width = 2f64.powf(0.5 / (12 * BINS_PER_SEMITONE) as f64);
                let (lo, hi) =
                    ((centre / half_width / bin_hz).ceil(), (centre * half_width / bin_hz).floor());
                let p = if lo <= hi && (hi as usize) < power.len() {
                    power[lo as usize..=hi as usize].iter().cloned().fold(0.0, f64::max)
                } else {
                    interpolate(&power, centre / bin_hz)
                };
                if loudest > 0.0 {
                    (p / (loudest * FLOOR)).max(1.0).ln()
                } else {
                    0.0
                }
            })
            .collect();
        let norm = bins.iter().map(|v| v * v).sum::<f64>().sqrt();
        Self { bins, norm }
    }

    /// Cosine similarity with `other` transposed up by `shift` bins (bins
    /// shifted past either end are lost).
    fn similarity(&self, other: &Self, shift: isize) -> f64 {
        if self.norm == 0.0 || other.norm == 0.0 {
            return 0.0;
        }
        let dot: f64 = (0..BINS as isize)
            .filter_map(|b| {
                let source = b - shift;
                (0..BINS as isize)
                    .contains(&source)
                    .then(|| self.bins[b as usize] * other.bins[source as usize])
            })
            .sum();
        dot / (self.norm * other.norm)
    }

    /// The transpositions (semitones, at most `max_semitones` either way) that
    /// best move `candidate` onto this spectrum, best first: up to `count`
    /// peaks of the cross-correlation, at least a semitone apart, refined
    /// between bins. A peak within a quarter semitone of no move is left out:
    /// the candidate as it stands has been heard already.
    pub fn best_shifts(&self, candidate: &Self, max_semitones: f64, count: usize) -> Vec<f64> {
        let reach = (max_semitones * BINS_PER_SEMITONE as f64) as isize;
        let scores: Vec<f64> = (-reach..=reach).map(|s| self.similarity(candidate, s)).collect();
        let mut peaks: Vec<(f64, f64)> = (1..scores.len().saturating_sub(1))
            .filter(|&i| scores[i] > scores[i - 1] && scores[i] >= scores[i + 1] && scores[i] > 0.0)
            .map(|i| {
                let (a, b, c) = (scores[i - 1], scores[i], scores[i + 1]);
                let curvature = a - 2.0 * b + c;
                let offset = if curvature < 0.0 { 0.5 * (a - c) / curvature } else { 0.0 };
                let shift = (i as f64 - reach as f64 + offset) / BINS_PER_SEMITONE as f64;
                (shift, b)
            })
            .collect();
        peaks.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.total_cmp(&y.0)));
        let mut chosen: Vec<f64> = Vec::with_capacity(count);
        for (shift, _) in peaks {
            if chosen.len() == count {
                break;
            }
            if shift.abs() >= 0.25 && chosen.iter().all(|c| (c - shift).abs() >= 1.0) {
                chosen.push(shift);
            }
        }
        chosen
    }
}

/// Power spectrum (`FRAME/2 + 1` bins) averaged over up to [`MAX_FRAMES`]
/// Hann-windowed frames; a sound shorter than a frame is windowed whole and zero-padded.
fn average_power(samples: &[f32]) -> Vec<f64> {
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(FRAME);
    let mut input = fft.make_input_vec();
    let mut spectrum: Vec<Complex<f64>> = fft.make_output_vec();
    let mut power = vec![0.0; FRAME / 2 + 1];
    let length = samples.len().min(FRAME);
    let starts: Vec<usize> = if samples.len() <= FRAME {
        vec![0]
    } else {
        let frames = ((samples.len() - FRAME) / (FRAME / 2) + 1).min(MAX_FRAMES);
        let last = samples.len() - FRAME;
        (0..frames).map(|f| if frames == 1 { 0 } else { last * f / (frames - 1) }).collect()
    };
    for &start in &starts {
        input.iter_mut().for_each(|x| *x = 0.0);
        for (i, x) in input.iter_mut().take(length).enumerate() {
            let window = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / length as f64).cos();
            *x = samples[start + i] as f64 * window;
        }
        fft.process(&mut input, &mut spectrum).expect("buffer sizes match the plan");
        for (p, c) in power.iter_mut().zip(&spectrum) {
            *p += c.norm_sqr();
        }
    }
    power
}

/// Linear interpolation of `values` at fractional index `at` (0 past the end).
fn interpolate(values: &[f64], at: f64) -> f64 {
    let i = at.floor() as usize;
    match (values.get(i), values.get(i + 1)) {
        (Some(&a), Some(&b)) => a + (b - a) * (at - i as f64),
        (Some(&a), None) => a,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn harmonic_tone(f0: f64, seconds: f64) -> Vec<f32> {
        let rate = 48_000.0;
        (0..(seconds * rate) as usize)
            .map(|i| {
                let t = i as f64 / rate;
                (1..=8)
                    .map(|h| (2.0 * std::f64::consts::PI * f0 * h as f64 * t).sin() / h as f64)
                    .sum::<f64>() as f32
            })
            .collect()
    }

    #[test]
    fn the_best_shift_is_the_interval_between_two_tones() {
        for (from, semitones) in [(220.0, 7.0), (330.0, -5.0), (110.0, 19.0), (440.0, 0.5), (261.6, -13.0)] {
            let to = from * 2f64.powf(semitones / 12.0);
            let target = LogSpectrum::of(&harmonic_tone(to, 0.5), 48_000.0);
            let candidate = LogSpectrum::of(&harmonic_tone(from, 0.5), 48_000.0);
            let shifts = target.best_shifts(&candidate, 48.0, 3);
            assert!((shifts[0] - semitones).abs() < 0.15, "{from} Hz + {semitones} st: {shifts:?}");
        }
    }

    #[test]
    fn long_sounds_and_silence_are_handled() {
        let long = LogSpectrum::of(&harmonic_tone(150.0, 3.0), 48_000.0);
        let short = LogSpectrum::of(&harmonic_tone(300.0, 0.3), 48_000.0);
        assert!((long.best_shifts(&short, 24.0, 1)[0] + 12.0).abs() < 0.15);
        let silent = LogSpectrum::of(&[0.0; 1000], 48_000.0);
        assert!(silent.best_shifts(&long, 24.0, 3).is_empty());
    }
}
