//! Wavetable voices of the chord engine: each scans 15 integrated waves, read
//! with linear interpolation and differentiated (engines-4-7.md §3.6).
//!
//! The chord engine's voices run side by side in the lanes of a
//! [`ChordWavetableBank`]: every lane does exactly one voice's f32 operations
//! in the voice's order, so that the voices' filters, whose feedback makes
//! one voice wait on each sample's result, advance together in vector
//! registers.

use crate::dsp::denormal::flush_denormal;
use crate::dsp::interpolate::split;
use crate::engines::wavetable::WAVE_STRIDE;
use crate::engines::{Block, BLOCK_SIZE};
use crate::tables::{CHORD_WAVES, INTEGRATED_WAVES};

/// Wave `wave` of the chord engine's list.
#[inline]
fn chord_wave(wave: usize) -> &'static [i16; WAVE_STRIDE] {
    let start = CHORD_WAVES[wave] * WAVE_STRIDE;
    INTEGRATED_WAVES[start..start + WAVE_STRIDE].try_into().expect("wave inside the table")
}

/// The first of the two waves a scan position reads, and the crossfade to the second.
#[inline]
fn wave_position(waveform: f32) -> (usize, f32) {
    // (Splits through i32: float/usize conversions are much slower.)
    let (wave, wave_fraction) = split(waveform);
    ((wave.max(0) as usize).min(CHORD_WAVES.len() - 2), wave_fraction)
}

/// The targets of a voice's frequency, amplitude and scan position ramps for
/// a block at `frequency` and `amplitude`, scanning with `waveform` (0 to 1).
#[inline]
fn ramp_targets(frequency: f32, amplitude: f32, waveform: f32) -> [f32; 3] {
    let frequency = frequency.min(0.25);
    // Fade toward Nyquist, and undo the gain of the integrated tables.
    let amplitude = amplitude * (1.0 - 2.0 * frequency);
    let amplitude = amplitude * ((1.0 / (frequency * 131_072.0)) * (0.95 - frequency));
    [frequency, amplitude, waveform * 13.9999]
}

/// The filters' cutoff at `frequency`: `(256 · frequency).min(1.0)`, written
/// as the select that `min` is for every input (NaN gives 1 either way), so
/// that it compiles to one instruction.
#[inline(always)]
fn cutoff(frequency: f32) -> f32 {
    let cutoff = 256.0 * frequency;
    if cutoff < 1.0 {
        cutoff
    } else {
        1.0
    }
}

/// One wavetable voice's state.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct VoiceState {
    phase: f32,
    frequency: f32,
    amplitude: f32,
    waveform: f32,
    lp: f32,
    /// The differentiator's previous input and its low-passed difference.
    previous: f32,
    slope: f32,
}

/// Voices rendered side by side: the width of one SSE vector. Passes of
/// fewer voices run two lanes wide, or as plain scalar code for a lone
/// voice, since an empty lane costs as much as a voice.
const LANES: usize = 4;

/// `VOICES` wavetable voices. Each block, the voices that sound are packed
/// into the lanes of 4-wide passes.
#[derive(Clone, Debug, PartialEq)]
pub struct ChordWavetableBank<const VOICES: usize> {
    voices: [VoiceState; VOICES],
}

impl<const VOICES: usize> Default for ChordWavetableBank<VOICES> {
    fn default() -> Self {
        Self { voices: [VoiceState::default(); VOICES] }
    }
}

