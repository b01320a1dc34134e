//! Patch spaces (`patches/seed-patch.toml`): loading, deterministic renders
//! with the LFO live, `library build` + `match` end to end, and the errors for
//! unknown CCs and broken patches.

use std::path::{Path, PathBuf};
use std::process::Command;

use rackmatch::match_result::MatchResult;
use rackmatch::render_batch::render_params;
use rackmatch::space::Space;
use rackmatch::vcv::read_patch;
use rackmatch::vcv::render::{render_volts, PatchRequest};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn seed_space() -> Space {
    Space::load(&repo().join("patches/seed-patch.toml")).unwrap()
}

fn out(params: &rackmatch::render_params::RenderParams) -> Vec<f32> {
    render_params(params).iter().map(|f| f[0]).collect()
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

/// A copy of the seed space's TOML with its patch path made absolute and `edit` applied.
fn space_text(edit: impl Fn(&str) -> String) -> String {
    let text = std::fs::read_to_string(repo().join("patches/seed-patch.toml")).unwrap();
    let absolute = repo().join("patches/seed-patch/ML_vcv.vcv").canonicalize().unwrap();
    edit(&text.replace("\"seed-patch/ML_vcv.vcv\"", &format!("{:?}", absolute.display().to_string())))
}

#[test]
fn the_seed_space_has_the_nine_mapped_knobs_and_renders_deterministically() {
    let space = seed_space();
    let names: Vec<&str> = space.knobs.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["cc0", "cc1", "cc2", "cc3", "cc4", "cc5", "cc6", "cc7", "cc8"]);
    let file = &space.patch.as_ref().unwrap().file;
    assert!(file.is_absolute() && file.ends_with("patches/seed-patch/ML_vcv.vcv"), "{}", file.display());

    let point = space.point(1, 16 + 13); // bass drum, struck
    let params = space.render_params(&point, "p", 0.25, 0.0);
    params.validate().unwrap();
    assert_eq!(params.model, 13);
    assert_eq!(params.trigger, Some(vec![0.0]));
    let patch = params.patch.as_ref().unwrap();
    assert_eq!(patch.cc.len(), 10, "nine knobs and the fixed master level");
    assert_eq!(patch.cc[&127], 32.0);
    let first = out(&params);
    assert_eq!(first, out(&params), "same point, same samples");
    assert!(rms(&first) > 1e-3, "the fixed master level makes the patch audible");
    let other = space.render_params(&space.point(1, 16 + 13 + 32), "q", 0.25, 0.0);
    assert_ne!(first, out(&other));

    // The LFO is live: with the 8vert at zero depth it does not reach Plaits;
    // with full depth its voltage moves the pitch, so the two renders part.
    let mut drone = space.render_params(&space.point(1, 0), "d", 0.5, 0.0);
    let cc = &mut drone.patch.as_mut().unwrap().cc;
    cc.insert(7, 63.5); // 8vert gain 0
    cc.insert(8, 63.0); // LFO about 1.3 Hz
    let steady = out(&drone);
    drone.patch.as_mut().unwrap().cc.insert(7, 127.0);
    let moving = out(&drone);
    assert_ne!(steady, moving);
    assert_eq!(moving, out(&drone), "the LFO starts at the same phase every render");
}

#[test]
fn the_written_patch_is_the_seed_with_the_knobs_set_and_renders_the_same() {
    let space = seed_space();
    let params = space.render_params(&space.point(4, 21), "m", 0.2, 0.0);
    let settings = params.patch.clone().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.vcv");
    rackmatch::patch_space::write_patch(&path, &params, &settings).unwrap();
    let written = read_patch(&path).unwrap();
    let seed = read_patch(&repo().join("patches/seed-patch/ML_vcv.vcv")).unwrap();
    let ids = |p: &rackmatch::vcv::VcvPatch| p.modules.iter().map(|m| m.id).collect::<Vec<_>>();
    assert_eq!(ids(&written)[..seed.modules.len()], ids(&seed)[..], "the seed's modules, then a SEQ3");
    assert_eq!(written.cables.len(), seed.cables.len() + 2);
    let knobs = rackmatch::patch_space::knob_values(&settings, params.model).unwrap();
    assert_eq!(knobs.len(), 10);
    for (key, value) in &knobs {
        let (module, param) = key.split_once('.').unwrap();
        let stored = written.module(module.parse().unwrap()).unwrap().param(param.parse().unwrap());
        assert_eq!(stored, Some(*value), "{key}");
    }
    assert_eq!(params.trigger, Some(vec![0.0]), "a struck point");
    let sequencer = written.modules.iter().find(|m| m.model == "SEQ3").expect("a SEQ3 fires TRIG");
    assert!(written
        .cables
        .iter()
        .any(|c| c.output_module_id == sequencer.id && c.input_module_id == 166 && c.input_id == 5));
    // The SEQ3 fires 4 frames in (it cannot fire at 0 s): the render with the
    // trigger there is what the written patch plays.
    let request = |trigger| PatchRequest { cc: vec![], set: vec![], model: None, trigger, seconds: 0.2 };
    let back = render_volts(&written, &request(None)).unwrap();
    let mut unsequenced = read_patch(&path).unwrap();
    unsequenced.cables.retain(|c| c.output_module_id != sequencer.id);
    unsequenced.modules.retain(|m| m.id != sequencer.id);
    let at_frame_4 = render_volts(&unsequenced, &request(Some(vec![4.0 / 48_000.0]))).unwrap();
    assert_eq!(back, at_frame_4);
    let scored = out(&params);
    let plain: Vec<f32> =
        render_volts(&unsequenced, &request(Some(vec![0.0]))).unwrap().iter().map(|v| v / 5.0).collect();
    assert_eq!(plain, scored, "without the SEQ3, the written patch is the scored render");
}

