//! Zero-delay-feedback one-pole and state-variable filters (voice.md §4.4).

use std::f32::consts::PI;

use crate::dsp::denormal::flush_negligible;

/// How a filter turns a normalised cutoff into its `g = tan(π f)` coefficient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TanApproximation {
    /// `tan(π · min(f, 0.497))`.
    Exact,
    /// An 11th-order odd polynomial.
    Accurate,
    /// A 5th-order polynomial fitted for 16 Hz to 16 kHz at 48 kHz.
    Fast,
    /// A 3rd-order polynomial, good below about 8 kHz.
    Dirty,
}

// The π powers are evaluated in double and rounded once, as in the original.
const PI_F64: f64 = std::f64::consts::PI;
const DIRTY_A: f32 = (3.736e-01 * PI_F64 * PI_F64 * PI_F64) as f32;
const FAST_A: f32 = (3.260e-01 * PI_F64 * PI_F64 * PI_F64) as f32;
const FAST_B: f32 = (1.823e-01 * PI_F64 * PI_F64 * PI_F64 * PI_F64 * PI_F64) as f32;
const ACCURATE_A: f32 = (3.333314036e-01 * PI_F64 * PI_F64 * PI_F64) as f32;
const ACCURATE_B: f32 = (1.333923995e-01 * PI_F64 * PI_F64 * PI_F64 * PI_F64 * PI_F64) as f32;
const ACCURATE_C: f32 =
    (5.33740603e-02 * PI_F64 * PI_F64 * PI_F64 * PI_F64 * PI_F64 * PI_F64 * PI_F64) as f32;
const ACCURATE_D: f32 =
    (2.900525e-03 * PI_F64 * PI_F64 * PI_F64 * PI_F64 * PI_F64 * PI_F64 * PI_F64 * PI_F64 * PI_F64) as f32;
const ACCURATE_E: f32 = (9.5168091e-03
    * PI_F64
    * PI_F64
    * PI_F64
    * PI_F64
    * PI_F64
    * PI_F64
    * PI_F64
    * PI_F64
    * PI_F64
    * PI_F64
    * PI_F64) as f32;

impl TanApproximation {
    /// `g ≈ tan(π f)` for a normalised frequency `f`.
    #[inline]
    pub fn tan(self, f: f32) -> f32 {
        match self {
            TanApproximation::Exact => (PI * f.min(0.497)).tan(),
            TanApproximation::Dirty => f * (PI + DIRTY_A * f * f),
            TanApproximation::Fast => {
                let f2 = f * f;
                f * (PI + f2 * (FAST_A + FAST_B * f2))
            }
            TanApproximation::Accurate => {
                let f2 = f * f;
                f * (PI
                    + f2 * (ACCURATE_A
                        + f2 * (ACCURATE_B + f2 * (ACCURATE_C + f2 * (ACCURATE_D + f2 * ACCURATE_E)))))
            }
        }
    }
}

/// One-pole TPT low/high-pass filter.
#[derive(Clone, Debug)]
pub struct OnePole {
    g: f32,
    gi: f32,
    state: f32,
}

impl Default for OnePole {
    fn default() -> Self {
        let mut filter = Self { g: 0.0, gi: 0.0, state: 0.0 };
        filter.set_frequency(0.01, TanApproximation::Dirty);
        filter
    }
}

impl OnePole {
    /// Sets the cutoff (normalised frequency).
    #[inline]
    pub fn set_frequency(&mut self, f: f32, approximation: TanApproximation) {
        self.g = approximation.tan(f);
        self.gi = 1.0 / (1.0 + self.g);
    }

    /// Clears the state.
    pub fn reset(&mut self) {
        self.state = 0.0;
    }

    /// One sample of the low-pass output.
    #[inline]
    pub fn low_pass(&mut self, x: f32) -> f32 {
        let lp = (self.g * x + self.state) * self.gi;
        self.state = self.g * (x - lp) + lp;
        lp
    }

    /// One sample of the high-pass output.
    #[inline]
    pub fn high_pass(&mut self, x: f32) -> f32 {
        x - self.low_pass(x)
    }
}

/// The four outputs of one [`Svf`] step.
#[derive(Clone, Copy, Debug)]
pub struct SvfOutputs {
    /// Low-pass.
    pub lp: f32,
    /// Band-pass.
    pub bp: f32,
    /// High-pass.
    pub hp: f32,
}

/// The coefficients of an [`Svf`], apart from its state, so that filters that
/// share a cutoff (the voice's two gate channels) compute them once.
#[derive(Clone, Copy, Debug)]
pub struct SvfCoefficients {
    g: f32,
    r: f32,
    h: f32,
}

impl SvfCoefficients {
    /// Coefficients for a cutoff (normalised) and resonance.
    #[inline]
    pub fn new(f: f32, resonance: f32, approximation: TanApproximation) -> Self {
        let g = approximation.tan(f);
        let r = 1.0 / resonance;
        let h = 1.0 / (1.0 + r * g + g * g);
        Self { g, r, h }
    }

    /// One sample through a filter with these coefficients and the states
    /// `state_1`, `state_2`, all outputs.
    #[inline]
    pub fn step(&self, x: f32, state_1: &mut f32, state_2: &mut f32) -> SvfOutputs {
        let hp = (x - self.r * *state_1 - self.g * *state_1 - *state_2) * self.h;
        let bp = self.g * hp + *state_1;
        *state_1 = self.g * hp + bp;
        let lp = self.g * bp + *state_2;
        *state_2 = self.g * bp + lp;
        SvfOutputs { lp, bp, hp }
    }
}

