//! Writing rendered stereo frames as WAV (16-bit PCM or 32-bit float), atomically.

use std::io::{self, Seek, Write};
use std::path::Path;

/// Sample format of written WAV files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleFormat {
    /// 16-bit PCM; full scale is ±5 V.
    Pcm16,
    /// 32-bit IEEE float; 1.0 is 5 V.
    Float32,
}

/// The 16-bit code for a sample value, saturating like the reference files:
/// Plaits' −32768 negated becomes +32768, which is stored as +32767.
#[inline]
pub fn to_pcm16(x: f32) -> i16 {
    (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

/// Encodes frames as a complete WAV file into `writer`.
pub fn encode_wav<W: Write + Seek>(
    writer: W,
    frames: &[[f32; 2]],
    sample_rate: u32,
    format: SampleFormat,
) -> Result<(), hound::Error> {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate,
        bits_per_sample: if format == SampleFormat::Pcm16 { 16 } else { 32 },
        sample_format: if format == SampleFormat::Pcm16 {
            hound::SampleFormat::Int
        } else {
            hound::SampleFormat::Float
        },
    };
    let mut wav = hound::WavWriter::new(writer, spec)?;
    for frame in frames {
        for &x in frame {
            match format {
                SampleFormat::Pcm16 => wav.write_sample(to_pcm16(x))?,
                SampleFormat::Float32 => wav.write_sample(x)?,
            }
        }
    }
    wav.finalize()
}

/// Writes frames to `path` atomically.
pub fn write_wav(path: &Path, frames: &[[f32; 2]], sample_rate: u32, format: SampleFormat) -> io::Result<()> {
    let mut bytes = io::Cursor::new(Vec::with_capacity(44 + frames.len() * 8));
    encode_wav(&mut bytes, frames, sample_rate, format).map_err(io::Error::other)?;
    crate::atomic::write_bytes_atomically(path, bytes.get_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcm16_saturates_like_the_reference_files() {
        assert_eq!(to_pcm16(1.0), 32767);
        assert_eq!(to_pcm16(-1.0), -32768);
        assert_eq!(to_pcm16(-1.0 / 32768.0), -1);
        assert_eq!(to_pcm16(12345.0 / 32768.0), 12345);
    }

    #[test]
    fn written_files_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        let frames = vec![[0.5f32, -0.25]; 100];
        write_wav(&path, &frames, 48_000, SampleFormat::Float32).unwrap();
        let mut reader = hound::WavReader::open(&path).unwrap();
        assert_eq!(reader.spec().channels, 2);
        let samples: Vec<f32> = reader.samples::<f32>().map(|s| s.unwrap()).collect();
        assert_eq!(samples[0], 0.5);
        assert_eq!(samples[1], -0.25);
    }
}
