//! A Fundamental SEQ3 that fires Plaits' TRIG at a match's trigger times and
//! loops: how a written `.vcv` carries a gesture.
//!
//! Why SEQ3: it ships with VCV Fundamental, loops by itself (internal clock, no
//! external clock or MIDI needed) and has per-step gates. Its steps are
//! normally equal, but its clock rate is `2^(TEMPO + TEMPO input)`, so its own
//! CV row 1 cabled back into TEMPO gives every step its own length: step k
//! lasts as long as its CV knob says. Step 1 is a silent lead-in up to the
//! first trigger; each later step starts with a trigger (gate on) and lasts
//! until the next one; the last lasts until the loop's end, where the
//! sequence wraps to the lead-in. So up to [`MAX_TRIGGERS`] triggers repeat
//! every `seconds` (the render length). A fast clock with a step per
//! millisecond would need hundreds of steps; SEQ3 has eight.
//!
//! The knob values are found by running SEQ3's own f32 arithmetic (the same
//! code as the engine's module), so in a render each trigger reaches Plaits on
//! the frame `render --trigger` would use (`round(t · 48000)`), or where f32
//! rounding makes that frame unreachable, a frame or two away (the plan gives
//! the frames reached; an error does not build up from step to step, as each
//! step is fitted from where the previous one really ended). Further limits,
//! all visible in the returned plan:
//! - a trigger before frame [`FIRST_FRAME`] (e.g. at 0 s) fires at that frame
//!   (83 µs), as SEQ3 needs a few frames to leave its first step;
//! - a trigger within [`MIN_GAP_FRAMES`] (5 ms) of the previous one is dropped,
//!   as renders merge such triggers into one gate anyway;
//! - triggers after the first [`MAX_TRIGGERS`] are dropped (SEQ3 has 8 steps);
//! - SEQ3 pulses are 1 ms where `render --trigger` gates are 5 ms.
//!
//! Later loops start each step from a phase a little different from the
//! first loop's, so their triggers may stray by a few frames (tested: within
//! 0.1 ms). At other sample rates Rack's SEQ3 keeps the times to within a
//! sample or so as well.

use rackmatch_engine::rack::seq3::{self, advance_phase, clock_frequency, STEPS};
use rackmatch_engine::rack::SAMPLE_TIME;
use rackmatch_engine::FRAME_RATE;
use serde_json::json;

use super::error::Problem;
use super::model::Param;

/// Most triggers per loop: SEQ3's 8 steps less the lead-in.
pub const MAX_TRIGGERS: usize = STEPS - 1;
/// SEQ3's TEMPO knob: its maximum, so the CV row reaches the shortest steps.
pub const TEMPO: f32 = 4.0;
/// Lowest and highest CV knob values (V).
const CV_RANGE: (f32, f32) = (-10.0, 10.0);
/// Earliest frame at which Plaits can see a trigger.
pub const FIRST_FRAME: u64 = 4;
/// Fewest frames between two triggers: more than the 5 ms gate of
/// `render --trigger`, within which triggers merge into one there too (a SEQ3
/// pulse lasts 1 ms, and Plaits reads TRIG every 12 frames).
pub const MIN_GAP_FRAMES: u64 = 241;

/// SEQ3 settings for a set of trigger times.
#[derive(Clone, Debug, PartialEq)]
pub struct TriggerPlan {
    /// Steps used (the lead-in and one per trigger).
    pub steps: usize,
    /// CV row 1 knob per step (V): the step lengths.
    pub cvs: [f32; STEPS],
    /// Which steps fire TRIG.
    pub gates: [bool; STEPS],
    /// Frames at which Plaits sees each trigger's rising edge.
    pub frames: Vec<u64>,
    /// Trigger times that could not be kept (too close, or beyond the cap).
    pub dropped: Vec<f64>,
}

