//! Short-time power spectra with a Hann window (one planned FFT, reused).

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

/// A short-time Fourier transform of fixed size and hop.
pub struct Stft {
    n_fft: usize,
    hop: usize,
    window: Vec<f32>,
    fft: Arc<dyn Fft<f32>>,
}

/// Power spectra, frame-major: `frames × bins`.
#[derive(Clone, Debug)]
pub struct PowerSpectrogram {
    /// `bins` powers per frame.
    pub power: Vec<f32>,
    /// Number of frames.
    pub frames: usize,
    /// Bins per frame (`n_fft / 2 + 1`).
    pub bins: usize,
    /// Seconds between frames.
    pub hop_seconds: f64,
    /// Hz per bin.
    pub bin_hz: f64,
}

impl PowerSpectrogram {
    /// The powers of one frame.
    pub fn frame(&self, index: usize) -> &[f32] {
        &self.power[index * self.bins..(index + 1) * self.bins]
    }
}

impl Stft {
    /// Plans an STFT with a periodic Hann window of `n_fft` points.
    pub fn new(n_fft: usize, hop: usize) -> Self {
        let window = (0..n_fft)
            .map(|i| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n_fft as f64).cos()) as f32)
            .collect();
        Self { n_fft, hop, window, fft: FftPlanner::new().plan_fft_forward(n_fft) }
    }

    /// FFT size.
    pub fn n_fft(&self) -> usize {
        self.n_fft
    }

    /// Power spectra of frames starting at 0, hop, 2·hop, ... while a frame's start
    /// is inside the signal; the end is zero-padded.
    pub fn power(&self, signal: &[f32], sample_rate: f64) -> PowerSpectrogram {
        let bins = self.n_fft / 2 + 1;
        let frames = signal.len().div_ceil(self.hop).max(1);
        let mut power = Vec::with_capacity(frames * bins);
        let mut buffer = vec![Complex::new(0.0f32, 0.0); self.n_fft];
        let mut scratch = vec![Complex::new(0.0f32, 0.0); self.fft.get_inplace_scratch_len()];
        for frame in 0..frames {
            let start = frame * self.hop;
            for (i, c) in buffer.iter_mut().enumerate() {
                let x = signal.get(start + i).copied().unwrap_or(0.0);
                *c = Complex::new(x * self.window[i], 0.0);
            }
            self.fft.process_with_scratch(&mut buffer, &mut scratch);
            power.extend(buffer[..bins].iter().map(|c| c.norm_sqr()));
        }
        PowerSpectrogram {
            power,
            frames,
            bins,
            hop_seconds: self.hop as f64 / sample_rate,
            bin_hz: sample_rate / self.n_fft as f64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tone_peaks_in_its_bin() {
        let sr = 48_000.0;
        let stft = Stft::new(1024, 480);
        let x: Vec<f32> =
            (0..4800).map(|i| (2.0 * std::f64::consts::PI * 3000.0 * i as f64 / sr).sin() as f32).collect();
        let s = stft.power(&x, sr);
        assert_eq!(s.frames, 10);
        let frame = s.frame(3);
        let peak = (0..s.bins).max_by(|&a, &b| frame[a].total_cmp(&frame[b])).unwrap();
        assert_eq!(peak, 64, "3000 Hz / 46.875 Hz per bin");
    }
}
