//! Mel-spaced triangular filter banks and the DCT that turns log-mel bands into MFCCs.

/// Hz to mel (O'Shaughnessy's formula, as HTK).
pub fn hz_to_mel(hz: f64) -> f64 {
    2595.0 * (1.0 + hz / 700.0).log10()
}

/// Mel to Hz.
pub fn mel_to_hz(mel: f64) -> f64 {
    700.0 * (10f64.powf(mel / 2595.0) - 1.0)
}

/// Triangular filters on a power spectrum, stored sparsely per band.
#[derive(Clone, Debug)]
pub struct MelFilterBank {
    /// For each band: first bin and its weights.
    bands: Vec<(usize, Vec<f32>)>,
}

impl MelFilterBank {
    /// `count` bands between `low_hz` and `high_hz`, for spectra of `bins` bins
    /// `bin_hz` apart. Each filter is normalised to unit area so that band
    /// values do not grow with band width.
    pub fn new(count: usize, low_hz: f64, high_hz: f64, bins: usize, bin_hz: f64) -> Self {
        let low = hz_to_mel(low_hz);
        let high = hz_to_mel(high_hz);
        let edges: Vec<f64> =
            (0..count + 2).map(|i| mel_to_hz(low + (high - low) * i as f64 / (count + 1) as f64)).collect();
        let bands = (0..count)
            .map(|b| {
                let (left, centre, right) = (edges[b], edges[b + 1], edges[b + 2]);
                let first = ((left / bin_hz).floor() as usize).min(bins - 1);
                let last = ((right / bin_hz).ceil() as usize).min(bins - 1);
                let mut weights: Vec<f32> = (first..=last)
                    .map(|k| {
                        let hz = k as f64 * bin_hz;
                        let w = if hz <= centre {
                            (hz - left) / (centre - left)
                        } else {
                            (right - hz) / (right - centre)
                        };
                        w.max(0.0) as f32
                    })
                    .collect();
                let area: f32 = weights.iter().sum();
                if area > 0.0 {
                    weights.iter_mut().for_each(|w| *w /= area);
                } else {
                    // A band narrower than a bin: take the nearest bin.
                    let k = ((centre / bin_hz).round() as usize).clamp(first, last);
                    weights.iter_mut().for_each(|w| *w = 0.0);
                    weights[k - first] = 1.0;
                }
                (first, weights)
            })
            .collect();
        Self { bands }
    }

    /// Number of bands.
    pub fn len(&self) -> usize {
        self.bands.len()
    }

    /// Whether the bank has no bands.
    pub fn is_empty(&self) -> bool {
        self.bands.is_empty()
    }

    /// Band energies of one power spectrum frame.
    pub fn apply(&self, power: &[f32], out: &mut [f32]) {
        for ((first, weights), y) in self.bands.iter().zip(out.iter_mut()) {
            *y = weights.iter().zip(&power[*first..]).map(|(w, p)| w * p).sum();
        }
    }
}

/// Orthonormal DCT-II of `inputs` samples into its first `outputs`
/// coefficients, with the cosines computed once (features take it of every
/// frame of every library render).
#[derive(Clone, Debug)]
pub struct Dct2 {
    inputs: usize,
    /// Row k: the scale of coefficient k, then its cosine for each input.
    rows: Vec<(f64, Vec<f64>)>,
}

impl Dct2 {
    /// The transform of `inputs` samples into `outputs` coefficients.
    pub fn new(inputs: usize, outputs: usize) -> Self {
        let n = inputs as f64;
        let rows = (0..outputs)
            .map(|k| {
                let scale = if k == 0 { (1.0 / n).sqrt() } else { (2.0 / n).sqrt() };
                let cosines = (0..inputs)
                    .map(|i| (std::f64::consts::PI * k as f64 * (i as f64 + 0.5) / n).cos())
                    .collect();
                (scale, cosines)
            })
            .collect();
        Self { inputs, rows }
    }

    /// Transforms `input` (`inputs` long) into `out` (at most `outputs` long).
    pub fn apply(&self, input: &[f32], out: &mut [f32]) {
        assert_eq!(input.len(), self.inputs, "DCT input length");
        for ((scale, cosines), y) in self.rows.iter().zip(out.iter_mut()) {
            let sum: f64 = input.iter().zip(cosines).map(|(&x, c)| x as f64 * c).sum();
            *y = (scale * sum) as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mel_scale_round_trips_and_hits_1000_at_1000_hz() {
        assert!((hz_to_mel(1000.0) - 1000.0).abs() < 0.5);
        for hz in [30.0, 440.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-6);
        }
    }

    #[test]
    fn a_tone_lands_in_the_band_around_it() {
        let bank = MelFilterBank::new(32, 30.0, 16_000.0, 513, 46.875);
        let mut power = vec![0.0f32; 513];
        power[64] = 1.0; // 3000 Hz
        let mut bands = vec![0.0f32; 32];
        bank.apply(&power, &mut bands);
        let peak = (0..32).max_by(|&a, &b| bands[a].total_cmp(&bands[b])).unwrap();
        let low = hz_to_mel(30.0);
        let step = (hz_to_mel(16_000.0) - low) / 33.0;
        let centre = mel_to_hz(low + step * (peak + 1) as f64);
        assert!((centre / 3000.0 - 1.0).abs() < 0.1, "band {peak} centred at {centre}");
    }

    #[test]
    fn dct_of_a_constant_has_only_dc() {
        let mut out = [0.0f32; 4];
        Dct2::new(8, 4).apply(&[2.0; 8], &mut out);
        assert!((out[0] - 2.0 * 8f32.sqrt()).abs() < 1e-5);
        assert!(out[1..].iter().all(|c| c.abs() < 1e-5));
    }

    #[test]
    fn dct_of_a_cosine_has_one_coefficient() {
        let n = 32;
        let input: Vec<f32> =
            (0..n).map(|i| (std::f64::consts::PI * 3.0 * (i as f64 + 0.5) / n as f64).cos() as f32).collect();
        let mut out = [0.0f32; 8];
        Dct2::new(n, 8).apply(&input, &mut out);
        for (k, c) in out.iter().enumerate() {
            let expected = if k == 3 { (n as f32 / 2.0).sqrt() } else { 0.0 };
            assert!((c - expected).abs() < 1e-5, "coefficient {k}: {c}");
        }
    }
}
