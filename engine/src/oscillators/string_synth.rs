//! Divide-down organ voice: one counter makes band-limited saws at 8', 4', 2'
//! and 1'; squares are differences of saws an octave apart (engines-4-7.md §3.7).

use crate::dsp::denormal::flush_denormal;
use crate::dsp::polyblep::{next_blep_sample, this_blep_sample};
use crate::dsp::ramp::ParameterRamp;

/// Stops of a registration: saw 8', square 8', saw 4', square 4', saw 2',
/// square 2', saw 1'.
pub const REGISTRATION_SIZE: usize = 7;

/// One divide-down voice of the chord engine.
#[derive(Clone, Debug)]
pub struct StringSynthOscillator {
    /// Counter from 0 to 8: one period of the 8' saw.
    phase: f32,
    next_sample: f32,
    /// Integer part of the phase at the previous sample.
    segment: i32,
    frequency: f32,
    /// Gains of the four saws, in the order 8', 4', 2', 1'.
    saw_gains: [f32; 4],
}

impl Default for StringSynthOscillator {
    fn default() -> Self {
        Self { phase: 0.0, next_sample: 0.0, segment: 0, frequency: 0.001, saw_gains: [0.0; 4] }
    }
}

/// Where the 4', 2' and 1' saws cross zero within the counter's segment.
///
/// The real module computes `(phase − (segment & 4)) − 2` and so on. The
/// first subtraction is exact (the phase lies in [segment, segment + 1), so
/// Sterbenz's lemma applies), so subtracting the summed offset at once rounds
/// identically; summing once per segment saves work per sample.
#[derive(Clone, Copy)]
struct SawOffsets {
    saw_4: f32,
    saw_2: f32,
    saw_1: f32,
}

impl SawOffsets {
    fn new(segment: i32) -> Self {
        Self {
            saw_4: (segment & 4) as f32 + 2.0,
            saw_2: (segment & 6) as f32 + 1.0,
            saw_1: segment as f32 + 0.5,
        }
    }
}

