//! Reading a target recording: decode WAV or FLAC, check it, mix to mono and
//! resample to 48 kHz with a band-limited resampler.

use std::fs::File;
use std::path::{Path, PathBuf};

use rubato::{FftFixedIn, Resampler};
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::DecoderOptions;
use symphonia::core::errors::Error as DecodeError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// The rate every analysis runs at.
pub const ANALYSIS_RATE: u32 = 48_000;
/// Shortest target accepted.
pub const MIN_SECONDS: f64 = 0.02;
/// Longest target accepted (longer files are refused, not cropped).
pub const MAX_SECONDS: f64 = 600.0;
/// Peak below which a recording counts as silent (about −90 dBFS).
pub const SILENCE_PEAK: f32 = 3.2e-5;

/// Whether mono `samples` are silence as `match` judges a target: every
/// sample below [`SILENCE_PEAK`].
pub fn is_silent(samples: &[f32]) -> bool {
    samples.iter().all(|x| x.abs() < SILENCE_PEAK)
}

/// A decoded target, mono at [`ANALYSIS_RATE`].
#[derive(Clone, Debug)]
pub struct TargetAudio {
    /// Mono samples at 48 kHz (channels averaged).
    pub samples: Vec<f32>,
    /// The file's own sample rate.
    pub source_rate: u32,
    /// The file's channel count.
    pub source_channels: usize,
}

impl TargetAudio {
    /// Length in seconds.
    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / ANALYSIS_RATE as f64
    }
}

/// Why a target could not be used. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum AudioInputError {
    /// A folder of targets without any audio file.
    #[error("{path}: the folder holds no WAV or FLAC file, directly or one folder down")]
    NoAudioFiles {
        /// The folder.
        path: PathBuf,
    },
    /// No such file.
    #[error("{path}: no such file")]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// The file exists but could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is empty (0 bytes).
    #[error("{path}: the file is empty")]
    EmptyFile {
        /// The file.
        path: PathBuf,
    },
    /// Not a WAV or FLAC file rackmatch can decode.
    #[error("{path}: not an audio file rackmatch can read (WAV or FLAC): {detail}")]
    NotAudio {
        /// The file.
        path: PathBuf,
        /// The decoder's view.
        detail: String,
    },
    /// A WAV/FLAC variant or sample format that is not supported.
    #[error("{path}: unsupported audio format: {detail}")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What is unsupported.
        detail: String,
    },
    /// The header gives no usable sample rate.
    #[error("{path}: unknown or invalid sample rate")]
    UnknownSampleRate {
        /// The file.
        path: PathBuf,
    },
    /// Decoded to zero samples.
    #[error("{path}: contains no samples")]
    NoSamples {
        /// The file.
        path: PathBuf,
    },
    /// NaN or infinite samples (only float files can hold them).
    #[error("{path}: sample {index} is not a finite number (NaN or infinity)")]
    NonFinite {
        /// The file.
        path: PathBuf,
        /// Index of the first bad sample (interleaved).
        index: usize,
    },
    /// All samples are (near) zero.
    #[error("{path}: the recording is silent (peak below -90 dBFS)")]
    Silent {
        /// The file.
        path: PathBuf,
    },
    /// Too short to analyse.
    #[error("{path}: {milliseconds:.1} ms is too short; rackmatch needs at least 20 ms")]
    TooShort {
        /// The file.
        path: PathBuf,
        /// Its length.
        milliseconds: f64,
    },
    /// Too long: refused rather than cropped, so that nobody matches the wrong part.
    #[error("{path}: longer than 10 minutes (at least {seconds:.1} s); rackmatch matches sounds up to 10 minutes, cut the part you want first")]
    TooLong {
        /// The file.
        path: PathBuf,
        /// Its length.
        seconds: f64,
    },
}

/// Reads, checks and converts a target recording.
pub fn load_target(path: &Path) -> Result<TargetAudio, AudioInputError> {
    let (interleaved, channels, rate) = decode(path)?;
    if interleaved.is_empty() {
        return Err(AudioInputError::NoSamples { path: path.to_path_buf() });
    }
    if let Some(index) = interleaved.iter().position(|x| !x.is_finite()) {
        return Err(AudioInputError::NonFinite { path: path.to_path_buf(), index });
    }
    let frames = interleaved.len() / channels;
    let seconds = frames as f64 / rate as f64;
    if seconds > MAX_SECONDS {
        return Err(AudioInputError::TooLong { path: path.to_path_buf(), seconds });
    }
    if seconds < MIN_SECONDS {
        return Err(AudioInputError::TooShort { path: path.to_path_buf(), milliseconds: seconds * 1000.0 });
    }
    let mono: Vec<f32> =
        interleaved.chunks_exact(channels).map(|f| f.iter().sum::<f32>() / channels as f32).collect();
    if is_silent(&mono) {
        return Err(AudioInputError::Silent { path: path.to_path_buf() });
    }
    let samples = resample(&mono, rate, ANALYSIS_RATE);
    Ok(TargetAudio { samples, source_rate: rate, source_channels: channels })
}

