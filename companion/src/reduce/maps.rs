//! Making every map of a request: each encoding × reduction over the same
//! rows (mapped library points, then outside sounds), in parallel, each
//! finished map kept on disk so an interrupted run resumes.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::encoding::{Encoding, Sound};
use super::pca::pca_2d;
use super::subsample::stratified_subsample;
use super::tsne::{max_perplexity, tsne_2d, Neighbours};
use super::{MapSettings, ReduceError, Reduction};
use crate::atomic::write_bytes_atomically;
use crate::index::Index;
use crate::library::{fnv1a, Library};
use crate::render_batch::progress_bar;

/// Version of the kept-map files; a change makes old ones be recomputed.
const MAP_FILE_VERSION: u32 = 1;

/// What to map.
pub struct MapRequest<'a> {
    /// The library.
    pub library: &'a Library,
    /// Its index (scaler and scaled rows).
    pub index: &'a Index,
    /// Outside sounds placed on every map (target first), with their labels.
    pub sounds: &'a [(String, Sound<'a>)],
    /// Library points every map must show (the nearest ones, say).
    pub required: &'a [usize],
    /// Grid, subsample size and seed.
    pub settings: &'a MapSettings,
    /// Encodings, in display order.
    pub encodings: &'a [Box<dyn Encoding>],
    /// Where finished maps are kept (and found again), if anywhere.
    pub keep_dir: Option<&'a Path>,
}

/// One finished map.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Map {
    /// Encoding name.
    pub encoding: String,
    /// Reduction.
    pub reduction: Reduction,
    /// t-SNE: the perplexity actually used.
    pub perplexity_used: Option<f64>,
    /// PCA: share of the variance on each axis.
    pub explained: Option<[f64; 2]>,
    /// Mapped library points first (`MapSet::library_points` order), then the sounds.
    pub coords: Vec<[f64; 2]>,
    /// Seconds of the run that made it (one t-SNE run makes every iteration count of a perplexity).
    pub seconds: f64,
}

/// One map of the request, or why it failed.
#[derive(Clone, Debug)]
pub struct MapCell {
    /// Encoding name.
    pub encoding: String,
    /// Reduction.
    pub reduction: Reduction,
    /// The map, or the failure in words.
    pub map: Result<Map, String>,
}

/// Every map of a request.
#[derive(Clone, Debug)]
pub struct MapSet {
    /// Library indices of the mapped points (map rows `0..len`).
    pub library_points: Vec<usize>,
    /// Labels of the sounds (map rows after the library points).
    pub sound_labels: Vec<String>,
    /// Size of the whole library.
    pub library_size: usize,
    /// Cells encoding-major, reductions in `MapSettings::reductions` order.
    pub cells: Vec<MapCell>,
}

impl MapSet {
    /// Map row of sound `k`.
    pub fn sound_row(&self, k: usize) -> usize {
        self.library_points.len() + k
    }

    /// The library point nearest (Euclidean, in the map) to sound `k`; ties go to the lower index.
    pub fn nearest_library_point(&self, map: &Map, k: usize) -> Option<usize> {
        let [x, y] = map.coords[self.sound_row(k)];
        let squared = |p: &[f64; 2]| (p[0] - x).powi(2) + (p[1] - y).powi(2);
        (0..self.library_points.len())
            .min_by(|&a, &b| squared(&map.coords[a]).total_cmp(&squared(&map.coords[b])).then(a.cmp(&b)))
            .map(|row| self.library_points[row])
    }
}

#[derive(Serialize, Deserialize)]
struct KeptMap {
    version: u32,
    key: String,
    map: Map,
}

/// One unit of work: PCA, or one t-SNE run (every iteration count of a perplexity).
#[derive(Clone, Copy, Debug)]
enum Run {
    Pca,
    Tsne { perplexity: f64 },
}

/// The rows of one encoding, `n × dims` row-major, and their nearest
/// neighbours where a t-SNE map still has to be made from them.
struct Rows {
    data: Vec<f32>,
    dims: usize,
    neighbours: Option<Neighbours>,
}

