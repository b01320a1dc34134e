//! Engine 4, "Harmonic oscillator": 24 harmonics under one movable, rippled
//! spectral bump; AUX is an 8-drawbar organ under the same bump (engines-4-7.md §1).

use crate::dsp::interpolate::interpolate_wrap;
use crate::dsp::random::Random;
use crate::dsp::units::note_to_frequency;
use crate::engines::memo::Memo;
use crate::engines::{Block, Engine, EngineParameters, BLOCK_SIZE};
use crate::oscillators::harmonic::{harmonics, HarmonicMixer, HarmonicPhase, HARMONICS_PER_MIXER};
use crate::tables::LUT_SINE;

/// Harmonics of the main spectrum (OUT).
const MAIN_HARMONICS: usize = 2 * HARMONICS_PER_MIXER;

/// Organ drawbars.
const DRAWBARS: usize = 8;

/// Amplitude slots (harmonic − 1) of the organ's drawbars 16' 8' 5⅓' 4' 2⅔' 2' 1⅗' 1⅓'.
const DRAWBAR_SLOTS: [usize; DRAWBARS] = [0, 1, 2, 3, 5, 7, 9, 11];

/// Shape of the spectral envelope for one block.
#[derive(Clone, Copy, Debug)]
struct SpectralShape {
    /// Position of the bump's centre along the harmonics, 0 to 1.
    centroid: f32,
    /// Fall-off per harmonic on either side of the centre.
    slope: f32,
    /// Number of ripples across the bump.
    bumps: f32,
}

impl SpectralShape {
    fn new(timbre: f32, morph: f32, harmonics: f32) -> Self {
        let raw_slope = (1.0 - 0.6 * harmonics) * morph;
        Self {
            centroid: timbre,
            slope: 0.01 + 1.99 * raw_slope * raw_slope * raw_slope,
            bumps: 16.0 * harmonics * harmonics,
        }
    }

    /// The `K` un-normalised amplitudes this shape asks for.
    fn targets<const K: usize>(&self) -> [f32; K] {
        let n = (K - 1) as f32;
        let margin = (1.0 / self.slope - 1.0) / (1.0 + self.bumps);
        let center = self.centroid * (n + margin) - 0.5 * margin;
        let mut order = [0.0; K];
        let mut bump = [0.0; K];
        for (i, (order, bump)) in order.iter_mut().zip(bump.iter_mut()).enumerate() {
            *order = (i as f32 - center).abs() * self.slope;
            // Ripples: 1 + cos(2π · order · bumps).
            *bump = 1.0 + interpolate_wrap(&LUT_SINE, 0.25 + *order * self.bumps, 1024.0);
        }
        let mut targets = [0.0; K];
        for ((gain, &order), &bump) in targets.iter_mut().zip(&order).zip(&bump) {
            *gain = 1.0 - order;
            *gain += gain.abs();
            *gain *= *gain;
            *gain *= bump;
            *gain *= *gain;
            *gain *= *gain;
        }
        targets
    }
}

/// Moves the `K` amplitudes of `store` one step toward `targets` (a shape's
/// [`SpectralShape::targets`]) and normalises them to a sum of about 1.
///
/// The real module's one-pole tracks the *un-normalised* target from the
/// *normalised* state, so timbre changes glide over many blocks while the
/// level stays constant; copied as is.
fn track<const K: usize>(store: &mut [f32; K], targets: &[f32; K]) {
    for (stored, &gain) in store.iter_mut().zip(targets) {
        *stored += 0.001 * (gain - *stored);
    }
    let mut sum = 0.001;
    for &stored in store.iter() {
        sum += stored;
    }
    let normalization = 1.0 / sum;
    for stored in store.iter_mut() {
        *stored *= normalization;
    }
}

/// The targets of OUT's harmonics and of the organ's drawbars.
type Targets = ([f32; MAIN_HARMONICS], [f32; DRAWBARS]);

/// State of engine 4; nothing is reset on an engine switch.
#[derive(Clone, Debug, Default)]
pub struct AdditiveEngine {
    amplitudes: [f32; MAIN_HARMONICS],
    drawbars: [f32; DRAWBARS],
    phase: HarmonicPhase,
    low_harmonics: HarmonicMixer,
    high_harmonics: HarmonicMixer,
    organ: HarmonicMixer,
    /// The spectral targets depend on TIMBRE, MORPH and HARMONICS only, so
    /// they are reused while the three rest.
    targets: Memo<3, Targets>,
}

