//! Windowed sine bursts restarted every period, with a hard-synced formant sine
//! inside the window (engines-0-3.md §A.4).

use crate::dsp::polyblep::{next_blep_sample, this_blep_sample};
use crate::dsp::ramp::ParameterRamp;
use crate::dsp::sine::sine;
use crate::engines::{Block, BLOCK_SIZE};

/// Highest fundamental (grain rate).
const MAX_CARRIER_FREQUENCY: f32 = 0.125;
/// Highest formant frequency.
const MAX_FORMANT_FREQUENCY: f32 = 0.25;

/// `std::min` of the original: one compare, no NaN handling (phases are finite).
#[inline]
fn min(a: f32, b: f32) -> f32 {
    if b < a {
        b
    } else {
        a
    }
}

/// The grain window at `phase` (0 to 1 in the period), between 0 and 0.5.
///
/// `shape` 0 to 1/3 widens a Hann blip from 1/16 of the period to all of it,
/// 1/3 to 2/3 moves its peak toward the start, 2/3 to 1 shortens a decaying
/// half cosine.
#[inline]
fn carrier(phase: f32, shape: f32) -> f32 {
    // `split(shape · 3)` by comparisons: the same bits for the shapes that occur
    // (above -1/3), without a float-to-int conversion.
    let position = shape * 3.0;
    let (segment, start) = if position < 1.0 {
        (0, 0.0)
    } else if position < 2.0 {
        (1, 1.0)
    } else if position < 3.0 {
        (2, 2.0)
    } else {
        (3, 3.0)
    };
    let t = 1.0 - (position - start);
    let window_phase = match segment {
        // Cube first, then the constant: the other grouping rounds differently
        // and misses the reference renders.
        0 => min(phase * (1.0 + t * t * t * 15.0), 1.0) + 0.75,
        1 => {
            // Here the constant comes first (checked against the reference renders).
            let breakpoint = 0.001 + 0.499 * t * t * t;
            let skewed = if phase < breakpoint {
                // The slope is divided out first, unlike the decay branch below.
                phase * (0.5 / breakpoint)
            } else {
                0.5 + (phase - breakpoint) * 0.5 / (1.0 - breakpoint)
            };
            skewed + 0.75
        }
        _ => {
            let u = 1.0 - t;
            // Grouped like segment 0; no reference render reaches this segment.
            min(0.25 + phase * (0.5 + u * u * u * 14.5), 0.75)
        }
    };
    (sine(window_phase) + 1.0) * 0.25
}

/// The window times the formant sine, with `bleed` of the bare window mixed in.
#[inline]
fn grainlet(window: f32, formant_phase: f32, bleed: f32) -> f32 {
    window * (sine(formant_phase) + bleed) / (1.0 + bleed)
}

/// `N` grainlet oscillators that share their carrier: same grain rate, window
/// shape and bleed, each with its own formant. State persists across blocks.
///
/// The grain engine's two oscillators always get the same carrier settings, so
/// their carrier phases and windows are identical to the last bit; computing
/// the window once gives the same output as two separate oscillators.
#[derive(Clone, Debug)]
pub struct GrainletOscillator<const N: usize> {
    carrier_phase: f32,
    formant_phase: [f32; N],
    next_sample: [f32; N],
    carrier_frequency: f32,
    formant_frequency: [f32; N],
    carrier_shape: f32,
    carrier_bleed: f32,
}

impl<const N: usize> Default for GrainletOscillator<N> {
    fn default() -> Self {
        Self {
            carrier_phase: 0.0,
            formant_phase: [0.0; N],
            next_sample: [0.0; N],
            carrier_frequency: 0.0,
            formant_frequency: [0.0; N],
            carrier_shape: 0.0,
            carrier_bleed: 0.0,
        }
    }
}

