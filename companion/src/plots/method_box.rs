//! The benchmark figure: one column per search method, a box (quartiles and
//! median) over its per-target MSS with every target drawn as a dot.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{match_colour, padded_range, problem, Figure, FONT};

/// One method's results.
#[derive(Clone, Debug, PartialEq)]
pub struct MethodColumn {
    /// Method name (the x-axis label).
    pub name: String,
    /// MSS of its best candidate, one per target.
    pub distances: Vec<f64>,
}

/// The whole figure.
#[derive(Clone, Debug)]
pub struct MethodBoxFigure {
    /// Caption.
    pub title: String,
    /// Methods, left to right.
    pub columns: Vec<MethodColumn>,
}

/// Quartiles and median of `values` (linear interpolation), if any are finite.
pub fn quartiles(values: &[f64]) -> Option<[f64; 3]> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let position = q * (sorted.len() - 1) as f64;
        let (low, high) = (position.floor() as usize, position.ceil() as usize);
        sorted[low] + (sorted[high] - sorted[low]) * (position - low as f64)
    };
    Some([at(0.25), at(0.5), at(0.75)])
}

impl Figure for MethodBoxFigure {
    fn size(&self) -> (u32, u32) {
        (160 + 140 * self.columns.len().max(1) as u32, 480)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(problem)?;
        let all = self.columns.iter().flat_map(|c| c.distances.iter().copied());
        let y_range = padded_range(all.chain([0.0]));
        let columns = self.columns.len().max(1);
        let names: Vec<String> = self.columns.iter().map(|c| c.name.clone()).collect();
        let mut chart = ChartBuilder::on(root)
            .caption(self.title.clone(), (FONT, 16))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5..columns as f64 - 0.5, y_range)
            .map_err(problem)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(columns)
            .x_label_formatter(&|x| {
                let k = x.round();
                if (x - k).abs() < 1e-6 && k >= 0.0 {
                    names.get(k as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc("MSS of the best candidate (lower is better)")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 13))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(problem)?;
        for (k, column) in self.columns.iter().enumerate() {
            let x = k as f64;
            let colour = match_colour(k + 1);
            if let Some([q1, median, q3]) = quartiles(&column.distances) {
                let box_style = colour.mix(0.25).filled();
                chart
                    .draw_series([Rectangle::new([(x - 0.3, q1), (x + 0.3, q3)], box_style)])
                    .map_err(problem)?;
                chart
                    .draw_series([Rectangle::new([(x - 0.3, q1), (x + 0.3, q3)], colour.stroke_width(1))])
                    .map_err(problem)?;
                chart
                    .draw_series([PathElement::new(
                        [(x - 0.3, median), (x + 0.3, median)],
                        BLACK.stroke_width(2),
                    )])
                    .map_err(problem)?;
            }
            // Dots spread evenly across the box so that equal values stay visible.
            let count = column.distances.len().max(1) as f64;
            let dots = column.distances.iter().enumerate().filter(|(_, d)| d.is_finite()).map(|(i, &d)| {
                let offset = if count > 1.0 { -0.2 + 0.4 * i as f64 / (count - 1.0) } else { 0.0 };
                Circle::new((x + offset, d), 3, colour.filled())
            });
            chart.draw_series(dots).map_err(problem)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plots::write_figure;

    #[test]
    fn quartiles_interpolate() {
        assert_eq!(quartiles(&[4.0, 1.0, 3.0, 2.0, 5.0]), Some([2.0, 3.0, 4.0]));
        assert_eq!(quartiles(&[1.0, 2.0]), Some([1.25, 1.5, 1.75]));
        assert_eq!(quartiles(&[f64::NAN]), None);
    }

    #[test]
    fn every_method_is_labelled_and_every_target_drawn() {
        let figure = MethodBoxFigure {
            title: "bench".into(),
            columns: vec![
                MethodColumn { name: "random".into(), distances: vec![3.0, 4.0, 5.0] },
                MethodColumn { name: "seed".into(), distances: vec![2.0, 6.0, f64::NAN] },
            ],
        };
        let dir = tempfile::tempdir().unwrap();
        let [png, svg] = write_figure(&figure, &dir.path().join("bench")).unwrap();
        assert!(png.is_file());
        let svg = std::fs::read_to_string(svg).unwrap();
        assert!(svg.contains("\nrandom\n</text>") && svg.contains("\nseed\n</text>"), "{svg}");
        assert_eq!(svg.matches("<circle").count(), 5, "one dot per finite result");
    }
}
