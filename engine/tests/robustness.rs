//! Every engine stays finite and bounded for any mix of extreme settings.
//!
//! Two levels: the engines' own float outputs (before the voice's int16
//! conversion could hide a NaN), and whole voice renders with extreme knobs,
//! CV amounts, V/OCT, LEVEL and trigger patterns.

use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use rackmatch_engine::dsp::random::Random;
use rackmatch_engine::dsp::units::note_to_frequency;
use rackmatch_engine::engines::{new_engine, EngineParameters, TriggerState, BLOCK_SIZE, ENGINE_COUNT};
use rackmatch_engine::{render_voice, VoiceSettings};

fn extreme() -> impl Strategy<Value = f32> {
    prop_oneof![Just(0.0f32), Just(1.0f32), 0.0f32..=1.0]
}

fn trigger_state() -> impl Strategy<Value = TriggerState> {
    prop_oneof![Just(TriggerState::Low), Just(TriggerState::RisingEdge), Just(TriggerState::Unpatched)]
}

/// Engine bounds before the voice's gains: a little above 1 for polyBLEP
/// overshoot and resonant models; the limiter handles the louder ones.
const ENGINE_BOUND: f32 = 64.0;

/// The bound for one block. Filtered noise (model 9) scales its noise by
/// `1 / sqrt((0.5 + Q)·40·f0)` to keep a constant level, as the real module
/// does; at sub-audio notes (below about note −58, or −4 in the first block,
/// where its f0 ramp starts from 0) that gain alone passes 64, so its bound
/// grows with the gain's upper limit over the block's f0 ramp.
///
/// The wavetable and chord engines (5, 6) of the real module produce huge but
/// finite transients (up to about 5·10⁴) at subsonic notes or after pitch jumps
/// of many octaves within a block; the voice's int16 stage saturates them. They
/// are reproduced, not clamped, so their bound is only "finite and sane".
fn engine_bound(model: usize, note: f32, previous_note: Option<f32>) -> f32 {
    if model == 5 || model == 6 {
        return 1e6;
    }
    if model != 9 {
        return ENGINE_BOUND;
    }
    let f0 = note_to_frequency(note);
    let lowest_f0 =
        previous_note.map_or(f0, |previous| note_to_frequency(previous).min(f0)) / BLOCK_SIZE as f32;
    ENGINE_BOUND * (1.0 / (20.0 * lowest_f0).sqrt()).max(1.0)
}

proptest! {
    // A fixed seed: CI runs the same cases every time (set a new one here to explore).
    #![proptest_config(ProptestConfig { cases: 48, rng_seed: RngSeed::Fixed(0x5EED_0001), ..ProptestConfig::default() })]

    #[test]
    fn engine_outputs_are_finite_and_bounded(
        model in 0..ENGINE_COUNT,
        blocks in prop::collection::vec((trigger_state(), -119.0f32..=120.0, extreme(), extreme(), extreme(), 0.0f32..=1.05), 1..200),
    ) {
        let Some(mut engine) = new_engine(model) else { return Ok(()) };
        let mut random = Random::default();
        engine.reset();
        let mut out = [0.0f32; BLOCK_SIZE];
        let mut aux = [0.0f32; BLOCK_SIZE];
        let mut previous_note = None;
        for (trigger, note, timbre, morph, harmonics, accent) in blocks {
            let parameters = EngineParameters { trigger, note, timbre, morph, harmonics, accent };
            let mut enveloped = false;
            engine.render(&parameters, &mut random, &mut out, &mut aux, &mut enveloped);
            let bound = engine_bound(model, note, previous_note);
            for x in out.iter().chain(aux.iter()) {
                prop_assert!(x.is_finite() && x.abs() <= bound, "model {model}: {x} at {parameters:?}");
            }
            previous_note = Some(note);
        }
    }

    #[test]
    fn voice_renders_are_bounded_for_extreme_settings(
        model in 0..ENGINE_COUNT,
        frequency in prop_oneof![Just(-4.0f32), Just(4.0f32), -4.0f32..=4.0],
        knobs in (extreme(), extreme(), extreme(), extreme(), extreme()),
        amounts in (prop_oneof![Just(-1.0f32), Just(1.0f32), -1.0f32..=1.0], prop_oneof![Just(-1.0f32), Just(1.0f32)], -1.0f32..=1.0),
        pitch_v in prop_oneof![Just(-10.0f32), Just(10.0f32), -10.0f32..=10.0],
        trigger in prop::option::of(prop::collection::vec(0.0f64..0.2, 0..6)),
        level in prop::option::of(-10.0f32..=10.0),
    ) {
        let settings = VoiceSettings {
            model,
            frequency,
            harmonics: knobs.0,
            timbre: knobs.1,
            morph: knobs.2,
            lpg_colour: knobs.3,
            lpg_decay: knobs.4,
            timbre_cv: amounts.0,
            freq_cv: amounts.1,
            morph_cv: amounts.2,
            pitch_v,
            trigger,
            level,
        };
        let mut frames = vec![[0.0f32; 2]; 9_600];
        render_voice(&settings, &mut frames);
        for frame in &frames {
            for x in frame {
                prop_assert!(x.is_finite() && x.abs() <= 1.0, "{x}");
            }
        }
    }
}
