//! Writing one clip: `<id>.wav` (32-bit float stereo) then `<id>.json`, each
//! through a temp file, fsync and rename, so a clip is either complete (its
//! JSON exists, written last) or absent; never half-written.

use std::fs::File;
use std::io::{self, Cursor, Write};
use std::path::{Path, PathBuf};

use crate::protocol::ClipMeta;

/// How bytes reach an open temp file; the real one is `write_all`, tests put a full disk here.
pub type FileSink = dyn Fn(&mut File, &[u8]) -> io::Result<()> + Send + Sync;

/// The production sink.
pub fn write_all(file: &mut File, bytes: &[u8]) -> io::Result<()> {
    file.write_all(bytes)
}

/// Writes a clip into `dir`; returns the WAV and JSON paths.
pub fn write_clip(
    dir: &Path,
    meta: &ClipMeta,
    frames: &[[f32; 2]],
    sink: &FileSink,
) -> Result<(PathBuf, PathBuf), String> {
    let wav_path = dir.join(format!("{}.wav", meta.id));
    let json_path = dir.join(format!("{}.json", meta.id));
    let wav = encode_wav(frames, meta.sample_rate).map_err(|e| format!("cannot encode the WAV: {e}"))?;
    let mut json = serde_json::to_vec_pretty(meta).map_err(|e| format!("cannot encode the JSON: {e}"))?;
    json.push(b'\n');
    // A clip that is being replaced must not look complete with a new WAV and an old JSON.
    remove_if_present(&json_path).map_err(|e| format!("cannot replace {}: {e}", json_path.display()))?;
    write_atomically(&wav_path, &wav, sink)
        .map_err(|e| format!("cannot write {}: {e}", wav_path.display()))?;
    if let Err(e) = write_atomically(&json_path, &json, sink) {
        let _ = std::fs::remove_file(&wav_path);
        return Err(format!("cannot write {}: {e}", json_path.display()));
    }
    Ok((wav_path, json_path))
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// 32-bit float stereo WAV bytes at the rounded sample rate.
fn encode_wav(frames: &[[f32; 2]], sample_rate: f64) -> Result<Vec<u8>, hound::Error> {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: sample_rate.round() as u32,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut bytes = Cursor::new(Vec::with_capacity(64 + frames.len() * 8));
    let mut wav = hound::WavWriter::new(&mut bytes, spec)?;
    for frame in frames {
        wav.write_sample(frame[0])?;
        wav.write_sample(frame[1])?;
    }
    wav.finalize()?;
    Ok(bytes.into_inner())
}

/// Temp file beside `path`, sync, rename; the temp file is removed on any error.
fn write_atomically(path: &Path, bytes: &[u8], sink: &FileSink) -> io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = File::create(&temp)?;
        sink(&mut file, bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::CLIP_FORMAT_VERSION;

    fn meta(id: &str) -> ClipMeta {
        ClipMeta {
            format: CLIP_FORMAT_VERSION,
            plugin_version: "test".into(),
            id: id.into(),
            params: Default::default(),
            ccs: Default::default(),
            sample_rate: 44_100.0,
            channels: 2,
            frames: 3,
            settle_seconds: 0.0,
            length_seconds: 0.0,
            session: 1,
            tag_sample: 0,
            start_sample: 0,
            cc_events: vec![],
            cc_events_dropped: 0,
            wav: format!("{id}.wav"),
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rackmatch-clipwriter-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_clip_reads_back_exactly() {
        let dir = temp_dir("ok");
        let frames = [[0.25f32, -0.5], [1e-9, 3.0], [-1.0, 0.0]];
        let (wav, json) = write_clip(&dir, &meta("a"), &frames, &write_all).unwrap();
        let mut reader = hound::WavReader::open(&wav).unwrap();
        assert_eq!(reader.spec().sample_rate, 44_100);
        let samples: Vec<f32> = reader.samples::<f32>().map(Result::unwrap).collect();
        assert_eq!(samples, frames.concat());
        let back: ClipMeta = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
        assert_eq!(back, meta("a"));
    }

    #[test]
    fn a_full_disk_leaves_no_clip_and_no_temp_file() {
        let dir = temp_dir("full");
        let full: &FileSink = &|file, bytes| {
            file.write_all(&bytes[..bytes.len() / 2])?;
            Err(io::Error::from_raw_os_error(28)) // ENOSPC
        };
        let err = write_clip(&dir, &meta("b"), &[[0.0; 2]; 10], full).unwrap_err();
        assert!(err.contains("b.wav"), "{err}");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        // The JSON failing after the WAV also leaves nothing.
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let second_fails: &FileSink = &|file, bytes| {
            if CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 1 {
                return Err(io::Error::from_raw_os_error(28));
            }
            file.write_all(bytes)
        };
        assert!(write_clip(&dir, &meta("c"), &[[0.0; 2]; 10], second_fails).is_err());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    }
}
