//! The cable graph: modules processed once per frame in patch order after every
//! cable has copied its source output, so each cable delays by exactly one
//! sample, as in Rack's engine (fundamental-dsp.md §5.1).

use std::fmt;
use std::ops::Range;

use super::eight_vert::{self, EightVert};
use super::lfo::{self, Lfo};
use super::plaits::{self, PlaitsModule};
use super::seq3::{self, Seq3};
use super::vca_mix::{self, VcaMix};
use crate::render::TriggerGate;

/// A module of a [`Rack`], with its DSP state.
pub enum RackModule {
    /// Fundamental LFO.
    Lfo(Lfo),
    /// Fundamental 8vert.
    EightVert(EightVert),
    /// Fundamental VCA Mix.
    VcaMix(VcaMix),
    /// Audible Instruments Plaits.
    Plaits(PlaitsModule),
    /// Fundamental SEQ3.
    Seq3(Seq3),
}

impl RackModule {
    /// Number of input ports.
    pub fn input_count(&self) -> usize {
        match self {
            Self::Lfo(lfo) if lfo.behaviour().has_fm2 => lfo::input::CLOCK,
            Self::Lfo(_) => lfo::input::COUNT,
            Self::EightVert(_) => eight_vert::ROWS,
            Self::VcaMix(_) => vca_mix::input::COUNT,
            Self::Plaits(_) => plaits::input::COUNT,
            Self::Seq3(_) => seq3::input::COUNT,
        }
    }

    /// Number of output ports.
    pub fn output_count(&self) -> usize {
        match self {
            Self::Lfo(_) => lfo::output::COUNT,
            Self::EightVert(_) => eight_vert::ROWS,
            Self::VcaMix(_) => vca_mix::output::COUNT,
            Self::Plaits(_) => plaits::output::COUNT,
            Self::Seq3(_) => seq3::output::COUNT,
        }
    }

    /// Sets a param (clamped to its range); false if the module has no such param.
    pub fn set_param(&mut self, id: usize, value: f32) -> bool {
        match self {
            Self::Lfo(m) => m.set_param(id, value),
            Self::EightVert(m) => m.set_param(id, value),
            Self::VcaMix(m) => m.set_param(id, value),
            Self::Plaits(m) => m.set_param(id, value),
            Self::Seq3(m) => m.set_param(id, value),
        }
    }

    /// Back to the power-up state, keeping params.
    fn reset(&mut self) {
        match self {
            Self::Lfo(m) => m.reset(),
            Self::Plaits(m) => m.reset(),
            Self::Seq3(m) => m.reset(),
            Self::EightVert(_) | Self::VcaMix(_) => {}
        }
    }

    fn process(&mut self, inputs: &[f32], connected: &[bool], outputs: &mut [f32], wanted: &[bool]) {
        match self {
            Self::Lfo(m) => m.process(inputs, connected, outputs, wanted),
            Self::EightVert(m) => m.process(inputs, connected, outputs, wanted),
            Self::VcaMix(m) => m.process(inputs, connected, outputs, wanted),
            Self::Plaits(m) => m.process(inputs, connected, outputs, wanted),
            Self::Seq3(m) => m.process(inputs, connected, outputs, wanted),
        }
    }
}

/// Index of a module in its [`Rack`], in processing order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ModuleId(pub usize);

/// One output port of one module.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OutputRef {
    /// The module.
    pub module: ModuleId,
    /// Its output port index.
    pub output: usize,
}

/// A voltage fed into an input from outside the patch, with no cable delay.
#[derive(Clone, Debug)]
pub enum ExternalSource {
    /// A constant voltage.
    Constant(f32),
    /// A 10 V gate, high for 5 ms from each onset (as `render --trigger`).
    Gate(TriggerGate),
}

impl ExternalSource {
    fn volts(&self, frame: u64) -> f32 {
        match self {
            Self::Constant(volts) => *volts,
            Self::Gate(gate) => gate.volts(frame),
        }
    }
}

