//! Saw with a "notch" plateau that morphs into a variable-slope triangle (engines-0-3.md §A.2).

use crate::dsp::polyblep::{
    next_blep_sample, next_integrated_blep_sample, this_blep_sample, this_integrated_blep_sample,
};
use crate::dsp::ramp::ParameterRamp;
use crate::engines::{Block, BLOCK_SIZE};
use crate::oscillators::variable_shape::slopes;

const MAX_FREQUENCY: f32 = 0.25;
/// Height of the plateau above the saw's top.
const NOTCH_DEPTH: f32 = 0.2;

/// The saw oscillator of the virtual-analog engine's OUT.
#[derive(Clone, Debug)]
pub struct VariableSawOscillator {
    phase: f32,
    next_sample: f32,
    previous_pw: f32,
    high: bool,
    frequency: f32,
    pw: f32,
    waveshape: f32,
}

impl Default for VariableSawOscillator {
    fn default() -> Self {
        Self {
            phase: 0.0,
            next_sample: 0.0,
            previous_pw: 0.5,
            high: false,
            frequency: 0.01,
            pw: 0.5,
            waveshape: 0.0,
        }
    }
}

impl VariableSawOscillator {
    /// Renders a block. `waveshape` 0 = notched saw, 1 = triangle peaking at `pw`.
    pub fn render(&mut self, frequency: f32, pw: f32, waveshape: f32, out: &mut Block) {
        let ramps = self.ramps(frequency, pw, waveshape, BLOCK_SIZE);
        let pwm = ramps[1];
        // As in the shape oscillator: no divisions per sample while the width rests.
        if pwm.is_at_rest() {
            let resting_slopes = slopes(pwm.value());
            self.render_block(ramps, |_| resting_slopes, out);
        } else {
            self.render_block(ramps, slopes, out);
        }
    }

    /// This block's ramps of frequency, width and shape.
    #[inline]
    fn ramps(&self, frequency: f32, pw: f32, waveshape: f32, size: usize) -> [ParameterRamp; 3] {
        let frequency = frequency.min(MAX_FREQUENCY);
        let pw =
            if frequency >= MAX_FREQUENCY { 0.5 } else { pw.clamp(frequency * 2.0, 1.0 - 2.0 * frequency) };
        [
            ParameterRamp::new(self.frequency, frequency, size),
            ParameterRamp::new(self.pw, pw, size),
            ParameterRamp::new(self.waveshape, waveshape, size),
        ]
    }

    /// The sample loop, with `slopes` giving the triangle's slopes for each width.
    ///
    /// First the phase and the edges sample by sample, keeping what the
    /// single loop of `reference` adds to this sample (two terms, `-0` where
    /// nothing is, which leaves a sum's bits alone; a subtraction is the
    /// addition of the negated term) and the next sample as it stands before
    /// its naive value is added; then the naive waves and the outputs (with
    /// their division), the same operations for every sample, several samples
    /// to a vector.
    #[inline(always)]
    fn render_block(
        &mut self,
        ramps: [ParameterRamp; 3],
        slopes: impl Fn(f32) -> (f32, f32),
        out: &mut Block,
    ) {
        let [mut fm, mut pwm, mut waveshape_modulation] = ramps;
        let mut phases = [0.0f32; BLOCK_SIZE];
        let mut pws = [0.0f32; BLOCK_SIZE];
        let mut waveshapes = [0.0f32; BLOCK_SIZE];
        let mut this_terms = [[-0.0f32; BLOCK_SIZE]; 2];
        let mut next_base = [0.0f32; BLOCK_SIZE];
        let mut phase = self.phase;
        let mut high = self.high;
        let mut previous_pw = self.previous_pw;

        for k in 0..BLOCK_SIZE {
            let f = fm.next();
            let pw = pwm.next();
            let waveshape = waveshape_modulation.next();
            let triangle_amount = waveshape;
            let notch_amount = 1.0 - waveshape;
            let (slope_up, slope_down) = slopes(pw);

            phase += f;
            if !high && phase >= pw {
                let triangle_step = (slope_up + slope_down) * f * triangle_amount;
                let notch = (NOTCH_DEPTH + 1.0 - pw) * notch_amount;
                let t = (phase - pw) / (previous_pw - pw + f);
                this_terms[0][k] = notch * this_blep_sample(t);
                next_base[k] += notch * next_blep_sample(t);
                this_terms[1][k] = -(triangle_step * this_integrated_blep_sample(t));
                next_base[k] -= triangle_step * next_integrated_blep_sample(t);
                high = true;
            } else if phase >= 1.0 {
                phase -= 1.0;
                let triangle_step = (slope_up + slope_down) * f * triangle_amount;
                let notch = (NOTCH_DEPTH + 1.0) * notch_amount;
                let t = phase / f;
                this_terms[0][k] = -(notch * this_blep_sample(t));
                next_base[k] -= notch * next_blep_sample(t);
                this_terms[1][k] = triangle_step * this_integrated_blep_sample(t);
                next_base[k] += triangle_step * next_integrated_blep_sample(t);
                high = false;
            }
            previous_pw = pw;
            (phases[k], pws[k], waveshapes[k]) = (phase, pw, waveshape);
        }

        let slopes = pws.map(slopes);
        let next: Block = std::array::from_fn(|k| {
            let (phase, pw, (slope_up, slope_down)) = (phases[k], pws[k], slopes[k]);
            let (triangle_amount, notch_amount) = (waveshapes[k], 1.0 - waveshapes[k]);
            let notch_saw = if phase < pw { phase } else { 1.0 + NOTCH_DEPTH };
            let triangle = if phase < pw { phase * slope_up } else { 1.0 - (phase - pw) * slope_down };
            next_base[k] + (notch_saw * notch_amount + triangle * triangle_amount)
        });
        for (k, y) in out.iter_mut().enumerate() {
            let previous = if k == 0 { self.next_sample } else { next[k - 1] };
            let this_sample = (previous + this_terms[0][k]) + this_terms[1][k];
            *y = (2.0 * this_sample - 1.0) / (1.0 + NOTCH_DEPTH);
        }

        self.phase = phase;
        self.high = high;
        self.previous_pw = previous_pw;
        self.next_sample = next[BLOCK_SIZE - 1];
        self.frequency = fm.value();
        self.pw = pwm.value();
        self.waveshape = waveshape_modulation.value();
    }
}

