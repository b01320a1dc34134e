//! `rackmatch render --patch`: what it writes, and that every bad input gets an
//! error naming the file and the problem, with nothing written.

use std::path::{Path, PathBuf};
use std::process::Command;

use rackmatch::vcv::read_patch;

fn seed_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../patches/seed-patch/ML_vcv.vcv")
}

fn rackmatch(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_rackmatch")).args(args).output().unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The seed's JSON with `edit` applied.
fn edited_seed(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(seed_path()).unwrap()).unwrap();
    edit(&mut json);
    serde_json::to_vec(&json).unwrap()
}

fn zstd_tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_path(name).unwrap();
        header.set_cksum();
        builder.append(&header, *data).unwrap();
    }
    zstd::stream::encode_all(builder.into_inner().unwrap().as_slice(), 3).unwrap()
}

#[test]
fn renders_the_seed_and_saves_it_as_rack_2() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("seed.wav");
    let saved = dir.path().join("seed2.vcv");
    let seed = seed_path();
    let (ok, stderr) = rackmatch(&[
        "render",
        "--patch",
        seed.to_str().unwrap(),
        "--model",
        "0",
        "--cc",
        "127=50,7=64",
        "--set",
        "180.2=2.5",
        "--trigger",
        "0,0.25",
        "--seconds",
        "0.5",
        "--out",
        wav.to_str().unwrap(),
        "--save-patch",
        saved.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let reader = hound::WavReader::open(&wav).unwrap();
    assert_eq!((reader.spec().sample_rate, reader.spec().channels, reader.len()), (48_000, 2, 48_000));
    let patch = read_patch(&saved).unwrap();
    assert_eq!(patch.version, "2.4.1");
    assert_eq!(patch.module(2).unwrap().param(0), Some(0.787_401_56f32 as f64), "CC 127 = 50");
    assert_eq!(patch.module(182).unwrap().param(0), Some(0.007_874_012f32 as f64), "CC 7 = 64");
    assert_eq!(patch.module(180).unwrap().param(2), Some(2.5));
    assert_eq!(patch.module(166).unwrap().data.as_ref().unwrap()["model"], 0);
}

#[test]
fn bad_patches_and_requests_name_the_file_and_write_nothing() {
    let valid_rack2 = {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.vcv");
        rackmatch::vcv::write_rack2(&path, &read_patch(&seed_path()).unwrap()).unwrap();
        std::fs::read(path).unwrap()
    };
    let seed_json = std::fs::read(seed_path()).unwrap();
    let cases: Vec<(&str, Vec<u8>, &[&str], &str)> = vec![
        (
            "truncated zstd",
            valid_rack2[..valid_rack2.len() / 2].to_vec(),
            &[],
            "truncated or corrupt zstd data",
        ),
        (
            "tar without patch.json",
            zstd_tar(&[("notes.txt", b"hi")]),
            &[],
            "the archive holds no patch.json (entries: notes.txt)",
        ),
        ("not JSON", b"this is not a patch".to_vec(), &[], "not valid JSON"),
        (
            "JSON that is not a patch",
            b"{\"hello\": 1}".to_vec(),
            &[],
            "JSON that is not a Rack patch: there is no `modules` array",
        ),
        (
            "a JSON list",
            b"[1, 2]".to_vec(),
            &[],
            "JSON that is not a Rack patch: the top level is not an object",
        ),
        (
            "unknown module",
            edited_seed(|j| {
                j["modules"].as_array_mut().unwrap().push(serde_json::json!(
                    {"id": 300, "plugin": "Befaco", "model": "EvenVCO", "version": "1.1.1", "params": []}))
            }),
            &[],
            "module 300 (Befaco/EvenVCO) cannot be rendered: unknown module",
        ),
        (
            "MIDI-Map slot to a missing module",
            edited_seed(|j| j["modules"][4]["data"]["maps"][2]["moduleId"] = 999.into()),
            &[],
            "MIDI-Map 171 slot 2 (CC 127) points at module 999, which is not in the patch",
        ),
        (
            "unknown CC",
            seed_json.clone(),
            &["--cc", "9=1"],
            "CC 9 is not mapped by the patch's MIDI-Map (mapped CCs: 0, 1, 2",
        ),
        ("unknown module id", seed_json.clone(), &["--set", "999.0=1"], "--set: there is no module 999"),
        (
            "unknown param",
            seed_json.clone(),
            &["--set", "166.11=0"],
            "module 166 (AudibleInstruments/Plaits) has no param 11 (it has 11)",
        ),
        (
            "param out of range",
            seed_json.clone(),
            &["--set", "182.0=2"],
            "param 0 (Row 1 gain) is -1 to 1, not 2",
        ),
        (
            "module not rendered",
            seed_json.clone(),
            &["--set", "173.1=1"],
            "module 173 (VCV-Recorder/Recorder) is not rendered",
        ),
        ("model out of range", seed_json.clone(), &["--model", "16"], "model 16 is not 0 to 15"),
        ("seconds", seed_json, &["--seconds", "0"], "--seconds 0 must be above 0"),
    ];
    for (what, bytes, extra, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.vcv");
        std::fs::write(&input, &bytes).unwrap();
        let out = dir.path().join("out.wav");
        let saved = dir.path().join("saved.vcv");
        let mut args = vec!["render", "--patch", input.to_str().unwrap(), "--out", out.to_str().unwrap()];
        args.extend(["--save-patch", saved.to_str().unwrap()]);
        if !extra.contains(&"--model") {
            args.extend(["--model", "0"]);
        }
        args.extend_from_slice(extra);
        let (ok, stderr) = rackmatch(&args);
        assert!(!ok, "{what}: succeeded");
        assert!(
            stderr.contains(&format!("{}: ", input.display())),
            "{what}: the file is not named: {stderr}"
        );
        assert!(stderr.contains(expected), "{what}: {stderr}");
        assert_eq!(files_in(dir.path()), ["in.vcv"], "{what}: something was written");
    }
}

#[test]
fn rack_2_archives_from_other_tools_are_read() {
    let json = std::fs::read(seed_path()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gnu.vcv");
    // GNU headers, no "./", an extra file before patch.json.
    std::fs::write(&path, zstd_tar(&[("modules/7/x.bin", b"\0\x01"), ("patch.json", &json)])).unwrap();
    assert_eq!(read_patch(&path).unwrap(), read_patch(&seed_path()).unwrap());
}
