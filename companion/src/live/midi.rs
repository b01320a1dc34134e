//! MIDI out: the [`MidiOut`] trait, midir's real ports (with an error that says
//! when the machine has no ALSA sequencer) and an in-memory pair for tests.

use std::sync::mpsc::{self, Receiver, Sender};

/// A MIDI problem, in words a user can act on.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MidiError(pub String);

/// Somewhere to send MIDI 1.0 messages.
pub trait MidiOut {
    /// Sends one 3-byte message.
    fn send(&mut self, message: [u8; 3]) -> Result<(), MidiError>;

    /// Sends a Control Change on `channel` (0–15).
    fn send_cc(&mut self, channel: u8, cc: u8, value: u8) -> Result<(), MidiError> {
        self.send([0xB0 | (channel & 0x0F), cc & 0x7F, value & 0x7F])
    }
}

/// A real MIDI output port through midir.
pub struct MidirOut {
    connection: midir::MidiOutputConnection,
    /// The port's name as the system lists it.
    pub port_name: String,
}

/// Prefix of `--midi-port` values that create a virtual port (ALSA/CoreMIDI) instead of opening one.
pub const VIRTUAL_PREFIX: &str = "virtual:";

impl MidirOut {
    /// Opens the output port whose name contains `name` (exact match first), or
    /// creates a virtual port for `virtual:NAME` that Rack's MIDI-Map can select.
    pub fn open(name: &str) -> Result<Self, MidiError> {
        let output = midir::MidiOutput::new("rackmatch").map_err(|e| {
            MidiError(format!(
                "cannot open MIDI output ({e}). On Linux this needs the ALSA sequencer (/dev/snd/seq, kernel \
                 module snd-seq); machines without it, like containers and CI, cannot send MIDI at all. Run \
                 the companion on the machine where Rack runs."
            ))
        })?;
        if let Some(virtual_name) = name.strip_prefix(VIRTUAL_PREFIX) {
            return Self::create_virtual(output, virtual_name);
        }
        let ports = output.ports();
        let names: Vec<String> = ports.iter().map(|p| output.port_name(p).unwrap_or_default()).collect();
        let index =
            names.iter().position(|n| n == name).or_else(|| names.iter().position(|n| n.contains(name)));
        let Some(index) = index else {
            let listed = if names.is_empty() { "none".to_string() } else { names.join(", ") };
            return Err(MidiError(format!(
                "no MIDI output port matches {name:?} (ports: {listed}); or use --midi-port {VIRTUAL_PREFIX}rackmatch"
            )));
        };
        let port_name = names[index].clone();
        let connection = output
            .connect(&ports[index], "rackmatch")
            .map_err(|e| MidiError(format!("cannot connect to MIDI port {port_name:?}: {e}")))?;
        Ok(Self { connection, port_name })
    }

    #[cfg(unix)]
    fn create_virtual(output: midir::MidiOutput, name: &str) -> Result<Self, MidiError> {
        use midir::os::unix::VirtualOutput;
        let connection = output
            .create_virtual(name)
            .map_err(|e| MidiError(format!("cannot create the virtual MIDI port {name:?}: {e}")))?;
        Ok(Self { connection, port_name: name.to_string() })
    }

    #[cfg(not(unix))]
    fn create_virtual(_output: midir::MidiOutput, name: &str) -> Result<Self, MidiError> {
        Err(MidiError(format!("virtual MIDI ports ({name:?}) need Linux or macOS; use loopMIDI on Windows")))
    }
}

impl MidiOut for MidirOut {
    fn send(&mut self, message: [u8; 3]) -> Result<(), MidiError> {
        self.connection
            .send(&message)
            .map_err(|e| MidiError(format!("MIDI send to {:?} failed: {e}", self.port_name)))
    }
}

/// The sending end of an in-memory MIDI cable.
pub struct MemoryMidiOut(Sender<[u8; 3]>);

/// The receiving end of an in-memory MIDI cable (what a simulated Rack reads).
pub struct MemoryMidiIn(Receiver<[u8; 3]>);

/// An in-memory MIDI cable.
pub fn memory_midi() -> (MemoryMidiOut, MemoryMidiIn) {
    let (tx, rx) = mpsc::channel();
    (MemoryMidiOut(tx), MemoryMidiIn(rx))
}

impl MidiOut for MemoryMidiOut {
    fn send(&mut self, message: [u8; 3]) -> Result<(), MidiError> {
        self.0.send(message).map_err(|_| MidiError("the in-memory MIDI receiver is gone".into()))
    }
}

impl MemoryMidiIn {
    /// The next message if one is waiting.
    pub fn try_recv(&self) -> Option<[u8; 3]> {
        self.0.try_recv().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ccs_cross_the_in_memory_cable_in_order() {
        let (mut out, input) = memory_midi();
        out.send_cc(1, 7, 100).unwrap();
        out.send_cc(17, 200, 255).unwrap();
        assert_eq!(input.try_recv(), Some([0xB1, 7, 100]));
        assert_eq!(input.try_recv(), Some([0xB1, 72, 127]));
        assert_eq!(input.try_recv(), None);
    }

    #[test]
    fn opening_a_missing_port_explains_what_is_wrong() {
        // Here (no ALSA sequencer) this fails at the sequencer; elsewhere at the port name.
        let err = MidirOut::open("no such port anywhere").err().expect("no such port").to_string();
        assert!(err.contains("ALSA sequencer") || err.contains("no MIDI output port matches"), "{err}");
    }
}
