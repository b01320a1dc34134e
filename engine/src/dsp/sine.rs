//! Table sine and the two sine oscillators built on it (voice.md §4.7).

use crate::dsp::interpolate::{interpolate, interpolate_wrap};
use crate::dsp::ramp::ParameterRamp;
use crate::tables::LUT_SINE;

/// `sin(2π · phase)` from the table, for non-negative phases of any size.
///
/// Same bits as `interpolate_wrap(&LUT_SINE, phase, 1024.0)`. Below 2^21 it
/// skips the wrap: scaling by 1024 is exact, so `phase · 1024` has the same
/// fractional part as the wrapped phase · 1024 and an integral part that
/// differs by a multiple of 1024, which the mask removes. One float-to-int
/// conversion instead of two, and no clamp.
#[inline]
pub fn sine(phase: f32) -> f32 {
    if (0.0..2_097_152.0).contains(&phase) {
        let position = phase * 1024.0;
        let integral = position as i32;
        let fractional = position - integral as f32;
        let index = (integral & 1023) as usize;
        let a = LUT_SINE[index];
        let b = LUT_SINE[index + 1];
        a + (b - a) * fractional
    } else {
        interpolate_wrap(&LUT_SINE, phase, 1024.0)
    }
}

/// `sin(2π · phase)` for a phase already in [0, 1).
#[inline]
pub fn sine_no_wrap(phase: f32) -> f32 {
    interpolate(&LUT_SINE, phase, 1024.0)
}

/// `cos(2π · phase)` for a phase already in [0, 1): the table read a quarter period on.
#[inline]
pub fn cosine_no_wrap(phase: f32) -> f32 {
    interpolate(&LUT_SINE[256..], phase, 1024.0)
}

/// Phase-accumulating table sine oscillator.
#[derive(Clone, Debug, Default)]
pub struct SineOscillator {
    phase: f32,
    frequency: f32,
    amplitude: f32,
}

impl SineOscillator {
    /// One sample at frequency `f` (clamped to 0.5).
    #[inline]
    pub fn next(&mut self, f: f32) -> f32 {
        self.advance(f);
        sine_no_wrap(self.phase)
    }

    /// One sample as `(amplitude · sin, amplitude · cos)`.
    #[inline]
    pub fn next_quadrature(&mut self, f: f32, amplitude: f32) -> (f32, f32) {
        self.advance(f);
        (amplitude * sine_no_wrap(self.phase), amplitude * cosine_no_wrap(self.phase))
    }

    /// Moves the phase on by one sample at frequency `f` (clamped to 0.5)
    /// without reading the table.
    #[inline]
    pub fn advance(&mut self, f: f32) {
        let f = f.min(0.5);
        self.phase += f;
        if self.phase >= 1.0 {
            self.phase -= 1.0;
        }
    }

    /// Writes a block at a frequency ramped from the previous block's.
    pub fn render(&mut self, f: f32, out: &mut [f32]) {
        let mut frequency = ParameterRamp::new(self.frequency, f.min(0.5), out.len());
        for y in out.iter_mut() {
            self.phase += frequency.next();
            if self.phase >= 1.0 {
                self.phase -= 1.0;
            }
            *y = sine_no_wrap(self.phase);
        }
        self.frequency = frequency.value();
    }

    /// Adds a block scaled by a ramped amplitude.
    pub fn render_add(&mut self, f: f32, amplitude: f32, out: &mut [f32]) {
        let mut frequency = ParameterRamp::new(self.frequency, f.min(0.5), out.len());
        let mut gain = ParameterRamp::new(self.amplitude, amplitude, out.len());
        for y in out.iter_mut() {
            self.phase += frequency.next();
            if self.phase >= 1.0 {
                self.phase -= 1.0;
            }
            *y += gain.next() * sine_no_wrap(self.phase);
        }
        self.frequency = frequency.value();
        self.amplitude = gain.value();
    }
}

/// "Magic circle" sine oscillator with a per-block amplitude, renormalised when it drifts.
#[derive(Clone, Debug)]
pub struct FastSineOscillator {
    x: f32,
    y: f32,
    epsilon: f32,
    amplitude: f32,
}

impl Default for FastSineOscillator {
    fn default() -> Self {
        Self { x: 1.0, y: 0.0, epsilon: 0.0, amplitude: 0.0 }
    }
}

/// The bit-trick inverse square root with one Newton step.
#[inline]
pub fn fast_inverse_sqrt(n: f32) -> f32 {
    let i = 0x5f37_59dfu32.wrapping_sub(n.to_bits() >> 1);
    let y = f32::from_bits(i);
    y * (1.5 - ((0.5 * n) * y) * y)
}

