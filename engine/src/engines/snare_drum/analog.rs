//! The 808-style snare on OUT: a trigger pulse ringing up to five resonant shell
//! modes, plus band-passed, half-wave rectified noise for the snares (engines-8-15.md §8.2).

use crate::dsp::denormal::flush_denormals;
use crate::dsp::filter::{SvfCoefficients, TanApproximation};
use crate::dsp::ramp::ParameterRamp;
use crate::dsp::random::Random;
use crate::dsp::sine::sine_no_wrap;
use crate::dsp::soft_clip::soft_limit;
use crate::dsp::units::semitones_to_ratio;
use crate::engines::drum_pulse::TriggerPulse;
use crate::engines::memo::Memo;
use crate::engines::BLOCK_SIZE;
use crate::tables::LUT_SINE;

/// Number of shell modes.
const MODES: usize = 5;
/// Frequencies of the shell modes relative to the fundamental.
const MODE_RATIOS: [f32; MODES] = [1.00, 2.00, 3.18, 4.16, 5.62];
/// Per-sample decay of the trigger pulse tail (0.1 ms time constant).
const PULSE_DECAY: f32 = 1.0 - 1.0 / 4.8;

/// What one block of the analog snare needs.
#[derive(Clone, Copy, Debug)]
pub struct AnalogSnareDrumParameters {
    /// Free-running (TRIG unpatched): sustained mode sines and noise.
    pub sustain: bool,
    /// A rising edge in this block.
    pub trigger: bool,
    /// Strike strength (LEVEL), 0 to about 1.
    pub accent: f32,
    /// Pitch, cycles per sample.
    pub f0: f32,
    /// Balance of the shell modes: two modes below 2/3, five above.
    pub tone: f32,
    /// Shell and noise decay (triggered) or level (sustained), 0 to 1.
    pub decay: f32,
    /// Noise against shell balance, 0 to 1.
    pub snappy: f32,
}

/// State of the analog snare.
#[derive(Clone, Debug, Default)]
pub struct AnalogSnareDrum {
    pulse: TriggerPulse,
    pulse_lp: f32,
    noise_env: f32,
    sustain_gain: f32,
    /// The shell modes' resonator states (the first and second state of each
    /// mode side by side, so that the modes step as vector lanes); their
    /// coefficients are set anew every block.
    resonators: [[f32; MODES]; 2],
    /// Phases of the shell modes' sines (TRIG unpatched).
    phases: [f32; MODES],
    /// The snares' band-pass filter's states; its coefficients are block constants.
    noise_state: [f32; 2],
    /// The block constants from pitch, decay, snappy and tone.
    constants: Memo<4, AnalogSnareDrumConstants>,
}

/// What an [`AnalogSnareDrum`]'s block needs of its pitch, decay, snappy and
/// tone alone: worked out again only when one of them moves.
#[derive(Clone, Copy, Debug)]
struct AnalogSnareDrumConstants {
    noise_env_decay: f32,
    exciter_leak: f32,
    snappy: f32,
    /// The shell modes' frequencies.
    f: [f32; MODES],
    coefficients: [SvfCoefficients; MODES],
    gains: [f32; MODES],
    noise_coefficients: SvfCoefficients,
}

impl AnalogSnareDrumConstants {
    fn new([f0, decay, snappy, tone]: [f32; 4]) -> Self {
        let decay_xt = decay * (1.0 + decay * (decay - 1.0));
        let q = 2000.0 * semitones_to_ratio(decay_xt * 84.0);
        let noise_env_decay = 1.0 - 0.0017 * semitones_to_ratio(-decay * (50.0 + snappy * 10.0));
        let mut f = [0.0; MODES];
        let mut coefficients = [None; MODES];
        for (i, (coefficients, f)) in coefficients.iter_mut().zip(f.iter_mut()).enumerate() {
            *f = (f0 * MODE_RATIOS[i]).min(0.499);
            let mode_q = if i == 0 { q } else { q * 0.25 };
            *coefficients = Some(SvfCoefficients::new(*f, 1.0 + *f * mode_q, TanApproximation::Fast));
        }
        let noise_f = (f0 * 16.0).clamp(0.0, 0.499);
        Self {
            noise_env_decay,
            // The pulse leaks into the output in proportion to the raw snappy setting.
            exciter_leak: snappy * (2.0 - snappy) * 0.1,
            snappy: (snappy * 1.1 - 0.05).clamp(0.0, 1.0),
            f,
            coefficients: coefficients.map(|c| c.expect("set for every mode")),
            gains: mode_gains(tone),
            noise_coefficients: SvfCoefficients::new(noise_f, 1.0 + noise_f * 1.5, TanApproximation::Fast),
        }
    }
}

