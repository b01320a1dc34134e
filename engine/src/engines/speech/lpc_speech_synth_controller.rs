//! Sequences LPC frames (fixed phonemes or words), and resamples the ≈8 kHz
//! LPC synthesiser to 48 kHz with a band-limited sample-and-hold (engines-4-7.md §4.5).

use super::lpc_speech_synth::{LpcFrame, LpcSpeechSynth};
use super::lpc_word_bank::LpcWordBank;
use crate::dsp::polyblep::{next_blep_sample, this_blep_sample};
use crate::dsp::ramp::ParameterRamp;
use crate::dsp::random::Random;
use crate::dsp::units::{semitones_to_ratio, CORRECTED_SAMPLE_RATE};
use crate::engines::memo::Memo;
use crate::tables::LPC_PHONEMES;

/// The 15 fixed phonemes: vowels a, e, i, o, u, then 10 consonants.
static PHONEMES: [LpcFrame; 15] = {
    let mut frames = [LpcFrame { energy: 0, period: 0, k0: 0, k1: 0, k: [0; 8] }; 15];
    let mut i = 0;
    while i < 15 {
        frames[i] = LpcFrame::from_raw(&LPC_PHONEMES[i]);
        i += 1;
    }
    frames
};

/// MORPH scans only the vowels of the phoneme table.
const NUM_VOWELS: usize = 5;

/// The first consonant of the phoneme table.
const FIRST_CONSONANT: i32 = 5;

/// Frames last 25 ms (1200 samples at 48 kHz) before time stretching.
const SAMPLES_PER_FRAME: f32 = 1200.0;

/// What the controller plays this block.
#[derive(Clone, Copy, Debug)]
pub struct LpcControls {
    /// TRIG unpatched: words never start, MORPH scrubs through the frames.
    pub free_running: bool,
    /// A rising edge this block: start a consonant or a word.
    pub trigger: bool,
    /// Word bank 0..4, or `None` for the fixed vowels and consonants.
    pub bank: Option<usize>,
    /// Pitch (normalised frequency at 48 kHz).
    pub frequency: f32,
    /// How much of the recorded intonation is kept (0 = monotone).
    pub prosody_amount: f32,
    /// Word speed: +1 is 4× faster, −1 is 4× slower.
    pub speed: f32,
    /// Word or frame position, 0 to 1 (MORPH).
    pub address: f32,
    /// Formant shift, 0 to 1 (TIMBRE): ±18 semitones around 0.5.
    pub formant_shift: f32,
    /// Output gain, ramped over the block.
    pub gain: f32,
}

/// State of the LPC controller.
#[derive(Clone, Debug)]
pub struct LpcSpeechSynthController {
    clock_phase: f32,
    sample: [f32; 2],
    next_sample: [f32; 2],
    gain: f32,
    synth: LpcSpeechSynth,
    playback_frame: i32,
    last_playback_frame: i32,
    remaining_frame_samples: usize,
    word_bank: LpcWordBank,
    /// LPC clock rate, pitch shift and time stretch for the last formant
    /// shift, frequency and speed.
    constants: Memo<3, [f32; 3]>,
}

impl Default for LpcSpeechSynthController {
    fn default() -> Self {
        Self {
            clock_phase: 0.0,
            sample: [0.0; 2],
            next_sample: [0.0; 2],
            gain: 0.0,
            synth: LpcSpeechSynth::default(),
            playback_frame: -1,
            last_playback_frame: -1,
            remaining_frame_samples: 0,
            word_bank: LpcWordBank::default(),
            constants: Memo::default(),
        }
    }
}

impl LpcSpeechSynthController {
    /// Forgets the loaded word bank (the engine's reset); playback state is kept.
    pub fn reset(&mut self) {
        self.word_bank.reset();
    }

