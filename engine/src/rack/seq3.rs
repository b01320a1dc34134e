//! Fundamental SEQ3 2.x (slug `SEQ3`): an 8-step sequencer with three CV rows,
//! per-step gates and an internal clock, as its v2 source describes it.
//!
//! Per frame: a rising edge on RUN toggles running and on RESET goes back to
//! step 1 with the clock phase at 0 (both Schmitt triggers, 0.1 V / 2 V, and a
//! 1 ms pulse on the RUN / RESET outputs). While running, the external CLOCK
//! (when patched) or the internal clock advances the step: the internal phase
//! grows by `2^(TEMPO + TEMPO input × TEMPO CV)` (Rack's `exp2_taylor5`) times
//! the sample time and a step is taken when it reaches 1, keeping the fraction.
//! A step change starts a 1 ms pulse; TRIG is 10 V while that pulse (or, with
//! clock pass-through, the clock gate) is high and the step's gate is on.
//! The button params act only on presses, which a rendered patch never makes.

use super::lfo::LfoBehaviour;
use super::{ParamSpec, SchmittTrigger, SAMPLE_TIME};

/// Number of steps.
pub const STEPS: usize = 8;

/// Param ids.
pub mod param {
    /// Internal clock rate, -2 to 4: 2^v steps per second.
    pub const TEMPO: usize = 0;
    /// Run button.
    pub const RUN: usize = 1;
    /// Reset button.
    pub const RESET: usize = 2;
    /// Number of steps, 1 to 8.
    pub const STEPS: usize = 3;
    /// First of the 3 × 8 CV knobs (row r, step s at `CV + 8 r + s`), -10 to 10 V.
    pub const CV: usize = 4;
    /// First of the 8 gate buttons.
    pub const GATE: usize = 28;
    /// TEMPO input attenuator, 0 to 1.
    pub const TEMPO_CV: usize = 36;
    /// STEPS input attenuator, 0 to 1.
    pub const STEPS_CV: usize = 37;
    /// Number of params.
    pub const COUNT: usize = 38;
}

/// Input ids.
pub mod input {
    /// Clock rate CV (added to TEMPO, in octaves).
    pub const TEMPO: usize = 0;
    /// External clock.
    pub const CLOCK: usize = 1;
    /// Reset to step 1.
    pub const RESET: usize = 2;
    /// Number of steps CV.
    pub const STEPS: usize = 3;
    /// Run toggle.
    pub const RUN: usize = 4;
    /// Number of inputs.
    pub const COUNT: usize = 5;
}

/// Output ids.
pub mod output {
    /// Gated step trigger.
    pub const TRIG: usize = 0;
    /// First of the 3 CV row outputs.
    pub const CV: usize = 1;
    /// First of the 8 step outputs (10 V on the current step).
    pub const STEP: usize = 4;
    /// Number of steps − 1, in volts.
    pub const STEPS: usize = 12;
    /// Clock.
    pub const CLOCK: usize = 13;
    /// Run pulse.
    pub const RUN: usize = 14;
    /// Reset pulse.
    pub const RESET: usize = 15;
    /// Number of outputs.
    pub const COUNT: usize = 16;
}

/// Length of the step, run and reset pulses, in seconds.
pub const PULSE_SECONDS: f32 = 1e-3;

/// SEQ3's param table (v2).
pub const PARAMS: [ParamSpec; param::COUNT] = {
    let mut specs = [ParamSpec::knob("CV", -10.0, 10.0, 0.0); param::COUNT];
    specs[param::TEMPO] = ParamSpec::knob("Tempo", -2.0, 4.0, 1.0);
    specs[param::RUN] = ParamSpec::button("Run");
    specs[param::RESET] = ParamSpec::button("Reset");
    specs[param::STEPS] = ParamSpec::switch("Steps", 1.0, 8.0, 8.0);
    let mut gate = 0;
    while gate < STEPS {
        specs[param::GATE + gate] = ParamSpec::button("Step trigger");
        gate += 1;
    }
    specs[param::TEMPO_CV] = ParamSpec::knob("Tempo CV", 0.0, 1.0, 1.0);
    specs[param::STEPS_CV] = ParamSpec::knob("Steps CV", 0.0, 1.0, 1.0);
    specs
};

/// The internal clock's rate in steps per second for a clock pitch, as SEQ3 2.x
/// computes it (Rack SDK >= 2.3 `exp2_taylor5`).
pub fn clock_frequency(pitch: f32) -> f32 {
    LfoBehaviour::for_plugin_version(2, 6).frequency(pitch)
}

/// One internal-clock frame: the new phase and whether a step is taken.
pub fn advance_phase(phase: f32, frequency: f32) -> (f32, bool) {
    let phase = phase + frequency * SAMPLE_TIME;
    (phase - phase.trunc(), phase >= 1.0)
}

