//! Log-mel spectrograms, drawn with shared axes and colour scale so that the
//! target and its matches can be compared at a glance.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{problem, Figure, FONT};
use crate::analysis::mel::{hz_to_mel, mel_to_hz, MelFilterBank};
use crate::analysis::spectrogram::Stft;

/// Rate of every signal drawn.
const RATE: f64 = 48_000.0;
const N_FFT: usize = 2048;
const BANDS: usize = 48;
const LOW_HZ: f64 = 40.0;
const HIGH_HZ: f64 = 20_000.0;
/// Colour range: this many dB below the sound's loudest cell is black.
pub const RANGE_DB: f32 = 80.0;
/// About this many columns across the longest sound.
const COLUMNS: usize = 160;

/// A log-mel spectrogram in dB relative to its loudest cell.
#[derive(Clone, Debug, PartialEq)]
pub struct LogMel {
    /// Frames (columns).
    pub frames: usize,
    /// dB per cell, frame-major, in `-RANGE_DB..=0`.
    pub db: Vec<f32>,
    /// Seconds between frames.
    pub hop_seconds: f64,
}

/// The hop that gives about `COLUMNS` columns across `longest` samples; use
/// the same for every sound of one figure set.
pub fn shared_hop(longest: usize) -> usize {
    longest.div_ceil(COLUMNS).max(240)
}

/// Log-mel spectrogram of a 48 kHz signal with frames every `hop` samples.
pub fn log_mel(signal: &[f32], hop: usize) -> LogMel {
    let stft = Stft::new(N_FFT, hop);
    let power = stft.power(signal, RATE);
    let bank = MelFilterBank::new(BANDS, LOW_HZ, HIGH_HZ, power.bins, power.bin_hz);
    let mut db = vec![0.0f32; power.frames * BANDS];
    for frame in 0..power.frames {
        bank.apply(power.frame(frame), &mut db[frame * BANDS..(frame + 1) * BANDS]);
    }
    let peak = db.iter().fold(0.0f32, |m, &x| m.max(x));
    let floor = peak * 10f32.powf(-RANGE_DB / 10.0);
    for x in db.iter_mut() {
        *x = if peak > 0.0 { 10.0 * (x.max(floor) / peak).log10() } else { -RANGE_DB };
    }
    LogMel { frames: power.frames, db, hop_seconds: power.hop_seconds }
}

/// One spectrogram figure; figures with the same `seconds` have the same axes.
#[derive(Clone, Debug)]
pub struct SpectrogramFigure<'a> {
    /// Caption.
    pub title: String,
    /// The spectrogram.
    pub mel: &'a LogMel,
    /// Length of the time axis (the longest sound of the set).
    pub seconds: f64,
    /// Times (seconds from the start) to mark with a vertical line, e.g. the
    /// onsets matching found in the target; empty for none.
    pub onsets: &'a [f64],
}

/// Colour of the onset markers (white reads on every viridis colour).
const ONSET_COLOUR: RGBColor = RGBColor(255, 255, 255);

impl Figure for SpectrogramFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (640, 300)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(problem)?;
        let (low, high) = (hz_to_mel(LOW_HZ), hz_to_mel(HIGH_HZ));
        let mut chart = ChartBuilder::on(root)
            .caption(self.title.clone(), (FONT, 16))
            .margin(8)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..self.seconds.max(1e-3), low..high)
            .map_err(problem)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("time (s)")
            .y_desc("frequency (Hz, mel scale)")
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 13))
            .y_label_formatter(&|mel| hz_label(mel_to_hz(*mel)))
            .draw()
            .map_err(problem)?;
        // Band b is centred on mel edge b + 1 of the filter bank.
        let step = (high - low) / (BANDS + 1) as f64;
        let hop = self.mel.hop_seconds;
        let cells = (0..self.mel.frames).flat_map(|frame| {
            (0..BANDS).map(move |band| {
                let t = frame as f64 * hop;
                let centre = low + (band + 1) as f64 * step;
                let colour = viridis((self.mel.db[frame * BANDS + band] + RANGE_DB) / RANGE_DB);
                Rectangle::new([(t, centre - step / 2.0), (t + hop, centre + step / 2.0)], colour.filled())
            })
        });
        chart.draw_series(cells).map_err(problem)?;
        // Onsets outside the time axis (or not finite) are not drawn.
        let markers = self
            .onsets
            .iter()
            .filter(|&&t| t.is_finite() && (0.0..=self.seconds).contains(&t))
            .map(|&t| PathElement::new([(t, low), (t, high)], ONSET_COLOUR.stroke_width(2)));
        chart.draw_series(markers).map_err(problem)?;
        Ok(())
    }
}

