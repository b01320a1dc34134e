//! Engine 6, "Chords": a four-note chord on five voices that cross-fade through
//! inversions, each voice a divide-down organ or a wavetable; AUX is the root
//! (engines-4-7.md §3).

use crate::dsp::hysteresis::HysteresisQuantizer;
use crate::dsp::interpolate::split;
use crate::dsp::random::Random;
use crate::dsp::units::{note_to_frequency, semitones_to_ratio};
use crate::engines::{Block, Engine, EngineParameters, BLOCK_SIZE};
use crate::oscillators::chord_wavetable::ChordWavetableBank;
use crate::oscillators::string_synth::{StringSynthBank, REGISTRATION_SIZE};
use crate::tables::{CHORDS, CHORD_FADE_POINTS, CHORD_REGISTRATIONS};

/// Notes in a chord.
const NOTES: usize = 4;
/// Voices: one more than the notes, so that a note can cross-fade to its octave.
const VOICES: usize = NOTES + 1;
/// Chord types selected by HARMONICS.
const CHORD_COUNT: usize = 11;

/// Frequency ratio, amplitude and AUX membership of each voice for one block.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Voicing {
    ratio: [f32; VOICES],
    amplitude: [f32; VOICES],
    /// Bit v is set when voice v plays the root note.
    aux_mask: u8,
}

/// Spreads the notes of a chord (base ratios `chord`) over the five voices.
///
/// `inversion` 0 to 1 steps through 20 voicings: each step lifts one more note
/// by an octave, cross-fading between the voice that plays it now and the
/// voice that will play it an octave up.
fn voicing(chord: &[f32; NOTES], inversion: f32) -> Voicing {
    let (integral, fractional) = split(inversion * 20.0);
    let rotation = integral / NOTES as i32;
    let rotated_note = integral % NOTES as i32;
    let mut result = Voicing::default();
    for (i, &base_ratio) in chord.iter().enumerate() {
        let i = i as i32;
        let transposition = 0.25 * (1 << ((3 + integral - i) / NOTES as i32)) as f32;
        let target_voice = (i - rotation).rem_euclid(VOICES as i32) as usize;
        let previous_voice = (target_voice + VOICES - 1) % VOICES;
        let ratio = base_ratio * transposition;
        if i == rotated_note {
            result.ratio[target_voice] = ratio;
            result.ratio[previous_voice] = 2.0 * ratio;
            result.amplitude[previous_voice] = 0.25 * fractional;
            result.amplitude[target_voice] = 0.25 * (1.0 - fractional);
        } else if i < rotated_note {
            result.ratio[previous_voice] = ratio;
            result.amplitude[previous_voice] = 0.25;
        } else {
            result.ratio[target_voice] = ratio;
            result.amplitude[target_voice] = 0.25;
        }
        if i == 0 {
            result.aux_mask |= 1 << previous_voice;
            if rotated_note == 0 {
                result.aux_mask |= 1 << target_voice;
            }
        }
    }
    result
}

/// Organ registration for MORPH's lower half: interpolated between the rows
/// of the registration table, from row 7 at 0 to pure square at 0.465 and up.
fn registration(morph: f32) -> [f32; REGISTRATION_SIZE] {
    let amount = (1.0 - 2.15 * morph).max(0.0);
    let (integral, fractional) = split(amount * 6.999);
    // morph ≥ 0 keeps the row ≤ 6; the clamp only guards against bad input.
    let row = (integral.max(0) as usize).min(CHORD_REGISTRATIONS.len() - 2);
    let (a, b) = (&CHORD_REGISTRATIONS[row], &CHORD_REGISTRATIONS[row + 1]);
    let mut stops = [0.0; REGISTRATION_SIZE];
    for ((stop, &a), &b) in stops.iter_mut().zip(a).zip(b) {
        *stop = a + (b - a) * fractional;
    }
    stops
}

