//! The `.vcv` written for a gesture match: a SEQ3 fires Plaits' TRIG at the
//! found times and loops, the attenuverters are set, and the patch reads back
//! and renders through rackmatch's own reader and renderer.

use rackmatch::render_params::RenderParams;
use rackmatch::vcv::catalog::KnownModule;
use rackmatch::vcv::plaits_patch::{
    gesture_patch, needs_sequencer, plaits_patch, voice_patch, PlaitsKnob, PLAITS_ID, SEQUENCER_ID,
};
use rackmatch::vcv::render::{render_volts, PatchRequest};
use rackmatch::vcv::{read_patch, write_rack2};

fn gesture(model: u32, trigger: Vec<f64>) -> RenderParams {
    RenderParams {
        frequency: -0.5,
        harmonics: 0.3,
        timbre: 0.6,
        morph: 0.4,
        timbre_cv: 0.5,
        freq_cv: -0.4,
        morph_cv: 0.25,
        trigger: Some(trigger),
        seconds: 0.6,
        ..RenderParams::defaults("g", model)
    }
}

fn request(trigger: Option<Vec<f64>>, seconds: f64) -> PatchRequest {
    PatchRequest { cc: vec![], set: vec![], model: None, trigger, seconds }
}

#[test]
fn the_sequencer_is_written_only_for_gestures() {
    let struck = RenderParams { trigger: Some(vec![0.0]), ..RenderParams::defaults("s", 3) };
    assert!(!needs_sequencer(&struck));
    assert!(!needs_sequencer(&RenderParams::defaults("d", 3)));
    assert!(needs_sequencer(&RenderParams { trigger: Some(vec![0.0, 0.2]), ..struck.clone() }));
    assert!(needs_sequencer(&RenderParams { morph_cv: 0.1, ..struck.clone() }));
    let plain = voice_patch(&struck, &[]).unwrap();
    assert!(plain.modules.iter().all(|m| m.known() != Some(KnownModule::Seq3)));
    let drone_with_cv = RenderParams { freq_cv: 0.5, ..RenderParams::defaults("d", 3) };
    assert_eq!(voice_patch(&drone_with_cv, &[]).unwrap(), plaits_patch(&drone_with_cv, &[]).unwrap());
}

#[test]
fn a_gesture_patch_reads_back_and_its_triggers_land_at_the_found_times() {
    for model in [0, 13] {
        let params = gesture(model, vec![0.0, 0.1234, 0.31, 0.4501]);
        let (patch, plan) =
            gesture_patch(&params, &[(0, PlaitsKnob::Frequency), (4, PlaitsKnob::TimbreCv)]).unwrap();
        assert!(plan.dropped.is_empty());
        let wanted = [4u64, 5923, 14_880, 21_605];
        assert!(plan.frames.iter().zip(wanted).all(|(a, b)| a.abs_diff(b) <= 2), "{:?}", plan.frames);
        assert_eq!(plan.frames.len(), 4);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.vcv");
        write_rack2(&path, &patch).unwrap();
        let read = read_patch(&path).unwrap();
        let sequencer = read.module(SEQUENCER_ID).unwrap();
        assert_eq!(sequencer.known(), Some(KnownModule::Seq3));
        assert_eq!((sequencer.plugin.as_str(), sequencer.model.as_str()), ("Fundamental", "SEQ3"));
        assert_eq!(sequencer.data.as_ref().unwrap()["gates"], serde_json::json!([0, 1, 1, 1, 1, 0, 0, 0]));
        let plaits = read.module(PLAITS_ID).unwrap();
        for (id, value) in [(6, 0.5), (7, -0.4), (8, 0.25)] {
            assert_eq!(plaits.param(id), Some(value as f32 as f64), "attenuverter {id}");
        }
        assert!(read.cables.iter().any(|c| c.output_module_id == SEQUENCER_ID
            && c.input_module_id == PLAITS_ID
            && c.input_id == 5));

        // Rendered through the patch graph (as `render --patch` does), the
        // SEQ3's pulses strike Plaits on the frames the plan gives.
        let through_seq3 = render_volts(&read, &request(None, params.seconds)).unwrap();
        let plain = plaits_patch(&params, &[]).unwrap();
        let gated = render_volts(&plain, &request(Some(plan.times()), params.seconds)).unwrap();
        // Plaits acts on TRIG's rising edges (read every 12 frames), so 1 ms
        // pulses and 5 ms gates give the same samples.
        assert_eq!(through_seq3, gated, "model {model}");
    }
}

#[test]
fn more_triggers_than_steps_are_capped_and_a_loop_too_long_is_an_error() {
    let many: Vec<f64> = (0..12).map(|i| 0.04 * i as f64).collect(); // 0 to 0.44 s
    let (patch, plan) = gesture_patch(&gesture(2, many), &[]).unwrap();
    assert_eq!(plan.frames.len(), 7);
    assert_eq!(plan.dropped.len(), 5);
    patch.check().unwrap();
    let too_long = RenderParams { seconds: 90.0, ..gesture(2, vec![0.0, 1.0]) };
    let message = gesture_patch(&too_long, &[]).unwrap_err().to_string();
    assert!(message.contains("longest step"), "{message}");
}
