//! Patch libraries on disk: N points of a space with their features, no audio.
//!
//! Layout of a library directory:
//! - `library.json`: the manifest (space, seed, size, feature version, chunk size);
//! - `chunk-NNNNNN.bin`: points `[k·C, (k+1)·C)`, each written atomically when
//!   complete, so an interrupted build loses at most the chunks in flight and a
//!   rerun renders only what is missing.
//!
//! A chunk: magic `RMLC`, version, first index, count, knob count, dims; then per
//! point the model (u8), trigger mode (u8), knob values (i32, 1e-4 units),
//! features (f16) and spectral profile (u8 cells); then an FNV-1a 64 checksum
//! of everything before it.
//! Points depend only on (space, seed, index), so a library can grow.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use half::f16;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::analysis::spectral_profile::{SpectralProfile, PROFILE_LEN};
use crate::atomic::{write_atomically, write_bytes_atomically};
use crate::features::{FeatureExtractor, SoundAnalysis, DIMS, FEATURE_VERSION};
use crate::render_batch::{progress_bar, render_params};
use crate::space::{Space, SpacePoint};

/// Version of the on-disk format.
pub const LIBRARY_FORMAT: u32 = 2;
/// Points per chunk file.
pub const CHUNK_SIZE: usize = 1024;
/// Size of the library `match` builds on first use.
pub const DEFAULT_SIZE: usize = 16_384;
/// Seed of the default library.
pub const DEFAULT_SEED: u64 = 1;

const MAGIC: &[u8; 4] = b"RMLC";

/// What a library holds and how it was made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// On-disk format version.
    pub format: u32,
    /// Feature definition version.
    pub feature_version: u32,
    /// Feature dimensions.
    pub dims: usize,
    /// The space the points come from.
    pub space: Space,
    /// Sampling seed.
    pub seed: u64,
    /// Number of points.
    pub size: usize,
    /// Points per chunk.
    pub chunk_size: usize,
}

impl Manifest {
    /// The manifest of a library of `size` points of `space` drawn with `seed`,
    /// in this build's format and feature version.
    fn current(space: &Space, seed: u64, size: usize) -> Self {
        Manifest {
            format: LIBRARY_FORMAT,
            feature_version: FEATURE_VERSION,
            dims: DIMS,
            space: space.clone(),
            seed,
            size,
            chunk_size: CHUNK_SIZE,
        }
    }
}

/// A loaded library: every point with its raw features.
#[derive(Clone, Debug)]
pub struct Library {
    /// Where it lives.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// Points in index order.
    pub points: Vec<SpacePoint>,
    /// Raw features, `points.len() × DIMS`, row-major.
    pub features: Vec<f32>,
    /// Spectral profiles, `points.len() × PROFILE_LEN`, row-major.
    pub profiles: Vec<u8>,
}

impl Library {
    /// The spectral profile of point `index`.
    pub fn profile(&self, index: usize) -> &[u8] {
        &self.profiles[index * PROFILE_LEN..(index + 1) * PROFILE_LEN]
    }
}

/// A problem with a library directory.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    /// An I/O failure on a named file.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The directory holds a library that does not fit the request.
    #[error("{path}: {problem}")]
    Mismatch {
        /// The directory.
        path: PathBuf,
        /// What differs.
        problem: String,
    },
    /// A file is damaged.
    #[error("{path}: damaged library file: {problem}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The build was interrupted (Ctrl-C); finished chunks are kept.
    #[error("interrupted; finished chunks are kept, run the same command again to continue")]
    Interrupted,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> LibraryError + '_ {
    move |source| LibraryError::Io { path: path.to_path_buf(), source }
}

/// Where `match` keeps the default library of a space: under the user's data
/// directory (`$XDG_DATA_HOME`, usually `~/.local/share/rackmatch/libraries/`).
pub fn default_library_dir(space: &Space) -> PathBuf {
    data_dir().join("libraries").join(format!(
        "{}-seed{DEFAULT_SEED}-n{DEFAULT_SIZE}-{}-{:016x}",
        space.name,
        version_tag(),
        fnv1a(&serde_json::to_vec(space).unwrap_or_default())
    ))
}

/// The feature version and on-disk format, as default library directories
/// carry them (e.g. `f1l2`), so that an upgrade builds a new library beside
/// the old one instead of tripping over it.
pub fn version_tag() -> String {
    format!("f{FEATURE_VERSION}l{LIBRARY_FORMAT}")
}

