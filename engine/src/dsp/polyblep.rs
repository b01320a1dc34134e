//! PolyBLEP residuals that band-limit steps and slope changes (voice.md §4.3).
//!
//! `t` is the fraction of a sample elapsed since the discontinuity.

/// Correction for the sample in which a unit step happened.
#[inline]
pub fn this_blep_sample(t: f32) -> f32 {
    0.5 * t * t
}

/// Correction for the sample after a unit step.
#[inline]
pub fn next_blep_sample(t: f32) -> f32 {
    let t = 1.0 - t;
    -0.5 * t * t
}

/// Correction for the sample after a unit change of slope.
#[inline]
pub fn next_integrated_blep_sample(t: f32) -> f32 {
    let t1 = 0.5 * t;
    let t2 = t1 * t1;
    let t4 = t2 * t2;
    0.1875 - t1 + 1.5 * t2 - t4
}

/// Correction for the sample in which a unit change of slope happened.
#[inline]
pub fn this_integrated_blep_sample(t: f32) -> f32 {
    next_integrated_blep_sample(1.0 - t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_residuals_sum_to_a_continuous_step() {
        // The two halves of the residual meet: this(1) - next(0) spans the unit step.
        assert_eq!(this_blep_sample(1.0) - next_blep_sample(0.0), 1.0);
        assert_eq!(this_blep_sample(0.0), 0.0);
        assert_eq!(next_blep_sample(1.0), 0.0);
    }

    #[test]
    fn integrated_residuals_are_symmetric_and_vanish_at_the_far_end() {
        assert_eq!(next_integrated_blep_sample(1.0), 0.0);
        assert_eq!(this_integrated_blep_sample(0.0), 0.0);
        assert_eq!(next_integrated_blep_sample(0.0), 0.1875);
        for t in [0.1f32, 0.4, 0.7] {
            assert_eq!(this_integrated_blep_sample(t), next_integrated_blep_sample(1.0 - t));
        }
    }
}
