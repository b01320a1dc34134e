//! Triangle ↔ saw ↔ square oscillator with variable slope and optional hard sync (engines-0-3.md §A.1).

use crate::dsp::polyblep::{
    next_blep_sample, next_integrated_blep_sample, this_blep_sample, this_integrated_blep_sample,
};
use crate::dsp::ramp::ParameterRamp;

const MAX_FREQUENCY: f32 = 0.25;

/// The morphing, optionally hard-synced oscillator of the virtual-analog engine.
#[derive(Clone, Debug)]
pub struct VariableShapeOscillator {
    master_phase: f32,
    slave_phase: f32,
    next_sample: f32,
    previous_pw: f32,
    high: bool,
    master_frequency: f32,
    slave_frequency: f32,
    pw: f32,
    waveshape: f32,
}

impl Default for VariableShapeOscillator {
    fn default() -> Self {
        Self {
            master_phase: 0.0,
            slave_phase: 0.0,
            next_sample: 0.0,
            previous_pw: 0.5,
            high: false,
            master_frequency: 0.0,
            slave_frequency: 0.01,
            pw: 0.5,
            waveshape: 0.0,
        }
    }
}

/// The per-sample shape of the naive (aliased) waveform.
struct Shape {
    pw: f32,
    square_amount: f32,
    triangle_amount: f32,
    slope_up: f32,
    slope_down: f32,
}

impl Shape {
    #[inline]
    fn naive(&self, phase: f32) -> f32 {
        let saw = phase;
        let square = if phase < self.pw { 0.0 } else { 1.0 };
        let triangle =
            if phase < self.pw { phase * self.slope_up } else { 1.0 - (phase - self.pw) * self.slope_down };
        let v = saw + (square - saw) * self.square_amount;
        v + (triangle - v) * self.triangle_amount
    }
}

/// The square and triangle amounts of a waveshape (0 = triangle, 0.5 = saw, 1 = square).
#[inline]
fn amounts(waveshape: f32) -> (f32, f32) {
    (((waveshape - 0.5).max(0.0)) * 2.0, (1.0 - waveshape * 2.0).max(0.0))
}

/// Rise and fall rates of the triangle for a pulse width: `1/pw`, `1/(1 − pw)`.
#[inline]
pub(crate) fn slopes(pw: f32) -> (f32, f32) {
    (1.0 / pw, 1.0 / (1.0 - pw))
}

impl VariableShapeOscillator {
    /// Renders a block. `waveshape` 0 = triangle, 0.5 = saw, 1 = pulse.
    pub fn render(
        &mut self,
        enable_sync: bool,
        master_frequency: f32,
        frequency: f32,
        pw: f32,
        waveshape: f32,
        out: &mut [f32],
    ) {
        let ramps = self.ramps(master_frequency, frequency, pw, waveshape, out.len());
        let [_, _, pwm, waveshape_modulation] = ramps;
        // The slopes' two divisions per sample are the oscillator's dearest
        // steps, and the shape's amounts cost a few more; with the width (and
        // the shape) at rest they are the same every sample.
        if pwm.is_at_rest() {
            let resting_slopes = slopes(pwm.value());
            if waveshape_modulation.is_at_rest() {
                let resting_amounts = amounts(waveshape_modulation.value());
                self.render_block(enable_sync, ramps, |_, _| (resting_slopes, resting_amounts), out);
            } else {
                self.render_block(
                    enable_sync,
                    ramps,
                    |_, waveshape| (resting_slopes, amounts(waveshape)),
                    out,
                );
            }
        } else {
            self.render_block(enable_sync, ramps, |pw, waveshape| (slopes(pw), amounts(waveshape)), out);
        }
    }

    /// Whether `other` is in the same state, bit for bit: given the same
    /// settings, it would then render the same block.
    pub fn same_state(&self, other: &Self) -> bool {
        let bits = |o: &Self| {
            [
                o.master_phase,
                o.slave_phase,
                o.next_sample,
                o.previous_pw,
                o.master_frequency,
                o.slave_frequency,
                o.pw,
                o.waveshape,
            ]
            .map(f32::to_bits)
        };
        self.high == other.high && bits(self) == bits(other)
    }

    /// This block's ramps of master frequency, frequency, width and shape.
    #[inline]
    fn ramps(
        &self,
        master_frequency: f32,
        frequency: f32,
        pw: f32,
        waveshape: f32,
        size: usize,
    ) -> [ParameterRamp; 4] {
        let master_frequency = master_frequency.min(MAX_FREQUENCY);
        let frequency = frequency.min(MAX_FREQUENCY);
        let pw =
            if frequency >= MAX_FREQUENCY { 0.5 } else { pw.clamp(frequency * 2.0, 1.0 - 2.0 * frequency) };
        [
            ParameterRamp::new(self.master_frequency, master_frequency, size),
            ParameterRamp::new(self.slave_frequency, frequency, size),
            ParameterRamp::new(self.pw, pw, size),
            ParameterRamp::new(self.waveshape, waveshape, size),
        ]
    }

