//! Wavetable voice of the chord engine: scans 15 integrated waves, read with
//! linear interpolation and differentiated (engines-4-7.md §3.6).

use crate::dsp::denormal::flush_denormal;
use crate::dsp::differentiator::Differentiator;
use crate::dsp::interpolate::split;
use crate::dsp::ramp::ParameterRamp;
use crate::engines::wavetable::WAVE_STRIDE;
use crate::tables::{CHORD_WAVES, INTEGRATED_WAVES};

/// One wavetable voice of the chord engine.
#[derive(Clone, Debug, Default)]
pub struct ChordWavetableOscillator {
    phase: f32,
    frequency: f32,
    amplitude: f32,
    waveform: f32,
    lp: f32,
    differentiator: Differentiator,
}

/// Wave `wave` of the chord engine's list.
#[inline]
fn chord_wave(wave: usize) -> &'static [i16; WAVE_STRIDE] {
    let start = CHORD_WAVES[wave] * WAVE_STRIDE;
    INTEGRATED_WAVES[start..start + WAVE_STRIDE].try_into().expect("wave inside the table")
}

/// Linear read of `wave` at sample `index + fraction` (`index` below 256).
#[inline]
fn read_wave(wave: &[i16; WAVE_STRIDE], index: usize, fraction: f32) -> f32 {
    let a = wave[index] as f32;
    let b = wave[index + 1] as f32;
    a + (b - a) * fraction
}

impl ChordWavetableOscillator {
    /// Adds a block at `frequency` and `amplitude`, scanning the waves with
    /// `waveform` (0 to 1), to `out`.
    pub fn render_add(&mut self, frequency: f32, amplitude: f32, waveform: f32, out: &mut [f32]) {
        let frequency = frequency.min(0.25);
        // Fade toward Nyquist, and undo the gain of the integrated tables.
        let amplitude = amplitude * (1.0 - 2.0 * frequency);
        let amplitude = amplitude * ((1.0 / (frequency * 131_072.0)) * (0.95 - frequency));
        let size = out.len();
        let mut frequency_ramp = ParameterRamp::new(self.frequency, frequency, size);
        let mut amplitude_ramp = ParameterRamp::new(self.amplitude, amplitude, size);
        let mut waveform_ramp = ParameterRamp::new(self.waveform, waveform * 13.9999, size);
        let last_wave = CHORD_WAVES.len() - 2;
        // Local copies keep the per-sample state in registers.
        let (mut phase, mut lp, mut differentiator) = (self.phase, self.lp, self.differentiator);
        // The pair of waves changes rarely: look them up only then.
        let mut pair = usize::MAX;
        let mut waves = (chord_wave(0), chord_wave(1));

        for y in out.iter_mut() {
            let f = frequency_ramp.next();
            let cutoff = (256.0 * f).min(1.0);
            phase += f;
            if phase >= 1.0 {
                phase -= 1.0;
            }
            // (Splits through i32: float/usize conversions are much slower.)
            let (wave, wave_fraction) = split(waveform_ramp.next());
            let wave = (wave.max(0) as usize).min(last_wave);
            if wave != pair {
                pair = wave;
                waves = (chord_wave(wave), chord_wave(wave + 1));
            }
            let (index, fraction) = split(phase * 256.0);
            let index = index as usize & 255;
            let a = read_wave(waves.0, index, fraction);
            let b = read_wave(waves.1, index, fraction);
            let s = differentiator.process(cutoff, a + (b - a) * wave_fraction);
            lp += (cutoff * 0.5) * (s - lp);
            *y += amplitude_ramp.next() * lp;
        }

        (self.phase, self.lp, self.differentiator) = (phase, lp, differentiator);
        self.frequency = frequency_ramp.value();
        // As for the divide-down voices' gains: no subnormal rest at 0.
        self.amplitude = flush_denormal(amplitude_ramp.value());
        self.waveform = waveform_ramp.value();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plays_at_the_requested_pitch_with_bounded_level() {
        let mut oscillator = ChordWavetableOscillator::default();
        let frequency = 1.0 / 160.0;
        for waveform in [0.0, 0.3, 0.99] {
            let mut out = vec![0.0; 48_000];
            for block in out.chunks_mut(12) {
                oscillator.render_add(frequency, 0.25, waveform, block);
            }
            let tail = &out[24_000..];
            // Periodic: one period later the signal repeats.
            let error = tail[160..].iter().zip(tail).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            let peak = tail.iter().fold(0.0f32, |m, &x| m.max(x.abs()));
            assert!(peak > 0.02 && peak < 0.5, "waveform {waveform}: peak {peak}");
            assert!(error < 1e-3 * peak.max(1.0), "waveform {waveform}: {error}");
        }
    }

    #[test]
    fn adds_into_the_buffer() {
        let mut a = ChordWavetableOscillator::default();
        let mut b = ChordWavetableOscillator::default();
        let mut alone = [0.0; 12];
        let mut on_top = [1.0; 12];
        for _ in 0..10 {
            alone = [0.0; 12];
            on_top = [1.0; 12];
            a.render_add(0.01, 0.25, 0.5, &mut alone);
            b.render_add(0.01, 0.25, 0.5, &mut on_top);
        }
        for (x, y) in alone.iter().zip(&on_top) {
            assert!((x + 1.0 - y).abs() < 1e-6);
        }
    }
}
