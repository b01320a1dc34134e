//! Casio CZ-style resonant-sync waveforms: a synced sine faded out over each
//! half period and shaped by a contour (engines-0-3.md §A.5).

use crate::dsp::polyblep::{next_blep_sample, this_blep_sample};
use crate::dsp::ramp::ParameterRamp;
use crate::dsp::sine::sine;

/// Highest fundamental.
const MAX_CARRIER_FREQUENCY: f32 = 0.125;
/// Highest "resonance" (synced sine) frequency.
const MAX_FORMANT_FREQUENCY: f32 = 0.25;

/// The terms of [`z`] that depend only on the mode: the offset and the phase
/// shift of the synced sine. A block with the mode at rest computes them once.
#[inline]
fn mode_terms(mode: f32) -> (f32, f32) {
    if mode < 0.333 {
        (1.0, 0.25 + mode * 1.5)
    } else if mode < 0.666 {
        let phase_shift = 0.7495 - (mode - 0.33) * 0.75;
        (-sine(phase_shift), phase_shift)
    } else {
        (0.001, 0.7495 - (mode - 0.33) * 0.75)
    }
}

/// One sample of the waveform.
///
/// `carrier_phase` runs once per period, `discontinuity_phase` twice (it fades
/// the synced sine out), `formant_phase` is the synced sine's phase. `shape`
/// below 0.5 crossfades from flat to a raised cosine that gates the second half;
/// above, a sine contour shifted by `shape`. `mode` is the synced sine's offset and
/// phase shift from [`mode_terms`].
#[inline]
fn z(carrier_phase: f32, discontinuity_phase: f32, formant_phase: f32, shape: f32, mode: (f32, f32)) -> f32 {
    let mut ramp_down = 0.5 * (1.0 + sine(0.5 * discontinuity_phase + 0.25));
    let (offset, phase_shift) = mode;
    let discontinuity = sine(formant_phase + phase_shift);
    let contour = if shape < 0.5 {
        let amount = shape * 2.0;
        if carrier_phase >= 0.5 {
            ramp_down *= amount;
        }
        1.0 + (sine(carrier_phase + 0.25) - 1.0) * amount
    } else {
        sine(carrier_phase + shape * 0.5)
    };
    (ramp_down * (offset + discontinuity) - offset) * contour
}

/// The grain engine's AUX oscillator; state persists across blocks.
#[derive(Clone, Debug, Default)]
pub struct ZOscillator {
    carrier_phase: f32,
    discontinuity_phase: f32,
    formant_phase: f32,
    next_sample: f32,
    carrier_frequency: f32,
    formant_frequency: f32,
    carrier_shape: f32,
    mode: f32,
}

impl ZOscillator {
    /// Renders one block at `carrier_frequency` with the synced sine at
    /// `formant_frequency` (both normalised).
    pub fn render(
        &mut self,
        carrier_frequency: f32,
        formant_frequency: f32,
        carrier_shape: f32,
        mode: f32,
        out: &mut [f32],
    ) {
        let ramps = self.ramps(carrier_frequency, formant_frequency, carrier_shape, mode, out.len());
        let mode_modulation = ramps[3];
        // With the mode at rest its terms (one a sine) are the same every sample.
        if mode_modulation.is_at_rest() {
            let resting_terms = mode_terms(mode_modulation.value());
            self.render_block(ramps, |_| resting_terms, out);
        } else {
            self.render_block(ramps, mode_terms, out);
        }
    }

    /// This block's ramps of carrier and formant frequency, shape and mode.
    #[inline]
    fn ramps(
        &self,
        carrier_frequency: f32,
        formant_frequency: f32,
        carrier_shape: f32,
        mode: f32,
        size: usize,
    ) -> [ParameterRamp; 4] {
        let carrier_frequency = carrier_frequency.min(MAX_CARRIER_FREQUENCY);
        let formant_frequency = formant_frequency.min(MAX_FORMANT_FREQUENCY);
        [
            ParameterRamp::new(self.carrier_frequency, carrier_frequency, size),
            ParameterRamp::new(self.formant_frequency, formant_frequency, size),
            ParameterRamp::new(self.carrier_shape, carrier_shape, size),
            ParameterRamp::new(self.mode, mode, size),
        ]
    }

