//! Finding the patches closest to a target: nearest neighbours in feature
//! space, re-rendered and re-ranked by MSS against the target.

use std::collections::HashSet;

use rayon::prelude::*;

use crate::analysis::log_spectrum::LogSpectrum;
use crate::analysis::onsets::{self, OnsetAnalysis, MIN_GAP_SECONDS};
use crate::analysis::segment::sound_start;
use crate::analysis::spectral_profile::SpectralProfile;
use crate::features::{FeatureExtractor, DIMS, F0_DIM, FEATURE_RATE, VOICING_DIM};
use crate::index::{nearest_profiles, Index, Neighbour};
use crate::library::Library;
use crate::mss::{Mss, PreparedReference};
use crate::render_batch::render_params;
use crate::render_params::RenderParams;

/// A Plaits trigger first sounds 4 blocks (1 ms) after its onset.
pub const TRIGGER_LATENCY_SECONDS: f64 = 48.0 / 48_000.0;
/// Threshold (dB re peak) that marks where a target's sound starts.
pub const START_THRESHOLD_DB: f32 = -40.0;

/// A target prepared for many comparisons.
pub struct PreparedTarget {
    /// Mono 48 kHz samples as loaded.
    pub samples: Vec<f32>,
    /// RMS of the samples.
    pub rms: f64,
    /// Where its sound starts, in seconds.
    pub start_seconds: f64,
    /// Its raw feature vector.
    pub features: [f32; DIMS],
    /// Its spectral profile.
    pub profile: SpectralProfile,
    /// Its onsets and events.
    pub events: OnsetAnalysis,
    /// Where a candidate that follows the target fires TRIG (seconds, ascending):
    /// each onset less the trigger latency, or the sound's start when no onset was found.
    pub trigger_times: Vec<f64>,
    /// Features of the first event alone (cut at the second trigger), where there are several.
    pub first_event_features: Option<[f32; DIMS]>,
    /// Spectral profile of the first event alone, where there are several.
    pub first_event_profile: Option<SpectralProfile>,
    /// Its long-term log-frequency spectrum, to line candidates' pitch up with.
    pub log_spectrum: LogSpectrum,
    mss: Mss,
    reference: PreparedReference,
}

impl PreparedTarget {
    /// Analyses a 48 kHz mono target.
    pub fn new(samples: Vec<f32>, extractor: &FeatureExtractor) -> Self {
        let rms = rms(&samples);
        let start_seconds = sound_start(&samples, FEATURE_RATE, START_THRESHOLD_DB) as f64 / FEATURE_RATE;
        let whole = extractor.analyse(&samples);
        let events = onsets::analyse(&samples, FEATURE_RATE);
        let trigger_times = trigger_times(&events, start_seconds);
        let first_event = trigger_times.get(1).map(|&next| {
            let end = (((next + TRIGGER_LATENCY_SECONDS) * FEATURE_RATE) as usize).min(samples.len());
            extractor.analyse(&samples[..end])
        });
        let log_spectrum = LogSpectrum::of(&samples, FEATURE_RATE);
        let mss = Mss::default();
        let as_f64: Vec<f64> = samples.iter().map(|&x| x as f64).collect();
        let reference = mss.prepare(&as_f64);
        Self {
            samples,
            rms,
            start_seconds,
            features: whole.features,
            profile: whole.profile,
            events,
            trigger_times,
            first_event_features: first_event.map(|a| a.features),
            first_event_profile: first_event.map(|a| a.profile),
            log_spectrum,
            mss,
            reference,
        }
    }

    /// Whether no onset was found, so candidates that follow the target fire
    /// once at the sound's start, as in a static space.
    pub fn static_fallback(&self) -> bool {
        self.events.onsets.is_empty()
    }

    /// The features to look up in a library of `space`: the first event's
    /// where the space follows the target's onsets (its renders hold one event).
    pub fn features_for(&self, space: &crate::space::Space) -> &[f32; DIMS] {
        match &self.first_event_features {
            Some(first) if space.follows_target() => first,
            _ => &self.features,
        }
    }