impl TriggerPlan {
    /// Where each kept trigger lands, in seconds.
    pub fn times(&self) -> Vec<f64> {
        self.frames.iter().map(|&f| f as f64 / FRAME_RATE as f64).collect()
    }

    /// SEQ3's params (all 38, v2 order).
    pub fn params(&self) -> Vec<Param> {
        let mut values: Vec<f32> = seq3::PARAMS.iter().map(|spec| spec.default).collect();
        values[seq3::param::TEMPO] = TEMPO;
        values[seq3::param::STEPS] = self.steps as f32;
        values[seq3::param::TEMPO_CV] = 1.0;
        for (step, &cv) in self.cvs.iter().enumerate() {
            values[seq3::param::CV + step] = cv;
        }
        values.iter().enumerate().map(|(id, &v)| Param { id, value: v as f64 }).collect()
    }

    /// SEQ3's `data`: running, the gates, and 1 ms pulses rather than the clock gate.
    pub fn data(&self) -> serde_json::Value {
        let gates: Vec<u8> = self.gates.iter().map(|&g| g as u8).collect();
        json!({"running": true, "gates": gates, "clockPassthrough": false})
    }
}

/// How many frames a step lasts that starts at `phase` and runs at
/// `TEMPO + cv` (its first frame at `first_frequency` where given), with the
/// phase it leaves; `None` if it lasts beyond `limit` frames. The same f32
/// steps as the engine's SEQ3.
fn step_end(phase: f32, first_frequency: Option<f32>, cv: f32, limit: u64) -> Option<(u64, f32)> {
    let frequency = clock_frequency(TEMPO + cv);
    let (mut phase, mut overflow) = advance_phase(phase, first_frequency.unwrap_or(frequency));
    let mut frames = 1;
    while !overflow {
        if frames >= limit {
            return None;
        }
        (phase, overflow) = advance_phase(phase, frequency);
        frames += 1;
    }
    Some((frames, phase))
}

/// The next f32 above a finite `x` (`f32::next_up` needs a newer Rust than
/// the project's minimum).
fn next_up(x: f32) -> f32 {
    let bits = x.to_bits();
    if x == 0.0 {
        f32::from_bits(1)
    } else if x > 0.0 {
        f32::from_bits(bits + 1)
    } else {
        f32::from_bits(bits - 1)
    }
}

/// Knob values tried on each side of the bisection's answer.
const NEIGHBOURS: usize = 32;

/// The CV knob that makes a step last `frames` frames and leave about
/// `residual` of phase behind, with the phase it leaves and the length it
/// gives: exactly `frames` where an f32 knob value does (f32 rounding in the
/// phase makes the length skip a frame here and there), else the nearest.
fn fit_step(
    phase: f32,
    first_frequency: Option<f32>,
    frames: u64,
    residual: f32,
) -> Result<(f32, f32, u64), String> {
    let limit = frames + 3;
    let length = |cv: f32| step_end(phase, first_frequency, cv, limit);
    let (mut low, mut high) = CV_RANGE;
    if length(high).is_none_or(|(n, _)| n > frames + 1) {
        return Err(format!("{frames} frames is shorter than SEQ3's shortest step"));
    }
    if length(low).is_some_and(|(n, _)| n + 1 < frames) {
        return Err(format!("{frames} frames is longer than SEQ3's longest step"));
    }
    // Higher CVs end sooner, and for one length leave more phase: bisect for
    // the lowest CV that ends before `frames` or on it with `residual` left.
    let far_enough = |cv: f32| match length(cv) {
        None => false,
        Some((n, after)) => n < frames || (n == frames && after >= residual),
    };
    loop {
        let mid = 0.5 * (low + high);
        if mid == low || mid == high {
            break;
        }
        if far_enough(mid) {
            high = mid;
        } else {
            low = mid;
        }
    }
    let mut best: Option<((u64, f32), f32, f32, u64)> = None;
    let (mut down, mut up) = (high, high);
    for _ in 0..NEIGHBOURS {
        for cv in [down, up] {
            if let Some((n, after)) = length(cv) {
                let error = (n.abs_diff(frames), (after - residual).abs());
                if best.is_none_or(|b| error < b.0) {
                    best = Some((error, cv, after, n));
                }
            }
        }
        if best.is_some_and(|b| b.0 .0 == 0) {
            break;
        }
        down = (-next_up(-down)).max(CV_RANGE.0);
        up = next_up(up).min(CV_RANGE.1);
    }
    best.map(|(_, cv, after, n)| (cv, after, n))
        .ok_or_else(|| format!("no SEQ3 CV gives a step of {frames} frames"))
}

