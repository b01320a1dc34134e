//! The 808-style bass drum on OUT: a trigger pulse ringing a band-pass resonator
//! whose pitch is swept by an attack FM pulse and a self-FM "punch" (engines-8-15.md §7.2).

use crate::dsp::denormal::flush_denormals;
use crate::dsp::filter::{Svf, TanApproximation};
use crate::dsp::ramp::ParameterRamp;
use crate::dsp::units::semitones_to_ratio;
use crate::engines::drum_pulse::TriggerPulse;
use crate::engines::memo::Memo;
use crate::engines::BLOCK_SIZE;
use crate::tables::LUT_SINE;

/// Length of the attack FM pulse: 6 ms at 48 kHz.
const FM_PULSE_SAMPLES: u32 = 288;
/// Per-sample decay of the trigger pulse tail (0.2 ms time constant).
const PULSE_DECAY: f32 = 1.0 - 1.0 / 9.6;
/// One-pole coefficient of the pulse and FM smoothing filters (0.1 ms).
const PULSE_FILTER: f32 = 1.0 / 4.8;
/// Per-sample decay of the retrigger pulse (50 ms time constant).
const RETRIG_DECAY: f32 = 1.0 - 1.0 / 2400.0;

/// The circuit's diode: passes positive values, squashes negative ones.
#[inline]
pub(crate) fn diode(x: f32) -> f32 {
    if x >= 0.0 {
        x
    } else {
        let x = x * 2.0;
        0.7 * x / (1.0 + x.abs())
    }
}

/// `phase − 1`, out of line: the free-running sine's rare phase wrap, kept
/// as a branch (not a select) so that it stays off the feedback path.
#[cold]
#[inline(never)]
fn wrap(phase: f32) -> f32 {
    phase - 1.0
}

/// `(sin, cos)` of `2π · phase` for a phase in [0, 1), read from the table
/// with linear interpolation.
///
/// Same bits as `interpolate(&LUT_SINE, phase, 1024.0)` and
/// `interpolate(&LUT_SINE[256..], phase, 1024.0)`: the position is in
/// [0, 1024), so the index needs no clamping, and masking it lets the
/// compiler drop the bounds checks.
#[inline(always)]
fn sine_cosine(phase: f32) -> (f32, f32) {
    debug_assert!((0.0..1.0).contains(&phase));
    let position = phase * 1024.0;
    let integral = position as i32;
    let fractional = position - integral as f32;
    let i = (integral & 1023) as usize;
    let (a, b) = (LUT_SINE[i], LUT_SINE[i + 1]);
    let (c, d) = (LUT_SINE[i + 256], LUT_SINE[i + 257]);
    (a + (b - a) * fractional, c + (d - c) * fractional)
}

/// What one block of the analog bass drum needs.
#[derive(Clone, Copy, Debug)]
pub struct AnalogBassDrumParameters {
    /// Free-running (TRIG unpatched): a sustained sine instead of the resonator.
    pub sustain: bool,
    /// A rising edge in this block.
    pub trigger: bool,
    /// Strike strength (LEVEL), 0 to about 1.
    pub accent: f32,
    /// Pitch, cycles per sample.
    pub f0: f32,
    /// Brightness: tone low-pass cutoff and pulse leak, 0 to 1.
    pub tone: f32,
    /// Resonator Q (triggered) or level (sustained), 0 to 1.
    pub decay: f32,
    /// Depth of the attack pitch sweep, 0 to 1.
    pub attack_fm_amount: f32,
    /// Depth of the self-FM "punch", 0 to 1.
    pub self_fm_amount: f32,
}

/// State of the analog bass drum.
#[derive(Clone, Debug, Default)]
pub struct AnalogBassDrum {
    pulse: TriggerPulse,
    pulse_lp: f32,
    fm_pulse_left: u32,
    fm_pulse_lp: f32,
    retrig_pulse: f32,
    lp_out: f32,
    tone_lp: f32,
    sustain_gain: f32,
    resonator: Svf,
    /// Phase of the free-running sine, in [0, 1).
    phase: f32,
    /// The block constants from pitch, decay and tone.
    constants: Memo<3, [f32; 4]>,
}