    /// The spectral profile to look up in a library of `space`, chosen as
    /// [`PreparedTarget::features_for`] chooses the features.
    pub fn profile_for(&self, space: &crate::space::Space) -> &SpectralProfile {
        match &self.first_event_profile {
            Some(first) if space.follows_target() => first,
            _ => &self.profile,
        }
    }

    /// Render parameters of a library point as a candidate for this target:
    /// its length, struck in step with it.
    pub fn candidate_params(
        &self,
        space: &crate::space::Space,
        point: &crate::space::SpacePoint,
        id: &str,
    ) -> RenderParams {
        space.render_params_at(point, id, candidate_seconds(self), self.onset_delay(), &self.trigger_times)
    }

    /// Length in seconds.
    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / FEATURE_RATE
    }

    /// How much later than in the library a struck candidate's onsets should
    /// be, so that it starts when the target does.
    pub fn onset_delay(&self) -> f64 {
        (self.start_seconds - TRIGGER_LATENCY_SECONDS).max(0.0)
    }

    /// MSS between the target and a candidate's OUT channel, the candidate
    /// scaled to the target's RMS (both are the target's length).
    pub fn distance(&self, candidate_out: &[f32]) -> f64 {
        let candidate_rms = rms(candidate_out);
        let gain = if candidate_rms > 0.0 { self.rms / candidate_rms } else { 1.0 };
        let scaled: Vec<f64> = candidate_out.iter().map(|&x| x as f64 * gain).collect();
        self.mss.distance_prepared(&self.reference, &scaled)
    }

    /// Renders `params` (which must last the target's length) and scores its OUT.
    pub fn score(&self, params: &RenderParams) -> (f64, Vec<f32>) {
        let mut out: Vec<f32> = render_params(params).iter().map(|f| f[0]).collect();
        out.resize(self.samples.len(), 0.0);
        (self.distance(&out), out)
    }
}

/// Level (dB re peak) before the first onset above which the sound counts as
/// already playing there, rather than as background noise.
const LEAD_EVENT_DB: f32 = -12.0;

impl PreparedTarget {
    /// A library-space point rendered as a candidate ([`PreparedTarget::candidate_params`])
    /// and scored, tagged with how it was found.
    pub fn score_point(
        &self,
        space: &crate::space::Space,
        point: &crate::space::SpacePoint,
        method: &'static str,
    ) -> ScoredCandidate {
        self.scored(self.candidate_params(space, point, "candidate"), method)
    }

    /// `params` (which must last the target's length) rendered, scored and
    /// tagged with how they were found.
    pub fn scored(&self, params: RenderParams, method: &'static str) -> ScoredCandidate {
        let (distance, _) = self.score(&params);
        ScoredCandidate { params, distance, feature_distance: None, library_index: None, method }
    }
}

/// Trigger times that reproduce the onsets (each less the latency). Where
/// the sound already plays before the first onset (it starts with the file,
/// or softly) or no onset was found, its start leads the list.
fn trigger_times(events: &OnsetAnalysis, start_seconds: f64) -> Vec<f64> {
    let onsets = &events.onsets;
    let mut times = Vec::with_capacity(onsets.len() + 1);
    let plays_before = onsets
        .first()
        .is_none_or(|&first| start_seconds < first - MIN_GAP_SECONDS && events.lead_peak_db > LEAD_EVENT_DB);
    if plays_before {
        times.push(start_seconds);
    }
    times.extend_from_slice(onsets);
    times.iter().map(|t| (t - TRIGGER_LATENCY_SECONDS).max(0.0)).collect()
}

/// Render length for candidates of a target: its own length, as frames at 48 kHz.
pub fn candidate_seconds(target: &PreparedTarget) -> f64 {
    target.samples.len() as f64 / FEATURE_RATE
}

fn rms(x: &[f32]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|&v| v as f64 * v as f64).sum::<f64>() / x.len() as f64).sqrt()
}