impl<const VOICES: usize> ChordWavetableBank<VOICES> {
    /// Renders one block of every voice `v` that has `Some((frequency,
    /// amplitude))` in `voices[v]`, scanning the waves with `waveform` (0 to
    /// 1), into `out[v]`. Returns which voices sounded; the others keep their
    /// state untouched.
    pub fn render(
        &mut self,
        voices: &[Option<(f32, f32)>; VOICES],
        waveform: f32,
        out: &mut [Block; VOICES],
    ) -> [bool; VOICES] {
        let mut sounding = [(0, [0.0; 3]); VOICES];
        let mut count = 0;
        for (v, settings) in voices.iter().enumerate() {
            if let Some((frequency, amplitude)) = *settings {
                sounding[count] = (v, ramp_targets(frequency, amplitude, waveform));
                count += 1;
            }
        }
        let mut sounded = [false; VOICES];
        for pass in sounding[..count].chunks(LANES) {
            match *pass {
                [(v, targets)] => render_voice(&mut self.voices[v], targets, &mut out[v]),
                [_, _] => self.render_pass::<2>(pass, out),
                _ => self.render_pass::<LANES>(pass, out),
            }
            for &(v, _) in pass {
                sounded[v] = true;
            }
        }
        sounded
    }

    /// Renders the voices of `pass` (voice number and ramp targets, at most
    /// `L`) in the lanes of one `L`-wide pass, into `out`.
    fn render_pass<const L: usize>(&mut self, pass: &[(usize, [f32; 3])], out: &mut [Block; VOICES]) {
        // Empty lanes hold a silent voice whose ramps and phase never move.
        let mut states = [VoiceState::default(); L];
        let mut targets = [[0.0; 3]; L];
        for (lane, &(v, voice_targets)) in pass.iter().enumerate() {
            states[lane] = self.voices[v];
            targets[lane] = voice_targets;
        }
        let frames = render_lanes(&mut states, &targets);
        for (lane, &(v, _)) in pass.iter().enumerate() {
            self.voices[v] = states[lane];
            for (y, frame) in out[v].iter_mut().zip(&frames) {
                *y = frame[lane];
            }
        }
    }
}

/// One block of a lone voice, ramping toward `targets` (frequency,
/// amplitude, scan position), into `out`: the one-lane case of
/// [`render_lanes`] as scalar code, faster than a lane of a vector.
fn render_voice(state: &mut VoiceState, targets: [f32; 3], out: &mut Block) {
    let size = BLOCK_SIZE as f32;
    let frequency_increment = (targets[0] - state.frequency) / size;
    let amplitude_increment = (targets[1] - state.amplitude) / size;
    let waveform_increment = (targets[2] - state.waveform) / size;
    // With the scan position at rest, every sample reads the same pair of
    // waves at the same crossfade.
    if (state.waveform + waveform_increment).to_bits() == state.waveform.to_bits() {
        let resting_position = wave_position(state.waveform);
        render_voice_samples(
            state,
            [frequency_increment, amplitude_increment, waveform_increment],
            |_| resting_position,
            out,
        );
    } else {
        render_voice_samples(
            state,
            [frequency_increment, amplitude_increment, waveform_increment],
            wave_position,
            out,
        );
    }
}

/// The sample loop of [`render_voice`]; `position` gives the pair of waves
/// and the crossfade between them for a scan position.
#[inline(always)]
fn render_voice_samples(
    state: &mut VoiceState,
    [frequency_increment, amplitude_increment, waveform_increment]: [f32; 3],
    position: impl Fn(f32) -> (usize, f32),
    out: &mut Block,
) {
    // Local copies keep the per-sample state in registers.
    let VoiceState { mut phase, mut frequency, mut amplitude, mut waveform, mut lp, mut previous, mut slope } =
        *state;
    // The pair of waves changes rarely: look them up only then.
    let mut pair = usize::MAX;
    let mut waves = (chord_wave(0), chord_wave(1));
    for y in out.iter_mut() {
        frequency += frequency_increment;
        let cutoff = cutoff(frequency);
        phase += frequency;
        if phase >= 1.0 {
            phase -= 1.0;
        }
        waveform += waveform_increment;
        let (wave, wave_fraction) = position(waveform);
        if wave != pair {
            pair = wave;
            waves = (chord_wave(wave), chord_wave(wave + 1));
        }
        let (index, fraction) = split(phase * 256.0);
        let index = index as usize & 255;
        let a0 = waves.0[index] as f32;
        let a = a0 + (waves.0[index + 1] as f32 - a0) * fraction;
        let b0 = waves.1[index] as f32;
        let b = b0 + (waves.1[index + 1] as f32 - b0) * fraction;
        let x = a + (b - a) * wave_fraction;
        // The differentiator, then the one-pole low-pass.
        slope += cutoff * ((x - previous) - slope);
        previous = x;
        lp += (cutoff * 0.5) * (slope - lp);
        amplitude += amplitude_increment;
        *y = amplitude * lp;
    }
    // As for the divide-down voices' gains: no subnormal rest at 0.
    let amplitude = flush_denormal(amplitude);
    *state = VoiceState { phase, frequency, amplitude, waveform, lp, previous, slope };
}

