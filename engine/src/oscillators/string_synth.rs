//! Divide-down organ voices: one counter makes band-limited saws at 8', 4', 2'
//! and 1'; squares are differences of saws an octave apart (engines-4-7.md §3.7).
//!
//! The chord engine's voices run side by side in the lanes of a
//! [`StringSynthBank`]: every lane does exactly one voice's f32 operations, with
//! the voice's branches turned into per-lane selects, so that the voices
//! advance together in vector registers.

use crate::dsp::denormal::flush_denormal;
use crate::dsp::polyblep::{next_blep_sample, this_blep_sample};
use crate::engines::BLOCK_SIZE;

/// Stops of a registration: saw 8', square 8', saw 4', square 4', saw 2',
/// square 2', saw 1'.
pub const REGISTRATION_SIZE: usize = 7;

/// Where the 4', 2' and 1' saws cross zero within the counter's segment.
///
/// The real module computes `(phase − (segment & 4)) − 2` and so on. The
/// first subtraction is exact (the phase lies in [segment, segment + 1), so
/// Sterbenz's lemma applies), so subtracting the summed offset at once rounds
/// identically; summing once per segment saves work per sample.
#[derive(Clone, Copy)]
struct SawOffsets {
    saw_4: f32,
    saw_2: f32,
    saw_1: f32,
}

impl SawOffsets {
    #[inline]
    fn new(segment: i32) -> Self {
        Self {
            saw_4: (segment & 4) as f32 + 2.0,
            saw_2: (segment & 6) as f32 + 1.0,
            saw_1: segment as f32 + 0.5,
        }
    }
}

/// The counter frequency and the four saw gains (8', 4', 2', 1') a voice
/// targets for a block, or `None` when even the top stop is above Nyquist and
/// the voice stays silent (and frozen).
fn voice_targets(
    frequency: f32,
    registration: &[f32; REGISTRATION_SIZE],
    gain: f32,
) -> Option<(f32, [f32; 4])> {
    // The counter runs 8 times faster than the 8' saw; when that is above
    // Nyquist, drop octaves of the counter and move the stops up instead.
    let mut counter_frequency = 8.0 * frequency;
    let mut shift = 0;
    while counter_frequency > 0.5 {
        shift += 2;
        counter_frequency /= 2.0;
    }
    if shift > REGISTRATION_SIZE {
        return None;
    }
    let stops: [f32; REGISTRATION_SIZE] =
        std::array::from_fn(|stop| if stop >= shift { registration[stop - shift] } else { 0.0 });
    // square(k) = 2·saw(k) − saw(k / 2), so each square stop feeds two saws.
    let targets = [
        (stops[0] + 2.0 * stops[1]) * gain,
        (stops[2] - stops[1] + 2.0 * stops[3]) * gain,
        (stops[4] - stops[3] + 2.0 * stops[5]) * gain,
        (stops[6] - stops[5]) * gain,
    ];
    Some((counter_frequency, targets))
}

/// One divide-down voice's state.
#[derive(Clone, Copy, Debug)]
struct VoiceState {
    /// Counter from 0 to 8: one period of the 8' saw.
    phase: f32,
    next_sample: f32,
    /// Integer part of the counter at the previous sample.
    segment: i32,
    frequency: f32,
    /// Gains of the four saws, in the order 8', 4', 2', 1'.
    saw_gains: [f32; 4],
}

impl VoiceState {
    /// A voice at rest with a stopped counter: fills the lanes no voice uses.
    const SILENT: Self =
        Self { phase: 0.0, next_sample: 0.0, segment: 0, frequency: 0.0, saw_gains: [0.0; 4] };
}

impl Default for VoiceState {
    fn default() -> Self {
        Self { frequency: 0.001, ..Self::SILENT }
    }
}

/// Voices rendered side by side: the width of one SSE vector.
const LANES: usize = 4;

/// Passes a bank can run per block: enough for eight voices.
const PASSES: usize = 2;

/// Where a sounding voice's state and output live: pass, then lane.
pub type Slot = (usize, usize);

/// The output of one pass: a block of frames, one sample per lane.
pub type PassFrames = [[f32; LANES]; BLOCK_SIZE];

