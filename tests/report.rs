//! End to end: `rackmatch report` on the six example recordings, each page
//! opened in headless Chromium by scripts/check_report.py (console errors,
//! images that do not decode, audio without a duration and missing files all
//! fail it); a failed figure keeps the match results; bad input gets the same
//! errors as `match`; `seed-table` lists every map and repeats at any thread count;
//! `bench` runs the seed method and draws its figure.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::AtomicBool;

use rackmatch::library;
use rackmatch::space::Space;

const TOP: usize = 3;
/// Encodings of the default space: MFCC, the full vector and the built-in
/// learned embedding.
const ENCODINGS: [&str; 3] = ["mfcc", "full", "learned"];
/// Spectrograms of the target and each match, the envelopes, and a PCA map
/// and a t-SNE grid for each encoding.
const IMAGES: usize = TOP + 1 + 1 + ENCODINGS.len() * 2;
const EXAMPLES: [&str; 6] = [
    "colombo_kick.wav",
    "fluidr3_gm012_marimba_n72.wav",
    "fluidr3_gm073_flute_n79.wav",
    "gcompris_gong.wav",
    "gmrock_snare-hard.wav",
    "tuxpaint_lark.wav",
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn example(name: &str) -> String {
    repo().join("examples").join(name).display().to_string()
}

/// A small library: every engine, short renders.
fn small_library(dir: &Path) -> String {
    let mut space = Space::default_space();
    space.seconds = 0.25;
    library::build(dir, &space, 1, 160, &AtomicBool::new(false)).unwrap();
    dir.display().to_string()
}

fn rackmatch(args: &[String], threads: Option<usize>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rackmatch"));
    command.args(args);
    if let Some(threads) = threads {
        command.env("RAYON_NUM_THREADS", threads.to_string());
    }
    command.output().unwrap()
}

/// A small grid so the suite stays quick; the CLI's default is the full 4×4 grid.
fn small_grid() -> Vec<String> {
    ["--perplexities", "5,30", "--tsne-iterations", "250,500"].map(String::from).to_vec()
}

fn report_args(command: &str, target: &str, library: &str, out: &Path) -> Vec<String> {
    let mut args: Vec<String> =
        [command, target, "--library", library, "--top", "3", "--budget", "6", "--out"]
            .map(String::from)
            .to_vec();
    args.push(out.display().to_string());
    args.extend(small_grid());
    if command == "match" {
        args.push("--report".into());
    }
    args
}

fn check_page(page: &Path, images: usize) -> Output {
    Command::new("python3")
        .arg(repo().join("scripts/check_report.py"))
        .arg(page)
        .args(["--expect-images", &images.to_string(), "--expect-audio", &(TOP + 1).to_string()])
        .output()
        .expect("python3 runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_example_gets_a_complete_report_that_loads_in_a_browser() {
    let dir = tempfile::tempdir().unwrap();
    let library = small_library(&dir.path().join("library"));
    let mut pages = Vec::new();
    for (k, name) in EXAMPLES.iter().enumerate() {
        let out = dir.path().join(name.trim_end_matches(".wav"));
        // The last example goes through `match --report`, the others through `report`.
        let command = if k + 1 == EXAMPLES.len() { "match" } else { "report" };
        let run = rackmatch(&report_args(command, &example(name), &library, &out), None);
        assert!(run.status.success(), "{name}: {}", text(&run.stderr));
        assert!(text(&run.stderr).contains("report.html"), "{name}: {}", text(&run.stderr));
        for file in ["result.json", "report.html", "target.wav", "match-1.vcv", "match-3.wav"] {
            assert!(out.join(file).is_file(), "{name}: {file} missing");
        }
        // The onsets matching found are marked on the target's spectrogram.
        let result: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("result.json")).unwrap()).unwrap();
        let onsets = result["analysis"]["onsets"].as_array().map_or(0, Vec::len);
        let spectrogram = std::fs::read_to_string(out.join("spectrogram-target.svg")).unwrap();
        assert_eq!(spectrogram.contains(&format!("white lines: {onsets} onsets")), onsets > 0, "{name}");
        let page = out.join("report.html");
        let check = check_page(&page, IMAGES);
        assert!(check.status.success(), "{name}: {}", text(&check.stderr));
        pages.push(page);
    }
    // The check must notice a missing image, a missing recording and a missing patch.
    for (page, file) in pages.iter().zip(["map-mfcc-tsne.png", "match-2.wav", "match-1.vcv"]) {
        std::fs::remove_file(page.parent().unwrap().join(file)).unwrap();
        let check = check_page(page, IMAGES);
        assert!(!check.status.success(), "{} passed without {file}", page.display());
        assert!(text(&check.stderr).contains(file), "{}", text(&check.stderr));
    }
}

