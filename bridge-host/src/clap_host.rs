//! Hosting the `.clap` bundle through clack-host: load, instantiate, activate,
//! process, save and load state.

use std::ffi::CString;
use std::path::Path;

use clack_extensions::state::PluginState;
use clack_host::events::event_types::MidiEvent;
use clack_host::prelude::*;

use crate::{CcMessage, HostedPlugin};

/// A loaded CLAP plugin instance.
pub struct ClapPlugin {
    processor: Option<StartedPluginAudioProcessor<()>>,
    instance: PluginInstance<()>,
    // Kept last so the library is unloaded after the instance is gone.
    _entry: PluginEntry,
    input: [Vec<f32>; 2],
    input_ports: AudioPorts,
    output_ports: AudioPorts,
    events: EventBuffer,
    output_events: EventBuffer,
    steady_time: u64,
}

impl ClapPlugin {
    /// Loads the first plugin of a `.clap` file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let fail = |what: &str, e: &dyn std::fmt::Debug| format!("{}: {what}: {e:?}", path.display());
        // SAFETY: loading runs the library's initialisers; this is the plugin under test, built from this workspace.
        let entry = unsafe { PluginEntry::load(path) }.map_err(|e| fail("cannot load", &e))?;
        let factory =
            entry.get_plugin_factory().ok_or_else(|| format!("{}: no plugin factory", path.display()))?;
        let id: CString = factory
            .plugin_descriptors()
            .next()
            .and_then(|d| d.id().map(CString::from))
            .ok_or_else(|| format!("{}: lists no plugin", path.display()))?;
        let host = HostInfo::new("rackmatch test host", "rackmatch", "", "0.1.0")
            .map_err(|e| fail("host info", &e))?;
        let instance = PluginInstance::<()>::new(|_| (), |_| (), &entry, &id, &host)
            .map_err(|e| fail("cannot instantiate", &e))?;
        Ok(Self {
            processor: None,
            instance,
            _entry: entry,
            input: [Vec::new(), Vec::new()],
            input_ports: AudioPorts::with_capacity(2, 1),
            output_ports: AudioPorts::with_capacity(2, 1),
            events: EventBuffer::with_capacity(64),
            output_events: EventBuffer::with_capacity(64),
            steady_time: 0,
        })
    }
}

impl HostedPlugin for ClapPlugin {
    fn activate(&mut self, sample_rate: f64, max_block: u32) -> Result<(), String> {
        self.deactivate();
        let config =
            PluginAudioConfiguration { sample_rate, min_frames_count: 1, max_frames_count: max_block };
        let stopped = self.instance.activate(|_, _| (), config).map_err(|e| format!("activate: {e:?}"))?;
        let started = stopped.start_processing().map_err(|e| format!("start processing: {e:?}"))?;
        self.processor = Some(started);
        self.input = [Vec::with_capacity(max_block as usize), Vec::with_capacity(max_block as usize)];
        Ok(())
    }

    fn deactivate(&mut self) {
        if let Some(started) = self.processor.take() {
            let stopped = started.stop_processing();
            self.instance.deactivate(stopped);
        }
    }

    fn process(
        &mut self,
        input: [&[f32]; 2],
        output: [&mut [f32]; 2],
        ccs: &[CcMessage],
    ) -> Result<(), String> {
        let Self {
            processor,
            input: scratch,
            input_ports,
            output_ports,
            events,
            output_events,
            steady_time,
            ..
        } = self;
        let processor = processor.as_mut().ok_or("process before activate")?;
        // The host owns its input buffers (CLAP lets a plugin read them only); copy the caller's in.
        for (buffer, samples) in scratch.iter_mut().zip(input) {
            buffer.clear();
            buffer.extend_from_slice(samples);
        }
        events.clear();
        for cc in ccs {
            events.push(&MidiEvent::new(
                cc.offset,
                0,
                [0xB0 | (cc.channel & 0x0F), cc.cc & 0x7F, cc.value & 0x7F],
            ));
        }
        output_events.clear();
        let [in_left, in_right] = scratch;
        let inputs = input_ports.with_input_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_input_only(
                [InputChannel::variable(in_left), InputChannel::variable(in_right)].into_iter(),
            ),
        }]);
        let [out_left, out_right] = output;
        let mut outputs = output_ports.with_output_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_output_only([out_left, out_right].into_iter()),
        }]);
        let frames = inputs.frames_count().unwrap_or(0) as u64;
        processor
            .process(
                &inputs,
                &mut outputs,
                &events.as_input(),
                &mut output_events.as_output(),
                Some(*steady_time),
                None,
            )
            .map_err(|e| format!("process: {e:?}"))?;
        *steady_time += frames;
        Ok(())
    }

    fn save_state(&mut self) -> Result<Vec<u8>, String> {
        let handle = self.instance.plugin_handle();
        let state = handle.get_extension::<PluginState>().ok_or("the plugin has no state extension")?;
        let mut bytes = Vec::new();
        state.save(&handle, &mut bytes).map_err(|e| e.to_string())?;
        Ok(bytes)
    }

    fn load_state(&mut self, bytes: &[u8]) -> Result<(), String> {
        let handle = self.instance.plugin_handle();
        let state = handle.get_extension::<PluginState>().ok_or("the plugin has no state extension")?;
        state.load(&handle, &mut &bytes[..]).map_err(|e| e.to_string())
    }
}

impl Drop for ClapPlugin {
    fn drop(&mut self) {
        self.deactivate();
    }
}