/// Gains of the five shell modes for a TIMBRE setting.
fn mode_gains(tone: f32) -> [f32; MODES] {
    if tone < 0.666667 {
        let t = tone * 1.5;
        [1.5 + ((1.0 - t) * (1.0 - t)) * 4.5, 2.0 * t + 0.15, 0.0, 0.0, 0.0]
    } else {
        let t = (tone - 0.666667) * 3.0;
        let t2 = t * t;
        [1.5 - t * 0.5, 2.15 - t * 0.7, t, t2, t2 * t2]
    }
}

/// Width of an SSE vector.
const LANES: usize = 4;

/// [`sine_no_wrap`] of every phase of a block.
///
/// For phases in [0, 1), `phase · 1024` is in [0, 1024), where adding 2^23
/// rounds it to the nearest integer in float arithmetic (one less where that
/// rounded up gives the truncation of `as i32`) and the table index needs no
/// clamp: the same bits, in vector arithmetic. Other phases take
/// `sine_no_wrap` itself.
#[inline(always)]
fn sines(phases: &[f32; BLOCK_SIZE]) -> [f32; BLOCK_SIZE] {
    const TWO_23: f32 = 8_388_608.0;
    let mut in_range = true;
    for &phase in phases {
        in_range &= (0.0..1.0).contains(&phase);
    }
    if !in_range {
        return phases.map(sine_no_wrap);
    }
    let mut sines = [0.0f32; BLOCK_SIZE];
    for (sine, &phase) in sines.iter_mut().zip(phases) {
        let position = phase * 1024.0;
        let rounded = (position + TWO_23).to_bits() as i32 - TWO_23.to_bits() as i32;
        let integral = rounded - (rounded as f32 > position) as i32;
        let fractional = position - integral as f32;
        let index = (integral & 1023) as usize;
        let a = LUT_SINE[index];
        let b = LUT_SINE[index + 1];
        *sine = a + (b - a) * fractional;
    }
    sines
}

/// `soft_clip(x)`, with `soft_limit(x)` worked out for every input and then
/// selected: the same bits, without branches.
#[inline(always)]
fn soft_clip_select(x: f32) -> f32 {
    let limited = soft_limit(x);
    if x < -3.0 {
        -1.0
    } else if x > 3.0 {
        1.0
    } else {
        limited
    }
}

/// One block of the analog snare up to its filters: what
/// [`AnalogSnareDrum::finish`] needs for each sample.
#[derive(Clone, Copy, Debug)]
pub struct AnalogSnareDrumBlock {
    /// With TRIG unpatched, the shell: the modes' sines summed.
    sustain: bool,
    shells: [f32; BLOCK_SIZE],
    /// Otherwise the pulse exciting mode 0 and the others.
    excitations: [[f32; 2]; BLOCK_SIZE],
    coefficients: [SvfCoefficients; MODES],
    gains: [f32; MODES],
    exciter_leak: f32,
    /// The scaled noise for the snares' filter.
    noises: [f32; BLOCK_SIZE],
    noise_coefficients: SvfCoefficients,
    shell_level: f32,
}

impl AnalogSnareDrum {
    /// Renders one block into `out`, drawing 12 random numbers.
    #[cfg(test)]
    pub fn render(
        &mut self,
        p: &AnalogSnareDrumParameters,
        random: &mut Random,
        out: &mut [f32; BLOCK_SIZE],
    ) {
        let block = self.prepare(p, random);
        self.finish(&block, out, |_| {});
    }

