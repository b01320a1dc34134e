//! The report page itself: one self-contained HTML file with no scripts and
//! no network access; images, audio and patches are files beside it.

use std::fmt::Write;

/// A figure written as PNG (shown) and SVG (linked), names relative to the page.
#[derive(Clone, Debug, PartialEq)]
pub struct FigureFiles {
    /// PNG file name.
    pub png: String,
    /// SVG file name.
    pub svg: String,
    /// Text alternative.
    pub alt: String,
}

/// One match in the candidate table.
#[derive(Clone, Debug, PartialEq)]
pub struct CandidateRow {
    /// 1 = closest.
    pub rank: usize,
    /// Engine number and name.
    pub engine: String,
    /// How it was found.
    pub method: String,
    /// MSS to the target.
    pub mss: f64,
    /// Distance to the target in the full scaled feature space.
    pub feature_distance: f32,
    /// Knob values, in `Page::knob_names` order.
    pub knobs: Vec<String>,
    /// "drone" or when it is struck.
    pub trigger: String,
    /// MIDI CC values, e.g. "CC0=64 CC1=12".
    pub cc: String,
    /// Its WAV file.
    pub audio: String,
    /// Its Rack patch.
    pub vcv: String,
    /// Its spectrogram, if drawn.
    pub spectrogram: Option<FigureFiles>,
}

/// Maps of one encoding.
#[derive(Clone, Debug, PartialEq)]
pub struct MapSection {
    /// Encoding name.
    pub encoding: String,
    /// What it is.
    pub description: String,
    /// The PCA map, if drawn.
    pub pca: Option<FigureFiles>,
    /// The t-SNE grid, if drawn.
    pub tsne: Option<FigureFiles>,
    /// How often the 2-D nearest patch is the full-space nearest, in words.
    pub agreement: String,
}

