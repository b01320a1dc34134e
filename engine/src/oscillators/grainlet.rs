//! Windowed sine bursts restarted every period, with a hard-synced formant sine
//! inside the window (engines-0-3.md §A.4).

use crate::dsp::polyblep::{next_blep_sample, this_blep_sample};
use crate::dsp::ramp::ParameterRamp;
use crate::dsp::sine::sine;
use crate::engines::{Block, BLOCK_SIZE};
use crate::oscillators::block_math::sine_block;

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

/// The grain window for one value of the shape parameter: everything in it
/// that does not depend on the phase, so that a block with the shape at rest
/// computes it once.
///
/// `shape` 0 to 1/3 widens a Hann blip from 1/16 of the period to all of it,
/// 1/3 to 2/3 moves its peak toward the start, 2/3 to 1 shortens a decaying
/// half cosine.
#[derive(Clone, Copy, Debug)]
enum Window {
    /// A Hann blip, squeezed into `1 / slope` of the period.
    Blip { slope: f32 },
    /// A Hann window peaking at `breakpoint`; `rise` is `0.5 / breakpoint`.
    Skewed { breakpoint: f32, rise: f32 },
    /// A half cosine decaying over `0.5 / slope` of the period.
    Decay { slope: f32 },
}

impl Window {
    #[inline]
    fn new(shape: f32) -> Self {
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
        match segment {
            // Cube first, then the constant: the other grouping rounds differently
            // and misses the reference renders.
            0 => Window::Blip { slope: 1.0 + t * t * t * 15.0 },
            1 => {
                // Here the constant comes first (checked against the reference renders).
                let breakpoint = 0.001 + 0.499 * t * t * t;
                // The slope is divided out first, unlike the decay branch of `at`.
                Window::Skewed { breakpoint, rise: 0.5 / breakpoint }
            }
            _ => {
                let u = 1.0 - t;
                // Grouped like segment 0; no reference render reaches this segment.
                Window::Decay { slope: 0.5 + u * u * u * 14.5 }
            }
        }
    }

    /// The window at `phase` (0 to 1 in the period), between 0 and 0.5.
    #[inline]
    fn at(self, phase: f32) -> f32 {
        window_value(sine(self.sine_phase(phase)))
    }

    /// Where the window at `phase` reads the sine.
    #[inline]
    fn sine_phase(self, phase: f32) -> f32 {
        match self {
            Window::Blip { slope } => min(phase * slope, 1.0) + 0.75,
            Window::Skewed { breakpoint, rise } => {
                let skewed = if phase < breakpoint {
                    phase * rise
                } else {
                    0.5 + (phase - breakpoint) * 0.5 / (1.0 - breakpoint)
                };
                skewed + 0.75
            }
            Window::Decay { slope } => min(0.25 + phase * slope, 0.75),
        }
    }
}

/// The window's value from its sine.
#[inline]
fn window_value(sine: f32) -> f32 {
    (sine + 1.0) * 0.25
}

/// The window times the formant sine, with `bleed` of the bare window mixed in.
#[inline]
fn grainlet(window: f32, formant_phase: f32, bleed: f32) -> f32 {
    grainlet_from_sine(window, sine(formant_phase), bleed)
}

