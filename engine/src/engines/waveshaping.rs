//! Engine 1, "Waveshaping oscillator": a slope wave through a morphing
//! waveshaper and a wavefolder; AUX crossfades a sine into a second folder
//! (engines-0-3.md §C).

use crate::dsp::interpolate::{hermite_at, hermite_position, split};
use crate::dsp::oscillator::{Oscillator, OscillatorShape};
use crate::dsp::ramp::ParameterRamp;
use crate::dsp::random::Random;
use crate::dsp::sine::sine;
use crate::dsp::units::note_to_frequency;
use crate::engines::{Block, Engine, EngineParameters, BLOCK_SIZE};
use crate::tables::{LUT_FOLD, LUT_FOLD_2, LUT_WS};

// The two folders are read at one shared position.
const _: () = assert!(LUT_FOLD.len() == LUT_FOLD_2.len());

/// State of engine 1.
#[derive(Clone, Debug, Default)]
pub struct WaveshapingEngine {
    slope: Oscillator,
    triangle: Oscillator,
    shape: f32,
    wavefolder_gain: f32,
    overtone_gain: f32,
}

/// Anti-aliasing attenuation: 1 while the estimated highest harmonic
/// `f0 · factor · order` is below Nyquist, then a cubic fall to 0.
#[inline]
fn tame(f0: f32, harmonics: f32, order: f32) -> f32 {
    let f = f0 * harmonics;
    let max_f = 0.5 / order;
    let max_amount = (1.0 - (f - max_f) / (0.5 - max_f)).clamp(0.0, 1.0);
    max_amount * max_amount * max_amount
}

/// One 257-point waveshaper curve read at `index` (0 to 256, linearly interpolated).
#[inline]
fn shape_curve(curve: &[i16; 257], index: usize, fractional: f32) -> f32 {
    let a = f32::from(curve[index]) / 32768.0;
    let b = f32::from(curve[index + 1]) / 32768.0;
    a + (b - a) * fractional
}

/// The fractional part left by a float-to-int truncation, or 0 where the
/// truncation saturated (or met a NaN).
///
/// The slope oscillator's BLEP residue explodes when its pulse width sweeps past
/// the phase at a near-zero frequency (`t = (phase - pw) / f` far above 1), as in
/// the original; past the i32 range the original's conversion is undefined, so
/// this keeps the table reads bounded there and changes nothing below it.
#[inline]
fn bounded_fraction(fraction: f32) -> f32 {
    if fraction.abs() < 1.0 {
        fraction
    } else {
        0.0
    }
}