    /// The sample loop, with `shape_of` giving the triangle's slopes and the
    /// square and triangle amounts for a width and a shape.
    #[inline(always)]
    fn render_block(
        &mut self,
        enable_sync: bool,
        ramps: [ParameterRamp; 4],
        shape_of: impl Fn(f32, f32) -> ((f32, f32), (f32, f32)),
        out: &mut [f32],
    ) {
        let [mut master_fm, mut fm, mut pwm, mut waveshape_modulation] = ramps;
        let mut next_sample = self.next_sample;

        for y in out.iter_mut() {
            let mut reset = false;
            let mut transition_during_reset = false;
            let mut reset_time = 0.0;
            let mut this_sample = next_sample;
            next_sample = 0.0;

            let master_f = master_fm.next();
            let f = fm.next();
            let pw = pwm.next();
            let waveshape = waveshape_modulation.next();
            let ((slope_up, slope_down), (square_amount, triangle_amount)) = shape_of(pw, waveshape);
            let shape = Shape { pw, square_amount, triangle_amount, slope_up, slope_down };

            if enable_sync {
                self.master_phase += master_f;
                if self.master_phase >= 1.0 {
                    self.master_phase -= 1.0;
                    reset_time = self.master_phase / master_f;
                    let mut slave_phase_at_reset = self.slave_phase + (1.0 - reset_time) * f;
                    reset = true;
                    if slave_phase_at_reset >= 1.0 {
                        slave_phase_at_reset -= 1.0;
                        transition_during_reset = true;
                    }
                    if !self.high && slave_phase_at_reset >= pw {
                        transition_during_reset = true;
                    }
                    let value = shape.naive(slave_phase_at_reset);
                    this_sample -= value * this_blep_sample(reset_time);
                    next_sample -= value * next_blep_sample(reset_time);
                }
            }

            self.slave_phase += f;
            // Edges of the slave; skipped on a sync reset unless one is pending.
            if transition_during_reset || !reset {
                loop {
                    if !self.high {
                        if self.slave_phase < pw {
                            break;
                        }
                        let t = (self.slave_phase - pw) / (self.previous_pw - pw + f);
                        let triangle_step = (shape.slope_up + shape.slope_down) * f * shape.triangle_amount;
                        this_sample += shape.square_amount * this_blep_sample(t);
                        next_sample += shape.square_amount * next_blep_sample(t);
                        this_sample -= triangle_step * this_integrated_blep_sample(t);
                        next_sample -= triangle_step * next_integrated_blep_sample(t);
                        self.high = true;
                    }
                    if self.high {
                        if self.slave_phase < 1.0 {
                            break;
                        }
                        self.slave_phase -= 1.0;
                        let t = self.slave_phase / f;
                        let triangle_step = (shape.slope_up + shape.slope_down) * f * shape.triangle_amount;
                        this_sample -= (1.0 - shape.triangle_amount) * this_blep_sample(t);
                        next_sample -= (1.0 - shape.triangle_amount) * next_blep_sample(t);
                        this_sample += triangle_step * this_integrated_blep_sample(t);
                        next_sample += triangle_step * next_integrated_blep_sample(t);
                        self.high = false;
                    }
                }
            }

            if enable_sync && reset {
                self.slave_phase = reset_time * f;
                self.high = false;
            }

            next_sample += shape.naive(self.slave_phase);
            self.previous_pw = pw;
            *y = 2.0 * this_sample - 1.0;
        }

        self.next_sample = next_sample;
        self.master_frequency = master_fm.value();
        self.slave_frequency = fm.value();
        self.pw = pwm.value();
        self.waveshape = waveshape_modulation.value();
    }
}

/// The oscillator as first written, to check the resting shortcuts against.
#[cfg(test)]
mod reference {
    use super::*;