impl StringSynthOscillator {
    /// Adds a block of the stops in `registration` at `frequency` (of the 8'
    /// saw) scaled by `gain` to `out`.
    pub fn render_add(
        &mut self,
        frequency: f32,
        registration: &[f32; REGISTRATION_SIZE],
        gain: f32,
        out: &mut [f32],
    ) {
        // The counter runs 8 times faster than the 8' saw; when that is above
        // Nyquist, drop octaves of the counter and move the stops up instead.
        let mut counter_frequency = 8.0 * frequency;
        let mut shift = 0;
        while counter_frequency > 0.5 {
            shift += 2;
            counter_frequency /= 2.0;
        }
        if shift > REGISTRATION_SIZE {
            return;
        }
        let mut stops = [0.0; REGISTRATION_SIZE];
        stops[shift..].copy_from_slice(&registration[..REGISTRATION_SIZE - shift]);

        // square(k) = 2·saw(k) − saw(k / 2), so each square stop feeds two saws.
        let targets = [
            (stops[0] + 2.0 * stops[1]) * gain,
            (stops[2] - stops[1] + 2.0 * stops[3]) * gain,
            (stops[4] - stops[3] + 2.0 * stops[5]) * gain,
            (stops[6] - stops[5]) * gain,
        ];
        let size = out.len();
        let mut frequency_ramp = ParameterRamp::new(self.frequency, counter_frequency, size);
        // The four gain ramps side by side (stmlib's ParameterInterpolator
        // arithmetic), so that they advance as one vector.
        let mut gains = self.saw_gains;
        let mut gain_increments = [0.0; 4];
        for ((increment, gain), target) in gain_increments.iter_mut().zip(&gains).zip(targets) {
            *increment = (target - gain) / size as f32;
        }
        // Local copies keep the per-sample state in registers.
        let mut next_sample = self.next_sample;
        let mut phase = self.phase;
        let mut segment = self.segment;
        let mut offsets = SawOffsets::new(segment);

        for y in out.iter_mut() {
            let mut this_sample = next_sample;
            next_sample = 0.0;
            let f = frequency_ramp.next();
            for (gain, increment) in gains.iter_mut().zip(&gain_increments) {
                *gain += increment;
            }
            let [g8, g4, g2, g1] = gains;

            phase += f;
            let mut next_segment = phase as i32;
            if next_segment != segment {
                // Each saw resets when the counter crosses a multiple of its period.
                let mut discontinuity = 0.0;
                if next_segment == 8 {
                    phase -= 8.0;
                    next_segment = 0;
                    discontinuity -= g8;
                }
                if next_segment & 3 == 0 {
                    discontinuity -= g4;
                }
                if next_segment & 1 == 0 {
                    discontinuity -= g2;
                }
                discontinuity -= g1;
                if discontinuity != 0.0 {
                    let t = (phase - next_segment as f32) / f;
                    this_sample += this_blep_sample(t) * discontinuity;
                    next_sample += next_blep_sample(t) * discontinuity;
                }
                segment = next_segment;
                offsets = SawOffsets::new(segment);
            }

            // Added one at a time on top of the residual, as the real module does.
            next_sample += ((phase - 4.0) * g8) * 0.125;
            next_sample += ((phase - offsets.saw_4) * g4) * 0.25;
            next_sample += ((phase - offsets.saw_2) * g2) * 0.5;
            next_sample += (phase - offsets.saw_1) * g1;
            *y += 2.0 * this_sample;
        }

        self.next_sample = next_sample;
        self.phase = phase;
        self.segment = segment;
        self.frequency = frequency_ramp.value();
        // A gain ramping to 0 settles on a subnormal (its increment rounds to
        // zero there) and would make every later sample slow. The saw terms it
        // scales stay below 1.2e-38, which vanishes in the int16 output.
        self.saw_gains = gains.map(flush_denormal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders `blocks` blocks of one stop at `frequency`.
    fn render(stop: usize, frequency: f32, blocks: usize) -> Vec<f32> {
        let mut oscillator = StringSynthOscillator::default();
        let mut registration = [0.0; REGISTRATION_SIZE];
        registration[stop] = 1.0;
        let mut out = vec![0.0; 12 * blocks];
        for block in out.chunks_mut(12) {
            oscillator.render_add(frequency, &registration, 1.0, block);
        }
        out
    }

    /// Magnitude of harmonic `m` of a signal whose period is `period` samples.
    fn harmonic_magnitude(signal: &[f32], period: usize, m: usize) -> f64 {
        let length = signal.len() / period * period;
        let (mut re, mut im) = (0.0f64, 0.0f64);
        for (n, &x) in signal[..length].iter().enumerate() {
            let angle = 2.0 * std::f64::consts::PI * (m * n) as f64 / period as f64;
            re += x as f64 * angle.cos();
            im += x as f64 * angle.sin();
        }
        2.0 * (re * re + im * im).sqrt() / length as f64
    }

    #[test]
    fn saw_8_has_all_harmonics_and_square_8_only_odd_ones() {
        let period = 400;
        let frequency = 1.0 / period as f32;
        let saw = render(0, frequency, 2000);
        let square = render(1, frequency, 2000);
        let (saw, square) = (&saw[12_000..], &square[12_000..]);
        // A unit saw's harmonic m has amplitude 2/(π·m) × its peak (here 1/2·2 = 1).
        for m in 1..6 {
            let expected = 2.0 / (std::f64::consts::PI * m as f64);
            let got = harmonic_magnitude(saw, period, m);
            assert!((got - expected).abs() < 0.02 * expected, "saw harmonic {m}: {got} vs {expected}");
        }
        for m in [2, 4, 6] {
            assert!(harmonic_magnitude(square, period, m) < 1e-3, "square harmonic {m}");
        }
        assert!(harmonic_magnitude(square, period, 1) > 0.5);
    }

    #[test]
    fn each_footage_is_an_octave_above_the_previous() {
        let period = 480;
        let frequency = 1.0 / period as f32;
        for (stop, octave) in [(0usize, 1usize), (2, 2), (4, 4), (6, 8)] {
            let out = render(stop, frequency, 2000);
            let out = &out[12_000..];
            for m in 1..octave {
                assert!(harmonic_magnitude(out, period, m) < 1e-3, "stop {stop} harmonic {m}");
            }
            assert!(harmonic_magnitude(out, period, octave) > 0.3, "stop {stop}");
        }
    }

    #[test]
    fn high_notes_move_the_stops_up_and_very_high_ones_are_silent() {
        // At 8·f > 0.5 the counter halves and the 8' stop plays as 4'.
        let out = render(0, 0.1, 400);
        let period = 10;
        let tail = &out[2400..];
        assert!(harmonic_magnitude(tail, period, 1) > 0.3);
        let silent = render(0, 1.5, 10);
        assert!(silent.iter().all(|&x| x == 0.0));
    }
}