fn rackmatch(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_rackmatch")).args(args).output().unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn library_build_and_match_work_on_a_patch_space() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("seed.toml");
    let text = space_text(|t| {
        t.replace("seconds = 0.5", "seconds = 0.2")
            .replace("models = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]", "models = [0, 13]")
    });
    std::fs::write(&toml, text).unwrap();
    let library = dir.path().join("lib");
    let (ok, stderr) = rackmatch(&[
        "library",
        "build",
        "--space",
        toml.to_str().unwrap(),
        "--size",
        "12",
        "--dir",
        library.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");

    // The target is library point 2 (model 0, droning), rendered longer.
    let space = Space::load(&toml).unwrap();
    let target_params = space.render_params(&space.point(rackmatch::library::DEFAULT_SEED, 2), "t", 0.4, 0.0);
    let target = dir.path().join("target.wav");
    rackmatch::wav::write_wav(
        &target,
        &render_params(&target_params),
        48_000,
        rackmatch::wav::SampleFormat::Float32,
    )
    .unwrap();
    let results = dir.path().join("out");
    let (ok, stderr) = rackmatch(&[
        "match",
        target.to_str().unwrap(),
        "--library",
        library.to_str().unwrap(),
        "--out",
        results.to_str().unwrap(),
        "--top",
        "2",
        "--budget",
        "10",
    ]);
    assert!(ok, "{stderr}");
    let result: MatchResult =
        serde_json::from_slice(&std::fs::read(results.join("result.json")).unwrap()).unwrap();
    let best = &result.candidates[0];
    assert_eq!(result.library.space, "seed-patch");
    let patch = best.params.patch.as_ref().expect("a patch candidate");
    assert_eq!(best.cc.len(), 10);
    for (cc, value) in &patch.cc {
        assert_eq!(best.cc[&cc.to_string()], value.round() as u8);
    }
    assert_eq!(best.knobs.len(), 10);
    assert!(best.knobs.contains_key("180.2"), "LFO rate: {:?}", best.knobs);
    assert!(best.distance < 0.5, "the target's own point is in the library: {}", best.distance);
    let written = read_patch(&best.vcv).unwrap();
    assert!(written.module(180).is_some() && written.module(182).is_some(), "the seed's LFO and 8vert");
    assert!(rackmatch::vcv::renderable::build(&written).is_ok());
}

#[test]
fn unknown_ccs_and_broken_patches_are_errors_naming_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let load = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        Space::load(&path).unwrap_err().to_string()
    };
    let unknown = load("unknown.toml", space_text(|t| t.replace("name = \"cc8\"", "name = \"cc9\"")));
    assert!(
        unknown.contains("unknown.toml") && unknown.contains("CC 9 does not move a rendered knob"),
        "{unknown}"
    );
    assert!(unknown.contains("CCs 0, 1, 2, 3, 4, 5, 6, 7, 8, 127"), "{unknown}");
    let recorder = load("rec.toml", space_text(|t| t.replace("cc127 = 32.0", "cc126 = 1.0")));
    assert!(recorder.contains("CC 126 does not move a rendered knob"), "{recorder}");
    let named = load("named.toml", space_text(|t| t.replace("name = \"cc8\"", "name = \"lfo_rate\"")));
    assert!(named.contains("must be named cc0 to cc127"), "{named}");
    let range = load("range.toml", space_text(|t| t.replacen("max = 127.0", "max = 128.0", 1)));
    assert!(range.contains("must lie within 0 to 127"), "{range}");

    let broken = dir.path().join("broken.vcv");
    std::fs::write(&broken, b"{\"modules\": [").unwrap();
    let text = space_text(|t| t.replace("file = ", "file = \"broken.vcv\"\n# was: "));
    let message = load("broken.toml", text);
    assert!(message.contains("broken.toml") && message.contains("broken.vcv"), "{message}");
    let missing =
        load("missing.toml", space_text(|t| t.replace("file = ", "file = \"nowhere.vcv\"\n# was: ")));
    assert!(missing.contains("nowhere.vcv"), "{missing}");
}