/// Rack's `dsp::PulseGenerator`: high while time remains.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Pulse {
    remaining: f32,
}

impl Pulse {
    fn trigger(&mut self) {
        self.remaining = self.remaining.max(PULSE_SECONDS);
    }

    fn process(&mut self) -> bool {
        if self.remaining > 0.0 {
            self.remaining -= SAMPLE_TIME;
            true
        } else {
            false
        }
    }
}

/// The state SEQ3 keeps in the patch's `data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seq3Data {
    /// `running`.
    pub running: bool,
    /// `gates`: which steps fire TRIG.
    pub gates: [bool; STEPS],
    /// `clockPassthrough`: TRIG follows the clock gate instead of a 1 ms pulse
    /// (true when the key is absent, as for patches saved before it existed).
    pub clock_passthrough: bool,
}

impl Default for Seq3Data {
    /// A fresh module: running, every gate on, 1 ms pulses.
    fn default() -> Self {
        Self { running: true, gates: [true; STEPS], clock_passthrough: false }
    }
}

/// One SEQ3 (mono).
#[derive(Clone, Debug)]
pub struct Seq3 {
    data: Seq3Data,
    params: [f32; param::COUNT],
    running: bool,
    phase: f32,
    index: usize,
    run_trigger: SchmittTrigger,
    clock_trigger: SchmittTrigger,
    reset_trigger: SchmittTrigger,
    run_pulse: Pulse,
    clock_pulse: Pulse,
    reset_pulse: Pulse,
}

impl Seq3 {
    /// A SEQ3 with its default params and the state loaded from `data`.
    pub fn new(data: Seq3Data) -> Self {
        Self {
            data,
            params: super::default_values(&PARAMS),
            running: data.running,
            phase: 0.0,
            index: 0,
            run_trigger: SchmittTrigger::default(),
            clock_trigger: SchmittTrigger::default(),
            reset_trigger: SchmittTrigger::default(),
            run_pulse: Pulse::default(),
            clock_pulse: Pulse::default(),
            reset_pulse: Pulse::default(),
        }
    }

    /// Sets param `id` (clamped; the step count rounded); false if there is no such param.
    pub fn set_param(&mut self, id: usize, value: f32) -> bool {
        match PARAMS.get(id) {
            Some(spec) => {
                let value = spec.clamp(value);
                self.params[id] = if id == param::STEPS { value.round() } else { value };
                true
            }
            None => false,
        }
    }

    /// The current step, 0 to 7.
    pub fn step(&self) -> usize {
        self.index
    }

    /// Back to the state the patch was loaded with: step 1, phase 0. Params are kept.
    pub fn reset(&mut self) {
        *self = Self { params: self.params, ..Self::new(self.data) };
    }