    /// Everything of one block but the filters, drawing 12 random numbers:
    /// the pulse, ramps and noise (each sample follows from the previous
    /// one) and, with TRIG unpatched, the shell's sines. Each sample keeps
    /// its operations and their order, and the generator is drawn in the
    /// same order.
    pub fn prepare(&mut self, p: &AnalogSnareDrumParameters, random: &mut Random) -> AnalogSnareDrumBlock {
        self.pulse.flush_denormals();
        flush_denormals([&mut self.pulse_lp, &mut self.noise_env]);

        let decay = p.decay;
        let AnalogSnareDrumConstants {
            noise_env_decay,
            exciter_leak,
            snappy,
            f,
            coefficients,
            gains,
            noise_coefficients,
        } = self.constants.get([p.f0, decay, p.snappy, p.tone], AnalogSnareDrumConstants::new);

        if p.trigger {
            self.pulse.trigger(3.0 + 7.0 * p.accent);
            self.noise_env = 2.0;
        }

        let mut sustain_gain = ParameterRamp::new(self.sustain_gain, p.accent * decay, BLOCK_SIZE);

        let mut excitations = [[0.0f32; 2]; BLOCK_SIZE];
        let mut sustain_gains = [0.0f32; BLOCK_SIZE];
        let mut noises = [0.0f32; BLOCK_SIZE];
        for i in 0..BLOCK_SIZE {
            let pulse = self.pulse.next(PULSE_DECAY);
            let sustain_gain = sustain_gain.next();
            self.pulse_lp += 0.75 * (pulse - self.pulse_lp);
            excitations[i] = [(pulse - self.pulse_lp) + 0.006 * pulse, 0.026 * pulse];
            sustain_gains[i] = sustain_gain;

            // Half-wave rectified white noise.
            let noise = (2.0 * random.get_float() - 1.0).max(0.0);
            self.noise_env *= noise_env_decay;
            let noise_gain = if p.sustain { sustain_gain } else { self.noise_env };
            // The firmware scales in place (`noise *= gain · snappy · 2`): the gains
            // are multiplied together first. Spec §8.2 reads as left to right, which
            // gave rare 1-LSB differences against the real module.
            noises[i] = noise * (noise_gain * snappy * 2.0);
        }

        // Each sample's shell sum starts at +0 and adds the modes in order.
        let mut shells = [0.0f32; BLOCK_SIZE];
        if p.sustain {
            // Every mode's phase moves, as a sine oscillator's does (the
            // frequency clamped to 0.5, wrapped at 1), all modes side by side
            // in two vectors (the lanes past the modes stay at rest).
            let mut phase = [0.0f32; 2 * LANES];
            let mut increment = [0.0f32; 2 * LANES];
            phase[..MODES].copy_from_slice(&self.phases);
            for (increment, f) in increment.iter_mut().zip(f) {
                *increment = f.min(0.5);
            }
            let mut phases = [[0.0f32; 2 * LANES]; BLOCK_SIZE];
            for frame in phases.iter_mut() {
                for m in 0..2 * LANES {
                    phase[m] += increment[m];
                    if phase[m] >= 1.0 {
                        phase[m] -= 1.0;
                    }
                }
                *frame = phase;
            }
            self.phases.copy_from_slice(&phase[..MODES]);
            // A silent mode adds ±0 (its sine is finite), which leaves the
            // sum unchanged: only its phase needs to move.
            for (m, &gain) in gains.iter().enumerate() {
                if gain != 0.0 {
                    let sines = sines(&phases.map(|frame| frame[m]));
                    for ((shell, sine), &sustain_gain) in shells.iter_mut().zip(sines).zip(&sustain_gains) {
                        *shell += gain * (sine * sustain_gain * 0.25);
                    }
                }
            }
        }
        self.sustain_gain = sustain_gain.value();
        AnalogSnareDrumBlock {
            sustain: p.sustain,
            shells,
            excitations,
            coefficients,
            gains,
            exciter_leak,
            noises,
            noise_coefficients,
            shell_level: 1.0 - snappy,
        }
    }

    /// The rest of a prepared block into `out`: the shell's resonators (when
    /// triggered) and the snares' filter, which make each sample wait on the
    /// previous one, the shell's clipping and the mix. `beside(i)` runs after
    /// sample `i`, so that other such work can share the loop and its waits.
    #[inline(always)]
    pub fn finish(
        &mut self,
        block: &AnalogSnareDrumBlock,
        out: &mut [f32; BLOCK_SIZE],
        beside: impl FnMut(usize),
    ) {
        if block.sustain {
            self.finish_with::<true>(block, out, beside);
        } else {
            self.finish_with::<false>(block, out, beside);
        }
    }

