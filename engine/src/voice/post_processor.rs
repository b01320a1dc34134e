//! Per-channel output stage: limiter or gain, low-pass gate, int16 (voice.md §3.5).

use crate::dsp::limiter::Limiter;
use crate::engines::{Block, BLOCK_SIZE};
use crate::voice::lpg::{to_int16, LowPassGate};

/// The gate values shared by both channels for one block.
#[derive(Clone, Copy, Debug)]
pub struct GateSettings {
    /// True when the engine's output skips the gate.
    pub bypass: bool,
    /// Gate VCA gain.
    pub gain: f32,
    /// Gate cutoff.
    pub frequency: f32,
    /// Unfiltered bleed.
    pub hf_bleed: f32,
}

/// One output channel's state: its limiter and its gate.
#[derive(Clone, Debug, Default)]
pub struct ChannelPostProcessor {
    limiter: Limiter,
    gate: LowPassGate,
}

impl ChannelPostProcessor {
    /// Back to the limiter's power-up peak (done on engine changes for OUT).
    pub fn reset_limiter(&mut self) {
        self.limiter.reset();
    }

    /// Scales, limits, gates and converts one block.
    pub fn process(
        &mut self,
        gain: f32,
        gate: GateSettings,
        samples: &mut Block,
        output: &mut [i16; BLOCK_SIZE],
    ) {
        if gain < 0.0 {
            self.limiter.process(-gain, samples);
        }
        // The voice's output stage inverts; VCV's inverts back.
        let post_gain = if gain < 0.0 { 1.0 } else { gain } * -32767.0;
        if gate.bypass {
            for (x, y) in samples.iter().zip(output.iter_mut()) {
                *y = to_int16(*x * post_gain);
            }
        } else {
            self.gate.process(post_gain * gate.gain, gate.frequency, gate.hf_bleed, samples, output);
        }
    }
}
