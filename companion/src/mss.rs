//! MSS, the project's distance between two sounds: auraloss' multi-resolution
//! STFT loss with its default settings, as `tools/audiocompare.py` defines it.
//!
//! Per resolution (FFT 1024/2048/512, hop 120/240/50, window 600/1200/240):
//! spectral convergence `‖B − A‖ / ‖A‖` plus the mean absolute difference of
//! log magnitudes; the three are averaged. 0 means identical.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

/// (FFT size, hop, window length) of each resolution.
pub const RESOLUTIONS: [(usize, usize, usize); 3] = [(1024, 120, 600), (2048, 240, 1200), (512, 50, 240)];

/// Floor of the squared magnitude, as in auraloss.
const EPS: f64 = 1e-8;

/// One STFT resolution, planned once and reusable across signals.
pub struct StftResolution {
    n_fft: usize,
    hop: usize,
    window: Vec<f64>,
    fft: Arc<dyn RealToComplex<f64>>,
}

impl StftResolution {
    /// Plans an STFT of `n_fft` points, `hop` samples apart, with a periodic Hann
    /// window of `window_length` centred in the frame.
    pub fn new(n_fft: usize, hop: usize, window_length: usize) -> Self {
        let mut window = vec![0.0; n_fft];
        let left = (n_fft - window_length) / 2;
        for i in 0..window_length {
            window[left + i] =
                0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / window_length as f64).cos();
        }
        let fft = RealFftPlanner::new().plan_fft_forward(n_fft);
        Self { n_fft, hop, window, fft }
    }

    /// Magnitude frames (`frames × (n_fft/2 + 1)`, row-major) of a signal, with
    /// centred frames and reflect padding.
    pub fn magnitudes(&self, signal: &[f64]) -> (Vec<f64>, usize) {
        let pad = self.n_fft / 2;
        let mut x = signal.to_vec();
        if x.len() <= pad {
            x.resize(pad + 1, 0.0);
        }
        let n = x.len();
        let mut padded = Vec::with_capacity(n + 2 * pad);
        padded.extend((1..=pad).rev().map(|k| x[k]));
        padded.extend_from_slice(&x);
        padded.extend((1..=pad).map(|k| x[n - 1 - k]));
        let frames = 1 + (padded.len() - self.n_fft) / self.hop;
        let bins = self.n_fft / 2 + 1;
        let mut out = Vec::with_capacity(frames * bins);
        let mut input = self.fft.make_input_vec();
        let mut spectrum: Vec<Complex<f64>> = self.fft.make_output_vec();
        let mut scratch = self.fft.make_scratch_vec();
        for f in 0..frames {
            let start = f * self.hop;
            for ((x, &p), &w) in input.iter_mut().zip(&padded[start..start + self.n_fft]).zip(&self.window) {
                *x = p * w;
            }
            self.fft
                .process_with_scratch(&mut input, &mut spectrum, &mut scratch)
                .expect("buffer sizes match the plan");
            out.extend(spectrum.iter().map(|c| (c.re * c.re + c.im * c.im).max(EPS).sqrt()));
        }
        (out, frames)
    }
}

/// The three resolutions, planned once.
pub struct Mss {
    resolutions: Vec<StftResolution>,
}

/// A reference signal's magnitudes, computed once for many comparisons.
pub struct PreparedReference {
    len: usize,
    magnitudes: Vec<Vec<f64>>,
}

impl PreparedReference {
    /// Length of the reference in samples.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the reference is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Default for Mss {
    fn default() -> Self {
        Self { resolutions: RESOLUTIONS.iter().map(|&(n, h, w)| StftResolution::new(n, h, w)).collect() }
    }
}

