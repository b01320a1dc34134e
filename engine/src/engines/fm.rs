//! Engine 2, "Two operator FM": a sine modulator at a quantised ratio phase-
//! modulates a sine carrier, with feedback; AUX is a sub-octave sine modulated
//! by the carrier. Runs 4× oversampled (engines-0-3.md §D).

use crate::dsp::interpolate::interpolate;
use crate::dsp::ramp::ParameterRamp;
use crate::dsp::random::Random;
use crate::dsp::units::{note_to_frequency, A0};
use crate::engines::{Block, Engine, EngineParameters, BLOCK_SIZE};
use crate::tables::{LUT_FM_FREQUENCY_QUANTIZER, LUT_SINE};

/// Oversampling factor of the operators.
const OVERSAMPLING: usize = 4;

/// Half of the symmetric 8-tap FIR that decimates the 4× stream (taps sum to 1).
const DECIMATOR: [f32; OVERSAMPLING] = [0.02442415, 0.09297315, 0.16712938, 0.21547332];

/// `sin(2π (phase / 2³² + pm))`, with the modulation quantised to what the
/// original's integer phase arithmetic keeps (`pm` must lie in (-4, 4)).
#[inline]
fn sine_pm(phase: u32, pm: f32) -> f32 {
    let offset = (((pm + 4.0) * 536_870_912.0) as u32) << 3;
    let phase = phase.wrapping_add(offset);
    let index = (phase >> 22) as usize;
    let fractional = (phase << 10) as f32 / 4_294_967_296.0;
    let a = LUT_SINE[index];
    let b = LUT_SINE[index + 1];
    a + (b - a) * fractional
}

/// The 4:1 decimating FIR: each output sums the current four sub-samples with
/// the second half of the taps and the previous four with the first half.
#[derive(Clone, Debug, Default)]
struct Decimator {
    carry: f32,
}

impl Decimator {
    #[inline]
    fn process(&mut self, samples: &[f32; OVERSAMPLING]) -> f32 {
        let mut head = self.carry;
        let mut tail = 0.0;
        for (j, &s) in samples.iter().enumerate() {
            head += s * DECIMATOR[OVERSAMPLING - 1 - j];
            tail += s * DECIMATOR[j];
        }
        self.carry = tail;
        head
    }
}

/// State of engine 2.
#[derive(Clone, Debug)]
pub struct FmEngine {
    carrier_phase: u32,
    modulator_phase: u32,
    sub_phase: u32,
    carrier_frequency: f32,
    modulator_frequency: f32,
    amount: f32,
    feedback: f32,
    /// The carrier through a one-pole low-pass: the feedback signal.
    previous_sample: f32,
    carrier_decimator: Decimator,
    sub_decimator: Decimator,
}

impl Default for FmEngine {
    fn default() -> Self {
        Self {
            carrier_phase: 0,
            modulator_phase: 0,
            sub_phase: 0,
            carrier_frequency: A0,
            modulator_frequency: A0,
            amount: 0.0,
            feedback: 0.0,
            previous_sample: 0.0,
            carrier_decimator: Decimator::default(),
            sub_decimator: Decimator::default(),
        }
    }
}

/// `x` (non-negative, below 2³²) truncated to an integer phase increment.
#[inline]
fn to_phase(x: f32) -> u32 {
    x as u32
}

/// Per-output-sample settings of the operators.
struct Step {
    amount: f32,
    phase_feedback: f32,
    modulator_feedback: f32,
    carrier_increment: u32,
    modulator_f: f32,
}

/// The oscillator state, held in locals while a block renders.
struct Operators {
    carrier_phase: u32,
    modulator_phase: u32,
    sub_phase: u32,
    previous_sample: f32,
}

