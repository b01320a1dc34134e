//! Per-method summaries of a benchmark, overall and per category, and
//! their text tables.

use serde::{Deserialize, Serialize};

use super::{Budget, Method, TargetOutcome};

/// Per-method summary.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MethodSummary {
    /// Method.
    pub method: Method,
    /// Number of targets.
    pub targets: usize,
    /// Median MSS of the best candidate.
    pub median_distance: f64,
    /// Mean MSS.
    pub mean_distance: f64,
    /// Fraction of targets where it beats random search (ties count half).
    pub win_rate_vs_random: Option<f64>,
    /// Its median MSS over random search's on the same targets (0.7: 30 % below).
    pub median_vs_random: Option<f64>,
    /// How much of the way from random search's median to the targets'
    /// [phase-random reference](reference_median) its median goes (1: all of it).
    pub gap_closed: Option<f64>,
    /// Median time per target, ms.
    pub median_ms: f64,
    /// In-domain engine-recovered rate.
    pub engine_recovered: Option<f64>,
    /// In-domain note-recovered rate (within 50 cents).
    pub note_recovered: Option<f64>,
    /// In-domain gesture targets: share of true onsets found within 10 ms.
    pub onsets_recovered: Option<f64>,
    /// Detected onsets per true onset (above 1: spurious detections).
    pub onsets_detected_per_true: Option<f64>,
}

/// Summaries per method, in the order given.
pub fn summarise(outcomes: &[TargetOutcome], methods: &[Method]) -> Vec<MethodSummary> {
    methods
        .iter()
        .map(|&method| {
            let mine: Vec<&TargetOutcome> = outcomes.iter().filter(|o| o.method == method).collect();
            let mut distances: Vec<f64> = mine.iter().map(|o| o.distance).collect();
            let mut times: Vec<f64> = mine.iter().map(|o| o.milliseconds).collect();
            let random: Vec<&TargetOutcome> =
                outcomes.iter().filter(|o| o.method == Method::Random).collect();
            let mut random_distances: Vec<f64> = random.iter().map(|o| o.distance).collect();
            let random_median = median(&mut random_distances);
            let against_random = !random.is_empty() && method != Method::Random;
            let win_rate = against_random.then(|| {
                let wins: f64 = mine
                    .iter()
                    .filter_map(|o| random.iter().find(|r| r.target == o.target).map(|r| (o, r)))
                    .map(|(o, r)| {
                        if o.distance < r.distance {
                            1.0
                        } else if o.distance == r.distance {
                            0.5
                        } else {
                            0.0
                        }
                    })
                    .sum();
                wins / mine.len().max(1) as f64
            });
            let rate = |f: fn(&TargetOutcome) -> Option<bool>| {
                let known: Vec<bool> = mine.iter().filter_map(|o| f(o)).collect();
                (!known.is_empty()).then(|| known.iter().filter(|&&b| b).count() as f64 / known.len() as f64)
            };
            let onset_counts: Vec<(usize, usize, usize)> =
                mine.iter().filter_map(|o| o.onsets_recovered).collect();
            let true_onsets: usize = onset_counts.iter().map(|c| c.1).sum();
            let onset_share = |pick: fn(&(usize, usize, usize)) -> usize| {
                (true_onsets > 0)
                    .then(|| onset_counts.iter().map(pick).sum::<usize>() as f64 / true_onsets as f64)
            };
            let median_distance = median(&mut distances);
            let reference = reference_median(mine.iter().copied());
            MethodSummary {
                gap_closed: (against_random && random_median > reference)
                    .then(|| (random_median - median_distance) / (random_median - reference)),
                method,
                median_vs_random: against_random.then(|| median_distance / random_median),
                onsets_recovered: onset_share(|c| c.0),
                onsets_detected_per_true: onset_share(|c| c.2),
                targets: mine.len(),
                median_distance,
                mean_distance: distances.iter().sum::<f64>() / distances.len().max(1) as f64,
                win_rate_vs_random: win_rate,
                median_ms: median(&mut times),
                engine_recovered: rate(|o| o.engine_recovered),
                note_recovered: rate(|o| o.note_recovered),
            }
        })
        .collect()
}

/// Median over targets of the MSS of each target's phase-random reference
/// (its own spectrogram with random phases; see `analysis::phase_surrogate`).
pub fn reference_median<'a>(outcomes: impl IntoIterator<Item = &'a TargetOutcome>) -> f64 {
    let mut seen = std::collections::BTreeMap::new();
    for o in outcomes {
        seen.entry(o.target.as_str()).or_insert(o.reference);
    }
    median(&mut seen.into_values().collect::<Vec<f64>>())
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        0.5 * (values[n / 2 - 1] + values[n / 2])
    }
}

