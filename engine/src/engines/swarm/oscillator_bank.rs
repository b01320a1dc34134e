//! The swarm's eight saw + magic-circle sine pairs, rendered side by side so that
//! the voices run in parallel lanes (engines-8-15.md §1.8, §2.4).
//!
//! Each lane does exactly the f32 operations of one voice's band-limited saw and
//! `FastSineOscillator`; only the outputs are summed across lanes, in voice
//! order, as the firmware adds voice after voice into OUT and AUX.

use crate::dsp::denormal::flush_negligible;
use crate::dsp::polyblep::{next_blep_sample, this_blep_sample};
use crate::dsp::sine::{fast_sine_renormalize, fast_sine_targets};
use crate::engines::{Block, BLOCK_SIZE};

/// Number of voices in the swarm.
pub const VOICE_COUNT: usize = 8;

const MAX_SAW_FREQUENCY: f32 = 0.25;

type Lanes = [f32; VOICE_COUNT];

/// Saw and sine state of all voices, one array entry per voice.
#[derive(Clone, Debug)]
pub struct OscillatorBank {
    saw_phase: Lanes,
    saw_next_sample: Lanes,
    saw_frequency: Lanes,
    saw_gain: Lanes,
    sine_x: Lanes,
    sine_y: Lanes,
    sine_epsilon: Lanes,
    sine_amplitude: Lanes,
}

impl Default for OscillatorBank {
    fn default() -> Self {
        Self {
            saw_phase: [0.0; VOICE_COUNT],
            saw_next_sample: [0.0; VOICE_COUNT],
            saw_frequency: [0.01; VOICE_COUNT],
            saw_gain: [0.0; VOICE_COUNT],
            sine_x: [1.0; VOICE_COUNT],
            sine_y: [0.0; VOICE_COUNT],
            sine_epsilon: [0.0; VOICE_COUNT],
            sine_amplitude: [0.0; VOICE_COUNT],
        }
    }
}

/// Per-block increment of a linear ramp (as `ParameterRamp::new`).
#[inline]
fn increments(state: &Lanes, target: &Lanes) -> Lanes {
    std::array::from_fn(|i| (target[i] - state[i]) / BLOCK_SIZE as f32)
}

