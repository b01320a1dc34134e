//! Fundamental LFO (slug `LFO`): a phase accumulator with sine, triangle, saw
//! and square outputs, in its v1 (1.x) and v2 (2.x) behaviours (fundamental-dsp.md §1).

use super::sine::sin;
use super::{default_values, ParamSpec, SchmittTrigger, SAMPLE_TIME};

/// Param ids.
pub mod param {
    /// Offset switch (unipolar / bipolar).
    pub const OFFSET: usize = 0;
    /// Invert switch.
    pub const INVERT: usize = 1;
    /// Frequency knob, octaves above 1 Hz.
    pub const FREQUENCY: usize = 2;
    /// FM amount (v1: FM1 amount).
    pub const FM: usize = 3;
    /// v1: FM2 amount; v2: unused.
    pub const FM2: usize = 4;
    /// Pulse width.
    pub const PULSE_WIDTH: usize = 5;
    /// PWM amount.
    pub const PWM: usize = 6;
    /// Number of params.
    pub const COUNT: usize = 7;
}

/// Input ids.
pub mod input {
    /// FM (v1: FM1).
    pub const FM: usize = 0;
    /// v1: FM2; v2: unused.
    pub const FM2: usize = 1;
    /// Reset: a rising edge sets the phase to 0.
    pub const RESET: usize = 2;
    /// Pulse-width CV.
    pub const PULSE_WIDTH: usize = 3;
    /// v2 only: clock, whose rate sets the LFO's rate at knob value 1.
    pub const CLOCK: usize = 4;
    /// Number of inputs (v2; v1 has no clock).
    pub const COUNT: usize = 5;
}

/// Output ids.
pub mod output {
    /// Sine.
    pub const SINE: usize = 0;
    /// Triangle.
    pub const TRIANGLE: usize = 1;
    /// Saw.
    pub const SAW: usize = 2;
    /// Square.
    pub const SQUARE: usize = 3;
    /// Number of outputs.
    pub const COUNT: usize = 4;
}

/// v1 (Fundamental 1.x) params: the switches mean "bipolar/inverted only at exactly 0".
pub const PARAMS_V1: [ParamSpec; param::COUNT] = [
    ParamSpec::switch("Offset", 0.0, 1.0, 1.0),
    ParamSpec::switch("Invert", 0.0, 1.0, 1.0),
    ParamSpec::knob("Frequency", -8.0, 10.0, 1.0),
    ParamSpec::knob("FM1 amount", 0.0, 1.0, 0.0),
    ParamSpec::knob("FM2 amount", 0.0, 1.0, 0.0),
    ParamSpec::knob("Pulse width", 0.01, 0.99, 0.5),
    ParamSpec::knob("PWM amount", 0.0, 1.0, 0.0),
];

/// v2 (Fundamental 2.x) params: Invert = 1 now means inverted.
pub const PARAMS_V2: [ParamSpec; param::COUNT] = [
    ParamSpec::switch("Offset", 0.0, 1.0, 1.0),
    ParamSpec::switch("Invert", 0.0, 1.0, 0.0),
    ParamSpec::knob("Frequency", -8.0, 10.0, 1.0),
    ParamSpec::knob("FM amount", -1.0, 1.0, 0.0),
    ParamSpec::knob("(unused)", 0.0, 1.0, 0.0),
    ParamSpec::knob("Pulse width", 0.01, 0.99, 0.5),
    ParamSpec::knob("PWM amount", -1.0, 1.0, 0.0),
];

/// The 2^x approximation the plugin was built with (fundamental-dsp.md §1.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exp2Approximation {
    /// Rack SDK <= 2.2: centred polynomial applied to `pitch + 30`, never exact.
    TaylorV1,
    /// Rack SDK >= 2.3 (`exp2_taylor5`): exact at whole numbers.
    TaylorV2,
}

