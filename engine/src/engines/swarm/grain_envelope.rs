//! The random grain clock of one swarm voice: its window amplitude and its pitch
//! glide (engines-8-15.md §2.3).

use crate::dsp::denormal::flush_negligible;
use crate::dsp::interpolate::interpolate_wrap;
use crate::dsp::random::Random;
use crate::tables::LUT_SINE;

/// Below this, `0.5 − coefficient` rounds to exactly 0.5 in f32.
const NEGLIGIBLE_COEFFICIENT: f32 = 1e-12;

/// One voice's grain phase, random pitch targets and smoothed window amplitude.
#[derive(Clone, Debug)]
pub struct GrainEnvelope {
    from: f32,
    interval: f32,
    phase: f32,
    rate_multiplier: f32,
    amplitude: f32,
    previous_size_ratio: f32,
    // Left uninitialised by the firmware; the module's memory starts zeroed.
    smoothing_coefficient: f32,
}

impl Default for GrainEnvelope {
    fn default() -> Self {
        Self {
            from: 0.0,
            interval: 1.0,
            // Starting at 1 makes the very first step pick new targets.
            phase: 1.0,
            rate_multiplier: 0.0,
            amplitude: 0.5,
            previous_size_ratio: 0.0,
            smoothing_coefficient: 0.0,
        }
    }
}

impl GrainEnvelope {
    /// Advances the grain phase by one block at `rate`; picks a new pitch target
    /// (two random draws) at each new grain and on `start_burst`.
    ///
    /// In burst mode (TRIG patched) the grain rate is set by the last trigger and
    /// decays with every grain; before the first trigger it is 0 (frozen).
    pub fn step(&mut self, rate: f32, burst_mode: bool, start_burst: bool, random: &mut Random) {
        let randomize = if start_burst {
            self.phase = 0.5;
            self.rate_multiplier = 16.0;
            true
        } else {
            self.phase += rate * self.rate_multiplier;
            if self.phase >= 1.0 {
                self.phase -= (self.phase as i32) as f32;
                true
            } else {
                false
            }
        };
        if randomize {
            self.from += self.interval;
            self.interval = random.get_float() - self.from;
            self.rate_multiplier = if burst_mode {
                self.rate_multiplier * (0.8 + 0.2 * random.get_float())
            } else {
                0.5 + 1.5 * random.get_float()
            };
        }
    }

    /// The pitch offset: a glide across the grain in [-1, 1] for short grains
    /// (`size_ratio` < 1), else the held previous target in [0, 1].
    #[inline]
    pub fn frequency(&self, size_ratio: f32) -> f32 {
        if size_ratio < 1.0 {
            2.0 * (self.from + self.interval * self.phase) - 1.0
        } else {
            self.from
        }
    }

    /// The smoothed window amplitude for this block: a raised cosine of width
    /// `1 / size_ratio` around the grain centre, or 1 when grains overlap.
    #[inline]
    pub fn amplitude(&mut self, size_ratio: f32) -> f32 {
        let target = if size_ratio < 1.0 {
            1.0
        } else {
            let position = ((self.phase - 0.5) * size_ratio).clamp(-1.0, 1.0);
            let cosine = interpolate_wrap(&LUT_SINE, 0.5 * position + 1.25, 1024.0);
            0.5 * (cosine + 1.0)
        };
        // Crossing between overlapping and windowed grains smooths more for a while.
        if (size_ratio >= 1.0) ^ (self.previous_size_ratio >= 1.0) {
            self.smoothing_coefficient = 0.5;
        }
        self.smoothing_coefficient *= 0.95;
        // Once tiny the coefficient no longer changes `0.5 − coefficient`, and the
        // next regime change overwrites it; without this it would decay into the
        // subnormal range (where x86 is ~100× slower) and stay there for good.
        if self.smoothing_coefficient < NEGLIGIBLE_COEFFICIENT {
            self.smoothing_coefficient = 0.0;
        }
        self.previous_size_ratio = size_ratio;
        self.amplitude += (0.5 - self.smoothing_coefficient) * (target - self.amplitude);
        // Halving toward a target of 0 ends on a subnormal that never moves,
        // and long before that the voice gain (an eighth of this) is one.
        self.amplitude = flush_negligible(self.amplitude);
        self.amplitude
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_randomises_with_two_draws() {
        let mut envelope = GrainEnvelope::default();
        let mut random = Random::default();
        let mut probe = random.clone();
        envelope.step(0.0, false, false, &mut random);
        let target = probe.get_float();
        let multiplier = 0.5 + 1.5 * probe.get_float();
        assert_eq!(random, probe);
        assert_eq!(envelope.from, 1.0, "the old target becomes the start");
        assert_eq!(envelope.interval, target - 1.0);
        assert_eq!(envelope.rate_multiplier, multiplier);
    }

    #[test]
    fn burst_mode_is_frozen_until_a_trigger_then_slows_down() {
        let mut envelope = GrainEnvelope::default();
        let mut random = Random::default();
        envelope.step(0.1, true, false, &mut random);
        assert_eq!(envelope.rate_multiplier, 0.0);
        let after_first = random.clone();
        for _ in 0..100 {
            envelope.step(0.1, true, false, &mut random);
        }
        assert_eq!(random, after_first, "no grains while frozen");
        envelope.step(0.1, true, true, &mut random);
        assert_eq!(envelope.phase, 0.5);
        let mut previous = envelope.rate_multiplier;
        assert!((12.8..=16.0).contains(&previous));
        for _ in 0..200 {
            envelope.step(0.01, true, false, &mut random);
            assert!(envelope.rate_multiplier <= previous);
            previous = envelope.rate_multiplier;
        }
        assert!(previous < 12.8);
    }

    #[test]
    fn window_is_a_raised_cosine_centred_on_the_grain() {
        let mut envelope = GrainEnvelope { phase: 0.5, amplitude: 1.0, ..GrainEnvelope::default() };
        envelope.previous_size_ratio = 2.0;
        assert!((envelope.amplitude(2.0) - 1.0).abs() < 1e-6);
        let mut edge = GrainEnvelope { phase: 1.0, amplitude: 0.0, ..GrainEnvelope::default() };
        edge.previous_size_ratio = 4.0;
        assert!(edge.amplitude(4.0).abs() < 1e-6, "silent half a width away from the centre");
        let mut quarter = GrainEnvelope { phase: 0.625, amplitude: 0.5, ..GrainEnvelope::default() };
        quarter.previous_size_ratio = 4.0;
        // Half-way out: target 0.5, so the smoothed amplitude stays put.
        assert!((quarter.amplitude(4.0) - 0.5).abs() < 1e-6);
    }

    #[test]
    fn smoothing_coefficient_never_goes_subnormal() {
        assert_eq!(0.5 - NEGLIGIBLE_COEFFICIENT, 0.5);
        let mut envelope = GrainEnvelope::default();
        for _ in 0..5000 {
            envelope.amplitude(2.0);
            let c = envelope.smoothing_coefficient;
            assert!(c == 0.0 || c.is_normal(), "{c}");
        }
        assert_eq!(envelope.smoothing_coefficient, 0.0);
    }

    #[test]
    fn short_grains_glide_between_targets() {
        let envelope = GrainEnvelope { from: 0.25, interval: 0.5, phase: 0.5, ..GrainEnvelope::default() };
        assert_eq!(envelope.frequency(0.5), 0.0);
        assert_eq!(envelope.frequency(2.0), 0.25);
    }
}