/// One block of `L` voices side by side, each lane ramping toward its
/// frequency, amplitude and scan position targets. Returns the frames, one
/// sample per lane.
fn render_lanes<const L: usize>(
    states: &mut [VoiceState; L],
    targets: &[[f32; 3]; L],
) -> [[f32; L]; BLOCK_SIZE] {
    // stmlib's ParameterInterpolator arithmetic for each ramp.
    let size = BLOCK_SIZE as f32;
    let increment = |ramp: usize, lane: usize| {
        let state = [states[lane].frequency, states[lane].amplitude, states[lane].waveform][ramp];
        (targets[lane][ramp] - state) / size
    };
    let frequency_increment: [f32; L] = std::array::from_fn(|lane| increment(0, lane));
    let amplitude_increment: [f32; L] = std::array::from_fn(|lane| increment(1, lane));
    let waveform_increment: [f32; L] = std::array::from_fn(|lane| increment(2, lane));
    // With every scan position at rest, each lane reads the same pair of
    // waves at the same crossfade all block long.
    let at_rest = (0..L).all(|lane| {
        let waveform = states[lane].waveform;
        (waveform + waveform_increment[lane]).to_bits() == waveform.to_bits()
    });
    // At rest on a wave (crossfade 0, as all over MORPH's lower half), the
    // second wave's weight is zero: see `render_frames`.
    let on_one_wave = at_rest && (0..L).all(|lane| wave_position(states[lane].waveform).1 == 0.0);
    let increments = (frequency_increment, amplitude_increment, waveform_increment);
    if on_one_wave {
        render_frames::<L, false, true>(states, increments)
    } else if at_rest {
        render_frames::<L, false, false>(states, increments)
    } else {
        render_frames::<L, true, false>(states, increments)
    }
}