/// Per-block constants and ramps of an [`AnalogBassDrum`], from [`AnalogBassDrum::begin_block`].
#[derive(Clone, Debug)]
pub struct AnalogBassDrumBlock {
    /// Free-running: see [`AnalogBassDrumParameters::sustain`].
    pub sustain: bool,
    f0: f32,
    scale: f32,
    q: f32,
    tone_f: f32,
    exciter_leak: f32,
    attack_fm_amount: f32,
    self_fm_amount: f32,
    sustain_gain: ParameterRamp,
}

impl AnalogBassDrumBlock {
    /// Whether the self-FM amount is exactly 1 (the upper three quarters of
    /// HARMONICS), so that [`AnalogBassDrum::step`] may run with `UNIT_SELF_FM`.
    pub fn has_unit_self_fm(&self) -> bool {
        self.self_fm_amount.to_bits() == 1.0f32.to_bits()
    }
}

impl AnalogBassDrum {
    /// Starts a block: handles the trigger and computes the block's constants.
    pub fn begin_block(&mut self, p: &AnalogBassDrumParameters) -> AnalogBassDrumBlock {
        self.pulse.flush_denormals();
        flush_denormals([
            &mut self.pulse_lp,
            &mut self.fm_pulse_lp,
            &mut self.retrig_pulse,
            &mut self.lp_out,
            &mut self.tone_lp,
        ]);

        if p.trigger {
            self.pulse.trigger(3.0 + 7.0 * p.accent);
            self.fm_pulse_left = FM_PULSE_SAMPLES;
            self.lp_out = 0.0;
        }

        let f0 = p.f0;
        let [scale, q, tone_f, exciter_leak] =
            self.constants.get([f0, p.decay, p.tone], |[f0, decay, tone]| {
                [
                    0.001 / f0,
                    1500.0 * semitones_to_ratio(decay * 80.0),
                    (4.0 * f0 * semitones_to_ratio(tone * 108.0)).min(1.0),
                    0.08 * (tone + 0.25),
                ]
            });
        AnalogBassDrumBlock {
            sustain: p.sustain,
            f0,
            scale,
            q,
            tone_f,
            exciter_leak,
            attack_fm_amount: p.attack_fm_amount,
            self_fm_amount: p.self_fm_amount,
            // Advanced only in sustain mode: the ramp freezes while triggered.
            sustain_gain: ParameterRamp::new(self.sustain_gain, p.accent * p.decay, BLOCK_SIZE),
        }
    }

    /// One sample of the block.
    #[cfg(test)]
    pub fn next(&mut self, b: &mut AnalogBassDrumBlock) -> f32 {
        let x =
            if b.sustain { self.step::<true, false, false>(b) } else { self.step::<false, false, false>(b) };
        self.tone(b, x)
    }

    /// Whether every state that the trigger and FM pulses drive is at rest
    /// (+0, counters at 0): free-running, they then stay so, and
    /// [`AnalogBassDrum::step`] may run with `QUIET` set.
    pub fn is_quiet(&self) -> bool {
        self.pulse.is_silent()
            && self.fm_pulse_left == 0
            && [self.pulse_lp, self.fm_pulse_lp, self.retrig_pulse].iter().all(|x| x.to_bits() == 0)
    }

