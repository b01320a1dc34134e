//! Flushing of subnormal floats to zero, as VCV Rack's engine threads do.
//!
//! Rack runs every module with the CPU's flush-to-zero and denormals-are-zero
//! modes on. Without them, Plaits' exponential decays (`x *= k` with k > 0.5)
//! never reach zero: they round to a fixed subnormal value and stay there, and
//! every later operation on it is slow. Flushing those states once per block
//! changes values only below 1.2e-38, far below the 16-bit output's resolution.

/// `x`, or 0 when `x` is subnormal.
#[inline]
pub fn flush_denormal(x: f32) -> f32 {
    if x.abs() < f32::MIN_POSITIVE {
        0.0
    } else {
        x
    }
}

/// Magnitude below which a ringing filter state counts as rung out.
///
/// Flushing subnormals once per block leaves a resonator's states decaying
/// through the subnormal range inside every block for a long tail, and feeding
/// subnormals onward. Zeroing them earlier, at 1e-30, stops that. It is still
/// output-neutral: a state this small vanishes exactly (it is below half an
/// ulp) when the next input above about 1e-23 meets it, and without input it
/// leaves outputs some 25 orders of magnitude under the 16-bit step.
pub const NEGLIGIBLE: f32 = 1e-30;

/// `x`, or 0 when `|x|` is below [`NEGLIGIBLE`].
#[inline]
pub fn flush_negligible(x: f32) -> f32 {
    if x.abs() < NEGLIGIBLE {
        0.0
    } else {
        x
    }
}

/// Applies [`flush_denormal`] to each state in `states`.
#[inline]
pub fn flush_denormals<const N: usize>(states: [&mut f32; N]) {
    for x in states {
        *x = flush_denormal(*x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_subnormals_are_flushed() {
        assert_eq!(flush_denormal(f32::MIN_POSITIVE), f32::MIN_POSITIVE);
        assert_eq!(flush_denormal(-f32::MIN_POSITIVE), -f32::MIN_POSITIVE);
        assert_eq!(flush_denormal(f32::MIN_POSITIVE / 2.0), 0.0);
        assert_eq!(flush_denormal(-f32::from_bits(1)), 0.0);
        assert_eq!(flush_denormal(0.5), 0.5);
    }

    #[test]
    fn only_negligible_values_are_flushed() {
        assert_eq!(flush_negligible(-9e-31), 0.0);
        assert_eq!(flush_negligible(f32::from_bits(1)), 0.0);
        assert_eq!(flush_negligible(1e-30), 1e-30);
        assert_eq!(flush_negligible(-0.25), -0.25);
    }

    #[test]
    fn a_decay_with_k_above_one_half_gets_stuck_without_flushing() {
        let mut x = 1.0f32;
        for _ in 0..1000 {
            x *= 0.79;
        }
        assert!(x > 0.0 && x < f32::MIN_POSITIVE && x * 0.79 == x, "stuck at the subnormal {x:e}");
        let mut states = [x, 2.0];
        let [a, b] = &mut states;
        flush_denormals([a, b]);
        assert_eq!(states, [0.0, 2.0]);
    }
}