impl Mss {
    /// MSS of `candidate` against `reference`, both cut to the shorter length.
    pub fn distance(&self, reference: &[f64], candidate: &[f64]) -> f64 {
        let n = reference.len().min(candidate.len());
        let (a, b) = (&reference[..n], &candidate[..n]);
        let mut total = 0.0;
        for resolution in &self.resolutions {
            let (ma, _) = resolution.magnitudes(a);
            let (mb, _) = resolution.magnitudes(b);
            total += spectral_terms(&ma, &mb);
        }
        total / self.resolutions.len() as f64
    }

    /// Computes a reference's magnitudes once.
    pub fn prepare(&self, reference: &[f64]) -> PreparedReference {
        PreparedReference {
            len: reference.len(),
            magnitudes: self.resolutions.iter().map(|r| r.magnitudes(reference).0).collect(),
        }
    }

    /// MSS of `candidate` against a prepared reference; the candidate must be
    /// exactly as long as the reference.
    pub fn distance_prepared(&self, reference: &PreparedReference, candidate: &[f64]) -> f64 {
        assert_eq!(candidate.len(), reference.len, "candidate and reference lengths");
        let mut total = 0.0;
        for (resolution, ma) in self.resolutions.iter().zip(&reference.magnitudes) {
            let (mb, _) = resolution.magnitudes(candidate);
            total += spectral_terms(ma, &mb);
        }
        total / self.resolutions.len() as f64
    }

    /// MSS for f32 signals.
    pub fn distance_f32(&self, reference: &[f32], candidate: &[f32]) -> f64 {
        let a: Vec<f64> = reference.iter().map(|&x| x as f64).collect();
        let b: Vec<f64> = candidate.iter().map(|&x| x as f64).collect();
        self.distance(&a, &b)
    }
}

/// Spectral convergence plus mean log-magnitude distance of two magnitude sets.
fn spectral_terms(ma: &[f64], mb: &[f64]) -> f64 {
    let mut diff2 = 0.0;
    let mut ref2 = 0.0;
    let mut log_sum = 0.0;
    for (&x, &y) in ma.iter().zip(mb) {
        diff2 += (y - x) * (y - x);
        ref2 += x * x;
        log_sum += (x.ln() - y.ln()).abs();
    }
    diff2.sqrt() / ref2.sqrt().max(1e-12) + log_sum / ma.len() as f64
}

/// MSS with a freshly planned set of resolutions (convenient, not for loops).
pub fn mss(reference: &[f64], candidate: &[f64]) -> f64 {
    Mss::default().distance(reference, candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_signals_are_at_distance_zero() {
        let x: Vec<f64> = (0..4800).map(|i| (i as f64 * 0.05).sin()).collect();
        assert_eq!(mss(&x, &x), 0.0);
    }

    #[test]
    fn distance_grows_with_the_difference() {
        let x: Vec<f64> = (0..4800).map(|i| (i as f64 * 0.05).sin()).collect();
        let near: Vec<f64> = x.iter().map(|v| v * 1.01).collect();
        let far: Vec<f64> = (0..4800).map(|i| (i as f64 * 0.2).sin()).collect();
        let d_near = mss(&x, &near);
        let d_far = mss(&x, &far);
        assert!(d_near > 0.0 && d_near < 0.05, "{d_near}");
        assert!(d_far > 1.0, "{d_far}");
    }

    #[test]
    fn prepared_reference_gives_the_same_distance() {
        let x: Vec<f64> = (0..4800).map(|i| (i as f64 * 0.05).sin()).collect();
        let y: Vec<f64> = (0..4800).map(|i| (i as f64 * 0.07).sin()).collect();
        let m = Mss::default();
        assert_eq!(m.distance_prepared(&m.prepare(&x), &y), m.distance(&x, &y));
    }

    #[test]
    fn frames_are_centred_with_reflect_padding() {
        let resolution = StftResolution::new(512, 50, 240);
        let (m, frames) = resolution.magnitudes(&vec![0.0; 1000]);
        assert_eq!(frames, 1 + 1000 / 50);
        assert_eq!(m.len(), frames * 257);
    }
}