impl Engine for WaveshapingEngine {
    fn render(
        &mut self,
        parameters: &EngineParameters,
        _random: &mut Random,
        out: &mut Block,
        aux: &mut Block,
        _already_enveloped: &mut bool,
    ) {
        let root = parameters.note;
        let f0 = note_to_frequency(root);
        let pw = 0.5 + parameters.morph * 0.45;
        self.slope.render(OscillatorShape::Slope, f0, pw, out);
        self.triangle.render(OscillatorShape::Slope, f0, 0.5, aux);

        // Steeper slopes and stronger shaping carry more harmonics: reduce the
        // shaper and the folder where they would alias.
        let slope_factor = 3.0 + (parameters.morph - 0.5).abs() * 5.0;
        let shape_amount = (parameters.harmonics - 0.5).abs() * 2.0;
        let shape_attenuation = tame(f0, slope_factor, 16.0);
        let wavefolder_attenuation =
            tame(f0, slope_factor * (3.0 + 5.0 * shape_amount * shape_attenuation), 12.0);

        let shape_target = 0.5 + (parameters.harmonics - 0.5) * shape_attenuation;
        let wavefolder_gain_target = 0.03 + 0.46 * parameters.timbre * wavefolder_attenuation;
        let overtone = parameters.timbre * (2.0 - parameters.timbre);
        let overtone_gain_target = overtone * (2.0 - overtone);

        let mut shape = ParameterRamp::new(self.shape, shape_target, BLOCK_SIZE);
        let mut wavefolder_gain =
            ParameterRamp::new(self.wavefolder_gain, wavefolder_gain_target, BLOCK_SIZE);
        let mut overtone_gain = ParameterRamp::new(self.overtone_gain, overtone_gain_target, BLOCK_SIZE);

        // Three passes over the block rather than one: each pass is short enough
        // for the CPU to overlap its iterations.
        // With the shape at rest, every sample reads the same pair of curves.
        let shape_at_rest = shape.is_at_rest();
        let resting_curve = split(shape.value() * 3.9999);
        for o in out.iter_mut() {
            let (curve, curve_fractional) =
                if shape_at_rest { resting_curve } else { split(shape.next() * 3.9999) };
            let curve = curve as usize;
            let (index, fractional) = split(*o * 127.0 + 128.0);
            // BLEP overshoot beyond ±1.0079 leaves the table; the original wraps
            // the index like this.
            let index = (index & 255) as usize;
            let fractional = bounded_fraction(fractional);
            let x = shape_curve(&LUT_WS[curve], index, fractional);
            let y = shape_curve(&LUT_WS[curve + 1], index, fractional);
            *o = x + (y - x) * curve_fractional;
        }

        let mut fold_2 = [0.0f32; BLOCK_SIZE];
        for (o, f2) in out.iter_mut().zip(fold_2.iter_mut()) {
            let fold_index = *o * wavefolder_gain.next() + 0.5;
            // Both folders have the same length: one position serves both.
            let (i, fractional) = hermite_position(LUT_FOLD.len(), fold_index, 512.0);
            *o = hermite_at(&LUT_FOLD, i, fractional);
            *f2 = -hermite_at(&LUT_FOLD_2, i, fractional);
        }

        for (a, f2) in aux.iter_mut().zip(fold_2.iter()) {
            // The triangle, mapped onto phases 0.25 to 0.75, becomes a sine.
            let phase = *a * 0.25 + 0.5;
            // Beyond the i32 range (see `bounded_fraction`) read phase 0 instead.
            let phase = if phase.abs() < 2_147_483_648.0 { phase } else { 0.0 };
            let sine = sine(phase);
            *a = sine + (*f2 - sine) * overtone_gain.next();
        }

        self.shape = shape.value();
        self.wavefolder_gain = wavefolder_gain.value();
        self.overtone_gain = overtone_gain.value();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::TriggerState;

    fn parameters(note: f32, harmonics: f32, timbre: f32, morph: f32) -> EngineParameters {
        EngineParameters { trigger: TriggerState::Unpatched, note, timbre, morph, harmonics, accent: 0.8 }
    }

    fn render(p: &EngineParameters, blocks: usize) -> (Vec<f32>, Vec<f32>) {
        let mut engine = WaveshapingEngine::default();
        let mut random = Random::default();
        let (mut out, mut aux) = (Vec::new(), Vec::new());
        let (mut o, mut a) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
        for _ in 0..blocks {
            engine.render(p, &mut random, &mut o, &mut a, &mut false);
            out.extend_from_slice(&o);
            aux.extend_from_slice(&a);
        }
        (out, aux)
    }

    /// Amplitude of harmonic `k` of a signal with `period` samples.
    fn harmonic(x: &[f32], period: f64, k: f64) -> f64 {
        let n = (x.len() as f64 / period).floor() * period;
        let (mut re, mut im) = (0.0, 0.0);
        for (i, &v) in x.iter().take(n as usize).enumerate() {
            let w = 2.0 * std::f64::consts::PI * k * i as f64 / period;
            re += v as f64 * w.cos();
            im += v as f64 * w.sin();
        }
        2.0 * (re * re + im * im).sqrt() / n
    }

    #[test]
    fn tame_is_one_below_the_limit_and_zero_at_nyquist() {
        assert_eq!(tame(0.001, 3.0, 16.0), 1.0);
        assert_eq!(tame(0.5 / 16.0, 1.0, 16.0), 1.0);
        assert_eq!(tame(0.25, 2.0, 12.0), 0.0);
        let halfway = tame(0.5 * (0.5 + 0.5 / 16.0), 1.0, 16.0);
        assert!((halfway - 0.125).abs() < 1e-6, "{halfway}");
    }

    #[test]
    fn aux_is_a_pure_sine_at_timbre_zero() {
        // Note 69 at 48 kHz: f0 = 440 · 48000/47872.34 Hz; use a whole number of periods.
        let f0 = note_to_frequency(69.0) as f64;
        let (_, aux) = render(&parameters(69.0, 0.1, 0.0, 0.8), 400);
        let tail = &aux[1200..];
        let period = 1.0 / f0;
        let fundamental = harmonic(tail, period, 1.0);
        assert!(fundamental > 0.95, "{fundamental}");
        for k in 2..8 {
            let h = harmonic(tail, period, k as f64);
            assert!(h < fundamental * 1e-3, "harmonic {k}: {h}");
        }
    }

    #[test]
    fn symmetric_slope_folds_into_odd_harmonics_only() {
        let f0 = note_to_frequency(57.0) as f64;
        let (out, _) = render(&parameters(57.0, 0.5, 0.8, 0.0), 600);
        let tail = &out[2400..];
        let period = 1.0 / f0;
        let odd: f64 = [1.0, 3.0, 5.0].iter().map(|&k| harmonic(tail, period, k)).sum();
        let even: f64 = [2.0, 4.0, 6.0].iter().map(|&k| harmonic(tail, period, k)).sum();
        assert!(odd > 0.1, "{odd}");
        assert!(even < odd * 0.01, "even {even}, odd {odd}");
    }

    #[test]
    fn harmonics_and_timbre_do_nothing_at_the_top_note() {
        let (a, _) = render(&parameters(120.0, 0.0, 1.0, 0.3), 20);
        let (b, _) = render(&parameters(120.0, 1.0, 0.0, 0.3), 20);
        assert_eq!(a[24..], b[24..]);
    }

    #[test]
    fn pulse_width_sweeping_past_the_phase_at_a_tiny_frequency_stays_bounded() {
        // MORPH 1 → 0 moves the slope's breakpoint across the phase while the
        // note drops to the bottom: the BLEP residue explodes (as in the
        // original) and the table reads must still stay in range.
        let mut engine = WaveshapingEngine::default();
        let mut random = Random::default();
        let (mut out, mut aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
        for p in [
            parameters(99.016_266, 0.0, 0.0, 0.0),
            parameters(88.748_31, 0.0, 0.0, 0.0),
            parameters(45.983_696, 0.0, 0.0, 1.0),
            parameters(-83.470_15, 0.0, 1.0, 0.0),
            parameters(-83.470_15, 0.0, 1.0, 0.0),
        ] {
            engine.render(&p, &mut random, &mut out, &mut aux, &mut false);
            for x in out.iter().chain(aux.iter()) {
                assert!(x.is_finite() && x.abs() <= 1.1, "{x}");
            }
        }
    }
}
