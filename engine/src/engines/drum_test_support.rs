//! Test helpers shared by the percussion engines (13 to 15): block renders and
//! simple signal measurements.

use crate::dsp::random::Random;
use crate::engines::{Engine, EngineParameters, TriggerState, BLOCK_SIZE};

/// Parameters at the module's defaults (accent 0.8: LEVEL unpatched) for `trigger`.
pub fn parameters(trigger: TriggerState, note: f32) -> EngineParameters {
    EngineParameters { trigger, note, timbre: 0.5, morph: 0.5, harmonics: 0.5, accent: 0.8 }
}

/// Renders `blocks` blocks; the first block gets `first` (e.g. a rising edge),
/// the others `rest`. Returns (OUT, AUX).
pub fn render(
    engine: &mut dyn Engine,
    first: &EngineParameters,
    rest: &EngineParameters,
    blocks: usize,
    random: &mut Random,
) -> (Vec<f32>, Vec<f32>) {
    let mut out = Vec::with_capacity(blocks * BLOCK_SIZE);
    let mut aux = Vec::with_capacity(blocks * BLOCK_SIZE);
    let mut out_block = [0.0; BLOCK_SIZE];
    let mut aux_block = [0.0; BLOCK_SIZE];
    for block in 0..blocks {
        let parameters = if block == 0 { first } else { rest };
        let mut enveloped = true;
        engine.render(parameters, random, &mut out_block, &mut aux_block, &mut enveloped);
        out.extend_from_slice(&out_block);
        aux.extend_from_slice(&aux_block);
    }
    (out, aux)
}

/// Number of random draws one render of `blocks` blocks makes.
pub fn draws(
    engine: &mut dyn Engine,
    first: &EngineParameters,
    rest: &EngineParameters,
    blocks: usize,
) -> usize {
    let mut random = Random::default();
    render(engine, first, rest, blocks, &mut random);
    let mut probe = Random::default();
    let mut count = 0;
    while probe != random {
        probe.get_word();
        count += 1;
        assert!(count < 1_000_000, "not a state of the sequence");
    }
    count
}

/// Frequency in cycles per sample from upward zero crossings of `x`.
pub fn zero_crossing_frequency(x: &[f32]) -> f32 {
    let crossings: Vec<usize> = (1..x.len()).filter(|&i| x[i - 1] < 0.0 && x[i] >= 0.0).collect();
    assert!(crossings.len() >= 2, "no periodic signal");
    (crossings.len() - 1) as f32 / (crossings[crossings.len() - 1] - crossings[0]) as f32
}

/// Peak absolute value of `x`.
pub fn peak(x: &[f32]) -> f32 {
    x.iter().fold(0.0f32, |m, v| m.max(v.abs()))
}

/// Amplitude of the component of `x` at frequency `f` (cycles per sample).
pub fn amplitude_at(x: &[f32], f: f32) -> f32 {
    let (mut re, mut im) = (0.0f64, 0.0f64);
    for (n, &v) in x.iter().enumerate() {
        let w = std::f64::consts::TAU * f as f64 * n as f64;
        re += v as f64 * w.cos();
        im += v as f64 * w.sin();
    }
    (2.0 * (re * re + im * im).sqrt() / x.len() as f64) as f32
}

/// Every engine output stays finite and within ±64 for extreme notes, knobs,
/// accents and trigger patterns (including switches between modes).
pub fn assert_bounded_at_extremes(make: fn() -> Box<dyn Engine>) {
    let mut random = Random::default();
    for note in [-119.0, -60.0, 0.0, 60.0, 120.0] {
        for knobs in 0..8 {
            for accent in [0.0, 1.05] {
                let mut engine = make();
                let k = |bit: u32| if knobs & (1 << bit) != 0 { 1.0 } else { 0.0 };
                let base = EngineParameters {
                    trigger: TriggerState::Low,
                    note,
                    timbre: k(0),
                    morph: k(1),
                    harmonics: k(2),
                    accent,
                };
                let edge = EngineParameters { trigger: TriggerState::RisingEdge, ..base };
                let free = EngineParameters { trigger: TriggerState::Unpatched, ..base };
                for (first, rest, blocks) in [(&free, &free, 100), (&edge, &base, 400), (&edge, &free, 100)] {
                    let (out, aux) = render(engine.as_mut(), first, rest, blocks, &mut random);
                    for x in out.iter().chain(aux.iter()) {
                        assert!(x.is_finite() && x.abs() <= 64.0, "{x} at {base:?}");
                    }
                }
            }
        }
    }
}