/// Zero-delay-feedback state-variable filter.
#[derive(Clone, Debug)]
pub struct Svf {
    coefficients: SvfCoefficients,
    state_1: f32,
    state_2: f32,
}

impl Default for Svf {
    fn default() -> Self {
        Self {
            coefficients: SvfCoefficients::new(0.01, 100.0, TanApproximation::Dirty),
            state_1: 0.0,
            state_2: 0.0,
        }
    }
}

impl Svf {
    /// Sets cutoff (normalised) and resonance.
    #[inline]
    pub fn set_frequency_q(&mut self, f: f32, resonance: f32, approximation: TanApproximation) {
        self.coefficients = SvfCoefficients::new(f, resonance, approximation);
    }

    /// Clears the state.
    pub fn reset(&mut self) {
        self.state_1 = 0.0;
        self.state_2 = 0.0;
    }

    /// Zeroes the states that have decayed below [`NEGLIGIBLE`](crate::dsp::denormal::NEGLIGIBLE).
    ///
    /// x86 computes with subnormal floats many times slower, and a resonator
    /// ringing out between sparse impulses would spend most of its silence
    /// there. See `NEGLIGIBLE` for why this does not change the voice's output.
    #[inline]
    pub fn flush_negligible_states(&mut self) {
        self.state_1 = flush_negligible(self.state_1);
        self.state_2 = flush_negligible(self.state_2);
    }

    /// Whether both states are zero or subnormal: with no input the filter
    /// would only ring on below f32's normal range.
    #[inline]
    pub fn is_subnormal(&self) -> bool {
        self.state_1.abs() < f32::MIN_POSITIVE && self.state_2.abs() < f32::MIN_POSITIVE
    }

    /// `1/Q`, the factor of the normalised band-pass output.
    #[inline]
    pub fn damping(&self) -> f32 {
        self.coefficients.r
    }

    /// One sample through the filter, all outputs.
    #[inline]
    pub fn process(&mut self, x: f32) -> SvfOutputs {
        self.coefficients.step(x, &mut self.state_1, &mut self.state_2)
    }

    /// One sample of the low-pass output.
    #[inline]
    pub fn low_pass(&mut self, x: f32) -> f32 {
        self.process(x).lp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approximations_follow_tan_in_their_range() {
        for f in [0.001f32, 0.01, 0.05, 0.1] {
            let exact = (std::f64::consts::PI * f as f64).tan();
            for (approximation, tolerance) in [
                (TanApproximation::Accurate, 1e-5),
                (TanApproximation::Fast, 2e-3),
                (TanApproximation::Dirty, 1e-2),
            ] {
                let g = approximation.tan(f) as f64;
                assert!((g / exact - 1.0).abs() < tolerance, "{approximation:?} at {f}: {g} vs {exact}");
            }
        }
    }

    fn gain_at(filter: &mut impl FnMut(f32) -> f32, f: f32) -> f32 {
        let n = 48_000;
        let mut peak = 0.0f32;
        for i in 0..n {
            let y = filter((2.0 * PI * f * i as f32).sin());
            if i > n / 2 {
                peak = peak.max(y.abs());
            }
        }
        peak
    }

    #[test]
    fn one_pole_is_3_db_down_at_its_cutoff() {
        let mut lp = OnePole::default();
        lp.set_frequency(0.01, TanApproximation::Exact);
        let g = gain_at(&mut |x| lp.low_pass(x), 0.01);
        assert!((20.0 * g.log10() + 3.01).abs() < 0.1, "{g}");
    }

    #[test]
    fn flushing_clears_only_negligible_states() {
        let mut svf = Svf { state_1: 1e-39, state_2: 1e-30, ..Svf::default() };
        svf.flush_negligible_states();
        assert_eq!((svf.state_1, svf.state_2), (0.0, 1e-30));
        svf.state_1 = f32::INFINITY;
        svf.state_2 = -9e-31;
        svf.flush_negligible_states();
        assert_eq!((svf.state_1, svf.state_2), (f32::INFINITY, 0.0));
    }

    #[test]
    fn svf_low_pass_peaks_by_q_at_cutoff() {
        let mut svf = Svf::default();
        svf.set_frequency_q(0.02, 4.0, TanApproximation::Exact);
        let g = gain_at(&mut |x| svf.low_pass(x), 0.02);
        assert!((g - 4.0).abs() < 0.05, "{g}");
        let mut svf = Svf::default();
        svf.set_frequency_q(0.02, std::f32::consts::FRAC_1_SQRT_2, TanApproximation::Exact);
        let g = gain_at(&mut |x| svf.low_pass(x), 0.2);
        assert!(g < 0.02, "well above cutoff it falls at 12 dB/octave: {g}");
    }

    #[test]
    fn svf_left_ringing_without_input_reaches_subnormal_states() {
        let mut svf = Svf::default();
        svf.set_frequency_q(0.05, 0.5, TanApproximation::Dirty);
        svf.process(1.0);
        assert!(!svf.is_subnormal());
        let mut samples = 0;
        while !svf.is_subnormal() {
            svf.process(0.0);
            samples += 1;
        }
        assert!(samples < 10_000, "{samples}");
        svf.reset();
        assert!(svf.is_subnormal());
    }
}
