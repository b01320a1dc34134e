//! Table reads with linear and Hermite interpolation (voice.md §4.2).

/// Splits `x` into its integral part (rounded toward zero) and the rest.
#[inline]
pub fn split(x: f32) -> (i32, f32) {
    let integral = x as i32;
    (integral, x - integral as f32)
}

/// Linear interpolation of `table` at position `index · size`.
#[inline]
pub fn interpolate(table: &[f32], index: f32, size: f32) -> f32 {
    let (integral, fractional) = split(index * size);
    // Out-of-range reads would be undefined in the original; pin them to the table.
    let i = (integral.max(0) as usize).min(table.len() - 2);
    let a = table[i];
    let b = table[i + 1];
    a + (b - a) * fractional
}

/// [`interpolate`] after removing the integral part of a non-negative `index`.
#[inline]
pub fn interpolate_wrap(table: &[f32], index: f32, size: f32) -> f32 {
    let index = index - (index as i32) as f32;
    interpolate(table, index, size)
}

/// Catmull-Rom interpolation at `index · size` of a table whose entry 0 is the
/// point *before* position 0: entries `i..i + 4` play the roles x₋₁, x₀, x₁, x₂.
///
/// This is the original's `InterpolateHermite(table + 1, ...)` without the
/// negative index.
#[inline]
pub fn interpolate_hermite(table: &[f32], index: f32, size: f32) -> f32 {
    let (i, fractional) = hermite_position(table.len(), index, size);
    hermite_at(table, i, fractional)
}

/// Where [`interpolate_hermite`] reads a table of `length` entries: the first
/// of its four points and the fraction. Tables of one length read at the same
/// index share it.
#[inline]
pub fn hermite_position(length: usize, index: f32, size: f32) -> (usize, f32) {
    let (integral, fractional) = split(index * size);
    ((integral.max(0) as usize).min(length - 4), fractional)
}

/// The Hermite interpolation of `table` from point `i` at fraction `t`.
#[inline]
pub fn hermite_at(table: &[f32], i: usize, t: f32) -> f32 {
    hermite(table[i], table[i + 1], table[i + 2], table[i + 3], t)
}

/// The 4-point Hermite polynomial between `x0` and `x1`.
#[inline]
pub fn hermite(xm1: f32, x0: f32, x1: f32, x2: f32, t: f32) -> f32 {
    let c = (x1 - xm1) * 0.5;
    let v = x0 - x1;
    let w = c + v;
    let a = w + v + (x2 - x0) * 0.5;
    let b_neg = w + a;
    ((a * t - b_neg) * t + c) * t + x0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_truncates_toward_zero() {
        assert_eq!(split(2.75), (2, 0.75));
        assert_eq!(split(-2.75), (-2, -0.75));
    }

    #[test]
    fn linear_interpolation_is_exact_on_a_line() {
        let table: Vec<f32> = (0..9).map(|i| i as f32 * 2.0).collect();
        assert_eq!(interpolate(&table, 0.5, 8.0), 8.0);
        assert_eq!(interpolate(&table, 0.5625, 8.0), 9.0);
        assert_eq!(interpolate_wrap(&table, 3.5625, 8.0), 9.0);
    }

    #[test]
    fn hermite_passes_through_its_points_and_is_exact_on_a_cubic() {
        let f = |x: f32| 0.5 * x * x * x - x * x + 3.0;
        let table: Vec<f32> = (0..8).map(|i| i as f32).map(f).collect();
        assert_eq!(hermite(table[1], table[2], table[3], table[4], 0.0), table[2]);
        // Catmull-Rom reproduces quadratics exactly.
        // Entry 0 is x(-1), so position 2.5 is x = 2.5.
        let q: Vec<f32> = (-1..8).map(|i| (i * i) as f32).collect();
        assert!((interpolate_hermite(&q, 2.5 / 7.0, 7.0) - 6.25).abs() < 1e-5);
    }
}