/// `VOICES` divide-down voices. Each block, the voices that sound are packed
/// into the lanes of 4-wide passes, so that a typical chord takes one pass.
///
/// A sounding voice's state stays in its lane from block to block while the
/// set of sounding voices stays the same, and its output is read straight
/// from the pass's frames: packing, unpacking and copying out happen only
/// when a voice starts or stops sounding.
#[derive(Clone, Debug)]
pub struct StringSynthBank<const VOICES: usize> {
    /// States of the voices that are not in a lane.
    voices: [VoiceState; VOICES],
    /// Where each voice's state is: `None` in `voices`, else in a lane.
    slots: [Option<Slot>; VOICES],
    passes: [Lanes; PASSES],
    frames: [PassFrames; PASSES],
    /// The bits of the last block's voice settings and registration, and
    /// the ramp targets and number of sounding voices they gave: settings
    /// that repeat give the same targets again.
    request: Option<Request<VOICES>>,
    targets: [RampFrame; PASSES],
    count: usize,
}

/// The bits of a block's voice settings and registration.
type Request<const VOICES: usize> = ([Option<(u32, u32)>; VOICES], [u32; REGISTRATION_SIZE]);

impl<const VOICES: usize> Default for StringSynthBank<VOICES> {
    fn default() -> Self {
        const { assert!(VOICES <= PASSES * LANES) };
        Self {
            voices: [VoiceState::default(); VOICES],
            slots: [None; VOICES],
            passes: [Lanes::SILENT; PASSES],
            frames: [[[0.0; LANES]; BLOCK_SIZE]; PASSES],
            request: None,
            targets: [[[0.0; LANES]; 5]; PASSES],
            count: 0,
        }
    }
}

/// An all-ones lane mask where `condition` holds, else zero.
#[inline(always)]
fn mask(condition: bool) -> u32 {
    (condition as u32).wrapping_neg()
}

/// `x` where `mask` is set, else +0. Adding or subtracting the result is a
/// branch-free select: `y − (+0)` is `y` exactly, and so is `y + (+0)` for any
/// `y` but −0, which none of the sums here can be (they start from +0).
#[inline(always)]
fn keep(x: f32, mask: u32) -> f32 {
    f32::from_bits(x.to_bits() & mask)
}

/// `x as i32` for `x` in [0, 2^22), with vector-friendly float arithmetic:
/// adding 2^23 rounds to the nearest integer, one less where that rounded up.
#[inline(always)]
fn truncate_small(x: f32) -> i32 {
    const TWO_23: f32 = 8_388_608.0;
    let rounded = (x + TWO_23).to_bits() as i32 - TWO_23.to_bits() as i32;
    rounded - (rounded as f32 > x) as i32
}

impl<const VOICES: usize> StringSynthBank<VOICES> {
    /// Renders one block of every voice `v` that has `Some((frequency, gain))`
    /// in `voices[v]`: the stops of `registration` at `frequency` (of the 8'
    /// saw) scaled by `gain`. Returns where each voice that sounded left its
    /// block in [`Self::frames`]; the others (`None`, or too high to sound)
    /// keep their state untouched.
    pub fn render(
        &mut self,
        voices: &[Option<(f32, f32)>; VOICES],
        registration: &[f32; REGISTRATION_SIZE],
    ) -> [Option<Slot>; VOICES] {
        let request = (
            voices.map(|settings| settings.map(|(frequency, gain)| (frequency.to_bits(), gain.to_bits()))),
            registration.map(f32::to_bits),
        );
        if self.request != Some(request) {
            self.request = Some(request);
            let mut slots = [None; VOICES];
            self.targets = [[[0.0; LANES]; 5]; PASSES];
            self.count = 0;
            for (v, settings) in voices.iter().enumerate() {
                let Some((frequency, gain)) = *settings else { continue };
                if let Some((counter_frequency, saw_targets)) = voice_targets(frequency, registration, gain) {
                    let (pass, lane) = (self.count / LANES, self.count % LANES);
                    slots[v] = Some((pass, lane));
                    let targets = &mut self.targets[pass];
                    targets[0][lane] = counter_frequency;
                    for saw in 0..4 {
                        targets[saw + 1][lane] = saw_targets[saw];
                    }
                    self.count += 1;
                }
            }
            if slots != self.slots {
                self.move_voices(&slots);
            }
        }
        let passes = self.count.div_ceil(LANES);
        for ((lanes, targets), frames) in
            self.passes.iter_mut().zip(&self.targets).zip(&mut self.frames).take(passes)
        {
            render_lanes(lanes, targets, frames);
        }
        self.slots
    }

