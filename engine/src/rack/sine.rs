//! Rack's single-precision sine (the Cephes-style `sin_ps` of sse_mathfun),
//! which Fundamental's LFO uses for its sine output (fundamental-dsp.md §1.4).

/// 4/π as f32.
const FOUR_OVER_PI: f32 = 1.273_239_5;
/// π/4 split in three parts, for range reduction in f32 without losing bits.
const PI_OVER_4_PARTS: [f32; 3] = [0.785_156_25, 2.418_756_5e-4, 3.774_895e-8];

/// sin(x) in f32 with Cephes' range reduction and polynomials, in their order.
#[inline]
pub fn sin(x: f32) -> f32 {
    let negative = x.is_sign_negative();
    let magnitude = x.abs();
    // The octant index, rounded up to even so the reduced value lies in [-π/4, π/4].
    let mut octant = (magnitude * FOUR_OVER_PI) as i32;
    octant = (octant + 1) & !1;
    let y = octant as f32;
    let r = magnitude - y * PI_OVER_4_PARTS[0] - y * PI_OVER_4_PARTS[1] - y * PI_OVER_4_PARTS[2];
    let z = r * r;

    let mut cos_poly = 2.443_315_7e-5 * z;
    cos_poly += -1.388_731_6e-3;
    cos_poly *= z;
    cos_poly += 4.166_664_6e-2;
    cos_poly *= z;
    cos_poly *= z;
    cos_poly -= 0.5 * z;
    cos_poly += 1.0;

    let mut sin_poly = -1.951_529_6e-4 * z;
    sin_poly += 8.332_161e-3;
    sin_poly *= z;
    sin_poly += -1.666_665_5e-1;
    sin_poly *= z;
    sin_poly *= r;
    sin_poly += r;

    let value = if octant & 2 == 0 { sin_poly } else { cos_poly };
    if negative ^ (octant & 4 != 0) {
        -value
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_the_exact_sine_to_float_rounding() {
        let mut worst = 0.0f64;
        for i in -20_000..=20_000 {
            let x = i as f32 * 0.000_5;
            let error = (sin(x) as f64 - (x as f64).sin()).abs();
            worst = worst.max(error);
        }
        assert!(worst < 2.5e-7, "worst error {worst}");
    }

    #[test]
    fn is_odd_and_exact_at_zero() {
        assert_eq!(sin(0.0), 0.0);
        for x in [0.1f32, 1.0, 2.5, 4.0, 6.2831855] {
            assert_eq!(sin(-x), -sin(x));
        }
        assert!((sin(std::f32::consts::FRAC_PI_2) - 1.0).abs() < 1e-7);
    }
}