impl<const N: usize> GrainletOscillator<N> {
    /// Renders one block of grains at `carrier_frequency`, formant `k` at
    /// `formant_frequency[k]` into `out[k]` (frequencies normalised).
    pub fn render(
        &mut self,
        carrier_frequency: f32,
        formant_frequency: [f32; N],
        carrier_shape: f32,
        carrier_bleed: f32,
        mut out: [&mut Block; N],
    ) {
        let carrier_frequency = carrier_frequency.min(MAX_CARRIER_FREQUENCY);
        let mut carrier_fm = ParameterRamp::new(self.carrier_frequency, carrier_frequency, BLOCK_SIZE);
        let mut formant_fm: [ParameterRamp; N] = std::array::from_fn(|k| {
            ParameterRamp::new(
                self.formant_frequency[k],
                formant_frequency[k].min(MAX_FORMANT_FREQUENCY),
                BLOCK_SIZE,
            )
        });
        let mut shape = ParameterRamp::new(self.carrier_shape, carrier_shape, BLOCK_SIZE);
        let mut bleed = ParameterRamp::new(self.carrier_bleed, carrier_bleed, BLOCK_SIZE);
        let mut carrier_phase = self.carrier_phase;
        let mut formant_phase = self.formant_phase;
        let mut next_sample = self.next_sample;

        for i in 0..BLOCK_SIZE {
            let mut this_sample = next_sample;
            next_sample = [0.0; N];
            let f0 = carrier_fm.next();
            let f1: [f32; N] = std::array::from_fn(|k| formant_fm[k].next());
            carrier_phase += f0;

            if carrier_phase >= 1.0 {
                // A new grain: band-limit the jump from the end of the old
                // window to the start of the new one, and restart the formant.
                carrier_phase -= 1.0;
                let reset_time = carrier_phase / f0;
                let shape_before = shape.subsample(1.0 - reset_time);
                let bleed_before = bleed.subsample(1.0 - reset_time);
                let window_before = carrier(1.0, shape_before);
                let bleed_after = bleed.subsample(1.0);
                let window_after = carrier(0.0, shape.subsample(1.0));
                for k in 0..N {
                    let before =
                        grainlet(window_before, formant_phase[k] + (1.0 - reset_time) * f1[k], bleed_before);
                    let after = grainlet(window_after, 0.0, bleed_after);
                    let discontinuity = after - before;
                    this_sample[k] += discontinuity * this_blep_sample(reset_time);
                    next_sample[k] += discontinuity * next_blep_sample(reset_time);
                    formant_phase[k] = reset_time * f1[k];
                }
            } else {
                for k in 0..N {
                    formant_phase[k] += f1[k];
                    if formant_phase[k] >= 1.0 {
                        formant_phase[k] -= 1.0;
                    }
                }
            }

            let window = carrier(carrier_phase, shape.next());
            let bleed = bleed.next();
            for (k, channel) in out.iter_mut().enumerate() {
                next_sample[k] += grainlet(window, formant_phase[k], bleed);
                channel[i] = this_sample[k];
            }
        }

        self.carrier_phase = carrier_phase;
        self.formant_phase = formant_phase;
        self.next_sample = next_sample;
        self.carrier_frequency = carrier_fm.value();
        self.formant_frequency = std::array::from_fn(|k| formant_fm[k].value());
        self.carrier_shape = shape.value();
        self.carrier_bleed = bleed.value();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_a_hann_blip_of_a_sixteenth_period_at_shape_zero() {
        // Shape 0: the window rises and falls within the first 1/16 of the period.
        assert!(carrier(0.0, 0.0).abs() < 1e-6);
        assert!((carrier(1.0 / 32.0, 0.0) - 0.5).abs() < 1e-4, "{}", carrier(1.0 / 32.0, 0.0));
        for phase in [1.0 / 16.0, 0.1, 0.5, 0.9] {
            assert!(carrier(phase, 0.0).abs() < 1e-6, "{phase}");
        }
    }

    #[test]
    fn window_spans_the_period_at_one_third_and_decays_from_the_start_at_one() {
        let third = 1.0 / 3.0;
        assert!((carrier(0.5, third) - 0.5).abs() < 1e-3);
        assert!(carrier(0.05, third) < 0.02);
        // Shape 2/3: a half cosine from its maximum over the whole period...
        assert!((carrier(0.0, 2.0 / 3.0) - 0.5).abs() < 1e-6);
        assert!((carrier(0.5, 2.0 / 3.0) - 0.25).abs() < 1e-3);
        // ...shortening to 1/30 of the period as the shape approaches 1.
        assert!((carrier(0.0, 0.99999) - 0.5).abs() < 1e-6);
        assert!(carrier(1.0 / 30.0 + 0.001, 0.99999).abs() < 1e-6);
    }

    #[test]
    fn output_repeats_at_the_carrier_period_with_the_formant_inside() {
        // Carrier period 100 samples, formant 10 cycles per grain.
        let mut osc = GrainletOscillator::<1>::default();
        let mut out = Vec::new();
        let mut block = [0.0f32; BLOCK_SIZE];
        for _ in 0..200 {
            osc.render(0.01, [0.1], 1.0 / 3.0, 0.0, [&mut block]);
            out.extend_from_slice(&block);
        }
        let tail = &out[1200..];
        for i in 0..1000 {
            assert!((tail[i] - tail[i + 100]).abs() < 1e-3, "sample {i}");
        }
        let rising = tail[..100].windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
        assert!((9..=11).contains(&rising), "{rising}");
        assert!(tail.iter().all(|x| x.abs() <= 0.5 + 1e-3));
    }

    #[test]
    fn a_shared_carrier_gives_the_same_bits_as_separate_oscillators() {
        let mut pair = GrainletOscillator::<2>::default();
        let mut first = GrainletOscillator::<1>::default();
        let mut second = GrainletOscillator::<1>::default();
        let mut random = crate::dsp::random::Random::default();
        for _ in 0..2000 {
            let f0 = random.get_float() * 0.05;
            let formants = [random.get_float() * 0.2, random.get_float() * 0.2];
            let (shape, bleed) = (random.get_float(), random.get_float());
            let (mut a, mut b, mut x, mut y) =
                ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
            pair.render(f0, formants, shape, bleed, [&mut a, &mut b]);
            first.render(f0, [formants[0]], shape, bleed, [&mut x]);
            second.render(f0, [formants[1]], shape, bleed, [&mut y]);
            assert_eq!((a, b), (x, y));
        }
    }
}