    /// The frames of each pass of the last block.
    pub fn frames(&self) -> &[PassFrames; PASSES] {
        &self.frames
    }

    /// Moves the voices' states from their lanes in `self.slots` to their
    /// lanes in `slots`, through `voices`; lanes left empty hold a silent
    /// voice whose counter never moves.
    fn move_voices(&mut self, slots: &[Option<Slot>; VOICES]) {
        for (voice, slot) in self.voices.iter_mut().zip(&self.slots) {
            if let Some((pass, lane)) = *slot {
                let lanes = &self.passes[pass];
                *voice = VoiceState {
                    phase: lanes.phase[lane],
                    next_sample: lanes.next_sample[lane],
                    segment: lanes.segment[lane],
                    frequency: lanes.ramps[0][lane],
                    saw_gains: std::array::from_fn(|saw| lanes.ramps[saw + 1][lane]),
                };
            }
        }
        self.passes = [Lanes::SILENT; PASSES];
        for (voice, slot) in self.voices.iter().zip(slots) {
            if let Some((pass, lane)) = *slot {
                let lanes = &mut self.passes[pass];
                lanes.phase[lane] = voice.phase;
                lanes.next_sample[lane] = voice.next_sample;
                lanes.segment[lane] = voice.segment;
                lanes.ramps[0][lane] = voice.frequency;
                for saw in 0..4 {
                    lanes.ramps[saw + 1][lane] = voice.saw_gains[saw];
                }
            }
        }
        self.slots = *slots;
    }
}

/// The ramps of one frame: counter frequency, then the four saw gains, each
/// across the lanes.
type RampFrame = [[f32; LANES]; 5];

/// The state of four voices side by side, one lane per voice, each quantity
/// in its own vector (so that the ramps step as vectors from the start).
#[derive(Clone, Copy, Debug)]
struct Lanes {
    phase: [f32; LANES],
    next_sample: [f32; LANES],
    segment: [i32; LANES],
    /// Counter frequency and saw gains, as in [`RampFrame`].
    ramps: RampFrame,
}

impl Lanes {
    /// Voices at rest with stopped counters.
    const SILENT: Self = Self {
        phase: [0.0; LANES],
        next_sample: [0.0; LANES],
        segment: [0; LANES],
        ramps: [[0.0; LANES]; 5],
    };
}

