//! The generic band-limited polyBLEP oscillator (engines-0-3.md §A.3, engines-8-15.md §1.10).

use crate::dsp::polyblep::{
    next_blep_sample, next_integrated_blep_sample, this_blep_sample, this_integrated_blep_sample,
};
use crate::dsp::ramp::ParameterRamp;
use crate::oscillators::variable_shape::slopes;

/// Highest frequency an [`Oscillator`] plays, cycles per sample.
pub const MAX_FREQUENCY: f32 = 0.25;
/// Lowest frequency an [`Oscillator`] plays, cycles per sample.
pub const MIN_FREQUENCY: f32 = 0.000001;

/// Waveforms of [`Oscillator`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OscillatorShape {
    /// Band-limited impulses (a high-passed, smoothed saw).
    ImpulseTrain,
    /// Rising sawtooth.
    Saw,
    /// Symmetric triangle.
    Triangle,
    /// Triangle whose peak sits at the pulse width.
    Slope,
    /// Pulse with variable width.
    Square,
    /// High-passed pulse.
    SquareBright,
    /// Low-passed pulse.
    SquareDark,
    /// Heavily low-passed square, close to a triangle.
    SquareTriangle,
}

/// One band-limited oscillator; state persists across blocks.
#[derive(Clone, Debug)]
pub struct Oscillator {
    phase: f32,
    next_sample: f32,
    lp_state: f32,
    hp_state: f32,
    high: bool,
    frequency: f32,
    pulse_width: f32,
}

impl Default for Oscillator {
    fn default() -> Self {
        Self {
            phase: 0.5,
            next_sample: 0.0,
            lp_state: 1.0,
            hp_state: 0.0,
            high: true,
            frequency: 0.001,
            pulse_width: 0.5,
        }
    }
}

impl Oscillator {
    /// Renders one block of `shape` at frequency `f` and pulse width `pw`.
    ///
    /// Inlined so that a caller with a constant `shape` gets a loop without the
    /// per-sample shape dispatch.
    #[inline]
    pub fn render(&mut self, shape: OscillatorShape, f: f32, pw: f32, out: &mut [f32]) {
        let ramps = self.ramps(f, pw, out.len());
        let pulse_width = ramps[1];
        // The slope shape's two divisions per sample give the same quotients
        // every sample while the width rests: do them once.
        if shape == OscillatorShape::Slope && pulse_width.is_at_rest() {
            let resting_slopes = slopes(pulse_width.value());
            self.render_block(shape, ramps, |_| resting_slopes, out);
        } else {
            self.render_block(shape, ramps, slopes, out);
        }
    }

    /// This block's frequency and pulse-width ramps.
    #[inline]
    fn ramps(&self, f: f32, pw: f32, size: usize) -> [ParameterRamp; 2] {
        let f = f.clamp(MIN_FREQUENCY, MAX_FREQUENCY);
        let pw = pw.clamp(f.abs() * 2.0, 1.0 - 2.0 * f.abs());
        [ParameterRamp::new(self.frequency, f, size), ParameterRamp::new(self.pulse_width, pw, size)]
    }

