//! rackmatch's MSS agrees with the reference script (`tools/audiocompare.py`)
//! to 1e-3 on fixed pairs of files (values in `tests/data/mss-agreement/`).

use std::path::{Path, PathBuf};

use rackmatch::mss::mss;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// One channel of a WAV as the script reads it: PCM scaled by 2^(bits−1), floats as they are.
fn channel(path: &Path, channel: usize) -> Vec<f64> {
    let mut reader = hound::WavReader::open(path).unwrap();
    let spec = reader.spec();
    let channels = spec.channels as usize;
    let samples: Vec<f64> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().map(|s| s.unwrap() as f64).collect(),
        hound::SampleFormat::Int => {
            let scale = (1u64 << (spec.bits_per_sample - 1)) as f64;
            reader.samples::<i32>().map(|s| s.unwrap() as f64 / scale).collect()
        }
    };
    samples.chunks(channels).map(|frame| frame[channel]).collect()
}

fn rms(x: &[f64]) -> f64 {
    (x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64).sqrt()
}

#[test]
fn mss_agrees_with_the_reference_script_to_1e_3() {
    let fixtures = repo().join("tests/data/mss-agreement/expected.json");
    let pairs: Vec<serde_json::Value> = serde_json::from_slice(&std::fs::read(fixtures).unwrap()).unwrap();
    assert!(pairs.len() >= 5);
    for pair in pairs {
        let ch = pair["channel"].as_u64().unwrap() as usize;
        let mut a = channel(&repo().join(pair["reference"].as_str().unwrap()), ch);
        let mut b = channel(&repo().join(pair["candidate"].as_str().unwrap()), ch);
        let n = a.len().min(b.len());
        a.truncate(n);
        b.truncate(n);
        if pair["normalize_rms"].as_bool().unwrap() {
            let gain = rms(&a) / rms(&b);
            b.iter_mut().for_each(|x| *x *= gain);
        }
        let expected = pair["mss"].as_f64().unwrap();
        let got = mss(&a, &b);
        assert!((got - expected).abs() <= 1e-3, "{pair}: rust {got}, script {expected}");
    }
}
