//! The "909-ish" synthetic bass drum on AUX: a distorted sine with a pitch
//! envelope through a transistor-style VCA, plus a click and noise transient
//! (engines-8-15.md §7.4).

use crate::dsp::denormal::flush_denormals;
use crate::dsp::filter::{Svf, TanApproximation};
use crate::dsp::interpolate::{interpolate, interpolate_wrap};
use crate::dsp::ramp::ParameterRamp;
use crate::dsp::random::Random;
use crate::dsp::units::semitones_to_ratio;
use crate::engines::memo::Memo;
use crate::engines::BLOCK_SIZE;
use crate::tables::LUT_SINE;

/// How long the body envelope holds at its peak after a trigger (1 ms).
const BODY_HOLD_SAMPLES: u32 = 48;
/// How long the phase is held at a quarter turn after a trigger: trunc(48000 · 0.0013).
const FM_HOLD_SAMPLES: u32 = 62;
/// Per-sample decay of the transient (5 ms time constant).
const TRANSIENT_DECAY: f32 = 1.0 - 1.0 / (0.005 * 48_000.0);

/// The click: a slewed step, high-passed, then low-passed at 5 kHz.
#[derive(Clone, Debug)]
struct Click {
    lp: f32,
    hp: f32,
    filter: Svf,
}

impl Default for Click {
    fn default() -> Self {
        let mut filter = Svf::default();
        filter.set_frequency_q(5000.0 / 48_000.0, 2.0, TanApproximation::Fast);
        Self { lp: 0.0, hp: 0.0, filter }
    }
}

impl Click {
    #[inline]
    fn process(&mut self, x: f32) -> f32 {
        let error = x - self.lp;
        let slope = if error > 0.0 { 0.5 } else { 0.1 };
        self.lp += slope * error;
        self.hp += 0.04 * (self.lp - self.hp);
        self.filter.low_pass(self.lp - self.hp)
    }
}

/// Band-limited white noise for the attack (one random draw per sample).
#[derive(Clone, Debug, Default)]
struct AttackNoise {
    lp: f32,
    hp: f32,
}

impl AttackNoise {
    #[inline]
    fn next(&mut self, random: &mut Random) -> f32 {
        let sample = random.get_float();
        self.lp += 0.05 * (sample - self.lp);
        self.hp += 0.005 * (self.lp - self.hp);
        self.lp - self.hp
    }
}

/// A sine morphing into a soft square as `dirtiness` grows, with phase noise
/// already added to the phase.
///
/// `NEAR` promises `|phase| < 2`, where the phase's integral part and that of
/// the table position a quarter turn on are −1, 0 or 1: they are then taken
/// by comparisons instead of float-to-integer conversions, with the same
/// results.
#[inline(always)]
fn distorted_sine<const NEAR: bool>(phase: f32, dirtiness: f32) -> f32 {
    // Truncation toward zero: a slightly negative phase stays negative, as in the original.
    let phase = if NEAR { phase - truncate_near_zero(phase) } else { phase - (phase as i32) as f32 };
    let triangle = 4.0 * if phase < 0.5 { phase } else { 1.0 - phase } - 1.0;
    let square = 2.0 * triangle / (1.0 + triangle.abs());
    let clean = if NEAR {
        let index = phase + 0.75;
        interpolate(&LUT_SINE, index - truncate_near_zero(index), 1024.0)
    } else {
        interpolate_wrap(&LUT_SINE, phase + 0.75, 1024.0)
    };
    square + (1.0 - dirtiness) * (clean - square)
}

/// `(x as i32) as f32` for `|x| < 2`.
#[inline(always)]
fn truncate_near_zero(x: f32) -> f32 {
    debug_assert!(x.abs() < 2.0);
    if x >= 1.0 {
        1.0
    } else if x <= -1.0 {
        -1.0
    } else {
        0.0
    }
}

/// A saturating VCA with a little control-voltage bleed.
#[inline]
fn transistor_vca(s: f32, gain: f32) -> f32 {
    let s = (s - 0.6) * gain;
    3.0 * s / (2.0 + s.abs()) + gain * 0.3
}

/// What [`shape`] needs of one sample, from [`SyntheticBassDrum::advance`].
#[derive(Clone, Copy, Debug, Default)]
pub struct SyntheticBassDrumFrame {
    phase: f32,
    phase_noise: f32,
    /// VCA gain: the body envelope, or the sustain level.
    gain: f32,
    /// Transient level, already scaled; +0.0 in sustain mode.
    transient: f32,
}

