//! The string itself: a delay-line loop with damping, dispersion or a curved
//! bridge (engines-8-15.md §5.3).

use super::dc_blocker::DcBlocker;
use crate::dsp::delay_line::DelayLine;
use crate::dsp::filter::{SvfCoefficients, TanApproximation};
use crate::dsp::interpolate::interpolate;
use crate::dsp::ramp::ParameterRamp;
use crate::dsp::random::Random;
use crate::dsp::units::semitones_to_ratio;
use crate::engines::memo::Memo;
use crate::engines::{Block, BLOCK_SIZE};
use crate::tables::LUT_SVF_SHIFT;

/// Longest loop, in samples; the main line has a little headroom above it.
const MAX_DELAY: f32 = 1020.0;
/// Shortest loop, in samples.
const MIN_DELAY: f32 = 4.0;
/// Loudest value the loop may hold, so that a runaway bridge cannot blow up.
const LOOP_CLIP: f32 = 20.0;

/// What the string is asked to do this block.
#[derive(Clone, Copy, Debug)]
pub struct StringParameters {
    /// Normalised frequency; 0 stops the loop.
    pub f0: f32,
    /// At or below 0 the bridge curves (amount `−non_linearity`), above 0 the
    /// partials disperse.
    pub non_linearity: f32,
    /// Accent-adjusted brightness: loop damping cutoff.
    pub brightness: f32,
    /// Accent-adjusted damping: decay, infinite near 1.
    pub damping: f32,
}

/// One Karplus-Strong string.
#[derive(Clone, Debug)]
pub struct KarplusString {
    main_line: DelayLine<1024>,
    /// All-pass section that stretches the partials in the dispersion variant.
    stretch_line: DelayLine<256>,
    state: LoopState,
    /// Loop length reached by the per-block ramp; survives Reset.
    delay: f32,
    /// Nothing but zeros has entered the loop since Reset, so every line and
    /// filter holds zeros and the output is 0 whatever the delays.
    at_rest: bool,
    /// The block constants from pitch, brightness and damping.
    constants: Memo<3, (f32, f32, f32, SvfCoefficients, f32)>,
}

/// The loop's scalar state. The per-sample loops work on a local copy of it,
/// which keeps it in registers instead of memory.
#[derive(Clone, Debug)]
struct LoopState {
    damping_filter: SvfCoefficients,
    damping_state: [f32; 2],
    dc_blocker: DcBlocker,
    /// Low-passed noise that jitters the loop length at high dispersion.
    dispersion_noise: f32,
    /// Length modulation by the curved bridge, from the last loop sample.
    bridge: f32,
    /// Position between the last two loop samples when the loop runs slower
    /// than the sample rate (f0 below about 11.7 Hz).
    src_phase: f32,
    /// The last two loop samples, newest first.
    out_samples: [f32; 2],
}

impl Default for LoopState {
    fn default() -> Self {
        Self {
            // Set at the start of every block.
            damping_filter: SvfCoefficients::new(0.01, 100.0, TanApproximation::Dirty),
            damping_state: [0.0; 2],
            dc_blocker: DcBlocker::new(1.0 - 20.0 / 48_000.0),
            dispersion_noise: 0.0,
            bridge: 0.0,
            src_phase: 0.0,
            out_samples: [0.0; 2],
        }
    }
}

impl LoopState {
    /// Adds the excitation to a loop sample and filters it; returns the
    /// value to write back into the line.
    #[inline(always)]
    fn feed_back(&mut self, s: f32, input: f32) -> f32 {
        let s = (s + input).clamp(-LOOP_CLIP, LOOP_CLIP);
        let s = self.dc_blocker.process(s);
        let [state_1, state_2] = &mut self.damping_state;
        let s = self.damping_filter.step(s, state_1, state_2).lp;
        self.out_samples = [s, self.out_samples[0]];
        s
    }

    /// The output between the last two loop samples. Kept as a formula even
    /// when `src_phase` is 1: the result can differ from the newest sample in
    /// the last bit.
    #[inline(always)]
    fn crossfade(&self) -> f32 {
        let [newest, previous] = self.out_samples;
        previous + (newest - previous) * self.src_phase
    }
}

