use rackmatch::features::FeatureExtractor;
use rackmatch::index::Index;
use rackmatch::library;
use rackmatch::matching::{knn_candidates, PreparedTarget};
use rackmatch::render_batch::render_params;

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap());
    let lib = library::load(&dir).unwrap();
    let index = Index::build(&lib.features);
    let ex = FeatureExtractor::new();
    let space = &lib.manifest.space;
    for i in [5usize, 100, 1000, 2021, 7777, 12345] {
        let p = &lib.points[i];
        let params = space.render_params(p, "t", space.seconds, 0.0);
        let out: Vec<f32> = render_params(&params).iter().map(|f| f[0]).collect();
        let target = PreparedTarget::new(out, &ex);
        let stored = &lib.features[i * 90..(i + 1) * 90];
        let maxdiff =
            stored.iter().zip(target.features.iter()).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        let nn = index.search(&target.features, 3);
        let c = knn_candidates(&target, &lib, &index, 8);
        println!("point {i} model {} mode {}: feature maxdiff {maxdiff:.4}; nn {:?}; best idx {:?} mss {:.4} method {}", p.model, p.mode, nn.iter().map(|n| (n.index, n.distance)).collect::<Vec<_>>(), c[0].library_index, c[0].distance, c[0].method);
    }
}
