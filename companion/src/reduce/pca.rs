//! PCA maps: the first two principal components, from the eigenvectors of
//! the covariance matrix (linfa-linalg's symmetric eigendecomposition).
//!
//! linfa-reduction's `Pca` (0.8.1, without BLAS) finds its components by
//! LOBPCG, which returned a wrong first component on a plain 3-D test
//! (0.37, 0.93, 0.03 where the spread lies along (0.71, 0.71, 0)); a dense
//! eigendecomposition of a covariance of at most a hundred dimensions is
//! exact and cheap.

use linfa_linalg::eigh::{EigSort, Eigh};
use ndarray::{Array2, Axis};

use super::ReduceError;

/// A PCA map.
#[derive(Clone, Debug, PartialEq)]
pub struct PcaMap {
    /// One (PC1, PC2) pair per input row.
    pub coords: Vec<[f64; 2]>,
    /// Share of the total variance each component explains.
    pub explained: [f64; 2],
}

/// Projects `rows` (one point per row) onto their first two principal
/// components. Each component's sign is fixed (its largest entry positive),
/// so the map does not flip between runs or machines.
pub fn pca_2d(rows: &Array2<f64>) -> Result<PcaMap, ReduceError> {
    let failed = |problem: String| ReduceError::Failed { what: "PCA".into(), problem };
    let (n, dims) = rows.dim();
    if n < 3 || dims < 2 {
        return Err(ReduceError::TooFewPoints { what: "PCA".into(), points: n, needed: 3 });
    }
    let mean = rows.mean_axis(Axis(0)).expect("rows are not empty");
    let centred = rows - &mean;
    let covariance = centred.t().dot(&centred) / (n - 1) as f64;
    let (values, vectors) = covariance.eigh().map_err(|e| failed(e.to_string()))?.sort_eig_desc();
    let mut components = vectors.slice(ndarray::s![.., 0..2]).to_owned();
    for mut component in components.columns_mut() {
        let largest = component.iter().copied().fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
        if largest < 0.0 {
            component.mapv_inplace(|x| -x);
        }
    }
    let projected = centred.dot(&components);
    let coords: Vec<[f64; 2]> = projected.outer_iter().map(|r| [r[0], r[1]]).collect();
    if coords.iter().flatten().any(|x| !x.is_finite()) {
        return Err(failed("the projection is not finite".into()));
    }
    let total: f64 = values.iter().map(|v| v.max(0.0)).sum::<f64>().max(f64::MIN_POSITIVE);
    Ok(PcaMap { coords, explained: [values[0].max(0.0) / total, values[1].max(0.0) / total] })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    #[test]
    fn the_first_component_follows_the_widest_spread() {
        let mut rng = SplitMix64::new(9);
        // Points spread 10× wider along (1, 1, 0) than along anything else.
        let mut rows = Array2::zeros((300, 3));
        for mut row in rows.outer_iter_mut() {
            let t = 10.0 * rng.normal();
            row[0] = t + rng.normal();
            row[1] = t + rng.normal();
            row[2] = rng.normal();
        }
        let map = pca_2d(&rows).unwrap();
        assert_eq!(map.coords.len(), 300);
        assert!(map.explained[0] > 0.9 && map.explained[1] < 0.1, "{:?}", map.explained);
        // PC1 is (x + y)/√2 of the centred point, up to the noise.
        let mean0 = rows.column(0).mean().unwrap();
        let mean1 = rows.column(1).mean().unwrap();
        for i in [5, 50, 250] {
            let along = (rows[[i, 0]] - mean0 + rows[[i, 1]] - mean1) / 2f64.sqrt();
            assert!((map.coords[i][0] - along).abs() < 0.05 * along.abs().max(1.0), "{i}");
        }
        assert_eq!(map, pca_2d(&rows).unwrap());
    }

    #[test]
    fn too_few_points_are_refused() {
        let rows = Array2::zeros((2, 5));
        assert!(matches!(pca_2d(&rows), Err(ReduceError::TooFewPoints { .. })));
    }
}