/// Why a connection was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GraphError {
    /// No module with that index.
    NoSuchModule(ModuleId),
    /// The module has fewer outputs.
    NoSuchOutput(OutputRef),
    /// The module has fewer inputs.
    NoSuchInput(ModuleId, usize),
    /// Rack allows one cable (or source) per input.
    InputTaken(ModuleId, usize),
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSuchModule(m) => write!(f, "no module #{}", m.0),
            Self::NoSuchOutput(o) => write!(f, "module #{} has no output {}", o.module.0, o.output),
            Self::NoSuchInput(m, i) => write!(f, "module #{} has no input {i}", m.0),
            Self::InputTaken(m, i) => write!(f, "input {i} of module #{} already has a cable", m.0),
        }
    }
}

impl std::error::Error for GraphError {}

struct Slot {
    module: RackModule,
    inputs: Range<usize>,
    outputs: Range<usize>,
}

/// A patch of modules and cables that renders frame by frame at 48 kHz.
///
/// Ports live in flat arrays; a cable copies one output into one input at the
/// start of every frame, before any module runs. Unconnected inputs read 0 V.
#[derive(Default)]
pub struct Rack {
    slots: Vec<Slot>,
    inputs: Vec<f32>,
    input_connected: Vec<bool>,
    outputs: Vec<f32>,
    output_connected: Vec<bool>,
    /// (source output index, destination input index) in flat port numbering.
    cables: Vec<(usize, usize)>,
    external: Vec<(usize, ExternalSource)>,
    frame: u64,
}

impl Rack {
    /// An empty rack.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a module; modules process in the order they were added.
    pub fn add_module(&mut self, module: RackModule) -> ModuleId {
        let inputs = self.inputs.len()..self.inputs.len() + module.input_count();
        let outputs = self.outputs.len()..self.outputs.len() + module.output_count();
        self.inputs.resize(inputs.end, 0.0);
        self.input_connected.resize(inputs.end, false);
        self.outputs.resize(outputs.end, 0.0);
        self.output_connected.resize(outputs.end, false);
        self.slots.push(Slot { module, inputs, outputs });
        ModuleId(self.slots.len() - 1)
    }

    /// The module at `id`.
    pub fn module(&self, id: ModuleId) -> Option<&RackModule> {
        self.slots.get(id.0).map(|slot| &slot.module)
    }

    /// Sets a param of a module; false if there is no such module or param.
    pub fn set_param(&mut self, id: ModuleId, param: usize, value: f32) -> bool {
        self.slots.get_mut(id.0).is_some_and(|slot| slot.module.set_param(param, value))
    }

    fn output_index(&self, output: OutputRef) -> Result<usize, GraphError> {
        let slot = self.slots.get(output.module.0).ok_or(GraphError::NoSuchModule(output.module))?;
        if output.output >= slot.outputs.len() {
            return Err(GraphError::NoSuchOutput(output));
        }
        Ok(slot.outputs.start + output.output)
    }

    fn free_input_index(&self, module: ModuleId, input: usize) -> Result<usize, GraphError> {
        let slot = self.slots.get(module.0).ok_or(GraphError::NoSuchModule(module))?;
        if input >= slot.inputs.len() {
            return Err(GraphError::NoSuchInput(module, input));
        }
        let index = slot.inputs.start + input;
        if self.input_connected[index] {
            return Err(GraphError::InputTaken(module, input));
        }
        Ok(index)
    }

    /// Adds a cable from `from` into input `input` of `to`.
    pub fn connect(&mut self, from: OutputRef, to: ModuleId, input: usize) -> Result<(), GraphError> {
        let source = self.output_index(from)?;
        let destination = self.free_input_index(to, input)?;
        self.output_connected[source] = true;
        self.input_connected[destination] = true;
        self.cables.push((source, destination));
        Ok(())
    }

    /// Feeds input `input` of `to` from outside the patch; the voltage of
    /// frame n is on the input while frame n processes (no cable delay).
    pub fn drive(&mut self, to: ModuleId, input: usize, source: ExternalSource) -> Result<(), GraphError> {
        let destination = self.free_input_index(to, input)?;
        self.input_connected[destination] = true;
        self.external.push((destination, source));
        Ok(())
    }

    /// Whether input `input` of `module` has a cable or an external source.
    pub fn is_input_connected(&self, module: ModuleId, input: usize) -> bool {
        self.slots
            .get(module.0)
            .is_some_and(|slot| input < slot.inputs.len() && self.input_connected[slot.inputs.start + input])
    }

