//! Engine 9, "Filtered noise": clocked noise through a LP→BP→HP filter (OUT) and a
//! pair of band-passes at the note and at a second pitch (AUX) (engines-8-15.md §3).

use crate::dsp::filter::{Svf, TanApproximation};
use crate::dsp::ramp::ParameterRamp;
use crate::dsp::random::Random;
use crate::dsp::units::{note_to_frequency, semitones_to_ratio};
use crate::engines::{Block, Engine, EngineParameters, BLOCK_SIZE};
use crate::oscillators::clocked_noise::ClockedNoise;

/// State of engine 9.
#[derive(Clone, Debug)]
pub struct FilteredNoiseEngine {
    clocked_noise: [ClockedNoise; 2],
    lp_hp: Svf,
    bp: [Svf; 2],
    previous_f0: f32,
    previous_f1: f32,
    previous_q: f32,
    previous_mode: f32,
    second_noise: Block,
    /// The (f0, Q) and (f1, Q) the filters were last set to. Setting the same
    /// coefficients again gives the same bits, so steady ramps skip it.
    f0_q_set: (f32, f32),
    f1_q_set: (f32, f32),
    noise_gain: f32,
}

impl Default for FilteredNoiseEngine {
    fn default() -> Self {
        Self {
            clocked_noise: Default::default(),
            lp_hp: Svf::default(),
            bp: Default::default(),
            previous_f0: 0.0,
            previous_f1: 0.0,
            previous_q: 0.0,
            previous_mode: 0.0,
            second_noise: [0.0; BLOCK_SIZE],
            // NaN never compares equal, so the first sample sets the filters.
            f0_q_set: (f32::NAN, f32::NAN),
            f1_q_set: (f32::NAN, f32::NAN),
            noise_gain: 0.0,
        }
    }
}

/// Gains of the (HP, BP, LP) outputs for a mode from 0 (LP) through 0.5 (BP) to 1 (−HP).
#[inline]
fn multimode_gains(mode: f32) -> (f32, f32, f32) {
    let lp_hp = 1.0 - 2.0 * mode;
    (lp_hp.min(0.0), 1.0 - 2.0 * (mode - 0.5).abs(), lp_hp.max(0.0))
}