/// The summary as a text table, with the targets' median [reference](reference_median).
pub fn format_summary(summaries: &[MethodSummary], reference: f64, budget: Budget) -> String {
    let mut lines = vec![format!(
        "{:<10} {:>7} {:>10} {:>10} {:>9} {:>6} {:>9} {:>8} {:>8}   (budget {})",
        "method",
        "targets",
        "median",
        "mean",
        "win/rand",
        "gap",
        "ms/tgt",
        "engine",
        "note",
        budget.describe()
    )];
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{:.0}%", x * 100.0));
    for s in summaries {
        lines.push(format!(
            "{:<10} {:>7} {:>10.4} {:>10.4} {:>9} {:>6} {:>9.0} {:>8} {:>8}",
            s.method.name(),
            s.targets,
            s.median_distance,
            s.mean_distance,
            pct(s.win_rate_vs_random),
            pct(s.gap_closed),
            s.median_ms,
            pct(s.engine_recovered),
            pct(s.note_recovered)
        ));
    }
    lines.push(format!(
        "phase-random reference (each target's own spectrogram, random phases): median {reference:.4}; \
         gap: share of the way from random search's median to it"
    ));
    if let Some(s) = summaries.iter().find(|s| s.onsets_recovered.is_some()) {
        lines.push(format!(
            "onsets recovered within 10 ms: {}; detected per true onset: {:.2}",
            pct(s.onsets_recovered),
            s.onsets_detected_per_true.unwrap_or(f64::NAN)
        ));
    }
    lines.join("\n")
}

/// The summaries of one category of targets.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CategorySummary {
    /// The category (the targets' sub-folder).
    pub category: String,
    /// Per method, over this category's targets alone.
    pub summary: Vec<MethodSummary>,
    /// Median MSS of this category's [phase-random references](reference_median).
    pub reference_median: f64,
}

/// Summaries per category, by category name; targets without one are left out.
pub fn summarise_by_category(outcomes: &[TargetOutcome], methods: &[Method]) -> Vec<CategorySummary> {
    let mut categories: Vec<&str> = outcomes.iter().filter_map(|o| o.category.as_deref()).collect();
    categories.sort_unstable();
    categories.dedup();
    categories
        .into_iter()
        .map(|category| {
            let mine: Vec<TargetOutcome> =
                outcomes.iter().filter(|o| o.category.as_deref() == Some(category)).cloned().collect();
            CategorySummary {
                category: category.to_string(),
                summary: summarise(&mine, methods),
                reference_median: reference_median(&mine),
            }
        })
        .collect()
}

/// Per-category medians as a text table: one row per category, one column
/// per method, each median followed by its ratio to random search's.
pub fn format_categories(categories: &[CategorySummary]) -> String {
    let Some(first) = categories.first() else {
        return String::new();
    };
    let mut header = format!("{:<12} {:>7}", "category", "targets");
    for s in &first.summary {
        header.push_str(&format!(" {:>16}", s.method.name()));
    }
    header.push_str(&format!(" {:>10}", "reference"));
    let mut lines = vec!["median MSS per category (× random search's median):".to_string(), header];
    for c in categories {
        let mut line = format!("{:<12} {:>7}", c.category, c.summary.first().map_or(0, |s| s.targets));
        for s in &c.summary {
            let cell = match s.median_vs_random {
                Some(ratio) => format!("{:.3} (×{:.2})", s.median_distance, ratio),
                None => format!("{:.3}", s.median_distance),
            };
            line.push_str(&format!(" {cell:>16}"));
        }
        line.push_str(&format!(" {:>10.3}", c.reference_median));
        lines.push(line);
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render_params::RenderParams;

    fn outcome(target: &str, method: Method, distance: f64, reference: f64) -> TargetOutcome {
        TargetOutcome {
            target: target.to_string(),
            category: Some("bird".to_string()),
            method,
            distance,
            reference,
            params: RenderParams::defaults("x", 0),
            renders: 1,
            milliseconds: 1.0,
            engine_recovered: None,
            note_recovered: None,
            onsets_recovered: None,
            truth: None,
        }
    }

    #[test]
    fn the_gap_runs_from_random_search_to_the_reference() {
        let outcomes = [
            outcome("a", Method::Random, 2.0, 1.0),
            outcome("b", Method::Random, 3.0, 1.5),
            outcome("a", Method::Hybrid, 1.5, 1.0),
            outcome("b", Method::Hybrid, 2.0, 1.5),
        ];
        // Medians: random 2.5, hybrid 1.75, reference 1.25 (each target counted once).
        assert_eq!(reference_median(&outcomes), 1.25);
        let summaries = summarise(&outcomes, &[Method::Random, Method::Hybrid]);
        assert_eq!(summaries[0].gap_closed, None);
        assert_eq!(summaries[1].gap_closed, Some(0.6));
        assert_eq!(summaries[1].median_vs_random, Some(0.7));
        let categories = summarise_by_category(&outcomes, &[Method::Random, Method::Hybrid]);
        assert_eq!(categories[0].reference_median, 1.25);
        assert!(format_categories(&categories).lines().last().unwrap().ends_with("1.250"));
    }
}