/// How the plugin version behaves: switch meanings, rate formula, rounding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LfoBehaviour {
    /// v1 switch law (bipolar / inverted only when the switch is exactly 0);
    /// otherwise v2 (unipolar when Offset > 0, inverted when Invert > 0).
    pub v1_switches: bool,
    /// The 2^x approximation of the rate.
    pub exp2: Exp2Approximation,
    /// v1 clamps the pitch at 10 octaves from above.
    pub clamp_pitch_at_10: bool,
    /// Rack SDK >= 2.4 rounds ties to even; before, halves round away from zero.
    pub round_ties_even: bool,
    /// v1 has a second FM input; v2 a clock input instead.
    pub has_fm2: bool,
}

impl LfoBehaviour {
    /// The behaviour of Fundamental `major.minor`.
    pub fn for_plugin_version(major: u32, minor: u32) -> Self {
        let v2 = major >= 2;
        Self {
            v1_switches: !v2,
            exp2: if (major, minor) >= (2, 3) {
                Exp2Approximation::TaylorV2
            } else {
                Exp2Approximation::TaylorV1
            },
            clamp_pitch_at_10: !v2,
            round_ties_even: (major, minor) >= (2, 4),
            has_fm2: !v2,
        }
    }

    /// The module's param table for this behaviour.
    pub fn params(&self) -> &'static [ParamSpec; param::COUNT] {
        if self.v1_switches {
            &PARAMS_V1
        } else {
            &PARAMS_V2
        }
    }

    /// Whether the outputs are unipolar for Offset switch value `offset`.
    pub fn is_unipolar(&self, offset: f32) -> bool {
        if self.v1_switches {
            offset != 0.0
        } else {
            offset > 0.0
        }
    }

    /// Whether the outputs are inverted for Invert switch value `invert`.
    pub fn is_inverted(&self, invert: f32) -> bool {
        if self.v1_switches {
            invert == 0.0
        } else {
            invert > 0.0
        }
    }

    /// 2^pitch in Hz with the plugin's approximation.
    pub fn frequency(&self, pitch: f32) -> f32 {
        match self.exp2 {
            // Shifted by 30 octaves so the argument is positive, then scaled back exactly.
            Exp2Approximation::TaylorV1 => exp2_taylor_v1(pitch + 30.0) / 1_073_741_824.0,
            Exp2Approximation::TaylorV2 => exp2_taylor_v2(pitch),
        }
    }

    fn round(&self, x: f32) -> f32 {
        if self.round_ties_even {
            x.round_ties_even()
        } else {
            // Rack's old round(): truncate(x ± 0.5), the 0.5 added in f32.
            (x + 0.5f32.copysign(x)).trunc()
        }
    }
}

/// v1 2^x for x >= 0: 2^trunc(x) times a degree-5 polynomial in the fraction.
fn exp2_taylor_v1(x: f32) -> f32 {
    let whole = x as i32;
    let r = x - whole as f32;
    let poly = 0.999_997_7
        + r * (0.693_176_7
            + r * (0.240_072_95 + r * (0.055_928_174 + r * (0.008_966_32 + r * 0.001_853_512_5))));
    poly * power_of_two(whole)
}

/// v2 2^x: the integer part goes through the exponent bits (biased by 127, so
/// negative arguments work), the fraction through a polynomial exact at 0 and 1.
fn exp2_taylor_v2(x: f32) -> f32 {
    let whole = (x + 127.0) as i32 - 127;
    let r = x - whole as f32;
    let poly = 1.0
        + r * (0.693_151_7
            + r * (0.240_159_6 + r * (0.055_817_91 + r * (0.008_991_698 + r * 0.001_879_100_7))));
    poly * power_of_two(whole)
}

/// 2^n for the exponents an LFO can reach.
fn power_of_two(n: i32) -> f32 {
    f32::from_bits(((n + 127).clamp(1, 254) as u32) << 23)
}

/// One Fundamental LFO (mono).
#[derive(Clone, Debug)]
pub struct Lfo {
    behaviour: LfoBehaviour,
    params: [f32; param::COUNT],
    phase: f32,
    reset_trigger: SchmittTrigger,
    clock_trigger: SchmittTrigger,
    clock_timer: f32,
    clock_frequency: f32,
    /// (pitch, clock rate) that `step` was computed for.
    rate_key: (f32, f32),
    /// Phase increment per frame.
    step: f32,
}

