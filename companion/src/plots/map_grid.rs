//! Map figures: one PCA map or a grid of t-SNE maps, patches coloured by
//! engine, the target in red, the matches ringed, and a legend of engines.

use plotters::coord::Shift;
use plotters::prelude::*;
use rackmatch_engine::ENGINES;

use super::{engine_colour, padded_range, problem, Figure, FONT, TARGET_COLOUR};

/// What every panel of a figure shows besides coordinates.
#[derive(Clone, Copy, Debug)]
pub struct MapLegend<'a> {
    /// Engine of each mapped library point (the first map rows).
    pub engines: &'a [u8],
    /// Labels of the sounds after them: the target first, then the matches.
    pub sounds: &'a [String],
}

/// One map in a figure.
#[derive(Clone, Debug)]
pub struct Panel<'a> {
    /// Caption.
    pub title: String,
    /// Coordinates (library rows, then sounds), or why there is no map.
    pub coords: Result<&'a [[f64; 2]], String>,
    /// Axis descriptions, for maps whose axes mean something (PCA).
    pub axes: Option<(String, String)>,
}

/// A figure of `rows × cols` panels and a legend.
#[derive(Clone, Debug)]
pub struct MapFigure<'a> {
    /// Heading.
    pub title: String,
    /// Line under the heading (what is plotted).
    pub subtitle: String,
    /// Points and sounds.
    pub legend: MapLegend<'a>,
    /// Panels, row-major.
    pub panels: Vec<Panel<'a>>,
    /// Grid rows.
    pub rows: usize,
    /// Grid columns.
    pub cols: usize,
    /// Panel side in pixels.
    pub panel_size: u32,
}

const HEADER: u32 = 64;
const LEGEND_WIDTH: u32 = 270;

impl Figure for MapFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (self.cols as u32 * self.panel_size + LEGEND_WIDTH, self.rows as u32 * self.panel_size + HEADER)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(problem)?;
        let (header, body) = root.split_vertically(HEADER);
        header.draw(&Text::new(self.title.clone(), (12, 8), (FONT, 22))).map_err(problem)?;
        header.draw(&Text::new(self.subtitle.clone(), (12, 38), (FONT, 14))).map_err(problem)?;
        let (grid, legend) = body.split_horizontally(self.cols as u32 * self.panel_size);
        let cells = grid.split_evenly((self.rows, self.cols));
        for (area, panel) in cells.iter().zip(&self.panels) {
            self.draw_panel(area, panel)?;
        }
        self.draw_legend(&legend)
    }
}