/// The oscillator as first written, to check the block passes against.
#[cfg(test)]
mod reference {
    use super::*;

    /// The single sample loop as first written.
    pub fn render_block(oscillator: &mut VariableSawOscillator, ramps: [ParameterRamp; 3], out: &mut [f32]) {
        let [mut fm, mut pwm, mut waveshape_modulation] = ramps;
        let mut next_sample = oscillator.next_sample;

        for y in out.iter_mut() {
            let mut this_sample = next_sample;
            next_sample = 0.0;
            let f = fm.next();
            let pw = pwm.next();
            let waveshape = waveshape_modulation.next();
            let triangle_amount = waveshape;
            let notch_amount = 1.0 - waveshape;
            let (slope_up, slope_down) = slopes(pw);

            oscillator.phase += f;
            if !oscillator.high && oscillator.phase >= pw {
                let triangle_step = (slope_up + slope_down) * f * triangle_amount;
                let notch = (NOTCH_DEPTH + 1.0 - pw) * notch_amount;
                let t = (oscillator.phase - pw) / (oscillator.previous_pw - pw + f);
                this_sample += notch * this_blep_sample(t);
                next_sample += notch * next_blep_sample(t);
                this_sample -= triangle_step * this_integrated_blep_sample(t);
                next_sample -= triangle_step * next_integrated_blep_sample(t);
                oscillator.high = true;
            } else if oscillator.phase >= 1.0 {
                oscillator.phase -= 1.0;
                let triangle_step = (slope_up + slope_down) * f * triangle_amount;
                let notch = (NOTCH_DEPTH + 1.0) * notch_amount;
                let t = oscillator.phase / f;
                this_sample -= notch * this_blep_sample(t);
                next_sample -= notch * next_blep_sample(t);
                this_sample += triangle_step * this_integrated_blep_sample(t);
                next_sample += triangle_step * next_integrated_blep_sample(t);
                oscillator.high = false;
            }

            let phase = oscillator.phase;
            let notch_saw = if phase < pw { phase } else { 1.0 + NOTCH_DEPTH };
            let triangle = if phase < pw { phase * slope_up } else { 1.0 - (phase - pw) * slope_down };
            next_sample += notch_saw * notch_amount + triangle * triangle_amount;
            oscillator.previous_pw = pw;
            *y = (2.0 * this_sample - 1.0) / (1.0 + NOTCH_DEPTH);
        }

        oscillator.next_sample = next_sample;
        oscillator.frequency = fm.value();
        oscillator.pw = pwm.value();
        oscillator.waveshape = waveshape_modulation.value();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_passes_match_the_reference_bit_for_bit() {
        let mut random = crate::dsp::random::Random::default();
        for run in 0..60 {
            let mut oscillator = VariableSawOscillator::default();
            let mut reference = oscillator.clone();
            let (mut out, mut expected) = ([0.0f32; 12], [0.0f32; 12]);
            let mut settings = (0.0093, 0.5, 0.2);
            for block in 0..300 {
                // Hold the settings a while (ramps come to rest), then move them.
                if block % 40 == 0 || random.get_word() % 8 == 0 {
                    let f = [0.3 * random.get_float(), 0.01 * random.get_float(), 0.25]
                        [(random.get_word() % 3) as usize];
                    let knob = |random: &mut crate::dsp::random::Random| match random.get_word() % 4 {
                        0 => 0.0,
                        1 => 1.0,
                        _ => random.get_float(),
                    };
                    settings = (f, knob(&mut random) * 1.1, knob(&mut random));
                }
                let (f, pw, shape) = settings;
                oscillator.render(f, pw, shape, &mut out);
                let ramps = reference.ramps(f, pw, shape, 12);
                reference::render_block(&mut reference, ramps, &mut expected);
                assert_eq!(out.map(f32::to_bits), expected.map(f32::to_bits), "run {run} block {block}");
            }
        }
    }

    #[test]
    fn saw_with_notch_has_the_period_and_plateau() {
        let mut osc = VariableSawOscillator::default();
        let mut block = [0.0f32; 12];
        let mut out = Vec::new();
        for _ in 0..1000 {
            osc.render(0.005, 0.7, 0.0, &mut block);
            out.extend_from_slice(&block);
        }
        let tail = &out[1200..];
        let periods = tail.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
        assert!((periods as i32 - 54).abs() <= 1, "{periods}");
        let top = tail.iter().fold(f32::MIN, |m, &x| m.max(x));
        assert!((top - 1.4 / 1.2).abs() < 0.05, "plateau at 1.2: {top}");
    }
}