/// One block of four voices side by side, each lane ramping toward its
/// counter frequency and saw gains `targets`, into `frames`, one sample per lane.
fn render_lanes(lanes: &mut Lanes, targets: &RampFrame, frames: &mut PassFrames) {
    let size = BLOCK_SIZE as f32;
    // stmlib's ParameterInterpolator arithmetic for each ramp, one vector
    // per ramp.
    let mut value = lanes.ramps;
    let increment: RampFrame = std::array::from_fn(|ramp| {
        std::array::from_fn(|lane| (targets[ramp][lane] - value[ramp][lane]) / size)
    });
    let Lanes { mut phase, mut next_sample, mut segment, .. } = *lanes;
    for frame in frames.iter_mut() {
        for ramp in 0..5 {
            for lane in 0..LANES {
                value[ramp][lane] += increment[ramp][lane];
            }
        }
        let [frequency, g8, g4, g2, g1] = value;
        // Each step runs over all lanes at once, so that it becomes one vector
        // operation; within a lane the steps keep the voice's order.
        for lane in 0..LANES {
            phase[lane] += frequency[lane];
        }
        // The counter stays below 8.5 (it wraps at 8 and moves at most 0.5
        // per sample), well inside `truncate_small`'s range.
        let counter: [i32; LANES] = std::array::from_fn(|lane| truncate_small(phase[lane]));
        let changed: [u32; LANES] = std::array::from_fn(|lane| mask(counter[lane] != segment[lane]));
        // Each saw resets when the counter crosses a multiple of its period.
        // The counter reaches 8 exactly when the phase reaches 8 (it stays
        // below 9), and then it has changed (the segment is at most 7):
        // comparing the phase keeps the integer work off the phase's
        // sample-to-sample dependency chain. A NaN phase wraps neither way.
        let wrapped: [u32; LANES] = std::array::from_fn(|lane| mask(phase[lane] >= 8.0));
        for lane in 0..LANES {
            phase[lane] -= keep(8.0, wrapped[lane]);
        }
        let next_segment: [i32; LANES] = std::array::from_fn(|lane| counter[lane] & !(wrapped[lane] as i32));
        let mut d: [f32; LANES] = std::array::from_fn(|lane| 0.0 - keep(g8[lane], wrapped[lane]));
        for lane in 0..LANES {
            d[lane] -= keep(g4[lane], changed[lane] & mask(next_segment[lane] & 3 == 0));
        }
        for lane in 0..LANES {
            d[lane] -= keep(g2[lane], changed[lane] & mask(next_segment[lane] & 1 == 0));
        }
        for lane in 0..LANES {
            d[lane] -= keep(g1[lane], changed[lane]);
        }
        // The band-limiting steps of the lanes whose counter crossed a
        // boundary (the others' are computed and dropped: cheaper than
        // testing for them).
        let apply: [u32; LANES] = std::array::from_fn(|lane| changed[lane] & mask(d[lane] != 0.0));
        let t: [f32; LANES] =
            std::array::from_fn(|lane| (phase[lane] - next_segment[lane] as f32) / frequency[lane]);
        let mut this_sample = next_sample;
        for lane in 0..LANES {
            this_sample[lane] += keep(this_blep_sample(t[lane]) * d[lane], apply[lane]);
        }
        for lane in 0..LANES {
            let changed = changed[lane] as i32;
            segment[lane] = (next_segment[lane] & changed) | (segment[lane] & !changed);
        }
        let offsets = segment.map(SawOffsets::new);
        // Added one at a time on top of the residual, as the real module does.
        next_sample =
            std::array::from_fn(|lane| 0.0 + keep(next_blep_sample(t[lane]) * d[lane], apply[lane]));
        for lane in 0..LANES {
            next_sample[lane] += ((phase[lane] - 4.0) * g8[lane]) * 0.125;
        }
        for lane in 0..LANES {
            next_sample[lane] += ((phase[lane] - offsets[lane].saw_4) * g4[lane]) * 0.25;
        }
        for lane in 0..LANES {
            next_sample[lane] += ((phase[lane] - offsets[lane].saw_2) * g2[lane]) * 0.5;
        }
        for lane in 0..LANES {
            next_sample[lane] += (phase[lane] - offsets[lane].saw_1) * g1[lane];
        }
        for lane in 0..LANES {
            frame[lane] = 2.0 * this_sample[lane];
        }
    }

    // A gain ramping to 0 settles on a subnormal (its increment rounds to
    // zero there) and would make every later sample slow. The saw terms it
    // scales stay below 1.2e-38, which vanishes in the output.
    for gain in &mut value[1..] {
        *gain = gain.map(flush_denormal);
    }
    *lanes = Lanes { phase, next_sample, segment, ramps: value };
}

/// The divide-down voice one at a time, as the spec writes it: the reference
/// the bank's lanes must match bit for bit.
#[cfg(test)]
mod reference {
    use super::*;
    use crate::dsp::ramp::ParameterRamp;

    /// One divide-down voice of the chord engine.
    #[derive(Clone, Debug)]
    pub struct StringSynthOscillator {
        /// Counter from 0 to 8: one period of the 8' saw.
        phase: f32,
        next_sample: f32,
        /// Integer part of the phase at the previous sample.
        segment: i32,
        frequency: f32,
        /// Gains of the four saws, in the order 8', 4', 2', 1'.
        saw_gains: [f32; 4],
    }

    impl Default for StringSynthOscillator {
        fn default() -> Self {
            Self { phase: 0.0, next_sample: 0.0, segment: 0, frequency: 0.001, saw_gains: [0.0; 4] }
        }
    }

