//! The low-pass gate: its "vactrol" envelope and its filter/VCA (voice.md §3.2m, §3.3).

use crate::dsp::denormal::flush_negligible;
use crate::dsp::filter::{SvfCoefficients, TanApproximation};
use crate::engines::{Block, BLOCK_SIZE};

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

/// The gate on both channels: a ramped VCA followed by a low-pass with bleed.
///
/// OUT and AUX share the gate's cutoff and bleed but keep their own VCA ramp
/// and filter state. They run side by side, sample by sample, so that their
/// independent recursions overlap (and pair up in vector registers) instead of
/// waiting on one filter's latency twice.
#[derive(Clone, Debug, Default)]
pub struct StereoLowPassGate {
    previous_gains: [f32; 2],
    state_1: [f32; 2],
    state_2: [f32; 2],
}

impl StereoLowPassGate {
    /// Gates a block of each channel and converts it to the voice's int16 frames.
    pub fn process(
        &mut self,
        gains: [f32; 2],
        frequency: f32,
        hf_bleed: f32,
        inputs: [&Block; 2],
        outputs: [&mut [i16; BLOCK_SIZE]; 2],
    ) {
        let filter = SvfCoefficients::new(frequency, 0.4, TanApproximation::Dirty);
        // stmlib's ParameterInterpolator: the increment, then one add per sample.
        let mut gain = self.previous_gains;
        let increments = [0, 1].map(|c| (gains[c] - gain[c]) / BLOCK_SIZE as f32);
        let [mut state_1, mut state_2] = [self.state_1, self.state_2];
        let mut frames = [[0.0; 2]; BLOCK_SIZE];
        for (i, frame) in frames.iter_mut().enumerate() {
            for c in 0..2 {
                gain[c] += increments[c];
                let s = inputs[c][i] * gain[c];
                let lp = filter.step(s, &mut state_1[c], &mut state_2[c]).lp;
                frame[c] = lp + (s - lp) * hf_bleed;
            }
        }
        // Converted after the filter loop: in it, the conversion's range
        // checks turn into branches.
        let [out, aux] = outputs;
        *out = frames.map(|frame| to_int16(frame[0]));
        *aux = frames.map(|frame| to_int16(frame[1]));
        // Gating a silent engine, the filter decays into subnormals.
        (self.state_1, self.state_2) = (state_1.map(flush_negligible), state_2.map(flush_negligible));
        self.previous_gains = gain;
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
    use crate::dsp::filter::Svf;
    use crate::dsp::ramp::ParameterRamp;
    use proptest::prelude::*;

    /// The conversion as the spec writes it: saturating truncation, plus one, clip.
    fn to_int16_reference(x: f32) -> i16 {
        (x as i32).saturating_add(1).clamp(i16::MIN as i32, i16::MAX as i32) as i16
    }

    /// One channel of the gate as the spec writes it.
    fn gate_reference(
        previous_gain: &mut f32,
        filter: &mut Svf,
        gain: f32,
        frequency: f32,
        hf_bleed: f32,
        input: &Block,
    ) -> [i16; BLOCK_SIZE] {
        filter.set_frequency_q(frequency, 0.4, TanApproximation::Dirty);
        let mut ramp = ParameterRamp::new(*previous_gain, gain, input.len());
        let mut output = [0; BLOCK_SIZE];
        for (x, y) in input.iter().zip(output.iter_mut()) {
            let s = *x * ramp.next();
            let lp = filter.low_pass(s);
            *y = to_int16_reference(lp + (s - lp) * hf_bleed);
        }
        *previous_gain = ramp.value();
        output
    }

    proptest! {
        #[test]
        fn int16_conversion_matches_the_reference_for_any_bits(bits in any::<u32>()) {
            let x = f32::from_bits(bits);
            prop_assert_eq!(to_int16(x), to_int16_reference(x));
        }

        #[test]
        fn stereo_gate_matches_two_reference_gates(
            blocks in prop::collection::vec(
                (-40_000.0f32..40_000.0, -40_000.0f32..40_000.0, 0.0f32..0.35, 0.0f32..1.0,
                 prop::array::uniform12(-2.0f32..2.0), prop::array::uniform12(-2.0f32..2.0)),
                1..40),
        ) {
            let mut gate = StereoLowPassGate::default();
            let mut previous_gains = [0.0f32; 2];
            let mut filters = [Svf::default(), Svf::default()];
            for (out_gain, aux_gain, frequency, hf_bleed, out_input, aux_input) in blocks {
                let mut out = [0; BLOCK_SIZE];
                let mut aux = [0; BLOCK_SIZE];
                gate.process([out_gain, aux_gain], frequency, hf_bleed, [&out_input, &aux_input], [&mut out, &mut aux]);
                let [out_gain_state, aux_gain_state] = &mut previous_gains;
                let [out_filter, aux_filter] = &mut filters;
                prop_assert_eq!(out, gate_reference(out_gain_state, out_filter, out_gain, frequency, hf_bleed, &out_input));
                prop_assert_eq!(aux, gate_reference(aux_gain_state, aux_filter, aux_gain, frequency, hf_bleed, &aux_input));
            }
        }
    }

    #[test]
    fn int16_conversion_truncates_then_adds_one() {
        assert_eq!(to_int16(0.0), 1);
        assert_eq!(to_int16(-0.9), 1);
        assert_eq!(to_int16(-1.5), 0);
        assert_eq!(to_int16(2.7), 3);
        assert_eq!(to_int16(1e9), 32767);
        assert_eq!(to_int16(-1e9), -32768);
        assert_eq!(to_int16(f32::NAN), 1);
        for x in [32766.0, 32766.5, 32767.0, -32768.5, -32769.0, -32769.5, f32::INFINITY, -f32::INFINITY] {
            assert_eq!(to_int16(x), to_int16_reference(x), "{x}");
        }
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
