//! Figures as PNG and SVG (plotters), with text in the embedded DejaVu Sans
//! so that nothing depends on the fonts of the machine.

pub mod envelope;
pub mod map_grid;
pub mod method_box;
pub mod spectrogram;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use crate::atomic::write_bytes_atomically;

/// Family name the embedded font is registered under.
pub const FONT: &str = "sans-serif";
const FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Colour of the target in every figure.
pub const TARGET_COLOUR: RGBColor = RGBColor(220, 0, 0);
/// One colour per Plaits engine, none of them red (red is the target).
const ENGINE_COLOURS: [RGBColor; 16] = [
    RGBColor(31, 119, 180),
    RGBColor(174, 199, 232),
    RGBColor(255, 127, 14),
    RGBColor(255, 187, 120),
    RGBColor(44, 160, 44),
    RGBColor(152, 223, 138),
    RGBColor(148, 103, 189),
    RGBColor(197, 176, 213),
    RGBColor(140, 86, 75),
    RGBColor(196, 156, 148),
    RGBColor(227, 119, 194),
    RGBColor(247, 182, 210),
    RGBColor(127, 127, 127),
    RGBColor(199, 199, 199),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];
/// Colours of the matches in overlaid curves, by rank (none of them red).
const MATCH_COLOURS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(23, 190, 207),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// The colour of engine `model` in maps.
pub fn engine_colour(model: u8) -> RGBColor {
    ENGINE_COLOURS[model as usize % ENGINE_COLOURS.len()]
}

/// The colour of match `rank` (1-based) in overlaid curves.
pub fn match_colour(rank: usize) -> RGBColor {
    MATCH_COLOURS[rank.saturating_sub(1) % MATCH_COLOURS.len()]
}

/// Why a figure was not written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The embedded font could not be loaded.
    #[error("the embedded font cannot be used: {0}")]
    Font(String),
    /// Drawing failed.
    #[error("{path}: cannot draw the figure: {problem}")]
    Draw {
        /// The file being drawn.
        path: PathBuf,
        /// Why.
        problem: String,
    },
    /// The file could not be written.
    #[error("{path}: cannot write the figure: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// A figure that can be drawn on any plotters backend.
pub trait Figure {
    /// Size in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws the whole figure on `root`; errors are described in words.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// A drawing error in words.
pub fn problem<E: std::fmt::Display>(error: E) -> String {
    error.to_string()
}

/// Registers the embedded font with plotters (once per process).
pub fn use_embedded_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            register_font(FONT, FontStyle::Normal, FONT_BYTES)
                .map_err(|_| "not a usable TrueType font".to_string())
        })
        .clone()
        .map_err(PlotError::Font)
}

/// Writes `figure` as `<stem>.png` and `<stem>.svg`, each atomically, and returns both paths.
pub fn write_figure(figure: &impl Figure, stem: &Path) -> Result<[PathBuf; 2], PlotError> {
    use_embedded_font()?;
    let png_path = stem.with_extension("png");
    let svg_path = stem.with_extension("svg");
    let (width, height) = figure.size();
    let mut pixels = vec![255u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        let drawn = figure.draw(&root).and_then(|_| root.present().map_err(problem));
        drawn.map_err(|problem| PlotError::Draw { path: png_path.clone(), problem })?;
    }
    let png = encode_png(&pixels, width, height)
        .map_err(|problem| PlotError::Draw { path: png_path.clone(), problem })?;
    write_bytes_atomically(&png_path, &png)
        .map_err(|source| PlotError::Write { path: png_path.clone(), source })?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let drawn = figure.draw(&root).and_then(|_| root.present().map_err(problem));
        drawn.map_err(|problem| PlotError::Draw { path: svg_path.clone(), problem })?;
    }
    write_bytes_atomically(&svg_path, svg.as_bytes())
        .map_err(|source| PlotError::Write { path: svg_path.clone(), source })?;
    Ok([png_path, svg_path])
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(problem)?;
    writer.write_image_data(rgb).map_err(problem)?;
    writer.finish().map_err(problem)?;
    Ok(bytes)
}

/// Bounds of `values` with a margin, never empty.
pub fn padded_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (low, high) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(v), h.max(v)));
    if !low.is_finite() || !high.is_finite() {
        return -1.0..1.0;
    }
    let pad = ((high - low) * 0.04).max(1e-9);
    (low - pad)..(high + pad)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Square;

    impl Figure for Square {
        fn size(&self) -> (u32, u32) {
            (120, 80)
        }

        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
            root.fill(&WHITE).map_err(problem)?;
            root.draw(&Rectangle::new([(10, 10), (50, 50)], TARGET_COLOUR.filled())).map_err(problem)?;
            root.draw(&Text::new("Hz", (60, 20), (FONT, 14))).map_err(problem)
        }
    }

    #[test]
    fn a_figure_is_written_as_png_and_svg_with_the_embedded_font() {
        let dir = tempfile::tempdir().unwrap();
        let [png, svg] = write_figure(&Square, &dir.path().join("square")).unwrap();
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let info = decoder.read_info().unwrap();
        assert_eq!((info.info().width, info.info().height), (120, 80));
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(
            text.starts_with("<svg") && text.contains("Hz") && text.contains("font-family=\"sans-serif\""),
            "{text}"
        );
    }

    #[test]
    fn an_unwritable_place_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_figure(&Square, &dir.path().join("missing-dir/square")).unwrap_err();
        assert!(err.to_string().contains("square.png"), "{err}");
    }
}
