//! Engine 1, "Waveshaping oscillator": a slope wave through a morphing
//! waveshaper and a wavefolder; AUX crossfades a sine into a second folder
//! (engines-0-3.md §C).
//!
//! The table reads use per-entry values computed once at compile time from the
//! data tables with the very f32 operations the per-sample code used to do, so
//! the output bits are unchanged; `reference` keeps the straightforward
//! version, and a test compares the two bit for bit.

use crate::dsp::interpolate::split;
use crate::dsp::polyblep::{next_integrated_blep_sample, this_integrated_blep_sample};
use crate::dsp::ramp::ParameterRamp;
use crate::dsp::random::Random;
use crate::dsp::sine::sine;
use crate::dsp::units::note_to_frequency;
use crate::engines::memo::Memo;
use crate::engines::{Block, Engine, EngineParameters, BLOCK_SIZE};
use crate::oscillators::block_math::truncate;
use crate::oscillators::variable_shape::slopes;
use crate::tables::{LUT_FOLD, LUT_FOLD_2, LUT_SINE, LUT_WS};

// The two folders are read at one shared position.
const _: () = assert!(LUT_FOLD.len() == LUT_FOLD_2.len());

/// The frequency range of the slope oscillators (the generic oscillator's).
const MIN_FREQUENCY: f32 = 0.000001;
const MAX_FREQUENCY: f32 = 0.25;

/// Number of waveshaper curves.
const CURVES: usize = LUT_WS.len();

/// Each waveshaper curve as 256 segments `[a, b - a]`, with `a` and `b` its
/// points `i` and `i + 1` scaled to ±1: the reading `a + (b - a) · t` then
/// needs one multiply-add's worth of work. (Both values are multiples of 2⁻¹⁵
/// below 2 in size, so even the difference is exact.)
static WS_SEGMENTS: [[[f32; 2]; 256]; CURVES] = ws_segments();

const fn ws_segments() -> [[[f32; 2]; 256]; CURVES] {
    let mut table = [[[0.0; 2]; 256]; CURVES];
    let mut curve = 0;
    while curve < CURVES {
        let mut i = 0;
        while i < 256 {
            let a = LUT_WS[curve][i] as f32 / 32768.0;
            let b = LUT_WS[curve][i + 1] as f32 / 32768.0;
            table[curve][i] = [a, b - a];
            i += 1;
        }
        curve += 1;
    }
    table
}

/// Number of positions [`hermite_position`] gives for the folder tables.
const FOLD_POSITIONS: usize = LUT_FOLD.len() - 3;

/// The Hermite polynomials of both folders at every position `i`, as
/// `[a, b_neg, c, x0]` of `LUT_FOLD` then of `LUT_FOLD_2`: the coefficients
/// depend on the four table points only, so they are computed here once, by
/// the same operations as `hermite`, and a reading is `((a·t − b_neg)·t + c)·t + x0`.
static FOLD_POLYNOMIALS: [[f32; 8]; FOLD_POSITIONS] = fold_polynomials();

const fn hermite_coefficients(table: &[f32], i: usize) -> [f32; 4] {
    let (xm1, x0, x1, x2) = (table[i], table[i + 1], table[i + 2], table[i + 3]);
    let c = (x1 - xm1) * 0.5;
    let v = x0 - x1;
    let w = c + v;
    let a = w + v + (x2 - x0) * 0.5;
    let b_neg = w + a;
    [a, b_neg, c, x0]
}

const fn fold_polynomials() -> [[f32; 8]; FOLD_POSITIONS] {
    let mut table = [[0.0; 8]; FOLD_POSITIONS];
    let mut i = 0;
    while i < FOLD_POSITIONS {
        let [a, b, c, d] = hermite_coefficients(&LUT_FOLD, i);
        let [e, f, g, h] = hermite_coefficients(&LUT_FOLD_2, i);
        table[i] = [a, b, c, d, e, f, g, h];
        i += 1;
    }
    table
}