impl Default for KarplusString {
    fn default() -> Self {
        Self {
            main_line: DelayLine::default(),
            stretch_line: DelayLine::default(),
            state: LoopState::default(),
            delay: 100.0,
            at_rest: true,
            constants: Memo::default(),
        }
    }
}

impl KarplusString {
    /// Silences the string; the loop-length ramp keeps its value.
    pub fn reset(&mut self) {
        self.main_line.reset();
        self.stretch_line.reset();
        self.state = LoopState::default();
        self.at_rest = true;
    }

    /// Runs the loop for one block, fed by `input`, adding its output to `out`.
    ///
    /// Draws one random number per loop sample in the dispersion variant only.
    pub fn process(
        &mut self,
        parameters: &StringParameters,
        input: &Block,
        out: &mut Block,
        random: &mut Random,
    ) {
        let mut b = self.begin(parameters, input);
        if self.at_rest {
            self.advance_at_rest(b.non_linearity > 0.0, b.brightness, b.src_ratio, &mut b.delay_ramp, random);
        } else if b.non_linearity <= 0.0 {
            self.process_curved_bridge(-b.non_linearity, b.src_ratio, &mut b.delay_ramp, input, out);
        } else if b.src_ratio == 1.0 {
            self.process_dispersion::<true>(&mut b, input, out, random);
        } else {
            self.process_dispersion::<false>(&mut b, input, out, random);
        }
        self.delay = b.delay_ramp.value();
    }

    /// The block's setup: loop length and its ramp, damping filter, rest state.
    fn begin(&mut self, parameters: &StringParameters, input: &Block) -> StringBlock {
        let StringParameters { f0, non_linearity, brightness, damping } = *parameters;
        let (delay, src_ratio, brightness, damping_filter, target) =
            self.constants.get([f0, brightness, damping], |[f0, brightness, damping]| {
                let (delay, src_ratio) = loop_length(f0);
                let mut brightness = brightness;
                let mut damping_cutoff = ((12.0 + (damping * damping) * 60.0) + brightness * 24.0).min(84.0);
                let mut damping_f = (f0 * semitones_to_ratio(damping_cutoff)).min(0.499);
                // Crossfade toward an open, lossless loop: infinite sustain at MORPH = 1.
                if damping >= 0.95 {
                    let to_infinite = 20.0 * (damping - 0.95);
                    brightness += to_infinite * (1.0 - brightness);
                    damping_f += to_infinite * (0.4999 - damping_f);
                    damping_cutoff += to_infinite * (128.0 - damping_cutoff);
                }
                let damping_filter = SvfCoefficients::new(damping_f, 0.5, TanApproximation::Fast);
                // The damping filter delays the loop; shorten the line to stay in tune.
                let delay_compensation = interpolate(&LUT_SVF_SHIFT, damping_cutoff, 1.0);
                (delay, src_ratio, brightness, damping_filter, delay * delay_compensation)
            });
        if src_ratio == 1.0 {
            self.state.src_phase = 1.0;
        }
        self.state.damping_filter = damping_filter;
        let delay_ramp = ParameterRamp::new(self.delay, target, BLOCK_SIZE);

        self.at_rest &= input.iter().all(|&x| x == 0.0);
        StringBlock { non_linearity, brightness, delay, src_ratio, delay_ramp }
    }

    /// A silent string (voices that were never plucked): the loop would only
    /// move zeros around, so just keep the ramp, the phase and the random
    /// draws of the dispersion jitter in step with the module.
    fn advance_at_rest(
        &mut self,
        dispersion: bool,
        brightness: f32,
        src_ratio: f32,
        delay_ramp: &mut ParameterRamp,
        random: &mut Random,
    ) {
        let noise_filter = 0.06 + 0.94 * brightness * brightness;
        let state = &mut self.state;
        for _ in 0..BLOCK_SIZE {
            state.src_phase += src_ratio;
            if state.src_phase > 1.0 {
                state.src_phase -= 1.0;
                delay_ramp.next();
                if dispersion {
                    state.dispersion_noise +=
                        noise_filter * ((random.get_float() - 0.5) - state.dispersion_noise);
                }
            }
        }
    }

