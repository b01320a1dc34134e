//! The embedded engine against renders of the real Plaits module.
//!
//! For each model this applies the rule of `tests/data/plaits-reference/README.md`
//! ("How close is close enough"): median MSS over the model's renders and both
//! channels within its limit, no render/channel over its worst-case limit, and f0
//! within 1 cent where the reference pitch is stable. It also counts renders that
//! are sample-exact and requires at least the number reached when the engine was
//! validated, so that a regression in arithmetic order is caught even when MSS
//! would still pass.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rackmatch::mss::Mss;
use rackmatch::pitch::median_f0;
use rackmatch::render_batch::render_params;
use rackmatch::render_params::read_params_file;
use rackmatch::wav::to_pcm16;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/plaits-reference")
}

/// The reference WAV as 16-bit samples per channel.
fn read_reference(id: &str) -> [Vec<i16>; 2] {
    let path = data_dir().join(format!("{id}.wav"));
    let mut reader = hound::WavReader::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let samples: Vec<i16> = reader.samples::<i16>().map(|s| s.unwrap()).collect();
    [samples.iter().step_by(2).copied().collect(), samples.iter().skip(1).step_by(2).copied().collect()]
}

struct Limits {
    median: f64,
    max: f64,
    f0_checkable: HashSet<String>,
}

fn limits(model: u32) -> Limits {
    let text = std::fs::read_to_string(data_dir().join("limits.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let entry = &json[model.to_string()];
    Limits {
        median: entry["median_limit"].as_f64().unwrap(),
        max: entry["max_limit"].as_f64().unwrap(),
        f0_checkable: json["_f0_checkable"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect(),
    }
}

fn check_model(model: u32, min_exact: usize) {
    let lines = read_params_file(&data_dir().join("params.jsonl")).unwrap();
    let limits = limits(model);
    let mss = Mss::default();
    let mut distances = Vec::new();
    let mut exact = 0;
    let mut report = Vec::new();
    for params in lines.iter().filter(|p| p.model == model) {
        let reference = read_reference(&params.id);
        let frames = render_params(params);
        assert_eq!(frames.len(), reference[0].len(), "{}: length", params.id);
        let mut render_exact = true;
        for channel in 0..2 {
            let ours: Vec<i16> = frames.iter().map(|f| to_pcm16(f[channel])).collect();
            let theirs = &reference[channel];
            let differing = ours.iter().zip(theirs).filter(|(a, b)| a != b).count();
            render_exact &= differing == 0;
            let a: Vec<f64> = theirs.iter().map(|&s| s as f64 / 32768.0).collect();
            let b: Vec<f64> = ours.iter().map(|&s| s as f64 / 32768.0).collect();
            let distance = mss.distance(&a, &b);
            distances.push(distance);
            let mut line =
                format!("{} ch{channel}: mss {distance:.5}, {differing} samples differ", params.id);
            if limits.f0_checkable.contains(&format!("{}:{channel}", params.id)) {
                if let (Some(fa), Some(fb)) = (median_f0(&a, 48_000.0), median_f0(&b, 48_000.0)) {
                    let cents = 1200.0 * (fb / fa).log2();
                    line += &format!(", f0 {cents:+.3} cents");
                    assert!(cents.abs() <= 1.0, "{line}");
                }
            }
            assert!(distance <= limits.max, "{line}: over the worst-case limit {}", limits.max);
            report.push(line);
        }
        exact += render_exact as usize;
    }
    distances.sort_by(f64::total_cmp);
    let median = distances[distances.len() / 2];
    println!(
        "model {model}: median mss {median:.5}, {exact} renders sample-exact\n  {}",
        report.join("\n  ")
    );
    assert!(median <= limits.median, "model {model}: median MSS {median} over {}", limits.median);
    assert!(exact >= min_exact, "model {model}: {exact} sample-exact renders, expected at least {min_exact}");
}

#[test]
fn model_00_pair_of_classic_waveforms() {
    check_model(0, 4);
}

#[test]
fn model_01_waveshaping_oscillator() {
    check_model(1, 4);
}

#[test]
fn model_02_two_operator_fm() {
    check_model(2, 4);
}

#[test]
fn model_03_granular_formant_oscillator() {
    check_model(3, 4);
}

#[test]
fn model_04_harmonic_oscillator() {
    check_model(4, 4);
}

#[test]
fn model_05_wavetable_oscillator() {
    check_model(5, 4);
}

#[test]
fn model_06_chords() {
    check_model(6, 4);
}

#[test]
fn model_07_vowel_and_speech_synthesis() {
    check_model(7, 4);
}

#[test]
fn model_08_granular_cloud() {
    check_model(8, 4);
}

#[test]
fn model_09_filtered_noise() {
    check_model(9, 4);
}

#[test]
fn model_10_particle_noise() {
    check_model(10, 4);
}

#[test]
fn model_11_inharmonic_string_modeling() {
    check_model(11, 4);
}

#[test]
fn model_12_modal_resonator() {
    check_model(12, 4);
}

#[test]
fn model_13_analog_bass_drum() {
    check_model(13, 4);
}

#[test]
fn model_14_analog_snare_drum() {
    check_model(14, 4);
}

#[test]
fn model_15_analog_hi_hat() {
    check_model(15, 4);
}