/// The sine table as 1024 segments `[a, b - a]` (see [`WS_SEGMENTS`]).
static SINE_SEGMENTS: [[f32; 2]; 1024] = sine_segments();

const fn sine_segments() -> [[f32; 2]; 1024] {
    let mut table = [[0.0; 2]; 1024];
    let mut i = 0;
    while i < 1024 {
        table[i] = [LUT_SINE[i], LUT_SINE[i + 1] - LUT_SINE[i]];
        i += 1;
    }
    table
}

/// `sin(2π · phase)`: the bits of [`sine`], with the table's differences
/// read rather than computed.
#[inline]
fn sine_from_segments(phase: f32) -> f32 {
    if (0.0..2_097_152.0).contains(&phase) {
        let position = phase * 1024.0;
        let integral = position as i32;
        let fractional = position - integral as f32;
        let [a, d] = SINE_SEGMENTS[(integral & 1023) as usize];
        a + d * fractional
    } else {
        sine(phase)
    }
}

/// The engine's two slope oscillators, at one frequency: OUT's with a variable
/// pulse width and AUX's triangle (width 0.5).
///
/// Both start from the same phase and frequency state and are always given
/// the same frequency, so their phases and frequency ramps are identical
/// sample for sample: one is kept, and so is the wrap's BLEP residue, which
/// depends on phase and frequency alone. Each oscillator keeps its own
/// operations in its own order.
#[derive(Clone, Debug)]
struct SlopePair {
    phase: f32,
    frequency: f32,
    pulse_width: f32,
    /// The next sample of each oscillator: slope, triangle.
    next_sample: [f32; 2],
    high: [bool; 2],
}

impl Default for SlopePair {
    fn default() -> Self {
        Self { phase: 0.5, frequency: 0.001, pulse_width: 0.5, next_sample: [0.0; 2], high: [true; 2] }
    }
}

impl SlopePair {
    /// Renders a block of the slope (width `pw`) into `slope` and of the
    /// triangle into `triangle`, both at frequency `f`.
    #[inline]
    fn render(&mut self, f: f32, pw: f32, slope: &mut Block, triangle: &mut Block) {
        let f = f.clamp(MIN_FREQUENCY, MAX_FREQUENCY);
        let pw = pw.clamp(f.abs() * 2.0, 1.0 - 2.0 * f.abs());
        let frequency = ParameterRamp::new(self.frequency, f, BLOCK_SIZE);
        let pulse_width = ParameterRamp::new(self.pulse_width, pw, BLOCK_SIZE);
        // The two divisions of `slopes` give the same quotients every sample
        // while the width rests: do them once.
        if pulse_width.is_at_rest() {
            let resting_slopes = slopes(pulse_width.value());
            self.render_block(frequency, pulse_width, |_| resting_slopes, slope, triangle);
        } else {
            self.render_block(frequency, pulse_width, slopes, slope, triangle);
        }
    }

