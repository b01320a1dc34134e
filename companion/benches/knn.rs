//! Exact k-nearest-neighbour query time over libraries of 100k and 1M feature
//! vectors (random features: a full scan costs the same whatever they hold).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rackmatch::features::DIMS;
use rackmatch::index::Index;
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

criterion_group!(benches, knn_query);
criterion_main!(benches);
