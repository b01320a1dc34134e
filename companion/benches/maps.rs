//! Reductions and plots for one 5,000-point map: PCA and one t-SNE cell
//! (perplexity 30, 1,000 iterations) of the full encoding, then both figures
//! as PNG and SVG. Synthetic features: 16 "engines", each a Gaussian blob.
//! The whole 4×4 grid is too long for criterion; it is timed with
//! `rackmatch seed-table` (see the report of issue 6).

use std::hint::black_box;
use std::sync::atomic::AtomicBool;

use criterion::{criterion_group, criterion_main, Criterion};
use rackmatch::features::DIMS;
use rackmatch::index::Index;
use rackmatch::library::{Library, Manifest};
use rackmatch::plots::map_grid::{MapFigure, MapLegend, Panel};
use rackmatch::plots::write_figure;
use rackmatch::reduce::encoding::{Encoding, ScaledFeatures, Sound};
use rackmatch::reduce::maps::{compute_maps, MapRequest};
use rackmatch::reduce::MapSettings;
use rackmatch::rng::SplitMix64;
use rackmatch::space::{Space, SpacePoint};

const POINTS: usize = 5000;

fn synthetic_library() -> Library {
    let space = Space::default_space();
    let mut rng = SplitMix64::new(1);
    let centres: Vec<f32> = (0..16 * DIMS).map(|_| 3.0 * rng.normal() as f32).collect();
    let points: Vec<SpacePoint> = (0..POINTS)
        .map(|i| SpacePoint { model: (i % 16) as u8, mode: 0, knobs: vec![0; space.knobs.len()] })
        .collect();
    let features = (0..POINTS * DIMS)
        .map(|k| centres[(k / DIMS % 16) * DIMS + k % DIMS] + rng.normal() as f32)
        .collect();
    let manifest = Manifest {
        format: rackmatch::library::LIBRARY_FORMAT,
        feature_version: rackmatch::features::FEATURE_VERSION,
        dims: DIMS,
        space,
        seed: 1,
        size: POINTS,
        chunk_size: rackmatch::library::CHUNK_SIZE,
    };
    let profiles = vec![0; POINTS * rackmatch::analysis::spectral_profile::PROFILE_LEN];
    Library { dir: "synthetic".into(), manifest, points, features, profiles }
}

fn map_5000(c: &mut Criterion) {
    let library = synthetic_library();
    let index = Index::build(&library.features);
    let mut target = [0.0f32; DIMS];
    target.copy_from_slice(&library.features[..DIMS]);
    let sounds = [("target".to_string(), Sound { samples: &[], features: &target })];
    let encodings: Vec<Box<dyn Encoding>> = vec![Box::new(ScaledFeatures::full())];
    let settings =
        MapSettings { perplexities: vec![30.0], iterations: vec![1000], max_points: POINTS, seed: 1 };
    let out = tempfile::tempdir().unwrap();
    let stop = AtomicBool::new(false);
    let engines: Vec<u8> = library.points.iter().map(|p| p.model).collect();
    let mut group = c.benchmark_group("maps");
    group.sample_size(10);
    group.bench_function("pca_tsne_p30_i1000_and_figures_5000_points", |b| {
        b.iter(|| {
            let request = MapRequest {
                library: &library,
                index: &index,
                sounds: &sounds,
                required: &[],
                settings: &settings,
                encodings: &encodings,
                keep_dir: None,
            };
            let maps = compute_maps(&request, &stop).unwrap();
            let legend = MapLegend { engines: &engines, sounds: &maps.sound_labels };
            for (k, cell) in maps.cells.iter().enumerate() {
                let coords = cell.map.as_ref().map(|m| &m.coords[..]).map_err(Clone::clone);
                let figure = MapFigure {
                    title: cell.reduction.label(),
                    subtitle: String::new(),
                    legend,
                    panels: vec![Panel { title: String::new(), coords, axes: None }],
                    rows: 1,
                    cols: 1,
                    panel_size: 760,
                };
                black_box(write_figure(&figure, &out.path().join(format!("map-{k}"))).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, map_5000);
criterion_main!(benches);
