//! The low-pass gate: its "vactrol" envelope and its filter/VCA (voice.md §3.2m, §3.3).

use crate::dsp::filter::{Svf, TanApproximation};
use crate::dsp::ramp::ParameterRamp;
use crate::engines::Block;

/// The envelope that drives the gate: gain, cutoff and high-frequency bleed.
#[derive(Clone, Debug)]
pub struct LpgEnvelope {
    vactrol_state: f32,
    gain: f32,
    frequency: f32,
    hf_bleed: f32,
    ramp_up: bool,
}

impl Default for LpgEnvelope {
    fn default() -> Self {
        Self { vactrol_state: 0.0, gain: 1.0, frequency: 0.5, hf_bleed: 0.0, ramp_up: false }
    }
}

impl LpgEnvelope {
    /// Starts a ping: a linear ramp up, then the decay.
    pub fn trigger(&mut self) {
        self.ramp_up = true;
    }

    /// One block of a pinged gate: ramp up by `attack` per block, then decay to 0.
    pub fn process_ping(&mut self, attack: f32, short_decay: f32, decay_tail: f32, hf: f32) {
        if self.ramp_up {
            self.vactrol_state += attack;
            if self.vactrol_state >= 1.0 {
                self.vactrol_state = 1.0;
                self.ramp_up = false;
            }
        }
        let level = if self.ramp_up { self.vactrol_state } else { 0.0 };
        self.process_lp(level, short_decay, decay_tail, hf);
    }

    /// One block of the gate following `level` (fast attack, shaped release).
    pub fn process_lp(&mut self, level: f32, short_decay: f32, decay_tail: f32, hf: f32) {
        let state = self.vactrol_state;
        let error = level - state;
        let state_2 = state * state;
        let state_4 = state_2 * state_2;
        let tail = 1.0 - state;
        let tail_2 = tail * tail;
        let coefficient = if error > 0.0 { 0.6 } else { short_decay + (1.0 - state_4) * decay_tail };
        self.vactrol_state += coefficient * error;
        self.gain = self.vactrol_state;
        self.frequency = 0.003 + 0.3 * state_4 + 0.04 * hf;
        self.hf_bleed = (tail_2 + (1.0 - tail_2) * hf) * hf * hf;
    }

    /// VCA gain of the gate.
    pub fn gain(&self) -> f32 {
        self.gain
    }

    /// Normalised cutoff of the gate's filter.
    pub fn frequency(&self) -> f32 {
        self.frequency
    }

    /// How much of the unfiltered signal passes around the filter.
    pub fn hf_bleed(&self) -> f32 {
        self.hf_bleed
    }
}

/// The gate itself on one channel: a ramped VCA followed by a low-pass with bleed.
#[derive(Clone, Debug, Default)]
pub struct LowPassGate {
    previous_gain: f32,
    filter: Svf,
}

impl LowPassGate {
    /// Gates a block and converts it to the voice's int16 frames.
    pub fn process(&mut self, gain: f32, frequency: f32, hf_bleed: f32, input: &Block, output: &mut [i16]) {
        self.filter.set_frequency_q(frequency, 0.4, TanApproximation::Dirty);
        let mut ramp = ParameterRamp::new(self.previous_gain, gain, input.len());
        for (x, y) in input.iter().zip(output.iter_mut()) {
            let s = *x * ramp.next();
            let lp = self.filter.low_pass(s);
            *y = to_int16(lp + (s - lp) * hf_bleed);
        }
        self.previous_gain = ramp.value();
    }
}

/// Plaits' float-to-sample conversion: `clip16(1 + trunc(x))`.
#[inline]
pub fn to_int16(x: f32) -> i16 {
    (x as i32).saturating_add(1).clamp(i16::MIN as i32, i16::MAX as i32) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int16_conversion_truncates_then_adds_one() {
        assert_eq!(to_int16(0.0), 1);
        assert_eq!(to_int16(-0.9), 1);
        assert_eq!(to_int16(-1.5), 0);
        assert_eq!(to_int16(2.7), 3);
        assert_eq!(to_int16(1e9), 32767);
        assert_eq!(to_int16(-1e9), -32768);
        assert_eq!(to_int16(f32::NAN), 1);
    }

    #[test]
    fn ping_rises_linearly_then_decays() {
        let mut env = LpgEnvelope::default();
        env.trigger();
        env.process_ping(0.25, 0.01, 0.001, 0.5);
        let first = env.gain();
        env.process_ping(0.25, 0.01, 0.001, 0.5);
        assert!(env.gain() > first);
        for _ in 0..4 {
            env.process_ping(0.25, 0.01, 0.001, 0.5);
        }
        let peak = env.gain();
        for _ in 0..2000 {
            env.process_ping(0.25, 0.01, 0.001, 0.5);
        }
        assert!(env.gain() < peak * 0.01, "decays toward zero: {}", env.gain());
    }
}
