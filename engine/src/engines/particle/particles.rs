//! Six random impulse generators, each ringing a band-pass tuned at random around
//! the note (engines-8-15.md §4.2).
//!
//! The firmware renders particle after particle. Here the random part (pulses
//! and retuning, in the firmware's draw order) runs first for all particles,
//! then the six filters run side by side in vector lanes, sample by sample;
//! every lane does the state-variable filter's operations in their scalar
//! order, so output bits are unchanged.

use crate::dsp::denormal::flush_negligible;
use crate::dsp::filter::TanApproximation;
use crate::dsp::random::Random;
use crate::dsp::units::semitones_to_ratio;
use crate::engines::{Block, BLOCK_SIZE};

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

/// Vector lanes of the resonators: the six particles and two idle lanes,
/// which see no input and stay at zero.
const LANES: usize = 8;

/// The six band-passes as lanes: `dsp::filter::Svf`'s coefficients and
/// states, one array per quantity.
#[derive(Clone, Debug)]
struct Resonators {
    g: [f32; LANES],
    r: [f32; LANES],
    h: [f32; LANES],
    state_1: [f32; LANES],
    state_2: [f32; LANES],
}

/// `SvfCoefficients::new(f, resonance, Dirty)`: g, r, h.
#[inline]
fn coefficients(f: f32, resonance: f32) -> (f32, f32, f32) {
    let g = TanApproximation::Dirty.tan(f);
    let r = 1.0 / resonance;
    let h = 1.0 / (1.0 + r * g + g * g);
    (g, r, h)
}

impl Default for Resonators {
    fn default() -> Self {
        // `Svf::default()`.
        let (g, r, h) = coefficients(0.01, 100.0);
        Self { g: [g; LANES], r: [r; LANES], h: [h; LANES], state_1: [0.0; LANES], state_2: [0.0; LANES] }
    }
}

impl Resonators {
    /// Retunes one lane, as `Svf::set_frequency_q(f, resonance, Dirty)`.
    fn set(&mut self, lane: usize, f: f32, resonance: f32) {
        (self.g[lane], self.r[lane], self.h[lane]) = coefficients(f, resonance);
    }

    /// One sample through every lane (`SvfCoefficients::step`): the band-pass outputs.
    #[inline]
    fn step(&mut self, x: &[f32; LANES]) -> [f32; LANES] {
        let mut bp = [0.0; LANES];
        for lane in 0..LANES {
            let (g, s1, s2) = (self.g[lane], self.state_1[lane], self.state_2[lane]);
            let hp = (x[lane] - self.r[lane] * s1 - g * s1 - s2) * self.h[lane];
            let b = g * hp + s1;
            self.state_1[lane] = g * hp + b;
            let lp = g * b + s2;
            self.state_2[lane] = g * b + lp;
            bp[lane] = b;
        }
        bp
    }
}

/// The particles' resonators and their input gains.
#[derive(Clone, Debug, Default)]
pub struct Particles {
    pre_gain: [f32; PARTICLE_COUNT],
    resonators: Resonators,
}

/// The block's pulse heights, sample by sample across the lanes.
type PulseRows = [[f32; LANES]; BLOCK_SIZE];

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
        // Pulses are rare: the rows start silent and the draws fill in the
        // pulses. `aux` sums them particle by particle as the firmware does;
        // adding the firmware's +0.0 for a silent particle would leave the
        // (never negative) sum unchanged, so only pulses are added.
        let mut rows: PulseRows = [[0.0; LANES]; BLOCK_SIZE];
        *aux = [0.0; BLOCK_SIZE];
        let mut retunes = [None; PARTICLE_COUNT];
        for (lane, retune) in retunes.iter_mut().enumerate() {
            *retune = draw_pulses(settings, random, &mut rows, lane, aux);
        }
        let mut retune_lanes = [0u8; BLOCK_SIZE];
        for (lane, retune) in retunes.iter().enumerate() {
            if let Some(retune) = retune {
                retune_lanes[retune.sample] |= 1 << lane;
            }
        }
        let resonators = &mut self.resonators;
        for (n, (o, row)) in out.iter_mut().zip(&rows).enumerate() {
            if retune_lanes[n] != 0 {
                for (lane, retune) in retunes.iter().enumerate() {
                    if let Some(retune) = retune.filter(|retune| retune.sample == n) {
                        self.pre_gain[lane] = retune.pre_gain;
                        resonators.set(lane, retune.frequency, settings.q);
                    }
                }
            }
            let mut x = [0.0f32; LANES];
            for ((x, pre_gain), &s) in x.iter_mut().zip(&self.pre_gain).zip(row) {
                *x = *pre_gain * s;
            }
            let bp = resonators.step(&x);
            // Summed particle by particle, as the firmware does.
            let mut filtered = 0.0;
            for &b in &bp[..PARTICLE_COUNT] {
                filtered += b;
            }
            *o = filtered;
        }
        for state in resonators.state_1.iter_mut().chain(resonators.state_2.iter_mut()) {
            *state = flush_negligible(*state);
        }
    }
}