/// Everything on the page.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    /// Target file name.
    pub target_name: String,
    /// Target path as given.
    pub target_path: String,
    /// The target's copy beside the page.
    pub target_audio: String,
    /// The target's spectrogram, if drawn.
    pub target_spectrogram: Option<FigureFiles>,
    /// The library, in words.
    pub library: String,
    /// What the maps show, in words.
    pub plotted: String,
    /// Names of the space's knobs (table columns).
    pub knob_names: Vec<String>,
    /// The matches.
    pub rows: Vec<CandidateRow>,
    /// The RMS envelopes, if drawn.
    pub envelope: Option<FigureFiles>,
    /// Maps per encoding.
    pub maps: Vec<MapSection>,
    /// Figures that failed, in words.
    pub problems: Vec<String>,
    /// Where the time went, in words.
    pub timing: String,
}

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1800px}\
table{border-collapse:collapse;font-size:14px}td,th{border:1px solid #ccc;padding:4px 6px;vertical-align:top}\
th{background:#f2f2f2}img{max-width:100%;height:auto}.problems{border:2px solid #c00;padding:0.5em 1em;background:#fff0f0}\
.missing{color:#c00}audio{width:260px}.thumb{width:320px}code{font-size:13px}";

/// The page as HTML.
pub fn render(page: &Page) -> String {
    let mut html = String::new();
    let title = format!("rackmatch report: {}", page.target_name);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
         <link rel=\"icon\" href=\"data:,\">\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    if !page.problems.is_empty() {
        html.push_str("<div class=\"problems\"><h2>Figures that could not be made</h2>\n<p>The match results (table, audio, patches, result.json) are complete; only these figures are missing.</p>\n<ul>\n");
        for problem in &page.problems {
            let _ = writeln!(html, "<li>{}</li>", escape(problem));
        }
        html.push_str("</ul></div>\n");
    }
    let _ = write!(
        html,
        "<p>Target <code>{}</code>; library {}.<br>{}</p>\n<h2>Target</h2>\n<p><audio controls preload=\"auto\" src=\"{}\"></audio></p>\n{}\n",
        escape(&page.target_path),
        escape(&page.library),
        escape(&page.timing),
        attribute(&page.target_audio),
        figure_html(page.target_spectrogram.as_ref(), "thumb")
    );
    html.push_str("<h2>Matches</h2>\n<p>Closest first by MSS (multi-scale spectral distance, level-independent); the feature distance is in the full scaled feature space that matching searches.</p>\n<table>\n<tr><th>rank</th><th>listen</th><th>engine</th><th>MSS</th><th>feature distance</th><th>found by</th><th>trigger</th>");
    for name in &page.knob_names {
        let _ = write!(html, "<th>{}</th>", escape(name));
    }
    html.push_str("<th>MIDI CCs</th><th>patch</th><th>spectrogram</th></tr>\n");
    for row in &page.rows {
        let _ = write!(
            html,
            "<tr><td>{}</td><td><audio controls preload=\"auto\" src=\"{}\"></audio></td><td>{}</td><td>{:.4}</td><td>{:.3}</td><td>{}</td><td>{}</td>",
            row.rank,
            attribute(&row.audio),
            escape(&row.engine),
            row.mss,
            row.feature_distance,
            escape(&row.method),
            escape(&row.trigger)
        );
        for value in &row.knobs {
            let _ = write!(html, "<td>{}</td>", escape(value));
        }
        let _ = writeln!(
            html,
            "<td>{}</td><td><a href=\"{}\">{}</a></td><td>{}</td></tr>",
            escape(&row.cc),
            attribute(&row.vcv),
            escape(&row.vcv),
            figure_html(row.spectrogram.as_ref(), "thumb")
        );
    }
    html.push_str("</table>\n<h2>Envelopes</h2>\n");
    html.push_str(&figure_html(page.envelope.as_ref(), ""));
    let _ = write!(
        html,
        "\n<h2>Maps of the sound space</h2>\n<p>{}. The maps are for seeing only: matching always uses the full feature space.</p>\n",
        escape(&page.plotted)
    );
    for section in &page.maps {
        let _ = write!(
            html,
            "<h3>Encoding \"{}\": {}</h3>\n<p>{}</p>\n{}\n{}\n",
            escape(&section.encoding),
            escape(&section.description),
            escape(&section.agreement),
            figure_html(section.pca.as_ref(), ""),
            figure_html(section.tsne.as_ref(), "")
        );
    }
    html.push_str("</body>\n</html>\n");
    html
}

/// An image with a link to its SVG, or a note that it is missing.
fn figure_html(figure: Option<&FigureFiles>, class: &str) -> String {
    match figure {
        Some(f) => format!(
            "<figure><img class=\"{}\" src=\"{}\" alt=\"{}\"><figcaption><a href=\"{}\">SVG</a></figcaption></figure>",
            attribute(class),
            attribute(&f.png),
            attribute(&f.alt),
            attribute(&f.svg)
        ),
        None => "<p class=\"missing\">(figure missing: see the list at the top)</p>".to_string(),
    }
}

/// Text with the HTML special characters escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A relative file name as an attribute value: escaped, and with the
/// characters that would change its meaning in a URL percent-encoded.
fn attribute(name: &str) -> String {
    let mut encoded = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '%' => encoded.push_str("%25"),
            '#' => encoded.push_str("%23"),
            '?' => encoded.push_str("%3F"),
            ' ' => encoded.push_str("%20"),
            _ => encoded.push(c),
        }
    }
    escape(&encoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(name: &str) -> Option<FigureFiles> {
        Some(FigureFiles { png: format!("{name}.png"), svg: format!("{name}.svg"), alt: name.into() })
    }

    fn page() -> Page {
        Page {
            target_name: "a<b>.wav".into(),
            target_path: "dir/a<b>.wav".into(),
            target_audio: "target.wav".into(),
            target_spectrogram: figure("spectrogram-target"),
            library: "lib (10 patches)".into(),
            plotted: "all 10 library patches".into(),
            knob_names: vec!["frequency".into()],
            rows: vec![CandidateRow {
                rank: 1,
                engine: "0 Virtual analog".into(),
                method: "knn".into(),
                mss: 0.5,
                feature_distance: 1.25,
                knobs: vec!["0.1000".into()],
                trigger: "drone".into(),
                cc: "CC0=64".into(),
                audio: "match-1.wav".into(),
                vcv: "match-1.vcv".into(),
                spectrogram: None,
            }],
            envelope: figure("envelopes"),
            maps: vec![MapSection {
                encoding: "full".into(),
                description: "all".into(),
                pca: figure("map-full-pca"),
                tsne: None,
                agreement: "1 of 2".into(),
            }],
            problems: vec!["map-full-tsne.png: cannot draw".into()],
            timing: "t".into(),
        }
    }

    #[test]
    fn the_page_links_every_file_and_escapes_text() {
        let html = render(&page());
        for needle in [
            "src=\"target.wav\"",
            "src=\"match-1.wav\"",
            "href=\"match-1.vcv\"",
            "src=\"spectrogram-target.png\"",
            "href=\"map-full-pca.svg\"",
            "<title>rackmatch report: a&lt;b&gt;.wav</title>",
            "map-full-tsne.png: cannot draw",
            "figure missing",
        ] {
            assert!(html.contains(needle), "{needle} missing from\n{html}");
        }
        assert!(!html.contains("<script") && !html.contains("http"), "no scripts, no network");
        assert_eq!(attribute("a b#1?.wav"), "a%20b%231%3F.wav");
    }
}