    /// One sample of the block before the tone filter ([`AnalogBassDrum::tone`]),
    /// for a block whose `sustain` is `SUSTAIN`.
    ///
    /// The mode is a constant so that the engine's per-sample loop is compiled
    /// once per mode, without the mode tests and with only the work each mode
    /// needs. `QUIET` (free-running only, when [`AnalogBassDrum::is_quiet`])
    /// skips the pulse states' updates: each would compute +0 from +0 again,
    /// so the pulse and the FM pulse filter enter the sums as the constant +0,
    /// in the same operations. `UNIT_SELF_FM` (when
    /// [`AnalogBassDrumBlock::has_unit_self_fm`]) skips the multiplication of
    /// the self-FM term by its amount, 1: it would return its operand
    /// unchanged, and it lies on the per-sample feedback path.
    #[inline(always)]
    pub fn step<const SUSTAIN: bool, const QUIET: bool, const UNIT_SELF_FM: bool>(
        &mut self,
        b: &mut AnalogBassDrumBlock,
    ) -> f32 {
        debug_assert!(!QUIET || (SUSTAIN && self.is_quiet()));
        debug_assert!(!UNIT_SELF_FM || b.has_unit_self_fm());
        let (pulse, fm_pulse_lp) = if QUIET { (0.0, 0.0) } else { self.pulses::<SUSTAIN>() };
        let punch = 0.7 + self.feedback_diode();
        let mut self_fm = punch * 0.08;
        if !UNIT_SELF_FM {
            self_fm *= b.self_fm_amount;
        }
        let f = (b.f0 * ((1.0 + (fm_pulse_lp * 1.7) * b.attack_fm_amount) + self_fm)).clamp(0.0, 0.4);

        let resonator_out;
        if SUSTAIN {
            let amplitude = b.sustain_gain.next();
            // The phase stays in [0, 1): it starts at 0, moves by at most 0.5 and
            // wraps. The wrap is rare, so a branch keeps it off the feedback path.
            self.phase += f.min(0.5);
            if self.phase >= 1.0 {
                self.phase = wrap(self.phase);
            }
            let (sin, cos) = sine_cosine(self.phase);
            resonator_out = amplitude * sin;
            self.lp_out = amplitude * cos;
        } else {
            self.resonator.set_frequency_q(f, 1.0 + b.q * f, TanApproximation::Dirty);
            let outputs = self.resonator.process((pulse - self.retrig_pulse * 0.2) * b.scale);
            resonator_out = outputs.bp;
            self.lp_out = outputs.lp;
        }

        pulse * b.exciter_leak + resonator_out
    }

    /// The tone filter: turns what [`AnalogBassDrum::step`] returned into
    /// the output sample.
    ///
    /// It has a feedback path of its own, kept out of `step` so that the
    /// engine can run it a few samples behind, alongside the resonator's
    /// much longer one.
    #[inline(always)]
    pub fn tone(&mut self, b: &AnalogBassDrumBlock, x: f32) -> f32 {
        self.tone_lp += b.tone_f * (x - self.tone_lp);
        self.tone_lp
    }

    /// Advances the trigger and FM pulses and their filters; returns the
    /// shaped pulse and the filtered FM pulse.
    #[inline(always)]
    fn pulses<const SUSTAIN: bool>(&mut self) -> (f32, f32) {
        let mut pulse = self.pulse.next(PULSE_DECAY);
        if SUSTAIN {
            pulse = 0.0;
        }
        self.pulse_lp += PULSE_FILTER * (pulse - self.pulse_lp);
        let pulse = diode((pulse - self.pulse_lp) + 0.044 * pulse);

        let mut fm_pulse = 0.0;
        if self.fm_pulse_left > 0 {
            self.fm_pulse_left -= 1;
            fm_pulse = 1.0;
            // At the end of the FM pulse a negative kick re-excites the resonator.
            self.retrig_pulse = if self.fm_pulse_left > 0 { 0.0 } else { -0.8 };
        } else {
            self.retrig_pulse *= RETRIG_DECAY;
        }
        if SUSTAIN {
            fm_pulse = 0.0;
        }
        self.fm_pulse_lp += PULSE_FILTER * (fm_pulse - self.fm_pulse_lp);
        (pulse, self.fm_pulse_lp)
    }