/// The magic circle's per-block targets for frequency `f` and `amplitude`: the
/// step `ε ≈ 2 sin(πf)` and the amplitude, faded out toward f = 0.25 and muted above.
#[inline]
pub fn fast_sine_targets(f: f32, amplitude: f32) -> (f32, f32) {
    let (f, amplitude) = if f >= 0.25 { (0.25, 0.0) } else { (f, amplitude * (1.0 - f * 4.0)) };
    let p = f * std::f32::consts::PI;
    let k = (2.0f32 * 0.96) / 6.0;
    (p * (2.0 - (k * p) * p), amplitude)
}

/// Pulls a magic circle's state back toward unit radius once it has drifted
/// outside (0.5, 2) in squared norm; done once per block.
#[inline]
pub fn fast_sine_renormalize(x: &mut f32, y: &mut f32) {
    let norm = *x * *x + *y * *y;
    if norm <= 0.5 || norm >= 2.0 {
        let scale = fast_inverse_sqrt(norm);
        *x *= scale;
        *y *= scale;
    }
}

impl FastSineOscillator {
    /// Adds `amplitude · sin` at frequency `f` into `out`, ramping both over the block.
    pub fn render_add(&mut self, f: f32, amplitude: f32, out: &mut [f32]) {
        let (epsilon_target, amplitude) = fast_sine_targets(f, amplitude);
        let mut epsilon = ParameterRamp::new(self.epsilon, epsilon_target, out.len());
        let mut gain = ParameterRamp::new(self.amplitude, amplitude, out.len());
        fast_sine_renormalize(&mut self.x, &mut self.y);
        for sample in out.iter_mut() {
            let e = epsilon.next();
            self.x += e * self.y;
            self.y -= e * self.x;
            *sample += gain.next() * self.x;
        }
        self.epsilon = epsilon.value();
        self.amplitude = gain.value();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_fast_path_matches_the_wrapped_table_read() {
        let mut random = crate::dsp::random::Random::default();
        let mut phases = vec![0.0f32, 0.25, 0.999_999_94, 1.0, 1.5, 2_097_151.9, 2_097_152.0, 1e-30, 3.0e6];
        for _ in 0..200_000 {
            let scale = [1.0f32, 4.0, 100.0, 3.0e6][(random.get_word() % 4) as usize];
            phases.push(random.get_float() * scale);
        }
        for phase in phases {
            let expected = interpolate_wrap(&LUT_SINE, phase, 1024.0);
            assert_eq!(sine(phase).to_bits(), expected.to_bits(), "{phase}");
        }
    }

    #[test]
    fn table_sine_is_accurate() {
        for i in 0..1000 {
            let phase = i as f32 / 997.0;
            assert!((sine(phase) - (2.0 * std::f32::consts::PI * phase).sin()).abs() < 2e-5);
            assert!((sine(phase + 3.0) - sine(phase)).abs() < 1e-5);
        }
        assert!((cosine_no_wrap(0.0) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn sine_oscillator_period_matches_frequency() {
        let mut osc = SineOscillator::default();
        let f = 0.01;
        let mut crossings = 0;
        let mut previous = 0.0;
        for _ in 0..10_000 {
            let y = osc.next(f);
            if previous < 0.0 && y >= 0.0 {
                crossings += 1;
            }
            previous = y;
        }
        // 100 periods; the first starts at sample 0 and is not a crossing.
        assert_eq!(crossings, 99);
    }

    #[test]
    fn magic_circle_keeps_its_amplitude_and_pitch() {
        let mut osc = FastSineOscillator::default();
        let mut block = [0.0f32; 12];
        let mut samples = Vec::new();
        for _ in 0..4000 {
            block.fill(0.0);
            osc.render_add(0.01, 1.0, &mut block);
            samples.extend_from_slice(&block);
        }
        let tail = &samples[24_000..];
        let peak = tail.iter().fold(0.0f32, |m, &x| m.max(x.abs()));
        assert!((peak - 0.96).abs() < 0.03, "amplitude × (1 - 4f): {peak}");
        let crossings = tail.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
        assert!((crossings as i32 - 240).abs() <= 1, "{crossings}");
    }

    #[test]
    fn fast_inverse_sqrt_is_close() {
        for n in [0.3f32, 1.0, 1.9, 4.0] {
            assert!((fast_inverse_sqrt(n) * n.sqrt() - 1.0).abs() < 2e-3);
        }
    }
}
