//! Engine 5, "Wavetable oscillator": trilinear scan of 4 banks × 8 × 8
//! integrated single-cycle waves; AUX is the same signal crushed to 5 bits
//! (engines-4-7.md §2).

use crate::dsp::differentiator::Differentiator;
use crate::dsp::interpolate::{hermite, split};
use crate::dsp::ramp::ParameterRamp;
use crate::dsp::random::Random;
use crate::dsp::units::{note_to_frequency, A0};
use crate::engines::{Block, Engine, EngineParameters, BLOCK_SIZE};
use crate::tables::INTEGRATED_WAVES;

/// Samples stored per wave: 256 plus 4 guard samples for the 4-point read.
pub const WAVE_STRIDE: usize = 260;
/// Waves stored in `INTEGRATED_WAVES`: 3 banks of 8 × 8.
const STORED_WAVES: i32 = 192;

/// Index of the wave at column `x`, row `y` and terrain position `z` (0 to 7).
///
/// Positions 4 to 7 mirror banks 3 to 0. Bank 3 is virtual: a scramble of the
/// three stored banks by a multiplication modulo 192.
#[inline]
fn wave_index(x: i32, y: i32, z: i32) -> usize {
    let z = if z >= 4 { 7 - z } else { z };
    let scramble = if z == 3 { 101 } else { 1 };
    // Euclidean modulo: the out-of-range corners (x = 8, z = −1) cannot occur in
    // practice, and this keeps them in the table if they ever do.
    ((x + 8 * y + 64 * z) * scramble).rem_euclid(STORED_WAVES) as usize
}

/// The integrated wave number `wave`.
#[inline]
fn wave(wave: usize) -> &'static [i16; WAVE_STRIDE] {
    let start = wave * WAVE_STRIDE;
    INTEGRATED_WAVES[start..start + WAVE_STRIDE].try_into().expect("wave inside the table")
}

/// The eight waves at the corners of the terrain cell with lower corner
/// (`x`, `y`, `z`): (x, y), (x+1, y), (x, y+1), (x+1, y+1) at z, then at z + 1.
fn cell_waves(x: i32, y: i32, z: i32) -> [&'static [i16; WAVE_STRIDE]; 8] {
    std::array::from_fn(|corner| {
        let corner = corner as i32;
        wave(wave_index(x + (corner & 1), y + ((corner >> 1) & 1), z + (corner >> 2)))
    })
}

/// In the upper half of HARMONICS (`quantization` → 1) snaps a terrain
/// coordinate to the nearest integer, keeping a linear glide only within ±1/32
/// of the midpoint.
#[inline]
fn quantize_position(position: f32, quantization: f32) -> f32 {
    let (integral, fractional) = split(position);
    let snapped = (16.0 * (fractional - 0.5)).clamp(-0.5, 0.5) + 0.5;
    integral as f32 + (fractional + quantization * (snapped - fractional))
}

/// State of engine 5; nothing is reset on an engine switch.
#[derive(Clone, Debug)]
pub struct WavetableEngine {
    phase: f32,
    /// Block-rate smoothed x, y, z (TIMBRE, MORPH, HARMONICS × 6.9999).
    smoothed_x: f32,
    smoothed_y: f32,
    smoothed_z: f32,
    /// Sample-rate smoothed x, y, z.
    x_lp: f32,
    y_lp: f32,
    z_lp: f32,
    /// Ramp states of the (possibly quantised) positions and the frequency.
    previous_x: f32,
    previous_y: f32,
    previous_z: f32,
    previous_f0: f32,
    differentiator: Differentiator,
    /// The last block's cell, when all its samples read one cell.
    previous_block_cell: Option<(i32, i32, i32)>,
    cell_cache: CellCache,
}

/// The eight corner waves of one terrain cell as `f32`, interleaved sample by
/// sample, so that one sample's eight Hermite reads run side by side in vector
/// lanes. Each lane converts the same `i16` (exactly) and keeps the scalar
/// order of operations, so output bits are unchanged.
#[derive(Clone, Debug)]
struct CellCache {
    cell: Option<(i32, i32, i32)>,
    rows: Box<[[f32; 8]; WAVE_STRIDE]>,
}

impl Default for CellCache {
    fn default() -> Self {
        Self { cell: None, rows: Box::new([[0.0; 8]; WAVE_STRIDE]) }
    }
}

impl CellCache {
    /// Fills the rows with the waves of `cell`.
    fn load(&mut self, cell: (i32, i32, i32)) {
        let waves = cell_waves(cell.0, cell.1, cell.2);
        for (i, row) in self.rows.iter_mut().enumerate() {
            for (value, wave) in row.iter_mut().zip(&waves) {
                *value = wave[i] as f32;
            }
        }
        self.cell = Some(cell);
    }
}

