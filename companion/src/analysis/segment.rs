//! Finding where a sound starts, so that features line up in time.

/// Where the sound starts: the first 1 ms frame whose RMS rises above
/// `threshold_db` relative to the loudest frame, refined to the first sample
/// in it (or the frame before) that reaches that level.
pub fn sound_start(signal: &[f32], sample_rate: f64, threshold_db: f32) -> usize {
    let frame = ((sample_rate / 1000.0) as usize).max(1);
    let rms = super::envelope::rms_frames(signal, frame);
    let peak = rms.iter().fold(0.0f32, |m, &x| m.max(x));
    let level = peak * 10f32.powf(threshold_db / 20.0);
    let Some(first) = rms.iter().position(|&r| r > level) else { return 0 };
    let from = first.saturating_sub(1) * frame;
    let to = ((first + 1) * frame).min(signal.len());
    signal[from..to].iter().position(|x| x.abs() >= level).map_or(first * frame, |i| from + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_start_after_silence_within_a_millisecond() {
        let mut x = vec![0.0f32; 4800];
        x.extend((0..4800).map(|i| (i as f32 * 0.1).sin()));
        let start = sound_start(&x, 48_000.0, -40.0);
        // sin(0) = 0: the first sample that reaches -40 dB is the second one.
        assert_eq!(start, 4801);
        let mut late = vec![0.0f32; 4810];
        late.extend((0..4800).map(|i| (i as f32 * 0.1).cos()));
        assert_eq!(sound_start(&late, 48_000.0, -40.0), 4810);
        assert_eq!(sound_start(&x[4800..], 48_000.0, -40.0), 1);
        assert_eq!(sound_start(&[0.0; 100], 48_000.0, -40.0), 0);
    }
}