/// Makes every map of `request`. Runs go in parallel (collected in order, so
/// the result does not depend on the thread count); a failed map is reported
/// in its `MapCell`, not as an error of the whole set. `stop` is polled before
/// each run; maps finished before an interruption are kept.
pub fn compute_maps(request: &MapRequest, stop: &AtomicBool) -> Result<MapSet, ReduceError> {
    let library = request.library;
    let settings = request.settings;
    let library_points = stratified_subsample(
        &library.points.iter().map(|p| p.model).collect::<Vec<_>>(),
        settings.max_points,
        request.required,
        settings.seed,
    );
    let mut runs = vec![Run::Pca];
    runs.extend(settings.perplexities.iter().map(|&perplexity| Run::Tsne { perplexity }));
    let encoded: Vec<Result<Rows, String>> = request
        .encodings
        .iter()
        .map(|e| {
            let mut rows = encoded_rows(e.as_ref(), request, &library_points)?;
            let tsne = runs.iter().filter(|r| matches!(r, Run::Tsne { .. }));
            let all_kept = request.keep_dir.is_some_and(|dir| {
                tsne.flat_map(|r| reductions_of(r, settings)).all(|r| {
                    read_kept(&kept_path(dir, e.name(), &r), &map_key(e.name(), &r, &rows, settings.seed))
                        .is_some()
                })
            });
            if !settings.perplexities.is_empty() && !all_kept {
                let n = rows.data.len() / rows.dims;
                let largest =
                    settings.perplexities.iter().copied().fold(0.0, f64::max).min(max_perplexity(n));
                rows.neighbours =
                    Some(Neighbours::find(&rows.data, rows.dims, Neighbours::count_for(largest)));
            }
            Ok(rows)
        })
        .collect();
    let jobs: Vec<(usize, Run)> =
        (0..request.encodings.len()).flat_map(|e| runs.iter().map(move |r| (e, *r))).collect();
    // Longest first, so two workers finish together; results go back in request order.
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&j| std::cmp::Reverse(cost(&jobs[j].1, settings)));
    let what = format!("mapping {} points", library_points.len() + request.sounds.len());
    let bar = progress_bar(jobs.len() as u64, &what);
    let done: Vec<(usize, Option<Vec<MapCell>>)> = order
        .into_par_iter()
        .map(|j| {
            let (e, run) = jobs[j];
            let name = request.encodings[e].name();
            let cells = match &encoded[e] {
                Err(problem) => Some(failed_cells(name, &run, settings, problem)),
                Ok(_) if stop.load(Ordering::Relaxed) => None,
                Ok(rows) => Some(run_cells(name, &run, rows, settings, request.keep_dir)),
            };
            bar.inc(1);
            (j, cells)
        })
        .collect();
    bar.finish_and_clear();
    let mut by_job: Vec<Vec<MapCell>> = vec![Vec::new(); jobs.len()];
    for (j, cells) in done {
        by_job[j] = cells.ok_or(ReduceError::Interrupted)?;
    }
    Ok(MapSet {
        library_points,
        sound_labels: request.sounds.iter().map(|(label, _)| label.clone()).collect(),
        library_size: library.points.len(),
        cells: by_job.into_iter().flatten().collect(),
    })
}

/// Rough relative cost of a run, for scheduling.
fn cost(run: &Run, settings: &MapSettings) -> u64 {
    match run {
        Run::Pca => 1,
        Run::Tsne { perplexity } => {
            settings.iterations.iter().copied().max().unwrap_or(0) as u64 * (10.0 + perplexity) as u64
        }
    }
}

/// The reductions a run produces, in grid order.
fn reductions_of(run: &Run, settings: &MapSettings) -> Vec<Reduction> {
    match *run {
        Run::Pca => vec![Reduction::Pca],
        Run::Tsne { perplexity } => {
            settings.iterations.iter().map(|&iterations| Reduction::Tsne { perplexity, iterations }).collect()
        }
    }
}

fn failed_cells(encoding: &str, run: &Run, settings: &MapSettings, problem: &str) -> Vec<MapCell> {
    reductions_of(run, settings)
        .into_iter()
        .map(|reduction| MapCell { encoding: encoding.to_string(), reduction, map: Err(problem.to_string()) })
        .collect()
}

/// The rows of one encoding: mapped library points, then the sounds.
fn encoded_rows(encoding: &dyn Encoding, request: &MapRequest, points: &[usize]) -> Result<Rows, String> {
    let mut vectors = encoding.encode_library(request.library, request.index, points)?;
    for (_, sound) in request.sounds {
        vectors.push(encoding.encode_sound(request.index, sound)?);
    }
    let dims = vectors.first().map_or(0, Vec::len);
    if dims == 0 || vectors.iter().any(|r| r.len() != dims) {
        return Err("empty vectors or vectors of different lengths".into());
    }
    if vectors.iter().flatten().any(|x| !x.is_finite()) {
        return Err("a vector holds a value that is not finite".into());
    }
    Ok(Rows { data: vectors.concat(), dims, neighbours: None })
}