    /// The sample loop; `slopes` gives the slope shape's rise and fall rates for a width.
    #[inline(always)]
    fn render_block(
        &mut self,
        shape: OscillatorShape,
        ramps: [ParameterRamp; 2],
        slopes: impl Fn(f32) -> (f32, f32),
        out: &mut [f32],
    ) {
        let [mut frequency, mut pulse_width] = ramps;
        let mut next_sample = self.next_sample;

        for y in out.iter_mut() {
            let mut this_sample = next_sample;
            next_sample = 0.0;
            let f = frequency.next();
            let pw = if matches!(shape, OscillatorShape::Triangle | OscillatorShape::SquareTriangle) {
                0.5
            } else {
                pulse_width.next()
            };
            self.phase += f;

            match shape {
                OscillatorShape::ImpulseTrain | OscillatorShape::Saw => {
                    if self.phase >= 1.0 {
                        self.phase -= 1.0;
                        let t = self.phase / f;
                        this_sample -= this_blep_sample(t);
                        next_sample -= next_blep_sample(t);
                    }
                    next_sample += self.phase;
                    *y = if shape == OscillatorShape::Saw {
                        2.0 * this_sample - 1.0
                    } else {
                        self.lp_state += 0.25 * ((self.hp_state - this_sample) - self.lp_state);
                        self.hp_state = this_sample;
                        4.0 * self.lp_state
                    };
                }
                OscillatorShape::Triangle | OscillatorShape::Slope => {
                    let (slope_up, slope_down) =
                        if shape == OscillatorShape::Triangle { (2.0, 2.0) } else { slopes(pw) };
                    if self.high != (self.phase < pw) {
                        let t = (self.phase - pw) / f;
                        let d = (slope_up + slope_down) * f;
                        this_sample -= this_integrated_blep_sample(t) * d;
                        next_sample -= next_integrated_blep_sample(t) * d;
                        self.high = self.phase < pw;
                    }
                    if self.phase >= 1.0 {
                        self.phase -= 1.0;
                        let t = self.phase / f;
                        let d = (slope_up + slope_down) * f;
                        this_sample += this_integrated_blep_sample(t) * d;
                        next_sample += next_integrated_blep_sample(t) * d;
                        self.high = true;
                    }
                    next_sample +=
                        if self.high { self.phase * slope_up } else { 1.0 - (self.phase - pw) * slope_down };
                    *y = 2.0 * this_sample - 1.0;
                }
                OscillatorShape::Square
                | OscillatorShape::SquareBright
                | OscillatorShape::SquareDark
                | OscillatorShape::SquareTriangle => {
                    if self.high != (self.phase >= pw) {
                        let t = (self.phase - pw) / f;
                        this_sample += this_blep_sample(t);
                        next_sample += next_blep_sample(t);
                        self.high = self.phase >= pw;
                    }
                    if self.phase >= 1.0 {
                        self.phase -= 1.0;
                        let t = self.phase / f;
                        this_sample -= this_blep_sample(t);
                        next_sample -= next_blep_sample(t);
                        self.high = false;
                    }
                    next_sample += if self.phase < pw { 0.0 } else { 1.0 };
                    *y = match shape {
                        OscillatorShape::SquareBright => {
                            let x = 2.0 * this_sample - 1.0;
                            self.lp_state += 2.0 * f * (x - self.lp_state);
                            (x - self.lp_state) * 0.5
                        }
                        OscillatorShape::SquareDark => {
                            let x = 4.0 * (this_sample - 0.5);
                            self.lp_state += 2.0 * f * (x - self.lp_state);
                            self.lp_state
                        }
                        OscillatorShape::SquareTriangle => {
                            let x = 128.0 * (this_sample - 0.5);
                            self.lp_state += (f / 16.0) * (x - self.lp_state);
                            self.lp_state
                        }
                        _ => 2.0 * this_sample - 1.0,
                    };
                }
            }
        }
        self.next_sample = next_sample;
        self.frequency = frequency.value();
        self.pulse_width = pulse_width.value();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(shape: OscillatorShape, f: f32, pw: f32, blocks: usize) -> Vec<f32> {
        let mut osc = Oscillator::default();
        let mut out = Vec::new();
        let mut block = [0.0f32; 12];
        for _ in 0..blocks {
            osc.render(shape, f, pw, &mut block);
            out.extend_from_slice(&block);
        }
        out
    }

    #[test]
    fn resting_width_gives_the_bits_of_per_sample_slopes() {
        let mut oscillator = Oscillator::default();
        let mut reference = oscillator.clone();
        let (mut out, mut expected) = ([0.0f32; 12], [0.0f32; 12]);
        for block in 0..600 {
            let pw = [0.3, 0.71, 0.5][block / 200];
            oscillator.render(OscillatorShape::Slope, 0.0123, pw, &mut out);
            let ramps = reference.ramps(0.0123, pw, 12);
            reference.render_block(OscillatorShape::Slope, ramps, slopes, &mut expected);
            assert_eq!(out.map(f32::to_bits), expected.map(f32::to_bits), "block {block}");
        }
    }

    #[test]
    fn saw_has_the_requested_period_and_range() {
        let out = render(OscillatorShape::Saw, 0.01, 0.5, 1000);
        let tail = &out[1200..];
        let periods = tail.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
        assert!((periods as i32 - 108).abs() <= 1, "{periods}");
        assert!(tail.iter().all(|x| x.abs() < 1.1));
    }

    #[test]
    fn square_duty_cycle_follows_pulse_width() {
        let out = render(OscillatorShape::Square, 0.005, 0.25, 1000);
        let tail = &out[1200..];
        let high = tail.iter().filter(|&&x| x > 0.0).count() as f32 / tail.len() as f32;
        assert!((high - 0.75).abs() < 0.01, "{high}");
    }

    #[test]
    fn triangle_is_symmetric_and_bounded() {
        let out = render(OscillatorShape::Triangle, 0.01, 0.9, 1000);
        let tail = &out[1200..];
        let mean = tail.iter().sum::<f32>() / tail.len() as f32;
        assert!(mean.abs() < 0.02, "{mean}");
        assert!(tail.iter().all(|x| x.abs() <= 1.01));
    }
}