    /// The sample loop; `terms` gives [`mode_terms`] for a mode value.
    #[inline(always)]
    fn render_block(
        &mut self,
        ramps: [ParameterRamp; 4],
        terms: impl Fn(f32) -> (f32, f32),
        out: &mut [f32],
    ) {
        let [mut carrier_fm, mut formant_fm, mut shape, mut mode_modulation] = ramps;
        let mut next_sample = self.next_sample;
        // Locals rather than fields in the loop: the compiler keeps them in registers.
        let mut carrier_phase = self.carrier_phase;
        let mut discontinuity_phase = self.discontinuity_phase;
        let mut formant_phase = self.formant_phase;

        for y in out.iter_mut() {
            let mut this_sample = next_sample;
            next_sample = 0.0;
            let f0 = carrier_fm.next();
            let f1 = formant_fm.next();
            discontinuity_phase += 2.0 * f0;
            carrier_phase += f0;

            if discontinuity_phase >= 1.0 {
                // Twice per period the synced sine restarts: band-limit the jump.
                discontinuity_phase -= 1.0;
                let reset_time = discontinuity_phase / (2.0 * f0);
                let wrapped = carrier_phase >= 1.0;
                let carrier_before = if wrapped { 1.0 } else { 0.5 };
                let carrier_after = if wrapped { 0.0 } else { 0.5 };
                let before = z(
                    carrier_before,
                    1.0,
                    formant_phase + (1.0 - reset_time) * f1,
                    shape.subsample(1.0 - reset_time),
                    terms(mode_modulation.subsample(1.0 - reset_time)),
                );
                let after =
                    z(carrier_after, 0.0, 0.0, shape.subsample(1.0), terms(mode_modulation.subsample(1.0)));
                let discontinuity = after - before;
                this_sample += discontinuity * this_blep_sample(reset_time);
                next_sample += discontinuity * next_blep_sample(reset_time);
                formant_phase = reset_time * f1;
                // Keep the carrier locked to the discontinuity clock.
                if carrier_phase > 1.0 {
                    carrier_phase = discontinuity_phase * 0.5;
                }
            } else {
                formant_phase += f1;
                if formant_phase >= 1.0 {
                    formant_phase -= 1.0;
                }
            }
            if carrier_phase >= 1.0 {
                carrier_phase -= 1.0;
            }

            next_sample += z(
                carrier_phase,
                discontinuity_phase,
                formant_phase,
                shape.next(),
                terms(mode_modulation.next()),
            );
            *y = this_sample;
        }

        self.carrier_phase = carrier_phase;
        self.discontinuity_phase = discontinuity_phase;
        self.formant_phase = formant_phase;
        self.next_sample = next_sample;
        self.carrier_frequency = carrier_fm.value();
        self.formant_frequency = formant_fm.value();
        self.carrier_shape = shape.value();
        self.mode = mode_modulation.value();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(f0: f32, f1: f32, shape: f32, mode: f32, blocks: usize) -> Vec<f32> {
        let mut osc = ZOscillator::default();
        let mut out = vec![0.0f32; 12 * blocks];
        for block in out.chunks_mut(12) {
            osc.render(f0, f1, shape, mode, block);
        }
        out
    }

    #[test]
    fn waveform_repeats_at_the_carrier_period() {
        for (shape, mode) in [(0.2, 0.1), (0.7, 0.5), (0.5, 0.9)] {
            let out = render(0.01, 0.037, shape, mode, 300);
            let tail = &out[1200..];
            for i in 0..2000 {
                assert!((tail[i] - tail[i + 100]).abs() < 1e-3, "shape {shape} mode {mode} sample {i}");
            }
            assert!(tail.iter().any(|x| x.abs() > 0.1));
        }
    }

    #[test]
    fn resting_mode_gives_the_bits_of_per_sample_mode_terms() {
        let mut oscillator = ZOscillator::default();
        let mut reference = oscillator.clone();
        let (mut out, mut expected) = ([0.0f32; 12], [0.0f32; 12]);
        for block in 0..600 {
            let mode = [0.2, 0.5, 0.8][block / 200];
            let (f0, f1, shape) = (0.0061, 0.031, 0.3 + 0.01 * (block % 3) as f32);
            oscillator.render(f0, f1, shape, mode, &mut out);
            let ramps = reference.ramps(f0, f1, shape, mode, 12);
            reference.render_block(ramps, mode_terms, &mut expected);
            assert_eq!(out.map(f32::to_bits), expected.map(f32::to_bits), "block {block}");
        }
    }

    #[test]
    fn flat_contour_fades_the_synced_sine_out_each_half_period() {
        // Shape 0, mode 0: offset 1 and a cosine-phase synced sine, so each half
        // period runs from 1 · (1 + cos) - 1 down to 0 · (...) - 1 = -1.
        assert_eq!(z(0.0, 0.0, 0.0, 0.0, mode_terms(0.0)), 1.0);
        assert_eq!(z(0.3, 1.0, 0.123, 0.0, mode_terms(0.0)), -1.0);
    }

    #[test]
    fn mode_regions_choose_the_offset() {
        // Middle region: the offset makes the wave continuous across the reset.
        let after = z(0.0, 0.0, 0.0, 0.0, mode_terms(0.5));
        assert!(after.abs() > 0.5);
        assert!((z(0.3, 1.0, 0.77, 0.0, mode_terms(0.5)) - after).abs() < 1e-6);
        // Upper region: a small fixed offset.
        assert!((z(0.2, 1.0, 0.0, 0.0, mode_terms(0.9)) + 0.001).abs() < 1e-6);
    }
}
