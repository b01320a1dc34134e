//! The 909-style synthetic snare on AUX: two coupled distorted sines with a
//! pitch sweep, plus filtered noise with a hold stage (engines-8-15.md §8.3).

use crate::dsp::denormal::flush_denormals;
use crate::dsp::filter::{OnePole, Svf, TanApproximation};
use crate::dsp::ramp::ParameterRamp;
use crate::dsp::random::Random;
use crate::dsp::units::semitones_to_ratio;
use crate::engines::memo::Memo;
use crate::engines::BLOCK_SIZE;

/// Frequency of the second drum oscillator relative to the first.
const SECOND_OSCILLATOR_RATIO: f32 = 1.47;
/// Per-sample decay of the pitch sweep (7 ms time constant).
const FM_DECAY: f32 = 1.0 - 1.0 / (0.007 * 48_000.0);
/// Below this level the drum envelope decays only every other sample.
const DRUM_TAIL_LEVEL: f32 = 0.03;

/// A triangle through a soft saturator, offset so that it leans negative.
#[inline]
fn distorted_sine(phase: f32) -> f32 {
    let triangle = 4.0 * if phase < 0.5 { phase } else { 1.0 - phase } - 1.3;
    2.0 * triangle / (1.0 + triangle.abs())
}

/// What one block of the synthetic snare needs.
#[derive(Clone, Copy, Debug)]
pub struct SyntheticSnareDrumParameters {
    /// Free-running (TRIG unpatched): oscillators and noise at a constant level.
    pub sustain: bool,
    /// A rising edge in this block.
    pub trigger: bool,
    /// Strike strength (LEVEL), 0 to about 1.
    pub accent: f32,
    /// Pitch, cycles per sample.
    pub f0: f32,
    /// Depth of the pitch sweep, 0 to 1.
    pub fm_amount: f32,
    /// Decay (triggered) or level (sustained), 0 to 1.
    pub decay: f32,
    /// Noise against drum balance, 0 to 1.
    pub snappy: f32,
}

/// State of the synthetic snare.
#[derive(Clone, Debug, Default)]
pub struct SyntheticSnareDrum {
    phase: [f32; 2],
    drum_amplitude: f32,
    snare_amplitude: f32,
    fm: f32,
    sustain_gain: f32,
    hold_counter: u32,
    drum_lp: OnePole,
    snare_hp: OnePole,
    snare_lp: Svf,
    /// The block constants from pitch, decay, FM amount and snappy.
    constants: Memo<4, SyntheticSnareDrumConstants>,
}

/// What a [`SyntheticSnareDrum`]'s block needs of its pitch, decay, FM
/// amount and snappy alone: worked out again only when one of them moves.
#[derive(Clone, Copy, Debug)]
struct SyntheticSnareDrumConstants {
    drum_decay: f32,
    snare_decay: f32,
    drum_level: f32,
    snare_level: f32,
    reset_noise_amount: f32,
    reset_thresholds: [f32; 3],
}

/// One block of the synthetic snare up to its filters: what
/// [`SyntheticSnareDrum::finish_sample`] needs for each sample.
#[derive(Clone, Copy, Debug)]
pub struct SyntheticSnareDrumBlock {
    /// The drum's waveshaped and scaled signal, before its low-pass.
    drums: [f32; BLOCK_SIZE],
    /// The noise drawn for each sample.
    noises: [f32; BLOCK_SIZE],
    /// The snare noise's envelope plus the pitch sweep.
    snare_gains: [f32; BLOCK_SIZE],
    snare_level: f32,
}

impl SyntheticSnareDrum {
    /// Renders one block into `out`, drawing 12 random numbers.
    #[cfg(test)]
    pub fn render(
        &mut self,
        p: &SyntheticSnareDrumParameters,
        random: &mut Random,
        out: &mut [f32; BLOCK_SIZE],
    ) {
        let block = self.prepare(p, random);
        for (i, y) in out.iter_mut().enumerate() {
            *y = self.finish_sample(&block, i);
        }
    }

