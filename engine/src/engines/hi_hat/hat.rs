//! One hi-hat voice: metallic noise through a band-pass, blended with clocked
//! noise, shaped by a two-slope envelope in a VCA, then high-passed (engines-8-15.md §9.3).

use std::marker::PhantomData;

use crate::dsp::denormal::flush_denormal;
use crate::dsp::filter::{SvfCoefficients, TanApproximation};
use crate::dsp::ramp::ParameterRamp;
use crate::dsp::random::Random;
use crate::dsp::units::semitones_to_ratio;
use crate::engines::hi_hat::metallic_noise::MetallicNoise;
use crate::engines::memo::Memo;
use crate::engines::BLOCK_SIZE;

/// Lowest cutoff of the band-pass and high-pass (TIMBRE 0): 150 Hz.
const MIN_CUTOFF: f32 = 150.0 / 48_000.0;
/// Highest cutoff: 16 kHz.
const MAX_CUTOFF: f32 = 16_000.0 / 48_000.0;
/// Above this level the envelope decays with the fast (attack) slope.
const ENVELOPE_KNEE: f32 = 0.5;

/// Cutoff of the colour band-pass and the output high-pass: 150 Hz · 2^(6 · tone).
#[inline]
fn cutoff(tone: f32) -> f32 {
    (MIN_CUTOFF * semitones_to_ratio(tone * 72.0)).clamp(0.0, MAX_CUTOFF)
}

/// How the envelope is applied to the signal.
pub trait HiHatVca {
    /// Applies `gain` to one sample.
    fn apply(s: f32, gain: f32) -> f32;
}

/// The 808's "swing" VCA: asymmetric saturation before the gain.
#[derive(Clone, Debug, Default)]
pub struct SwingVca;

impl HiHatVca for SwingVca {
    #[inline]
    fn apply(s: f32, gain: f32) -> f32 {
        let s = s * if s > 0.0 { 10.0 } else { 0.1 };
        let s = s / (1.0 + s.abs());
        (s + 1.0) * gain
    }
}

/// A plain multiplier.
#[derive(Clone, Debug, Default)]
pub struct LinearVca;

impl HiHatVca for LinearVca {
    #[inline]
    fn apply(s: f32, gain: f32) -> f32 {
        s * gain
    }
}

/// What one block of a hi-hat needs.
#[derive(Clone, Copy, Debug)]
pub struct HiHatParameters {
    /// Free-running (TRIG unpatched): a constant VCA gain.
    pub sustain: bool,
    /// A rising edge in this block.
    pub trigger: bool,
    /// Strike strength (LEVEL), 0 to about 1.
    pub accent: f32,
    /// Pitch of the metallic noise (its base runs at twice this), cycles per sample.
    pub f0: f32,
    /// Filter cutoff, 150 Hz to 9.6 kHz, 0 to 1.
    pub tone: f32,
    /// Envelope decay (triggered) or level (sustained), 0 to 1.
    pub decay: f32,
    /// Blend from metallic noise to clocked white noise, 0 to 1.
    pub noisiness: f32,
}

/// A hi-hat voice built from a metallic source `N` and a VCA `V`; `RESONANT`
/// selects the resonant colour band-pass (Q from 3 to 9) instead of Q = 1.
#[derive(Clone, Debug)]
pub struct HiHat<N, V, const RESONANT: bool> {
    envelope: f32,
    noise_clock: f32,
    noise_sample: f32,
    sustain_gain: f32,
    colour: SvfCoefficients,
    colour_state: [f32; 2],
    high_pass: SvfCoefficients,
    high_pass_state: [f32; 2],
    /// The block constants from decay and tone.
    constants: Memo<2, (f32, f32, SvfCoefficients, SvfCoefficients)>,
    metallic_noise: N,
    vca: PhantomData<V>,
}

impl<N: MetallicNoise, V: HiHatVca, const RESONANT: bool> Default for HiHat<N, V, RESONANT> {
    fn default() -> Self {
        Self {
            envelope: 0.0,
            noise_clock: 0.0,
            noise_sample: 0.0,
            sustain_gain: 0.0,
            // Both filters' coefficients are set at the start of every block.
            colour: SvfCoefficients::new(0.01, 100.0, TanApproximation::Dirty),
            colour_state: [0.0; 2],
            high_pass: SvfCoefficients::new(0.01, 100.0, TanApproximation::Dirty),
            high_pass_state: [0.0; 2],
            constants: Memo::default(),
            metallic_noise: N::default(),
            vca: PhantomData,
        }
    }
}