impl OscillatorBank {
    /// Writes the sum of the voices' saws (`gain · saw`) into `out` and of their
    /// sines (`gain · sin`, faded toward f = 0.25) into `aux`; voice i plays at
    /// `frequency[i]` cycles per sample.
    pub fn render(&mut self, frequency: &Lanes, gain: &Lanes, out: &mut Block, aux: &mut Block) {
        let saw_frequency_target: Lanes = std::array::from_fn(|i| frequency[i].min(MAX_SAW_FREQUENCY));
        let saw_frequency_increment = increments(&self.saw_frequency, &saw_frequency_target);
        let saw_gain_increment = increments(&self.saw_gain, gain);
        let mut epsilon_target = [0.0; VOICE_COUNT];
        let mut amplitude_target = [0.0; VOICE_COUNT];
        for i in 0..VOICE_COUNT {
            (epsilon_target[i], amplitude_target[i]) = fast_sine_targets(frequency[i], gain[i]);
            fast_sine_renormalize(&mut self.sine_x[i], &mut self.sine_y[i]);
        }
        let epsilon_increment = increments(&self.sine_epsilon, &epsilon_target);
        let amplitude_increment = increments(&self.sine_amplitude, &amplitude_target);

        for (o, a) in out.iter_mut().zip(aux.iter_mut()) {
            let mut saw = [0.0; VOICE_COUNT];
            let mut sine = [0.0; VOICE_COUNT];
            for i in 0..VOICE_COUNT {
                let f = self.saw_frequency[i] + saw_frequency_increment[i];
                self.saw_frequency[i] = f;
                let this_sample = self.saw_next_sample[i];
                let phase = self.saw_phase[i] + f;
                // Branch-free so the lanes vectorise; t is only used where it wrapped.
                let wrapped = phase >= 1.0;
                let phase = if wrapped { phase - 1.0 } else { phase };
                let t = phase / f;
                let this_sample = if wrapped { this_sample - this_blep_sample(t) } else { this_sample };
                // The firmware's `next = 0; next -= blep; next += phase` in one step.
                self.saw_next_sample[i] = if wrapped { phase - next_blep_sample(t) } else { phase };
                self.saw_phase[i] = phase;
                let g = self.saw_gain[i] + saw_gain_increment[i];
                self.saw_gain[i] = g;
                saw[i] = (2.0 * this_sample - 1.0) * g;

                let e = self.sine_epsilon[i] + epsilon_increment[i];
                self.sine_epsilon[i] = e;
                let x = self.sine_x[i] + e * self.sine_y[i];
                self.sine_x[i] = x;
                self.sine_y[i] -= e * x;
                let amplitude = self.sine_amplitude[i] + amplitude_increment[i];
                self.sine_amplitude[i] = amplitude;
                sine[i] = amplitude * x;
            }
            *o = saw.iter().fold(0.0, |sum, &x| sum + x);
            *a = sine.iter().fold(0.0, |sum, &x| sum + x);
        }
        // A silent grain's gains ramp toward 0 and settle on subnormals (the
        // increment rounds away there), which make every later sample slow;
        // what they scale is negligible in the output.
        self.saw_gain = self.saw_gain.map(flush_negligible);
        self.sine_amplitude = self.sine_amplitude.map(flush_negligible);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::sine::FastSineOscillator;

    fn render_voice(frequency: f32, gain: f32, blocks: usize) -> (Vec<f32>, Vec<f32>) {
        let mut bank = OscillatorBank::default();
        let (mut out, mut aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
        let (mut outs, mut auxs) = (Vec::new(), Vec::new());
        let mut gains = [0.0; VOICE_COUNT];
        gains[2] = gain;
        for _ in 0..blocks {
            bank.render(&[frequency; VOICE_COUNT], &gains, &mut out, &mut aux);
            outs.extend_from_slice(&out);
            auxs.extend_from_slice(&aux);
        }
        (outs, auxs)
    }

    #[test]
    fn saw_period_and_range_match_the_frequency() {
        let (out, _) = render_voice(0.01, 1.0, 1000);
        let tail = &out[1200..];
        // The rising ramp falls through zero once per period, at the wrap.
        let wraps = tail.windows(2).filter(|w| w[0] > 0.0 && w[1] <= 0.0).count();
        assert!((wraps as i32 - 108).abs() <= 1, "{wraps} wraps in {} samples", tail.len());
        let peak = tail.iter().fold(0.0f32, |m, &x| m.max(x.abs()));
        assert!(peak <= 1.0 && peak > 0.97, "{peak}");
    }

    #[test]
    fn saw_frequency_is_capped_at_a_quarter_of_the_rate_and_its_sine_muted() {
        let (out, aux) = render_voice(0.4, 1.0, 100);
        let tail = &out[120..];
        let wraps = tail.windows(2).filter(|w| w[0] > 0.0 && w[1] <= 0.0).count();
        assert!((wraps as i32 - tail.len() as i32 / 4).abs() <= 1, "{wraps}");
        assert!(aux[120..].iter().all(|&x| x == 0.0));
    }

    #[test]
    fn each_lane_is_bit_identical_to_a_fast_sine_oscillator() {
        let mut bank = OscillatorBank::default();
        let mut reference: Vec<FastSineOscillator> =
            (0..VOICE_COUNT).map(|_| FastSineOscillator::default()).collect();
        let (mut out, mut aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
        for block in 0..3000 {
            let frequency: Lanes =
                std::array::from_fn(|i| 0.001 * (i + 1) as f32 + 0.0003 * (block % 7) as f32);
            let gain: Lanes = std::array::from_fn(|i| 0.1 + 0.01 * ((block + i) % 5) as f32);
            bank.render(&frequency, &gain, &mut out, &mut aux);
            let mut expected = [0.0f32; BLOCK_SIZE];
            for (i, oscillator) in reference.iter_mut().enumerate() {
                oscillator.render_add(frequency[i], gain[i], &mut expected);
            }
            assert_eq!(aux, expected, "block {block}");
        }
    }
}