/// rackmatch's data directory: `$RACKMATCH_DATA_DIR`, else the user's data
/// directory (`$XDG_DATA_HOME/rackmatch`, usually `~/.local/share/rackmatch`).
pub fn data_dir() -> PathBuf {
    std::env::var_os("RACKMATCH_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::data_dir().map(|d| d.join("rackmatch")))
        .unwrap_or_else(|| PathBuf::from(".rackmatch"))
}

/// Builds (or finishes, or grows) a library of `size` points in `dir`.
///
/// Chunks already on disk and intact are kept; the rest are rendered in
/// parallel with a progress bar. `stop` is polled between points.
pub fn build(
    dir: &Path,
    space: &Space,
    seed: u64,
    size: usize,
    stop: &AtomicBool,
) -> Result<Manifest, LibraryError> {
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let manifest_path = dir.join("library.json");
    let manifest = Manifest::current(space, seed, size);
    if manifest_path.exists() {
        let existing = read_manifest(dir)?;
        let same_source = existing.space == manifest.space
            && existing.seed == seed
            && existing.feature_version == FEATURE_VERSION
            && existing.chunk_size == CHUNK_SIZE
            && existing.format == LIBRARY_FORMAT;
        if !same_source {
            return Err(LibraryError::Mismatch {
                path: dir.to_path_buf(),
                problem: format!(
                    "holds a library of space {:?} with seed {} (feature version {}); use another --dir or delete it",
                    existing.space.name, existing.seed, existing.feature_version
                ),
            });
        }
    }
    let chunks = size.div_ceil(CHUNK_SIZE);
    let missing: Vec<usize> = (0..chunks)
        .filter(|&k| {
            read_chunk(&chunk_path(dir, k), k * CHUNK_SIZE, chunk_len(k, size), space.knobs.len()).is_err()
        })
        .collect();
    // The manifest is written before any chunk so that a resumed build knows what it was building.
    let json = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
    write_bytes_atomically(&manifest_path, &json).map_err(io_error(&manifest_path))?;

    let todo: u64 = missing.iter().map(|&k| chunk_len(k, size) as u64).sum();
    if todo > 0 {
        let bar = progress_bar(todo, &format!("building library {} ({size} patches)", space.name));
        let result = missing.par_iter().try_for_each(|&k| {
            let first = k * CHUNK_SIZE;
            let count = chunk_len(k, size);
            let extractor = FeatureExtractor::new();
            let mut entries = Vec::with_capacity(count);
            for index in first..first + count {
                if stop.load(Ordering::Relaxed) {
                    return Err(LibraryError::Interrupted);
                }
                let point = space.point(seed, index as u64);
                let analysis = point_analysis(space, &point, &extractor);
                entries.push((point, analysis));
                bar.inc(1);
            }
            let path = chunk_path(dir, k);
            write_chunk(&path, first, space.knobs.len(), &entries).map_err(io_error(&path))
        });
        bar.finish_and_clear();
        result?;
    }
    Ok(manifest)
}

/// Writes a library of given points and their analyses into `dir` (e.g. from
/// captured clips, see `rackmatch library import`), in the same on-disk format
/// `build` writes and `load` reads. Chunks go first, the manifest last, each
/// atomically; `seed` is recorded as the points' sampling seed.
pub fn write(
    dir: &Path,
    space: &Space,
    seed: u64,
    entries: &[(SpacePoint, SoundAnalysis)],
) -> Result<Manifest, LibraryError> {
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let manifest_path = dir.join("library.json");
    // A stale manifest must not describe the new chunks while they are written.
    match std::fs::remove_file(&manifest_path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_error(&manifest_path)(e)),
        _ => {}
    }
    for (k, chunk) in entries.chunks(CHUNK_SIZE).enumerate() {
        let path = chunk_path(dir, k);
        write_chunk(&path, k * CHUNK_SIZE, space.knobs.len(), chunk).map_err(io_error(&path))?;
    }
    let manifest = Manifest::current(space, seed, entries.len());
    let json = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
    write_bytes_atomically(&manifest_path, &json).map_err(io_error(&manifest_path))?;
    Ok(manifest)
}

/// Renders a point as the space defines it and analyses its OUT.
pub fn point_analysis(space: &Space, point: &SpacePoint, extractor: &FeatureExtractor) -> SoundAnalysis {
    let params = space.render_params(point, "library", space.seconds, 0.0);
    let out: Vec<f32> = render_params(&params).iter().map(|f| f[0]).collect();
    extractor.analyse(&out)
}

