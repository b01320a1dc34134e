//! RMS envelopes of the target and its matches, overlaid on one time axis.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{match_colour, problem, Figure, FONT, TARGET_COLOUR};
use crate::analysis::envelope::{centred_rms, relative_db};

/// Samples per envelope point (5 ms at 48 kHz).
const HOP: usize = 240;
/// RMS window (20 ms at 48 kHz).
const WINDOW: usize = 960;
/// Lowest level drawn, dB below each sound's peak.
pub const FLOOR_DB: f32 = -60.0;

/// One curve: dB re its own peak, one value per 5 ms.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    /// Legend label.
    pub label: String,
    /// 0 = target, k = match k.
    pub rank: usize,
    /// Level per point.
    pub db: Vec<f32>,
}

/// The RMS envelope of a 48 kHz signal in dB re its peak.
pub fn rms_envelope(label: &str, rank: usize, signal: &[f32]) -> Envelope {
    Envelope { label: label.to_string(), rank, db: relative_db(&centred_rms(signal, WINDOW, HOP), FLOOR_DB) }
}

/// Every envelope on one set of axes.
#[derive(Clone, Debug)]
pub struct EnvelopeFigure<'a> {
    /// Caption.
    pub title: String,
    /// Target first, then the matches.
    pub curves: &'a [Envelope],
}

impl Figure for EnvelopeFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (900, 420)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(problem)?;
        let seconds =
            self.curves.iter().map(|c| c.db.len()).max().unwrap_or(1) as f64 * HOP as f64 / 48_000.0;
        let mut chart = ChartBuilder::on(root)
            .caption(self.title.clone(), (FONT, 16))
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..seconds.max(1e-3), (FLOOR_DB as f64)..3.0)
            .map_err(problem)?;
        chart
            .configure_mesh()
            .x_desc("time (s)")
            .y_desc("RMS (dB re peak)")
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 13))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(problem)?;
        // Matches first, so the target's red line stays on top.
        for curve in self.curves.iter().skip(1).chain(self.curves.iter().take(1)) {
            let (colour, width) =
                if curve.rank == 0 { (TARGET_COLOUR, 3) } else { (match_colour(curve.rank), 2) };
            let points =
                curve.db.iter().enumerate().map(|(i, &db)| (i as f64 * HOP as f64 / 48_000.0, db as f64));
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(width)))
                .map_err(problem)?
                .label(curve.label.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(width)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(problem)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decay_falls_from_its_peak() {
        let signal: Vec<f32> =
            (0..24_000).map(|i| (-(i as f32) / 2400.0).exp() * ((i % 48) as f32 / 24.0 - 1.0)).collect();
        let envelope = rms_envelope("target", 0, &signal);
        assert_eq!(envelope.db.len(), 100);
        let peak = envelope.db.iter().cloned().fold(f32::MIN, f32::max);
        assert!(peak.abs() < 1e-3);
        assert!(envelope.db[90] < -30.0 && envelope.db[90] >= FLOOR_DB, "{}", envelope.db[90]);
    }
}