impl Default for WavetableEngine {
    fn default() -> Self {
        Self {
            phase: 0.0,
            smoothed_x: 0.0,
            smoothed_y: 0.0,
            smoothed_z: 0.0,
            x_lp: 0.0,
            y_lp: 0.0,
            z_lp: 0.0,
            previous_x: 0.0,
            previous_y: 0.0,
            previous_z: 0.0,
            previous_f0: A0,
            differentiator: Differentiator::default(),
            previous_block_cell: None,
            cell_cache: CellCache::default(),
        }
    }
}

/// Where one sample reads the terrain, and its output gain and smoothing.
#[derive(Clone, Copy, Debug, Default)]
struct ReadPosition {
    cell: (i32, i32, i32),
    cell_fractions: [f32; 3],
    index: usize,
    fraction: f32,
    gain: f32,
    cutoff: f32,
}

#[inline]
fn lerp(a: f32, b: f32, t: f32) -> f32 {
    a + (b - a) * t
}

/// The trilinear mix of one sample's eight wave reads.
#[inline]
fn trilinear(samples: &[f32; 8], position: &ReadPosition) -> f32 {
    let [x_fraction, y_fraction, z_fraction] = position.cell_fractions;
    let z0 =
        lerp(lerp(samples[0], samples[1], x_fraction), lerp(samples[2], samples[3], x_fraction), y_fraction);
    let z1 =
        lerp(lerp(samples[4], samples[5], x_fraction), lerp(samples[6], samples[7], x_fraction), y_fraction);
    lerp(z0, z1, z_fraction)
}

/// The mixes of a block whose samples may read several cells: the eight
/// integrated waves are read in the table. Also the reference for `mix_cached`.
fn mix_direct(positions: &[ReadPosition; BLOCK_SIZE], mixes: &mut [f32; BLOCK_SIZE]) {
    // The cell of the terrain changes rarely: look its waves up only then.
    let mut cell = (-1, -1, -1);
    let mut waves = cell_waves(0, 0, 0);
    for (mix, position) in mixes.iter_mut().zip(positions) {
        if position.cell != cell {
            cell = position.cell;
            waves = cell_waves(cell.0, cell.1, cell.2);
        }
        // 4-point Hermite reads of the eight integrated waves, between their
        // samples index + 1 and index + 2.
        let (index, fraction) = (position.index, position.fraction);
        let mut samples = [0.0; 8];
        for (sample, wave) in samples.iter_mut().zip(&waves) {
            let [s0, s1, s2, s3] = [wave[index], wave[index + 1], wave[index + 2], wave[index + 3]];
            *sample = hermite(s0 as f32, s1 as f32, s2 as f32, s3 as f32, fraction);
        }
        *mix = trilinear(&samples, position);
    }
}

/// [`mix_direct`] for a block whose samples all read the cell in `cache`.
fn mix_cached(cache: &CellCache, positions: &[ReadPosition; BLOCK_SIZE], mixes: &mut [f32; BLOCK_SIZE]) {
    for (mix, position) in mixes.iter_mut().zip(positions) {
        let fraction = position.fraction;
        let rows: &[[f32; 8]; 4] =
            cache.rows[position.index..position.index + 4].try_into().expect("index at most 255");
        let mut samples = [0.0; 8];
        for (lane, sample) in samples.iter_mut().enumerate() {
            *sample = hermite(rows[0][lane], rows[1][lane], rows[2][lane], rows[3][lane], fraction);
        }
        *mix = trilinear(&samples, position);
    }
}