    /// Everything of one block but the filters, drawing 12 random numbers:
    /// the envelopes and phases (each sample follows from the previous one),
    /// then the drum's waveshaping (every sample on its own, so that it
    /// vectorises, divisions included). Each sample keeps its operations and
    /// their order.
    pub fn prepare(
        &mut self,
        p: &SyntheticSnareDrumParameters,
        random: &mut Random,
    ) -> SyntheticSnareDrumBlock {
        flush_denormals([&mut self.drum_amplitude, &mut self.snare_amplitude, &mut self.fm]);

        let f0 = p.f0;
        let decay = p.decay;
        let fm_amount = p.fm_amount * p.fm_amount;
        let (snare_hp, snare_lp, drum_lp) = (&mut self.snare_hp, &mut self.snare_lp, &mut self.drum_lp);
        // The filters' cutoffs are block constants too: while the inputs rest,
        // the coefficients set last block are the ones setting them again gives.
        let SyntheticSnareDrumConstants {
            drum_decay,
            snare_decay,
            drum_level,
            snare_level,
            reset_noise_amount,
            reset_thresholds,
        } = self.constants.get([f0, decay, fm_amount, p.snappy], |[f0, decay, fm_amount, snappy]| {
            let decay_xt = decay * (1.0 + decay * (decay - 1.0));
            let drum_decay = 1.0
                - (1.0 / (0.015 * 48_000.0))
                    * semitones_to_ratio(-decay_xt * 72.0 - fm_amount * 12.0 + snappy * 7.0);
            let snare_decay =
                1.0 - (1.0 / (0.01 * 48_000.0)) * semitones_to_ratio(-decay * 60.0 - snappy * 7.0);
            let snappy = (snappy * 1.1 - 0.05).clamp(0.0, 1.0);

            snare_hp.set_frequency((f0 * 10.0).min(0.5), TanApproximation::Fast);
            snare_lp.set_frequency_q((f0 * 35.0).min(0.5), 0.5 + 2.0 * snappy, TanApproximation::Fast);
            drum_lp.set_frequency(f0 * 3.0, TanApproximation::Fast);

            // Amount of the phase-dependent jitter of the reflecting phase reset.
            let reset_noise_amount = {
                let x = (8.0 * (0.125 - f0)).clamp(0.0, 1.0);
                x * x * fm_amount
            };
            SyntheticSnareDrumConstants {
                drum_decay,
                snare_decay,
                drum_level: (1.0 - snappy).sqrt(),
                snare_level: snappy.sqrt(),
                reset_noise_amount,
                // The reset threshold 1 + (sign₀ + sign₁) · amount · 0.025, where
                // each sign is −1 for a phase above 0.5 and +1 otherwise: the sum
                // takes three values, so the thresholds are worked out once (same
                // operations on the same values) and picked by how many phases
                // are above 0.5, which keeps the arithmetic off the phases' chain
                // from sample to sample.
                reset_thresholds: [1.0f32 + 1.0, -1.0 + 1.0, -1.0 + -1.0]
                    .map(|sum| 1.0 + sum * reset_noise_amount * 0.025),
            }
        });

        if p.trigger {
            self.snare_amplitude = 0.3 + 0.7 * p.accent;
            self.drum_amplitude = self.snare_amplitude;
            self.fm = 1.0;
            self.phase = [0.0, 0.0];
            // 40 ms (decay 0) to 70 ms (decay 1) before the snare noise decays.
            self.hold_counter = ((0.04 + decay * 0.03) * 48_000.0) as u32;
        }

        // Advanced only in sustain mode: the ramp freezes while triggered.
        let mut sustain_gain = ParameterRamp::new(self.sustain_gain, p.accent * decay, BLOCK_SIZE);

        let reflecting_reset = reset_noise_amount > 0.1;

        let mut drum_amplitudes = [0.0f32; BLOCK_SIZE];
        let mut snare_gains = [0.0f32; BLOCK_SIZE];
        let mut phases = [[0.0f32; BLOCK_SIZE]; 2];
        for i in 0..BLOCK_SIZE {
            let samples_left = BLOCK_SIZE - 1 - i;
            if p.sustain {
                self.snare_amplitude = sustain_gain.next();
                self.drum_amplitude = self.snare_amplitude;
                self.fm = 0.0;
            } else {
                // Below the tail level the drum envelope decays on every other sample only.
                if self.drum_amplitude > DRUM_TAIL_LEVEL || samples_left % 2 == 0 {
                    self.drum_amplitude *= drum_decay;
                }
                if self.hold_counter > 0 {
                    self.hold_counter -= 1;
                } else {
                    self.snare_amplitude *= snare_decay;
                }
                self.fm *= FM_DECAY;
            }

            let f = f0 * (1.0 + 4.0 * fm_amount * self.fm);
            if reflecting_reset {
                let (above_0, above_1) = (self.phase[0] > 0.5, self.phase[1] > 0.5);
                let [none_above, one_above, both_above] = reset_thresholds;
                let threshold = if above_0 != above_1 {
                    one_above
                } else if above_0 {
                    both_above
                } else {
                    none_above
                };
                self.phase[0] += f;
                self.phase[1] += SECOND_OSCILLATOR_RATIO * f;
                for phase in self.phase.iter_mut() {
                    if *phase >= threshold {
                        *phase = 1.0 - *phase;
                    }
                }
            } else {
                self.phase[0] += f;
                self.phase[1] += SECOND_OSCILLATOR_RATIO * f;
                for phase in self.phase.iter_mut() {
                    if *phase >= 1.0 {
                        *phase -= 1.0;
                    }
                }
            }
            drum_amplitudes[i] = self.drum_amplitude;
            snare_gains[i] = self.snare_amplitude + self.fm;
            phases[0][i] = self.phase[0];
            phases[1][i] = self.phase[1];
        }

        let mut drums = [0.0f32; BLOCK_SIZE];
        for i in 0..BLOCK_SIZE {
            let drum = (-0.1 + distorted_sine(phases[0][i]) * 0.60) + distorted_sine(phases[1][i]) * 0.25;
            drums[i] = drum * (drum_amplitudes[i] * drum_level);
        }

        self.sustain_gain = sustain_gain.value();
        let mut noises = [0.0f32; BLOCK_SIZE];
        for noise in noises.iter_mut() {
            *noise = random.get_float();
        }
        SyntheticSnareDrumBlock { drums, noises, snare_gains, snare_level }
    }