/// [`grainlet`] from the formant's sine.
#[inline]
fn grainlet_from_sine(window: f32, formant_sine: f32, bleed: f32) -> f32 {
    window * (formant_sine + bleed) / (1.0 + bleed)
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

/// One block's parameter ramps of a [`GrainletOscillator`].
struct GrainletRamps<const N: usize> {
    carrier_fm: ParameterRamp,
    formant_fm: [ParameterRamp; N],
    shape: ParameterRamp,
    bleed: ParameterRamp,
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
        out: [&mut Block; N],
    ) {
        let ramps = self.ramps(carrier_frequency, formant_frequency, carrier_shape, carrier_bleed);
        let shape = ramps.shape;
        // The window's shape terms (one of them a division) are the same for
        // every sample while the shape rests.
        if shape.is_at_rest() {
            let resting_window = Window::new(shape.value());
            self.render_block(ramps, |_| resting_window, out);
        } else {
            self.render_block(ramps, Window::new, out);
        }
    }

    /// This block's parameter ramps.
    #[inline]
    fn ramps(
        &self,
        carrier_frequency: f32,
        formant_frequency: [f32; N],
        carrier_shape: f32,
        carrier_bleed: f32,
    ) -> GrainletRamps<N> {
        let carrier_frequency = carrier_frequency.min(MAX_CARRIER_FREQUENCY);
        GrainletRamps {
            carrier_fm: ParameterRamp::new(self.carrier_frequency, carrier_frequency, BLOCK_SIZE),
            formant_fm: std::array::from_fn(|k| {
                ParameterRamp::new(
                    self.formant_frequency[k],
                    formant_frequency[k].min(MAX_FORMANT_FREQUENCY),
                    BLOCK_SIZE,
                )
            }),
            shape: ParameterRamp::new(self.carrier_shape, carrier_shape, BLOCK_SIZE),
            bleed: ParameterRamp::new(self.carrier_bleed, carrier_bleed, BLOCK_SIZE),
        }
    }

    /// The block in three passes: the phases sample by sample (with the
    /// band-limiting corrections at new grains, computed as before), then the
    /// sines and grainlets of the whole block, which run several samples to
    /// a vector, then the outputs. Every sample's operations are those of the
    /// single loop kept in `reference`.
    #[inline(always)]
    fn render_block(
        &mut self,
        ramps: GrainletRamps<N>,
        window: impl Fn(f32) -> Window,
        mut out: [&mut Block; N],
    ) {
        let GrainletRamps { mut carrier_fm, mut formant_fm, mut shape, mut bleed } = ramps;
        let mut carrier_phase = self.carrier_phase;
        let mut formant_phase = self.formant_phase;
        let mut window_phases = [0.0f32; BLOCK_SIZE];
        let mut bleeds = [0.0f32; BLOCK_SIZE];
        let mut formant_phases = [[0.0f32; BLOCK_SIZE]; N];
        // The corrections to this sample and to the next one; -0 and +0 leave
        // the sums they are added to bit for bit as the single loop has them
        // (it adds nothing to this sample, and starts the next one from +0).
        let mut this_correction = [[-0.0f32; BLOCK_SIZE]; N];
        let mut next_correction = [[0.0f32; BLOCK_SIZE]; N];

        for i in 0..BLOCK_SIZE {
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
                let window_before = window(shape_before).at(1.0);
                let bleed_after = bleed.subsample(1.0);
                let window_after = window(shape.subsample(1.0)).at(0.0);
                for k in 0..N {
                    let before =
                        grainlet(window_before, formant_phase[k] + (1.0 - reset_time) * f1[k], bleed_before);
                    let after = grainlet(window_after, 0.0, bleed_after);
                    let discontinuity = after - before;
                    this_correction[k][i] = discontinuity * this_blep_sample(reset_time);
                    next_correction[k][i] = 0.0 + discontinuity * next_blep_sample(reset_time);
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

            window_phases[i] = window(shape.next()).sine_phase(carrier_phase);
            bleeds[i] = bleed.next();
            for k in 0..N {
                formant_phases[k][i] = formant_phase[k];
            }
        }

        let windows = sine_block(&window_phases).map(window_value);
        for (k, channel) in out.iter_mut().enumerate() {
            let formant_sines = sine_block(&formant_phases[k]);
            let mut next_sample = self.next_sample[k];
            for i in 0..BLOCK_SIZE {
                channel[i] = next_sample + this_correction[k][i];
                next_sample =
                    next_correction[k][i] + grainlet_from_sine(windows[i], formant_sines[i], bleeds[i]);
            }
            self.next_sample[k] = next_sample;
        }

        self.carrier_phase = carrier_phase;
        self.formant_phase = formant_phase;
        self.carrier_frequency = carrier_fm.value();
        self.formant_frequency = std::array::from_fn(|k| formant_fm[k].value());
        self.carrier_shape = shape.value();
        self.carrier_bleed = bleed.value();
    }
}

/// The oscillator as first written, to check the block passes against.
#[cfg(test)]
mod reference {
    use super::*;

    /// The single sample loop as first written.
    pub fn render_block<const N: usize>(
        oscillator: &mut GrainletOscillator<N>,
        ramps: GrainletRamps<N>,
        mut out: [&mut Block; N],
    ) {
        let window = Window::new;
        let GrainletRamps { mut carrier_fm, mut formant_fm, mut shape, mut bleed } = ramps;
        let mut carrier_phase = oscillator.carrier_phase;
        let mut formant_phase = oscillator.formant_phase;
        let mut next_sample = oscillator.next_sample;

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
                let window_before = window(shape_before).at(1.0);
                let bleed_after = bleed.subsample(1.0);
                let window_after = window(shape.subsample(1.0)).at(0.0);
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

            let window = window(shape.next()).at(carrier_phase);
            let bleed = bleed.next();
            for (k, channel) in out.iter_mut().enumerate() {
                next_sample[k] += grainlet(window, formant_phase[k], bleed);
                channel[i] = this_sample[k];
            }
        }

        oscillator.carrier_phase = carrier_phase;
        oscillator.formant_phase = formant_phase;
        oscillator.next_sample = next_sample;
        oscillator.carrier_frequency = carrier_fm.value();
        oscillator.formant_frequency = std::array::from_fn(|k| formant_fm[k].value());
        oscillator.carrier_shape = shape.value();
        oscillator.carrier_bleed = bleed.value();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_a_hann_blip_of_a_sixteenth_period_at_shape_zero() {
        // Shape 0: the window rises and falls within the first 1/16 of the period.
        assert!(Window::new(0.0).at(0.0).abs() < 1e-6);
        assert!((Window::new(0.0).at(1.0 / 32.0) - 0.5).abs() < 1e-4, "{}", Window::new(0.0).at(1.0 / 32.0));
        for phase in [1.0 / 16.0, 0.1, 0.5, 0.9] {
            assert!(Window::new(0.0).at(phase).abs() < 1e-6, "{phase}");
        }
    }

    #[test]
    fn window_spans_the_period_at_one_third_and_decays_from_the_start_at_one() {
        let third = 1.0 / 3.0;
        assert!((Window::new(third).at(0.5) - 0.5).abs() < 1e-3);
        assert!(Window::new(third).at(0.05) < 0.02);
        // Shape 2/3: a half cosine from its maximum over the whole period...
        assert!((Window::new(2.0 / 3.0).at(0.0) - 0.5).abs() < 1e-6);
        assert!((Window::new(2.0 / 3.0).at(0.5) - 0.25).abs() < 1e-3);
        // ...shortening to 1/30 of the period as the shape approaches 1.
        assert!((Window::new(0.99999).at(0.0) - 0.5).abs() < 1e-6);
        assert!(Window::new(0.99999).at(1.0 / 30.0 + 0.001).abs() < 1e-6);
    }

    #[test]
    fn resting_shape_gives_the_bits_of_a_per_sample_window() {
        let mut oscillator = GrainletOscillator::<2>::default();
        let mut reference = oscillator.clone();
        for block in 0..800 {
            // One shape in each of the window's segments.
            let shape = [0.2, 0.5, 0.8, 1.0][block / 200];
            let (f0, formants, bleed) = (0.0071, [0.043, 0.061], 0.2 + 0.01 * (block % 3) as f32);
            let (mut a, mut b, mut x, mut y) =
                ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
            oscillator.render(f0, formants, shape, bleed, [&mut a, &mut b]);
            let ramps = reference.ramps(f0, formants, shape, bleed);
            reference::render_block(&mut reference, ramps, [&mut x, &mut y]);
            assert_eq!([a, b].map(|c| c.map(f32::to_bits)), [x, y].map(|c| c.map(f32::to_bits)), "{block}");
        }
    }

    #[test]
    fn block_passes_match_the_reference_bit_for_bit() {
        let mut random = crate::dsp::random::Random::default();
        for run in 0..40 {
            let mut oscillator = GrainletOscillator::<2>::default();
            let mut reference = oscillator.clone();
            let mut settings = (0.0071, [0.043, 0.061], 0.3, 0.2);
            for block in 0..300 {
                // Hold the settings a while (ramps come to rest), then move them.
                if block % 40 == 0 || random.get_word() % 8 == 0 {
                    let f0 = [0.15 * random.get_float(), 0.005 * random.get_float()]
                        [(random.get_word() % 2) as usize];
                    let formants = [0.3 * random.get_float(), 0.3 * random.get_float()];
                    let knob = |random: &mut crate::dsp::random::Random| match random.get_word() % 5 {
                        0 => 0.0,
                        1 => 0.5,
                        2 => 1.0,
                        _ => random.get_float(),
                    };
                    settings = (f0, formants, knob(&mut random), knob(&mut random));
                }
                let (f0, formants, shape, bleed) = settings;
                let (mut a, mut b, mut x, mut y) =
                    ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
                oscillator.render(f0, formants, shape, bleed, [&mut a, &mut b]);
                let ramps = reference.ramps(f0, formants, shape, bleed);
                reference::render_block(&mut reference, ramps, [&mut x, &mut y]);
                assert_eq!(
                    [a, b].map(|c| c.map(f32::to_bits)),
                    [x, y].map(|c| c.map(f32::to_bits)),
                    "run {run} block {block}"
                );
            }
        }
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