impl Operators {
    /// Four sub-samples of carrier and sub. `PHASE_FEEDBACK` / `MODULATOR_FEEDBACK`
    /// say whether that feedback term is non-zero.
    #[inline(always)]
    fn run<const PHASE_FEEDBACK: bool, const MODULATOR_FEEDBACK: bool>(
        &mut self,
        step: &Step,
    ) -> ([f32; OVERSAMPLING], [f32; OVERSAMPLING]) {
        let mut carriers = [0.0f32; OVERSAMPLING];
        let mut subs = [0.0f32; OVERSAMPLING];
        let fixed_modulator_increment = to_phase(4_294_967_296.0 * step.modulator_f);
        for (carrier_out, sub_out) in carriers.iter_mut().zip(subs.iter_mut()) {
            let modulator_increment = if PHASE_FEEDBACK {
                to_phase(
                    4_294_967_296.0 * step.modulator_f * (1.0 + self.previous_sample * step.phase_feedback),
                )
            } else {
                fixed_modulator_increment
            };
            self.modulator_phase = self.modulator_phase.wrapping_add(modulator_increment);
            self.carrier_phase = self.carrier_phase.wrapping_add(step.carrier_increment);
            self.sub_phase = self.sub_phase.wrapping_add(step.carrier_increment >> 1);
            let modulator_pm =
                if MODULATOR_FEEDBACK { step.modulator_feedback * self.previous_sample } else { 0.0 };
            let modulator = sine_pm(self.modulator_phase, modulator_pm);
            let carrier = sine_pm(self.carrier_phase, step.amount * modulator);
            let sub = sine_pm(self.sub_phase, step.amount * carrier * 0.25);
            self.previous_sample += 0.05 * (carrier - self.previous_sample);
            *carrier_out = carrier;
            *sub_out = sub;
        }
        (carriers, subs)
    }
}