#[test]
fn a_failed_figure_keeps_the_match_results() {
    let dir = tempfile::tempdir().unwrap();
    let library = small_library(&dir.path().join("library"));
    let out = dir.path().join("out");
    // A directory where a figure should go: writing that figure fails.
    std::fs::create_dir_all(out.join("map-full-pca.png")).unwrap();
    let run = rackmatch(&report_args("report", &example("colombo_kick.wav"), &library, &out), None);
    assert!(!run.status.success());
    let stderr = text(&run.stderr);
    assert!(stderr.contains("map-full-pca.png") && stderr.contains("match results"), "{stderr}");
    let result: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("result.json")).unwrap()).unwrap();
    assert_eq!(result["candidates"].as_array().unwrap().len(), TOP);
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("could not be made") && page.contains("map-full-pca.png"));
    let check = check_page(&out.join("report.html"), IMAGES - 1);
    assert!(check.status.success(), "{}", text(&check.stderr));
}

#[test]
fn bad_input_gets_the_same_errors_as_match() {
    let dir = tempfile::tempdir().unwrap();
    let not_audio = dir.path().join("notes.wav");
    std::fs::write(&not_audio, "not a recording").unwrap();
    let missing = dir.path().join("missing.wav");
    for target in [&not_audio, &missing] {
        let target = target.display().to_string();
        let library = dir.path().join("no-library").display().to_string();
        let out = dir.path().join("out");
        let matched = rackmatch(&report_args("match", &target, &library, &out)[..10], None);
        assert!(!matched.status.success());
        for command in ["report", "seed-table"] {
            let args: Vec<String> = if command == "report" {
                report_args("report", &target, &library, &out)
            } else {
                ["seed-table", &target, "--library", &library].map(String::from).to_vec()
            };
            let run = rackmatch(&args, None);
            assert!(!run.status.success());
            assert_eq!(text(&run.stderr), text(&matched.stderr), "{command} {target}");
        }
    }
}

#[test]
fn the_seed_table_lists_every_map_and_repeats_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let library = small_library(&dir.path().join("library"));
    let mut args: Vec<String> =
        ["seed-table", &example("gmrock_snare-hard.wav"), "--library", &library].map(String::from).to_vec();
    args.extend(small_grid());
    let plain = rackmatch(&args, None);
    assert!(plain.status.success(), "{}", text(&plain.stderr));
    let plain = text(&plain.stdout);
    assert!(
        plain.contains("full-space nearest:") && plain.contains("nearest in the mfcc encoding:"),
        "{plain}"
    );
    for encoding in ENCODINGS {
        assert!(
            plain.contains(&format!("{encoding}: the 2-D nearest is the full-space nearest on ")),
            "{plain}"
        );
        assert!(plain.contains(" of 5 maps"), "{plain}");
    }
    args.push("--json".into());
    let one = rackmatch(&args, Some(1));
    let two = rackmatch(&args, Some(2));
    assert!(one.status.success(), "{}", text(&one.stderr));
    assert_eq!(text(&one.stdout), text(&two.stdout));
    let table: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(rows.len(), ENCODINGS.len() * (1 + 2 * 2));
    let nearest = table["full_space_nearest"]["index"].as_u64().unwrap();
    for row in rows {
        let same = row["nearest_2d"]["index"].as_u64().unwrap() == nearest;
        assert_eq!(row["same_as_full_space"].as_bool(), Some(same), "{row}");
    }
    assert_eq!(table["mapped_points"].as_u64(), Some(160));
}

#[test]
fn bench_runs_the_seed_method_on_one_render_and_writes_json_and_a_plot() {
    let dir = tempfile::tempdir().unwrap();
    let library = small_library(&dir.path().join("library"));
    let out = dir.path().join("bench");
    let args: Vec<String> = [
        "bench",
        "--library",
        &library,
        "--in-domain",
        "2",
        "--budget",
        "4",
        "--methods",
        "random,seed,knn",
        "--out",
        &out.display().to_string(),
    ]
    .map(String::from)
    .to_vec();
    let run = rackmatch(&args, None);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("bench.json")).unwrap()).unwrap();
    let outcomes = json["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 2 * 3);
    for outcome in outcomes {
        let renders = outcome["renders"].as_u64().unwrap();
        match outcome["method"].as_str().unwrap() {
            "seed" => assert_eq!(renders, 1, "the seed method renders only its answer"),
            _ => assert_eq!(renders, 4),
        }
    }
    let svg = std::fs::read_to_string(out.join("bench-mss.svg")).unwrap();
    assert!(svg.contains("\nseed\n</text>") && svg.contains("\nknn\n</text>"), "{svg}");
    assert!(std::fs::read(out.join("bench-mss.png")).unwrap().starts_with(b"\x89PNG"));
}