/// The maps of one run, each from its kept file when its inputs are unchanged.
fn run_cells(
    encoding: &str,
    run: &Run,
    rows: &Rows,
    settings: &MapSettings,
    keep_dir: Option<&Path>,
) -> Vec<MapCell> {
    let reductions = reductions_of(run, settings);
    let keys: Vec<String> = reductions.iter().map(|r| map_key(encoding, r, rows, settings.seed)).collect();
    let kept: Option<Vec<Map>> = keep_dir.and_then(|dir| {
        reductions.iter().zip(&keys).map(|(r, key)| read_kept(&kept_path(dir, encoding, r), key)).collect()
    });
    let cell = |reduction: Reduction, map: Result<Map, String>| MapCell {
        encoding: encoding.to_string(),
        reduction,
        map,
    };
    if let Some(maps) = kept {
        return reductions.into_iter().zip(maps).map(|(r, m)| cell(r, Ok(m))).collect();
    }
    let started = Instant::now();
    let blank = |reduction: Reduction| Map {
        encoding: encoding.to_string(),
        reduction,
        perplexity_used: None,
        explained: None,
        coords: Vec::new(),
        seconds: 0.0,
    };
    let maps: Result<Vec<Map>, String> = match *run {
        Run::Pca => {
            let n = rows.data.len() / rows.dims;
            let array = Array2::from_shape_fn((n, rows.dims), |(i, d)| rows.data[i * rows.dims + d] as f64);
            pca_2d(&array).map_err(|e| e.to_string()).map(|pca| {
                vec![Map { coords: pca.coords, explained: Some(pca.explained), ..blank(Reduction::Pca) }]
            })
        }
        Run::Tsne { perplexity } => rows
            .neighbours
            .as_ref()
            .ok_or_else(|| "the nearest neighbours were not searched".to_string())
            .and_then(|neighbours| {
                tsne_2d(neighbours, perplexity, &settings.iterations, settings.seed)
                    .map_err(|e| e.to_string())
            })
            .map(|tsne| {
                tsne.maps
                    .into_iter()
                    .map(|(iterations, coords)| Map {
                        coords,
                        perplexity_used: Some(tsne.perplexity_used),
                        ..blank(Reduction::Tsne { perplexity, iterations })
                    })
                    .collect()
            }),
    };
    let seconds = started.elapsed().as_secs_f64();
    match maps {
        Err(problem) => reductions.into_iter().map(|r| cell(r, Err(problem.clone()))).collect(),
        Ok(maps) => reductions
            .into_iter()
            .zip(maps)
            .zip(&keys)
            .map(|((reduction, mut map), key)| {
                map.seconds = seconds;
                let kept = keep_dir.map(|dir| keep(&kept_path(dir, encoding, &reduction), key, &map));
                match kept {
                    Some(Err(problem)) => cell(reduction, Err(problem)),
                    _ => cell(reduction, Ok(map)),
                }
            })
            .collect(),
    }
}

fn keep(path: &Path, key: &str, map: &Map) -> Result<(), String> {
    let kept = KeptMap { version: MAP_FILE_VERSION, key: key.to_string(), map: map.clone() };
    let json = serde_json::to_vec(&kept).map_err(|e| e.to_string())?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    write_bytes_atomically(path, &json).map_err(|e| format!("{}: {e}", path.display()))
}

/// Where a finished map is kept.
pub fn kept_path(dir: &Path, encoding: &str, reduction: &Reduction) -> PathBuf {
    dir.join(format!("{encoding}-{}.json", reduction.slug()))
}

fn read_kept(path: &Path, key: &str) -> Option<Map> {
    let kept: KeptMap = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    (kept.version == MAP_FILE_VERSION && kept.key == key).then_some(kept.map)
}

/// A checksum of everything a map depends on.
fn map_key(encoding: &str, reduction: &Reduction, rows: &Rows, seed: u64) -> String {
    let mut bytes = format!("{encoding}|{}|{seed}|{}|", reduction.slug(), rows.dims).into_bytes();
    for x in &rows.data {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    format!("{:016x}", fnv1a(&bytes))
}
