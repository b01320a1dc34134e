//! Engine 3, "Granular formant oscillator": two grainlet oscillators with
//! formants set by TIMBRE and HARMONICS; AUX is a CZ-style Z oscillator
//! (engines-0-3.md §E).

use crate::dsp::filter::{OnePole, TanApproximation};
use crate::dsp::random::Random;
use crate::dsp::units::{note_to_frequency, semitones_to_ratio};
use crate::engines::memo::Memo;
use crate::engines::{Block, Engine, EngineParameters, BLOCK_SIZE};
use crate::oscillators::grainlet::GrainletOscillator;
use crate::oscillators::z_oscillator::ZOscillator;

/// State of engine 3.
#[derive(Clone, Debug, Default)]
pub struct GrainEngine {
    /// The two formants of OUT.
    grainlet: GrainletOscillator<2>,
    z_oscillator: ZOscillator,
    dc_blocker: [OnePole; 2],
    /// The last block's settings, reused while note, TIMBRE, MORPH and HARMONICS rest.
    settings: Memo<4, Settings>,
}

/// Everything engine 3 derives from its parameters for a block.
#[derive(Clone, Copy, Debug)]
struct Settings {
    f0: f32,
    formants: [f32; 2],
    carrier_shape: f32,
    carrier_bleed: f32,
    cutoff: f32,
}

impl Settings {
    fn new(parameters: &EngineParameters) -> Self {
        let root = parameters.note;
        let f0 = note_to_frequency(root);
        // The formant is absolute: it does not follow the note.
        let f1 = note_to_frequency(24.0 + 84.0 * parameters.timbre);
        let ratio = semitones_to_ratio(-24.0 + 48.0 * parameters.harmonics);
        let carrier_bleed = if parameters.harmonics < 0.5 { 1.0 - 2.0 * parameters.harmonics } else { 0.0 };
        let carrier_bleed_fixed = carrier_bleed * (2.0 - carrier_bleed);
        // MORPH's window shape fades to a plain Hann window toward f0 = 1/24.
        let carrier_shape = 0.33 + (parameters.morph - 0.33) * (1.0 - f0 * 24.0).max(0.0);
        Self {
            f0,
            formants: [f1, f1 * ratio],
            carrier_shape,
            carrier_bleed: carrier_bleed_fixed,
            cutoff: note_to_frequency(root + 96.0 * parameters.timbre),
        }
    }
}

impl Engine for GrainEngine {
    fn render(
        &mut self,
        parameters: &EngineParameters,
        _random: &mut Random,
        out: &mut Block,
        aux: &mut Block,
        _already_enveloped: &mut bool,
    ) {
        // Steady knobs give the same settings block after block: keep them.
        let s = self
            .settings
            .get([parameters.note, parameters.timbre, parameters.morph, parameters.harmonics], |_| {
                Settings::new(parameters)
            });
        let f0 = s.f0;

        let mut second_formant = [0.0f32; BLOCK_SIZE];
        self.grainlet.render(f0, s.formants, s.carrier_shape, s.carrier_bleed, [out, &mut second_formant]);
        self.z_oscillator.render(f0, s.cutoff, parameters.morph, parameters.harmonics, aux);

        // Both DC blockers in one loop: their feedback chains overlap.
        let [out_blocker, aux_blocker] = &mut self.dc_blocker;
        out_blocker.set_frequency(0.3 * f0, TanApproximation::Dirty);
        aux_blocker.set_frequency(0.3 * f0, TanApproximation::Dirty);
        for ((o, a), second) in out.iter_mut().zip(aux.iter_mut()).zip(second_formant.iter()) {
            *o = out_blocker.high_pass(*o + *second);
            *a = aux_blocker.high_pass(*a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::TriggerState;

    fn render(note: f32, harmonics: f32, timbre: f32, morph: f32, blocks: usize) -> (Vec<f32>, Vec<f32>) {
        let p = EngineParameters {
            trigger: TriggerState::Unpatched,
            note,
            timbre,
            morph,
            harmonics,
            accent: 0.8,
        };
        let mut engine = GrainEngine::default();
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

    fn mean(x: &[f32]) -> f32 {
        x.iter().sum::<f32>() / x.len() as f32
    }

    #[test]
    fn outputs_have_no_dc_after_settling() {
        let (out, aux) = render(48.0, 0.2, 0.4, 0.8, 4000);
        // Average over a whole number of periods.
        let period = 1.0 / note_to_frequency(48.0);
        let start = out.len() / 2;
        let end = start + (60.0 * period).round() as usize;
        let (out, aux) = (&out[start..end], &aux[start..end]);
        assert!(mean(out).abs() < 1e-3, "{}", mean(out));
        assert!(mean(aux).abs() < 1e-3, "{}", mean(aux));
        assert!(out.iter().any(|x| x.abs() > 0.05));
        assert!(aux.iter().any(|x| x.abs() > 0.05));
    }

    #[test]
    fn both_grainlets_match_at_centre_harmonics() {
        // Ratio 1 and no bleed: OUT is the high-passed sum of two identical grainlets.
        let mut engine = GrainEngine::default();
        let mut single = GrainletOscillator::<1>::default();
        let mut dc = OnePole::default();
        let p = EngineParameters {
            trigger: TriggerState::Unpatched,
            note: 55.0,
            timbre: 0.6,
            morph: 0.2,
            harmonics: 0.5,
            accent: 0.8,
        };
        let f0 = note_to_frequency(55.0);
        let mut random = Random::default();
        for _ in 0..100 {
            let (mut o, mut a, mut g) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
            engine.render(&p, &mut random, &mut o, &mut a, &mut false);
            let shape = 0.33 + (0.2 - 0.33) * (1.0 - f0 * 24.0);
            single.render(f0, [note_to_frequency(24.0 + 84.0 * 0.6)], shape, 0.0, [&mut g]);
            dc.set_frequency(0.3 * f0, TanApproximation::Dirty);
            for (x, y) in g.iter().zip(o.iter()) {
                assert_eq!(dc.high_pass(*x + *x), *y);
            }
        }
    }

    #[test]
    fn formant_stays_put_when_the_note_moves() {
        // Energy near the formant (f1 ≈ 1.1 kHz at timbre 0.6) for two notes.
        let f1 = note_to_frequency(24.0 + 84.0 * 0.6) as f64;
        let band_energy = |x: &[f32], f: f64| {
            let (mut re, mut im) = (0.0f64, 0.0f64);
            for (i, &v) in x.iter().enumerate() {
                let w = 2.0 * std::f64::consts::PI * f * i as f64;
                re += v as f64 * w.cos();
                im += v as f64 * w.sin();
            }
            (re * re + im * im).sqrt() / x.len() as f64
        };
        for note in [43.0, 50.0] {
            let (out, _) = render(note, 0.5, 0.6, 0.33, 2000);
            let tail = &out[12000..];
            let f0 = note_to_frequency(note) as f64;
            let nearest = (f1 / f0).round() * f0;
            let at_formant = band_energy(tail, nearest);
            let far_below = band_energy(tail, f0);
            assert!(at_formant > 3.0 * far_below, "note {note}: {at_formant} vs {far_below}");
        }
    }
}
