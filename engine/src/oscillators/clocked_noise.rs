//! White noise sample-and-held at a clock rate, with band-limited steps (engines-8-15.md §3.2).

use crate::dsp::polyblep::{next_blep_sample, this_blep_sample};
use crate::dsp::ramp::ParameterRamp;
use crate::dsp::random::Random;

/// Stepped noise: a new uniform value in [-1, 1] each clock tick, fading to raw
/// white noise as the clock approaches the sample rate.
#[derive(Clone, Debug)]
pub struct ClockedNoise {
    phase: f32,
    sample: f32,
    next_sample: f32,
    frequency: f32,
}

impl Default for ClockedNoise {
    fn default() -> Self {
        Self { phase: 0.0, sample: 0.0, next_sample: 0.0, frequency: 0.001 }
    }
}

impl ClockedNoise {
    /// Renders a block with the clock ramped toward `frequency` (cycles per sample).
    ///
    /// `sync` forces a new value on the first sample. One random draw per sample,
    /// whether or not the clock ticks, so the shared generator advances by the
    /// block length.
    pub fn render(&mut self, sync: bool, frequency: f32, random: &mut Random, out: &mut [f32]) {
        let frequency = frequency.clamp(0.0, 1.0);
        let mut frequency_ramp = ParameterRamp::new(self.frequency, frequency, out.len());
        if sync {
            self.phase = 1.0;
        }
        // A ramp at rest gives every sample the same clock and raw amount:
        // worked out once.
        if frequency_ramp.is_at_rest() {
            let f = frequency_ramp.next();
            let raw_amount = raw_amount(f);
            self.render_samples(random, out, || (f, raw_amount));
        } else {
            self.render_samples(random, out, || {
                let f = frequency_ramp.next();
                (f, raw_amount(f))
            });
        }
        self.frequency = frequency_ramp.value();
    }

    /// The sample loop of [`Self::render`]; `clock` gives each sample's clock
    /// frequency and raw amount.
    #[inline(always)]
    fn render_samples(
        &mut self,
        random: &mut Random,
        out: &mut [f32],
        mut clock: impl FnMut() -> (f32, f32),
    ) {
        let mut next_sample = self.next_sample;
        for y in out.iter_mut() {
            let mut this_sample = next_sample;
            next_sample = 0.0;
            let (f, raw_amount) = clock();
            let raw = random.get_float() * 2.0 - 1.0;
            self.phase += f;
            if self.phase >= 1.0 {
                self.phase -= 1.0;
                let t = self.phase / f;
                let discontinuity = raw - self.sample;
                this_sample += discontinuity * this_blep_sample(t);
                next_sample += discontinuity * next_blep_sample(t);
                self.sample = raw;
            }
            next_sample += self.sample;
            *y = this_sample + raw_amount * (raw - this_sample);
        }
        self.next_sample = next_sample;
    }
}

/// How much raw white noise replaces the stepped noise at clock `f`: above a
/// quarter of the sample rate the steps fade into plain white noise.
#[inline(always)]
fn raw_amount(f: f32) -> f32 {
    (4.0 * (f - 0.25)).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_one_random_number_per_sample() {
        let mut noise = ClockedNoise::default();
        let mut random = Random::default();
        let mut block = [0.0f32; 12];
        noise.render(false, 0.01, &mut random, &mut block);
        let mut expected = Random::default();
        for _ in 0..12 {
            expected.get_word();
        }
        assert_eq!(random, expected);
    }

    #[test]
    fn holds_its_value_between_clock_ticks() {
        let mut noise = ClockedNoise::default();
        let mut random = Random::default();
        let mut block = [0.0f32; 12];
        let mut samples = Vec::new();
        // Clock at 1/100 of the sample rate: long flat steps between band-limited edges.
        for _ in 0..200 {
            noise.render(false, 0.01, &mut random, &mut block);
            samples.extend_from_slice(&block);
        }
        let tail = &samples[240..];
        let changes = tail.windows(2).filter(|w| w[0] != w[1]).count();
        // Each tick changes two consecutive samples (this and next residual) plus the step.
        let ticks = tail.len() / 100;
        assert!(changes <= 3 * (ticks + 1), "{changes} changes for {ticks} ticks");
        assert!(changes >= ticks, "{changes} changes for {ticks} ticks");
        assert!(tail.iter().all(|x| x.abs() <= 1.5));
    }

    #[test]
    fn sync_takes_a_new_value_on_the_first_sample() {
        let mut noise = ClockedNoise::default();
        let mut random = Random::default();
        let mut block = [0.0f32; 12];
        // A very slow clock never ticks by itself in one block.
        noise.render(false, 1e-6, &mut random, &mut block);
        let mut probe = random.clone();
        let first_raw = probe.get_float() * 2.0 - 1.0;
        noise.render(true, 1e-6, &mut random, &mut block);
        assert_eq!(noise.sample, first_raw);
    }

    #[test]
    fn fast_clock_is_raw_white_noise() {
        let mut noise = ClockedNoise { frequency: 0.6, ..ClockedNoise::default() };
        let mut random = Random::default();
        let mut probe = random.clone();
        let mut block = [0.0f32; 12];
        noise.render(false, 0.6, &mut random, &mut block);
        for y in block {
            // `this + 1·(raw − this)` is raw up to one rounding.
            assert!((y - (probe.get_float() * 2.0 - 1.0)).abs() < 1e-6);
        }
    }
}
