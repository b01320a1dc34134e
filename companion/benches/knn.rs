//! Exact k-nearest-neighbour query time over libraries of 100k and 1M feature
//! vectors, and of spectral profiles (random values: a full scan costs the
//! same whatever they hold).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rackmatch::analysis::spectral_profile::PROFILE_LEN;
use rackmatch::features::DIMS;
use rackmatch::index::{nearest_profiles, Index};
use rackmatch::rng::SplitMix64;

fn random_features(rows: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    (0..rows * DIMS).map(|_| rng.next_f64() as f32).collect()
}

fn knn_query(c: &mut Criterion) {
    let mut group = c.benchmark_group("knn_query_k64");
    group.sample_size(10);
    for rows in [100_000usize, 1_000_000] {
        let index = Index::build(&random_features(rows, 1));
        let query = random_features(1, 2);
        group.bench_with_input(BenchmarkId::from_parameter(rows), &rows, |b, _| {
            b.iter(|| black_box(index.search(black_box(&query), 64)))
        });
    }
    group.finish();
}

fn profile_query(c: &mut Criterion) {
    let mut group = c.benchmark_group("profile_query_k64");
    group.sample_size(10);
    let mut rng = SplitMix64::new(3);
    let query: Vec<u8> = (0..PROFILE_LEN).map(|_| rng.below(256) as u8).collect();
    for rows in [100_000usize, 1_000_000] {
        let profiles: Vec<u8> = (0..rows * PROFILE_LEN).map(|_| rng.below(256) as u8).collect();
        group.bench_with_input(BenchmarkId::from_parameter(rows), &rows, |b, _| {
            b.iter(|| black_box(nearest_profiles(black_box(&profiles), black_box(&query), 64)))
        });
    }
    group.finish();
}

criterion_group!(benches, knn_query, profile_query);
criterion_main!(benches);
