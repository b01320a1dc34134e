//! Six random impulse generators, each ringing a band-pass tuned at random around
//! the note (engines-8-15.md §4.2).
//!
//! The firmware renders particle after particle. Here the random part (pulses
//! and retuning, in the firmware's draw order) runs first for all particles,
//! then the six filters run interleaved sample by sample so that their
//! independent recursions overlap; every filter sees the same operations.

use crate::dsp::filter::{Svf, TanApproximation};
use crate::dsp::random::Random;
use crate::dsp::units::semitones_to_ratio;
use crate::engines::Block;

/// Number of particles.
pub const PARTICLE_COUNT: usize = 6;

/// The settings all particles share for one block.
#[derive(Clone, Copy, Debug)]
pub struct ParticleSettings {
    /// Note frequency, cycles per sample.
    pub f0: f32,
    /// Probability of a pulse per sample.
    pub density: f32,
    /// Resonance of the band-passes.
    pub q: f32,
    /// Random retuning range, ± semitones.
    pub spread: f32,
    /// A rising edge this block: every particle pulses on the first sample.
    pub sync: bool,
}

/// Where a particle retunes in this block, and to what.
#[derive(Clone, Copy, Debug)]
struct Retune {
    sample: usize,
    frequency: f32,
    pre_gain: f32,
}

/// The particles' resonators and their input gains.
#[derive(Clone, Debug, Default)]
pub struct Particles {
    pre_gain: [f32; PARTICLE_COUNT],
    filters: [Svf; PARTICLE_COUNT],
    pulses: [Block; PARTICLE_COUNT],
}

impl Particles {
    /// Writes the sum of the raw pulses into `aux` and of the ringing filters into `out`.
    ///
    /// Each particle draws one number before the block and one per sample, plus
    /// one to retune at its first pulse of the block.
    pub fn render(
        &mut self,
        settings: &ParticleSettings,
        random: &mut Random,
        out: &mut Block,
        aux: &mut Block,
    ) {
        let mut retunes = [None; PARTICLE_COUNT];
        for (pulses, retune) in self.pulses.iter_mut().zip(retunes.iter_mut()) {
            *retune = draw_pulses(settings, random, pulses);
        }
        for (n, (o, a)) in out.iter_mut().zip(aux.iter_mut()).enumerate() {
            let mut filtered = 0.0;
            let mut raw = 0.0;
            let lanes = self
                .filters
                .iter_mut()
                .zip(self.pre_gain.iter_mut())
                .zip(self.pulses.iter())
                .zip(retunes.iter());
            for (((filter, pre_gain), pulses), retune) in lanes {
                if let Some(retune) = retune.filter(|retune| retune.sample == n) {
                    *pre_gain = retune.pre_gain;
                    filter.set_frequency_q(retune.frequency, settings.q, TanApproximation::Dirty);
                }
                let s = pulses[n];
                raw += s;
                filtered += filter.process(*pre_gain * s).bp;
            }
            *o = filtered;
            *a = raw;
        }
        for filter in self.filters.iter_mut() {
            filter.flush_negligible_states();
        }
    }
}

/// One particle's pulse heights for the block, and its retuning if it pulsed.
fn draw_pulses(settings: &ParticleSettings, random: &mut Random, pulses: &mut Block) -> Option<Retune> {
    let density = settings.density;
    let gain = 1.0 / density;
    let mut u = random.get_float();
    if settings.sync {
        // The draw is discarded: a full-height pulse right away.
        u = density;
    }
    let mut retune = None;
    for (n, s) in pulses.iter_mut().enumerate() {
        *s = 0.0;
        if u <= density {
            *s = u * gain;
            if retune.is_none() {
                let detune = 2.0 * random.get_float() - 1.0;
                let frequency = (semitones_to_ratio(settings.spread * detune) * settings.f0).min(0.25);
                let pre_gain = 0.5 / (settings.q * frequency * density.sqrt()).sqrt();
                retune = Some(Retune { sample: n, frequency, pre_gain });
            }
        }
        u = random.get_float();
    }
    retune
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::BLOCK_SIZE;

    fn settings(sync: bool) -> ParticleSettings {
        ParticleSettings { f0: 0.01, density: 0.001, q: 1.5, spread: 0.0, sync }
    }

    #[test]
    fn sync_fires_a_unit_pulse_on_the_first_sample_of_every_particle() {
        let mut particles = Particles::default();
        let mut random = Random::default();
        let (mut out, mut aux) = ([0.0f32; BLOCK_SIZE], [0.0f32; BLOCK_SIZE]);
        particles.render(&settings(true), &mut random, &mut out, &mut aux);
        assert!((aux[0] - PARTICLE_COUNT as f32).abs() < 1e-5);
        assert!(out[0] != 0.0);
    }

    #[test]
    fn draws_thirteen_numbers_or_fourteen_with_a_retune() {
        let mut random = Random::default();
        let mut pulses = [0.0f32; BLOCK_SIZE];
        let mut expected = random.clone();
        let retune = draw_pulses(&settings(false), &mut random, &mut pulses);
        let draws = 13 + usize::from(retune.is_some());
        assert_eq!(retune.is_some(), pulses.iter().any(|&x| x != 0.0));
        for _ in 0..draws {
            expected.get_word();
        }
        assert_eq!(random, expected);
        let mut expected = random.clone();
        let retune = draw_pulses(&settings(true), &mut random, &mut pulses);
        assert_eq!(retune.map(|r| r.sample), Some(0));
        for _ in 0..14 {
            expected.get_word();
        }
        assert_eq!(random, expected);
    }

    #[test]
    fn pulse_rate_matches_density() {
        let mut random = Random::default();
        let mut pulses = [0.0f32; BLOCK_SIZE];
        let settings = ParticleSettings { density: 0.01, ..settings(false) };
        let mut count = 0;
        let blocks = 10_000;
        for _ in 0..blocks {
            draw_pulses(&settings, &mut random, &mut pulses);
            count += pulses.iter().filter(|&&x| x != 0.0).count();
            assert!(pulses.iter().all(|&x| (0.0..=1.0).contains(&x)));
        }
        let expected = 0.01 * BLOCK_SIZE as f32 * blocks as f32;
        assert!((count as f32 - expected).abs() < 0.1 * expected, "{count} vs {expected}");
    }

    #[test]
    fn resonator_rings_at_its_retuned_frequency() {
        let mut particles = Particles::default();
        let mut random = Random::default();
        let (mut out, mut aux) = ([0.0f32; BLOCK_SIZE], [0.0f32; BLOCK_SIZE]);
        let ringing = ParticleSettings { f0: 0.02, density: 1e-9, q: 100.0, spread: 0.0, sync: true };
        particles.render(&ringing, &mut random, &mut out, &mut aux);
        let mut samples = out.to_vec();
        for _ in 0..200 {
            particles.render(&ParticleSettings { sync: false, ..ringing }, &mut random, &mut out, &mut aux);
            samples.extend_from_slice(&out);
        }
        let crossings = samples.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count() as f32;
        let expected = 0.02 * samples.len() as f32;
        assert!((crossings - expected).abs() <= 2.0, "{crossings} vs {expected}");
    }
}
