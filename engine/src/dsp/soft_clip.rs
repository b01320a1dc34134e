//! Rational soft saturation (voice.md §4.4).

/// `x(27 + x²)/(27 + 9x²)`: unity slope at 0, reaching ±1 at ±3.
#[inline]
pub fn soft_limit(x: f32) -> f32 {
    x * (27.0 + x * x) / (27.0 + 9.0 * x * x)
}

/// [`soft_limit`] held at ±1 beyond ±3.
#[inline]
pub fn soft_clip(x: f32) -> f32 {
    if x < -3.0 {
        -1.0
    } else if x > 3.0 {
        1.0
    } else {
        soft_limit(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_clip_is_odd_monotone_and_bounded() {
        assert_eq!(soft_clip(3.0), 1.0);
        assert_eq!(soft_clip(10.0), 1.0);
        assert_eq!(soft_clip(-10.0), -1.0);
        let mut previous = -1.0f32;
        for i in -300..=300 {
            let x = i as f32 / 100.0;
            let y = soft_clip(x);
            assert_eq!(y, -soft_clip(-x));
            // Monotone and bounded up to f32 rounding next to ±3.
            assert!(y >= previous - 1e-6 && y.abs() <= 1.0 + 1e-6, "{x}: {y}");
            previous = y;
        }
        assert!((soft_limit(0.01) - 0.01).abs() < 1e-6);
    }
}
