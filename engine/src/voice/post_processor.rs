//! The voice's output stage on OUT and AUX: limiter or gain, low-pass gate, int16 (voice.md §3.5).

use crate::dsp::limiter::Limiter;
use crate::engines::{Block, BLOCK_SIZE};
use crate::voice::lpg::{to_int16, StereoLowPassGate};

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

/// Output-stage state of both channels: a limiter each, and the gate.
#[derive(Clone, Debug, Default)]
pub struct PostProcessor {
    limiters: [Limiter; 2],
    gate: StereoLowPassGate,
}

impl PostProcessor {
    /// Back to OUT's limiter power-up peak (done on engine changes; AUX keeps its peak).
    pub fn reset_out_limiter(&mut self) {
        self.limiters[0].reset();
    }

    /// Scales, limits, gates and converts one block of OUT and AUX.
    ///
    /// `gains` are the engine's registered OUT and AUX gains: a negative gain
    /// means the limiter with pre-gain `|gain|`.
    pub fn process(
        &mut self,
        gains: [f32; 2],
        gate: GateSettings,
        samples: [&mut Block; 2],
        outputs: [&mut [i16; BLOCK_SIZE]; 2],
    ) {
        let [out_samples, aux_samples] = samples;
        let [out_limiter, aux_limiter] = &mut self.limiters;
        let out_gain = limit(out_limiter, gains[0], out_samples);
        let aux_gain = limit(aux_limiter, gains[1], aux_samples);
        if gate.bypass {
            let [out, aux] = outputs;
            *out = convert(out_samples, out_gain);
            *aux = convert(aux_samples, aux_gain);
        } else {
            self.gate.process(
                [out_gain * gate.gain, aux_gain * gate.gain],
                gate.frequency,
                gate.hf_bleed,
                [out_samples, aux_samples],
                outputs,
            );
        }
    }
}

/// Applies the limiter when the registered `gain` asks for it, and returns
/// the gain still to apply on the way to int16.
#[inline]
fn limit(limiter: &mut Limiter, gain: f32, samples: &mut Block) -> f32 {
    if gain < 0.0 {
        limiter.process(-gain, samples);
    }
    // The voice's output stage inverts; VCV's inverts back.
    let post_gain = if gain < 0.0 { 1.0 } else { gain };
    post_gain * -32767.0
}

/// Scales a block and converts it to int16, without the gate.
#[inline]
fn convert(samples: &Block, gain: f32) -> [i16; BLOCK_SIZE] {
    samples.map(|x| to_int16(x * gain))
}
