//! `rackmatch library build`, `match` and `bench` end to end on tiny libraries:
//! what they write, that it is deterministic at any thread count, that gesture
//! targets are struck at their onsets, and that bad targets get an error naming
//! the file with nothing written.

mod cli_common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use cli_common::{rackmatch, temp_dir};
use rackmatch::render_batch::render_params;
use rackmatch::render_params::RenderParams;
use rackmatch::wav::{write_wav, SampleFormat};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn ok(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "rackmatch failed: {stderr}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A tiny library of `space` (built once per test run).
fn tiny_library(space: &str) -> PathBuf {
    static VOICE: OnceLock<PathBuf> = OnceLock::new();
    static GESTURE: OnceLock<PathBuf> = OnceLock::new();
    let cell = if space == "plaits-voice" { &VOICE } else { &GESTURE };
    cell.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rackmatch-test-lib-{space}-{}", std::process::id()));
        let toml = repo().join(format!("patches/{space}.toml"));
        let args = ["library", "build", "--space", toml.to_str().unwrap(), "--size", "96", "--dir"];
        let mut args: Vec<&str> = args.to_vec();
        args.push(dir.to_str().unwrap());
        ok(&rackmatch(&args, 2));
        dir
    })
    .clone()
}

/// Runs `match` on a library with `top` results and `budget` renders; its stdout.
fn run_match(target: &Path, library: &Path, top: usize, budget: usize, out: &Path, threads: usize) -> String {
    let (top, budget) = (top.to_string(), budget.to_string());
    let args = [
        "match",
        target.to_str().unwrap(),
        "--library",
        library.to_str().unwrap(),
        "--top",
        &top,
        "--budget",
        &budget,
        "--out",
        out.to_str().unwrap(),
    ];
    ok(&rackmatch(&args, threads))
}

fn result_json(dir: &Path) -> Value {
    let mut json: Value = serde_json::from_slice(&std::fs::read(dir.join("result.json")).unwrap()).unwrap();
    // The only part allowed to vary between runs.
    json.as_object_mut().unwrap().remove("timing_ms");
    json
}

#[test]
fn match_writes_ranked_renders_and_patches_and_is_deterministic_across_thread_counts() {
    let library = tiny_library("plaits-voice");
    let target = repo().join("examples/colombo_kick.wav");
    let runs: Vec<Value> = [1, 2]
        .iter()
        .map(|&threads| {
            let out = temp_dir(&format!("match-{threads}"));
            let table = run_match(&target, &library, 3, 24, &out, threads);
            assert!(table.contains("#1"), "{table}");
            let json = result_json(&out);
            let candidates = json["candidates"].as_array().unwrap();
            assert_eq!(candidates.len(), 3);
            let distances: Vec<f64> = candidates.iter().map(|c| c["distance"].as_f64().unwrap()).collect();
            assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
            for c in candidates {
                for file in ["wav", "vcv"] {
                    let path = PathBuf::from(c[file].as_str().unwrap());
                    assert!(std::fs::metadata(&path).unwrap().len() > 100, "{}", path.display());
                }
                // The written render is what the recorded parameters make.
                let params: RenderParams = serde_json::from_value(c["params"].clone()).unwrap();
                let wav = std::fs::read(c["wav"].as_str().unwrap()).unwrap();
                let frames = render_params(&params);
                assert_eq!(wav.len(), 44 + frames.len() * 4, "16-bit stereo, target length");
            }
            json
        })
        .collect();
    let strip = |v: &Value| {
        let mut v = v.clone();
        for c in v["candidates"].as_array_mut().unwrap() {
            c.as_object_mut().unwrap().remove("wav");
            c.as_object_mut().unwrap().remove("vcv");
        }
        v
    };
    assert_eq!(strip(&runs[0]), strip(&runs[1]), "1 and 2 threads must give the same result");
}