    /// `diode(10 · lp_out − 1)`, the self-FM "punch" (less its 0.7 offset).
    ///
    /// It lies on the per-sample feedback path, so the negative side takes
    /// `20 · lp_out − 2` straight from `lp_out` instead of doubling
    /// `10 · lp_out − 1`: scaling by two commutes with rounding (both products
    /// are exact doublings of each other, and so are both differences), so the
    /// value is the same and one addition leaves the path.
    #[inline(always)]
    fn feedback_diode(&self) -> f32 {
        let x = 10.0 * self.lp_out - 1.0;
        if x >= 0.0 {
            x
        } else {
            let x = 20.0 * self.lp_out - 2.0;
            0.7 * x / (1.0 + x.abs())
        }
    }

    /// Ends a block: keeps the ramp's state.
    pub fn end_block(&mut self, b: AnalogBassDrumBlock) {
        self.sustain_gain = b.sustain_gain.value();
    }

    /// Renders one block into `out`.
    #[cfg(test)]
    pub fn render(&mut self, p: &AnalogBassDrumParameters, out: &mut [f32; BLOCK_SIZE]) {
        let mut block = self.begin_block(p);
        for y in out.iter_mut() {
            *y = self.next(&mut block);
        }
        self.end_block(block);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::units::note_to_frequency;
    use crate::engines::drum_test_support::{peak, zero_crossing_frequency};

    fn parameters(sustain: bool, decay: f32) -> AnalogBassDrumParameters {
        AnalogBassDrumParameters {
            sustain,
            trigger: !sustain,
            accent: 0.8,
            f0: note_to_frequency(60.0),
            tone: 0.5,
            decay,
            attack_fm_amount: 0.0,
            self_fm_amount: 0.0,
        }
    }

    fn render(drum: &mut AnalogBassDrum, first: &AnalogBassDrumParameters, blocks: usize) -> Vec<f32> {
        let rest = AnalogBassDrumParameters { trigger: false, ..*first };
        let mut out = Vec::new();
        let mut block = [0.0; BLOCK_SIZE];
        for i in 0..blocks {
            drum.render(if i == 0 { first } else { &rest }, &mut block);
            out.extend_from_slice(&block);
        }
        out
    }

    #[test]
    fn table_sine_cosine_matches_the_clamped_table_reads() {
        use crate::dsp::interpolate::interpolate;
        let mut random = crate::dsp::random::Random::default();
        let mut phases = vec![0.0f32, 0.25, 0.5, 0.75, 0.999_999_94, 1e-30];
        phases.extend((0..200_000).map(|_| random.get_float()).filter(|p| *p < 1.0));
        for phase in phases {
            let (sin, cos) = sine_cosine(phase);
            assert_eq!(sin.to_bits(), interpolate(&LUT_SINE, phase, 1024.0).to_bits(), "{phase}");
            assert_eq!(cos.to_bits(), interpolate(&LUT_SINE[256..], phase, 1024.0).to_bits(), "{phase}");
        }
    }

    #[test]
    fn feedback_diode_matches_the_diode_of_the_feedback() {
        let mut drum = AnalogBassDrum::default();
        let mut random = crate::dsp::random::Random::default();
        let specials = [0.0f32, -0.0, 0.1, 0.099_999_99, 1e-30, -1e-30, 1e30, -1e30, 3.0e37, -3.0e37];
        let mut values = specials.to_vec();
        for _ in 0..400_000 {
            // Any finite bit pattern, and values around the diode's knee.
            let x = f32::from_bits(random.get_word());
            values.push(if x.is_finite() { x } else { random.get_float() - 0.5 });
            values.push((random.get_float() - 0.5) * 4.0);
        }
        for lp_out in values {
            drum.lp_out = lp_out;
            let expected = diode(10.0 * lp_out - 1.0);
            assert_eq!(drum.feedback_diode().to_bits(), expected.to_bits(), "{lp_out}");
        }
    }

    #[test]
    fn quiet_free_running_steps_match_the_full_ones() {
        let p =
            AnalogBassDrumParameters { attack_fm_amount: 1.0, self_fm_amount: 1.0, ..parameters(true, 0.7) };
        let (mut quiet, mut full) = (AnalogBassDrum::default(), AnalogBassDrum::default());
        for _ in 0..500 {
            let (mut a, mut b) = (quiet.begin_block(&p), full.begin_block(&p));
            assert!(quiet.is_quiet() && full.is_quiet());
            for _ in 0..BLOCK_SIZE {
                assert_eq!(
                    quiet.step::<true, true, false>(&mut a).to_bits(),
                    full.step::<true, false, false>(&mut b).to_bits()
                );
            }
            quiet.end_block(a);
            full.end_block(b);
        }
        // A trigger leaves states that are not quiet until they have decayed.
        full.render(&parameters(false, 0.7), &mut [0.0; BLOCK_SIZE]);
        assert!(!full.is_quiet());
    }

    #[test]
    fn unit_self_fm_steps_match_the_full_ones() {
        for sustain in [false, true] {
            let p = AnalogBassDrumParameters {
                attack_fm_amount: 1.0,
                self_fm_amount: 1.0,
                ..parameters(sustain, 0.7)
            };
            let rest = AnalogBassDrumParameters { trigger: false, ..p };
            let (mut unit, mut full) = (AnalogBassDrum::default(), AnalogBassDrum::default());
            for i in 0..2000 {
                let q = if i % 500 == 0 { &p } else { &rest };
                let (mut a, mut b) = (unit.begin_block(q), full.begin_block(q));
                assert!(a.has_unit_self_fm());
                for _ in 0..BLOCK_SIZE {
                    let (x, y) = if sustain {
                        (unit.step::<true, false, true>(&mut a), full.step::<true, false, false>(&mut b))
                    } else {
                        (unit.step::<false, false, true>(&mut a), full.step::<false, false, false>(&mut b))
                    };
                    assert_eq!(x.to_bits(), y.to_bits());
                }
                unit.end_block(a);
                full.end_block(b);
            }
        }
    }

    #[test]
    fn diode_passes_positive_and_squashes_negative_values() {
        assert_eq!(diode(0.3), 0.3);
        assert_eq!(diode(-0.5), -0.35);
        assert!(diode(-1e6) > -0.7);
    }

    #[test]
    fn resonator_rings_at_the_note_frequency() {
        let out = render(&mut AnalogBassDrum::default(), &parameters(false, 0.5), 1000);
        let f = zero_crossing_frequency(&out[2400..12_000]);
        let f0 = note_to_frequency(60.0);
        assert!((f / f0 - 1.0).abs() < 0.01, "{} Hz", f * 48_000.0);
    }

    #[test]
    fn ring_time_constant_is_about_10_ms_times_2_to_the_6_67_morph() {
        // Morph 0.5: τ ≈ 9.95 ms · 2^3.33 ≈ 100 ms; windows 0.2 s apart lose ≈ e^−2.
        let out = render(&mut AnalogBassDrum::default(), &parameters(false, 0.5), 2000);
        let ratio = peak(&out[14_400..19_200]) / peak(&out[4800..9600]);
        let tau = 0.2 / -ratio.ln();
        let expected = (1.0 + 1500.0 * semitones_to_ratio(40.0) * note_to_frequency(60.0))
            / (std::f32::consts::PI * note_to_frequency(60.0) * 48_000.0);
        assert!((tau / expected - 1.0).abs() < 0.1, "τ {tau} s, expected {expected} s");
    }

    #[test]
    fn free_running_level_is_proportional_to_decay() {
        let quiet = render(&mut AnalogBassDrum::default(), &parameters(true, 0.25), 400);
        let loud = render(&mut AnalogBassDrum::default(), &parameters(true, 0.5), 400);
        let ratio = peak(&loud[2400..]) / peak(&quiet[2400..]);
        assert!((ratio - 2.0).abs() < 0.01, "{ratio}");
    }

    #[test]
    fn sustain_gain_ramp_freezes_while_triggered() {
        let mut drum = AnalogBassDrum::default();
        render(&mut drum, &parameters(true, 0.5), 10);
        let held = drum.sustain_gain;
        assert!((held - 0.4).abs() < 1e-6);
        render(&mut drum, &parameters(false, 1.0), 10);
        assert_eq!(drum.sustain_gain, held);
    }
}