    /// Loop whose length shrinks or grows with the last sample's level: a
    /// sitar-like buzz.
    fn process_curved_bridge(
        &mut self,
        amount: f32,
        src_ratio: f32,
        delay_ramp: &mut ParameterRamp,
        input: &Block,
        out: &mut Block,
    ) {
        // Squared first: one ulp here grows into audible divergence in the loop.
        let bend = (amount * amount) * 0.01;
        let mut state = self.state.clone();
        for (x, o) in input.iter().zip(out.iter_mut()) {
            state.src_phase += src_ratio;
            if state.src_phase > 1.0 {
                state.src_phase -= 1.0;
                let delay = delay_ramp.next() * (1.0 - state.bridge * bend);
                let s = self.main_line.read_hermite(delay);
                let v = s.abs() - 0.025;
                state.bridge = (v.abs() + v) * if s > 0.0 { 1.0 } else { -1.5 };
                self.main_line.write(state.feed_back(s, *x));
            }
            *o += state.crossfade();
        }
        self.state = state;
    }

    /// Loop with an all-pass stretching its partials, plus random length
    /// jitter at high amounts: stiff, piano- or bell-like strings.
    ///
    /// `UNIT_RATIO`: the loop runs at the sample rate (`src_ratio` is 1 and
    /// `src_phase` was set to 1). The phase then steps 1 → 2 → 1 every sample,
    /// exactly, so it is left at 1 and every sample takes a loop step.
    fn process_dispersion<const UNIT_RATIO: bool>(
        &mut self,
        b: &mut StringBlock,
        input: &Block,
        out: &mut Block,
        random: &mut Random,
    ) {
        let d = Dispersion::new(b);
        let mut state = self.state.clone();
        debug_assert!(!UNIT_RATIO || (b.src_ratio == 1.0 && state.src_phase == 1.0));
        for (x, o) in input.iter().zip(out.iter_mut()) {
            let step = UNIT_RATIO || {
                state.src_phase += b.src_ratio;
                state.src_phase > 1.0
            };
            if step {
                if !UNIT_RATIO {
                    state.src_phase -= 1.0;
                }
                // Drawn for every loop sample, even when the jitter amount is 0.
                let draw = random.get_float();
                self.dispersion_step(&mut state, &d, &mut b.delay_ramp, *x, draw);
            }
            *o += state.crossfade();
        }
        self.state = state;
    }

    /// One loop sample of the dispersion variant, `draw` being its random number.
    #[inline(always)]
    fn dispersion_step(
        &mut self,
        state: &mut LoopState,
        d: &Dispersion,
        delay_ramp: &mut ParameterRamp,
        x: f32,
        draw: f32,
    ) {
        let mut delay = delay_ramp.next();
        state.dispersion_noise += d.noise_filter * ((draw - 0.5) - state.dispersion_noise);
        if d.jitter {
            delay *= 1.0 + state.dispersion_noise * d.noise_amount;
        }
        let allpass_delay = delay * d.stretch_point;
        let main_delay = delay - allpass_delay * d.main_factor * d.stretch_correction;
        let s = if allpass_delay >= 4.0 && main_delay >= 4.0 {
            let s = self.main_line.read(main_delay);
            // The loop is at most 1020 samples long, so the all-pass delay
            // converts the same through i32, more cheaply.
            debug_assert!(allpass_delay < 4096.0);
            self.stretch_line.allpass(s, allpass_delay as i32 as usize, d.allpass_gain)
        } else {
            self.main_line.read_hermite(delay)
        };
        self.main_line.write(state.feed_back(s, x));
    }
}

/// Loop length in samples and the loop's steps per output sample for `f0`;
/// the ratio snaps to 1 when the line is long enough for the note.
fn loop_length(f0: f32) -> (f32, f32) {
    // f0 = 0 (a voice left behind by a trigger right after Reset) gives an
    // infinite delay, clamped; the ratio is then 0 and the loop stands still.
    let delay = (1.0 / f0).clamp(MIN_DELAY, MAX_DELAY);
    let src_ratio = delay * f0;
    (delay, if src_ratio >= 0.9999 { 1.0 } else { src_ratio })
}

