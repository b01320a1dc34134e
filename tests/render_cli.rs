//! `rackmatch render --params`: one WAV per line in the format asked for, the
//! same bytes at any thread count, and errors naming the file and line.

mod cli_common;

use std::path::{Path, PathBuf};

use cli_common::{rackmatch, temp_dir};

const LINES: &str = r#"{"id":"kick","model":13,"frequency":-1.0,"trigger":[0.0],"seconds":0.25}
{"id":"pad","model":6,"harmonics":0.3,"morph":0.7,"seconds":0.2}
{"id":"hat","model":15,"trigger":[0.0,0.1],"lpg_decay":0.2,"seconds":0.3}
"#;

fn render(dir: &Path, threads: usize, extra: &[&str]) -> PathBuf {
    let params = dir.join("params.jsonl");
    std::fs::write(&params, LINES).unwrap();
    let out = dir.join(format!("out-{threads}{}", extra.join("")));
    let mut args = vec!["render", "--params", params.to_str().unwrap(), "--out-dir", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = rackmatch(&args, threads);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    out
}

#[test]
fn one_wav_per_line_with_the_same_bytes_at_any_thread_count() {
    let dir = temp_dir("render-threads");
    let one = render(&dir, 1, &[]);
    let three = render(&dir, 3, &[]);
    for (id, seconds) in [("kick", 0.25), ("pad", 0.2), ("hat", 0.3)] {
        let a = std::fs::read(one.join(format!("{id}.wav"))).unwrap();
        let b = std::fs::read(three.join(format!("{id}.wav"))).unwrap();
        assert_eq!(a, b, "{id}");
        let reader = hound::WavReader::new(std::io::Cursor::new(&a)).unwrap();
        let spec = reader.spec();
        assert_eq!((spec.sample_rate, spec.channels, spec.bits_per_sample), (48_000, 2, 16));
        assert_eq!(reader.duration() as f64, seconds * 48_000.0);
    }
    let float = render(&dir, 2, &["--float"]);
    let reader = hound::WavReader::open(float.join("kick.wav")).unwrap();
    assert_eq!(
        (reader.spec().sample_format, reader.spec().bits_per_sample),
        (hound::SampleFormat::Float, 32)
    );
}

#[test]
fn bad_lines_are_named_by_file_and_line_and_nothing_is_written() {
    let dir = temp_dir("render-bad");
    for (content, expect) in [
        ("{\"id\":\"a\",\"model\":1}\n{\"id\":\"b\",\"model\":16}\n", "params.jsonl:2"),
        ("{\"id\":\"a\",\"model\":1,\"timbre\":2}\n", "timbre"),
        ("{\"id\":\"a\",\"model\":1,\"colour\":0.5}\n", "colour"),
        ("not json\n", "params.jsonl:1"),
        ("", "no render lines"),
    ] {
        let params = dir.join("params.jsonl");
        std::fs::write(&params, content).unwrap();
        let out = dir.join("out");
        let output = rackmatch(
            &["render", "--params", params.to_str().unwrap(), "--out-dir", out.to_str().unwrap()],
            2,
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{content}");
        assert!(stderr.contains(expect), "{content}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!out.join("a.wav").exists(), "nothing written for a bad file");
    }
}