/// What a block plays, worked out from the smoothed knobs, the chord and the
/// note: which voices run, at what frequency and level, and where they go.
#[derive(Clone, Copy, Debug)]
struct Plan {
    /// Bits of the smoothed MORPH and TIMBRE, the chord and the note's bits:
    /// the inputs everything else follows from.
    key: [u32; 4],
    /// Bit v is set when voice v goes to AUX.
    aux_mask: u8,
    stops: [f32; REGISTRATION_SIZE],
    waveform: f32,
    /// Frequency and level of each voice's wavetable part, if it runs.
    wavetable_voices: [Option<(f32, f32)>; VOICES],
    /// Frequency and level of each voice's divide-down part, if it runs.
    divide_down_voices: [Option<(f32, f32)>; VOICES],
}

/// State of engine 6.
#[derive(Clone, Debug)]
pub struct ChordEngine {
    /// Frequency ratios of each chord's notes.
    ratios: [[f32; NOTES]; CHORD_COUNT],
    morph_lp: f32,
    timbre_lp: f32,
    chord_quantizer: HysteresisQuantizer,
    divide_down: StringSynthBank<VOICES>,
    wavetable: ChordWavetableBank<VOICES>,
    /// The last block's plan: with the knobs at rest, the smoothed knobs
    /// settle on fixed values and the plan repeats bit for bit, so it is
    /// worked out again only when its inputs change.
    plan: Option<Plan>,
}

impl Default for ChordEngine {
    fn default() -> Self {
        Self {
            ratios: CHORDS.map(|chord| chord.map(semitones_to_ratio)),
            morph_lp: 0.0,
            timbre_lp: 0.0,
            chord_quantizer: HysteresisQuantizer::default(),
            divide_down: Default::default(),
            wavetable: Default::default(),
            plan: None,
        }
    }
}

impl ChordEngine {
    /// The plan for the smoothed knobs as they are now, chord `chord` and
    /// note `note`; `key` holds their bits.
    fn plan(&self, key: [u32; 4], chord: usize, note: f32) -> Plan {
        let stops = registration(self.morph_lp);
        let voicing = voicing(&self.ratios[chord], self.timbre_lp);

        let f0 = note_to_frequency(note) * 0.998;
        let waveform = (2.15 * (self.morph_lp - 0.535)).max(0.0);

        // Each voice's wavetable and divide-down parts; a part at exactly 0
        // does not run.
        let mut wavetable_voices = [None; VOICES];
        let mut divide_down_voices = [None; VOICES];
        for v in 0..VOICES {
            let wavetable_amount = (50.0 * (self.morph_lp - CHORD_FADE_POINTS[v])).clamp(0.0, 1.0);
            let mut divide_down_amount = 1.0 - wavetable_amount;
            let note_frequency = f0 * voicing.ratio[v];
            // Divide-down voices fade out between f = 3/32 and 1/8.
            divide_down_amount *= (4.0 - 32.0 * note_frequency).clamp(0.0, 1.0);
            // A voice at exactly 0 is not run at all: its ramps and phase freeze.
            if wavetable_amount != 0.0 {
                wavetable_voices[v] = Some((note_frequency * 1.004, voicing.amplitude[v] * wavetable_amount));
            }
            if divide_down_amount != 0.0 {
                divide_down_voices[v] = Some((note_frequency, voicing.amplitude[v] * divide_down_amount));
            }
        }
        Plan { key, aux_mask: voicing.aux_mask, stops, waveform, wavetable_voices, divide_down_voices }
    }
}

