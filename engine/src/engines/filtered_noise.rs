//! Engine 9, "Filtered noise": clocked noise through a LP→BP→HP filter (OUT) and a
//! pair of band-passes at the note and at a second pitch (AUX) (engines-8-15.md §3).

use crate::dsp::filter::TanApproximation;
use crate::dsp::ramp::ParameterRamp;
use crate::dsp::random::Random;
use crate::dsp::units::{note_to_frequency, semitones_to_ratio};
use crate::engines::{Block, Engine, EngineParameters, BLOCK_SIZE};
use crate::oscillators::clocked_noise::ClockedNoise;

/// State of engine 9.
#[derive(Clone, Debug)]
pub struct FilteredNoiseEngine {
    clocked_noise: [ClockedNoise; 2],
    filters: SvfLanes,
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
            filters: SvfLanes::default(),
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

/// The engine's three state-variable filters side by side, one per vector
/// lane: lane 0 the LP/BP/HP filter of OUT, lanes 1 and 2 the band-passes
/// of AUX at f0 and f1; lane 3 idles at zero (all coefficients 0). Each lane
/// does [`SvfCoefficients::step`](crate::dsp::filter::SvfCoefficients::step)'s
/// f32 operations in its order, so the outputs are those of three `Svf`s.
#[derive(Clone, Debug, Default)]
struct SvfLanes {
    g: [f32; 4],
    r: [f32; 4],
    h: [f32; 4],
    state_1: [f32; 4],
    state_2: [f32; 4],
}

impl SvfLanes {
    /// Sets lane `lane` to cutoff `f` and resonance `resonance`, as
    /// `SvfCoefficients::new` with the accurate tangent.
    #[inline]
    fn set_frequency_q(&mut self, lane: usize, f: f32, resonance: f32) {
        let g = TanApproximation::Accurate.tan(f);
        let r = 1.0 / resonance;
        self.g[lane] = g;
        self.r[lane] = r;
        self.h[lane] = 1.0 / (1.0 + r * g + g * g);
    }

    /// One sample of input `x` in every lane: the (LP, BP, HP) outputs.
    #[inline(always)]
    fn process(&mut self, x: [f32; 4]) -> [[f32; 4]; 3] {
        let Self { g, r, h, state_1, state_2 } = self;
        let mut lp = [0.0; 4];
        let mut bp = [0.0; 4];
        let mut hp = [0.0; 4];
        for lane in 0..4 {
            hp[lane] =
                (x[lane] - r[lane] * state_1[lane] - g[lane] * state_1[lane] - state_2[lane]) * h[lane];
            bp[lane] = g[lane] * hp[lane] + state_1[lane];
            state_1[lane] = g[lane] * hp[lane] + bp[lane];
            lp[lane] = g[lane] * bp[lane] + state_2[lane];
            state_2[lane] = g[lane] * bp[lane] + lp[lane];
        }
        [lp, bp, hp]
    }
}

/// Gains of the (HP, BP, LP) outputs for a mode from 0 (LP) through 0.5 (BP) to 1 (−HP).
#[inline]
fn multimode_gains(mode: f32) -> (f32, f32, f32) {
    let lp_hp = 1.0 - 2.0 * mode;
    (lp_hp.min(0.0), 1.0 - 2.0 * (mode - 0.5).abs(), lp_hp.max(0.0))
}

impl FilteredNoiseEngine {
    /// Sets the filters to cutoffs `f0` (OUT and the first band-pass) and
    /// `f1` (the second band-pass) at resonance `q`, where they changed.
    #[inline(always)]
    fn set_filters(&mut self, f0: f32, f1: f32, q: f32) {
        if self.f0_q_set != (f0, q) {
            self.f0_q_set = (f0, q);
            // Keeps the level roughly constant as resonance and pitch change.
            self.noise_gain = 1.0 / ((0.5 + q) * 40.0 * f0).sqrt();
            self.filters.set_frequency_q(0, f0, q);
            self.filters.set_frequency_q(1, f0, q);
        }
        if self.f1_q_set != (f1, q) {
            self.f1_q_set = (f1, q);
            self.filters.set_frequency_q(2, f1, q);
        }
    }

    /// Filters the first noise (in `aux`) and the second into OUT and AUX;
    /// `step` readies each sample's filters and returns the mode's gains.
    #[inline(always)]
    fn filter(
        &mut self,
        out: &mut Block,
        aux: &mut Block,
        mut step: impl FnMut(&mut Self) -> (f32, f32, f32),
    ) {
        for i in 0..BLOCK_SIZE {
            let (hp_gain, bp_gain, lp_gain) = step(self);
            let x0 = aux[i] * self.noise_gain;
            let x1 = self.second_noise[i] * self.noise_gain;
            let [lp, bp, hp] = self.filters.process([x0, x0, x1, 0.0]);
            out[i] = hp_gain * hp[0] + bp_gain * bp[0] + lp_gain * lp[0];
            aux[i] = bp[1] + bp[2];
        }
    }
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
        // With every ramp at rest, each sample gets the same f0, f1, Q and mode:
        // the filters are set (if at all) before the first sample instead of
        // checked at every one, and the mode's gains are worked out once.
        let at_rest =
            f0_ramp.is_at_rest() && f1_ramp.is_at_rest() && q_ramp.is_at_rest() && mode_ramp.is_at_rest();
        if at_rest {
            self.set_filters(f0_ramp.next(), f1_ramp.next(), q_ramp.next());
            let gains = multimode_gains(mode_ramp.next());
            self.filter(out, aux, |_| gains);
        } else {
            self.filter(out, aux, |this| {
                this.set_filters(f0_ramp.next(), f1_ramp.next(), q_ramp.next());
                multimode_gains(mode_ramp.next())
            });
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
    use crate::dsp::filter::Svf;

    #[test]
    fn filter_lanes_match_three_svfs_bit_for_bit() {
        let mut lanes = SvfLanes::default();
        let mut svfs: [Svf; 3] = Default::default();
        let mut random = Random::default();
        for block in 0..2000 {
            if block % 7 == 0 {
                let q = 0.5 + 100.0 * random.get_float();
                for (lane, svf) in svfs.iter_mut().enumerate() {
                    let f = 0.0001 + 0.45 * random.get_float();
                    lanes.set_frequency_q(lane, f, q);
                    svf.set_frequency_q(f, q, TanApproximation::Accurate);
                }
            }
            for _ in 0..BLOCK_SIZE {
                let x = [random.get_float() - 0.5, random.get_float() - 0.5, random.get_float() - 0.5, 0.0];
                let [lp, bp, hp] = lanes.process(x);
                for (lane, svf) in svfs.iter_mut().enumerate() {
                    let expected = svf.process(x[lane]);
                    assert_eq!(lp[lane].to_bits(), expected.lp.to_bits(), "block {block} lane {lane}");
                    assert_eq!(bp[lane].to_bits(), expected.bp.to_bits(), "block {block} lane {lane}");
                    assert_eq!(hp[lane].to_bits(), expected.hp.to_bits(), "block {block} lane {lane}");
                }
                assert_eq!([lp[3], bp[3], hp[3]], [0.0; 3]);
            }
        }
    }
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