impl MapFigure<'_> {
    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        panel: &Panel,
    ) -> Result<(), String> {
        let coords = match &panel.coords {
            Ok(coords) => *coords,
            Err(why) => {
                area.draw(&Text::new(panel.title.clone(), (10, 8), (FONT, 14))).map_err(problem)?;
                let message = format!("no map: {why}");
                for (k, line) in wrap(&message, (self.panel_size as usize / 8).max(20)).iter().enumerate() {
                    let style = (FONT, 13).into_font().color(&TARGET_COLOUR);
                    area.draw(&Text::new(line.clone(), (10, 40 + 18 * k as i32), style)).map_err(problem)?;
                }
                return Ok(());
            }
        };
        let library = self.legend.engines.len();
        let x_range = padded_range(coords.iter().map(|p| p[0]));
        let y_range = padded_range(coords.iter().map(|p| p[1]));
        let label_area = if panel.axes.is_some() { 44 } else { 0 };
        let mut chart = ChartBuilder::on(area)
            .caption(panel.title.clone(), (FONT, 15))
            .margin(8)
            .x_label_area_size(label_area)
            .y_label_area_size(label_area + 10 * (label_area > 0) as u32)
            .build_cartesian_2d(x_range, y_range)
            .map_err(problem)?;
        let mut mesh = chart.configure_mesh();
        mesh.disable_mesh().label_style((FONT, 12));
        match &panel.axes {
            Some((x, y)) => {
                mesh.x_desc(x.clone()).y_desc(y.clone()).axis_desc_style((FONT, 13));
            }
            None => {
                mesh.x_labels(0).y_labels(0);
            }
        }
        mesh.draw().map_err(problem)?;
        let radius = if self.panels.len() > 1 { 2 } else { 3 };
        chart
            .draw_series(coords.iter().take(library).zip(self.legend.engines).map(|(p, &engine)| {
                Circle::new((p[0], p[1]), radius, engine_colour(engine).mix(0.8).filled())
            }))
            .map_err(problem)?;
        // Matches (every sound after the target): a black ring and the rank.
        for (k, label) in self.legend.sounds.iter().enumerate().skip(1) {
            let Some(p) = coords.get(library + k) else { continue };
            let at = (p[0], p[1]);
            chart.draw_series([Circle::new(at, 8, BLACK.stroke_width(2))]).map_err(problem)?;
            let rank = label.trim_start_matches("match-").to_string();
            chart
                .draw_series([EmptyElement::at(at) + Text::new(rank, (9, -16), (FONT, 13).into_font())])
                .map_err(problem)?;
        }
        if let Some(p) = coords.get(library) {
            let at = (p[0], p[1]);
            chart.draw_series([Circle::new(at, 6, TARGET_COLOUR.filled())]).map_err(problem)?;
            chart.draw_series([Circle::new(at, 6, BLACK.stroke_width(1))]).map_err(problem)?;
        }
        Ok(())
    }

    fn draw_legend<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let mut engines: Vec<u8> = self.legend.engines.to_vec();
        engines.sort_unstable();
        engines.dedup();
        let mut y = 16;
        area.draw(&Text::new("engine", (16, y), (FONT, 15))).map_err(problem)?;
        y += 24;
        for engine in engines {
            let name = ENGINES.get(engine as usize).map_or("unknown engine", |e| e.name);
            area.draw(&Circle::new((24, y + 7), 6, engine_colour(engine).filled())).map_err(problem)?;
            area.draw(&Text::new(format!("{engine:>2} {name}"), (38, y), (FONT, 13))).map_err(problem)?;
            y += 20;
        }
        y += 14;
        area.draw(&Circle::new((24, y + 7), 6, TARGET_COLOUR.filled())).map_err(problem)?;
        area.draw(&Text::new("target", (38, y), (FONT, 13))).map_err(problem)?;
        y += 22;
        if self.legend.sounds.len() > 1 {
            area.draw(&Circle::new((24, y + 7), 8, BLACK.stroke_width(2))).map_err(problem)?;
            area.draw(&Text::new("match (rank)", (38, y), (FONT, 13))).map_err(problem)?;
        }
        Ok(())
    }
}

/// Splits `text` into lines of at most about `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(word.to_string());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plots::write_figure;

    #[test]
    fn a_grid_with_a_failed_panel_still_draws() {
        let engines: Vec<u8> = (0..40).map(|i| (i % 16) as u8).collect();
        let sounds = vec!["target".to_string(), "match-1".to_string()];
        let coords: Vec<[f64; 2]> = (0..42).map(|i| [i as f64, (i * i % 7) as f64]).collect();
        let figure = MapFigure {
            title: "t-SNE".into(),
            subtitle: "40 of 40 patches".into(),
            legend: MapLegend { engines: &engines, sounds: &sounds },
            panels: vec![
                Panel { title: "a".into(), coords: Ok(&coords), axes: None },
                Panel { title: "b".into(), coords: Err("too few points to map".into()), axes: None },
            ],
            rows: 1,
            cols: 2,
            panel_size: 200,
        };
        let dir = tempfile::tempdir().unwrap();
        let [_, svg] = write_figure(&figure, &dir.path().join("grid")).unwrap();
        let svg = std::fs::read_to_string(svg).unwrap();
        assert!(svg.contains("too few points"), "the failure is shown in its panel");
        assert!(svg.contains(ENGINES[15].name), "the legend names the engines");
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
    }
}