impl Engine for AdditiveEngine {
    fn render(
        &mut self,
        parameters: &EngineParameters,
        _random: &mut Random,
        out: &mut Block,
        aux: &mut Block,
        _already_enveloped: &mut bool,
    ) {
        let f0 = note_to_frequency(parameters.note);
        let (main_targets, drawbar_targets) =
            self.targets.get([parameters.timbre, parameters.morph, parameters.harmonics], |[t, m, h]| {
                let shape = SpectralShape::new(t, m, h);
                (shape.targets(), shape.targets())
            });

        let mut low = [[0.0; BLOCK_SIZE]; HARMONICS_PER_MIXER];
        let mut high = [[0.0; BLOCK_SIZE]; HARMONICS_PER_MIXER];
        harmonics(&self.phase.render(f0), &mut low, &mut high);

        track(&mut self.amplitudes, &main_targets);
        let (low_amplitudes, high_amplitudes) = self.amplitudes.split_at(HARMONICS_PER_MIXER);
        let low_sum = self.low_harmonics.render(1, f0, low_amplitudes.try_into().expect("12"), &low);
        let high_sum = self.high_harmonics.render(13, f0, high_amplitudes.try_into().expect("12"), &high);
        for ((y, l), h) in out.iter_mut().zip(low_sum).zip(high_sum) {
            *y = l + h;
        }

        track(&mut self.drawbars, &drawbar_targets);
        let mut organ_amplitudes = [0.0; HARMONICS_PER_MIXER];
        for (&slot, &drawbar) in DRAWBAR_SLOTS.iter().zip(&self.drawbars) {
            organ_amplitudes[slot] = drawbar;
        }
        *aux = self.organ.render(1, f0, &organ_amplitudes, &low);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::TriggerState;

    fn parameters(note: f32, timbre: f32, morph: f32, harmonics: f32) -> EngineParameters {
        EngineParameters { trigger: TriggerState::Unpatched, note, timbre, morph, harmonics, accent: 0.8 }
    }

    fn settle(
        engine: &mut AdditiveEngine,
        parameters: &EngineParameters,
        blocks: usize,
    ) -> (Vec<f32>, Vec<f32>) {
        let mut random = Random::default();
        let (mut out, mut aux) = (Vec::new(), Vec::new());
        for _ in 0..blocks {
            let mut o = [0.0; BLOCK_SIZE];
            let mut a = [0.0; BLOCK_SIZE];
            engine.render(parameters, &mut random, &mut o, &mut a, &mut false);
            out.extend_from_slice(&o);
            aux.extend_from_slice(&a);
        }
        (out, aux)
    }

    /// Magnitude of harmonic `m` of a signal whose period is exactly `period` samples.
    fn harmonic_magnitude(signal: &[f32], period: usize, m: usize) -> f64 {
        let length = signal.len() / period * period;
        let (mut re, mut im) = (0.0f64, 0.0f64);
        for (n, &x) in signal[..length].iter().enumerate() {
            let angle = 2.0 * std::f64::consts::PI * (m * n) as f64 / period as f64;
            re += x as f64 * angle.cos();
            im += x as f64 * angle.sin();
        }
        2.0 * (re * re + im * im).sqrt() / length as f64
    }

    #[test]
    fn stored_amplitudes_sum_to_one_minus_the_floor() {
        let mut engine = AdditiveEngine::default();
        for (timbre, morph, harmonics) in [(0.5, 0.5, 0.5), (0.1, 0.9, 0.0), (0.9, 0.2, 1.0)] {
            let shape = SpectralShape::new(timbre, morph, harmonics);
            for _ in 0..50 {
                track(&mut engine.amplitudes, &shape.targets());
                let sum: f32 = engine.amplitudes.iter().sum();
                assert!(sum < 1.0 && sum > 0.99, "{sum}");
            }
        }
    }

    #[test]
    fn narrowest_bump_at_timbre_zero_is_a_pure_fundamental() {
        // slope 2, bumps 0, centre 0.25: only harmonic 1 has a non-zero target.
        let shape = SpectralShape::new(0.0, 1.0, 0.0);
        let mut amplitudes = [0.0; MAIN_HARMONICS];
        track(&mut amplitudes, &shape.targets());
        assert!(amplitudes[0] > 0.0);
        assert!(amplitudes[1..].iter().all(|&a| a == 0.0));
        // And at TIMBRE = 1 only harmonic 24.
        let shape = SpectralShape::new(1.0, 1.0, 0.0);
        let mut amplitudes = [0.0; MAIN_HARMONICS];
        track(&mut amplitudes, &shape.targets());
        assert!(amplitudes[23] > 0.0);
        assert!(amplitudes[..23].iter().all(|&a| a == 0.0));
    }

    #[test]
    fn spectral_centroid_rises_with_timbre() {
        let mut previous = -1.0;
        for step in 0..=10 {
            let shape = SpectralShape::new(step as f32 / 10.0, 0.6, 0.2);
            let mut amplitudes = [0.0; MAIN_HARMONICS];
            track(&mut amplitudes, &shape.targets());
            let centroid: f32 = amplitudes.iter().enumerate().map(|(i, a)| i as f32 * a).sum::<f32>()
                / amplitudes.iter().sum::<f32>();
            assert!(centroid > previous, "timbre {step}/10: {centroid} after {previous}");
            previous = centroid;
        }
    }

    #[test]
    fn timbre_changes_glide_over_many_blocks() {
        let mut amplitudes = [0.0; MAIN_HARMONICS];
        let low = SpectralShape::new(0.0, 1.0, 0.0);
        for _ in 0..20_000 {
            track(&mut amplitudes, &low.targets());
        }
        let high = SpectralShape::new(1.0, 1.0, 0.0);
        let blocks_to_cross = (1..20_000)
            .find(|_| {
                track(&mut amplitudes, &high.targets());
                amplitudes[23] > amplitudes[0]
            })
            .unwrap();
        // The un-normalised targets are large (up to 2^16), so the glide is
        // faster than the nominal 1000-block time constant, but never a jump.
        assert!((20..1000).contains(&blocks_to_cross), "{blocks_to_cross}");
    }

    #[test]
    fn pure_fundamental_is_a_sine_at_the_note() {
        let mut engine = AdditiveEngine::default();
        // Note whose period is close to 100 samples: check via the spectrum.
        let (out, _) = settle(&mut engine, &parameters(60.0, 0.0, 1.0, 0.0), 8000);
        let tail = &out[out.len() - 48_000..];
        let f0 = note_to_frequency(60.0) as f64;
        // Zero crossings give the pitch; a sine has exactly two per period.
        let crossings = tail.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count() as f64;
        assert!((crossings - f0 * 48_000.0).abs() <= 1.0, "{crossings} vs {}", f0 * 48_000.0);
        let peak = tail.iter().fold(0.0f32, |m, &x| m.max(x.abs()));
        // Σ amplitudes ≈ 1, times the anti-alias factor 1 − 2·f0.
        let expected = 1.0 - 2.0 * f0 as f32;
        assert!((peak - expected).abs() < 2e-3, "{peak} vs {expected}");
    }

    #[test]
    fn organ_has_energy_only_at_drawbar_harmonics() {
        let mut engine = AdditiveEngine::default();
        // Note 48 + 12·log2(48000 / (f·…)): pick the frequency via a note with a
        // 192-sample period, so harmonics fall on exact DFT bins.
        let target = 1.0 / 192.0f32;
        let note = 69.0 + 12.0 * (target / note_to_frequency(69.0)).log2();
        let (_, aux) = settle(&mut engine, &parameters(note, 0.5, 0.2, 0.3), 8000);
        let tail = &aux[aux.len() - 192 * 200..];
        let period = 1.0 / note_to_frequency(note) as f64;
        assert!((period - 192.0).abs() < 0.05, "{period}");
        let drawbars = [1, 2, 3, 4, 6, 8, 10, 12];
        let total: f64 = drawbars.iter().map(|&m| harmonic_magnitude(tail, 192, m)).sum();
        assert!(total > 0.5, "{total}");
        for m in [5, 7, 9, 11, 13, 16] {
            let magnitude = harmonic_magnitude(tail, 192, m);
            assert!(magnitude < 0.01 * total, "harmonic {m}: {magnitude}");
        }
    }
}