/// One scored candidate.
#[derive(Clone, Debug)]
pub struct ScoredCandidate {
    /// Its render parameters (the target's length, onsets aligned).
    pub params: RenderParams,
    /// MSS to the target.
    pub distance: f64,
    /// Distance in scaled feature space, where it came from the index.
    pub feature_distance: Option<f32>,
    /// Its library index, where it came from the library.
    pub library_index: Option<usize>,
    /// How it was found ("knn", ...).
    pub method: &'static str,
}

/// Voicing confidence above which a sound's pitch is trusted for transposing.
const TRANSPOSE_VOICING: f32 = 0.5;

/// The nearest library points to the target in feature space, re-rendered at
/// the target's length and scored by MSS: exactly `budget` renders, sorted by MSS.
///
/// A random library rarely holds the target's exact pitch, so where both the
/// target and a neighbour have a clear pitch, the neighbour is also tried
/// transposed onto the target's pitch (FREQ moved by the difference of their
/// f0 features). Each try counts as one render.
pub fn knn_candidates(
    target: &PreparedTarget,
    library: &Library,
    index: &Index,
    budget: usize,
) -> Vec<ScoredCandidate> {
    let space = &library.manifest.space;
    let features = target.features_for(space);
    // At most two renders per neighbour, so `budget` neighbours always suffice.
    let mut neighbours = index.search(features, budget);
    if !std::ptr::eq(features, &target.features) {
        // The first event's neighbours (struck once) and the whole sound's
        // (drones, or one strike that rings through the later onsets), in turn.
        let whole = index.search(&target.features, budget);
        neighbours = interleave_unique(neighbours, whole);
    }
    let mut plan = Vec::with_capacity(budget);
    for n in &neighbours {
        let params = target.candidate_params(space, &library.points[n.index], "candidate");
        let neighbour_features = &library.features[n.index * DIMS..(n.index + 1) * DIMS];
        let shifted = transposed(&params, features, neighbour_features);
        plan.push((n, params, "knn"));
        if let Some(shifted) = shifted {
            plan.push((n, shifted, "knn+transpose"));
        }
        if plan.len() >= budget {
            break;
        }
    }
    plan.truncate(budget);
    let mut scored: Vec<ScoredCandidate> = plan
        .into_par_iter()
        .map(|(n, params, method)| {
            let (distance, _) = target.score(&params);
            ScoredCandidate {
                params,
                distance,
                feature_distance: Some(n.distance),
                library_index: Some(n.index),
                method,
            }
        })
        .collect();
    sort_by_distance(&mut scored);
    scored
}

/// `a` and `b` alternately, each library entry once.
fn interleave_unique(a: Vec<Neighbour>, b: Vec<Neighbour>) -> Vec<Neighbour> {
    let mut seen = HashSet::new();
    let mut merged = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter(), b.into_iter());
    loop {
        let (x, y) = (a.next(), b.next());
        if x.is_none() && y.is_none() {
            break merged;
        }
        merged.extend([x, y].into_iter().flatten().filter(|n| seen.insert(n.index)));
    }
}

/// Share of the render budget spent on k-NN candidates when refinement follows.
pub const KNN_SHARE: f64 = 0.25;
/// Fewest k-NN renders before refinement.
pub const MIN_KNN_RENDERS: usize = 8;

/// The whole search: k-NN candidates, then (if `optimizer` is given) the
/// rest of [`search_from`] them, `budget` renders in all; every evaluated
/// candidate, best first.
pub fn search(
    target: &PreparedTarget,
    library: &Library,
    index: &Index,
    budget: usize,
    optimizer: Option<crate::refine::Optimizer>,
    seed: u64,
) -> Vec<ScoredCandidate> {
    let Some(optimizer) = optimizer else {
        return knn_candidates(target, library, index, budget);
    };
    let knn_budget = ((budget as f64 * KNN_SHARE) as usize).max(MIN_KNN_RENDERS).min(budget);
    let starts = knn_candidates(target, library, index, knn_budget);
    search_from(target, library, starts, budget, optimizer, seed, None)
}