    /// [`Self::finish`] with TRIG unpatched (`SUSTAIN`) or not. Without the
    /// resonators the loop waits on the filters, and the clipping fits in
    /// those waits; with them, the clipping runs after the loop, over the
    /// whole block, where it vectorises, divisions included.
    #[inline(always)]
    fn finish_with<const SUSTAIN: bool>(
        &mut self,
        block: &AnalogSnareDrumBlock,
        out: &mut [f32; BLOCK_SIZE],
        mut beside: impl FnMut(usize),
    ) {
        // Local copies keep the resonators' states in registers.
        let [mut state_1, mut state_2] = self.resonators;
        let [mut noise_1, mut noise_2] = self.noise_state;
        let mut shells = block.shells;
        let mut noises = [0.0f32; BLOCK_SIZE];
        for i in 0..BLOCK_SIZE {
            if !SUSTAIN {
                // The five modes side by side, each lane one resonator; the
                // sum starts at +0 and adds the modes in order.
                let [e0, e1] = block.excitations[i];
                let excitation = [e0, e1, e1, e1, e1];
                let mut bp = [0.0f32; MODES];
                for m in 0..MODES {
                    bp[m] = block.coefficients[m].step(excitation[m], &mut state_1[m], &mut state_2[m]).bp;
                }
                for m in 0..MODES {
                    shells[i] += block.gains[m] * (bp[m] + excitation[m] * block.exciter_leak);
                }
            }
            let noise = block.noise_coefficients.step(block.noises[i], &mut noise_1, &mut noise_2).bp;
            if SUSTAIN {
                out[i] = noise + soft_clip_select(shells[i]) * block.shell_level;
            } else {
                noises[i] = noise;
            }
            beside(i);
        }
        if !SUSTAIN {
            for ((y, &shell), &noise) in out.iter_mut().zip(&shells).zip(&noises) {
                *y = noise + soft_clip_select(shell) * block.shell_level;
            }
        }
        self.resonators = [state_1, state_2];
        self.noise_state = [noise_1, noise_2];
    }
}

/// The analog snare one sample at a time, as the spec writes it: the
/// reference the prepared passes and shared loop must match bit for bit.
#[cfg(test)]
mod reference {
    use super::*;
    use crate::dsp::filter::Svf;
    use crate::dsp::sine::SineOscillator;
    use crate::dsp::soft_clip::soft_clip;

    /// The analog snare as the spec writes it, one sample at a time.
    #[derive(Clone, Debug, Default)]
    pub struct AnalogSnareDrum {
        pulse: TriggerPulse,
        pulse_lp: f32,
        noise_env: f32,
        sustain_gain: f32,
        resonators: [Svf; MODES],
        oscillators: [SineOscillator; MODES],
        noise_filter: Svf,
    }