/// The sample loop of [`render_lanes`]; `SCANNING` when some lane's scan
/// position moves, so that the pair of waves is looked up at every sample.
///
/// `ONE_WAVE` when every lane rests on a wave with crossfade ±0: then
/// `a + (b − a) · ±0` is `a` whenever the reads' fraction is finite (`b − a`
/// is finite, and `a`, a sum from integers, is never −0), so the second wave
/// is read only where the fraction comes from `split` itself.
#[inline(always)]
fn render_frames<const L: usize, const SCANNING: bool, const ONE_WAVE: bool>(
    states: &mut [VoiceState; L],
    (frequency_increment, amplitude_increment, waveform_increment): ([f32; L], [f32; L], [f32; L]),
) -> [[f32; L]; BLOCK_SIZE] {
    // Local copies keep the per-sample state in registers.
    let mut phase = states.map(|state| state.phase);
    let mut frequency = states.map(|state| state.frequency);
    let mut amplitude = states.map(|state| state.amplitude);
    let mut waveform = states.map(|state| state.waveform);
    let mut lp = states.map(|state| state.lp);
    let mut previous = states.map(|state| state.previous);
    let mut slope = states.map(|state| state.slope);

    let positions = |waveform: &[f32; L]| {
        let positions = waveform.map(wave_position);
        (positions.map(|(wave, _)| (chord_wave(wave), chord_wave(wave + 1))), positions.map(|(_, f)| f))
    };
    let (mut waves, mut wave_fraction) = positions(&waveform);

    // Two passes over the block: first the oscillators' phases and wave
    // reads, whose frames do not depend on each other, then the filters,
    // whose feedback makes each frame wait on the previous one. Apart, the
    // processor overlaps many frames of the first pass instead of stalling on
    // the long chain from phase to filter output in every frame.
    let mut cutoffs = [[0.0f32; L]; BLOCK_SIZE];
    let mut inputs = [[0.0f32; L]; BLOCK_SIZE];
    for (cutoff, input) in cutoffs.iter_mut().zip(inputs.iter_mut()) {
        let mut position = [0.0f32; L];
        for lane in 0..L {
            frequency[lane] += frequency_increment[lane];
            let f = frequency[lane];
            cutoff[lane] = self::cutoff(f);
            phase[lane] += f;
            // The wrap as a select, so that it vectorises: `p − (+0)` is `p`
            // for every `p`, −0 included.
            phase[lane] -= if phase[lane] >= 1.0 { 1.0 } else { 0.0 };
            waveform[lane] += waveform_increment[lane];
            position[lane] = phase[lane] * 256.0;
        }
        let (integral, fraction, in_range) = split_lanes(position);
        let index = integral.map(|i| i as usize & 255);
        if SCANNING {
            (waves, wave_fraction) = positions(&waveform);
        }
        if ONE_WAVE && in_range {
            for lane in 0..L {
                let i = index[lane];
                let a0 = waves[lane].0[i] as f32;
                input[lane] = a0 + (waves[lane].0[i + 1] as f32 - a0) * fraction[lane];
            }
            continue;
        }
        // Each lane reads its own pair of waves; the reads are scalar, the
        // arithmetic on them is not.
        let mut samples = [[0.0f32; L]; 4];
        for lane in 0..L {
            let (first, second) = waves[lane];
            let i = index[lane];
            samples[0][lane] = first[i] as f32;
            samples[1][lane] = first[i + 1] as f32;
            samples[2][lane] = second[i] as f32;
            samples[3][lane] = second[i + 1] as f32;
        }
        for lane in 0..L {
            let [a0, a1, b0, b1] = samples.map(|s| s[lane]);
            let a = a0 + (a1 - a0) * fraction[lane];
            let b = b0 + (b1 - b0) * fraction[lane];
            input[lane] = a + (b - a) * wave_fraction[lane];
        }
    }

    let mut frames = [[0.0f32; L]; BLOCK_SIZE];
    for ((frame, cutoff), x) in frames.iter_mut().zip(&cutoffs).zip(&inputs) {
        for lane in 0..L {
            // The differentiator, then the one-pole low-pass.
            slope[lane] += cutoff[lane] * ((x[lane] - previous[lane]) - slope[lane]);
            previous[lane] = x[lane];
            lp[lane] += (cutoff[lane] * 0.5) * (slope[lane] - lp[lane]);
            amplitude[lane] += amplitude_increment[lane];
            frame[lane] = amplitude[lane] * lp[lane];
        }
    }

    for (lane, state) in states.iter_mut().enumerate() {
        *state = VoiceState {
            phase: phase[lane],
            frequency: frequency[lane],
            // As for the divide-down voices' gains: no subnormal rest at 0.
            amplitude: flush_denormal(amplitude[lane]),
            waveform: waveform[lane],
            lp: lp[lane],
            previous: previous[lane],
            slope: slope[lane],
        };
    }
    frames
}