impl Lfo {
    /// A fresh LFO with its default params.
    pub fn new(behaviour: LfoBehaviour) -> Self {
        Self {
            behaviour,
            params: default_values(behaviour.params()),
            phase: 0.0,
            reset_trigger: SchmittTrigger::default(),
            clock_trigger: SchmittTrigger::default(),
            clock_timer: 0.0,
            clock_frequency: 2.0,
            rate_key: (f32::NAN, f32::NAN),
            step: 0.0,
        }
    }

    /// The version behaviour this LFO follows.
    pub fn behaviour(&self) -> LfoBehaviour {
        self.behaviour
    }

    /// Sets param `id` (clamped to its range); false if there is no such param.
    pub fn set_param(&mut self, id: usize, value: f32) -> bool {
        match self.behaviour.params().get(id) {
            Some(spec) => {
                self.params[id] = spec.clamp(value);
                true
            }
            None => false,
        }
    }

    /// Current phase in [0, 1).
    pub fn phase(&self) -> f32 {
        self.phase
    }

    /// Back to the power-up state: phase 0, triggers high, clock rate unknown.
    /// Params are kept.
    pub fn reset(&mut self) {
        *self = Self { params: self.params, ..Self::new(self.behaviour) };
    }

    /// Processes one frame (fundamental-dsp.md §1.2-1.5).
    pub fn process(&mut self, inputs: &[f32], connected: &[bool], outputs: &mut [f32], wanted: &[bool]) {
        let p = self.params;
        let behaviour = self.behaviour;

        let mut pitch = p[param::FREQUENCY] + inputs[input::FM] * p[param::FM];
        if behaviour.has_fm2 {
            pitch += inputs[input::FM2] * p[param::FM2];
        }
        if behaviour.clamp_pitch_at_10 {
            pitch = pitch.min(10.0);
        }
        let clock = if behaviour.has_fm2 {
            2.0
        } else {
            self.clock_rate(inputs[input::CLOCK], connected[input::CLOCK])
        };
        // The 2^x polynomial is the costly part; pitch and clock rarely change.
        if pitch != self.rate_key.0 || clock != self.rate_key.1 {
            let mut frequency = behaviour.frequency(pitch);
            if !behaviour.has_fm2 {
                frequency *= clock / 2.0;
            }
            self.rate_key = (pitch, clock);
            self.step = (frequency * SAMPLE_TIME).min(0.5);
        }
        let step = self.step;
        self.phase += step;
        if self.phase >= 1.0 {
            self.phase -= 1.0;
        }
        if self.reset_trigger.process(inputs[input::RESET]) {
            self.phase = 0.0;
        }

        let unipolar = behaviour.is_unipolar(p[param::OFFSET]);
        let inverted = behaviour.is_inverted(p[param::INVERT]);
        let phase = self.phase;
        let shape = |wave: f32| {
            let wave = if inverted { -wave } else { wave };
            let wave = if unipolar { wave + 1.0 } else { wave };
            5.0 * wave
        };
        if wanted[output::SINE] {
            let p = if unipolar { phase - 0.25 } else { phase };
            outputs[output::SINE] = shape(sin(6.283_185_5 * p));
        }
        if wanted[output::TRIANGLE] {
            let p = if unipolar { phase } else { phase + 0.25 };
            outputs[output::TRIANGLE] = shape(4.0 * (p - behaviour.round(p)).abs() - 1.0);
        }
        if wanted[output::SAW] {
            let p = if unipolar { phase - 0.5 } else { phase };
            outputs[output::SAW] = shape(2.0 * (p - behaviour.round(p)));
        }
        if wanted[output::SQUARE] {
            let pulse_width =
                (p[param::PULSE_WIDTH] + inputs[input::PULSE_WIDTH] / 10.0 * p[param::PWM]).clamp(0.01, 0.99);
            outputs[output::SQUARE] = shape(if phase < pulse_width { 1.0 } else { -1.0 });
        }
    }

