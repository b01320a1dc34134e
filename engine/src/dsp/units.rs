//! Pitch units: semitones to frequency ratios and notes to normalised frequency (voice.md §4.1).

use crate::tables::{PITCH_RATIO_HIGH, PITCH_RATIO_LOW};

/// The rate Plaits' DSP runs at, in Hz.
pub const SAMPLE_RATE: f32 = 48_000.0;

/// The hardware codec's real rate, which Plaits' pitch tables are tuned for.
/// VCV runs the DSP at 48 kHz, so everything plays 4.6 cents sharp; we keep that.
pub const CORRECTED_SAMPLE_RATE: f32 = 47_872.34;

/// Normalised frequency of A0 (55 Hz / 4 octaves below A4) at the corrected rate.
pub const A0: f32 = (440.0 / 8.0) / CORRECTED_SAMPLE_RATE;

/// `2^(semitones / 12)` from two tables, with the fraction truncated to 1/256 semitone.
///
/// Valid for `semitones` in [-128, 128); inputs outside are clamped to the table
/// so that extreme modulation never indexes out of bounds.
#[inline]
pub fn semitones_to_ratio(semitones: f32) -> f32 {
    let pitch = semitones + 128.0;
    let integral = (pitch as i32).clamp(0, 255);
    let fractional = pitch - integral as f32;
    let low = ((fractional * 256.0) as i32).clamp(0, 255);
    PITCH_RATIO_HIGH[integral as usize] * PITCH_RATIO_LOW[low as usize]
}

/// Normalised frequency (cycles per sample) of a MIDI note, as Plaits computes it.
#[inline]
pub fn note_to_frequency(note: f32) -> f32 {
    let semitones = (note - 9.0).clamp(-128.0, 127.0);
    (A0 * 0.25) * semitones_to_ratio(semitones)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_of_an_octave_is_two() {
        assert_eq!(semitones_to_ratio(12.0), 2.0);
        assert_eq!(semitones_to_ratio(0.0), 1.0);
        assert_eq!(semitones_to_ratio(-12.0), 0.5);
    }

    #[test]
    fn fraction_is_truncated_to_a_256th_of_a_semitone() {
        let step = 2f64.powf(1.0 / (256.0 * 12.0));
        let r = semitones_to_ratio(7.01) as f64 / semitones_to_ratio(7.0) as f64;
        assert!((r - step * step).abs() < 1e-6, "7.01 semitones = 7 + 2/256");
    }

    #[test]
    fn middle_c_sounds_at_262_323_hz_at_48_khz() {
        let hz = note_to_frequency(60.0) * SAMPLE_RATE;
        assert!((hz - 262.323).abs() < 0.01, "{hz}");
        let cents = 1200.0 * (hz as f64 / 261.6256).log2();
        assert!((cents - 4.61).abs() < 0.05, "{cents}");
    }

    #[test]
    fn out_of_range_input_does_not_panic() {
        for s in [-1e9, -200.0, 200.0, 1e9, f32::NAN, f32::INFINITY] {
            let _ = semitones_to_ratio(s);
            let _ = note_to_frequency(s);
        }
    }
}
