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
    /// Writes a block at `frequency` and `amplitude`, scanning the waves with
    /// `waveform` (0 to 1), to `out`.
    pub fn render(&mut self, frequency: f32, amplitude: f32, waveform: f32, out: &mut [f32]) {
        let ramps = self.ramps(frequency, amplitude, waveform, out.len());
        let waveform_ramp = ramps[2];
        // With the scan position at rest, every sample reads the same pair of
        // waves at the same crossfade.
        if waveform_ramp.is_at_rest() {
            let resting_position = wave_position(waveform_ramp.value());
            self.render_block(ramps, |_| resting_position, out);
        } else {
            self.render_block(ramps, wave_position, out);
        }
    }

    /// This block's ramps of frequency, amplitude and scan position.
    #[inline]
    fn ramps(&self, frequency: f32, amplitude: f32, waveform: f32, size: usize) -> [ParameterRamp; 3] {
        let frequency = frequency.min(0.25);
        // Fade toward Nyquist, and undo the gain of the integrated tables.
        let amplitude = amplitude * (1.0 - 2.0 * frequency);
        let amplitude = amplitude * ((1.0 / (frequency * 131_072.0)) * (0.95 - frequency));
        [
            ParameterRamp::new(self.frequency, frequency, size),
            ParameterRamp::new(self.amplitude, amplitude, size),
            ParameterRamp::new(self.waveform, waveform * 13.9999, size),
        ]
    }

    /// The sample loop; `position` gives the pair of waves and the crossfade
    /// between them for a scan position.
    #[inline(always)]
    fn render_block(
        &mut self,
        ramps: [ParameterRamp; 3],
        position: impl Fn(f32) -> (usize, f32),
        out: &mut [f32],
    ) {
        let [mut frequency_ramp, mut amplitude_ramp, mut waveform_ramp] = ramps;
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
            let (wave, wave_fraction) = position(waveform_ramp.next());
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
            *y = amplitude_ramp.next() * lp;
        }

        (self.phase, self.lp, self.differentiator) = (phase, lp, differentiator);
        self.frequency = frequency_ramp.value();
        // As for the divide-down voices' gains: no subnormal rest at 0.
        self.amplitude = flush_denormal(amplitude_ramp.value());
        self.waveform = waveform_ramp.value();
    }
}

/// The first of the two waves a scan position reads, and the crossfade to the second.
#[inline]
fn wave_position(waveform: f32) -> (usize, f32) {
    // (Splits through i32: float/usize conversions are much slower.)
    let (wave, wave_fraction) = split(waveform);
    ((wave.max(0) as usize).min(CHORD_WAVES.len() - 2), wave_fraction)
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
                oscillator.render(frequency, 0.25, waveform, block);
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
    fn resting_scan_gives_the_bits_of_a_per_sample_scan() {
        let mut oscillator = ChordWavetableOscillator::default();
        let mut reference = oscillator.clone();
        for block in 0..600 {
            let waveform = [0.1, 0.55, 0.93][block / 200];
            let (f, amplitude) = (0.0087, 0.25 + 0.01 * (block % 4) as f32);
            let (mut out, mut expected) = ([0.5f32; 12], [0.5f32; 12]);
            oscillator.render(f, amplitude, waveform, &mut out);
            let ramps = reference.ramps(f, amplitude, waveform, 12);
            reference.render_block(ramps, wave_position, &mut expected);
            assert_eq!(out.map(f32::to_bits), expected.map(f32::to_bits), "block {block}");
        }
    }

    #[test]
    fn overwrites_the_buffer() {
        let mut a = ChordWavetableOscillator::default();
        let mut b = ChordWavetableOscillator::default();
        for _ in 0..10 {
            let mut zeros = [0.0; 12];
            let mut ones = [1.0; 12];
            a.render(0.01, 0.25, 0.5, &mut zeros);
            b.render(0.01, 0.25, 0.5, &mut ones);
            assert_eq!(zeros, ones);
        }
    }
}