impl Engine for ChordEngine {
    fn render(
        &mut self,
        parameters: &EngineParameters,
        _random: &mut Random,
        out: &mut Block,
        aux: &mut Block,
        _already_enveloped: &mut bool,
    ) {
        self.morph_lp += 0.1 * (parameters.morph - self.morph_lp);
        self.timbre_lp += 0.1 * (parameters.timbre - self.timbre_lp);
        let chord = self.chord_quantizer.process(0, parameters.harmonics * 1.02, CHORD_COUNT as i32, 0.25);
        let key =
            [self.morph_lp.to_bits(), self.timbre_lp.to_bits(), chord as u32, parameters.note.to_bits()];
        if self.plan.is_none_or(|plan| plan.key != key) {
            self.plan = Some(self.plan(key, chord as usize, parameters.note));
        }
        // Borrowed in place: a copy of the plan per block costs more than its use.
        let Some(Plan { aux_mask, stops, waveform, wavetable_voices, divide_down_voices, .. }) = &self.plan
        else {
            unreachable!("the plan was just made")
        };
        let aux_mask = *aux_mask;

        // Each voice's wavetable and divide-down parts, rendered apart and then
        // added into OUT or AUX voice by voice, wavetable first, as the module
        // adds them. Each bank runs its voices together.
        let mut wavetable_out = [[0.0; BLOCK_SIZE]; VOICES];
        let wavetable_sounded = self.wavetable.render(wavetable_voices, *waveform, &mut wavetable_out);
        let divide_down_slots = self.divide_down.render(divide_down_voices, stops);
        let divide_down_frames = self.divide_down.frames();

        out.fill(0.0);
        aux.fill(0.0);
        for v in 0..VOICES {
            let destination = if aux_mask & (1 << v) != 0 { &mut *aux } else { &mut *out };
            if wavetable_sounded[v] {
                for (y, x) in destination.iter_mut().zip(&wavetable_out[v]) {
                    *y += x;
                }
            }
            // Read straight from the lane the voice ran in.
            if let Some((pass, lane)) = divide_down_slots[v] {
                for (y, frame) in destination.iter_mut().zip(&divide_down_frames[pass]) {
                    *y += frame[lane];
                }
            }
        }

        // A jump of many octaves up in one block briefly multiplies the
        // wavetable voices' level by the frequency ratio (their gain ∝ 1/f is
        // ramped while the differentiator follows at once).
        for (o, a) in out.iter_mut().zip(aux.iter_mut()) {
            *o += *a;
            *a *= 3.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::TriggerState;

    /// Voicing of the spec's table (engines-4-7.md §3.5) for step `step`:
    /// (note, octave multiplier of ¼, weight: 0 plain, 1 for 1 − F, 2 for F).
    fn table_row(step: usize) -> [(usize, f32, u8); VOICES] {
        let rows: [[(usize, f32, u8); VOICES]; 20] = [
            [(0, 0.25, 1), (1, 0.25, 0), (2, 0.25, 0), (3, 0.25, 0), (0, 0.5, 2)],
            [(1, 0.5, 2), (1, 0.25, 1), (2, 0.25, 0), (3, 0.25, 0), (0, 0.5, 0)],
            [(1, 0.5, 0), (2, 0.5, 2), (2, 0.25, 1), (3, 0.25, 0), (0, 0.5, 0)],
            [(1, 0.5, 0), (2, 0.5, 0), (3, 0.5, 2), (3, 0.25, 1), (0, 0.5, 0)],
            [(1, 0.5, 0), (2, 0.5, 0), (3, 0.5, 0), (0, 1.0, 2), (0, 0.5, 1)],
            [(1, 0.5, 1), (2, 0.5, 0), (3, 0.5, 0), (0, 1.0, 0), (1, 1.0, 2)],
            [(2, 1.0, 2), (2, 0.5, 1), (3, 0.5, 0), (0, 1.0, 0), (1, 1.0, 0)],
            [(2, 1.0, 0), (3, 1.0, 2), (3, 0.5, 1), (0, 1.0, 0), (1, 1.0, 0)],
            [(2, 1.0, 0), (3, 1.0, 0), (0, 2.0, 2), (0, 1.0, 1), (1, 1.0, 0)],
            [(2, 1.0, 0), (3, 1.0, 0), (0, 2.0, 0), (1, 2.0, 2), (1, 1.0, 1)],
            [(2, 1.0, 1), (3, 1.0, 0), (0, 2.0, 0), (1, 2.0, 0), (2, 2.0, 2)],
            [(3, 2.0, 2), (3, 1.0, 1), (0, 2.0, 0), (1, 2.0, 0), (2, 2.0, 0)],
            [(3, 2.0, 0), (0, 4.0, 2), (0, 2.0, 1), (1, 2.0, 0), (2, 2.0, 0)],
            [(3, 2.0, 0), (0, 4.0, 0), (1, 4.0, 2), (1, 2.0, 1), (2, 2.0, 0)],
            [(3, 2.0, 0), (0, 4.0, 0), (1, 4.0, 0), (2, 4.0, 2), (2, 2.0, 1)],
            [(3, 2.0, 1), (0, 4.0, 0), (1, 4.0, 0), (2, 4.0, 0), (3, 4.0, 2)],
            [(0, 8.0, 2), (0, 4.0, 1), (1, 4.0, 0), (2, 4.0, 0), (3, 4.0, 0)],
            [(0, 8.0, 0), (1, 8.0, 2), (1, 4.0, 1), (2, 4.0, 0), (3, 4.0, 0)],
            [(0, 8.0, 0), (1, 8.0, 0), (2, 8.0, 2), (2, 4.0, 1), (3, 4.0, 0)],
            [(0, 8.0, 0), (1, 8.0, 0), (2, 8.0, 0), (3, 8.0, 2), (3, 4.0, 1)],
        ];
        rows[step]
    }

    #[test]
    fn voicing_matches_the_inversion_table() {
        let chord = [1.0, 1.25, 1.5, 1.875];
        let fraction = 0.25;
        for step in 0..20 {
            let voicing = voicing(&chord, (step as f32 + fraction) / 20.0);
            for (v, &(note, multiplier, weight)) in table_row(step).iter().enumerate() {
                assert_eq!(voicing.ratio[v], chord[note] * multiplier, "step {step} voice {v}");
                let expected = 0.25
                    * match weight {
                        0 => 1.0,
                        1 => 1.0 - fraction,
                        _ => fraction,
                    };
                assert!((voicing.amplitude[v] - expected).abs() < 1e-5, "step {step} voice {v}");
                let is_root = note == 0;
                assert_eq!(voicing.aux_mask & (1 << v) != 0, is_root, "step {step} voice {v}");
            }
        }
    }

    #[test]
    fn chord_ratios_use_the_truncated_pitch_table() {
        let engine = ChordEngine::default();
        let step = 2f64.powf(1.0 / (12.0 * 256.0));
        // 0.01 semitone truncates to 2/256.
        assert!((engine.ratios[0][1] as f64 - step * step).abs() < 1e-6);
        assert_eq!(engine.ratios[10], [1.0, semitones_to_ratio(4.0), semitones_to_ratio(7.0), 2.0]);
    }

    #[test]
    fn registration_spans_the_table_over_morphs_lower_half() {
        let square = registration(0.5);
        assert_eq!(square[..6], CHORD_REGISTRATIONS[0]);
        let full = registration(0.0);
        // 6.999 of the way: almost row 7.
        for (stop, &expected) in full.iter().zip(&CHORD_REGISTRATIONS[7]) {
            assert!((stop - expected).abs() < 1e-3);
        }
        assert_eq!(full[6], 0.0);
        assert_eq!(square[6], 0.0);
    }

    fn render(
        engine: &mut ChordEngine,
        note: f32,
        timbre: f32,
        morph: f32,
        harmonics: f32,
        blocks: usize,
    ) -> (Vec<f32>, Vec<f32>) {
        let parameters = EngineParameters {
            trigger: TriggerState::Unpatched,
            note,
            timbre,
            morph,
            harmonics,
            accent: 0.8,
        };
        let mut random = Random::default();
        let (mut out, mut aux) = (Vec::new(), Vec::new());
        for _ in 0..blocks {
            let mut o = [0.0; BLOCK_SIZE];
            let mut a = [0.0; BLOCK_SIZE];
            engine.render(&parameters, &mut random, &mut o, &mut a, &mut false);
            out.extend_from_slice(&o);
            aux.extend_from_slice(&a);
        }
        (out, aux)
    }

    #[test]
    fn chord_index_follows_harmonics_with_hysteresis() {
        let mut engine = ChordEngine::default();
        let mut quantize = |h: f32| engine.chord_quantizer.process(0, h * 1.02, CHORD_COUNT as i32, 0.25);
        // Sweeping up, chord k is reached at 10.2·h ≥ k − 0.25.
        assert_eq!(quantize(0.7 / 10.2), 0);
        assert_eq!(quantize(0.76 / 10.2), 1);
        assert_eq!(quantize(0.3 / 10.2), 1);
        assert_eq!(quantize(0.2 / 10.2), 0);
        assert_eq!(quantize(1.0), 10);
    }

    /// Magnitude of the component of `signal` at normalised frequency `f`
    /// (Hann-windowed, so that neighbouring partials leak little).
    fn magnitude(signal: &[f32], f: f64) -> f64 {
        let (mut re, mut im, mut total) = (0.0, 0.0, 0.0);
        let length = signal.len() as f64;
        for (n, &x) in signal.iter().enumerate() {
            let window = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / length).cos();
            let angle = 2.0 * std::f64::consts::PI * f * n as f64;
            re += window * x as f64 * angle.cos();
            im += window * x as f64 * angle.sin();
            total += window;
        }
        2.0 * f64::sqrt(re * re + im * im) / total
    }

    #[test]
    fn aux_is_three_times_the_root_voice_of_out() {
        // m7 chord, inversion step 6: the root plays on voice 3 at ratio 1, and
        // no other voice has a partial at the root's frequency.
        let harmonics = 4.0 / 10.2;
        let timbre = 6.5 / 20.0;
        for (morph, detune) in [(0.0, 1.0), (1.0, 1.004)] {
            let mut engine = ChordEngine::default();
            let f_root = 1.0 / 240.0;
            let note = 69.0 + 12.0 * (f_root / (note_to_frequency(69.0) * 0.998 * detune)).log2();
            let (out, aux) = render(&mut engine, note, timbre, morph, harmonics, 4000);
            let (out, aux) = (&out[out.len() - 24_000..], &aux[aux.len() - 24_000..]);
            let root_part: Vec<f32> = aux.iter().map(|a| a / 3.0).collect();
            let rest: Vec<f32> = out.iter().zip(&root_part).map(|(o, r)| o - r).collect();
            let root = magnitude(&root_part, f_root as f64);
            assert!(root > 0.02, "morph {morph}: {root}");
            assert!((magnitude(out, f_root as f64) - root).abs() < 0.02 * root, "morph {morph}");
            assert!(magnitude(&rest, f_root as f64) < 0.02 * root, "morph {morph}");
            // The minor third (voice 4, ratio 2^(3/12)) is in OUT only.
            let third = f_root as f64 * 2f64.powf(3.0 / 12.0);
            assert!(magnitude(&rest, third) > 0.3 * root, "morph {morph}");
            assert!(magnitude(&root_part, third) < 0.02 * root, "morph {morph}");
        }
    }

    #[test]
    fn voices_at_zero_amount_are_not_run() {
        let mut engine = ChordEngine::default();
        render(&mut engine, 48.0, 0.3, 0.0, 0.4, 200);
        assert_eq!(engine.wavetable, ChordWavetableBank::default());
        // At MORPH = 1 the divide-down voices freeze once morph_lp has passed
        // every fade point.
        render(&mut engine, 48.0, 0.3, 1.0, 0.4, 200);
        let frozen = format!("{:?}", engine.divide_down);
        render(&mut engine, 48.0, 0.3, 1.0, 0.4, 20);
        assert_eq!(format!("{:?}", engine.divide_down), frozen);
    }

    #[test]
    fn timbre_zero_plays_the_chord_two_octaves_down() {
        // M chord (HARMONICS = 1) at TIMBRE ≈ 0: notes at ¼ of 1, 5/4, 3/2, 2.
        let mut engine = ChordEngine::default();
        let note = 69.0 + 12.0 * ((1.0 / 120.0) / (note_to_frequency(69.0) * 0.998)).log2();
        let (out, _) = render(&mut engine, note, 0.0, 0.0, 1.0, 4000);
        let tail = &out[out.len() - 24_000..];
        let f_root = (note_to_frequency(note) * 0.998) as f64 * 0.25;
        let magnitude = |f: f64| magnitude(tail, f);
        let root = magnitude(f_root);
        assert!(root > 0.01, "{root}");
        assert!(magnitude(f_root * 1.26) > 0.2 * root);
        // Nothing an octave below the root.
        assert!(magnitude(f_root * 0.5) < 0.01 * root);
    }
}
