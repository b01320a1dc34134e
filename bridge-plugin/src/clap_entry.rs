//! The CLAP format: clack's safe wrappers around [`Bridge`] and
//! [`AudioCapture`]. clack keeps the C ABI (and its `unsafe`) inside itself.

use std::cell::RefCell;
use std::io::{Read, Write};

use clack_extensions::audio_ports::{
    AudioPortFlags, AudioPortInfo, AudioPortInfoWriter, AudioPortType, PluginAudioPorts, PluginAudioPortsImpl,
};
use clack_extensions::note_ports::{
    NoteDialect, NoteDialects, NotePortInfo, NotePortInfoWriter, PluginNotePorts, PluginNotePortsImpl,
};
use clack_extensions::state::{PluginState, PluginStateImpl};
use clack_plugin::events::spaces::CoreEventSpace;
use clack_plugin::plugin::features::{AUDIO_EFFECT, STEREO, UTILITY};
use clack_plugin::prelude::*;
use clack_plugin::stream::{InputStream, OutputStream};

use crate::capture::{AudioCapture, CcEvent};
use crate::settings::Settings;
use crate::worker::Bridge;

/// Largest saved state accepted (a JSON object of a few settings).
const MAX_STATE_BYTES: u64 = 64 * 1024;

/// The CLAP plugin type.
pub struct BridgePlugin;

impl Plugin for BridgePlugin {
    type AudioProcessor<'a> = BridgeProcessor;
    type Shared<'a> = ();
    type MainThread<'a> = BridgeMain;

    fn declare_extensions(builder: &mut PluginExtensions<Self>, _shared: Option<&()>) {
        builder.register::<PluginAudioPorts>().register::<PluginNotePorts>().register::<PluginState>();
    }
}

impl DefaultPluginFactory for BridgePlugin {
    fn get_descriptor() -> PluginDescriptor {
        PluginDescriptor::new(crate::CLAP_ID, crate::PLUGIN_NAME)
            .with_vendor("rackmatch")
            .with_version(crate::PLUGIN_VERSION)
            .with_description("Passes stereo audio through; captures OSC-tagged clips for rackmatch.")
            .with_features([AUDIO_EFFECT, STEREO, UTILITY])
    }

    fn new_shared(_host: HostSharedHandle<'_>) -> Result<(), PluginError> {
        Ok(())
    }

    fn new_main_thread<'a>(
        _host: HostMainThreadHandle<'a>,
        _shared: &'a (),
    ) -> Result<BridgeMain, PluginError> {
        Ok(BridgeMain { bridge: RefCell::new(Bridge::start(Settings::from_environment())) })
    }
}

/// Main-thread state: the worker handle.
pub struct BridgeMain {
    bridge: RefCell<Bridge>,
}

impl<'a> PluginMainThread<'a, ()> for BridgeMain {}

/// Audio-thread state: the session's capture end.
pub struct BridgeProcessor {
    capture: AudioCapture,
}

impl<'a> PluginAudioProcessor<'a, (), BridgeMain> for BridgeProcessor {
    fn activate(
        _host: HostAudioProcessorHandle<'a>,
        main_thread: &BridgeMain,
        _shared: &'a (),
        config: PluginAudioConfiguration,
    ) -> Result<Self, PluginError> {
        let capture =
            main_thread.bridge.borrow_mut().new_session(config.sample_rate, config.max_frames_count);
        Ok(Self { capture })
    }

    fn process(
        &mut self,
        _process: Process,
        mut audio: Audio,
        events: Events,
    ) -> Result<ProcessStatus, PluginError> {
        let ccs = events.input.iter().filter_map(|event| match event.as_core_event()? {
            CoreEventSpace::Midi(midi) => CcEvent::from_midi(event.header().time(), midi.data()),
            _ => None,
        });
        let Some(mut port) = audio.port_pair(0) else {
            self.capture.process(&[], &[], ccs);
            return Ok(ProcessStatus::Continue);
        };
        let Some(mut channels) = port.channels()?.into_f32() else {
            // 64-bit buffers were not declared, so a host should not send them; pass nothing.
            self.capture.process(&[], &[], ccs);
            return Ok(ProcessStatus::Continue);
        };
        let left = channels.channel_pair(0).map(pass_through);
        let right = channels.channel_pair(1).map(pass_through);
        for extra in 2..channels.channel_pair_count() {
            if let Some(pair) = channels.channel_pair(extra) {
                pass_through(pair);
            }
        }
        match (left, right) {
            (Some(left), Some(right)) => self.capture.process(left, right, ccs),
            (Some(mono), None) => self.capture.process(mono, mono, ccs),
            _ => self.capture.process(&[], &[], ccs),
        }
        Ok(ProcessStatus::Continue)
    }

    fn stop_processing(&mut self) {
        self.capture.stop();
    }

    fn deactivate(mut self, _main_thread: &BridgeMain) {
        self.capture.stop();
    }
}

/// Copies one channel's input to its output and returns the audio the block carries.
fn pass_through(pair: ChannelPair<'_, f32>) -> &[f32] {
    match pair {
        ChannelPair::InputOutput(input, output) => {
            output.copy_from_slice(input);
            output
        }
        ChannelPair::InPlace(buffer) => buffer,
        ChannelPair::InputOnly(input) => input,
        ChannelPair::OutputOnly(output) => {
            output.fill(0.0);
            output
        }
    }
}

impl PluginAudioPortsImpl for BridgeMain {
    fn count(&self, _is_input: bool) -> u32 {
        1
    }

    fn get(&self, index: u32, _is_input: bool, writer: &mut AudioPortInfoWriter) {
        if index == 0 {
            writer.set(&AudioPortInfo {
                id: ClapId::new(0),
                name: b"main",
                channel_count: 2,
                flags: AudioPortFlags::IS_MAIN,
                port_type: Some(AudioPortType::STEREO),
                in_place_pair: Some(ClapId::new(0)),
            });
        }
    }
}

impl PluginNotePortsImpl for BridgeMain {
    fn count(&self, is_input: bool) -> u32 {
        u32::from(is_input)
    }

    fn get(&self, index: u32, is_input: bool, writer: &mut NotePortInfoWriter) {
        if is_input && index == 0 {
            writer.set(&NotePortInfo {
                id: ClapId::new(0),
                name: b"MIDI CC in",
                supported_dialects: NoteDialects::MIDI,
                preferred_dialect: Some(NoteDialect::Midi),
            });
        }
    }
}

impl PluginStateImpl for BridgeMain {
    fn save(&self, output: &mut OutputStream) -> Result<(), PluginError> {
        let bytes = self.bridge.borrow().settings().to_state();
        output.write_all(&bytes)?;
        Ok(())
    }

    fn load(&self, input: &mut InputStream) -> Result<(), PluginError> {
        let mut bytes = Vec::new();
        input.take(MAX_STATE_BYTES).read_to_end(&mut bytes)?;
        match Settings::from_state(&bytes) {
            Ok(settings) => {
                self.bridge.borrow_mut().apply_settings(settings);
                Ok(())
            }
            Err(problem) => {
                crate::log(&problem);
                Err(PluginError::Message("saved state is not rackmatch bridge settings"))
            }
        }
    }
}

clack_export_entry!(SinglePluginEntry<BridgePlugin>);