/// The waveshaping of a run of samples: distorted sine, VCA and transient.
///
/// None of it feeds back into the drum's state, so it runs apart from the
/// recurrences, one independent sample per vector lane; each lane keeps the
/// scalar order of operations, so the output bits are unchanged.
#[inline]
pub fn shape(
    b: &SyntheticBassDrumBlock,
    frames: &[SyntheticBassDrumFrame; BLOCK_SIZE],
    mix: &mut [f32; BLOCK_SIZE],
) {
    let phases = frames.map(|f| f.phase + f.phase_noise * b.dirtiness);
    // The phase is in [0, 1) and the noise within ±0.5, so this holds unless
    // the dirtiness is far out of range.
    if phases.iter().all(|p| p.abs() < 2.0) {
        shape_phases::<true>(b, frames, &phases, mix);
    } else {
        shape_phases::<false>(b, frames, &phases, mix);
    }
}

/// [`shape`] from the noisy phases; `NEAR` as in [`distorted_sine`].
#[inline(always)]
fn shape_phases<const NEAR: bool>(
    b: &SyntheticBassDrumBlock,
    frames: &[SyntheticBassDrumFrame; BLOCK_SIZE],
    phases: &[f32; BLOCK_SIZE],
    mix: &mut [f32; BLOCK_SIZE],
) {
    for ((m, f), &phase) in mix.iter_mut().zip(frames).zip(phases) {
        let body = distorted_sine::<NEAR>(phase, b.dirtiness);
        *m = (0.0 - transistor_vca(body, f.gain)) - f.transient;
    }
}

/// What one block of the synthetic bass drum needs.
#[derive(Clone, Copy, Debug)]
pub struct SyntheticBassDrumParameters {
    /// Free-running (TRIG unpatched): a sustained distorted sine.
    pub sustain: bool,
    /// A rising edge in this block.
    pub trigger: bool,
    /// Strike strength (LEVEL), 0 to about 1.
    pub accent: f32,
    /// Pitch, cycles per sample.
    pub f0: f32,
    /// Tone low-pass cutoff and transient level, 0 to 1.
    pub tone: f32,
    /// Body decay (triggered) or level (sustained), 0 to 1.
    pub decay: f32,
    /// Sine-to-square distortion and phase noise, 0 to 1.
    pub dirtiness: f32,
    /// Depth of the pitch envelope, 0 to 1.
    pub fm_envelope_amount: f32,
    /// Length of the pitch envelope, 0 to 1.
    pub fm_envelope_decay: f32,
}

/// State of the synthetic bass drum.
#[derive(Clone, Debug, Default)]
pub struct SyntheticBassDrum {
    f0: f32,
    phase: f32,
    phase_noise: f32,
    fm: f32,
    fm_lp: f32,
    body_env: f32,
    body_env_lp: f32,
    transient_env: f32,
    transient_env_lp: f32,
    sustain_gain: f32,
    tone_lp: f32,
    body_env_hold: u32,
    fm_hold: u32,
    click: Click,
    noise: AttackNoise,
    /// The block constants from the pitch envelope's decay, decay, pitch and tone.
    constants: Memo<4, [f32; 3]>,
}

/// Per-block constants and ramps of a [`SyntheticBassDrum`], from [`SyntheticBassDrum::begin_block`].
#[derive(Clone, Debug)]
pub struct SyntheticBassDrumBlock {
    /// Free-running: see [`SyntheticBassDrumParameters::sustain`].
    pub sustain: bool,
    dirtiness: f32,
    fm_envelope_amount: f32,
    fm_decay: f32,
    body_env_decay: f32,
    tone_f: f32,
    transient_level: f32,
    f0: ParameterRamp,
    sustain_gain: ParameterRamp,
}

impl SyntheticBassDrum {
    /// Starts a block: handles the trigger and computes the block's constants.
    pub fn begin_block(&mut self, p: &SyntheticBassDrumParameters) -> SyntheticBassDrumBlock {
        flush_denormals([
            &mut self.fm,
            &mut self.fm_lp,
            &mut self.body_env,
            &mut self.body_env_lp,
            &mut self.transient_env,
            &mut self.transient_env_lp,
            &mut self.tone_lp,
        ]);

        if p.trigger {
            self.fm = 1.0;
            self.body_env = 0.3 + 0.7 * p.accent;
            self.transient_env = self.body_env;
            self.body_env_hold = BODY_HOLD_SAMPLES;
            self.fm_hold = FM_HOLD_SAMPLES;
        }

        let decay = p.decay * p.decay;
        let fm_decay = p.fm_envelope_decay * p.fm_envelope_decay;
        let [fm_decay, body_env_decay, tone_f] =
            self.constants.get([fm_decay, decay, p.f0, p.tone], |[fm_decay, decay, f0, tone]| {
                [
                    1.0 - 1.0 / (0.008 * (1.0 + fm_decay * 4.0) * 48_000.0),
                    1.0 - (1.0 / (0.02 * 48_000.0)) * semitones_to_ratio(decay * -60.0),
                    (4.0 * f0 * semitones_to_ratio(tone * 108.0)).min(1.0),
                ]
            });
        SyntheticBassDrumBlock {
            sustain: p.sustain,
            dirtiness: p.dirtiness * (1.0 - 8.0 * p.f0).max(0.0),
            fm_envelope_amount: p.fm_envelope_amount,
            fm_decay,
            body_env_decay,
            tone_f,
            transient_level: p.tone,
            // Read only when the phase moves: frozen during the hold after a trigger.
            f0: ParameterRamp::new(self.f0, p.f0, BLOCK_SIZE),
            // Advanced only in sustain mode: the ramp freezes while triggered.
            sustain_gain: ParameterRamp::new(self.sustain_gain, p.accent * decay, BLOCK_SIZE),
        }
    }