impl Engine for WavetableEngine {
    fn render(
        &mut self,
        parameters: &EngineParameters,
        _random: &mut Random,
        out: &mut Block,
        aux: &mut Block,
        _already_enveloped: &mut bool,
    ) {
        let f0 = note_to_frequency(parameters.note);
        self.smoothed_x += 0.2 * (parameters.timbre * 6.9999 - self.smoothed_x);
        self.smoothed_y += 0.2 * (parameters.morph * 6.9999 - self.smoothed_y);
        self.smoothed_z += 0.05 * (parameters.harmonics * 6.9999 - self.smoothed_z);

        let quantization = (self.smoothed_z - 3.0).clamp(0.0, 1.0);
        // Quantised positions glide faster, and higher notes glide faster.
        let lp_coefficient = (2.0 * f0 * (4.0 - 3.0 * quantization)).clamp(0.01, 0.1);

        let size = out.len();
        let mut x_ramp =
            ParameterRamp::new(self.previous_x, quantize_position(self.smoothed_x, quantization), size);
        let mut y_ramp =
            ParameterRamp::new(self.previous_y, quantize_position(self.smoothed_y, quantization), size);
        let mut z_ramp =
            ParameterRamp::new(self.previous_z, quantize_position(self.smoothed_z, quantization), size);
        let mut f0_ramp = ParameterRamp::new(self.previous_f0, f0, size);

        // Three passes over the block, each short enough for the CPU to overlap
        // its samples: the controls and read positions (with their recursive
        // smoothing), then the eight wave reads and the trilinear mix (independent
        // per sample), then the differentiator.
        let mut positions = [ReadPosition::default(); BLOCK_SIZE];
        let (mut phase, mut x_lp, mut y_lp, mut z_lp) = (self.phase, self.x_lp, self.y_lp, self.z_lp);
        // A resting frequency gives the same gain and cutoff every sample:
        // compute its division once.
        let frequency_terms = |f: f32| (f, (1.0 / (f * 131_072.0)) * (0.95 - f), (256.0 * f).min(1.0));
        let resting = f0_ramp.is_at_rest().then(|| frequency_terms(f0_ramp.value()));
        for position in positions.iter_mut() {
            let next = f0_ramp.next();
            let (f, gain, cutoff) = resting.unwrap_or_else(|| frequency_terms(next));
            position.gain = gain;
            position.cutoff = cutoff;

            x_lp += lp_coefficient * (x_ramp.next() - x_lp);
            y_lp += lp_coefficient * (y_ramp.next() - y_lp);
            z_lp += lp_coefficient * (z_ramp.next() - z_lp);
            let (x, x_fraction) = split(x_lp);
            let (y, y_fraction) = split(y_lp);
            let (z, z_fraction) = split(z_lp);
            position.cell = (x, y, z);
            position.cell_fractions = [x_fraction, y_fraction, z_fraction];

            phase += f;
            if phase >= 1.0 {
                phase -= 1.0;
            }
            let (index, fraction) = split(phase * 256.0);
            // The phase is below 1, so the index is at most 255.
            position.index = (index as usize).min(255);
            position.fraction = fraction;
        }

        // A cell held for two blocks in a row is worth interleaving (see
        // `CellCache`); otherwise the waves are read where they lie.
        let first_cell = positions[0].cell;
        let block_cell = positions.iter().all(|p| p.cell == first_cell).then_some(first_cell);
        let mut mixes = [0.0f32; BLOCK_SIZE];
        match block_cell {
            Some(cell) if self.cell_cache.cell == Some(cell) => {
                mix_cached(&self.cell_cache, &positions, &mut mixes)
            }
            Some(cell) if self.previous_block_cell == Some(cell) => {
                self.cell_cache.load(cell);
                mix_cached(&self.cell_cache, &positions, &mut mixes);
            }
            _ => mix_direct(&positions, &mut mixes),
        }
        self.previous_block_cell = block_cell;

        let mut differentiator = self.differentiator;
        for (((o, a), mix), position) in out.iter_mut().zip(aux.iter_mut()).zip(&mixes).zip(&positions) {
            // The real module reaches ±5·10⁴ here at subsonic notes (below about
            // MIDI note −10), for seconds: the differentiator's state decays at
            // 256·f per sample while the gain grows as 1/f.
            *o = differentiator.process(position.cutoff, *mix) * position.gain;
            *a = ((*o * 32.0) as i32) as f32 / 32.0;
        }

        (self.phase, self.differentiator) = (phase, differentiator);
        (self.x_lp, self.y_lp, self.z_lp) = (x_lp, y_lp, z_lp);
        self.previous_x = x_ramp.value();
        self.previous_y = y_ramp.value();
        self.previous_z = z_ramp.value();
        self.previous_f0 = f0_ramp.value();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::TriggerState;

    fn render(
        engine: &mut WavetableEngine,
        note: f32,
        timbre: f32,
        morph: f32,
        harmonics: f32,
        blocks: usize,
    ) -> (Vec<f32>, Vec<f32>) {
        let parameters = EngineParameters {
            trigger: TriggerState::Unpatched,
            note,
            timbre,
            morph,
            harmonics,
            accent: 0.8,
        };
        let mut random = Random::default();
        let (mut out, mut aux) = (Vec::new(), Vec::new());
        for _ in 0..blocks {
            let mut o = [0.0; BLOCK_SIZE];
            let mut a = [0.0; BLOCK_SIZE];
            engine.render(&parameters, &mut random, &mut o, &mut a, &mut false);
            out.extend_from_slice(&o);
            aux.extend_from_slice(&a);
        }
        (out, aux)
    }

    #[test]
    fn cached_cell_mixes_match_the_direct_reads_bit_for_bit() {
        let mut random = Random::default();
        let mut cache = CellCache::default();
        for cell in [(0, 0, 0), (3, 5, 2), (6, 6, 3), (2, 1, 5), (6, 0, 6)] {
            cache.load(cell);
            for _ in 0..50 {
                let positions: [ReadPosition; BLOCK_SIZE] = std::array::from_fn(|_| ReadPosition {
                    cell,
                    cell_fractions: [random.get_float(), random.get_float(), random.get_float()],
                    index: (random.get_word() % 256) as usize,
                    fraction: random.get_float(),
                    gain: 1.0,
                    cutoff: 1.0,
                });
                let (mut direct, mut cached) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
                mix_direct(&positions, &mut direct);
                mix_cached(&cache, &positions, &mut cached);
                assert_eq!(direct.map(f32::to_bits), cached.map(f32::to_bits), "{cell:?}");
            }
        }
    }

    #[test]
    fn bank_d_scrambles_with_a_multiplication_modulo_192() {
        for x in 0..8 {
            for y in 0..8 {
                let expected = (((x + 8 * y) * 101) % 192) as usize;
                assert_eq!(wave_index(x, y, 3), expected);
                assert_eq!(wave_index(x, y, 4), expected);
            }
        }
        // The fold is symmetric about 3.5.
        for z in 0..4 {
            assert_eq!(wave_index(2, 5, z), wave_index(2, 5, 7 - z));
        }
        assert_eq!(wave_index(7, 7, 2), 191);
    }

    #[test]
    fn quantization_snaps_fractions_except_near_the_midpoint() {
        assert_eq!(quantize_position(2.3, 0.0), 2.3);
        assert_eq!(quantize_position(2.3, 1.0), 2.0);
        assert_eq!(quantize_position(2.7, 1.0), 3.0);
        assert!((quantize_position(2.5, 1.0) - 2.5).abs() < 1e-6);
        assert!((quantize_position(2.51, 1.0) - 2.66).abs() < 1e-5);
    }

    #[test]
    fn first_wave_is_a_pure_sine_at_the_note() {
        let mut engine = WavetableEngine::default();
        let note = 57.0;
        let (out, _) = render(&mut engine, note, 0.0, 0.0, 0.0, 6000);
        let tail = &out[out.len() - 48_000..];
        let f0 = note_to_frequency(note) as f64;
        let period = 1.0 / f0;
        // Fit a sine at f0 and look at what is left.
        let (mut re, mut im) = (0.0f64, 0.0f64);
        for (n, &x) in tail.iter().enumerate() {
            let angle = 2.0 * std::f64::consts::PI * f0 * n as f64;
            re += x as f64 * angle.cos();
            im += x as f64 * angle.sin();
        }
        let amplitude = 2.0 * (re * re + im * im).sqrt() / tail.len() as f64;
        let energy = tail.iter().map(|&x| (x as f64).powi(2)).sum::<f64>() / tail.len() as f64;
        assert!(amplitude > 0.5, "{amplitude} (period {period})");
        // A pure sine has energy amplitude²/2 in its fundamental.
        assert!((energy - amplitude * amplitude / 2.0).abs() < 1e-3 * energy, "{energy} vs {amplitude}");
        let crossings = tail.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count() as f64;
        assert!((crossings - f0 * 48_000.0).abs() <= 1.0, "{crossings}");
    }

    #[test]
    fn aux_is_out_crushed_to_five_bits() {
        let mut engine = WavetableEngine::default();
        let (out, aux) = render(&mut engine, 48.0, 0.3, 0.6, 0.8, 400);
        assert!(out.iter().any(|&x| x.abs() > 0.1));
        for (&o, &a) in out.iter().zip(&aux) {
            assert!((o - a).abs() < 1.0 / 32.0 && o.abs() >= a.abs());
            assert_eq!((a * 32.0).fract(), 0.0);
        }
    }

    #[test]
    fn both_ends_of_harmonics_play_bank_a() {
        // z = 0 and z ≈ 7 both read bank A; at x = y = 0 quantisation changes nothing.
        let mut low = WavetableEngine::default();
        let (a, _) = render(&mut low, 60.0, 0.0, 0.0, 0.0, 2000);
        let mut high = WavetableEngine::default();
        let (b, _) = render(&mut high, 60.0, 0.0, 0.0, 1.0, 2000);
        let tail = a.len() - 4800;
        let error = a[tail..].iter().zip(&b[tail..]).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
        assert!(error < 1e-3, "{error}");
        // While the middle of the range (bank C) sounds different.
        let mut middle = WavetableEngine::default();
        let (c, _) = render(&mut middle, 60.0, 0.0, 0.0, 0.3, 2000);
        let difference = a[tail..].iter().zip(&c[tail..]).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
        assert!(difference > 0.1, "{difference}");
    }
}