impl Engine for FilteredNoiseEngine {
    fn render(
        &mut self,
        parameters: &EngineParameters,
        random: &mut Random,
        out: &mut Block,
        aux: &mut Block,
        _already_enveloped: &mut bool,
    ) {
        let f0 = note_to_frequency(parameters.note);
        let f1 = note_to_frequency(parameters.note + 48.0 * parameters.harmonics - 24.0);
        // With TRIG patched the clock reaches two octaves lower, for triggered steps.
        let lowest_clock_note = if parameters.trigger.is_unpatched() { 0.0 } else { -24.0 };
        let clock_f = note_to_frequency(parameters.timbre * (128.0 - lowest_clock_note) + lowest_clock_note);
        let q = 0.5 * semitones_to_ratio(parameters.morph * 120.0);
        let sync = parameters.trigger.is_rising_edge();

        // AUX is scratch for the first noise until the filters overwrite it.
        self.clocked_noise[0].render(sync, clock_f, random, aux);
        self.clocked_noise[1].render(sync, clock_f * f1 / f0, random, &mut self.second_noise);

        let mut f0_ramp = ParameterRamp::new(self.previous_f0, f0, BLOCK_SIZE);
        let mut f1_ramp = ParameterRamp::new(self.previous_f1, f1, BLOCK_SIZE);
        let mut q_ramp = ParameterRamp::new(self.previous_q, q, BLOCK_SIZE);
        let mut mode_ramp = ParameterRamp::new(self.previous_mode, parameters.harmonics, BLOCK_SIZE);
        let [bp0, bp1] = &mut self.bp;
        for ((o, a), second) in out.iter_mut().zip(aux.iter_mut()).zip(self.second_noise.iter()) {
            let f0 = f0_ramp.next();
            let f1 = f1_ramp.next();
            let q = q_ramp.next();
            if self.f0_q_set != (f0, q) {
                self.f0_q_set = (f0, q);
                // Keeps the level roughly constant as resonance and pitch change.
                self.noise_gain = 1.0 / ((0.5 + q) * 40.0 * f0).sqrt();
                self.lp_hp.set_frequency_q(f0, q, TanApproximation::Accurate);
                bp0.set_frequency_q(f0, q, TanApproximation::Accurate);
            }
            if self.f1_q_set != (f1, q) {
                self.f1_q_set = (f1, q);
                bp1.set_frequency_q(f1, q, TanApproximation::Accurate);
            }
            let x0 = *a * self.noise_gain;
            let x1 = *second * self.noise_gain;
            let (hp_gain, bp_gain, lp_gain) = multimode_gains(mode_ramp.next());
            let filtered = self.lp_hp.process(x0);
            *o = hp_gain * filtered.hp + bp_gain * filtered.bp + lp_gain * filtered.lp;
            *a = bp0.process(x0).bp + bp1.process(x1).bp;
        }
        self.previous_f0 = f0_ramp.value();
        self.previous_f1 = f1_ramp.value();
        self.previous_q = q_ramp.value();
        self.previous_mode = mode_ramp.value();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::TriggerState;

    #[test]
    fn mode_morphs_from_low_pass_through_band_pass_to_inverted_high_pass() {
        assert_eq!(multimode_gains(0.0), (0.0, 0.0, 1.0));
        assert_eq!(multimode_gains(0.5), (0.0, 1.0, 0.0));
        assert_eq!(multimode_gains(1.0), (-1.0, 0.0, 0.0));
        assert_eq!(multimode_gains(0.25), (0.0, 0.5, 0.5));
    }

    #[test]
    fn draws_24_random_numbers_per_block() {
        let mut engine = FilteredNoiseEngine::default();
        let mut random = Random::default();
        let parameters = EngineParameters {
            trigger: TriggerState::Unpatched,
            note: 60.0,
            timbre: 0.5,
            morph: 0.5,
            harmonics: 0.5,
            accent: 0.8,
        };
        let (mut out, mut aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
        engine.render(&parameters, &mut random, &mut out, &mut aux, &mut false);
        let mut expected = Random::default();
        for _ in 0..24 {
            expected.get_word();
        }
        assert_eq!(random, expected);
    }

    /// OUT's mean power two octaves below and two octaves above the note.
    fn power_below_and_above_the_note(harmonics: f32) -> (f64, f64) {
        use rustfft::{num_complex::Complex, FftPlanner};
        let mut engine = FilteredNoiseEngine::default();
        let mut random = Random::default();
        let parameters = EngineParameters {
            trigger: TriggerState::Unpatched,
            note: 60.0,
            timbre: 1.0,
            morph: 0.0,
            harmonics,
            accent: 0.8,
        };
        let (mut out, mut aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
        let n = 1 << 16;
        let mut samples = Vec::with_capacity(n);
        while samples.len() < n {
            engine.render(&parameters, &mut random, &mut out, &mut aux, &mut false);
            samples.extend(out.iter().map(|&x| Complex::new(x as f64, 0.0)));
        }
        samples.truncate(n);
        FftPlanner::new().plan_fft_forward(n).process(&mut samples);
        let band_power = |f: f64| {
            let centre = f * n as f64;
            let range = (centre * 0.9) as usize..(centre * 1.1) as usize;
            let count = range.len() as f64;
            range.map(|k| samples[k].norm_sqr()).sum::<f64>() / count
        };
        let f0 = note_to_frequency(60.0) as f64;
        (band_power(f0 / 4.0), band_power(f0 * 4.0))
    }

    #[test]
    fn harmonics_moves_out_from_low_pass_to_high_pass() {
        // 12 dB per octave: about 24 dB between the passband and two octaves out.
        let (below, above) = power_below_and_above_the_note(0.0);
        assert!(below > 100.0 * above, "LP: {below} vs {above}");
        let (below, above) = power_below_and_above_the_note(1.0);
        assert!(above > 100.0 * below, "HP: {below} vs {above}");
        let (below, above) = power_below_and_above_the_note(0.5);
        assert!((below / above - 1.0).abs() < 0.5, "BP is symmetric: {below} vs {above}");
    }
}
