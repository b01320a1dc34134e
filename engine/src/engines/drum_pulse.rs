//! The 1 ms trigger pulse that excites the analog (808-style) drum models (engines-8-15.md §7.2, §8.2).

use crate::dsp::denormal::flush_denormal;

/// Length of the pulse: 1 ms at 48 kHz.
const PULSE_SAMPLES: u32 = 48;

/// A rectangular pulse of 48 samples, then an exponential tail.
///
/// The last sample of the rectangle is one unit lower than the rest (a quirk of
/// the original's countdown), and the tail decays from that value.
#[derive(Clone, Debug, Default)]
pub struct TriggerPulse {
    samples_left: u32,
    height: f32,
    value: f32,
}

impl TriggerPulse {
    /// Starts a pulse of the given height.
    #[inline]
    pub fn trigger(&mut self, height: f32) {
        self.samples_left = PULSE_SAMPLES;
        self.height = height;
    }

    /// Sets a subnormal tail to zero (see [`crate::dsp::denormal`]).
    #[inline]
    pub fn flush_denormals(&mut self) {
        self.value = flush_denormal(self.value);
    }

    /// Whether the pulse is over and its tail is +0, so that every later
    /// [`TriggerPulse::next`] returns +0 until the next trigger.
    #[inline]
    pub fn is_silent(&self) -> bool {
        self.samples_left == 0 && self.value.to_bits() == 0
    }

    /// One sample; `decay` is the per-sample factor of the tail.
    #[inline]
    pub fn next(&mut self, decay: f32) -> f32 {
        if self.samples_left > 0 {
            self.samples_left -= 1;
            self.value = if self.samples_left > 0 { self.height } else { self.height - 1.0 };
        } else {
            self.value *= decay;
        }
        self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pulse_lasts_48_samples_then_decays_from_one_unit_lower() {
        let mut pulse = TriggerPulse::default();
        assert_eq!(pulse.next(0.5), 0.0, "silent before the first trigger");
        pulse.trigger(5.0);
        for _ in 0..47 {
            assert_eq!(pulse.next(0.5), 5.0);
        }
        assert_eq!(pulse.next(0.5), 4.0);
        assert_eq!(pulse.next(0.5), 2.0);
        assert_eq!(pulse.next(0.5), 1.0);
    }
}