/// One particle's pulse heights for the block, written into its lane of
/// `rows` (left silent where it does not pulse) and added into `raw`, and its
/// retuning if it pulsed.
fn draw_pulses(
    settings: &ParticleSettings,
    random: &mut Random,
    rows: &mut PulseRows,
    lane: usize,
    raw: &mut Block,
) -> Option<Retune> {
    let density = settings.density;
    let gain = 1.0 / density;
    let mut u = random.get_float();
    if settings.sync {
        // The draw is discarded: a full-height pulse right away.
        u = density;
    }
    let mut retune = None;
    for (n, (row, raw)) in rows.iter_mut().zip(raw.iter_mut()).enumerate() {
        if u <= density {
            let s = u * gain;
            row[lane] = s;
            *raw += s;
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

    /// One particle's draws for a block, its pulses returned in `pulses`.
    fn draw_one(settings: &ParticleSettings, random: &mut Random, pulses: &mut Block) -> Option<Retune> {
        let mut rows = [[0.0; LANES]; BLOCK_SIZE];
        let mut raw = [0.0; BLOCK_SIZE];
        let retune = draw_pulses(settings, random, &mut rows, 1, &mut raw);
        for ((pulse, row), raw) in pulses.iter_mut().zip(&rows).zip(&raw) {
            *pulse = row[1];
            assert_eq!(row[1], *raw);
        }
        retune
    }

    fn settings(sync: bool) -> ParticleSettings {
        ParticleSettings { f0: 0.01, density: 0.001, q: 1.5, spread: 0.0, sync }
    }

    #[test]
    fn resonator_lanes_match_the_scalar_filter_bit_for_bit() {
        use crate::dsp::filter::Svf;
        let mut random = Random::default();
        let mut resonators = Resonators::default();
        let mut filters: [Svf; LANES] = Default::default();
        for block in 0..200 {
            if block % 7 == 0 {
                for (lane, filter) in filters.iter_mut().enumerate() {
                    let (f, q) = (0.25 * random.get_float(), 0.5 + 50.0 * random.get_float());
                    resonators.set(lane, f, q);
                    filter.set_frequency_q(f, q, TanApproximation::Dirty);
                }
            }
            let x: [f32; LANES] =
                std::array::from_fn(|_| if random.get_float() < 0.1 { random.get_float() } else { 0.0 });
            let bp = resonators.step(&x);
            for ((filter, &x), &b) in filters.iter_mut().zip(&x).zip(&bp) {
                assert_eq!(filter.process(x).bp.to_bits(), b.to_bits(), "block {block}");
            }
        }
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
        let retune = draw_one(&settings(false), &mut random, &mut pulses);
        let draws = 13 + usize::from(retune.is_some());
        assert_eq!(retune.is_some(), pulses.iter().any(|&x| x != 0.0));
        for _ in 0..draws {
            expected.get_word();
        }
        assert_eq!(random, expected);
        let mut expected = random.clone();
        let retune = draw_one(&settings(true), &mut random, &mut pulses);
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
            draw_one(&settings, &mut random, &mut pulses);
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
