//! Real-time factor of the seed patch (LFO -> 8vert -> Plaits -> VCA Mix):
//! 1 s at 48 kHz, read from its `.vcv`, with the CC values of one of the
//! original run's parameter sets. Real-time factor = thrpt (elem/s) / 48000.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rackmatch::vcv::read_patch;
use rackmatch::vcv::render::{apply_values, CcValue, PatchRequest};
use rackmatch::vcv::renderable::build;
use rackmatch_engine::FRAME_RATE;

fn seed_patch(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../patches/seed-patch/ML_vcv.vcv");
    let seed = read_patch(&path).expect("the seed patch reads");
    // Parameter set 2 of the original run (the knobs the patch was saved with), master at CC 50.
    let cc = [(0, 102), (1, 22), (2, 124), (3, 58), (4, 4), (5, 68), (6, 104), (7, 120), (8, 96), (127, 50)]
        .map(|(cc, value)| CcValue { cc, value })
        .to_vec();
    let mut group = c.benchmark_group("seed_patch");
    group.throughput(Throughput::Elements(FRAME_RATE as u64));
    group.sample_size(20);
    // The seed's own model 13 when this build has it, else model 0.
    for model in [None, Some(0)] {
        let mut patch = seed.clone();
        let request = PatchRequest { cc: cc.clone(), set: vec![], model, trigger: None, seconds: 1.0 };
        apply_values(&mut patch, &request).expect("valid values");
        let Ok(mut renderable) = build(&patch) else {
            continue;
        };
        let name = match model {
            None => "model_13".to_string(),
            Some(m) => format!("model_{m:02}"),
        };
        group.bench_function(&name, |b| b.iter(|| black_box(renderable.render(black_box(request.frames())))));
    }
    group.finish();
}

criterion_group!(benches, seed_patch);
criterion_main!(benches);