    /// Puts every module back in its power-up state (LFO phase 0, fresh Plaits
    /// voice) and every port at 0 V, keeping params and cables: what a render
    /// starts from, so the same patch and values always give the same sound.
    pub fn reset(&mut self) {
        for slot in &mut self.slots {
            slot.module.reset();
        }
        self.inputs.fill(0.0);
        self.outputs.fill(0.0);
        self.frame = 0;
    }

    /// Runs one frame: cables copy, external sources apply, then every module
    /// processes once, in order.
    pub fn process_frame(&mut self) {
        for &(source, destination) in &self.cables {
            self.inputs[destination] = self.outputs[source];
        }
        for (destination, source) in &self.external {
            self.inputs[*destination] = source.volts(self.frame);
        }
        for slot in &mut self.slots {
            slot.module.process(
                &self.inputs[slot.inputs.clone()],
                &self.input_connected[slot.inputs.clone()],
                &mut self.outputs[slot.outputs.clone()],
                &self.output_connected[slot.outputs.clone()],
            );
        }
        self.frame += 1;
    }

    /// The voltage on an output after the last processed frame.
    pub fn output(&self, output: OutputRef) -> Option<f32> {
        self.output_index(output).ok().map(|index| self.outputs[index])
    }

    /// Resets, then renders `volts.len()` frames of `main` (volts).
    ///
    /// `main` counts as patched (a renderer listens to it), so modules that only
    /// compute patched outputs compute it.
    pub fn render(&mut self, main: OutputRef, volts: &mut [f32]) -> Result<(), GraphError> {
        let index = self.output_index(main)?;
        self.output_connected[index] = true;
        self.reset();
        for sample in volts.iter_mut() {
            self.process_frame();
            *sample = self.outputs[index];
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rack::lfo::LfoBehaviour;
    use crate::rack::vca_mix::VcaMixLaw;

    fn v2_lfo() -> RackModule {
        RackModule::Lfo(Lfo::new(LfoBehaviour::for_plugin_version(2, 6)))
    }

    fn out(module: ModuleId, output: usize) -> OutputRef {
        OutputRef { module, output }
    }

    /// An LFO square through `hops` 8vert rows at unity. With `signal_order`
    /// the modules process from the LFO downstream, otherwise against the signal.
    fn chain(hops: usize, signal_order: bool) -> (Rack, OutputRef, OutputRef) {
        let mut lfo = Lfo::new(LfoBehaviour::for_plugin_version(2, 6));
        lfo.set_param(lfo::param::FREQUENCY, 8.0);
        lfo.set_param(lfo::param::OFFSET, 0.0);
        let mut modules = vec![RackModule::Lfo(lfo)];
        for _ in 0..hops {
            let mut vert = EightVert::default();
            vert.set_param(0, 1.0);
            modules.push(RackModule::EightVert(vert));
        }
        // Position in the signal chain -> module id.
        let mut rack = Rack::new();
        let mut ids = vec![ModuleId(0); modules.len()];
        let order: Vec<usize> =
            if signal_order { (0..modules.len()).collect() } else { (0..modules.len()).rev().collect() };
        let mut modules: Vec<Option<RackModule>> = modules.into_iter().map(Some).collect();
        for position in order {
            ids[position] = rack.add_module(modules[position].take().unwrap());
        }
        for position in 1..ids.len() {
            let from = if position == 1 { lfo::output::SQUARE } else { 0 };
            rack.connect(out(ids[position - 1], from), ids[position], 0).unwrap();
        }
        let end = if hops == 0 { out(ids[0], lfo::output::SQUARE) } else { out(ids[hops], 0) };
        (rack, out(ids[0], lfo::output::SQUARE), end)
    }

    fn first_negative(rack: &mut Rack, output: OutputRef, frames: usize) -> usize {
        let mut signal = vec![0.0; frames];
        rack.render(output, &mut signal).unwrap();
        signal.iter().position(|v| *v < 0.0).unwrap()
    }

    #[test]
    fn each_cable_delays_by_exactly_one_sample_whatever_the_order() {
        for signal_order in [true, false] {
            for hops in 0..4 {
                let (mut rack, source, end) = chain(hops, signal_order);
                let edge = first_negative(&mut rack, source, 1000);
                // 256 Hz: the phase first reaches 0.5 after 94 steps, in frame 93.
                assert_eq!(edge, 93);
                let delayed = first_negative(&mut rack, end, 1000);
                assert_eq!(delayed, edge + hops, "{hops} hops, signal order {signal_order}");
            }
        }
    }

    #[test]
    fn feedback_loops_also_delay_by_one_sample() {
        // Mix = 1 V + the mix itself, one frame late: 1, 2, 3, ...
        let mut rack = Rack::new();
        let mixer = rack.add_module(RackModule::VcaMix(VcaMix::new(VcaMixLaw::V1)));
        rack.drive(mixer, vca_mix::input::CHANNEL_1, ExternalSource::Constant(1.0)).unwrap();
        rack.connect(out(mixer, vca_mix::output::MIX), mixer, vca_mix::input::CHANNEL_1 + 1).unwrap();
        let mut signal = vec![0.0; 5];
        rack.render(out(mixer, vca_mix::output::MIX), &mut signal).unwrap();
        assert_eq!(signal, [1.0, 2.0, 3.0, 4.0, 5.0]);
    }

    #[test]
    fn renders_restart_from_the_same_state() {
        let mut rack = Rack::new();
        let lfo = rack.add_module(v2_lfo());
        let mixer = rack.add_module(RackModule::VcaMix(VcaMix::new(VcaMixLaw::V1)));
        rack.connect(out(lfo, lfo::output::SINE), mixer, vca_mix::input::CHANNEL_1).unwrap();
        let mut a = vec![0.0; 3000];
        let mut b = vec![0.0; 3000];
        rack.render(out(mixer, vca_mix::output::MIX), &mut a).unwrap();
        rack.render(out(mixer, vca_mix::output::MIX), &mut b).unwrap();
        assert_eq!(a, b);
        assert_eq!(a[0], 0.0, "the mixer hears the LFO one frame late");
        assert!(a[1] > 0.0);
    }

    #[test]
    fn connections_are_checked() {
        let mut rack = Rack::new();
        let lfo = rack.add_module(v2_lfo());
        let vert = rack.add_module(RackModule::EightVert(EightVert::default()));
        assert_eq!(rack.connect(out(lfo, 4), vert, 0), Err(GraphError::NoSuchOutput(out(lfo, 4))));
        assert_eq!(rack.connect(out(lfo, 0), vert, 8), Err(GraphError::NoSuchInput(vert, 8)));
        assert_eq!(rack.connect(out(ModuleId(5), 0), vert, 0), Err(GraphError::NoSuchModule(ModuleId(5))));
        rack.connect(out(lfo, 0), vert, 0).unwrap();
        assert_eq!(rack.connect(out(lfo, 1), vert, 0), Err(GraphError::InputTaken(vert, 0)));
        assert_eq!(rack.drive(vert, 0, ExternalSource::Constant(1.0)), Err(GraphError::InputTaken(vert, 0)));
        assert!(rack.is_input_connected(vert, 0));
        assert!(!rack.is_input_connected(vert, 1));
        let v1_lfo = rack.add_module(RackModule::Lfo(Lfo::new(LfoBehaviour::for_plugin_version(1, 4))));
        assert_eq!(
            rack.connect(out(lfo, 0), v1_lfo, 4),
            Err(GraphError::NoSuchInput(v1_lfo, 4)),
            "no clock in v1"
        );
    }

    #[test]
    fn external_sources_have_no_cable_delay() {
        let mut rack = Rack::new();
        let mut vert = EightVert::default();
        vert.set_param(0, 1.0);
        let id = rack.add_module(RackModule::EightVert(vert));
        rack.drive(id, 0, ExternalSource::Gate(TriggerGate::new(&[0.001]))).unwrap();
        let mut signal = vec![0.0; 100];
        rack.render(out(id, 0), &mut signal).unwrap();
        assert_eq!(signal.iter().position(|v| *v > 0.0), Some(48));
    }
}