    #[inline(always)]
    fn render_block(
        &mut self,
        mut frequency: ParameterRamp,
        mut pulse_width: ParameterRamp,
        slopes: impl Fn(f32) -> (f32, f32),
        slope: &mut Block,
        triangle: &mut Block,
    ) {
        // The triangle's width is clamped into [2f, 1 − 2f] with f ≤ 0.25:
        // it stays 0.5, and its slopes are 1 / 0.5 = 2 both ways.
        const TRIANGLE_PW: f32 = 0.5;
        const TRIANGLE_SLOPE: f32 = 2.0;
        // First the phase and the edges sample by sample, keeping for each
        // oscillator (slope, triangle) and sample what the single loop of the
        // reference adds to this sample (subtracted at an edge, added at the
        // wrap: +0 and -0 where nothing is, which leave a sum's bits alone),
        // and the next sample as it stands before its naive value is added.
        let mut phases = [0.0f32; BLOCK_SIZE];
        let mut pws = [0.0f32; BLOCK_SIZE];
        let mut highs = [[false; BLOCK_SIZE]; 2];
        let mut this_minus = [[0.0f32; BLOCK_SIZE]; 2];
        let mut this_plus = [[-0.0f32; BLOCK_SIZE]; 2];
        let mut next_base = [[0.0f32; BLOCK_SIZE]; 2];
        let [mut slope_high, mut triangle_high] = self.high;
        let mut phase = self.phase;
        for k in 0..BLOCK_SIZE {
            let f = frequency.next();
            let pw = pulse_width.next();
            let (slope_up, slope_down) = slopes(pw);
            phase += f;

            if slope_high != (phase < pw) {
                let t = (phase - pw) / f;
                let d = (slope_up + slope_down) * f;
                this_minus[0][k] = this_integrated_blep_sample(t) * d;
                next_base[0][k] -= next_integrated_blep_sample(t) * d;
                slope_high = phase < pw;
            }
            if triangle_high != (phase < TRIANGLE_PW) {
                let t = (phase - TRIANGLE_PW) / f;
                let d = (TRIANGLE_SLOPE + TRIANGLE_SLOPE) * f;
                this_minus[1][k] = this_integrated_blep_sample(t) * d;
                next_base[1][k] -= next_integrated_blep_sample(t) * d;
                triangle_high = phase < TRIANGLE_PW;
            }
            if phase >= 1.0 {
                phase -= 1.0;
                let t = phase / f;
                let (this_blep, next_blep) = (this_integrated_blep_sample(t), next_integrated_blep_sample(t));
                let d = (slope_up + slope_down) * f;
                this_plus[0][k] = this_blep * d;
                next_base[0][k] += next_blep * d;
                let d = (TRIANGLE_SLOPE + TRIANGLE_SLOPE) * f;
                this_plus[1][k] = this_blep * d;
                next_base[1][k] += next_blep * d;
                slope_high = true;
                triangle_high = true;
            }
            phases[k] = phase;
            pws[k] = pw;
            [highs[0][k], highs[1][k]] = [slope_high, triangle_high];
        }
        // Then the naive waves and the outputs, the same operations for
        // every sample, several samples to a vector.
        let slopes = pws.map(slopes);
        let slope_naive: Block = std::array::from_fn(|k| {
            let (slope_up, slope_down) = slopes[k];
            if highs[0][k] {
                phases[k] * slope_up
            } else {
                1.0 - (phases[k] - pws[k]) * slope_down
            }
        });
        let triangle_naive: Block = std::array::from_fn(|k| {
            if highs[1][k] {
                phases[k] * TRIANGLE_SLOPE
            } else {
                1.0 - (phases[k] - TRIANGLE_PW) * TRIANGLE_SLOPE
            }
        });
        for (o, (naive, out)) in [(slope_naive, slope), (triangle_naive, triangle)].into_iter().enumerate() {
            let next: Block = std::array::from_fn(|k| next_base[o][k] + naive[k]);
            let previous: Block =
                std::array::from_fn(|k| if k == 0 { self.next_sample[o] } else { next[k - 1] });
            for (k, y) in out.iter_mut().enumerate() {
                *y = 2.0 * ((previous[k] - this_minus[o][k]) + this_plus[o][k]) - 1.0;
            }
            self.next_sample[o] = next[BLOCK_SIZE - 1];
        }
        self.phase = phase;
        self.high = [slope_high, triangle_high];
        self.frequency = frequency.value();
        self.pulse_width = pulse_width.value();
    }
}