impl<N: MetallicNoise, V: HiHatVca, const RESONANT: bool> HiHat<N, V, RESONANT> {
    /// Renders one block into `out`, drawing one random number per noise-clock tick.
    pub fn render(&mut self, p: &HiHatParameters, random: &mut Random, out: &mut [f32; BLOCK_SIZE]) {
        self.envelope = flush_denormal(self.envelope);
        let (envelope_decay, cut_decay, colour, high_pass) =
            self.constants.get([p.decay, p.tone], |[decay, tone]| {
                let cutoff = cutoff(tone);
                let q = if RESONANT { 3.0 + 6.0 * tone } else { 1.0 };
                (
                    1.0 - 0.003 * semitones_to_ratio(decay * -84.0),
                    1.0 - 0.0025 * semitones_to_ratio(decay * -36.0),
                    SvfCoefficients::new(cutoff, q, TanApproximation::Accurate),
                    SvfCoefficients::new(cutoff, 0.5, TanApproximation::Accurate),
                )
            });

        if p.trigger {
            self.envelope = (1.5 + 0.5 * (1.0 - p.decay)) * (0.3 + 0.7 * p.accent);
        }

        self.metallic_noise.render(2.0 * p.f0, out);

        self.colour = colour;
        self.high_pass = high_pass;

        // Sample-and-hold noise clocked at 16 to 32 times f0.
        let noisiness = p.noisiness * p.noisiness;
        let noise_f = (p.f0 * (16.0 + 16.0 * (1.0 - noisiness))).clamp(0.0, 0.5);

        // Advanced only in sustain mode: the ramp freezes while triggered.
        let mut sustain_gain = ParameterRamp::new(self.sustain_gain, p.accent * p.decay, BLOCK_SIZE);

        // The original runs each stage over the whole block in turn; they are
        // causal per sample, so one fused loop gives the same samples (and the
        // same random draws) while the two filters' latencies overlap.
        let block = Block { envelope_decay, cut_decay, noisiness, noise_f };
        match (p.sustain, self.envelope.to_bits() == 0) {
            (true, true) => self.run::<true, true>(&block, &mut sustain_gain, random, out),
            (true, false) => self.run::<true, false>(&block, &mut sustain_gain, random, out),
            (false, true) => self.run::<false, true>(&block, &mut sustain_gain, random, out),
            (false, false) => self.run::<false, false>(&block, &mut sustain_gain, random, out),
        }
        self.sustain_gain = sustain_gain.value();
    }

    /// The sample loop, compiled per mode: `SUSTAIN` is the block's `sustain`;
    /// `SILENT` says that the envelope is +0, where it stays (+0 times either
    /// decay is +0), so its update is skipped and it enters as the constant +0.
    #[inline(always)]
    fn run<const SUSTAIN: bool, const SILENT: bool>(
        &mut self,
        b: &Block,
        sustain_gain: &mut ParameterRamp,
        random: &mut Random,
        out: &mut [f32; BLOCK_SIZE],
    ) {
        debug_assert!(!SILENT || self.envelope.to_bits() == 0);
        for x in out.iter_mut() {
            let [state_1, state_2] = &mut self.colour_state;
            let mut s = self.colour.step(*x, state_1, state_2).bp;

            self.noise_clock += b.noise_f;
            if self.noise_clock >= 1.0 {
                self.noise_clock -= 1.0;
                self.noise_sample = random.get_float() - 0.5;
            }
            s += b.noisiness * (self.noise_sample - s);

            // The envelope keeps decaying in sustain mode too.
            if !SILENT {
                self.envelope *= if self.envelope > ENVELOPE_KNEE { b.envelope_decay } else { b.cut_decay };
            }
            let envelope = if SILENT { 0.0 } else { self.envelope };
            let gain = if SUSTAIN { sustain_gain.next() } else { envelope };
            s = V::apply(s, gain);

            let [state_1, state_2] = &mut self.high_pass_state;
            *x = self.high_pass.step(s, state_1, state_2).hp;
        }
    }
}