/// [`split`] of every lane: the integral part (toward zero) and the rest.
///
/// `x as i32` saturates and maps NaN to 0, which costs a scalar conversion
/// and fix-ups per lane. In [0, 2^22), where the phases stay, adding 2^23 to
/// x rounds it to the nearest integer in float arithmetic (one less where
/// that rounded up gives the truncation), which vectorises; other inputs take
/// `split` itself. The flag tells whether all lanes took the fast way (so
/// that every fraction is in [0, 1)).
#[inline(always)]
fn split_lanes<const L: usize>(x: [f32; L]) -> ([i32; L], [f32; L], bool) {
    const TWO_22: f32 = 4_194_304.0;
    const TWO_23: f32 = 8_388_608.0;
    let mut in_range = true;
    for x in x {
        in_range &= (0.0..TWO_22).contains(&x);
    }
    if !in_range {
        let parts = x.map(split);
        return (parts.map(|(integral, _)| integral), parts.map(|(_, fractional)| fractional), false);
    }
    let mut integral = [0i32; L];
    let mut fractional = [0.0f32; L];
    for lane in 0..L {
        let rounded = (x[lane] + TWO_23).to_bits() as i32 - TWO_23.to_bits() as i32;
        integral[lane] = rounded - (rounded as f32 > x[lane]) as i32;
        fractional[lane] = x[lane] - integral[lane] as f32;
    }
    (integral, fractional, true)
}

/// One wavetable voice at a time, as the spec writes it: the reference the
/// bank's lanes must match bit for bit.
#[cfg(test)]
mod reference {
    use super::*;
    use crate::dsp::differentiator::Differentiator;
    use crate::dsp::ramp::ParameterRamp;

    /// One wavetable voice of the chord engine.
    #[derive(Clone, Debug, Default)]
    pub struct ChordWavetableOscillator {
        phase: f32,
        frequency: f32,
        amplitude: f32,
        waveform: f32,
        lp: f32,
        differentiator: Differentiator,
    }

    /// Linear read of `wave` at sample `index + fraction` (`index` below 256).
    fn read_wave(wave: &[i16; WAVE_STRIDE], index: usize, fraction: f32) -> f32 {
        let a = wave[index] as f32;
        let b = wave[index + 1] as f32;
        a + (b - a) * fraction
    }