/// State of engine 1.
#[derive(Clone, Debug, Default)]
pub struct WaveshapingEngine {
    oscillators: SlopePair,
    shape: f32,
    wavefolder_gain: f32,
    overtone_gain: f32,
    /// The last block's targets, reused while note, TIMBRE, MORPH and HARMONICS rest.
    targets: Memo<4, Targets>,
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

/// The values of a block's ramp, in order.
#[inline]
fn ramp_values(ramp: &mut ParameterRamp) -> Block {
    std::array::from_fn(|_| ramp.next())
}

/// The block's parameter targets, shared with the reference.
#[derive(Clone, Copy, Debug)]
struct Targets {
    f0: f32,
    pw: f32,
    shape: f32,
    wavefolder_gain: f32,
    overtone_gain: f32,
}

impl Targets {
    fn new(parameters: &EngineParameters) -> Self {
        let root = parameters.note;
        let f0 = note_to_frequency(root);
        let pw = 0.5 + parameters.morph * 0.45;

        // Steeper slopes and stronger shaping carry more harmonics: reduce the
        // shaper and the folder where they would alias.
        let slope_factor = 3.0 + (parameters.morph - 0.5).abs() * 5.0;
        let shape_amount = (parameters.harmonics - 0.5).abs() * 2.0;
        let shape_attenuation = tame(f0, slope_factor, 16.0);
        let wavefolder_attenuation =
            tame(f0, slope_factor * (3.0 + 5.0 * shape_amount * shape_attenuation), 12.0);

        let shape = 0.5 + (parameters.harmonics - 0.5) * shape_attenuation;
        let wavefolder_gain = 0.03 + 0.46 * parameters.timbre * wavefolder_attenuation;
        let overtone = parameters.timbre * (2.0 - parameters.timbre);
        let overtone_gain = overtone * (2.0 - overtone);
        Self { f0, pw, shape, wavefolder_gain, overtone_gain }
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
        // Steady knobs give the same targets block after block: keep them.
        let targets = self
            .targets
            .get([parameters.note, parameters.timbre, parameters.morph, parameters.harmonics], |_| {
                Targets::new(parameters)
            });
        self.oscillators.render(targets.f0, targets.pw, out, aux);

        let mut shape = ParameterRamp::new(self.shape, targets.shape, BLOCK_SIZE);
        let mut wavefolder_gain =
            ParameterRamp::new(self.wavefolder_gain, targets.wavefolder_gain, BLOCK_SIZE);
        let mut overtone_gain = ParameterRamp::new(self.overtone_gain, targets.overtone_gain, BLOCK_SIZE);

        // Each pass works in stages over the whole block: the arithmetic
        // stages are the same operations sample by sample, which the compiler
        // runs several samples to a vector; only the table reads stay scalar.
        let (integral, fractional) = truncate(&out.map(|o| o * 127.0 + 128.0));
        // BLEP overshoot beyond ±1.0079 leaves the table; the original wraps
        // the index like this.
        let index = integral.map(|i| (i & 255) as usize);
        let fractional = fractional.map(bounded_fraction);
        if shape.is_at_rest() {
            // Every sample reads the same pair of curves.
            let (curve, curve_fractional) = split(shape.value() * 3.9999);
            let (curve, next_curve) = (&WS_SEGMENTS[curve as usize], &WS_SEGMENTS[curve as usize + 1]);
            for (k, o) in out.iter_mut().enumerate() {
                let [a, d] = curve[index[k]];
                let x = a + d * fractional[k];
                let [a, d] = next_curve[index[k]];
                let y = a + d * fractional[k];
                *o = x + (y - x) * curve_fractional;
            }
        } else {
            for (k, o) in out.iter_mut().enumerate() {
                let (curve, curve_fractional) = split(shape.next() * 3.9999);
                let [a, d] = WS_SEGMENTS[curve as usize][index[k]];
                let x = a + d * fractional[k];
                let [a, d] = WS_SEGMENTS[curve as usize + 1][index[k]];
                let y = a + d * fractional[k];
                *o = x + (y - x) * curve_fractional;
            }
        }

        let gains = ramp_values(&mut wavefolder_gain);
        // `hermite_position` for both folders (they have the same length).
        let (integral, fractional) = truncate(&std::array::from_fn(|k| (out[k] * gains[k] + 0.5) * 512.0));
        let mut fold_2 = [0.0f32; BLOCK_SIZE];
        // Four samples at a time: their polynomials transposed into
        // coefficient vectors, then each sample's operations in its lane.
        for ((o, f2), (integral, t)) in out
            .chunks_exact_mut(4)
            .zip(fold_2.chunks_exact_mut(4))
            .zip(integral.chunks_exact(4).zip(fractional.chunks_exact(4)))
        {
            let p: [[f32; 8]; 4] = std::array::from_fn(|l| {
                FOLD_POLYNOMIALS[(integral[l].max(0) as usize).min(FOLD_POSITIONS - 1)]
            });
            let c: [[f32; 4]; 8] = std::array::from_fn(|j| std::array::from_fn(|l| p[l][j]));
            for l in 0..4 {
                let t = t[l];
                o[l] = ((c[0][l] * t - c[1][l]) * t + c[2][l]) * t + c[3][l];
                f2[l] = -(((c[4][l] * t - c[5][l]) * t + c[6][l]) * t + c[7][l]);
            }
        }

        // The triangle, mapped onto phases 0.25 to 0.75, becomes a sine.
        // Beyond the i32 range (see `bounded_fraction`) read phase 0 instead.
        let phase = aux.map(|a| a * 0.25 + 0.5).map(|p| if p.abs() < 2_147_483_648.0 { p } else { 0.0 });
        let gains = ramp_values(&mut overtone_gain);
        if phase.iter().fold(true, |all, p| all & (0.0..2_097_152.0).contains(p)) {
            // `sine_from_segments` without its range test.
            let (integral, fractional) = truncate(&phase.map(|p| p * 1024.0));
            for (k, a) in aux.iter_mut().enumerate() {
                let [s, d] = SINE_SEGMENTS[(integral[k] & 1023) as usize];
                let sine = s + d * fractional[k];
                *a = sine + (fold_2[k] - sine) * gains[k];
            }
        } else {
            for (k, a) in aux.iter_mut().enumerate() {
                let sine = sine_from_segments(phase[k]);
                *a = sine + (fold_2[k] - sine) * gains[k];
            }
        }

        self.shape = shape.value();
        self.wavefolder_gain = wavefolder_gain.value();
        self.overtone_gain = overtone_gain.value();
    }
}

/// The engine as first written: two generic oscillators and direct table
/// reads. Kept to check the optimised engine against, bit for bit.
#[cfg(test)]
mod reference {
    use super::*;
    use crate::dsp::interpolate::{hermite_at, hermite_position};
    use crate::dsp::oscillator::{Oscillator, OscillatorShape};

