//! Engine 11, "Inharmonic string modeling": three Karplus-Strong strings
//! plucked in turn, or one bowed by dust when TRIG is unpatched
//! (engines-8-15.md §5).

mod dc_blocker;
mod karplus_string;
mod string_voice;

use string_voice::{StringVoice, StringVoiceParameters};

use crate::dsp::delay_line::DelayLine;
use crate::dsp::random::Random;
use crate::dsp::units::note_to_frequency;
use crate::engines::{Block, Engine, EngineParameters};

const VOICES: usize = 3;

/// Blocks of pitch history: a new trigger leaves the previous string ringing at
/// the pitch it had this long ago (≈3.5 ms), before the new note's CV moved.
const F0_HISTORY_BLOCKS: usize = 14;

/// State of engine 11.
#[derive(Clone, Debug)]
pub struct StringEngine {
    voices: [StringVoice; VOICES],
    f0: [f32; VOICES],
    active_voice: usize,
    f0_history: DelayLine<16>,
}

impl Default for StringEngine {
    fn default() -> Self {
        Self {
            voices: Default::default(),
            f0: [0.01; VOICES],
            // The first trigger moves to voice 0; without triggers voice 2 sustains.
            active_voice: VOICES - 1,
            f0_history: DelayLine::default(),
        }
    }
}

impl Engine for StringEngine {
    fn reset(&mut self) {
        self.f0_history.reset();
        for voice in &mut self.voices {
            voice.reset();
        }
    }