/// The per-block constants of a hi-hat's sample loop.
struct Block {
    envelope_decay: f32,
    cut_decay: f32,
    noisiness: f32,
    noise_f: f32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::units::note_to_frequency;
    use crate::engines::drum_test_support::peak;
    use crate::engines::hi_hat::metallic_noise::{RingModNoise, SquareNoise};

    type SquareHat = HiHat<SquareNoise, SwingVca, true>;
    type RingModHat = HiHat<RingModNoise, LinearVca, false>;

    fn parameters(sustain: bool, decay: f32, noisiness: f32) -> HiHatParameters {
        HiHatParameters {
            sustain,
            trigger: !sustain,
            accent: 0.8,
            f0: note_to_frequency(60.0),
            tone: 0.5,
            decay,
            noisiness,
        }
    }

    fn render<N: MetallicNoise, V: HiHatVca, const R: bool>(
        hat: &mut HiHat<N, V, R>,
        first: &HiHatParameters,
        blocks: usize,
        random: &mut Random,
    ) -> Vec<f32> {
        let rest = HiHatParameters { trigger: false, ..*first };
        let mut out = Vec::new();
        let mut block = [0.0; BLOCK_SIZE];
        for i in 0..blocks {
            hat.render(if i == 0 { first } else { &rest }, random, &mut block);
            out.extend_from_slice(&block);
        }
        out
    }

    #[test]
    fn cutoff_is_150_hz_times_2_to_the_6_timbre() {
        for (tone, hz) in [(0.0, 150.0), (0.5, 1200.0), (1.0, 9600.0)] {
            assert!((cutoff(tone) * 48_000.0 / hz - 1.0).abs() < 1e-4, "{tone}");
        }
    }

    #[test]
    fn swing_vca_is_asymmetric_and_bounded_by_twice_the_gain() {
        assert_eq!(SwingVca::apply(0.0, 0.5), 0.5);
        assert!(SwingVca::apply(1e6, 0.5) <= 1.0);
        assert!(SwingVca::apply(-1e6, 0.5) >= 0.0);
        assert!(SwingVca::apply(0.1, 1.0) - 1.0 > 1.0 - SwingVca::apply(-0.1, 1.0));
        assert_eq!(LinearVca::apply(0.3, 0.5), 0.15);
    }

    #[test]
    fn envelope_reaches_the_knee_after_411_samples_at_morph_0() {
        let mut hat = SquareHat::default();
        let mut random = Random::default();
        render(&mut hat, &parameters(false, 0.0, 0.0), 1, &mut random);
        let mut samples = 12;
        while hat.envelope > 0.5 {
            render(
                &mut hat,
                &HiHatParameters { trigger: false, ..parameters(false, 0.0, 0.0) },
                1,
                &mut random,
            );
            samples += 12;
        }
        // ln(0.5 / 1.72) / ln(0.997) = 411.5, measured to a block.
        assert!((408..=420).contains(&samples), "{samples}");
        // Below the knee the time constant is 1 / 0.0025 samples at morph 0.
        let knee = hat.envelope;
        render(
            &mut hat,
            &HiHatParameters { trigger: false, ..parameters(false, 0.0, 0.0) },
            400,
            &mut random,
        );
        let expected = knee * (1.0f32 - 0.0025).powi(4800);
        assert!((hat.envelope / expected - 1.0).abs() < 1e-3);
    }

    #[test]
    fn full_noisiness_replaces_the_metal_by_noise_clocked_at_16_f0() {
        let mut random = Random::default();
        let p = HiHatParameters { f0: 1.0 / 160.0, ..parameters(true, 0.5, 1.0) };
        render(&mut RingModHat::default(), &p, 100, &mut random);
        let mut probe = Random::default();
        let mut draws = 0;
        while probe != random {
            probe.get_word();
            draws += 1;
        }
        // 1200 samples at 0.1 ticks per sample.
        assert!((119..=120).contains(&draws), "{draws}");
    }

    #[test]
    fn free_running_level_is_accent_times_morph() {
        let mut random = Random::default();
        let quiet = render(&mut RingModHat::default(), &parameters(true, 0.25, 0.0), 200, &mut random);
        let loud = render(&mut RingModHat::default(), &parameters(true, 0.5, 0.0), 200, &mut random);
        let ratio = peak(&loud[1200..]) / peak(&quiet[1200..]);
        assert!((ratio - 2.0).abs() < 1e-3, "{ratio}");
    }
}