    impl AnalogSnareDrum {
        /// Renders one block into `out`, drawing 12 random numbers.
        pub fn render(
            &mut self,
            p: &AnalogSnareDrumParameters,
            random: &mut Random,
            out: &mut [f32; BLOCK_SIZE],
        ) {
            self.pulse.flush_denormals();
            flush_denormals([&mut self.pulse_lp, &mut self.noise_env]);

            let decay = p.decay;
            let decay_xt = decay * (1.0 + decay * (decay - 1.0));
            let q = 2000.0 * semitones_to_ratio(decay_xt * 84.0);
            let noise_env_decay = 1.0 - 0.0017 * semitones_to_ratio(-decay * (50.0 + p.snappy * 10.0));
            // The pulse leaks into the output in proportion to the raw snappy setting.
            let exciter_leak = p.snappy * (2.0 - p.snappy) * 0.1;
            let snappy = (p.snappy * 1.1 - 0.05).clamp(0.0, 1.0);

            if p.trigger {
                self.pulse.trigger(3.0 + 7.0 * p.accent);
                self.noise_env = 2.0;
            }

            let mut f = [0.0; MODES];
            for (i, (resonator, f)) in self.resonators.iter_mut().zip(f.iter_mut()).enumerate() {
                *f = (p.f0 * MODE_RATIOS[i]).min(0.499);
                let mode_q = if i == 0 { q } else { q * 0.25 };
                resonator.set_frequency_q(*f, 1.0 + *f * mode_q, TanApproximation::Fast);
            }
            let gains = mode_gains(p.tone);

            let noise_f = (p.f0 * 16.0).clamp(0.0, 0.499);
            self.noise_filter.set_frequency_q(noise_f, 1.0 + noise_f * 1.5, TanApproximation::Fast);

            let mut sustain_gain = ParameterRamp::new(self.sustain_gain, p.accent * decay, BLOCK_SIZE);

            for y in out.iter_mut() {
                let pulse = self.pulse.next(PULSE_DECAY);
                let sustain_gain = sustain_gain.next();
                self.pulse_lp += 0.75 * (pulse - self.pulse_lp);

                let mut shell = 0.0;
                if p.sustain {
                    for ((oscillator, &f), &gain) in
                        self.oscillators.iter_mut().zip(f.iter()).zip(gains.iter())
                    {
                        // A silent mode adds ±0 (its sine is finite), which leaves
                        // the sum unchanged: only its phase needs to move.
                        if gain == 0.0 {
                            oscillator.advance(f);
                        } else {
                            shell += gain * (oscillator.next(f) * sustain_gain * 0.25);
                        }
                    }
                } else {
                    let excitations = [(pulse - self.pulse_lp) + 0.006 * pulse, 0.026 * pulse];
                    for (i, (resonator, &gain)) in self.resonators.iter_mut().zip(gains.iter()).enumerate() {
                        let excitation = excitations[(i > 0) as usize];
                        shell += gain * (resonator.process(excitation).bp + excitation * exciter_leak);
                    }
                }
                let shell = soft_clip(shell);

                // Half-wave rectified white noise.
                let noise = (2.0 * random.get_float() - 1.0).max(0.0);
                self.noise_env *= noise_env_decay;
                let noise_gain = if p.sustain { sustain_gain } else { self.noise_env };
                // The firmware scales in place (`noise *= gain · snappy · 2`): the gains
                // are multiplied together first. Spec §8.2 reads as left to right, which
                // gave rare 1-LSB differences against the real module.
                let noise = self.noise_filter.process(noise * (noise_gain * snappy * 2.0)).bp;
                *y = noise + shell * (1.0 - snappy);
            }
            self.sustain_gain = sustain_gain.value();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::filter::Svf;
    use crate::dsp::units::note_to_frequency;
    use crate::engines::drum_test_support::{amplitude_at, peak};

    fn parameters(tone: f32, decay: f32, snappy: f32) -> AnalogSnareDrumParameters {
        AnalogSnareDrumParameters {
            sustain: false,
            trigger: true,
            accent: 0.8,
            f0: note_to_frequency(60.0),
            tone,
            decay,
            snappy,
        }
    }

    fn render(
        drum: &mut AnalogSnareDrum,
        first: &AnalogSnareDrumParameters,
        blocks: usize,
        seed: u32,
    ) -> Vec<f32> {
        let rest = AnalogSnareDrumParameters { trigger: false, ..*first };
        let mut random = Random::default();
        for _ in 0..seed {
            random.get_word();
        }
        let mut out = Vec::new();
        let mut block = [0.0; BLOCK_SIZE];
        for i in 0..blocks {
            drum.render(if i == 0 { first } else { &rest }, &mut random, &mut block);
            out.extend_from_slice(&block);
        }
        out
    }

    #[test]
    fn blocks_match_the_reference_bit_for_bit() {
        let mut drum = AnalogSnareDrum::default();
        let mut expected_drum = reference::AnalogSnareDrum::default();
        let (mut random, mut expected_random) = (Random::default(), Random::default());
        let mut settings = Random::default();
        let mut p = parameters(0.5, 0.5, 0.5);
        for block in 0..3000 {
            // Settings held for a while, then changed: free-running and
            // triggered, every TIMBRE range, low to very high notes.
            if block % 50 == 0 {
                p = AnalogSnareDrumParameters {
                    sustain: block % 150 == 0,
                    trigger: false,
                    accent: settings.get_float(),
                    f0: 0.001 * (1 << (block / 50 % 9)) as f32 * (0.5 + settings.get_float()),
                    tone: settings.get_float() * 1.1,
                    decay: settings.get_float(),
                    snappy: settings.get_float(),
                };
            }
            let p = AnalogSnareDrumParameters { trigger: !p.sustain && block % 23 == 0, ..p };
            let mut out = [0.0; BLOCK_SIZE];
            let mut expected = [0.0; BLOCK_SIZE];
            drum.render(&p, &mut random, &mut out);
            expected_drum.render(&p, &mut expected_random, &mut expected);
            assert_eq!(out.map(f32::to_bits), expected.map(f32::to_bits), "block {block}");
        }
    }

    #[test]
    fn block_sines_are_sine_no_wrap_bit_for_bit() {
        let edges = [0.0, -0.0, 0.25, 0.499_999_97, 0.5, 0.999_999_94, 1.0, -0.1, 1.5, 3e9];
        let specials = [f32::NAN, f32::INFINITY, f32::from_bits(1)];
        let mut random = Random::default();
        for block in 0..200 {
            // Mostly in-range blocks, some with one edge or special value.
            let mut phases: [f32; BLOCK_SIZE] = std::array::from_fn(|_| random.get_float());
            if block % 3 == 0 {
                let all: Vec<f32> = edges.iter().chain(&specials).copied().collect();
                phases[block % BLOCK_SIZE] = all[block / 3 % all.len()];
            }
            let expected = phases.map(sine_no_wrap);
            assert_eq!(sines(&phases).map(f32::to_bits), expected.map(f32::to_bits), "{phases:?}");
        }
    }

    #[test]
    fn two_modes_below_two_thirds_of_timbre_and_five_above() {
        assert_eq!(mode_gains(0.0), [6.0, 0.15, 0.0, 0.0, 0.0]);
        assert_eq!(mode_gains(0.6)[2..], [0.0, 0.0, 0.0]);
        let g = mode_gains(1.0);
        for (a, b) in g.iter().zip([1.0, 1.45, 1.0, 1.0, 1.0]) {
            assert!((a - b).abs() < 1e-5, "{g:?}");
        }
    }

    #[test]
    fn shell_modes_ring_at_1_and_2_times_f0_and_at_3_18_above_two_thirds() {
        let f0 = note_to_frequency(60.0);
        let two = render(&mut AnalogSnareDrum::default(), &parameters(0.5, 0.5, 0.0), 800, 0);
        let five = render(&mut AnalogSnareDrum::default(), &parameters(1.0, 0.5, 0.0), 800, 0);
        let window = &two[480..9600];
        let between = amplitude_at(window, 1.5 * f0);
        assert!(amplitude_at(window, f0) > 10.0 * between);
        assert!(amplitude_at(window, 2.0 * f0) > 10.0 * between);
        let window = &five[480..9600];
        assert!(amplitude_at(window, 3.18 * f0) > 5.0 * amplitude_at(&two[480..9600], 3.18 * f0));
    }

    #[test]
    fn mode_0_time_constant_follows_the_q_law() {
        // Morph 0.5: decay' = 0.375, τ ≈ 2000 · 2^(7 · 0.375) / (π · 48 kHz) ≈ 82 ms.
        let out = render(&mut AnalogSnareDrum::default(), &parameters(0.0, 0.5, 0.0), 1000, 0);
        let ratio = peak(&out[9600..12_000]) / peak(&out[2400..4800]);
        let tau = 0.15 / -ratio.ln();
        let expected = 2000.0 * 2f32.powf(7.0 * 0.375) / (std::f32::consts::PI * 48_000.0);
        assert!((tau / expected - 1.0).abs() < 0.15, "τ {tau} s, expected {expected} s");
    }

    #[test]
    fn snappy_0_is_all_shell_and_snappy_1_all_noise() {
        let a = render(&mut AnalogSnareDrum::default(), &parameters(0.5, 0.5, 0.0), 100, 0);
        let b = render(&mut AnalogSnareDrum::default(), &parameters(0.5, 0.5, 0.0), 100, 12345);
        assert_eq!(a, b, "no noise at snappy 0");
        let mut drum = AnalogSnareDrum::default();
        let noise = render(&mut drum, &parameters(0.5, 0.5, 1.0), 100, 0);
        let mut filter = Svf::default();
        let f = (note_to_frequency(60.0) * 16.0).clamp(0.0, 0.499);
        filter.set_frequency_q(f, 1.0 + f * 1.5, TanApproximation::Fast);
        let mut random = Random::default();
        let mut envelope = 2.0f32;
        let k = 1.0 - 0.0017 * semitones_to_ratio(-0.5 * 60.0);
        for x in noise {
            envelope *= k;
            let n = (2.0 * random.get_float() - 1.0).max(0.0);
            let expected = filter.process(n * (envelope * 1.0 * 2.0)).bp;
            assert_eq!(x, expected, "only the band-passed noise, decaying from 2 by k_noise per sample");
        }
    }
}