    /// Sample `i` of a prepared block: the filters, which make each sample
    /// wait on the previous one.
    #[inline(always)]
    pub fn finish_sample(&mut self, block: &SyntheticSnareDrumBlock, i: usize) -> f32 {
        let drum = self.drum_lp.low_pass(block.drums[i]);
        let snare = self.snare_hp.high_pass(self.snare_lp.low_pass(block.noises[i]));
        let snare = (snare + 0.1) * block.snare_gains[i] * block.snare_level;
        snare + drum
    }
}

/// The synthetic snare one sample at a time, as the spec writes it: the
/// reference the prepared passes must match bit for bit.
#[cfg(test)]
mod reference {
    use super::*;

    /// The synthetic snare as the spec writes it, one sample at a time.
    #[derive(Clone, Debug, Default)]
    pub struct SyntheticSnareDrum {
        phase: [f32; 2],
        drum_amplitude: f32,
        snare_amplitude: f32,
        fm: f32,
        sustain_gain: f32,
        hold_counter: u32,
        drum_lp: OnePole,
        snare_hp: OnePole,
        snare_lp: Svf,
    }

    impl SyntheticSnareDrum {
        /// Renders one block into `out`, drawing 12 random numbers.
        pub fn render(
            &mut self,
            p: &SyntheticSnareDrumParameters,
            random: &mut Random,
            out: &mut [f32; BLOCK_SIZE],
        ) {
            flush_denormals([&mut self.drum_amplitude, &mut self.snare_amplitude, &mut self.fm]);

            let f0 = p.f0;
            let decay = p.decay;
            let decay_xt = decay * (1.0 + decay * (decay - 1.0));
            let fm_amount = p.fm_amount * p.fm_amount;
            let drum_decay = 1.0
                - (1.0 / (0.015 * 48_000.0))
                    * semitones_to_ratio(-decay_xt * 72.0 - fm_amount * 12.0 + p.snappy * 7.0);
            let snare_decay =
                1.0 - (1.0 / (0.01 * 48_000.0)) * semitones_to_ratio(-decay * 60.0 - p.snappy * 7.0);

            let snappy = (p.snappy * 1.1 - 0.05).clamp(0.0, 1.0);
            let drum_level = (1.0 - snappy).sqrt();
            let snare_level = snappy.sqrt();

            self.snare_hp.set_frequency((f0 * 10.0).min(0.5), TanApproximation::Fast);
            self.snare_lp.set_frequency_q((f0 * 35.0).min(0.5), 0.5 + 2.0 * snappy, TanApproximation::Fast);
            self.drum_lp.set_frequency(f0 * 3.0, TanApproximation::Fast);

            if p.trigger {
                self.snare_amplitude = 0.3 + 0.7 * p.accent;
                self.drum_amplitude = self.snare_amplitude;
                self.fm = 1.0;
                self.phase = [0.0, 0.0];
                // 40 ms (decay 0) to 70 ms (decay 1) before the snare noise decays.
                self.hold_counter = ((0.04 + decay * 0.03) * 48_000.0) as u32;
            }

            // Advanced only in sustain mode: the ramp freezes while triggered.
            let mut sustain_gain = ParameterRamp::new(self.sustain_gain, p.accent * decay, BLOCK_SIZE);

            // Amount of the phase-dependent jitter of the reflecting phase reset.
            let reset_noise_amount = {
                let x = (8.0 * (0.125 - f0)).clamp(0.0, 1.0);
                x * x * fm_amount
            };
            let reflecting_reset = reset_noise_amount > 0.1;

            for (i, y) in out.iter_mut().enumerate() {
                let samples_left = BLOCK_SIZE - 1 - i;
                if p.sustain {
                    self.snare_amplitude = sustain_gain.next();
                    self.drum_amplitude = self.snare_amplitude;
                    self.fm = 0.0;
                } else {
                    // Below the tail level the drum envelope decays on every other sample only.
                    if self.drum_amplitude > DRUM_TAIL_LEVEL || samples_left % 2 == 0 {
                        self.drum_amplitude *= drum_decay;
                    }
                    if self.hold_counter > 0 {
                        self.hold_counter -= 1;
                    } else {
                        self.snare_amplitude *= snare_decay;
                    }
                    self.fm *= FM_DECAY;
                }

                let f = f0 * (1.0 + 4.0 * fm_amount * self.fm);
                if reflecting_reset {
                    let sign = |phase: f32| if phase > 0.5 { -1.0 } else { 1.0 };
                    let reset_noise =
                        (sign(self.phase[0]) + sign(self.phase[1])) * reset_noise_amount * 0.025;
                    self.phase[0] += f;
                    self.phase[1] += SECOND_OSCILLATOR_RATIO * f;
                    for phase in self.phase.iter_mut() {
                        if *phase >= 1.0 + reset_noise {
                            *phase = 1.0 - *phase;
                        }
                    }
                } else {
                    self.phase[0] += f;
                    self.phase[1] += SECOND_OSCILLATOR_RATIO * f;
                    for phase in self.phase.iter_mut() {
                        if *phase >= 1.0 {
                            *phase -= 1.0;
                        }
                    }
                }

                let drum =
                    (-0.1 + distorted_sine(self.phase[0]) * 0.60) + distorted_sine(self.phase[1]) * 0.25;
                let drum = self.drum_lp.low_pass(drum * (self.drum_amplitude * drum_level));

                let noise = random.get_float();
                let snare = self.snare_hp.high_pass(self.snare_lp.low_pass(noise));
                let snare = (snare + 0.1) * (self.snare_amplitude + self.fm) * snare_level;
                *y = snare + drum;
            }
            self.sustain_gain = sustain_gain.value();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::units::note_to_frequency;

    fn parameters(decay: f32, snappy: f32) -> SyntheticSnareDrumParameters {
        SyntheticSnareDrumParameters {
            sustain: false,
            trigger: true,
            accent: 0.8,
            f0: note_to_frequency(60.0),
            fm_amount: 0.5,
            decay,
            snappy,
        }
    }

    fn render(
        drum: &mut SyntheticSnareDrum,
        first: &SyntheticSnareDrumParameters,
        blocks: usize,
    ) -> Vec<f32> {
        let rest = SyntheticSnareDrumParameters { trigger: false, ..*first };
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
    fn blocks_match_the_reference_bit_for_bit() {
        let mut drum = SyntheticSnareDrum::default();
        let mut expected_drum = reference::SyntheticSnareDrum::default();
        let (mut random, mut expected_random) = (Random::default(), Random::default());
        let mut settings = Random::default();
        let mut p = parameters(0.5, 0.5);
        for block in 0..3000 {
            // Settings held for a while, then changed: free-running and
            // triggered, with and without the reflecting reset, low to very
            // high notes.
            if block % 50 == 0 {
                p = SyntheticSnareDrumParameters {
                    sustain: block % 150 == 0,
                    trigger: false,
                    accent: settings.get_float(),
                    f0: 0.001 * (1 << (block / 50 % 9)) as f32 * (0.5 + settings.get_float()),
                    fm_amount: settings.get_float(),
                    decay: settings.get_float(),
                    snappy: settings.get_float(),
                };
            }
            let p = SyntheticSnareDrumParameters { trigger: !p.sustain && block % 23 == 0, ..p };
            let mut out = [0.0; BLOCK_SIZE];
            let mut expected = [0.0; BLOCK_SIZE];
            drum.render(&p, &mut random, &mut out);
            expected_drum.render(&p, &mut expected_random, &mut expected);
            assert_eq!(out.map(f32::to_bits), expected.map(f32::to_bits), "block {block}");
        }
    }

    #[test]
    fn distorted_sine_leans_negative() {
        assert!((distorted_sine(0.5) - 2.0 * 0.7 / 1.7).abs() < 1e-6);
        assert!((distorted_sine(0.0) - 2.0 * -1.3 / 2.3).abs() < 1e-6);
    }

    #[test]
    fn snare_noise_holds_40_ms_at_decay_0_and_70_ms_at_decay_1() {
        for (decay, hold) in [(0.0, 1920u32), (1.0, 3360)] {
            let mut drum = SyntheticSnareDrum::default();
            render(&mut drum, &parameters(decay, 1.0), 1);
            assert_eq!(drum.hold_counter, hold - 12);
            render(
                &mut drum,
                &SyntheticSnareDrumParameters { trigger: false, ..parameters(decay, 1.0) },
                (hold / 12 - 1) as usize,
            );
            assert_eq!(drum.hold_counter, 0);
            assert_eq!(drum.snare_amplitude, 0.3 + 0.7 * 0.8, "no decay during the hold");
        }
    }

    #[test]
    fn pitch_sweep_starts_at_1_plus_4_timbre_squared_and_decays_in_7_ms() {
        let mut drum = SyntheticSnareDrum::default();
        render(&mut drum, &parameters(0.5, 0.5), 1);
        let f0 = note_to_frequency(60.0);
        // After the first block both oscillators have moved by 12 steps of f0 · (1 + 4 · 0.25 · fm).
        let expected: f32 = (1..=12).map(|n| f0 * (1.0 + FM_DECAY.powi(n))).sum();
        assert!((drum.phase[0] / expected - 1.0).abs() < 1e-4);
        assert!((drum.phase[1] / drum.phase[0] - SECOND_OSCILLATOR_RATIO).abs() < 1e-4);
        assert!((FM_DECAY.powi(336) - (-1.0f32).exp()).abs() < 1e-3);
    }

    #[test]
    fn snappy_0_has_no_snare_noise_and_snappy_1_no_drum() {
        let drum_only = render(&mut SyntheticSnareDrum::default(), &parameters(0.5, 0.0), 100);
        let mut other_seed = SyntheticSnareDrum::default();
        let mut random = Random::default();
        random.get_word();
        let mut block = [0.0; BLOCK_SIZE];
        other_seed.render(&parameters(0.5, 0.0), &mut random, &mut block);
        assert_eq!(block[..], drum_only[..BLOCK_SIZE], "the noise does not reach the output");
        let mut drum = SyntheticSnareDrum::default();
        render(&mut drum, &parameters(0.5, 1.0), 100);
        assert_eq!(drum.drum_lp.low_pass(0.0), 0.0, "the drum low-pass never saw a signal");
    }
}