/// Reads a library's manifest.
pub fn read_manifest(dir: &Path) -> Result<Manifest, LibraryError> {
    let path = dir.join("library.json");
    let text = std::fs::read(&path).map_err(io_error(&path))?;
    serde_json::from_slice(&text).map_err(|e| LibraryError::Corrupt { path, problem: e.to_string() })
}

/// Loads a complete library.
pub fn load(dir: &Path) -> Result<Library, LibraryError> {
    let manifest = read_manifest(dir)?;
    if manifest.format != LIBRARY_FORMAT
        || manifest.feature_version != FEATURE_VERSION
        || manifest.dims != DIMS
    {
        return Err(LibraryError::Mismatch {
            path: dir.to_path_buf(),
            problem: format!(
                "was built by another rackmatch (format {}, feature version {}); rebuild it with `rackmatch library build`",
                manifest.format, manifest.feature_version
            ),
        });
    }
    manifest
        .space
        .check_patch()
        .map_err(|problem| LibraryError::Corrupt { path: dir.join("library.json"), problem })?;
    let chunks = manifest.size.div_ceil(manifest.chunk_size);
    let mut points = Vec::with_capacity(manifest.size);
    let mut features = Vec::with_capacity(manifest.size * DIMS);
    let mut profiles = Vec::with_capacity(manifest.size * PROFILE_LEN);
    for k in 0..chunks {
        let path = chunk_path(dir, k);
        let chunk = read_chunk(
            &path,
            k * manifest.chunk_size,
            chunk_len(k, manifest.size),
            manifest.space.knobs.len(),
        )
        .map_err(|problem| LibraryError::Corrupt {
            path: path.clone(),
            problem: format!("{problem} (run `rackmatch library build` on this directory to repair it)"),
        })?;
        points.extend(chunk.points);
        features.extend(chunk.features);
        profiles.extend(chunk.profiles);
    }
    Ok(Library { dir: dir.to_path_buf(), manifest, points, features, profiles })
}

fn chunk_len(k: usize, size: usize) -> usize {
    CHUNK_SIZE.min(size - k * CHUNK_SIZE)
}

fn chunk_path(dir: &Path, k: usize) -> PathBuf {
    dir.join(format!("chunk-{k:06}.bin"))
}

fn write_chunk(
    path: &Path,
    first: usize,
    knobs: usize,
    entries: &[(SpacePoint, SoundAnalysis)],
) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(32 + entries.len() * record_len(knobs) + 8);
    bytes.extend_from_slice(MAGIC);
    for value in [LIBRARY_FORMAT, first as u32, entries.len() as u32, knobs as u32, DIMS as u32] {
        bytes.extend_from_slice(&value.to_le_bytes());
    }
    for (point, analysis) in entries {
        bytes.push(point.model);
        bytes.push(point.mode);
        for &v in &point.knobs {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        for &f in &analysis.features {
            bytes.extend_from_slice(&f16::from_f32(f).to_le_bytes());
        }
        bytes.extend_from_slice(&analysis.profile);
    }
    let checksum = fnv1a(&bytes);
    bytes.extend_from_slice(&checksum.to_le_bytes());
    write_atomically(path, |w| w.write_all(&bytes))
}

fn read_chunk(path: &Path, first: usize, count: usize, knobs: usize) -> Result<ChunkContents, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let header = 4 + 5 * 4;
    let record = record_len(knobs);
    if bytes.len() != header + count * record + 8 {
        return Err(format!("{} bytes, expected {}", bytes.len(), header + count * record + 8));
    }
    let (body, tail) = bytes.split_at(bytes.len() - 8);
    if fnv1a(body).to_le_bytes() != tail {
        return Err("checksum mismatch".into());
    }
    let word = |i: usize| u32::from_le_bytes(body[4 + 4 * i..8 + 4 * i].try_into().expect("4 bytes"));
    if &body[..4] != MAGIC
        || word(0) != LIBRARY_FORMAT
        || word(1) as usize != first
        || word(2) as usize != count
        || word(3) as usize != knobs
        || word(4) as usize != DIMS
    {
        return Err("header does not match the manifest".into());
    }
    let mut points = Vec::with_capacity(count);
    let mut features = Vec::with_capacity(count * DIMS);
    let mut profiles = Vec::with_capacity(count * PROFILE_LEN);
    for r in body[header..].chunks_exact(record) {
        let knob_values = r[2..2 + knobs * 4]
            .chunks_exact(4)
            .map(|b| i32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect();
        points.push(SpacePoint { model: r[0], mode: r[1], knobs: knob_values });
        let (feature_bytes, profile) = r[2 + knobs * 4..].split_at(DIMS * 2);
        features.extend(feature_bytes.chunks_exact(2).map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32()));
        profiles.extend_from_slice(profile);
    }
    Ok(ChunkContents { points, features, profiles })
}