    /// v2's clock: the rate of the last valid clock period; 2 while unpatched,
    /// so that `rate / 2` leaves the knob's frequency unchanged.
    fn clock_rate(&mut self, volts: f32, patched: bool) -> f32 {
        if !patched {
            self.clock_frequency = 2.0;
            return self.clock_frequency;
        }
        self.clock_timer += SAMPLE_TIME;
        if self.clock_trigger.process(volts) {
            let rate = 1.0 / self.clock_timer;
            if (0.001..=1000.0).contains(&rate) {
                self.clock_frequency = rate;
            }
            self.clock_timer = 0.0;
        }
        self.clock_frequency
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: LfoBehaviour = LfoBehaviour {
        v1_switches: true,
        exp2: Exp2Approximation::TaylorV1,
        clamp_pitch_at_10: true,
        round_ties_even: false,
        has_fm2: true,
    };

    fn v2() -> LfoBehaviour {
        LfoBehaviour::for_plugin_version(2, 6)
    }

    /// Renders `frames` frames of every output with the given params.
    fn run(behaviour: LfoBehaviour, params: &[(usize, f32)], frames: usize) -> Vec<[f32; 4]> {
        let mut lfo = Lfo::new(behaviour);
        for &(id, value) in params {
            assert!(lfo.set_param(id, value));
        }
        let inputs = [0.0; input::COUNT];
        let connected = [false; input::COUNT];
        let mut out = [0.0; output::COUNT];
        (0..frames)
            .map(|_| {
                lfo.process(&inputs, &connected, &mut out, &[true; output::COUNT]);
                out
            })
            .collect()
    }

    /// Frames between upward crossings of the sine's mean, averaged.
    fn period_in_frames(sine: &[f32], mean: f32) -> f64 {
        let crossings: Vec<f64> = sine
            .windows(2)
            .enumerate()
            .filter(|(_, w)| w[0] < mean && w[1] >= mean)
            .map(|(i, w)| i as f64 + ((mean - w[0]) / (w[1] - w[0])) as f64)
            .collect();
        (crossings[crossings.len() - 1] - crossings[0]) / (crossings.len() - 1) as f64
    }

    #[test]
    fn versions_map_to_behaviours() {
        assert_eq!(LfoBehaviour::for_plugin_version(1, 4), V1);
        let v2_0 = LfoBehaviour::for_plugin_version(2, 0);
        assert!(!v2_0.v1_switches && v2_0.exp2 == Exp2Approximation::TaylorV1 && !v2_0.clamp_pitch_at_10);
        assert_eq!(LfoBehaviour::for_plugin_version(2, 3).exp2, Exp2Approximation::TaylorV2);
        assert!(!LfoBehaviour::for_plugin_version(2, 3).round_ties_even);
        assert!(v2().round_ties_even);
    }

    #[test]
    fn v2_rate_is_two_to_the_knob_exactly_at_whole_numbers() {
        for v in -8..=10 {
            assert_eq!(v2().frequency(v as f32), (v as f32).exp2(), "knob {v}");
        }
        for v in [-7.3f32, 0.5, 5.6062994, 9.99] {
            let relative = (v2().frequency(v) as f64 / (v as f64).exp2() - 1.0).abs();
            assert!(relative < 1e-6, "knob {v}: {relative}");
        }
    }

    #[test]
    fn v1_rate_is_slightly_flat_and_clamped_at_10_octaves() {
        assert_eq!(V1.frequency(0.0), 0.999_997_7);
        assert!((V1.frequency(0.0) as f64 - 0.999_997_645_779_844_3).abs() < 3e-8);
        assert!((V1.frequency(10.0) - 1023.9976).abs() < 1e-3);
        for v in [-8.0f32, -2.5, 0.3, 5.6062994, 9.5] {
            let relative = V1.frequency(v) as f64 / (v as f64).exp2() - 1.0;
            assert!(relative.abs() <= 2.4e-6, "knob {v}: {relative}");
        }
        // FREQ 10 plus positive FM plays like FREQ 10 in v1 only.
        let fm = [(param::FREQUENCY, 10.0), (param::FM, 1.0), (param::OFFSET, 0.0)];
        let mut lfo = Lfo::new(V1);
        let mut with_fm = Lfo::new(v2());
        for (id, value) in fm {
            lfo.set_param(id, value);
            with_fm.set_param(id, value);
        }
        let mut inputs = [0.0; input::COUNT];
        inputs[input::FM] = 0.5;
        let connected = [true; input::COUNT];
        let mut out = [0.0; output::COUNT];
        for _ in 0..10 {
            lfo.process(&inputs, &connected, &mut out, &[false; output::COUNT]);
            with_fm.process(&inputs, &connected, &mut out, &[false; output::COUNT]);
        }
        let step = V1.frequency(10.0) * SAMPLE_TIME;
        assert_eq!(lfo.phase(), (0..10).fold(0.0f32, |phase, _| phase + step));
        assert!(with_fm.phase() > 10.0 * (v2().frequency(10.4) * SAMPLE_TIME));
    }

    #[test]
    fn measured_period_matches_the_rate() {
        for (knob, behaviour) in [(1.0f32, v2()), (5.6062994, V1), (7.0, v2())] {
            let frames = run(behaviour, &[(param::FREQUENCY, knob)], 48_000);
            let sine: Vec<f32> = frames.iter().map(|f| f[output::SINE]).collect();
            let period = period_in_frames(&sine, 5.0);
            let expected = 48_000.0 / behaviour.frequency(knob) as f64;
            assert!((period / expected - 1.0).abs() < 1e-4, "knob {knob}: {period} vs {expected}");
        }
    }

    #[test]
    fn first_sample_uses_one_phase_step_not_zero() {
        let frames = run(V1, &[(param::FREQUENCY, 5.6062994)], 2);
        let step = V1.frequency(5.6062994) * SAMPLE_TIME;
        let expected = 5.0 * (1.0 - (2.0 * std::f64::consts::PI * step as f64).cos());
        assert!((frames[0][output::SINE] as f64 - expected).abs() < 1e-6, "{}", frames[0][output::SINE]);
        assert!(frames[0][output::SINE] > 0.0);
        let ratio = frames[1][output::SINE] / frames[0][output::SINE];
        assert!((ratio - 4.0).abs() < 0.01, "second sample is about 4x the first: {ratio}");
    }

    #[test]
    fn seed_settings_are_unipolar_rising_in_v1_and_falling_in_v2() {
        let seed = [(param::OFFSET, 1.0), (param::INVERT, 1.0), (param::FREQUENCY, 1.0)];
        let v1 = run(V1, &seed, 24_000);
        let v2 = run(v2(), &seed, 24_000);
        assert!(v1[0][output::SINE] < 0.01, "v1 starts at its 0 V trough");
        assert!(v2[0][output::SINE] > 9.99, "v2 starts at 10 V (inverted)");
        let peak = v1.iter().map(|f| f[output::SINE]).fold(f32::MIN, f32::max);
        let trough = v1.iter().map(|f| f[output::SINE]).fold(f32::MAX, f32::min);
        assert!(peak > 9.999 && peak <= 10.0 && trough >= 0.0, "{trough}..{peak}");
        for (a, b) in v1.iter().zip(&v2).skip(100).step_by(997) {
            assert!((a[output::SINE] + b[output::SINE] - 10.0).abs() < 1e-3, "inverted unipolar is 10 - x");
        }
    }

    #[test]
    fn v1_switches_act_only_at_exactly_zero() {
        let fractional = run(V1, &[(param::OFFSET, 0.3), (param::INVERT, 0.3)], 100);
        let whole = run(V1, &[(param::OFFSET, 1.0), (param::INVERT, 1.0)], 100);
        assert_eq!(fractional, whole);
        let bipolar_inverted = run(V1, &[(param::OFFSET, 0.0), (param::INVERT, 0.0)], 1000);
        assert!(bipolar_inverted[10][output::SINE] < 0.0, "bipolar inverted sine starts falling");
    }

    #[test]
    fn bipolar_waves_stay_within_five_volts_and_have_their_shapes() {
        let frames = run(v2(), &[(param::OFFSET, 0.0), (param::FREQUENCY, 3.0)], 6000);
        for f in &frames {
            assert!(f.iter().all(|v| v.abs() <= 5.0), "{f:?}");
        }
        // 8 Hz: a quarter cycle is 1500 frames.
        let quarter = &frames[1499];
        assert!((quarter[output::SINE] - 5.0).abs() < 1e-3);
        assert!((quarter[output::TRIANGLE] - 5.0).abs() < 1e-2);
        assert!((quarter[output::SAW] - 2.5).abs() < 1e-2);
        assert_eq!(quarter[output::SQUARE], 5.0);
        assert_eq!(frames[3100][output::SQUARE], -5.0);
    }

    #[test]
    fn square_is_high_for_the_pulse_width_fraction() {
        let frames = run(v2(), &[(param::FREQUENCY, 3.0), (param::PULSE_WIDTH, 0.25)], 48_000);
        let high = frames.iter().filter(|f| f[output::SQUARE] > 5.0).count();
        assert!((high as f64 / 48_000.0 - 0.25).abs() < 1e-3, "{high}");
    }

    #[test]
    fn reset_sets_the_phase_to_zero_in_the_same_sample() {
        let mut lfo = Lfo::new(V1);
        lfo.set_param(param::FREQUENCY, 3.0);
        let mut inputs = [0.0; input::COUNT];
        let mut connected = [false; input::COUNT];
        connected[input::RESET] = true;
        let mut out = [0.0; output::COUNT];
        let wanted = [true; output::COUNT];
        for _ in 0..100 {
            lfo.process(&inputs, &connected, &mut out, &wanted);
        }
        inputs[input::RESET] = 5.0;
        lfo.process(&inputs, &connected, &mut out, &wanted);
        assert_eq!(lfo.phase(), 0.0);
        assert_eq!(out[output::SINE], 0.0);
        assert_eq!(out[output::TRIANGLE], 0.0);
        assert_eq!(out[output::SAW], 10.0, "v1 rounding puts the unipolar saw at 10 V at phase 0");
        lfo.process(&inputs, &connected, &mut out, &wanted);
        assert!(lfo.phase() > 0.0, "held high: no second reset");
    }

    #[test]
    fn reset_restores_the_start_phase_and_keeps_params() {
        let mut lfo = Lfo::new(v2());
        lfo.set_param(param::FREQUENCY, 4.0);
        let mut out = [0.0; output::COUNT];
        for _ in 0..777 {
            lfo.process(&[0.0; 5], &[false; 5], &mut out, &[true; 4]);
        }
        lfo.reset();
        assert_eq!(lfo.phase(), 0.0);
        lfo.process(&[0.0; 5], &[false; 5], &mut out, &[true; 4]);
        assert_eq!(lfo.phase(), v2().frequency(4.0) * SAMPLE_TIME);
    }

    #[test]
    fn v2_clock_sets_the_rate_at_knob_one() {
        let mut lfo = Lfo::new(v2());
        let mut inputs = [0.0; input::COUNT];
        let mut connected = [false; input::COUNT];
        connected[input::CLOCK] = true;
        let mut out = [0.0; output::COUNT];
        // A 10 Hz clock (4800-frame period) for 1 s, then measure the phase step.
        for frame in 0..48_000 {
            inputs[input::CLOCK] = if frame % 4800 < 100 { 10.0 } else { 0.0 };
            lfo.process(&inputs, &connected, &mut out, &[false; 4]);
        }
        let before = lfo.phase();
        lfo.process(&inputs, &connected, &mut out, &[false; 4]);
        let step = (lfo.phase() - before).rem_euclid(1.0);
        assert!((step * 48_000.0 - 10.0).abs() < 1e-2, "{}", step * 48_000.0);
    }

    #[test]
    fn phase_step_never_exceeds_half_a_cycle() {
        let mut lfo = Lfo::new(v2());
        lfo.set_param(param::FREQUENCY, 10.0);
        lfo.set_param(param::FM, 1.0);
        let mut inputs = [0.0; input::COUNT];
        inputs[input::FM] = 10.0;
        let mut out = [0.0; output::COUNT];
        lfo.process(&inputs, &[true; 5], &mut out, &[false; 4]);
        assert_eq!(lfo.phase(), 0.5);
    }
}
