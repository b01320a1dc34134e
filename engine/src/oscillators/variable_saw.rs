//! Saw with a "notch" plateau that morphs into a variable-slope triangle (engines-0-3.md §A.2).

use crate::dsp::polyblep::{
    next_blep_sample, next_integrated_blep_sample, this_blep_sample, this_integrated_blep_sample,
};
use crate::dsp::ramp::ParameterRamp;
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
    pub fn render(&mut self, frequency: f32, pw: f32, waveshape: f32, out: &mut [f32]) {
        let ramps = self.ramps(frequency, pw, waveshape, out.len());
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
    #[inline(always)]
    fn render_block(
        &mut self,
        ramps: [ParameterRamp; 3],
        slopes: impl Fn(f32) -> (f32, f32),
        out: &mut [f32],
    ) {
        let [mut fm, mut pwm, mut waveshape_modulation] = ramps;
        let mut next_sample = self.next_sample;

        for y in out.iter_mut() {
            let mut this_sample = next_sample;
            next_sample = 0.0;
            let f = fm.next();
            let pw = pwm.next();
            let waveshape = waveshape_modulation.next();
            let triangle_amount = waveshape;
            let notch_amount = 1.0 - waveshape;
            let (slope_up, slope_down) = slopes(pw);

            self.phase += f;
            if !self.high && self.phase >= pw {
                let triangle_step = (slope_up + slope_down) * f * triangle_amount;
                let notch = (NOTCH_DEPTH + 1.0 - pw) * notch_amount;
                let t = (self.phase - pw) / (self.previous_pw - pw + f);
                this_sample += notch * this_blep_sample(t);
                next_sample += notch * next_blep_sample(t);
                this_sample -= triangle_step * this_integrated_blep_sample(t);
                next_sample -= triangle_step * next_integrated_blep_sample(t);
                self.high = true;
            } else if self.phase >= 1.0 {
                self.phase -= 1.0;
                let triangle_step = (slope_up + slope_down) * f * triangle_amount;
                let notch = (NOTCH_DEPTH + 1.0) * notch_amount;
                let t = self.phase / f;
                this_sample -= notch * this_blep_sample(t);
                next_sample -= notch * next_blep_sample(t);
                this_sample += triangle_step * this_integrated_blep_sample(t);
                next_sample += triangle_step * next_integrated_blep_sample(t);
                self.high = false;
            }

            let phase = self.phase;
            let notch_saw = if phase < pw { phase } else { 1.0 + NOTCH_DEPTH };
            let triangle = if phase < pw { phase * slope_up } else { 1.0 - (phase - pw) * slope_down };
            next_sample += notch_saw * notch_amount + triangle * triangle_amount;
            self.previous_pw = pw;
            *y = (2.0 * this_sample - 1.0) / (1.0 + NOTCH_DEPTH);
        }

        self.next_sample = next_sample;
        self.frequency = fm.value();
        self.pw = pwm.value();
        self.waveshape = waveshape_modulation.value();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resting_width_gives_the_bits_of_per_sample_slopes() {
        let mut oscillator = VariableSawOscillator::default();
        let mut reference = oscillator.clone();
        let (mut out, mut expected) = ([0.0f32; 12], [0.0f32; 12]);
        for block in 0..600 {
            let pw = [0.3, 0.71, 0.5][block / 200];
            let (f, shape) = (0.0093, 0.2 + 0.001 * (block % 5) as f32);
            oscillator.render(f, pw, shape, &mut out);
            let ramps = reference.ramps(f, pw, shape, 12);
            reference.render_block(ramps, slopes, &mut expected);
            assert_eq!(out.map(f32::to_bits), expected.map(f32::to_bits), "block {block}");
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
