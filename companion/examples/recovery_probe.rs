use rackmatch::features::FeatureExtractor;
use rackmatch::index::Index;
use rackmatch::library;
use rackmatch::matching::{knn_candidates, PreparedTarget};
use rackmatch::render_batch::render_params;
use rackmatch::space::Space;
use std::sync::atomic::AtomicBool;

fn main() {
    let mut space = Space::default_space();
    let models: Vec<u32> = std::env::args().nth(1).unwrap().split(',').map(|s| s.parse().unwrap()).collect();
    space.models = models;
    let size: usize = std::env::args().nth(2).unwrap().parse().unwrap();
    let dir = std::path::PathBuf::from("/tmp/probe-lib");
    let t = std::time::Instant::now();
    if std::env::args().nth(3).is_some() {
        let _ = std::fs::remove_dir_all(&dir);
        library::build(&dir, &space, 1, size, &AtomicBool::new(false)).unwrap();
    }
    eprintln!("build {:.1}s", t.elapsed().as_secs_f64());
    let lib = library::load(&dir).unwrap();
    let index = Index::build(&lib.features);
    let ex = FeatureExtractor::new();
    let mut mss = vec![];
    let mut eng = 0;
    let mut note = 0;
    for i in 0..40u64 {
        let p = space.point(999, i);
        let params = space.render_params(&p, "t", 1.0, 0.0);
        let out: Vec<f32> = render_params(&params).iter().map(|f| f[0]).collect();
        let target = PreparedTarget::new(out, &ex);
        let c = knn_candidates(&target, &lib, &index, 16);
        let best = &c[0];
        mss.push(best.distance);
        if i < 10 {
            eprintln!(
                "t m{} f{:.3} h{:.2} trig {:?} f0feat {:.3} v{:.2} | best m{} f{:.3} h{:.2} {:?} mss {:.3}",
                params.model,
                params.frequency,
                params.harmonics,
                params.trigger,
                target.features[83],
                target.features[84],
                best.params.model,
                best.params.frequency,
                best.params.harmonics,
                best.params.trigger,
                best.distance
            );
        }
        if best.params.model == params.model {
            eng += 1;
        }
        if (best.params.frequency - params.frequency).abs() * 1200.0 < 50.0 {
            note += 1;
        }
    }
    mss.sort_by(f64::total_cmp);
    println!("median mss {:.3}, engine {}/40, note {}/40", mss[20], eng, note);
}
