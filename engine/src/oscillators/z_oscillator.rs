//! Casio CZ-style resonant-sync waveforms: a synced sine faded out over each
//! half period and shaped by a contour (engines-0-3.md §A.5).

use crate::dsp::polyblep::{next_blep_sample, this_blep_sample};
use crate::dsp::ramp::ParameterRamp;
use crate::dsp::sine::sine;
use crate::engines::{Block, BLOCK_SIZE};
use crate::oscillators::block_math::sine_block;

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

/// [`z`] at every sample of a block, each from its phases (carrier,
/// discontinuity, formant), shape and mode terms (offset, phase shift): the
/// three sines are read for the whole block first, and both contours are
/// computed and selected per sample, with the same operations as `z`.
#[inline(always)]
fn z_block(phases: &[Block; 3], shapes: &Block, offsets: &Block, phase_shifts: &Block) -> Block {
    let [carrier, discontinuity, formant] = phases;
    let ramp_down_sine = sine_block(&std::array::from_fn(|k| 0.5 * discontinuity[k] + 0.25));
    let discontinuity_sine = sine_block(&std::array::from_fn(|k| formant[k] + phase_shifts[k]));
    let contour_sine = sine_block(&std::array::from_fn(|k| {
        if shapes[k] < 0.5 {
            carrier[k] + 0.25
        } else {
            carrier[k] + shapes[k] * 0.5
        }
    }));
    std::array::from_fn(|k| {
        let shape = shapes[k];
        let ramp_down = 0.5 * (1.0 + ramp_down_sine[k]);
        let amount = shape * 2.0;
        let ramp_down = if shape < 0.5 && carrier[k] >= 0.5 { ramp_down * amount } else { ramp_down };
        let contour = if shape < 0.5 { 1.0 + (contour_sine[k] - 1.0) * amount } else { contour_sine[k] };
        let offset = offsets[k];
        (ramp_down * (offset + discontinuity_sine[k]) - offset) * contour
    })
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
        out: &mut Block,
    ) {
        let ramps = self.ramps(carrier_frequency, formant_frequency, carrier_shape, mode, BLOCK_SIZE);
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

    /// The block in three passes: the phases sample by sample (with the
    /// band-limiting corrections at the restarts, computed as before), then
    /// [`z`] at every sample in [`z_block`], which runs several samples to a
    /// vector, then the outputs. Every sample's operations are the ones of
    /// the single loop kept in `reference`.
    #[inline(always)]
    fn render_block(
        &mut self,
        ramps: [ParameterRamp; 4],
        terms: impl Fn(f32) -> (f32, f32),
        out: &mut Block,
    ) {
        let [mut carrier_fm, mut formant_fm, mut shape, mut mode_modulation] = ramps;
        let mut carrier_phase = self.carrier_phase;
        let mut discontinuity_phase = self.discontinuity_phase;
        let mut formant_phase = self.formant_phase;
        let mut phases = [[0.0f32; BLOCK_SIZE]; 3];
        let mut shapes = [0.0f32; BLOCK_SIZE];
        let mut offsets = [0.0f32; BLOCK_SIZE];
        let mut phase_shifts = [0.0f32; BLOCK_SIZE];
        // The corrections to this sample and to the next one; -0 and +0 leave
        // the sums they are added to bit for bit as the single loop has them
        // (it adds nothing to this sample, and starts the next one from +0).
        let mut this_correction = [-0.0f32; BLOCK_SIZE];
        let mut next_correction = [0.0f32; BLOCK_SIZE];

        for k in 0..BLOCK_SIZE {
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
                this_correction[k] = discontinuity * this_blep_sample(reset_time);
                next_correction[k] = 0.0 + discontinuity * next_blep_sample(reset_time);
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
            [phases[0][k], phases[1][k], phases[2][k]] = [carrier_phase, discontinuity_phase, formant_phase];
            shapes[k] = shape.next();
            (offsets[k], phase_shifts[k]) = terms(mode_modulation.next());
        }

        let values = z_block(&phases, &shapes, &offsets, &phase_shifts);
        // As the single loop: this sample = (the last sample's value + its
        // correction to the next) + this sample's correction; next sample =
        // (0 + this correction to the next) + this value.
        let mut next_sample = self.next_sample;
        for (k, y) in out.iter_mut().enumerate() {
            *y = next_sample + this_correction[k];
            next_sample = next_correction[k] + values[k];
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

/// The oscillator as first written, to check the block passes against.
#[cfg(test)]
mod reference {
    use super::*;

    /// The single sample loop as first written.
    pub fn render_block(oscillator: &mut ZOscillator, ramps: [ParameterRamp; 4], out: &mut [f32]) {
        let terms = mode_terms;
        let [mut carrier_fm, mut formant_fm, mut shape, mut mode_modulation] = ramps;
        let mut next_sample = oscillator.next_sample;
        // Locals rather than fields in the loop: the compiler keeps them in registers.
        let mut carrier_phase = oscillator.carrier_phase;
        let mut discontinuity_phase = oscillator.discontinuity_phase;
        let mut formant_phase = oscillator.formant_phase;

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

        oscillator.carrier_phase = carrier_phase;
        oscillator.discontinuity_phase = discontinuity_phase;
        oscillator.formant_phase = formant_phase;
        oscillator.next_sample = next_sample;
        oscillator.carrier_frequency = carrier_fm.value();
        oscillator.formant_frequency = formant_fm.value();
        oscillator.carrier_shape = shape.value();
        oscillator.mode = mode_modulation.value();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(f0: f32, f1: f32, shape: f32, mode: f32, blocks: usize) -> Vec<f32> {
        let mut osc = ZOscillator::default();
        let mut out = Vec::new();
        let mut block = [0.0f32; 12];
        for _ in 0..blocks {
            osc.render(f0, f1, shape, mode, &mut block);
            out.extend_from_slice(&block);
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
    fn block_passes_match_the_reference_bit_for_bit() {
        let mut random = crate::dsp::random::Random::default();
        for run in 0..40 {
            let mut oscillator = ZOscillator::default();
            let mut reference = oscillator.clone();
            let (mut out, mut expected) = ([0.0f32; 12], [0.0f32; 12]);
            let mut settings = (0.0061, 0.031, 0.3, 0.5);
            for block in 0..300 {
                // Hold the settings a while (ramps come to rest), then move them.
                if block % 40 == 0 || random.get_word() % 8 == 0 {
                    let f0 = [0.15 * random.get_float(), 0.005 * random.get_float()]
                        [(random.get_word() % 2) as usize];
                    let f1 = 0.3 * random.get_float();
                    let knob = |random: &mut crate::dsp::random::Random| match random.get_word() % 5 {
                        0 => 0.0,
                        1 => 0.5,
                        2 => 1.0,
                        _ => random.get_float(),
                    };
                    settings = (f0, f1, knob(&mut random), knob(&mut random));
                }
                let (f0, f1, shape, mode) = settings;
                oscillator.render(f0, f1, shape, mode, &mut out);
                let ramps = reference.ramps(f0, f1, shape, mode, 12);
                reference::render_block(&mut reference, ramps, &mut expected);
                assert_eq!(out.map(f32::to_bits), expected.map(f32::to_bits), "run {run} block {block}");
            }
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