    /// The sample loop as first written: everything per sample.
    pub fn render_block(
        oscillator: &mut VariableShapeOscillator,
        enable_sync: bool,
        ramps: [ParameterRamp; 4],
        out: &mut [f32],
    ) {
        let this = oscillator;
        let [mut master_fm, mut fm, mut pwm, mut waveshape_modulation] = ramps;
        let mut next_sample = this.next_sample;

        for y in out.iter_mut() {
            let mut reset = false;
            let mut transition_during_reset = false;
            let mut reset_time = 0.0;
            let mut this_sample = next_sample;
            next_sample = 0.0;

            let master_f = master_fm.next();
            let f = fm.next();
            let pw = pwm.next();
            let waveshape = waveshape_modulation.next();
            let (slope_up, slope_down) = slopes(pw);
            let shape = Shape {
                pw,
                square_amount: ((waveshape - 0.5).max(0.0)) * 2.0,
                triangle_amount: (1.0 - waveshape * 2.0).max(0.0),
                slope_up,
                slope_down,
            };

            if enable_sync {
                this.master_phase += master_f;
                if this.master_phase >= 1.0 {
                    this.master_phase -= 1.0;
                    reset_time = this.master_phase / master_f;
                    let mut slave_phase_at_reset = this.slave_phase + (1.0 - reset_time) * f;
                    reset = true;
                    if slave_phase_at_reset >= 1.0 {
                        slave_phase_at_reset -= 1.0;
                        transition_during_reset = true;
                    }
                    if !this.high && slave_phase_at_reset >= pw {
                        transition_during_reset = true;
                    }
                    let value = shape.naive(slave_phase_at_reset);
                    this_sample -= value * this_blep_sample(reset_time);
                    next_sample -= value * next_blep_sample(reset_time);
                }
            }

            this.slave_phase += f;
            // Edges of the slave; skipped on a sync reset unless one is pending.
            if transition_during_reset || !reset {
                loop {
                    if !this.high {
                        if this.slave_phase < pw {
                            break;
                        }
                        let t = (this.slave_phase - pw) / (this.previous_pw - pw + f);
                        let triangle_step = (shape.slope_up + shape.slope_down) * f * shape.triangle_amount;
                        this_sample += shape.square_amount * this_blep_sample(t);
                        next_sample += shape.square_amount * next_blep_sample(t);
                        this_sample -= triangle_step * this_integrated_blep_sample(t);
                        next_sample -= triangle_step * next_integrated_blep_sample(t);
                        this.high = true;
                    }
                    if this.high {
                        if this.slave_phase < 1.0 {
                            break;
                        }
                        this.slave_phase -= 1.0;
                        let t = this.slave_phase / f;
                        let triangle_step = (shape.slope_up + shape.slope_down) * f * shape.triangle_amount;
                        this_sample -= (1.0 - shape.triangle_amount) * this_blep_sample(t);
                        next_sample -= (1.0 - shape.triangle_amount) * next_blep_sample(t);
                        this_sample += triangle_step * this_integrated_blep_sample(t);
                        next_sample += triangle_step * next_integrated_blep_sample(t);
                        this.high = false;
                    }
                }
            }

            if enable_sync && reset {
                this.slave_phase = reset_time * f;
                this.high = false;
            }

            next_sample += shape.naive(this.slave_phase);
            this.previous_pw = pw;
            *y = 2.0 * this_sample - 1.0;
        }

        this.next_sample = next_sample;
        this.master_frequency = master_fm.value();
        this.slave_frequency = fm.value();
        this.pw = pwm.value();
        this.waveshape = waveshape_modulation.value();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(waveshape: f32, pw: f32) -> Vec<f32> {
        let mut osc = VariableShapeOscillator::default();
        let mut block = [0.0f32; 12];
        let mut out = Vec::new();
        for _ in 0..1000 {
            osc.render(false, 0.0, 0.01, pw, waveshape, &mut block);
            out.extend_from_slice(&block);
        }
        out.split_off(1200)
    }

    #[test]
    fn resting_shortcuts_match_the_reference_bit_for_bit() {
        let mut random = crate::dsp::random::Random::default();
        for run in 0..60 {
            let mut oscillator = VariableShapeOscillator::default();
            let mut reference = oscillator.clone();
            let (mut out, mut expected) = ([0.0f32; 12], [0.0f32; 12]);
            let mut settings = (0.01, 0.02, 0.5, 0.5);
            for block in 0..300 {
                // Hold the settings a while (ramps come to rest), then move them.
                if block % 40 == 0 || random.get_word() % 8 == 0 {
                    let frequency = |random: &mut crate::dsp::random::Random| {
                        [0.3 * random.get_float(), 0.01 * random.get_float(), 0.25]
                            [(random.get_word() % 3) as usize]
                    };
                    settings = (
                        frequency(&mut random),
                        frequency(&mut random),
                        random.get_float(),
                        random.get_float(),
                    );
                }
                let (master, slave, pw, shape) = settings;
                let sync = run % 3 != 0;
                oscillator.render(sync, master, slave, pw, shape, &mut out);
                let ramps = reference.ramps(master, slave, pw, shape, 12);
                reference::render_block(&mut reference, sync, ramps, &mut expected);
                assert_eq!(out.map(f32::to_bits), expected.map(f32::to_bits), "run {run} block {block}");
            }
        }
    }

    #[test]
    fn pulse_duty_follows_pulse_width() {
        let out = render(1.0, 0.3);
        let high = out.iter().filter(|&&x| x > 0.0).count() as f32 / out.len() as f32;
        assert!((high - 0.7).abs() < 0.01, "{high}");
    }

    #[test]
    fn every_shape_stays_in_range_and_has_the_period() {
        for shape in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let out = render(shape, 0.5);
            assert!(out.iter().all(|x| x.abs() < 1.1), "{shape}");
            let mean_crossings = out.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
            assert!((mean_crossings as i32 - 108).abs() <= 1, "{shape}: {mean_crossings}");
        }
    }
}
