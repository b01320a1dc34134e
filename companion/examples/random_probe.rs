use rackmatch::audio_in::load_target;
use rackmatch::features::FeatureExtractor;
use rackmatch::matching::PreparedTarget;
use rackmatch::space::Space;
use rayon::prelude::*;

fn main() {
    let path = std::env::args().nth(1).unwrap();
    let model: u32 = std::env::args().nth(2).unwrap().parse().unwrap();
    let n: u64 = std::env::args().nth(3).unwrap().parse().unwrap();
    let audio = load_target(std::path::Path::new(&path)).unwrap();
    let target = PreparedTarget::new(audio.samples, &FeatureExtractor::new());
    let mut space = Space::default_space();
    space.models = vec![model];
    eprintln!(
        "target {:.3}s start {:.4} f0feat {:.3} voicing {:.2}",
        target.seconds(),
        target.start_seconds,
        target.features[83],
        target.features[84]
    );
    let mut results: Vec<(f64, String)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let p = space.point(77, i);
            let params = space.render_params(&p, "x", target.seconds(), target.onset_delay());
            let (d, _) = target.score(&params);
            (
                d,
                format!(
                    "{:?} f{:.3} h{:.3} t{:.3} m{:.3} c{:.3} d{:.3}",
                    params.trigger,
                    params.frequency,
                    params.harmonics,
                    params.timbre,
                    params.morph,
                    params.lpg_colour,
                    params.lpg_decay
                ),
            )
        })
        .collect();
    results.sort_by(|a, b| a.0.total_cmp(&b.0));
    for r in results.iter().take(5) {
        println!("{:.4} {}", r.0, r.1);
    }
    println!("median {:.4}", results[results.len() / 2].0);
}