impl AudioInputError {
    /// Why `path` (a file or a folder) could not be opened: missing, or unreadable.
    pub fn opening(path: &Path, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::NotFound {
            Self::Missing { path: path.to_path_buf() }
        } else {
            Self::Read { path: path.to_path_buf(), source }
        }
    }
}

/// Decodes the whole file to interleaved f32.
fn decode(path: &Path) -> Result<(Vec<f32>, usize, u32), AudioInputError> {
    let owned = || path.to_path_buf();
    let file = File::open(path).map_err(|source| AudioInputError::opening(path, source))?;
    let length = file.metadata().map_err(|source| AudioInputError::Read { path: owned(), source })?.len();
    if length == 0 {
        return Err(AudioInputError::EmptyFile { path: owned() });
    }
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(extension) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(extension);
    }
    let probed = symphonia::default::get_probe()
        .format(&hint, stream, &FormatOptions::default(), &MetadataOptions::default())
        .map_err(|e| AudioInputError::NotAudio { path: owned(), detail: e.to_string() })?;
    let mut format = probed.format;
    let track = format
        .default_track()
        .ok_or_else(|| AudioInputError::NotAudio { path: owned(), detail: "no audio track".into() })?;
    let track_id = track.id;
    let parameters = track.codec_params.clone();
    let rate = parameters
        .sample_rate
        .filter(|r| *r > 0)
        .ok_or(AudioInputError::UnknownSampleRate { path: owned() })?;
    let channels = parameters.channels.map(|c| c.count()).unwrap_or(0);
    if channels == 0 {
        return Err(AudioInputError::Unsupported { path: owned(), detail: "no channel layout".into() });
    }
    let mut decoder = symphonia::default::get_codecs()
        .make(&parameters, &DecoderOptions::default())
        .map_err(|e| AudioInputError::Unsupported { path: owned(), detail: e.to_string() })?;
    let mut samples = Vec::new();
    loop {
        let packet = match format.next_packet() {
            Ok(packet) => packet,
            Err(DecodeError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(DecodeError::ResetRequired) => break,
            Err(e) => return Err(AudioInputError::NotAudio { path: owned(), detail: e.to_string() }),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(decoded) => decoded,
            Err(DecodeError::DecodeError(detail)) => {
                return Err(AudioInputError::NotAudio { path: owned(), detail: detail.to_string() })
            }
            Err(DecodeError::Unsupported(detail)) => {
                return Err(AudioInputError::Unsupported { path: owned(), detail: detail.to_string() })
            }
            Err(e) => return Err(AudioInputError::NotAudio { path: owned(), detail: e.to_string() }),
        };
        let mut buffer = SampleBuffer::<f32>::new(decoded.capacity() as u64, *decoded.spec());
        buffer.copy_interleaved_ref(decoded);
        samples.extend_from_slice(buffer.samples());
        if samples.len() as f64 / channels as f64 / rate as f64 > MAX_SECONDS + 1.0 {
            // No need to decode hours of audio just to refuse it.
            let seconds = samples.len() as f64 / channels as f64 / rate as f64;
            return Err(AudioInputError::TooLong { path: owned(), seconds });
        }
    }
    Ok((samples, channels, rate))
}