/// One block's setup of a string, from [`KarplusString::begin`].
struct StringBlock {
    non_linearity: f32,
    /// Brightness, opened up toward infinite sustain.
    brightness: f32,
    delay: f32,
    src_ratio: f32,
    delay_ramp: ParameterRamp,
}

/// The dispersion variant's constants for one block.
struct Dispersion {
    stretch_point: f32,
    stretch_correction: f32,
    /// `0.408 − 0.308 · stretch_point`, the all-pass share taken off the main line.
    main_factor: f32,
    noise_amount: f32,
    /// Without jitter the length is multiplied by 1 + noise · 0 = 1 exactly
    /// (the noise stays within ±0.5): the multiplication is skipped.
    jitter: bool,
    noise_filter: f32,
    allpass_gain: f32,
}

impl Dispersion {
    fn new(b: &StringBlock) -> Self {
        let amount = b.non_linearity;
        let stretch_point = (amount * (2.0 - amount)) * 0.225;
        let noise = if amount > 0.75 { 4.0 * (amount - 0.75) } else { 0.0 };
        let noise_amount = (noise * noise) * 0.1;
        Self {
            stretch_point,
            stretch_correction: ((160.0 / 48_000.0) * b.delay).clamp(1.0, 2.1),
            main_factor: 0.408 - 0.308 * stretch_point,
            noise_amount,
            jitter: noise_amount != 0.0,
            noise_filter: 0.06 + 0.94 * b.brightness * b.brightness,
            allpass_gain: -0.618 * amount / (0.15 + amount.abs()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a string through silence, then a pluck, for both variants.
    fn run(string: &mut KarplusString, non_linearity: f32, random: &mut Random) -> Vec<f32> {
        let mut output = Vec::new();
        for block in 0..200 {
            let mut input = [0.0; BLOCK_SIZE];
            if block == 100 {
                input = std::array::from_fn(|i| if i % 2 == 0 { 0.5 } else { -0.3 });
            }
            let mut out = [0.0; BLOCK_SIZE];
            // A pitch glide, so that the loop-length ramp moves.
            let f0 = 0.004 + 0.00001 * block as f32;
            let parameters = StringParameters { f0, non_linearity, brightness: 0.5, damping: 0.5 };
            string.process(&parameters, &input, &mut out, random);
            output.extend_from_slice(&out);
        }
        output
    }

    #[test]
    fn resting_shortcut_matches_the_full_loop_bit_for_bit() {
        for non_linearity in [-0.5, 0.0, 0.5, 0.95] {
            let (mut random_a, mut random_b) = (Random::default(), Random::default());
            let mut resting = KarplusString::default();
            let mut full = KarplusString { at_rest: false, ..KarplusString::default() };
            let a = run(&mut resting, non_linearity, &mut random_a);
            let b = run(&mut full, non_linearity, &mut random_b);
            assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()), "{non_linearity}");
            assert_eq!(random_a, random_b, "{non_linearity}: same draws");
            assert_eq!(resting.delay.to_bits(), full.delay.to_bits());
            assert!(a[1300..].iter().any(|&x| x != 0.0));
        }
    }

    #[test]
    fn loop_runs_slower_than_the_sample_rate_below_the_longest_delay() {
        // f0 = 1/2040 needs a 2040-sample loop: the line holds 1020, so the
        // loop steps every second output sample and the output crossfades.
        let mut string = KarplusString::default();
        let mut random = Random::default();
        let input = [1.0; BLOCK_SIZE];
        let mut out = [0.0; BLOCK_SIZE];
        let parameters =
            StringParameters { f0: 1.0 / 2040.0, non_linearity: 0.0, brightness: 0.5, damping: 0.5 };
        string.process(&parameters, &input, &mut out, &mut random);
        // The phase starts at 0 after Reset and steps by 0.5; a loop sample
        // is taken when it exceeds 1 (samples 2, 4, ...).
        assert_eq!(&out[..2], &[0.0, 0.0]);
        assert!(out[3] > 0.0);
        assert_eq!(out[2], 0.5 * out[3], "halfway toward the first loop sample");
        assert_eq!(out[4], out[3] + (out[5] - out[3]) * 0.5, "halfway toward the second");
    }
}
