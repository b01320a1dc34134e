//! Real-time factor of each engine: 1 s at the module's defaults, as a drone
//! and with a trigger every 0.25 s (the cases the C++ reference was timed on).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rackmatch_engine::{render_voice, VoiceSettings, ENGINE_COUNT, FRAME_RATE};

fn engines(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(FRAME_RATE as u64));
    group.sample_size(20);
    let mut frames = vec![[0.0f32; 2]; FRAME_RATE as usize];
    for model in 0..ENGINE_COUNT {
        for (mode, trigger) in [("drone", None), ("trig4hz", Some(vec![0.0, 0.25, 0.5, 0.75]))] {
            let settings = VoiceSettings { model, trigger, ..VoiceSettings::default() };
            if !render_voice(&settings, &mut frames) {
                continue;
            }
            let name = format!("model_{model:02}/{mode}");
            group.bench_function(&name, |b| {
                b.iter(|| render_voice(black_box(&settings), black_box(&mut frames)));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, engines);
criterion_main!(benches);