/// What one chunk holds, in index order.
struct ChunkContents {
    points: Vec<SpacePoint>,
    features: Vec<f32>,
    profiles: Vec<u8>,
}

/// Bytes per point in a chunk.
fn record_len(knobs: usize) -> usize {
    2 + knobs * 4 + DIMS * 2 + std::mem::size_of::<SpectralProfile>()
}

/// FNV-1a, 64 bit: a cheap checksum for torn or damaged files.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_space() -> Space {
        let mut space = Space::default_space();
        space.models = vec![0];
        space.seconds = 0.1;
        space
    }

    #[test]
    fn build_is_deterministic_resumable_and_loads() {
        let dir = tempfile::tempdir().unwrap();
        let space = tiny_space();
        let stop = AtomicBool::new(false);
        build(dir.path(), &space, 5, CHUNK_SIZE + 10, &stop).unwrap();
        let first = load(dir.path()).unwrap();
        assert_eq!(first.points.len(), CHUNK_SIZE + 10);
        assert_eq!(first.points[3], space.point(5, 3));
        let chunk0 = std::fs::read(dir.path().join("chunk-000000.bin")).unwrap();
        // Damage the second chunk: a rebuild redoes only that one.
        std::fs::write(dir.path().join("chunk-000001.bin"), b"torn").unwrap();
        assert!(load(dir.path()).unwrap_err().to_string().contains("chunk-000001.bin"));
        build(dir.path(), &space, 5, CHUNK_SIZE + 10, &stop).unwrap();
        let second = load(dir.path()).unwrap();
        assert_eq!(first.features, second.features);
        assert_eq!(first.profiles, second.profiles);
        assert_eq!(first.profiles.len(), first.points.len() * PROFILE_LEN);
        assert_eq!(chunk0, std::fs::read(dir.path().join("chunk-000000.bin")).unwrap());
    }

    #[test]
    fn the_same_bytes_are_written_at_any_thread_count() {
        let space = tiny_space();
        let stop = AtomicBool::new(false);
        let files = |threads: usize| {
            let dir = tempfile::tempdir().unwrap();
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| build(dir.path(), &space, 9, 40, &stop)).unwrap();
            let mut names: Vec<_> =
                std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
            names.sort();
            names.iter().map(|p| std::fs::read(p).unwrap()).collect::<Vec<_>>()
        };
        assert_eq!(files(1), files(3));
    }

    #[test]
    fn written_libraries_load_back() {
        let dir = tempfile::tempdir().unwrap();
        let space = tiny_space();
        let entries: Vec<(SpacePoint, SoundAnalysis)> = (0..3)
            .map(|i| {
                let analysis =
                    SoundAnalysis { features: [i as f32 * 0.5; DIMS], profile: [i as u8 * 7; PROFILE_LEN] };
                (space.point(9, i), analysis)
            })
            .collect();
        write(dir.path(), &space, 9, &entries).unwrap();
        let library = load(dir.path()).unwrap();
        assert_eq!(library.points, entries.iter().map(|e| e.0.clone()).collect::<Vec<_>>());
        assert_eq!(library.features[DIMS], 0.5);
        assert_eq!(library.profile(2), [14; PROFILE_LEN]);
        assert_eq!(library.manifest.size, 3);
    }

    #[test]
    fn another_space_in_the_same_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let stop = AtomicBool::new(false);
        build(dir.path(), &tiny_space(), 5, 4, &stop).unwrap();
        let err = build(dir.path(), &tiny_space(), 6, 4, &stop).unwrap_err();
        assert!(matches!(err, LibraryError::Mismatch { .. }), "{err}");
    }

    #[test]
    fn an_interrupted_build_keeps_nothing_half_written() {
        let dir = tempfile::tempdir().unwrap();
        let stop = AtomicBool::new(true);
        let err = build(dir.path(), &tiny_space(), 5, 8, &stop).unwrap_err();
        assert!(matches!(err, LibraryError::Interrupted));
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["library.json"]);
    }
}
