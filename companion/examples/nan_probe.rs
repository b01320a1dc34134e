use rackmatch::library;
fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap());
    let lib = library::load(&dir).unwrap();
    let mut dims = std::collections::BTreeMap::new();
    let mut rows = std::collections::BTreeMap::new();
    for (i, row) in lib.features.chunks(90).enumerate() {
        for (d, x) in row.iter().enumerate() {
            if !x.is_finite() {
                *dims.entry(d).or_insert(0) += 1;
                rows.entry(lib.points[i].model).or_insert((i, 0)).1 += 1;
            }
        }
    }
    println!("dims {:?}\nmodels {:?}", dims, rows);
}
