//! Table reads for a whole block at once, for oscillators that work in
//! block passes: the same bits as the per-sample functions, in a form the
//! compiler runs several samples to a vector.

use crate::dsp::sine::sine;
use crate::engines::{Block, BLOCK_SIZE};
use crate::tables::LUT_SINE;

/// The integral parts (`x as i32`) and the fractional parts
/// (`x - integral as f32`) of a block of table positions.
///
/// Rust's saturating float-to-int conversion is scalar code; positions in
/// [0, 2²³), the usual case, take a vectorisable route to the same values.
#[inline(always)]
pub(crate) fn truncate(position: &Block) -> ([i32; BLOCK_SIZE], Block) {
    const TWO_POW_23: f32 = 8_388_608.0;
    if position.iter().fold(true, |all, x| all & (0.0..TWO_POW_23).contains(x)) {
        // `x + 2²³` lies in [2²³, 2²⁴), where the f32 spacing is 1: the sum
        // rounds `x` to an integer, exactly, and holds it in its low mantissa
        // bits; stepping back by one where it rounded up gives the truncation.
        let rounded = position.map(|x| (x + TWO_POW_23) - TWO_POW_23);
        let truncated: Block = std::array::from_fn(|k| {
            let (x, r) = (position[k], rounded[k]);
            if r > x {
                r - 1.0
            } else {
                r
            }
        });
        let integral = truncated.map(|t| ((t + TWO_POW_23).to_bits() & 0x7f_ffff) as i32);
        (integral, std::array::from_fn(|k| position[k] - truncated[k]))
    } else {
        let integral = position.map(|x| x as i32);
        (integral, std::array::from_fn(|k| position[k] - integral[k] as f32))
    }
}

/// [`sine`] of every phase of a block.
#[inline(always)]
pub(crate) fn sine_block(phase: &Block) -> Block {
    // Below 8192 the scaled positions stay under 2²³, where [`truncate`]
    // needs no saturating conversion; `sine` itself takes the fast path
    // (no wrap) there, reading the same points.
    if phase.iter().fold(true, |all, p| all & (0.0..8192.0).contains(p)) {
        let (integral, fractional) = truncate(&phase.map(|p| p * 1024.0));
        let mut points = [[0.0f32; BLOCK_SIZE]; 2];
        for (k, &integral) in integral.iter().enumerate() {
            let index = (integral & 1023) as usize;
            [points[0][k], points[1][k]] = [LUT_SINE[index], LUT_SINE[index + 1]];
        }
        let [a, b] = points;
        std::array::from_fn(|k| a[k] + (b[k] - a[k]) * fractional[k])
    } else {
        phase.map(sine)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::interpolate::split;
    use crate::dsp::random::Random;

    #[test]
    fn truncation_matches_the_saturating_conversion() {
        let mut random = Random::default();
        let specials =
            [0.0, -0.0, 0.5, 1.0, 8_388_607.5, 8_388_608.0, -0.5, 2.5, 3.5, 1e-30, f32::NAN, 3e9, -3e9];
        for block in 0..20_000 {
            let position: Block = std::array::from_fn(|k| match block {
                0..=9 => specials[(block + k) % specials.len()],
                _ => {
                    let scale = [1.0, 512.0, 1024.0, 8_388_608.0][(random.get_word() % 4) as usize];
                    random.get_float() * scale - if block % 7 == 0 { 1.0 } else { 0.0 }
                }
            });
            let (integral, fractional) = truncate(&position);
            for k in 0..BLOCK_SIZE {
                let (expected_integral, expected_fractional) = split(position[k]);
                assert_eq!(integral[k], expected_integral, "{}", position[k]);
                assert_eq!(fractional[k].to_bits(), expected_fractional.to_bits(), "{}", position[k]);
            }
        }
    }

    #[test]
    fn block_sine_matches_the_sine() {
        let mut random = Random::default();
        for block in 0..20_000 {
            let scale = [1.0, 2.0, 8192.0, 3e6][block % 4];
            let phase: Block = std::array::from_fn(|_| random.get_float() * scale);
            let expected = phase.map(|p| sine(p).to_bits());
            assert_eq!(sine_block(&phase).map(f32::to_bits), expected, "{phase:?}");
        }
    }
}