    fn render(
        &mut self,
        parameters: &EngineParameters,
        random: &mut Random,
        out: &mut Block,
        aux: &mut Block,
        _already_enveloped: &mut bool,
    ) {
        let rising_edge = parameters.trigger.is_rising_edge();
        if rising_edge {
            // Within 14 blocks of Reset this reads 0: that voice falls silent.
            self.f0[self.active_voice] = self.f0_history.read_integer(F0_HISTORY_BLOCKS);
            self.active_voice = (self.active_voice + 1) % VOICES;
        }
        let f0 = note_to_frequency(parameters.note);
        self.f0[self.active_voice] = f0;
        self.f0_history.write(f0);

        out.fill(0.0);
        aux.fill(0.0);
        let sustain = parameters.trigger.is_unpatched();
        for (i, voice) in self.voices.iter_mut().enumerate() {
            let active = i == self.active_voice;
            let voice_parameters = StringVoiceParameters {
                sustain: sustain && active,
                trigger: rising_edge && active,
                accent: parameters.accent,
                f0: self.f0[i],
                structure: parameters.harmonics,
                brightness: parameters.timbre * parameters.timbre,
                damping: parameters.morph,
            };
            voice.render(&voice_parameters, random, out, aux);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::units::SAMPLE_RATE;
    use crate::engines::{TriggerState, BLOCK_SIZE};

    fn parameters(trigger: TriggerState, note: f32, harmonics: f32, morph: f32) -> EngineParameters {
        EngineParameters { trigger, note, timbre: 0.5, morph, harmonics, accent: 0.8 }
    }

    /// Renders `blocks` blocks, triggering on the blocks listed.
    fn render(
        engine: &mut StringEngine,
        random: &mut Random,
        blocks: usize,
        triggers: &[usize],
        note: f32,
        harmonics: f32,
        morph: f32,
    ) -> (Vec<f32>, Vec<f32>) {
        let (mut out_all, mut aux_all) = (Vec::new(), Vec::new());
        for block in 0..blocks {
            let trigger =
                if triggers.contains(&block) { TriggerState::RisingEdge } else { TriggerState::Low };
            let (mut out, mut aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
            engine.render(
                &parameters(trigger, note, harmonics, morph),
                random,
                &mut out,
                &mut aux,
                &mut true,
            );
            out_all.extend_from_slice(&out);
            aux_all.extend_from_slice(&aux);
        }
        (out_all, aux_all)
    }

    /// Fundamental in Hz from the autocorrelation peak (parabolic refinement).
    fn fundamental(x: &[f32], min_hz: f32, max_hz: f32) -> f32 {
        let correlation = |lag: usize| -> f32 { x.iter().zip(&x[lag..]).map(|(a, b)| a * b).sum() };
        let (low, high) = ((SAMPLE_RATE / max_hz) as usize, (SAMPLE_RATE / min_hz) as usize);
        let best = (low..=high).max_by(|&a, &b| correlation(a).total_cmp(&correlation(b))).unwrap();
        let (a, b, c) = (correlation(best - 1), correlation(best), correlation(best + 1));
        SAMPLE_RATE / (best as f32 + 0.5 * (a - c) / (a - 2.0 * b + c))
    }

    fn cents(a: f32, b: f32) -> f32 {
        1200.0 * (a / b).log2()
    }

    #[test]
    fn clean_string_sounds_at_the_note_frequency() {
        for (note, morph) in [(60.0, 0.5), (48.0, 0.7)] {
            let mut engine = StringEngine::default();
            let mut random = Random::default();
            engine.reset();
            let (out, _) = render(&mut engine, &mut random, 400, &[20], note, 0.25, morph);
            let expected = note_to_frequency(note) * SAMPLE_RATE;
            let measured = fundamental(&out[2400..4800], expected / 1.5, expected * 1.5);
            // The damping filter's delay is compensated to within a few cents.
            assert!(cents(measured, expected).abs() < 10.0, "note {note}: {measured} Hz vs {expected} Hz");
        }
    }

    #[test]
    fn morph_sets_the_decay_from_a_short_pluck_to_infinite_sustain() {
        let level = |morph: f32| {
            let mut engine = StringEngine::default();
            let mut random = Random::default();
            engine.reset();
            let (out, _) = render(&mut engine, &mut random, 4000, &[20], 60.0, 0.25, morph);
            let rms = |x: &[f32]| (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt();
            rms(&out[44_000..48_000]) / rms(&out[400..4400])
        };
        // MORPH 0 with the default accent is still damping 0.2: below −40 dB
        // within the second.
        let (short, medium, infinite) = (level(0.0), level(0.5), level(1.0));
        assert!(short < 0.01, "short pluck: {short}");
        assert!(short < medium && medium < infinite, "{short} {medium} {infinite}");
        assert!(infinite > 0.5, "infinite sustain: {infinite}");
    }

    #[test]
    fn excitation_is_a_burst_of_about_one_period() {
        let mut engine = StringEngine::default();
        let mut random = Random::default();
        engine.reset();
        let (_, aux) = render(&mut engine, &mut random, 200, &[20], 60.0, 0.25, 0.5);
        let start = 20 * BLOCK_SIZE;
        let period = (1.0 / note_to_frequency(60.0)) as usize;
        let energy = |x: &[f32]| x.iter().map(|v| v * v).sum::<f32>();
        assert!(energy(&aux[start..start + period]) > 1.0);
        assert!(energy(&aux[start + 4 * period..]) < 1e-6 * energy(&aux[start..start + period]));
    }

    #[test]
    fn triggers_move_round_three_voices_leaving_the_others_at_their_pitch() {
        let mut engine = StringEngine::default();
        let mut random = Random::default();
        engine.reset();
        let notes = [48.0, 55.0, 60.0, 67.0];
        for (i, &note) in notes.iter().enumerate() {
            let _ = render(&mut engine, &mut random, 20, &[0], note, 0.25, 0.9);
            assert_eq!(engine.active_voice, i % VOICES, "trigger {i}");
        }
        // The first trigger came 0 blocks after Reset: the history was still
        // empty, so voice 2 was left at f0 = 0. Later voices keep their note.
        assert_eq!(engine.f0, [note_to_frequency(67.0), note_to_frequency(55.0), note_to_frequency(60.0)]);
        let mut left_behind = StringEngine::default();
        left_behind.reset();
        let _ = render(&mut left_behind, &mut random, 1, &[0], 60.0, 0.25, 0.9);
        assert_eq!(left_behind.f0[2], 0.0);
        let (out, aux) = render(&mut left_behind, &mut random, 100, &[], 60.0, 0.25, 0.9);
        assert!(out.iter().chain(&aux).all(|x| x.is_finite()), "a voice at f0 = 0 must not trap");
    }

    #[test]
    fn new_note_leaves_the_previous_string_at_the_pitch_of_14_blocks_before() {
        let mut engine = StringEngine::default();
        let mut random = Random::default();
        engine.reset();
        let _ = render(&mut engine, &mut random, 30, &[], 50.0, 0.25, 0.5);
        let _ = render(&mut engine, &mut random, 10, &[], 62.0, 0.25, 0.5);
        let _ = render(&mut engine, &mut random, 1, &[0], 62.0, 0.25, 0.5);
        assert_eq!(
            engine.f0[2],
            note_to_frequency(50.0),
            "10 blocks into the new note, the history still holds the old one"
        );
    }

    /// Counts the random numbers one block draws.
    fn draws_per_block(trigger: TriggerState, harmonics: f32) -> usize {
        let mut engine = StringEngine::default();
        let mut random = Random::default();
        engine.reset();
        let (mut out, mut aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
        let p = parameters(trigger, 60.0, harmonics, 0.5);
        for _ in 0..10 {
            engine.render(&p, &mut random, &mut out, &mut aux, &mut true);
        }
        let before = random.clone();
        engine.render(&p, &mut random, &mut out, &mut aux, &mut true);
        let mut reference = before;
        (1..)
            .find(|_| {
                reference.get_word();
                reference == random
            })
            .unwrap()
    }

    #[test]
    fn random_draws_follow_the_module() {
        // Unpatched: 12 dust draws for voice 2; dispersion adds one draw per
        // loop sample in each of the three strings, sounding or not.
        assert_eq!(draws_per_block(TriggerState::Unpatched, 0.25), 12);
        assert_eq!(draws_per_block(TriggerState::Unpatched, 0.1), 12);
        assert_eq!(draws_per_block(TriggerState::Unpatched, 0.5), 12 + 3 * 12);
        assert_eq!(draws_per_block(TriggerState::Low, 0.5), 3 * 12);
        let mut random = Random::default();
        let before = random.clone();
        let mut engine = StringEngine::default();
        engine.reset();
        let (mut out, mut aux) = ([0.0; BLOCK_SIZE], [0.0; BLOCK_SIZE]);
        engine.render(
            &parameters(TriggerState::Low, 60.0, 0.25, 0.5),
            &mut random,
            &mut out,
            &mut aux,
            &mut true,
        );
        assert_eq!(random, before, "a clean string without excitation draws nothing");
    }

    /// Frequencies (Hz) of the spectral peaks nearest to each multiple of the
    /// fundamental, walking up partial by partial.
    fn partials(x: &[f32], f0_hz: f32, count: usize) -> Vec<f32> {
        use rustfft::num_complex::Complex;
        let n = x.len();
        let mut spectrum: Vec<Complex<f32>> = x
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let window = 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / n as f32).cos();
                Complex::new(v * window, 0.0)
            })
            .collect();
        rustfft::FftPlanner::new().plan_fft_forward(n).process(&mut spectrum);
        let bin_hz = SAMPLE_RATE / n as f32;
        let mut found = Vec::new();
        let mut spacing = f0_hz;
        let mut previous = 0.0;
        for _ in 0..count {
            let centre = previous + spacing;
            let (low, high) =
                (((centre - 0.4 * spacing) / bin_hz) as usize, ((centre + 0.4 * spacing) / bin_hz) as usize);
            let peak =
                (low..=high).max_by(|&a, &b| spectrum[a].norm().total_cmp(&spectrum[b].norm())).unwrap();
            let f = peak as f32 * bin_hz;
            if !found.is_empty() {
                spacing = f - previous;
            }
            found.push(f);
            previous = f;
        }
        found
    }

    #[test]
    fn dispersion_makes_the_partials_inharmonic() {
        // Largest deviation of the first 8 partials from k · fundamental.
        let inharmonicity = |harmonics: f32| {
            let mut engine = StringEngine::default();
            let mut random = Random::default();
            engine.reset();
            let (out, _) = render(&mut engine, &mut random, 1400, &[20], 48.0, harmonics, 0.9);
            let p = partials(&out[240..240 + 16384], note_to_frequency(48.0) * SAMPLE_RATE, 8);
            p.iter().enumerate().map(|(k, f)| (f / (p[0] * (k + 1) as f32) - 1.0).abs()).fold(0.0, f32::max)
        };
        let clean = inharmonicity(0.25);
        assert!(clean < 0.01, "a clean string is harmonic: {clean}");
        for harmonics in [0.4, 0.7] {
            let dispersed = inharmonicity(harmonics);
            assert!(dispersed > 0.03, "{harmonics}: {dispersed}");
        }
    }
}