    /// Renders one block: the excitation into `excitation`, the voice into `output`.
    pub fn render(
        &mut self,
        controls: &LpcControls,
        random: &mut Random,
        excitation: &mut [f32],
        output: &mut [f32],
    ) {
        let shift = controls.formant_shift;
        let [rate, pitch_shift, time_stretch] =
            self.constants.get([shift, controls.frequency, controls.speed], |[shift, frequency, speed]| {
                let rate_ratio = semitones_to_ratio((shift - 0.5) * 36.0);
                let rate = rate_ratio / 6.0;
                // Keeps the pitch at the note while the LPC clock moves the formants.
                let pitch_shift = frequency / (rate_ratio * 100.0 / CORRECTED_SAMPLE_RATE);
                // Extreme formant shifts also slow words down or speed them up.
                let tilt = if shift < 0.4 {
                    -45.0 * (shift - 0.4)
                } else if shift > 0.6 {
                    -45.0 * (shift - 0.6)
                } else {
                    0.0
                };
                [rate, pitch_shift, semitones_to_ratio(-24.0 * speed + tilt)]
            });

        if let Some(bank) = controls.bank {
            if self.word_bank.load(bank) {
                self.playback_frame = -1;
                self.last_playback_frame = -1;
            }
        }
        let (frames, num_frames): (&[LpcFrame], usize) = match controls.bank {
            None => (&PHONEMES, NUM_VOWELS),
            Some(_) => (self.word_bank.frames(), self.word_bank.frames().len()),
        };

        if controls.trigger {
            match controls.bank {
                None => {
                    let seed = ((controls.address + 3.0 * shift + 7.0 * controls.frequency) * 8.0) as i32;
                    self.playback_frame = seed % 10 + FIRST_CONSONANT;
                    self.last_playback_frame = self.playback_frame + 1;
                }
                Some(_) => {
                    let num_words = self.word_bank.num_words();
                    let word =
                        ((controls.address * num_words as f32) as usize).min(num_words.saturating_sub(1));
                    self.playback_frame = self.word_bank.word_start(word) as i32;
                    self.last_playback_frame = self.word_bank.word_start(word + 1) as i32 - 1;
                }
            }
            self.remaining_frame_samples = 0;
        }

        if self.playback_frame == -1 && self.remaining_frame_samples == 0 {
            let position = controls.address * (num_frames as f32 - 1.0001);
            self.synth.play_frame(frames, position, true);
        } else {
            if self.remaining_frame_samples == 0 {
                // A negative index (never reached) would read as silence.
                let index = usize::try_from(self.playback_frame).unwrap_or(usize::MAX);
                self.synth.play_frame(frames, index as f32, false);
                self.remaining_frame_samples = (SAMPLES_PER_FRAME * time_stretch) as usize;
                self.playback_frame += 1;
                if self.playback_frame >= self.last_playback_frame {
                    // Triggered words hold their final, silent frame until the next trigger.
                    let hold = controls.bank.is_some() && !controls.free_running;
                    self.playback_frame = if hold { self.last_playback_frame } else { -1 };
                }
            }
            self.remaining_frame_samples -= self.remaining_frame_samples.min(excitation.len());
        }

        let mut gain = ParameterRamp::new(self.gain, controls.gain, excitation.len());
        for (e, o) in excitation.iter_mut().zip(output.iter_mut()) {
            let mut this_sample = self.next_sample;
            self.next_sample = [0.0; 2];
            self.clock_phase += rate;
            if self.clock_phase >= 1.0 {
                self.clock_phase -= 1.0;
                let reset_time = self.clock_phase / rate;
                let (new_excitation, new_voice) =
                    self.synth.render_sample(controls.prosody_amount, pitch_shift, random);
                for (channel, new_sample) in [new_excitation, new_voice].into_iter().enumerate() {
                    let discontinuity = new_sample - self.sample[channel];
                    this_sample[channel] += discontinuity * this_blep_sample(reset_time);
                    self.next_sample[channel] += discontinuity * next_blep_sample(reset_time);
                    self.sample[channel] = new_sample;
                }
            }
            self.next_sample[0] += self.sample[0];
            self.next_sample[1] += self.sample[1];
            let g = gain.next();
            *e = this_sample[0] * g;
            *o = this_sample[1] * g;
        }
        self.gain = gain.value();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn controls(bank: Option<usize>, trigger: bool, address: f32, formant_shift: f32) -> LpcControls {
        LpcControls {
            free_running: false,
            trigger,
            bank,
            frequency: 0.005,
            prosody_amount: 0.0,
            speed: 0.0,
            address,
            formant_shift,
            gain: 1.0,
        }
    }

    fn render(controller: &mut LpcSpeechSynthController, controls: &LpcControls, random: &mut Random) {
        let (mut excitation, mut output) = ([0.0f32; 12], [0.0f32; 12]);
        controller.render(controls, random, &mut excitation, &mut output);
    }

    /// Random draws (one per LPC sample) over `blocks` blocks.
    fn lpc_samples(formant_shift: f32, blocks: usize) -> usize {
        let mut controller = LpcSpeechSynthController::default();
        let mut random = Random::default();
        let settings = controls(None, false, 0.5, formant_shift);
        for _ in 0..blocks {
            render(&mut controller, &settings, &mut random);
        }
        let mut count = Random::default();
        (0..)
            .find(|_| {
                count.get_word();
                count == random
            })
            .unwrap()
            + 1
    }

    #[test]
    fn lpc_rate_is_8_khz_shifted_by_timbre() {
        // 1 s: 8000 LPC samples at TIMBRE 0.5, ±18 semitones at the ends.
        assert!((lpc_samples(0.5, 4000) as i32 - 8000).abs() <= 1);
        let up = 8000.0 * 2f64.powf(1.5);
        assert!((lpc_samples(1.0, 4000) as f64 - up).abs() <= 2.0);
        let down = 8000.0 * 2f64.powf(-1.5);
        assert!((lpc_samples(0.0, 4000) as f64 - down).abs() <= 2.0);
    }

    #[test]
    fn triggered_word_steps_one_frame_per_25_ms_then_holds_its_last_frame() {
        let mut controller = LpcSpeechSynthController::default();
        let mut random = Random::default();
        // Bank 1, address 0: "zero". No stretch at TIMBRE 0.5: 1200 samples = 100 blocks a frame.
        render(&mut controller, &controls(Some(1), false, 0.0, 0.5), &mut random);
        let first = controller.word_bank.word_start(0) as i32;
        let last = controller.word_bank.word_start(1) as i32 - 1;
        render(&mut controller, &controls(Some(1), true, 0.0, 0.5), &mut random);
        assert_eq!(controller.playback_frame, first + 1);
        for frame in first + 1..last {
            for _ in 0..100 {
                assert_eq!(controller.playback_frame, frame);
                render(&mut controller, &controls(Some(1), false, 0.0, 0.5), &mut random);
            }
        }
        for _ in 0..1000 {
            render(&mut controller, &controls(Some(1), false, 0.0, 0.5), &mut random);
            assert_eq!(controller.playback_frame, last);
        }
        // The final frame is silent: only the lattice's tail remains, then nothing.
        let (mut excitation, mut output) = ([0.0f32; 12], [0.0f32; 12]);
        controller.render(&controls(Some(1), false, 0.0, 0.5), &mut random, &mut excitation, &mut output);
        assert!(output.iter().all(|x| x.abs() < 1e-6), "{output:?}");
    }

    #[test]
    fn speed_and_extreme_timbre_stretch_the_frames() {
        let mut controller = LpcSpeechSynthController::default();
        let mut random = Random::default();
        let mut fast = controls(Some(0), true, 0.0, 0.5);
        fast.speed = 1.0;
        render(&mut controller, &fast, &mut random);
        // 24 semitones faster: 300 samples, 25 blocks.
        assert_eq!(controller.remaining_frame_samples, 300 - 12);
        let mut controller = LpcSpeechSynthController::default();
        render(&mut controller, &controls(Some(0), true, 0.0, 0.0), &mut random);
        // TIMBRE 0 slows words by 18 semitones.
        let stretched = (1200.0 * semitones_to_ratio(18.0)) as usize;
        assert_eq!(controller.remaining_frame_samples, stretched - 12);
    }

    #[test]
    fn a_consonant_lasts_one_frame_then_morph_scans_the_vowels_again() {
        let mut controller = LpcSpeechSynthController::default();
        let mut random = Random::default();
        render(&mut controller, &controls(None, true, 0.5, 0.5), &mut random);
        // (0.5 + 1.5 + 0.035)·8 = 16.28 → 16 mod 10 + 5 = 11.
        assert_eq!(controller.playback_frame, -1);
        assert_eq!(controller.synth.energy(), 96.0 / 256.0);
        for _ in 0..99 {
            render(&mut controller, &controls(None, false, 0.5, 0.5), &mut random);
            assert_eq!(controller.synth.energy(), 96.0 / 256.0);
        }
        render(&mut controller, &controls(None, false, 0.5, 0.5), &mut random);
        // Back to scanning: MORPH 0.5 sits between the vowels i and o.
        assert_eq!(controller.synth.energy(), 192.0 / 256.0);
    }
}
