//! Renders N seconds of one model at the defaults, for profiling:
//! `render_seconds MODEL SECONDS [trig]`.

use rackmatch_engine::{render_voice, VoiceSettings};

fn main() {
    let mut args = std::env::args().skip(1);
    let model: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    let seconds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let trigger = args.next().map(|_| (0..seconds * 4).map(|i| i as f64 * 0.25).collect());
    let settings = VoiceSettings { model, trigger, ..VoiceSettings::default() };
    let mut frames = vec![[0.0f32; 2]; seconds * 48_000];
    render_voice(&settings, &mut frames);
    let energy: f64 = frames.iter().map(|f| (f[0] as f64).powi(2)).sum();
    println!("model {model}: {seconds} s, energy {energy:.3}");
}
