//! Engine 10, "Particle noise": random impulses ringing six randomly tuned
//! band-passes, with an optional diffuser (OUT) and the raw impulses (AUX)
//! (engines-8-15.md §4).

mod diffuser;
mod particles;

use crate::dsp::filter::{Svf, TanApproximation};
use crate::dsp::random::Random;
use crate::dsp::units::{note_to_frequency, semitones_to_ratio};
use crate::engines::{Block, Engine, EngineParameters};
use diffuser::Diffuser;
use particles::{ParticleSettings, Particles, PARTICLE_COUNT};

/// State of engine 10.
#[derive(Clone, Debug, Default)]
pub struct ParticleEngine {
    particles: Particles,
    post_filter: Svf,
    diffuser: Diffuser,
}

impl Engine for ParticleEngine {
    fn reset(&mut self) {
        self.diffuser.clear();
    }

    fn render(
        &mut self,
        parameters: &EngineParameters,
        random: &mut Random,
        out: &mut Block,
        aux: &mut Block,
        _already_enveloped: &mut bool,
    ) {
        let f0 = note_to_frequency(parameters.note);
        let density_sqrt = note_to_frequency(60.0 + parameters.timbre * parameters.timbre * 72.0);
        // Multiplied by the f32 reciprocal of 6, not divided by 6: the spec's
        // "dsq²/6" rounds differently and puts two reference renders off by a few
        // samples.
        let density = density_sqrt * density_sqrt * (1.0 / PARTICLE_COUNT as f32);
        let morph = parameters.morph;
        // Above the middle MORPH raises the resonance; below it, the diffusion.
        let q_sqrt = if morph >= 0.5 { semitones_to_ratio((morph - 0.5) * 120.0) } else { 1.0 };
        let q = 0.5 + q_sqrt * q_sqrt;
        let raw_diffusion_sqrt = 2.0 * (morph - 0.5).abs();
        let raw_diffusion = raw_diffusion_sqrt * raw_diffusion_sqrt;
        let diffusion = if morph < 0.5 { raw_diffusion } else { 0.0 };
        let settings = ParticleSettings {
            f0,
            density,
            q,
            spread: parameters.harmonics * parameters.harmonics * 48.0,
            sync: parameters.trigger.is_rising_edge(),
        };

        self.particles.render(&settings, random, out, aux);

        self.post_filter.set_frequency_q(f0.min(0.49), 0.5, TanApproximation::Dirty);
        for o in out.iter_mut() {
            *o = self.post_filter.process(*o).lp;
        }
        self.post_filter.flush_negligible_states();

        self.diffuser.process(diffusion * diffusion * 0.8, 0.5 * diffusion + 0.25, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::{TriggerState, BLOCK_SIZE};

    #[test]
    fn each_particle_draws_thirteen_or_fourteen_numbers() {
        let mut engine = ParticleEngine::default();
        engine.reset();
        let mut random = Random::default();
        let parameters = EngineParameters {
            trigger: TriggerState::RisingEdge,
            note: 60.0,
            timbre: 0.0,
            morph: 0.5,
            harmonics: 0.5,
            accent: 0.8,
        };
        let (mut out, mut aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
        engine.render(&parameters, &mut random, &mut out, &mut aux, &mut false);
        // A trigger makes all six pulse and retune at once.
        let mut expected = Random::default();
        for _ in 0..PARTICLE_COUNT * 14 {
            expected.get_word();
        }
        assert_eq!(random, expected);
        assert!((aux[0] - PARTICLE_COUNT as f32).abs() < 1e-5, "{}", aux[0]);
    }

    #[test]
    fn mean_pulse_rate_follows_timbre() {
        let mut engine = ParticleEngine::default();
        engine.reset();
        let mut random = Random::default();
        let parameters = EngineParameters {
            trigger: TriggerState::Unpatched,
            note: 60.0,
            timbre: 1.0,
            morph: 0.7,
            harmonics: 0.5,
            accent: 0.8,
        };
        let (mut out, mut aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
        let blocks = 4000;
        let mut pulses = 0;
        for _ in 0..blocks {
            engine.render(&parameters, &mut random, &mut out, &mut aux, &mut false);
            pulses += aux.iter().filter(|&&x| x != 0.0).count();
        }
        // dsq = f(132) ≈ 0.3498: dsq² pulses per sample (some coincide on one sample).
        let dsq = note_to_frequency(132.0);
        let expected = 1.0 - (1.0 - dsq * dsq / 6.0).powi(6);
        let measured = pulses as f32 / (blocks * BLOCK_SIZE) as f32;
        assert!((measured / expected - 1.0).abs() < 0.05, "{measured} vs {expected}");
    }
}