/// The search after its starting candidates (`starts`, already scored and
/// counted in `budget`; `preferred_model` as in [`crate::refine::refine`]):
/// the library's nearest spectral profiles where they are all far from the
/// target, pitch moves of the best, then refinement with what is left of
/// `budget`. Every evaluated candidate, best first.
pub fn search_from(
    target: &PreparedTarget,
    library: &Library,
    mut all: Vec<ScoredCandidate>,
    budget: usize,
    optimizer: crate::refine::Optimizer,
    seed: u64,
    preferred_model: Option<u32>,
) -> Vec<ScoredCandidate> {
    let space = &library.manifest.space;
    all.extend(profile_candidates_if_far(target, library, &all, budget.saturating_sub(all.len())));
    sort_by_distance(&mut all);
    let probes = spectral_transpositions(target, &all, budget.saturating_sub(all.len()));
    all.extend(probes);
    let probes = pitch_probes(target, &all, budget.saturating_sub(all.len()));
    all.extend(probes);
    sort_by_distance(&mut all);
    let refined = crate::refine::refine(
        target,
        space,
        &all,
        budget.saturating_sub(all.len()),
        optimizer,
        seed,
        preferred_model,
    );
    all.extend(refined);
    sort_by_distance(&mut all);
    all
}

/// MSS from which the best k-NN candidate counts as far from the target: the
/// features' neighbourhood of the sound is then a poor guide (typical of real
/// recordings, rare in-domain).
pub const FAR_DISTANCE: f64 = 1.6;
/// Share of the budget spent on the library's nearest spectral profiles when
/// the k-NN candidates are far from the target.
pub const FAR_PROFILE_SHARE: f64 = 0.25;

/// Where the best of `candidates` is [far](FAR_DISTANCE) from the target,
/// [`FAR_PROFILE_SHARE`] of `budget` library points nearest it by spectral
/// profile ([`profile_candidates`]); else none.
///
/// On a real recording the feature vector's neighbours can miss what MSS
/// rewards (broadband level over time and the upper kilohertz), and random
/// points beat them on a gong or a bird; the profile ranks the library much
/// as MSS would, at no render cost.
pub fn profile_candidates_if_far(
    target: &PreparedTarget,
    library: &Library,
    candidates: &[ScoredCandidate],
    budget: usize,
) -> Vec<ScoredCandidate> {
    let far = candidates.iter().map(|c| c.distance).fold(f64::INFINITY, f64::min) >= FAR_DISTANCE;
    if !far {
        return Vec::new();
    }
    let tried: HashSet<usize> = candidates.iter().filter_map(|c| c.library_index).collect();
    profile_candidates(target, library, (budget as f64 * FAR_PROFILE_SHARE) as usize, &tried)
}

/// The `count` library points nearest the target by spectral profile, less
/// those already `tried`, rendered as candidates and scored, best first.
pub fn profile_candidates(
    target: &PreparedTarget,
    library: &Library,
    count: usize,
    tried: &HashSet<usize>,
) -> Vec<ScoredCandidate> {
    let space = &library.manifest.space;
    let nearest = nearest_profiles(&library.profiles, target.profile_for(space), count + tried.len());
    let fresh: Vec<Neighbour> =
        nearest.into_iter().filter(|n| !tried.contains(&n.index)).take(count).collect();
    let mut scored: Vec<ScoredCandidate> = fresh
        .into_par_iter()
        .map(|n| ScoredCandidate {
            library_index: Some(n.index),
            ..target.score_point(space, &library.points[n.index], "profile")
        })
        .collect();
    sort_by_distance(&mut scored);
    scored
}

/// `count` random points of `space` drawn with `seed`, rendered as candidates
/// for the target and scored, best first.
pub fn random_candidates(
    target: &PreparedTarget,
    space: &crate::space::Space,
    count: usize,
    seed: u64,
) -> Vec<ScoredCandidate> {
    let mut scored: Vec<ScoredCandidate> = (0..count as u64)
        .into_par_iter()
        .map(|i| {
            let point = space.point(seed, crate::rng::SplitMix64::for_item(seed, i).below(1 << 40));
            target.score_point(space, &point, "random")
        })
        .collect();
    sort_by_distance(&mut scored);
    scored
}

