//! Feature values are pinned to the bit: a library on disk holds features
//! computed by an earlier build, so a faster extractor must give exactly the
//! same vectors (a real change of the features bumps `FEATURE_VERSION`
//! instead, which rebuilds libraries, and updates the hash here). The same
//! holds for the spectral profiles stored beside them.

use rackmatch::features::FeatureExtractor;
use rackmatch::library::point_analysis;
use rackmatch::space::Space;

/// FNV-1a over the bits of every feature of 64 library points of the default
/// space (seed 99: four per engine, drones and strikes).
const GOLDEN_HASH: u64 = 0xf946_ccf0_6ee9_f9e8;
/// FNV-1a over the spectral profiles of the same points.
const PROFILE_GOLDEN_HASH: u64 = 0x8f90_714f_1fbb_0168;

#[test]
fn features_of_library_points_are_unchanged() {
    let space = Space::default_space();
    let extractor = FeatureExtractor::new();
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    let mut profiles = Vec::new();
    for index in 0..64 {
        let point = space.point(99, index);
        let analysis = point_analysis(&space, &point, &extractor);
        for value in analysis.features {
            for byte in value.to_bits().to_le_bytes() {
                hash ^= byte as u64;
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        profiles.extend_from_slice(&analysis.profile);
    }
    assert_eq!(hash, GOLDEN_HASH, "features changed: got {hash:#018x}");
    let profile_hash = rackmatch::library::fnv1a(&profiles);
    assert_eq!(profile_hash, PROFILE_GOLDEN_HASH, "spectral profiles changed: got {profile_hash:#018x}");
}