#[test]
fn a_rendered_library_point_is_found_with_its_engine_and_knobs() {
    let library_dir = tiny_library("plaits-voice");
    let library = rackmatch::library::load(&library_dir).unwrap();
    let space = &library.manifest.space;
    let dir = temp_dir("known-point");
    let target = dir.join("known.wav");
    // A struck point: its onset is what the matcher lines candidates up with.
    let index = (0..library.points.len())
        .find(|&i| library.points[i].mode == 1 && library.points[i].model == 11)
        .unwrap();
    let truth = space.render_params(&library.points[index], "known", space.seconds, 0.0);
    // OUT on both channels: targets are mixed to mono, and matches compare OUT.
    let out_only: Vec<[f32; 2]> = render_params(&truth).iter().map(|f| [f[0], f[0]]).collect();
    write_wav(&target, &out_only, 48_000, SampleFormat::Float32).unwrap();
    let out = dir.join("out");
    run_match(&target, &library_dir, 1, 12, &out, 2);
    let json = result_json(&out);
    let best = &json["candidates"][0];
    let found: RenderParams = serde_json::from_value(best["params"].clone()).unwrap();
    assert_eq!(found.model, truth.model);
    assert!(best["distance"].as_f64().unwrap() < 0.05, "{best} for {truth:?}");
    for (a, b) in [
        (found.frequency / 8.0, truth.frequency / 8.0),
        (found.harmonics, truth.harmonics),
        (found.timbre, truth.timbre),
        (found.morph, truth.morph),
        (found.lpg_decay, truth.lpg_decay),
    ] {
        assert!((a - b).abs() < 0.05, "found {found:?} for {truth:?}");
    }
}

/// Three strikes of a bass drum gliding down: a gesture with known onsets.
fn three_hits(path: &Path) -> Vec<f64> {
    let mut params = RenderParams::defaults("three-hits", 13);
    params.seconds = 1.2;
    params.lpg_decay = 0.35;
    params.freq_cv = -0.4;
    let hits = vec![0.1, 0.45, 0.8];
    params.trigger = Some(hits.clone());
    write_wav(path, &render_params(&params), 48_000, SampleFormat::Pcm16).unwrap();
    hits
}

#[test]
fn a_gesture_match_strikes_at_the_targets_onsets_and_records_them() {
    let library = tiny_library("plaits-gesture");
    let dir = temp_dir("gesture");
    let target = dir.join("three-hits.wav");
    let hits = three_hits(&target);
    let out = dir.join("out");
    let table = run_match(&target, &library, 2, 24, &out, 2);
    assert!(table.contains("onsets: 3 at"), "{table}");
    let json = result_json(&out);
    let analysis = &json["analysis"];
    assert_eq!(analysis["space_follows_onsets"], Value::Bool(true));
    assert!(analysis.get("fallback").is_none());
    let times: Vec<f64> =
        analysis["trigger_times"].as_array().unwrap().iter().map(|t| t.as_f64().unwrap()).collect();
    assert_eq!(times.len(), 3, "{times:?}");
    for (got, want) in times.iter().zip(&hits) {
        assert!((got - want).abs() <= 0.01, "trigger {got} for a hit at {want}");
    }
    for c in json["candidates"].as_array().unwrap() {
        if let Some(trigger) = c["params"]["trigger"].as_array() {
            let trigger: Vec<f64> = trigger.iter().map(|t| t.as_f64().unwrap()).collect();
            assert_eq!(trigger, times, "struck candidates fire at the target's onsets");
        }
        assert!(c["params"].get("freq_cv").is_some(), "attenuverters are recorded");
    }
}

#[test]
fn a_drone_target_falls_back_to_the_static_path_and_says_so() {
    let library = tiny_library("plaits-gesture");
    let dir = temp_dir("drone");
    let target = dir.join("drone.wav");
    let mut params = RenderParams::defaults("drone", 0);
    params.seconds = 0.8;
    write_wav(&target, &render_params(&params), 48_000, SampleFormat::Pcm16).unwrap();
    let out = dir.join("out");
    run_match(&target, &library, 1, 12, &out, 2);
    let json = result_json(&out);
    assert!(json["analysis"]["fallback"].as_str().unwrap().contains("no onset"), "{json}");
    assert_eq!(json["analysis"]["trigger_times"], serde_json::json!([0.0]));
}