    /// The recurrent part of one sample: advances every state except the tone
    /// filter and returns what [`shape`] turns into the sample. Draws 1 random
    /// number in sustain mode, 2 when triggered.
    ///
    /// `SUSTAIN` is the block's `sustain`, a constant so that the engine's loop
    /// is compiled once per mode.
    #[inline(always)]
    pub fn advance<const SUSTAIN: bool>(
        &mut self,
        b: &mut SyntheticBassDrumBlock,
        random: &mut Random,
    ) -> SyntheticBassDrumFrame {
        self.phase_noise += 0.002 * ((random.get_float() - 0.5) - self.phase_noise);
        if SUSTAIN {
            self.phase += b.f0.next();
            if self.phase >= 1.0 {
                self.phase -= 1.0;
            }
            // No transient: subtracting +0.0 leaves the mix unchanged.
            return SyntheticBassDrumFrame {
                phase: self.phase,
                phase_noise: self.phase_noise,
                gain: b.sustain_gain.next(),
                transient: 0.0,
            };
        }
        if self.fm_hold > 0 {
            // The phase is held and the f0 ramp is not advanced.
            self.fm_hold -= 1;
            self.phase = 0.25;
        } else {
            self.fm *= b.fm_decay;
            let fm = 1.0 + 3.5 * b.fm_envelope_amount * self.fm_lp;
            self.phase += (b.f0.next() * fm).min(0.5);
            if self.phase >= 1.0 {
                self.phase -= 1.0;
            }
        }
        if self.body_env_hold > 0 {
            self.body_env_hold -= 1;
        } else {
            self.body_env *= b.body_env_decay;
            self.transient_env *= TRANSIENT_DECAY;
        }
        self.body_env_lp += 0.1 * (self.body_env - self.body_env_lp);
        self.transient_env_lp += 0.1 * (self.transient_env - self.transient_env_lp);
        self.fm_lp += 0.1 * (self.fm - self.fm_lp);

        let click = self.click.process(if self.body_env_hold > 0 { 0.0 } else { 1.0 });
        let transient = click + self.noise.next(random);
        SyntheticBassDrumFrame {
            phase: self.phase,
            phase_noise: self.phase_noise,
            gain: self.body_env_lp,
            transient: transient * self.transient_env_lp * b.transient_level,
        }
    }

    /// The tone filter: turns a mix from [`shape`] into the output sample.
    #[inline]
    pub fn tone(&mut self, b: &SyntheticBassDrumBlock, mix: f32) -> f32 {
        self.tone_lp += b.tone_f * (mix - self.tone_lp);
        self.tone_lp
    }

    /// Ends a block: keeps the ramps' state.
    pub fn end_block(&mut self, b: SyntheticBassDrumBlock) {
        self.f0 = b.f0.value();
        self.sustain_gain = b.sustain_gain.value();
    }