/// FREQ moves, in octaves, tried on the best k-NN candidate before
/// refinement: an octave either way, then ½, 1 and 1½ semitones.
const PITCH_PROBES: [f64; 8] =
    [1.0, -1.0, 0.5 / 12.0, -0.5 / 12.0, 1.0 / 12.0, -1.0 / 12.0, 1.5 / 12.0, -1.5 / 12.0];

/// The best candidate moved by each of [`PITCH_PROBES`], scored (at most
/// `budget` renders; none for a patch line). Pitch trackers and the library's
/// neighbours are often an octave or a semitone off, and refinement, which
/// starts with about a semitone of FREQ spread, rarely leaps that far.
fn pitch_probes(
    target: &PreparedTarget,
    candidates: &[ScoredCandidate],
    budget: usize,
) -> Vec<ScoredCandidate> {
    let Some(best) = candidates.first().filter(|c| c.params.patch.is_none()) else {
        return Vec::new();
    };
    let probes: Vec<RenderParams> = PITCH_PROBES
        .iter()
        .map(|shift| best.params.frequency + shift)
        .filter(|frequency| (-4.0..=4.0).contains(frequency))
        .map(|frequency| RenderParams { frequency: quantize_octaves(frequency), ..best.params.clone() })
        .take(budget)
        .collect();
    // A transposed start keeps its narrow FREQ spread in refinement.
    let method = if best.method.contains("transpose") { "knn+transpose+octave" } else { "knn+octave" };
    let mut scored: Vec<ScoredCandidate> = probes
        .into_par_iter()
        .map(|params| {
            let (distance, _) = target.score(&params);
            ScoredCandidate { params, distance, method, ..best.clone() }
        })
        .collect();
    sort_by_distance(&mut scored);
    scored
}

/// Distinct engines (best first) whose best candidate is transposed onto
/// the target by [`spectral_transpositions`].
const SPECTRAL_STARTS: usize = 2;
/// Transpositions tried per start: the best peaks of the spectra's cross-correlation.
const SPECTRAL_SHIFTS: usize = 3;
/// Farthest spectral transposition tried, semitones.
const SPECTRAL_REACH: f64 = 60.0;

/// The best candidates of the first [`SPECTRAL_STARTS`] engines, each moved
/// by the transpositions that best line its long-term spectrum up with the
/// target's, scored (at most `budget` renders; none for patch lines).
pub fn spectral_transpositions(
    target: &PreparedTarget,
    candidates: &[ScoredCandidate],
    budget: usize,
) -> Vec<ScoredCandidate> {
    let mut starts: Vec<&ScoredCandidate> = Vec::new();
    for c in candidates.iter().filter(|c| c.params.patch.is_none()) {
        if starts.len() == SPECTRAL_STARTS {
            break;
        }
        if starts.iter().all(|s| s.params.model != c.params.model) {
            starts.push(c);
        }
    }
    let plan: Vec<(&ScoredCandidate, RenderParams)> = starts
        .par_iter()
        .map(|start| {
            // Scored candidates keep no audio (a search scores hundreds), so
            // the few starts are rendered again here.
            let out: Vec<f32> = render_params(&start.params).iter().map(|f| f[0]).collect();
            let spectrum = LogSpectrum::of(&out, FEATURE_RATE);
            target
                .log_spectrum
                .best_shifts(&spectrum, SPECTRAL_REACH, SPECTRAL_SHIFTS)
                .into_iter()
                .map(|shift| start.params.frequency + shift / 12.0)
                .filter(|frequency| (-4.0..=4.0).contains(frequency))
                .map(|frequency| {
                    (*start, RenderParams { frequency: quantize_octaves(frequency), ..start.params.clone() })
                })
                .collect::<Vec<_>>()
        })
        .flatten()
        .collect();
    let mut scored: Vec<ScoredCandidate> = plan
        .into_par_iter()
        .take(budget)
        .map(|(start, params)| {
            let (distance, _) = target.score(&params);
            ScoredCandidate { params, distance, method: "knn+transpose", ..start.clone() }
        })
        .collect();
    sort_by_distance(&mut scored);
    scored
}