    /// Processes one frame.
    pub fn process(&mut self, inputs: &[f32], connected: &[bool], outputs: &mut [f32], _wanted: &[bool]) {
        let p = &self.params;
        if self.run_trigger.process(inputs[input::RUN]) {
            self.running = !self.running;
            self.run_pulse.trigger();
        }
        let run_gate = self.run_pulse.process();

        let old_index = self.index;
        if self.reset_trigger.process(inputs[input::RESET]) {
            self.reset_pulse.trigger();
            self.index = 0;
            self.phase = 0.0;
        }
        let reset_gate = self.reset_pulse.process();

        let mut clock = false;
        let mut clock_gate = false;
        if self.running {
            if connected[input::CLOCK] {
                clock = self.clock_trigger.process(inputs[input::CLOCK]) && !reset_gate;
                clock_gate = self.clock_trigger.is_high();
            } else {
                let pitch = p[param::TEMPO] + inputs[input::TEMPO] * p[param::TEMPO_CV];
                let (phase, overflow) = advance_phase(self.phase, clock_frequency(pitch));
                self.phase = phase;
                clock = overflow && !reset_gate;
                clock_gate = phase < 0.5;
            }
        }

        let steps = p[param::STEPS] + inputs[input::STEPS] * p[param::STEPS_CV];
        let steps = steps.round_ties_even().clamp(1.0, STEPS as f32) as usize;
        if clock {
            self.index += 1;
            if self.index >= steps {
                self.index = 0;
            }
        }
        if self.index != old_index {
            self.clock_pulse.trigger();
        }
        if !self.data.clock_passthrough {
            clock_gate = self.clock_pulse.process();
        }

        let volts = |high: bool| if high { 10.0 } else { 0.0 };
        for step in 0..STEPS {
            outputs[output::STEP + step] = volts(self.index == step);
        }
        for row in 0..3 {
            outputs[output::CV + row] = p[param::CV + STEPS * row + self.index];
        }
        outputs[output::TRIG] = volts(clock_gate && self.data.gates[self.index]);
        outputs[output::STEPS] = (steps - 1) as f32;
        outputs[output::CLOCK] = volts(clock_gate);
        outputs[output::RUN] = volts(run_gate);
        outputs[output::RESET] = volts(reset_gate);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `frames` frames with the CV row 1 output cabled into TEMPO (one
    /// frame late, as a cable) when `self_patched`; the frames where the step
    /// changed and every frame's outputs.
    fn run(seq: &mut Seq3, frames: usize, self_patched: bool) -> (Vec<usize>, Vec<[f32; output::COUNT]>) {
        let mut connected = [false; input::COUNT];
        connected[input::TEMPO] = self_patched;
        let mut last = [0.0; output::COUNT];
        let mut changes = Vec::new();
        let mut all = Vec::new();
        for frame in 0..frames {
            let mut inputs = [0.0; input::COUNT];
            if self_patched {
                inputs[input::TEMPO] = last[output::CV];
            }
            let before = seq.step();
            seq.process(&inputs, &connected, &mut last, &[true; output::COUNT]);
            if seq.step() != before {
                changes.push(frame);
            }
            all.push(last);
        }
        (changes, all)
    }

    fn rising_edges(frames: &[[f32; output::COUNT]], port: usize) -> Vec<usize> {
        (0..frames.len())
            .filter(|&i| frames[i][port] > 5.0 && (i == 0 || frames[i - 1][port] < 5.0))
            .collect()
    }

    fn near(actual: &[usize], expected: &[usize], tolerance: usize) -> bool {
        actual.len() == expected.len()
            && actual.iter().zip(expected).all(|(a, e)| a.abs_diff(*e) <= tolerance)
    }

    #[test]
    fn the_internal_clock_steps_at_two_to_the_tempo_and_wraps() {
        let mut seq = Seq3::new(Seq3Data::default());
        assert!(seq.set_param(param::TEMPO, 3.0)); // 8 steps per second: 6000 frames each
        assert!(seq.set_param(param::STEPS, 4.2));
        let (changes, frames) = run(&mut seq, 45_000, false);
        assert!(
            near(&changes, &[6000, 12000, 18000, 24000, 30000, 36000, 42000], 2),
            "f32 phase drift: {changes:?}"
        );
        assert_eq!(rising_edges(&frames, output::TRIG), changes, "every gate is on");
        assert_eq!(frames[0][output::STEPS], 3.0, "4 steps");
        assert_eq!(frames[changes[3]][output::STEP], 10.0, "step 1 again after 4 steps");
    }

    #[test]
    fn gates_choose_the_steps_that_fire_and_pulses_last_one_millisecond() {
        let mut gates = [false; STEPS];
        gates[2] = true;
        let mut seq = Seq3::new(Seq3Data { gates, ..Seq3Data::default() });
        seq.set_param(param::TEMPO, 3.0);
        let (changes, frames) = run(&mut seq, 30_000, false);
        assert_eq!(rising_edges(&frames, output::TRIG), [changes[1]]);
        let high = frames.iter().filter(|f| f[output::TRIG] > 5.0).count();
        assert!((48..=49).contains(&high), "1 ms at 48 kHz: {high}");
        assert_eq!(rising_edges(&frames, output::CLOCK), changes);

        let mut passthrough = Seq3::new(Seq3Data { clock_passthrough: true, ..Seq3Data::default() });
        passthrough.set_param(param::TEMPO, 3.0);
        let (_, frames) = run(&mut passthrough, 6000, false);
        let high = frames.iter().filter(|f| f[output::CLOCK] > 5.0).count();
        assert!(high.abs_diff(3000) <= 1, "the clock gate is the first half of each step: {high}");
    }

    #[test]
    fn a_cv_row_cabled_into_tempo_sets_each_step_length() {
        let mut seq = Seq3::new(Seq3Data::default());
        seq.set_param(param::TEMPO, 0.0);
        seq.set_param(param::STEPS, 3.0);
        for (step, volts) in [(0, 4.0), (1, 5.0), (2, 3.0)] {
            seq.set_param(param::CV + step, volts);
        }
        // Step 1 at 16 Hz (3000 frames), step 2 at 32 Hz (1500), step 3 at 8 Hz (6000).
        let (changes, _) = run(&mut seq, 12_000, true);
        assert!(near(&changes, &[3000, 4500, 10_500], 2), "{changes:?}");
        seq.reset();
        assert_eq!(run(&mut seq, 12_000, true).0, changes, "reset returns to the loaded state");
    }

    #[test]
    fn stopped_sequencers_stay_on_step_one() {
        let mut seq = Seq3::new(Seq3Data { running: false, ..Seq3Data::default() });
        seq.set_param(param::TEMPO, 4.0);
        let (changes, frames) = run(&mut seq, 10_000, false);
        assert!(changes.is_empty());
        assert!(frames.iter().all(|f| f[output::TRIG] == 0.0));
    }
}
