//! A signal's own short-time magnitudes with random phases: what a synth that
//! reproduced a recording's spectrogram exactly, but not its waveform, would
//! play. `bench` scores it against each target as a reference point: for
//! noisy sounds it is about as close as any patch can come without the
//! recording's own fine structure (tonal sounds can be matched closer, since
//! a steady oscillator's phase is coherent where random phases are not).

use std::f64::consts::TAU;

use realfft::num_complex::Complex;
use realfft::RealFftPlanner;

use crate::rng::SplitMix64;

/// Frame length of the resynthesis, samples (21 ms at 48 kHz).
pub const FRAME: usize = 1024;
/// Hop between frames: a quarter frame, so four Hann frames cover every sample.
pub const HOP: usize = FRAME / 4;

/// `signal` resynthesised from its STFT magnitudes with phases drawn from
/// `seed` (the same seed gives the same samples), at the signal's RMS. Same
/// length as `signal`.
pub fn phase_randomised(signal: &[f32], seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    let mut out = resynthesise(signal, |bin, value| {
        let magnitude = value.norm();
        if bin == 0 || bin == FRAME / 2 {
            // DC and Nyquist are real: only their sign can be drawn.
            let sign = if rng.next_u64() & 1 == 0 { 1.0 } else { -1.0 };
            Complex::new(sign * magnitude, 0.0)
        } else {
            Complex::from_polar(magnitude, TAU * rng.next_f64())
        }
    });
    // Overlapping frames with unrelated phases add in power, not in amplitude,
    // so the sum comes out about 6 dB low.
    let energy = |x: &[f32]| x.iter().map(|&v| v as f64 * v as f64).sum::<f64>();
    let (wanted, got) = (energy(signal), energy(&out));
    if got > 0.0 {
        let gain = (wanted / got).sqrt() as f32;
        out.iter_mut().for_each(|v| *v *= gain);
    }
    out
}

/// Weighted overlap-add resynthesis: each Hann-windowed frame's spectrum is
/// passed through `alter` (bin index, value), brought back, windowed again
/// and added; the sum is divided by the summed squared windows.
fn resynthesise(signal: &[f32], mut alter: impl FnMut(usize, Complex<f64>) -> Complex<f64>) -> Vec<f32> {
    if signal.is_empty() {
        return Vec::new();
    }
    // A frame of zeros either side puts every sample under four whole frames.
    let padded_len = signal.len() + 2 * FRAME;
    let mut padded = vec![0.0f64; padded_len];
    for (p, &x) in padded[FRAME..].iter_mut().zip(signal) {
        *p = x as f64;
    }
    let window: Vec<f64> = (0..FRAME).map(|i| 0.5 - 0.5 * (TAU * i as f64 / FRAME as f64).cos()).collect();
    let mut planner = RealFftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(FRAME);
    let inverse = planner.plan_fft_inverse(FRAME);
    let mut frame = forward.make_input_vec();
    let mut spectrum = forward.make_output_vec();
    let mut sum = vec![0.0f64; padded_len];
    let mut weight = vec![0.0f64; padded_len];
    for start in (0..=padded_len - FRAME).step_by(HOP) {
        for ((f, &x), &w) in frame.iter_mut().zip(&padded[start..]).zip(&window) {
            *f = x * w;
        }
        forward.process(&mut frame, &mut spectrum).expect("buffer sizes match the plan");
        for (bin, value) in spectrum.iter_mut().enumerate() {
            *value = alter(bin, *value);
        }
        inverse.process(&mut spectrum, &mut frame).expect("DC and Nyquist bins are real");
        for (i, (&y, &w)) in frame.iter().zip(&window).enumerate() {
            // realfft's inverse is unnormalised: a round trip scales by FRAME.
            sum[start + i] += y / FRAME as f64 * w;
            weight[start + i] += w * w;
        }
    }
    sum[FRAME..FRAME + signal.len()].iter().zip(&weight[FRAME..]).map(|(&s, &w)| (s / w) as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(len: usize, seed: u64) -> Vec<f32> {
        let mut rng = SplitMix64::new(seed);
        (0..len).map(|_| rng.normal() as f32 * 0.1).collect()
    }

    /// Energy of `x` between `low` and `high` Hz (48 kHz), from one long FFT.
    fn band_energy(x: &[f32], low: f64, high: f64) -> f64 {
        let n = x.len();
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
        let mut input: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        let mut spectrum = fft.make_output_vec();
        fft.process(&mut input, &mut spectrum).unwrap();
        spectrum
            .iter()
            .enumerate()
            .filter(|(k, _)| (low..high).contains(&(*k as f64 * 48_000.0 / n as f64)))
            .map(|(_, c)| c.norm_sqr())
            .sum()
    }

    #[test]
    fn unaltered_frames_give_the_signal_back() {
        let x = noise(5000, 1);
        let y = resynthesise(&x, |_, value| value);
        assert_eq!(y.len(), x.len());
        let worst = x.iter().zip(&y).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(worst < 1e-6, "round trip error {worst}");
    }

    #[test]
    fn keeps_the_spectrum_and_loses_the_waveform() {
        // Brown-ish noise: energy falls with frequency, so the bands differ a lot.
        let mut level = 0.0f32;
        let x: Vec<f32> = noise(48_000, 2)
            .into_iter()
            .map(|v| {
                level = 0.98 * level + v;
                level
            })
            .collect();
        let y = phase_randomised(&x, 3);
        for (low, high) in [(20.0, 200.0), (200.0, 600.0), (600.0, 2000.0), (2000.0, 20_000.0)] {
            let ratio_db = 10.0 * (band_energy(&y, low, high) / band_energy(&x, low, high)).log10();
            assert!(ratio_db.abs() < 1.5, "{low}-{high} Hz: {ratio_db:.2} dB");
        }
        let dot: f64 = x.iter().zip(&y).map(|(&a, &b)| a as f64 * b as f64).sum();
        let norm = |s: &[f32]| s.iter().map(|&v| v as f64 * v as f64).sum::<f64>().sqrt();
        let correlation = dot / (norm(&x) * norm(&y));
        assert!(correlation.abs() < 0.1, "correlation {correlation}");
    }

    #[test]
    fn keeps_the_sound_where_it_was() {
        // A 50 ms burst in the middle of a second of silence.
        let mut x = vec![0.0f32; 48_000];
        x[24_000..26_400].copy_from_slice(&noise(2400, 4));
        let y = phase_randomised(&x, 5);
        let energy = |s: &[f32]| s.iter().map(|&v| v as f64 * v as f64).sum::<f64>();
        let total = energy(&y);
        let outside = energy(&y[..24_000 - FRAME]) + energy(&y[26_400 + FRAME..]);
        assert!(outside < 1e-9 * total, "energy outside the burst: {outside} of {total}");
    }

    #[test]
    fn the_seed_fixes_the_phases() {
        let x = noise(3000, 6);
        assert_eq!(phase_randomised(&x, 7), phase_randomised(&x, 7));
        assert_ne!(phase_randomised(&x, 7), phase_randomised(&x, 8));
        assert!(phase_randomised(&[], 7).is_empty());
    }
}