/// Band-limited resampling by FFT (rubato), with its delay removed so that
/// the output lines up with the input.
pub fn resample(input: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to {
        return input.to_vec();
    }
    const CHUNK: usize = 1024;
    let mut resampler = FftFixedIn::<f64>::new(from as usize, to as usize, CHUNK, 2, 1)
        .expect("sample rates were checked to be positive");
    let expected = (input.len() as f64 * to as f64 / from as f64).round() as usize;
    let delay = resampler.output_delay();
    let mut output: Vec<f64> = Vec::with_capacity(expected + delay + CHUNK * 2);
    let as_f64: Vec<f64> = input.iter().map(|&x| x as f64).collect();
    let mut position = 0;
    while position + CHUNK <= as_f64.len() {
        let out = resampler.process(&[&as_f64[position..position + CHUNK]], None).expect("fixed chunk size");
        output.extend_from_slice(&out[0]);
        position += CHUNK;
    }
    let rest = &as_f64[position..];
    let out = resampler.process_partial(Some(&[rest]), None).expect("partial chunk");
    output.extend_from_slice(&out[0]);
    while output.len() < expected + delay {
        let out = resampler.process_partial::<&[f64]>(None, None).expect("flush");
        if out[0].is_empty() {
            break;
        }
        output.extend_from_slice(&out[0]);
    }
    output.into_iter().skip(delay).take(expected).map(|x| x as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_wav(path: &Path, rate: u32, channels: u16, samples: &[f32]) {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for &s in samples {
            w.write_sample(s).unwrap();
        }
        w.finalize().unwrap();
    }

    fn tone(rate: u32, hz: f32, seconds: f32) -> Vec<f32> {
        (0..(rate as f32 * seconds) as usize)
            .map(|i| 0.5 * (2.0 * std::f32::consts::PI * hz * i as f32 / rate as f32).sin())
            .collect()
    }

    #[test]
    fn resampling_keeps_pitch_length_and_alignment() {
        let x = tone(44_100, 1000.0, 0.5);
        let y = resample(&x, 44_100, 48_000);
        assert_eq!(y.len(), 24_000);
        let f0 = crate::pitch::median_f0(&y.iter().map(|&v| v as f64).collect::<Vec<_>>(), 48_000.0).unwrap();
        assert!((1200.0 * (f0 / 1000.0).log2()).abs() < 1.0, "{f0}");
        // Aligned: the resampled tone is in phase with an ideal 48 kHz tone.
        let ideal = tone(48_000, 1000.0, 0.5);
        let err: f32 =
            y[1000..23_000].iter().zip(&ideal[1000..23_000]).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(err < 0.01, "{err}");
    }

    #[test]
    fn stereo_is_mixed_and_rate_converted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.wav");
        let mono = tone(22_050, 440.0, 0.2);
        let stereo: Vec<f32> = mono.iter().flat_map(|&v| [v, v]).collect();
        write_wav(&path, 22_050, 2, &stereo);
        let target = load_target(&path).unwrap();
        assert_eq!(target.source_rate, 22_050);
        assert_eq!(target.source_channels, 2);
        assert!((target.seconds() - 0.2).abs() < 0.001);
    }

    #[test]
    fn bad_inputs_name_the_file_and_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let check = |name: &str, bytes: Option<&[u8]>, samples: Option<(u32, &[f32])>, expected: &str| {
            let path = dir.path().join(name);
            if let Some(bytes) = bytes {
                std::fs::write(&path, bytes).unwrap();
            }
            if let Some((rate, s)) = samples {
                write_wav(&path, rate, 1, s);
            }
            let err = load_target(&path).unwrap_err().to_string();
            assert!(err.contains(name) && err.contains(expected), "{name}: {err}");
        };
        check("missing.wav", None, None, "no such file");
        check("empty.wav", Some(b""), None, "empty");
        check("text.wav", Some(b"hello, this is not audio at all, just text"), None, "not an audio file");
        check("zero.wav", None, Some((48_000, &[])), "no samples");
        check("silent.wav", None, Some((48_000, &[0.0; 4800])), "silent");
        check("short.wav", None, Some((48_000, &[0.5; 480])), "too short");
        check("nan.wav", None, Some((48_000, &[0.1, f32::NAN, 0.2])), "not a finite number");
        check("inf.wav", None, Some((48_000, &[0.1, 0.2, f32::INFINITY])), "not a finite number");
        // Decoding stops soon after the limit: the length read is a lower bound.
        check(
            "long.wav",
            None,
            Some((1_000, &vec![0.5; 1_000 * 605])),
            "longer than 10 minutes (at least 60",
        );
        let mut mp3_in_wav = b"RIFF\x2c\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x55\x00\x01\x00".to_vec();
        mp3_in_wav.extend_from_slice(&[0x80, 0xbb, 0, 0, 0x80, 0xbb, 0, 0, 1, 0, 8, 0]);
        mp3_in_wav.extend_from_slice(b"data\x08\x00\x00\x00");
        mp3_in_wav.extend_from_slice(&[0; 8]);
        // A WAV whose codec (here MP3) is not one rackmatch decodes.
        check("mp3.wav", Some(&mp3_in_wav), None, "unsupported wave format");
    }
}