/// "500", "2k", "12.5k".
fn hz_label(hz: f64) -> String {
    if hz >= 1000.0 {
        let k = hz / 1000.0;
        if k >= 10.0 || (k - k.round()).abs() < 0.05 {
            format!("{:.0}k", k)
        } else {
            format!("{:.1}k", k)
        }
    } else {
        format!("{:.0}", hz)
    }
}

/// The viridis colour map at `x` in 0..=1 (five stops, linear between them).
pub fn viridis(x: f32) -> RGBColor {
    const STOPS: [(f32, f32, f32); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let x = if x.is_finite() { x.clamp(0.0, 1.0) } else { 0.0 } * (STOPS.len() - 1) as f32;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f32;
    let mix = |a: f32, b: f32| (a + (b - a) * f).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tone_lights_the_band_of_its_frequency() {
        let signal: Vec<f32> = (0..48_000)
            .map(|i| (2.0 * std::f64::consts::PI * 1000.0 * i as f64 / RATE).sin() as f32)
            .collect();
        let mel = log_mel(&signal, shared_hop(signal.len()));
        assert_eq!(mel.frames, 160);
        let frame = &mel.db[80 * BANDS..81 * BANDS];
        let loudest = (0..BANDS).max_by(|&a, &b| frame[a].total_cmp(&frame[b])).unwrap();
        let step = (hz_to_mel(HIGH_HZ) - hz_to_mel(LOW_HZ)) / (BANDS + 1) as f64;
        let centre_hz = mel_to_hz(hz_to_mel(LOW_HZ) + (loudest + 1) as f64 * step);
        assert!((centre_hz / 1000.0).log2().abs() < 0.25, "loudest band at {centre_hz} Hz");
        assert!(mel.db.iter().all(|&x| (-RANGE_DB..=0.0).contains(&x)));
        assert_eq!(log_mel(&vec![0.0; 4800], 240).db.iter().fold(0.0f32, |m, &x| m.min(x)), -RANGE_DB);
    }

    /// The SVG of a one-second tone's spectrogram with `onsets` marked.
    fn svg_with_onsets(onsets: &[f64]) -> String {
        let signal: Vec<f32> = (0..48_000).map(|i| ((i % 100) as f32 / 50.0 - 1.0) * 0.5).collect();
        let mel = log_mel(&signal, shared_hop(signal.len()));
        let figure = SpectrogramFigure { title: "t".into(), mel: &mel, seconds: 1.0, onsets };
        let dir = tempfile::tempdir().unwrap();
        let [_, svg] = crate::plots::write_figure(&figure, &dir.path().join("s")).unwrap();
        std::fs::read_to_string(svg).unwrap()
    }

    #[test]
    fn onsets_are_marked_with_one_white_line_each() {
        let marker = "stroke=\"#FFFFFF\"";
        assert_eq!(svg_with_onsets(&[]).matches(marker).count(), 0);
        // Out of range and NaN onsets are skipped.
        assert_eq!(svg_with_onsets(&[0.1, 0.5, 2.0, f64::NAN]).matches(marker).count(), 2);
    }

    #[test]
    fn labels_and_colours() {
        assert_eq!(
            [hz_label(500.0), hz_label(2000.0), hz_label(2500.0), hz_label(12_500.0)],
            ["500", "2k", "2.5k", "12k"]
        );
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(f32::NAN), RGBColor(68, 1, 84));
    }
}
