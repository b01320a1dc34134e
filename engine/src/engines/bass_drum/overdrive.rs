//! The bass drum's output saturation, from a gentle fixed stage to hard clipping
//! with level compensation (engines-8-15.md §7.3).

use crate::dsp::ramp::ParameterRamp;
use crate::dsp::soft_clip::{soft_clip, soft_limit};
use crate::engines::memo::Memo;
use crate::engines::BLOCK_SIZE;

/// [`soft_clip`] written with selects instead of branches, so that it
/// vectorises: the same value for every input, NaN included.
#[inline]
fn soft_clip_select(x: f32) -> f32 {
    let limited = soft_limit(x);
    let y = if x > 3.0 { 1.0 } else { limited };
    if x < -3.0 {
        -1.0
    } else {
        y
    }
}

/// Pre- and post-gain of the saturator, ramped per block.
#[derive(Clone, Debug, Default)]
pub struct Overdrive {
    pre_gain: f32,
    post_gain: f32,
    /// The gains' targets from the drive.
    targets: Memo<1, [f32; 2]>,
}

/// The gain ramps of one block.
#[derive(Clone, Debug)]
struct OverdriveBlock {
    pre_gain: ParameterRamp,
    post_gain: ParameterRamp,
}

impl Overdrive {
    /// The gain ramps of a block; `drive` goes from 0 (about unity gain) to 1 (hard clipping).
    fn begin_block(&mut self, drive: f32) -> OverdriveBlock {
        let [pre_gain, post_gain] = self.targets.get([drive], |[drive]| {
            let drive_2 = drive * drive;
            let pre_gain_a = drive * 0.5;
            let pre_gain_b = ((drive_2 * drive_2) * drive) * 24.0;
            let pre_gain = pre_gain_a + (pre_gain_b - pre_gain_a) * drive_2;
            let drive_squashed = drive * (2.0 - drive);
            [pre_gain, 1.0 / soft_clip(0.33 + drive_squashed * (pre_gain - 0.33))]
        });
        OverdriveBlock {
            pre_gain: ParameterRamp::new(self.pre_gain, pre_gain, BLOCK_SIZE),
            post_gain: ParameterRamp::new(self.post_gain, post_gain, BLOCK_SIZE),
        }
    }

    /// Saturates `block` in place, then keeps the ramps' state.
    ///
    /// The gain ramps are accumulated sample by sample first, as the original
    /// does; the saturation itself has no state, so it runs one sample per
    /// vector lane with the scalar order of operations (same output bits).
    pub fn process(&mut self, drive: f32, block: &mut [f32; BLOCK_SIZE]) {
        let OverdriveBlock { mut pre_gain, mut post_gain } = self.begin_block(drive);
        let pre = [(); BLOCK_SIZE].map(|_| pre_gain.next());
        let post = [(); BLOCK_SIZE].map(|_| post_gain.next());
        for ((x, pre), post) in block.iter_mut().zip(pre).zip(post) {
            *x = soft_clip_select(pre * *x) * post;
        }
        self.pre_gain = pre_gain.value();
        self.post_gain = post_gain.value();
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
    fn select_form_matches_soft_clip_bit_for_bit() {
        let specials = [0.0, -0.0, 3.0, -3.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, 1e30, -1e30];
        let sweep = (-40_000..=40_000).map(|i| i as f32 * 1e-4 + i as f32 * 1e-9);
        for x in specials.into_iter().chain(sweep) {
            assert_eq!(soft_clip_select(x).to_bits(), soft_clip(x).to_bits(), "{x}");
        }
    }

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
