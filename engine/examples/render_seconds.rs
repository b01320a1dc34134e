//! Real-time factor of one model at the defaults, for profiling and quick A/B
//! comparisons: `render_seconds MODEL SECONDS [trig] [REPEATS]`.
//!
//! The output buffer is touched before the clock starts, so page faults are not
//! counted, and the best of REPEATS renders is reported (the least disturbed by
//! other work on the machine).

use std::time::Instant;

use rackmatch_engine::{render_voice, VoiceSettings, FRAME_RATE};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let model: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(0);
    let seconds: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    let triggered = args.get(2).is_some_and(|a| a == "trig" || a == "t");
    let repeats: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1).max(1);
    let trigger = triggered.then(|| (0..seconds * 4).map(|i| i as f64 * 0.25).collect());
    let settings = VoiceSettings { model, trigger, ..VoiceSettings::default() };
    let mut frames = vec![[1.0f32; 2]; seconds * FRAME_RATE as usize];
    let mut best = f64::INFINITY;
    for _ in 0..repeats {
        let start = Instant::now();
        render_voice(&settings, &mut frames);
        best = best.min(start.elapsed().as_secs_f64());
    }
    let energy: f64 = frames.iter().map(|f| (f[0] as f64).powi(2)).sum();
    let mode = if triggered { "trig" } else { "drone" };
    println!("model {model} {mode}: {:.0}x real time (energy {energy:.3})", seconds as f64 / best);
}