/// SEQ3 settings that fire triggers at `onsets` (seconds) in a loop of `seconds`.
pub fn plan(onsets: &[f64], seconds: f64) -> Result<TriggerPlan, Problem> {
    let rate = FRAME_RATE as f64;
    let loop_frames = (seconds * rate).round() as u64;
    let mut sorted: Vec<f64> = onsets.iter().copied().filter(|t| t.is_finite() && *t >= 0.0).collect();
    sorted.sort_by(f64::total_cmp);
    let mut frames: Vec<u64> = Vec::new();
    let mut dropped = Vec::new();
    for t in sorted {
        let frame = ((t * rate).round() as u64).max(FIRST_FRAME);
        let fits = frame + MIN_GAP_FRAMES <= loop_frames
            && frames.last().is_none_or(|last| frame >= last + MIN_GAP_FRAMES)
            && frames.len() < MAX_TRIGGERS;
        if fits {
            frames.push(frame);
        } else {
            dropped.push(t);
        }
    }
    if frames.is_empty() {
        return Err(Problem::Request(format!(
            "no trigger time fits a {seconds} s loop (times must lie {MIN_GAP_FRAMES} frames before its end)"
        )));
    }
    // The step changes on the frame before Plaits sees it (the cable's delay);
    // the last step ends at the loop's end, where the lead-in starts again.
    let mut changes: Vec<u64> = frames.iter().map(|f| f - 1).collect();
    changes.push(loop_frames - 1);
    let mut cvs = [0.0; STEPS];
    let mut gates = [false; STEPS];
    // Frame 0 reads 0 V on TEMPO, as nothing has come through the cable yet;
    // every later frame reads the CV of the step it belongs to.
    let mut first_frequency = Some(clock_frequency(TEMPO));
    let mut phase = 0.0;
    // The frame of the last step change so far, as the module will take it.
    let mut actual: Option<u64> = None;
    let mut landed = Vec::with_capacity(frames.len());
    for (step, &end) in changes.iter().enumerate() {
        let length = match actual {
            None => end + 1,
            Some(start) => end.saturating_sub(start).max(1),
        };
        // Half a frame of phase left over keeps each step's length when a later
        // loop starts it from a slightly different phase; the last step leaves
        // what frame 0 adds (TEMPO at 0 V), so every loop starts as the first.
        let residual = if step + 1 < changes.len() {
            0.5 / length as f32
        } else {
            (clock_frequency(TEMPO) * SAMPLE_TIME).min(0.5 / length as f32)
        };
        let (cv, after, got) = fit_step(phase, first_frequency, length, residual)
            .map_err(|e| Problem::Request(format!("trigger step {}: {e}", step + 1)))?;
        cvs[step] = cv;
        gates[step] = step > 0;
        first_frequency = None;
        phase = after;
        let change = actual.map_or(got - 1, |start| start + got);
        if step + 1 < changes.len() {
            landed.push(change + 1);
        }
        actual = Some(change);
    }
    Ok(TriggerPlan { steps: changes.len(), cvs, gates, frames: landed, dropped })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_end_on_the_frames_asked_for() {
        let plan = plan(&[0.0, 0.1, 0.25, 0.2500001], 0.5).unwrap();
        assert_eq!(plan.frames, [FIRST_FRAME, 4800, 12_000]);
        assert_eq!(plan.dropped, [0.2500001]);
        assert_eq!(plan.steps, 4);
        assert_eq!(plan.gates[..4], [false, true, true, true]);
        assert!(plan.cvs.iter().all(|cv| (-10.0..=10.0).contains(cv)));
    }

    /// How far later loops may stray from the first loop's times, in frames (0.1 ms).
    const LATER_LOOP_FRAMES: usize = 5;

    /// Frames where the SEQ3 built from `plan` raises TRIG, over `frames` frames
    /// of the engine's cable graph (CV row 1 cabled into TEMPO).
    fn trig_edges(plan: &TriggerPlan, frames: usize) -> Vec<usize> {
        use rackmatch_engine::rack::{OutputRef, Rack, RackModule, Seq3, Seq3Data};
        let mut module = Seq3::new(Seq3Data { gates: plan.gates, ..Seq3Data::default() });
        for p in plan.params() {
            assert!(module.set_param(p.id, p.value as f32));
        }
        let mut rack = Rack::new();
        let id = rack.add_module(RackModule::Seq3(module));
        rack.connect(OutputRef { module: id, output: seq3::output::CV }, id, seq3::input::TEMPO).unwrap();
        let mut trig = vec![0.0; frames];
        rack.render(OutputRef { module: id, output: seq3::output::TRIG }, &mut trig).unwrap();
        (0..frames).filter(|&i| trig[i] > 5.0 && (i == 0 || trig[i - 1] < 5.0)).collect()
    }

    #[test]
    fn the_engine_seq3_fires_where_the_plan_says_and_loops() {
        let plan = plan(&[0.0, 0.0104, 0.2, 0.2001, 0.3333, 0.61], 0.75).unwrap();
        assert_eq!(plan.dropped, [0.2001], "within 5 ms of 0.2 s");
        let kept = [0.0, 0.0104, 0.2, 0.3333, 0.61];
        let wanted: Vec<u64> =
            kept.iter().map(|t| ((t * 48_000.0_f64).round() as u64).max(FIRST_FRAME)).collect();
        assert_eq!(plan.frames.len(), wanted.len());
        for (landed, wanted) in plan.frames.iter().zip(&wanted) {
            assert!(landed.abs_diff(*wanted) <= 2, "{:?} vs {wanted:?}", plan.frames);
        }
        // TRIG rises a frame before Plaits reads it through its cable.
        let edges = trig_edges(&plan, 3 * 36_000);
        let first: Vec<usize> = plan.frames.iter().map(|f| *f as usize - 1).collect();
        assert_eq!(edges[..first.len()], first[..]);
        for (k, edge) in edges.iter().enumerate().skip(first.len()) {
            let expected = first[k % first.len()] + 36_000 * (k / first.len());
            // Later loops start from a slightly different phase: a few frames.
            assert!(
                edge.abs_diff(expected) <= LATER_LOOP_FRAMES,
                "loop {}: {edge} vs {expected}",
                k / first.len()
            );
        }
        assert_eq!(edges.len(), 3 * first.len());
    }

    #[test]
    fn at_most_seven_triggers_fit() {
        let onsets: Vec<f64> = (0..10).map(|i| 0.05 * i as f64).collect();
        let plan = plan(&onsets, 1.0).unwrap();
        assert_eq!(plan.frames.len(), MAX_TRIGGERS);
        assert_eq!(plan.dropped.len(), 3);
        assert_eq!(plan.steps, STEPS);
    }

    #[test]
    fn impossible_loops_are_errors() {
        assert!(plan(&[0.9], 0.5).unwrap_err().to_string().contains("no trigger time fits"));
        let long = plan(&[0.0], 100.0).unwrap_err().to_string();
        assert!(long.contains("longer than SEQ3's longest step"), "{long}");
    }
}