#[test]
fn bad_targets_get_an_error_naming_the_file_and_nothing_is_written() {
    let library = tiny_library("plaits-voice");
    let dir = temp_dir("bad");
    let silent = dir.join("silent.wav");
    write_wav(&silent, &vec![[0.0, 0.0]; 48_000], 48_000, SampleFormat::Pcm16).unwrap();
    let text = dir.join("notes.wav");
    std::fs::write(&text, "not audio at all").unwrap();
    let empty = dir.join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    let missing = dir.join("missing.wav");
    for (file, problem) in [(&silent, "silent"), (&text, "not"), (&empty, "empty"), (&missing, "missing.wav")]
    {
        let out = dir.join(format!("out-{}", file.file_stem().unwrap().to_string_lossy()));
        let args = ["match", file.to_str().unwrap(), "--library", library.to_str().unwrap(), "--out"];
        let mut args = args.to_vec();
        args.push(out.to_str().unwrap());
        let output = rackmatch(&args, 2);
        let stderr = String::from_utf8_lossy(&output.stderr).to_lowercase();
        assert!(!output.status.success());
        assert!(stderr.contains(&file.file_name().unwrap().to_string_lossy().to_lowercase()), "{stderr}");
        assert!(stderr.contains(problem), "{problem}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!out.join("result.json").exists());
    }
    // An --out that cannot be created (a file is in the way).
    let blocker = dir.join("blocker");
    std::fs::write(&blocker, "a file").unwrap();
    let kick = repo().join("examples/colombo_kick.wav");
    let out = blocker.join("out");
    let args = [
        "match",
        kick.to_str().unwrap(),
        "--library",
        library.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let output = rackmatch(&args, 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("blocker") && stderr.contains("cannot write"), "{stderr}");
}

#[test]
fn bench_runs_every_method_on_a_tiny_set_within_budget() {
    let library = tiny_library("plaits-gesture");
    let out = temp_dir("bench");
    let args = ["bench", "--in-domain", "4", "--library", library.to_str().unwrap(), "--budget", "6"];
    let mut args = args.to_vec();
    args.extend(["--methods", "random,knn", "--json", "--out", out.to_str().unwrap()]);
    let json: Value = serde_json::from_str(&ok(&rackmatch(&args, 2))).unwrap();
    let summary = json["summary"].as_array().unwrap();
    assert_eq!(summary.len(), 2);
    for s in summary {
        assert_eq!(s["targets"], 4);
        assert!(s["median_distance"].as_f64().unwrap().is_finite());
    }
    let outcomes = json["outcomes"].as_array().unwrap();
    assert!(outcomes.iter().all(|o| o["renders"].as_u64().unwrap() <= 6));
    assert!(out.join("bench.json").exists(), "bench writes its JSON into --out");
}

#[test]
fn bench_summarises_each_category_of_a_folder_of_recordings() {
    let library = tiny_library("plaits-voice");
    let recordings = temp_dir("bench-recordings");
    let examples = temp_dir("bench-examples");
    for (from, to) in [
        ("recordings/bird/tuxpaint_owl.flac", recordings.join("bird/owl.flac")),
        ("recordings/drum/sonicpi_tabla-ghe1.flac", recordings.join("drum/tabla.flac")),
        ("recordings/drum/sonicpi_drum-cymbal-closed.flac", recordings.join("drum/cymbal.flac")),
        ("examples/colombo_kick.wav", examples.join("kick.wav")),
    ] {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(repo().join(from), to).unwrap();
    }
    // Neither a hidden file nor a non-audio file is a target.
    std::fs::write(recordings.join("drum/.partial.flac"), b"").unwrap();
    std::fs::write(recordings.join("SOURCES.md"), b"# sources").unwrap();
    let out = temp_dir("bench-categories");
    let mut args = vec!["bench", "--library", library.to_str().unwrap(), "--budget", "3"];
    args.extend(["--targets", recordings.to_str().unwrap(), "--targets", examples.to_str().unwrap()]);
    args.extend(["--methods", "random,ga", "--out", out.to_str().unwrap()]);
    let text = ok(&rackmatch(&args, 2));
    assert!(text.contains("median MSS per category"), "{text}");
    let json: Value = serde_json::from_slice(&std::fs::read(out.join("bench.json")).unwrap()).unwrap();
    let recordings_name = recordings.file_name().unwrap().to_str().unwrap();
    let examples_name = examples.file_name().unwrap().to_str().unwrap();
    let mut names: Vec<&str> =
        json["outcomes"].as_array().unwrap().iter().map(|o| o["target"].as_str().unwrap()).collect();
    names.dedup();
    let expected = [
        format!("{recordings_name}/bird/owl.flac"),
        format!("{recordings_name}/drum/cymbal.flac"),
        format!("{recordings_name}/drum/tabla.flac"),
        format!("{examples_name}/kick.wav"),
    ];
    assert_eq!(names, expected.iter().map(String::as_str).collect::<Vec<_>>());
    let categories = json["categories"].as_array().unwrap();
    let summary_of = |category: &str| {
        let c = categories.iter().find(|c| c["category"] == category).unwrap();
        c["summary"].as_array().unwrap().clone()
    };
    assert_eq!(categories.len(), 2, "the top-level example has no category");
    assert_eq!(summary_of("bird")[0]["targets"], 1);
    let drum = summary_of("drum");
    assert_eq!(drum[1]["method"], "ga");
    assert_eq!(drum[1]["targets"], 2);
    let outcomes = json["outcomes"].as_array().unwrap();
    let mss = |method: &str| -> Vec<f64> {
        outcomes
            .iter()
            .filter(|o| o["category"] == "drum" && o["method"] == method)
            .map(|o| o["distance"].as_f64().unwrap())
            .collect()
    };
    let median = |v: Vec<f64>| (v[0] + v[1]) / 2.0;
    let ratio = drum[1]["median_vs_random"].as_f64().unwrap();
    assert!((ratio - median(mss("ga")) / median(mss("random"))).abs() < 1e-12, "{ratio}");
    assert!(outcomes.iter().all(|o| o["renders"].as_u64().unwrap() <= 3));
    // The phase-random reference (the target's own spectrogram) is closer to
    // these real sounds than three renders of a lone voice get.
    let mut references: Vec<f64> = outcomes
        .iter()
        .filter(|o| o["method"] == "random")
        .map(|o| o["reference"].as_f64().unwrap())
        .collect();
    for o in outcomes {
        let reference = o["reference"].as_f64().unwrap();
        assert!(reference > 0.5 && reference < o["distance"].as_f64().unwrap(), "{o}");
    }
    references.sort_by(f64::total_cmp);
    let reference_median = json["reference_median"].as_f64().unwrap();
    assert!((reference_median - (references[1] + references[2]) / 2.0).abs() < 1e-12);
    assert!(text.contains("phase-random reference"), "{text}");
    for figure in ["bench-mss", "bench-mss-bird", "bench-mss-drum"] {
        assert!(
            std::fs::read(out.join(format!("{figure}.png"))).unwrap().starts_with(b"\x89PNG"),
            "{figure}"
        );
        assert!(std::fs::read_to_string(out.join(format!("{figure}.svg"))).unwrap().contains("<svg"));
    }
}

#[test]
fn bench_refuses_a_folder_without_recordings_and_names_it() {
    let library = tiny_library("plaits-voice");
    let empty = temp_dir("bench-empty");
    std::fs::write(empty.join("notes.txt"), b"no audio here").unwrap();
    let args = ["bench", "--library", library.to_str().unwrap(), "--targets", empty.to_str().unwrap()];
    let output = rackmatch(&args, 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains(empty.to_str().unwrap()) && stderr.contains("no WAV or FLAC file"), "{stderr}");
    let missing = empty.join("missing");
    let args = ["bench", "--library", library.to_str().unwrap(), "--targets", missing.to_str().unwrap()];
    let output = rackmatch(&args, 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains(&format!("{}: no such file", missing.display())), "{stderr}");
}
