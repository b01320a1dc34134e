//! Sparse random impulses ("dust") that excite the string and modal engines (engines-8-15.md §1.5).

use crate::dsp::random::Random;

/// One sample of dust at an average rate of `density` impulses per sample.
///
/// Draws exactly one random number per call, which keeps the shared
/// generator in step with the real module. An impulse's height is uniform in
/// [0, 1): the draw itself, rescaled by the reciprocal of `density` (multiplying
/// by `1 / density` rounds differently from dividing, and the module multiplies).
#[inline]
pub fn dust(random: &mut Random, density: f32) -> f32 {
    let u = random.get_float();
    if u < density {
        u * (1.0 / density)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_one_number_per_call_and_rescales_the_draw() {
        let density = 0.3;
        let mut random = Random::default();
        let mut reference = Random::default();
        for _ in 0..1000 {
            let u = reference.get_float();
            let expected = if u < density { u * (1.0 / density) } else { 0.0 };
            assert_eq!(dust(&mut random, density), expected);
        }
        assert_eq!(random, reference);
    }

    #[test]
    fn impulse_rate_and_heights_follow_the_density() {
        let mut random = Random::default();
        let density = 0.01;
        let n = 200_000;
        let impulses: Vec<f32> = (0..n).map(|_| dust(&mut random, density)).filter(|&x| x != 0.0).collect();
        let rate = impulses.len() as f32 / n as f32;
        assert!((rate / density - 1.0).abs() < 0.05, "{rate}");
        let mean = impulses.iter().sum::<f32>() / impulses.len() as f32;
        assert!((mean - 0.5).abs() < 0.03, "heights are uniform in [0, 1): mean {mean}");
        assert!(impulses.iter().all(|&x| (0.0..1.0).contains(&x)));
    }
}