    impl StringSynthOscillator {
        /// Adds a block of the stops in `registration` at `frequency` (of the 8'
        /// saw) scaled by `gain` to `out`.
        pub fn render_add(
            &mut self,
            frequency: f32,
            registration: &[f32; REGISTRATION_SIZE],
            gain: f32,
            out: &mut [f32],
        ) {
            // The counter runs 8 times faster than the 8' saw; when that is above
            // Nyquist, drop octaves of the counter and move the stops up instead.
            let mut counter_frequency = 8.0 * frequency;
            let mut shift = 0;
            while counter_frequency > 0.5 {
                shift += 2;
                counter_frequency /= 2.0;
            }
            if shift > REGISTRATION_SIZE {
                return;
            }
            let mut stops = [0.0; REGISTRATION_SIZE];
            stops[shift..].copy_from_slice(&registration[..REGISTRATION_SIZE - shift]);

            // square(k) = 2·saw(k) − saw(k / 2), so each square stop feeds two saws.
            let targets = [
                (stops[0] + 2.0 * stops[1]) * gain,
                (stops[2] - stops[1] + 2.0 * stops[3]) * gain,
                (stops[4] - stops[3] + 2.0 * stops[5]) * gain,
                (stops[6] - stops[5]) * gain,
            ];
            let size = out.len();
            let mut frequency_ramp = ParameterRamp::new(self.frequency, counter_frequency, size);
            // The four gain ramps side by side (stmlib's ParameterInterpolator
            // arithmetic), so that they advance as one vector.
            let mut gains = self.saw_gains;
            let mut gain_increments = [0.0; 4];
            for ((increment, gain), target) in gain_increments.iter_mut().zip(&gains).zip(targets) {
                *increment = (target - gain) / size as f32;
            }
            // Local copies keep the per-sample state in registers.
            let mut next_sample = self.next_sample;
            let mut phase = self.phase;
            let mut segment = self.segment;
            let mut offsets = SawOffsets::new(segment);

            for y in out.iter_mut() {
                let mut this_sample = next_sample;
                next_sample = 0.0;
                let f = frequency_ramp.next();
                for (gain, increment) in gains.iter_mut().zip(&gain_increments) {
                    *gain += increment;
                }
                let [g8, g4, g2, g1] = gains;

                phase += f;
                let mut next_segment = phase as i32;
                if next_segment != segment {
                    // Each saw resets when the counter crosses a multiple of its period.
                    let mut discontinuity = 0.0;
                    if next_segment == 8 {
                        phase -= 8.0;
                        next_segment = 0;
                        discontinuity -= g8;
                    }
                    if next_segment & 3 == 0 {
                        discontinuity -= g4;
                    }
                    if next_segment & 1 == 0 {
                        discontinuity -= g2;
                    }
                    discontinuity -= g1;
                    if discontinuity != 0.0 {
                        let t = (phase - next_segment as f32) / f;
                        this_sample += this_blep_sample(t) * discontinuity;
                        next_sample += next_blep_sample(t) * discontinuity;
                    }
                    segment = next_segment;
                    offsets = SawOffsets::new(segment);
                }

                // Added one at a time on top of the residual, as the real module does.
                next_sample += ((phase - 4.0) * g8) * 0.125;
                next_sample += ((phase - offsets.saw_4) * g4) * 0.25;
                next_sample += ((phase - offsets.saw_2) * g2) * 0.5;
                next_sample += (phase - offsets.saw_1) * g1;
                *y += 2.0 * this_sample;
            }

            self.next_sample = next_sample;
            self.phase = phase;
            self.segment = segment;
            self.frequency = frequency_ramp.value();
            // A gain ramping to 0 settles on a subnormal (its increment rounds to
            // zero there) and would make every later sample slow. The saw terms it
            // scales stay below 1.2e-38, which vanishes in the int16 output.
            self.saw_gains = gains.map(flush_denormal);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::Block;

    impl<const VOICES: usize> StringSynthBank<VOICES> {
        /// The block of the voice in `slot`.
        fn voice_block(&self, (pass, lane): Slot) -> Block {
            self.frames[pass].map(|frame| frame[lane])
        }
    }

    /// Renders `blocks` blocks of one stop at `frequency` on a one-lane bank.
    fn render(stop: usize, frequency: f32, blocks: usize) -> Vec<f32> {
        let mut bank = StringSynthBank::<1>::default();
        let mut registration = [0.0; REGISTRATION_SIZE];
        registration[stop] = 1.0;
        let mut out = Vec::new();
        for _ in 0..blocks {
            let block = match bank.render(&[Some((frequency, 1.0))], &registration) {
                [Some(slot)] => bank.voice_block(slot),
                [None] => [0.0; BLOCK_SIZE],
            };
            out.extend_from_slice(&block);
        }
        out
    }

    #[test]
    fn every_lane_matches_a_reference_voice_bit_for_bit() {
        use crate::dsp::random::Random;
        const VOICES: usize = 6;
        let mut bank = StringSynthBank::<VOICES>::default();
        let mut voices: [reference::StringSynthOscillator; VOICES] = Default::default();
        let mut random = Random::default();
        let mut registration = [0.0; REGISTRATION_SIZE];
        let mut settings = [None; VOICES];
        for block in 0..4000 {
            if block % 50 == 0 {
                registration = std::array::from_fn(|_| random.get_float());
            }
            // Mostly audible pitches, some that drop octaves or fall silent,
            // voices switching off and on, and gains that step to zero; held
            // for some blocks, so that the bank reuses its targets.
            if block % 8 < 5 {
                settings = std::array::from_fn(|lane| {
                    let octave = (block / 100 + lane) % 9;
                    let frequency = 0.0007 * (1 << octave) as f32 * (1.0 + 0.01 * lane as f32);
                    let gain = if (block / 70 + lane) % 5 == 0 { 0.0 } else { 0.25 * random.get_float() };
                    ((block / 30 + lane) % 7 != 0).then_some((frequency, gain))
                });
            }
            let slots = bank.render(&settings, &registration);
            for lane in 0..VOICES {
                let Some((frequency, gain)) = settings[lane] else {
                    assert!(slots[lane].is_none());
                    continue;
                };
                // Started at -0 so that adding into it gives exactly the voice's samples.
                let mut expected = [-0.0; BLOCK_SIZE];
                voices[lane].render_add(frequency, &registration, gain, &mut expected);
                assert_eq!(slots[lane].is_some(), voice_targets(frequency, &registration, gain).is_some());
                if let Some(slot) = slots[lane] {
                    assert_eq!(
                        bank.voice_block(slot).map(f32::to_bits),
                        expected.map(f32::to_bits),
                        "block {block} lane {lane}"
                    );
                }
            }
        }
    }

    /// Magnitude of harmonic `m` of a signal whose period is `period` samples.
    fn harmonic_magnitude(signal: &[f32], period: usize, m: usize) -> f64 {
        let length = signal.len() / period * period;
        let (mut re, mut im) = (0.0f64, 0.0f64);
        for (n, &x) in signal[..length].iter().enumerate() {
            let angle = 2.0 * std::f64::consts::PI * (m * n) as f64 / period as f64;
            re += x as f64 * angle.cos();
            im += x as f64 * angle.sin();
        }
        2.0 * (re * re + im * im).sqrt() / length as f64
    }

    #[test]
    fn saw_8_has_all_harmonics_and_square_8_only_odd_ones() {
        let period = 400;
        let frequency = 1.0 / period as f32;
        let saw = render(0, frequency, 2000);
        let square = render(1, frequency, 2000);
        let (saw, square) = (&saw[12_000..], &square[12_000..]);
        // A unit saw's harmonic m has amplitude 2/(π·m) × its peak (here 1/2·2 = 1).
        for m in 1..6 {
            let expected = 2.0 / (std::f64::consts::PI * m as f64);
            let got = harmonic_magnitude(saw, period, m);
            assert!((got - expected).abs() < 0.02 * expected, "saw harmonic {m}: {got} vs {expected}");
        }
        for m in [2, 4, 6] {
            assert!(harmonic_magnitude(square, period, m) < 1e-3, "square harmonic {m}");
        }
        assert!(harmonic_magnitude(square, period, 1) > 0.5);
    }

    #[test]
    fn each_footage_is_an_octave_above_the_previous() {
        let period = 480;
        let frequency = 1.0 / period as f32;
        for (stop, octave) in [(0usize, 1usize), (2, 2), (4, 4), (6, 8)] {
            let out = render(stop, frequency, 2000);
            let out = &out[12_000..];
            for m in 1..octave {
                assert!(harmonic_magnitude(out, period, m) < 1e-3, "stop {stop} harmonic {m}");
            }
            assert!(harmonic_magnitude(out, period, octave) > 0.3, "stop {stop}");
        }
    }

    #[test]
    fn high_notes_move_the_stops_up_and_very_high_ones_are_silent() {
        // At 8·f > 0.5 the counter halves and the 8' stop plays as 4'.
        let out = render(0, 0.1, 400);
        let period = 10;
        let tail = &out[2400..];
        assert!(harmonic_magnitude(tail, period, 1) > 0.3);
        let silent = render(0, 1.5, 10);
        assert!(silent.iter().all(|&x| x == 0.0));
    }
}