    /// Renders one block into `out`.
    #[cfg(test)]
    pub fn render(
        &mut self,
        p: &SyntheticBassDrumParameters,
        random: &mut Random,
        out: &mut [f32; BLOCK_SIZE],
    ) {
        let mut block = self.begin_block(p);
        let mut frames = [SyntheticBassDrumFrame::default(); BLOCK_SIZE];
        for frame in frames.iter_mut() {
            *frame = if block.sustain {
                self.advance::<true>(&mut block, random)
            } else {
                self.advance::<false>(&mut block, random)
            };
        }
        shape(&block, &frames, out);
        for y in out.iter_mut() {
            *y = self.tone(&block, *y);
        }
        self.end_block(block);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::units::note_to_frequency;
    use crate::engines::drum_test_support::zero_crossing_frequency;

    fn parameters(sustain: bool) -> SyntheticBassDrumParameters {
        SyntheticBassDrumParameters {
            sustain,
            trigger: !sustain,
            accent: 0.8,
            f0: note_to_frequency(48.0),
            tone: 0.0,
            decay: 1.0,
            dirtiness: 0.0,
            fm_envelope_amount: 1.0,
            fm_envelope_decay: 0.0,
        }
    }

    fn render(drum: &mut SyntheticBassDrum, first: &SyntheticBassDrumParameters, blocks: usize) -> Vec<f32> {
        let rest = SyntheticBassDrumParameters { trigger: false, ..*first };
        let mut random = Random::default();
        let mut out = Vec::new();
        let mut block = [0.0; BLOCK_SIZE];
        for i in 0..blocks {
            drum.render(if i == 0 { first } else { &rest }, &mut random, &mut block);
            out.extend_from_slice(&block);
        }
        out
    }

    #[test]
    fn distorted_sine_goes_from_minus_cosine_to_a_soft_square() {
        for i in 0..100 {
            let phase = i as f32 / 100.0;
            let cosine = -(std::f32::consts::TAU * phase).cos();
            assert!((distorted_sine::<false>(phase, 0.0) - cosine).abs() < 1e-4);
        }
        assert_eq!(distorted_sine::<false>(0.5, 1.0), 1.0);
        assert_eq!(distorted_sine::<false>(0.0, 1.0), -1.0);
        assert!((distorted_sine::<false>(0.375, 1.0) - 2.0 / 3.0).abs() < 1e-6);
    }

    #[test]
    fn near_distorted_sine_matches_the_converting_one() {
        let mut random = Random::default();
        let mut phases =
            vec![0.0f32, -0.0, 1.0, -1.0, 0.25, 0.75, -0.25, 1.25, 1.999_999_9, -1.999_999_9, 1e-30];
        phases.extend((0..400_000).map(|_| (random.get_float() - 0.5) * 4.0));
        for phase in phases {
            for dirtiness in [0.0, 0.3, 1.0] {
                let (near, far) =
                    (distorted_sine::<true>(phase, dirtiness), distorted_sine::<false>(phase, dirtiness));
                assert_eq!(near.to_bits(), far.to_bits(), "{phase} {dirtiness}");
            }
        }
    }

    #[test]
    fn transistor_vca_is_silent_at_zero_gain_and_saturates() {
        assert_eq!(transistor_vca(0.7, 0.0), 0.0);
        assert!(transistor_vca(1e6, 1.0) < 3.0 + 0.3);
    }

    #[test]
    fn fundamental_is_the_note_once_the_pitch_envelope_has_decayed() {
        let out = render(&mut SyntheticBassDrum::default(), &parameters(false), 1200);
        let f = zero_crossing_frequency(&out[4800..14_400]);
        assert!((f / note_to_frequency(48.0) - 1.0).abs() < 0.005, "{} Hz", f * 48_000.0);
    }

    #[test]
    fn pitch_envelope_starts_up_to_four_and_a_half_times_higher() {
        // Just after the 62-sample hold fm_lp ≈ 1: the phase runs at f0 · (1 + 3.5 · fm_lp).
        let mut drum = SyntheticBassDrum::default();
        let p = parameters(false);
        render(&mut drum, &p, 6);
        let before = drum.phase;
        render(&mut drum, &SyntheticBassDrumParameters { trigger: false, ..p }, 1);
        let speed = (drum.phase - before).rem_euclid(1.0) / (12.0 * note_to_frequency(48.0));
        assert!((4.0..4.5).contains(&speed), "{speed}");
    }

    #[test]
    fn body_envelope_holds_1_ms_then_decays_with_a_20_ms_time_constant_at_decay_0() {
        let mut drum = SyntheticBassDrum::default();
        let p = SyntheticBassDrumParameters { decay: 0.0, ..parameters(false) };
        render(&mut drum, &p, 4);
        assert_eq!(drum.body_env, 0.3 + 0.7 * 0.8);
        render(&mut drum, &SyntheticBassDrumParameters { trigger: false, ..p }, 80);
        let expected = (0.3 + 0.7 * 0.8) * (-1.0f32).exp();
        assert!((drum.body_env / expected - 1.0).abs() < 0.01, "{}", drum.body_env);
    }

    #[test]
    fn phase_and_f0_ramp_are_held_for_62_samples_after_a_trigger() {
        let mut drum = SyntheticBassDrum::default();
        render(&mut drum, &parameters(true), 20);
        let f0 = drum.f0;
        let p = SyntheticBassDrumParameters { f0: 0.02, ..parameters(false) };
        render(&mut drum, &p, 5);
        assert_eq!(drum.phase, 0.25);
        assert_eq!(drum.f0, f0, "the pitch ramp only moves when it is read");
        render(&mut drum, &SyntheticBassDrumParameters { trigger: false, ..p }, 1);
        assert_ne!(drum.phase, 0.25);
        assert_ne!(drum.f0, f0);
    }
}
