//! Fundamental frequency by YIN, as `tools/audiocompare.py` measures it: 40 ms
//! frames every 10 ms, cumulative-mean-normalised difference, threshold 0.15,
//! parabolic refinement; the median over voiced frames.

use std::cell::RefCell;
use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

thread_local! {
    /// Planning an FFT computes its twiddles; YIN runs on every library render,
    /// so each thread keeps its plans.
    static PLANNER: RefCell<FftPlanner<f64>> = RefCell::new(FftPlanner::new());
}

/// Forward and inverse plans of `len` points from this thread's planner.
fn plans(len: usize) -> (Arc<dyn Fft<f64>>, Arc<dyn Fft<f64>>) {
    PLANNER.with(|planner| {
        let mut planner = planner.borrow_mut();
        (planner.plan_fft_forward(len), planner.plan_fft_inverse(len))
    })
}

/// Lowest f0 searched, Hz.
pub const F0_MIN: f64 = 30.0;
/// Highest f0 searched, Hz.
pub const F0_MAX: f64 = 4000.0;
/// Dip threshold of the normalised difference function.
pub const YIN_THRESHOLD: f64 = 0.15;

/// One voiced frame's estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PitchFrame {
    /// Start of the analysis window, in samples.
    pub start: usize,
    /// Estimated f0 in Hz.
    pub f0: f64,
    /// 1 − the normalised difference at the chosen lag: near 1 for clean periodic frames.
    pub confidence: f64,
}

/// Frame length and hop of a YIN analysis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct YinSettings {
    /// Window length in seconds (the analysed segment is twice as long).
    pub frame_seconds: f64,
    /// Seconds between frames.
    pub hop_seconds: f64,
}

impl Default for YinSettings {
    /// audiocompare.py's settings: 40 ms frames every 10 ms.
    fn default() -> Self {
        Self { frame_seconds: 0.04, hop_seconds: 0.01 }
    }
}

/// YIN estimates for every voiced frame of `x`, with audiocompare.py's settings.
pub fn yin_frames(x: &[f64], sample_rate: f64) -> Vec<PitchFrame> {
    yin_frames_with(x, sample_rate, YinSettings::default())
}

/// YIN estimates for every voiced frame of `x`.
pub fn yin_frames_with(x: &[f64], sample_rate: f64, settings: YinSettings) -> Vec<PitchFrame> {
    let frame = (settings.frame_seconds * sample_rate) as usize;
    let hop = ((settings.hop_seconds * sample_rate) as usize).max(1);
    let tau_min = (sample_rate / F0_MAX) as usize;
    let tau_max = ((sample_rate / F0_MIN) as usize).min(frame - 1);
    let nfft = (3 * frame).next_power_of_two();
    let (forward, inverse) = plans(nfft);
    let mut result = Vec::new();
    if x.len() < 2 * frame {
        return result;
    }
    let mut seg_spectrum = vec![Complex::new(0.0, 0.0); nfft];
    let mut win_spectrum = vec![Complex::new(0.0, 0.0); nfft];
    let mut cumulative = vec![0.0; 2 * frame + 1];
    let mut d = vec![0.0; tau_max + 1];
    let mut cmnd = vec![1.0; tau_max + 1];
    let mut start = 0;
    while start < x.len() - 2 * frame {
        let seg = &x[start..start + 2 * frame];
        let energy: f64 = seg.iter().map(|v| v * v).sum();
        if (energy / seg.len() as f64).sqrt() < 1e-3 {
            start += hop;
            continue;
        }
        for (i, c) in seg_spectrum.iter_mut().enumerate() {
            *c = Complex::new(if i < seg.len() { seg[i] } else { 0.0 }, 0.0);
        }
        for (i, c) in win_spectrum.iter_mut().enumerate() {
            *c = Complex::new(if i < frame { seg[i] } else { 0.0 }, 0.0);
        }
        forward.process(&mut seg_spectrum);
        forward.process(&mut win_spectrum);
        for (s, w) in seg_spectrum.iter_mut().zip(&win_spectrum) {
            *s *= w.conj();
        }
        inverse.process(&mut seg_spectrum);
        for (i, v) in seg.iter().enumerate() {
            cumulative[i + 1] = cumulative[i] + v * v;
        }
        let window_energy = cumulative[frame];
        for tau in 0..=tau_max {
            let cross = seg_spectrum[tau].re / nfft as f64;
            let shifted = cumulative[tau + frame] - cumulative[tau];
            d[tau] = (window_energy + shifted - 2.0 * cross).max(0.0);
        }
        let mut running = 0.0;
        for tau in 1..=tau_max {
            running += d[tau];
            cmnd[tau] = d[tau] * tau as f64 / running.max(1e-12);
        }
        if let Some(mut t) = (tau_min..=tau_max).find(|&t| cmnd[t] < YIN_THRESHOLD) {
            while t < tau_max && cmnd[t + 1] < cmnd[t] {
                t += 1;
            }
            let mut refined = t as f64;
            if t >= 1 && t < tau_max {
                let (a, b, c) = (cmnd[t - 1], cmnd[t], cmnd[t + 1]);
                let den = a - 2.0 * b + c;
                if den != 0.0 {
                    // A valid parabola peaks within one lag; a flat one may not.
                    refined += (0.5 * (a - c) / den).clamp(-1.0, 1.0);
                }
            }
            result.push(PitchFrame { start, f0: sample_rate / refined, confidence: 1.0 - cmnd[t] });
        }
        start += hop;
    }
    result
}

/// Median f0 over voiced frames, or `None` with fewer than 3 voiced frames.
pub fn median_f0(x: &[f64], sample_rate: f64) -> Option<f64> {
    let mut f0s: Vec<f64> = yin_frames(x, sample_rate).iter().map(|p| p.f0).collect();
    if f0s.len() < 3 {
        return None;
    }
    f0s.sort_by(f64::total_cmp);
    let n = f0s.len();
    Some(if n % 2 == 1 { f0s[n / 2] } else { 0.5 * (f0s[n / 2 - 1] + f0s[n / 2]) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(f0: f64, seconds: f64) -> Vec<f64> {
        let sr = 48_000.0;
        (0..(seconds * sr) as usize)
            .map(|i| {
                let t = i as f64 / sr;
                (2.0 * std::f64::consts::PI * f0 * t).sin()
                    + 0.3 * (4.0 * std::f64::consts::PI * f0 * t).sin()
            })
            .collect()
    }

    #[test]
    fn finds_the_fundamental_within_a_cent() {
        for f0 in [55.0, 262.323, 1000.0] {
            let got = median_f0(&tone(f0, 0.5), 48_000.0).unwrap();
            let cents = 1200.0 * (got / f0).log2();
            assert!(cents.abs() < 1.0, "{f0}: {got} ({cents} cents)");
        }
        // At 16 samples per period the parabolic refinement is off by a few
        // cents; audiocompare.py gives the same 3005.596 Hz.
        let got = median_f0(&tone(3000.0, 0.5), 48_000.0).unwrap();
        assert!((got - 3005.596).abs() < 0.01, "{got}");
    }

    #[test]
    fn noise_and_silence_have_no_pitch() {
        assert_eq!(median_f0(&vec![0.0; 24_000], 48_000.0), None);
        let mut state = 1u32;
        let noise: Vec<f64> = (0..24_000)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                state as f64 / u32::MAX as f64 - 0.5
            })
            .collect();
        assert_eq!(median_f0(&noise, 48_000.0), None);
    }
}
