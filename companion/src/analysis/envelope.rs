//! Loudness envelopes: RMS in short frames, in dB relative to the loudest frame.

/// RMS of consecutive frames of `frame` samples (the last one partial).
pub fn rms_frames(signal: &[f32], frame: usize) -> Vec<f32> {
    signal
        .chunks(frame)
        .map(|chunk| (chunk.iter().map(|x| x * x).sum::<f32>() / chunk.len() as f32).sqrt())
        .collect()
}

/// RMS of `window`-sample windows centred every `hop` samples from sample 0
/// (windows are cut short at both ends), via a running sum of squares.
pub fn centred_rms(signal: &[f32], window: usize, hop: usize) -> Vec<f32> {
    let mut running = 0.0f64;
    let cumulative: Vec<f64> = std::iter::once(0.0)
        .chain(signal.iter().map(|&x| {
            running += (x as f64) * (x as f64);
            running
        }))
        .collect();
    (0..signal.len().div_ceil(hop))
        .map(|i| {
            let centre = i * hop;
            let start = centre.saturating_sub(window / 2);
            let end = (centre + window / 2).min(signal.len()).max(start + 1);
            ((cumulative[end] - cumulative[start]).max(0.0) / (end - start) as f64).sqrt() as f32
        })
        .collect()
}

/// An RMS envelope in dB relative to its peak, floored at `floor_db`.
pub fn relative_db(rms: &[f32], floor_db: f32) -> Vec<f32> {
    let peak = rms.iter().fold(0.0f32, |m, &x| m.max(x));
    if peak <= 0.0 {
        return vec![floor_db; rms.len()];
    }
    rms.iter().map(|&x| (20.0 * (x / peak).max(1e-12).log10()).max(floor_db)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centred_rms_of_a_sine_is_its_rms() {
        let x: Vec<f32> = (0..4800).map(|i| (i as f32 * 2.0 * std::f32::consts::PI / 48.0).sin()).collect();
        let rms = centred_rms(&x, 480, 48);
        assert_eq!(rms.len(), 100);
        assert!(rms[5..95].iter().all(|r| (r - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-3));
    }

    #[test]
    fn exponential_decay_is_a_straight_line_in_db() {
        // -6.02 dB per 480 samples: halving every 10 ms at 48 kHz.
        let x: Vec<f32> = (0..4800).map(|i| 0.5f32.powf(i as f32 / 480.0)).collect();
        let db = relative_db(&rms_frames(&x, 480), -120.0);
        for w in db.windows(2) {
            assert!((w[1] - w[0] + 6.02).abs() < 0.05, "{w:?}");
        }
        assert_eq!(db[0], 0.0);
    }
}