    impl ChordWavetableOscillator {
        /// Writes a block at `frequency` and `amplitude`, scanning the waves with
        /// `waveform` (0 to 1), to `out`.
        pub fn render(&mut self, frequency: f32, amplitude: f32, waveform: f32, out: &mut [f32]) {
            let [frequency, amplitude, waveform] = ramp_targets(frequency, amplitude, waveform);
            let size = out.len();
            let mut frequency_ramp = ParameterRamp::new(self.frequency, frequency, size);
            let mut amplitude_ramp = ParameterRamp::new(self.amplitude, amplitude, size);
            let mut waveform_ramp = ParameterRamp::new(self.waveform, waveform, size);
            for y in out.iter_mut() {
                let f = frequency_ramp.next();
                let cutoff = (256.0 * f).min(1.0);
                self.phase += f;
                if self.phase >= 1.0 {
                    self.phase -= 1.0;
                }
                let (wave, wave_fraction) = wave_position(waveform_ramp.next());
                let (index, fraction) = split(self.phase * 256.0);
                let index = index as usize & 255;
                let a = read_wave(chord_wave(wave), index, fraction);
                let b = read_wave(chord_wave(wave + 1), index, fraction);
                let s = self.differentiator.process(cutoff, a + (b - a) * wave_fraction);
                self.lp += (cutoff * 0.5) * (s - self.lp);
                *y = amplitude_ramp.next() * self.lp;
            }
            self.frequency = frequency_ramp.value();
            self.amplitude = flush_denormal(amplitude_ramp.value());
            self.waveform = waveform_ramp.value();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reference::ChordWavetableOscillator;

    #[test]
    fn every_lane_matches_a_reference_voice_bit_for_bit() {
        use crate::dsp::random::Random;
        const VOICES: usize = 6;
        let mut bank = ChordWavetableBank::<VOICES>::default();
        let mut voices: [ChordWavetableOscillator; VOICES] = Default::default();
        let mut random = Random::default();
        let mut waveform = 0.0;
        for block in 0..4000 {
            // Scan positions held for a while (at rest) and moving; voices
            // switching off and on, low and high pitches, amplitudes to zero.
            if block % 40 < 20 {
                waveform = random.get_float();
            }
            // Some stretches at rest on the first wave (crossfade 0).
            if block % 400 < 100 {
                waveform = 0.0;
            }
            let settings: [Option<(f32, f32)>; VOICES] = std::array::from_fn(|lane| {
                let octave = (block / 100 + lane) % 10;
                let frequency = 0.0005 * (1 << octave) as f32 * (1.0 + 0.01 * lane as f32);
                let amplitude = if (block / 70 + lane) % 5 == 0 { 0.0 } else { 0.25 * random.get_float() };
                ((block / 30 + lane) % 7 != 0).then_some((frequency, amplitude))
            });
            let mut out = [[0.0; BLOCK_SIZE]; VOICES];
            let sounded = bank.render(&settings, waveform, &mut out);
            for lane in 0..VOICES {
                let Some((frequency, amplitude)) = settings[lane] else {
                    assert!(!sounded[lane]);
                    continue;
                };
                assert!(sounded[lane]);
                let mut expected = [0.0; BLOCK_SIZE];
                voices[lane].render(frequency, amplitude, waveform, &mut expected);
                assert_eq!(
                    out[lane].map(f32::to_bits),
                    expected.map(f32::to_bits),
                    "block {block} lane {lane}"
                );
            }
        }
    }

    #[test]
    fn split_lanes_is_split_in_every_lane() {
        let edges =
            [0.0, -0.0, 0.5, 255.999_98, -0.3, -1.0, 4_194_303.5, -4_194_303.5, 4_194_304.0, 3e9, -3e9];
        let specials = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::from_bits(1)];
        for (i, &x) in edges.iter().chain(&specials).enumerate() {
            for &y in &edges[..i % edges.len() + 1] {
                let (integral, fractional, _) = split_lanes([x, y]);
                for (lane, v) in [x, y].into_iter().enumerate() {
                    let (expected_integral, expected_fractional) = split(v);
                    assert_eq!(integral[lane], expected_integral, "{v}");
                    assert_eq!(fractional[lane].to_bits(), expected_fractional.to_bits(), "{v}");
                }
            }
        }
    }

    /// One voice of a one-voice bank: a block at `frequency` into `out`.
    fn render_one(bank: &mut ChordWavetableBank<1>, frequency: f32, waveform: f32, out: &mut [f32]) {
        let mut block = [[0.0; BLOCK_SIZE]];
        assert_eq!(bank.render(&[Some((frequency, 0.25))], waveform, &mut block), [true]);
        out.copy_from_slice(&block[0]);
    }

    #[test]
    fn plays_at_the_requested_pitch_with_bounded_level() {
        let mut bank = ChordWavetableBank::default();
        let frequency = 1.0 / 160.0;
        for waveform in [0.0, 0.3, 0.99] {
            let mut out = vec![0.0; 48_000];
            for block in out.chunks_mut(BLOCK_SIZE) {
                render_one(&mut bank, frequency, waveform, block);
            }
            let tail = &out[24_000..];
            // Periodic: one period later the signal repeats.
            let error = tail[160..].iter().zip(tail).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            let peak = tail.iter().fold(0.0f32, |m, &x| m.max(x.abs()));
            assert!(peak > 0.02 && peak < 0.5, "waveform {waveform}: peak {peak}");
            assert!(error < 1e-3 * peak.max(1.0), "waveform {waveform}: {error}");
        }
    }

    #[test]
    fn silent_voices_keep_their_state() {
        let mut bank = ChordWavetableBank::<2>::default();
        let mut out = [[0.0; BLOCK_SIZE]; 2];
        bank.render(&[Some((0.01, 0.25)), Some((0.02, 0.25))], 0.5, &mut out);
        let before = bank.voices[1];
        assert_eq!(bank.render(&[Some((0.01, 0.25)), None], 0.5, &mut out), [true, false]);
        assert_eq!(bank.voices[1], before);
    }
}