    /// State of the reference engine 1.
    #[derive(Clone, Debug, Default)]
    pub struct ReferenceWaveshapingEngine {
        slope: Oscillator,
        triangle: Oscillator,
        shape: f32,
        wavefolder_gain: f32,
        overtone_gain: f32,
    }

    /// One 257-point waveshaper curve read at `index` (0 to 256, linearly interpolated).
    fn shape_curve(curve: &[i16; 257], index: usize, fractional: f32) -> f32 {
        let a = f32::from(curve[index]) / 32768.0;
        let b = f32::from(curve[index + 1]) / 32768.0;
        a + (b - a) * fractional
    }

    impl ReferenceWaveshapingEngine {
        /// One block, as [`Engine::render`].
        pub fn render(&mut self, parameters: &EngineParameters, out: &mut Block, aux: &mut Block) {
            let targets = Targets::new(parameters);
            self.slope.render(OscillatorShape::Slope, targets.f0, targets.pw, out);
            self.triangle.render(OscillatorShape::Slope, targets.f0, 0.5, aux);

            let mut shape = ParameterRamp::new(self.shape, targets.shape, BLOCK_SIZE);
            let mut wavefolder_gain =
                ParameterRamp::new(self.wavefolder_gain, targets.wavefolder_gain, BLOCK_SIZE);
            let mut overtone_gain = ParameterRamp::new(self.overtone_gain, targets.overtone_gain, BLOCK_SIZE);
            for o in out.iter_mut() {
                let (curve, curve_fractional) = split(shape.next() * 3.9999);
                let curve = curve as usize;
                let (index, fractional) = split(*o * 127.0 + 128.0);
                let index = (index & 255) as usize;
                let fractional = bounded_fraction(fractional);
                let x = shape_curve(&LUT_WS[curve], index, fractional);
                let y = shape_curve(&LUT_WS[curve + 1], index, fractional);
                *o = x + (y - x) * curve_fractional;
            }
            let mut fold_2 = [0.0f32; BLOCK_SIZE];
            for (o, f2) in out.iter_mut().zip(fold_2.iter_mut()) {
                let fold_index = *o * wavefolder_gain.next() + 0.5;
                let (i, fractional) = hermite_position(LUT_FOLD.len(), fold_index, 512.0);
                *o = hermite_at(&LUT_FOLD, i, fractional);
                *f2 = -hermite_at(&LUT_FOLD_2, i, fractional);
            }
            for (a, f2) in aux.iter_mut().zip(fold_2.iter()) {
                let phase = *a * 0.25 + 0.5;
                let phase = if phase.abs() < 2_147_483_648.0 { phase } else { 0.0 };
                let sine = sine(phase);
                *a = sine + (*f2 - sine) * overtone_gain.next();
            }
            self.shape = shape.value();
            self.wavefolder_gain = wavefolder_gain.value();
            self.overtone_gain = overtone_gain.value();
        }
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
    fn matches_the_reference_bit_for_bit() {
        let mut random = Random::default();
        let knob = |random: &mut Random| match random.get_word() % 8 {
            0 => 0.0,
            1 => 1.0,
            2 => 0.5,
            _ => random.get_float(),
        };
        for run in 0..40 {
            let mut engine = WaveshapingEngine::default();
            let mut reference = reference::ReferenceWaveshapingEngine::default();
            let mut p = parameters(60.0, 0.5, 0.5, 0.5);
            for block in 0..400 {
                // Hold the knobs for a while (ramps come to rest), then move
                // some of them, sometimes far.
                if block % 50 == 0 || random.get_word() % 16 == 0 {
                    let note = match random.get_word() % 6 {
                        0 => -90.0 + random.get_float() * 40.0,
                        1 => 110.0 + random.get_float() * 30.0,
                        _ => 10.0 + random.get_float() * 100.0,
                    };
                    p = parameters(note, knob(&mut random), knob(&mut random), knob(&mut random));
                }
                let (mut out, mut aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
                let (mut expected_out, mut expected_aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
                engine.render(&p, &mut random.clone(), &mut out, &mut aux, &mut false);
                reference.render(&p, &mut expected_out, &mut expected_aux);
                assert_eq!(out.map(f32::to_bits), expected_out.map(f32::to_bits), "run {run} block {block}");
                assert_eq!(aux.map(f32::to_bits), expected_aux.map(f32::to_bits), "run {run} block {block}");
            }
        }
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
        let mut reference = reference::ReferenceWaveshapingEngine::default();
        let mut random = Random::default();
        let (mut out, mut aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
        let (mut expected_out, mut expected_aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
        for p in [
            parameters(99.016_266, 0.0, 0.0, 0.0),
            parameters(88.748_31, 0.0, 0.0, 0.0),
            parameters(45.983_696, 0.0, 0.0, 1.0),
            parameters(-83.470_15, 0.0, 1.0, 0.0),
            parameters(-83.470_15, 0.0, 1.0, 0.0),
        ] {
            engine.render(&p, &mut random, &mut out, &mut aux, &mut false);
            reference.render(&p, &mut expected_out, &mut expected_aux);
            assert_eq!(out.map(f32::to_bits), expected_out.map(f32::to_bits));
            assert_eq!(aux.map(f32::to_bits), expected_aux.map(f32::to_bits));
            for x in out.iter().chain(aux.iter()) {
                assert!(x.is_finite() && x.abs() <= 1.1, "{x}");
            }
        }
    }
}
