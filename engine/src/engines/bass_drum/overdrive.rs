//! The bass drum's output saturation, from a gentle fixed stage to hard clipping
//! with level compensation (engines-8-15.md §7.3).

use crate::dsp::ramp::ParameterRamp;
use crate::dsp::soft_clip::soft_clip;
use crate::engines::BLOCK_SIZE;

/// Pre- and post-gain of the saturator, ramped per block.
#[derive(Clone, Debug, Default)]
pub struct Overdrive {
    pre_gain: f32,
    post_gain: f32,
}

/// The gain ramps of one block, from [`Overdrive::begin_block`].
#[derive(Clone, Debug)]
pub struct OverdriveBlock {
    pre_gain: ParameterRamp,
    post_gain: ParameterRamp,
}

impl Overdrive {
    /// Starts a block; `drive` goes from 0 (about unity gain) to 1 (hard clipping).
    pub fn begin_block(&self, drive: f32) -> OverdriveBlock {
        let drive_2 = drive * drive;
        let pre_gain_a = drive * 0.5;
        let pre_gain_b = ((drive_2 * drive_2) * drive) * 24.0;
        let pre_gain = pre_gain_a + (pre_gain_b - pre_gain_a) * drive_2;
        let drive_squashed = drive * (2.0 - drive);
        let post_gain = 1.0 / soft_clip(0.33 + drive_squashed * (pre_gain - 0.33));
        OverdriveBlock {
            pre_gain: ParameterRamp::new(self.pre_gain, pre_gain, BLOCK_SIZE),
            post_gain: ParameterRamp::new(self.post_gain, post_gain, BLOCK_SIZE),
        }
    }

    /// Saturates one sample of the block.
    #[inline]
    pub fn next(b: &mut OverdriveBlock, x: f32) -> f32 {
        soft_clip(b.pre_gain.next() * x) * b.post_gain.next()
    }

    /// Ends a block: keeps the ramps' state.
    pub fn end_block(&mut self, b: OverdriveBlock) {
        self.pre_gain = b.pre_gain.value();
        self.post_gain = b.post_gain.value();
    }

    /// Saturates `block` in place.
    #[cfg(test)]
    fn process(&mut self, drive: f32, block: &mut [f32; BLOCK_SIZE]) {
        let mut ramps = self.begin_block(drive);
        for x in block.iter_mut() {
            *x = Self::next(&mut ramps, *x);
        }
        self.end_block(ramps);
    }

    /// Small-signal gain at a drive setting, once the ramps have settled.
    #[cfg(test)]
    fn small_signal_gain(drive: f32) -> f32 {
        let mut overdrive = Overdrive::default();
        let mut block = [0.0; BLOCK_SIZE];
        for _ in 0..4 {
            block = [1e-3; BLOCK_SIZE];
            overdrive.process(drive, &mut block);
        }
        block[BLOCK_SIZE - 1] / 1e-3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_stage_has_a_gain_near_1_07_and_full_drive_clips_at_one() {
        let gain = Overdrive::small_signal_gain(0.5);
        assert!((gain - 0.375 * 2.856).abs() < 0.01, "{gain}");
        let mut overdrive = Overdrive::default();
        for _ in 0..4 {
            let mut block = [0.5; BLOCK_SIZE];
            overdrive.process(1.0, &mut block);
            assert!(block.iter().all(|x| *x <= 1.0));
            if block[0] > 0.99 {
                return;
            }
        }
        panic!("full drive does not reach ±1 for a 0.5 input");
    }
}