/// `params` with FREQ moved so that the candidate's pitch lands on the target's,
/// or `None` where either has no clear pitch, the move is negligible, or the
/// line renders a patch.
pub fn transposed(params: &RenderParams, target: &[f32], candidate: &[f32]) -> Option<RenderParams> {
    // A patch's pitch is wherever its MIDI-Map puts it, not in FREQ.
    if params.patch.is_some() {
        return None;
    }
    if target[VOICING_DIM] < TRANSPOSE_VOICING || candidate[VOICING_DIM] < TRANSPOSE_VOICING {
        return None;
    }
    let shift = (target[F0_DIM] - candidate[F0_DIM]) as f64;
    let frequency = quantize_octaves((params.frequency + shift).clamp(-4.0, 4.0));
    if (frequency - params.frequency).abs() < 0.005 {
        return None;
    }
    Some(RenderParams { frequency, ..params.clone() })
}

/// FREQ kept to 4 decimals, like library knobs.
fn quantize_octaves(value: f64) -> f64 {
    crate::space::quantize(value) as f64 * crate::space::KNOB_UNIT
}

/// Sorts by MSS, ties broken by library index then parameters, so the order is deterministic.
pub fn sort_by_distance(candidates: &mut [ScoredCandidate]) {
    candidates.sort_by(|a, b| {
        a.distance
            .total_cmp(&b.distance)
            .then(a.library_index.cmp(&b.library_index))
            .then_with(|| serde_json::to_string(&a.params).ok().cmp(&serde_json::to_string(&b.params).ok()))
    });
}