impl Engine for FmEngine {
    fn render(
        &mut self,
        parameters: &EngineParameters,
        _random: &mut Random,
        out: &mut Block,
        aux: &mut Block,
        _already_enveloped: &mut bool,
    ) {
        // The 4× oversampling is compensated by playing two octaves lower.
        let note = parameters.note - 24.0;
        // At HARMONICS = 1 this reads entry 128 (the table's duplicated last entry).
        let ratio = interpolate(&LUT_FM_FREQUENCY_QUANTIZER, parameters.harmonics, 128.0);
        let modulator_note = note + ratio;
        let target_modulator_frequency = note_to_frequency(modulator_note).clamp(0.0, 0.5);
        // Reduce the index once the modulator approaches Nyquist.
        let hf_taming = (1.0 - (modulator_note - 72.0) * 0.025).clamp(0.0, 1.0);
        let hf_taming = hf_taming * hf_taming;

        let mut carrier_frequency =
            ParameterRamp::new(self.carrier_frequency, note_to_frequency(note), BLOCK_SIZE);
        let mut modulator_frequency =
            ParameterRamp::new(self.modulator_frequency, target_modulator_frequency, BLOCK_SIZE);
        let amount_target = 2.0 * parameters.timbre * parameters.timbre * hf_taming;
        let mut amount_modulation = ParameterRamp::new(self.amount, amount_target, BLOCK_SIZE);
        let mut feedback_modulation =
            ParameterRamp::new(self.feedback, 2.0 * parameters.morph - 1.0, BLOCK_SIZE);

        let mut operators = Operators {
            carrier_phase: self.carrier_phase,
            modulator_phase: self.modulator_phase,
            sub_phase: self.sub_phase,
            previous_sample: self.previous_sample,
        };
        for (o, a) in out.iter_mut().zip(aux.iter_mut()) {
            let amount = amount_modulation.next();
            let feedback = feedback_modulation.next();
            // MORPH below 0.5: the carrier modulates the modulator's frequency;
            // above: the modulator's phase modulates itself.
            let phase_feedback = if feedback < 0.0 { 0.5 * feedback * feedback } else { 0.0 };
            let modulator_feedback = if feedback > 0.0 { 0.25 * feedback * feedback } else { 0.0 };
            let carrier_increment = to_phase(4_294_967_296.0 * carrier_frequency.next());
            let modulator_f = modulator_frequency.next();
            let step = Step { amount, phase_feedback, modulator_feedback, carrier_increment, modulator_f };
            // A zero feedback term contributes exactly nothing, so the variants
            // without it give the same bits while cutting the feedback loop out
            // of the dependency chain.
            let (carriers, subs) = if phase_feedback != 0.0 {
                operators.run::<true, false>(&step)
            } else if modulator_feedback != 0.0 {
                operators.run::<false, true>(&step)
            } else {
                operators.run::<false, false>(&step)
            };
            *o = self.carrier_decimator.process(&carriers);
            *a = self.sub_decimator.process(&subs);
        }
        self.carrier_phase = operators.carrier_phase;
        self.modulator_phase = operators.modulator_phase;
        self.sub_phase = operators.sub_phase;
        self.previous_sample = operators.previous_sample;

        self.carrier_frequency = carrier_frequency.value();
        self.modulator_frequency = modulator_frequency.value();
        self.amount = amount_modulation.value();
        self.feedback = feedback_modulation.value();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::TriggerState;

    fn render(harmonics: f32, timbre: f32, morph: f32, blocks: usize) -> (Vec<f32>, Vec<f32>) {
        let p = EngineParameters {
            trigger: TriggerState::Unpatched,
            note: 60.0,
            timbre,
            morph,
            harmonics,
            accent: 0.8,
        };
        let mut engine = FmEngine::default();
        let mut random = Random::default();
        let (mut out, mut aux) = (Vec::new(), Vec::new());
        let (mut o, mut a) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
        for _ in 0..blocks {
            engine.render(&p, &mut random, &mut o, &mut a, &mut false);
            out.extend_from_slice(&o);
            aux.extend_from_slice(&a);
        }
        (out, aux)
    }

    #[test]
    fn sine_pm_is_a_sine_of_phase_plus_modulation() {
        for (phase, pm) in [(0u32, 0.0f32), (1 << 30, 0.0), (0x1234_5678, 0.3), (0xF000_0000, -1.7)] {
            let cycles = phase as f64 / 4_294_967_296.0 + pm as f64;
            let expected = (2.0 * std::f64::consts::PI * cycles).sin();
            assert!((sine_pm(phase, pm) as f64 - expected).abs() < 1e-5, "{phase} {pm}");
        }
    }

    #[test]
    fn decimator_has_unit_dc_gain_and_eight_symmetric_taps() {
        let mut d = Decimator::default();
        d.process(&[1.0; 4]);
        assert!((d.process(&[1.0; 4]) - 1.0).abs() < 1e-6);
        let mut d = Decimator::default();
        let first = d.process(&[1.0, 0.0, 0.0, 0.0]);
        let second = d.process(&[0.0; 4]);
        assert_eq!((first, second), (DECIMATOR[3], DECIMATOR[0]));
    }

    #[test]
    fn ratio_quantiser_reads_the_last_entry_at_full_harmonics() {
        assert_eq!(interpolate(&LUT_FM_FREQUENCY_QUANTIZER, 1.0, 128.0), 36.0);
        assert_eq!(interpolate(&LUT_FM_FREQUENCY_QUANTIZER, 0.0, 128.0), -12.0);
    }

    /// Counts upward zero crossings in the second half of `x`.
    fn rising_crossings(x: &[f32]) -> usize {
        x[x.len() / 2..].windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count()
    }

    #[test]
    fn timbre_zero_gives_pure_sines_an_octave_apart() {
        let (out, aux) = render(0.8, 0.0, 0.1, 4000);
        let n = out.len() / 2;
        let expected = note_to_frequency(60.0) as f64 * n as f64;
        let carrier = rising_crossings(&out) as f64;
        assert!((carrier - expected).abs() <= 1.0, "{carrier} vs {expected}");
        let sub = rising_crossings(&aux) as f64;
        assert!((sub - expected / 2.0).abs() <= 1.0, "{sub}");
        let peak = out[n..].iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!((peak - 1.0).abs() < 1e-3, "{peak}");
    }

    #[test]
    fn modulation_index_follows_timbre() {
        let (plain, _) = render(0.5, 0.0, 0.5, 400);
        let (modulated, _) = render(0.5, 1.0, 0.5, 400);
        let difference: f32 = plain.iter().zip(&modulated).map(|(a, b)| (a - b).abs()).sum();
        assert!(difference / plain.len() as f32 > 0.1);
        assert!(modulated.iter().all(|x| x.abs() <= 1.0 + 1e-4));
    }
}