/// A target made of `params`' own OUT render, for tests.
#[cfg(test)]
pub(crate) fn rendered_target(params: &RenderParams) -> PreparedTarget {
    let out: Vec<f32> = render_params(params).iter().map(|f| f[0]).collect();
    PreparedTarget::new(out, &FeatureExtractor::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_is_at_distance_zero_from_itself_at_any_level() {
        let mut params = RenderParams::defaults("x", 0);
        params.seconds = 0.3;
        params.trigger = Some(vec![0.0]);
        let out: Vec<f32> = render_params(&params).iter().map(|f| f[0] * 0.25).collect();
        let target = PreparedTarget::new(out, &FeatureExtractor::new());
        let (distance, _) = target.score(&params);
        assert!(distance < 1e-3, "{distance}");
        let mut other = params.clone();
        other.frequency = 1.0;
        assert!(target.score(&other).0 > 0.5);
    }

    #[test]
    fn onset_delay_lines_a_struck_candidate_up_with_the_target() {
        let mut params = RenderParams::defaults("x", 0);
        params.seconds = 0.3;
        params.trigger = Some(vec![0.05]);
        let target = rendered_target(&params);
        assert!((target.onset_delay() - 0.05).abs() < 0.002, "{}", target.onset_delay());
    }

    #[test]
    fn trigger_times_follow_every_hit_and_features_see_the_first_alone() {
        let mut params = RenderParams::defaults("x", 13);
        params.seconds = 1.2;
        params.lpg_decay = 0.3;
        params.trigger = Some(vec![0.1, 0.45, 0.8]);
        let out: Vec<f32> = render_params(&params).iter().map(|f| f[0]).collect();
        let target = PreparedTarget::new(out.clone(), &FeatureExtractor::new());
        assert!(!target.static_fallback());
        assert_eq!(target.trigger_times.len(), 3, "{:?}", target.trigger_times);
        for (got, want) in target.trigger_times.iter().zip([0.1, 0.45, 0.8]) {
            assert!((got - want).abs() <= 0.01, "{:?}", target.trigger_times);
        }
        let mut one_hit = out;
        one_hit.truncate((0.45 * FEATURE_RATE) as usize);
        let alone = FeatureExtractor::new().extract(&one_hit);
        let first = target.first_event_features.expect("several events");
        let gap = |a: &[f32; DIMS], b: &[f32; DIMS]| a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>();
        let (to_alone, to_whole) = (gap(&first, &alone), gap(&first, &target.features));
        assert!(
            to_alone < 0.1 * to_whole,
            "first event {to_alone} from the hit alone, {to_whole} from the whole"
        );
    }

    #[test]
    fn a_drone_falls_back_to_its_start() {
        let mut params = RenderParams::defaults("x", 0);
        params.seconds = 0.6;
        let target = rendered_target(&params);
        assert!(target.static_fallback());
        assert_eq!(target.trigger_times, vec![0.0]);
        assert!(target.first_event_features.is_none());
    }

    fn scored(target: &PreparedTarget, params: RenderParams) -> ScoredCandidate {
        target.scored(params, "knn")
    }

    #[test]
    fn spectral_transposition_moves_a_candidate_onto_the_target_pitch() {
        let mut truth = RenderParams::defaults("x", 2);
        truth.seconds = 0.4;
        truth.frequency = 0.25;
        let target = rendered_target(&truth);
        // An octave and a fifth too low, then 3 semitones too high.
        for offset in [-19.0 / 12.0, 3.0 / 12.0] {
            let start =
                scored(&target, RenderParams { frequency: truth.frequency + offset, ..truth.clone() });
            let moved = spectral_transpositions(&target, std::slice::from_ref(&start), 3);
            assert!(!moved.is_empty() && moved.len() <= 3);
            let best = &moved[0];
            assert!(
                (best.params.frequency - truth.frequency).abs() * 1200.0 < 15.0,
                "{offset}: {:?}",
                best.params
            );
            let cents = (best.params.frequency - truth.frequency) * 1200.0;
            assert!(
                best.distance < 0.25 * start.distance,
                "{cents} cents: {} vs {}",
                best.distance,
                start.distance
            );
            assert!(spectral_transpositions(&target, std::slice::from_ref(&start), 1).len() == 1);
        }
    }

    #[test]
    fn far_targets_get_the_library_points_nearest_by_profile() {
        let dir = tempfile::tempdir().unwrap();
        let space = crate::space::Space::default_space();
        crate::library::build(dir.path(), &space, 3, 48, &std::sync::atomic::AtomicBool::new(false)).unwrap();
        let library = crate::library::load(dir.path()).unwrap();
        let own = space.render_params(&library.points[21], "x", space.seconds, 0.0);
        let target = rendered_target(&own);
        let near = scored(&target, own.clone());
        assert!(profile_candidates_if_far(&target, &library, std::slice::from_ref(&near), 40).is_empty());

        let far = ScoredCandidate { distance: FAR_DISTANCE, ..near };
        let found = profile_candidates_if_far(&target, &library, std::slice::from_ref(&far), 40);
        assert_eq!(found.len(), (40.0 * FAR_PROFILE_SHARE) as usize);
        assert!(found.iter().all(|c| c.method == "profile"));
        assert!(found.windows(2).all(|w| w[0].distance <= w[1].distance));
        // The target's own library point is its nearest profile and renders it again.
        assert_eq!(found[0].library_index, Some(21));
        assert!(found[0].distance < 0.05, "{}", found[0].distance);

        // Points already scored are not rendered twice.
        let tried = ScoredCandidate { library_index: Some(21), ..far };
        let rest = profile_candidates_if_far(&target, &library, std::slice::from_ref(&tried), 40);
        assert_eq!(rest.len(), found.len());
        assert!(rest.iter().all(|c| c.library_index != Some(21)));
        let again = profile_candidates_if_far(&target, &library, std::slice::from_ref(&tried), 40);
        assert!(rest.iter().zip(&again).all(|(a, b)| a.params == b.params && a.distance == b.distance));
    }
}
