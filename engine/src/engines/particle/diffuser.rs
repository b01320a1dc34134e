//! The particle engine's granular reverb: four all-passes and a modulated
//! feedback loop in 12-bit fixed-point delay memory (engines-8-15.md §1.12).

use crate::dsp::cosine_oscillator::{CosineMode, CosineOscillator};
use crate::engines::{Block, BLOCK_SIZE};

const MEMORY_SIZE: usize = 8192;
const MASK: i32 = MEMORY_SIZE as i32 - 1;

/// The LFO runs once every 32 samples.
const LFO_INTERVAL: i32 = 32;

/// A delay line in the shared memory: where it starts and how long it is.
#[derive(Clone, Copy)]
struct Line {
    base: i32,
    length: i32,
}

/// Lays the lines out one after another, each taking `length + 1` words.
const fn layout<const N: usize>(lengths: [i32; N]) -> [Line; N] {
    let mut lines = [Line { base: 0, length: 0 }; N];
    let mut base = 0;
    let mut i = 0;
    while i < N {
        lines[i] = Line { base, length: lengths[i] };
        base += lengths[i] + 1;
        i += 1;
    }
    lines
}

const LINES: [Line; 7] = layout([126, 180, 269, 444, 1653, 2010, 3411]);
const AP1: Line = LINES[0];
const AP2: Line = LINES[1];
const AP3: Line = LINES[2];
const AP4: Line = LINES[3];
const DAPA: Line = LINES[4];
const DAPB: Line = LINES[5];
const DEL: Line = LINES[6];

const KAP: f32 = 0.625;
const KLP: f32 = 0.75;

/// 12-bit fixed point in 16-bit words: ±8 with 1/4096 steps, truncated toward
/// zero and saturating (the cast does both).
#[inline]
fn compress(x: f32) -> i16 {
    (x * 4096.0) as i16
}

#[inline]
fn decompress(word: i16) -> f32 {
    word as f32 / 4096.0
}

/// The diffuser's delay memory and its modulation LFO.
#[derive(Clone, Debug)]
pub struct Diffuser {
    memory: Box<[i16; MEMORY_SIZE]>,
    write_pointer: i32,
    lfo: CosineOscillator,
    lp_state: f32,
}

impl Default for Diffuser {
    fn default() -> Self {
        let mut lfo = CosineOscillator::default();
        // About 0.3 Hz, stepped once per 32 samples.
        lfo.init(LFO_INTERVAL as f32 * 0.3 / 48_000.0, CosineMode::Approximate);
        Self { memory: Box::new([0; MEMORY_SIZE]), write_pointer: 0, lfo, lp_state: 0.0 }
    }
}

/// One block's pass through the lines, run stage by stage over the whole block.
///
/// The firmware runs sample by sample through all the stages. Here each stage
/// (read or write of one line) runs over all 12 samples before the next stage,
/// which lets the samples' independent arithmetic overlap. That gives the same
/// bits: within a block no stage reads a word that another stage (or itself)
/// writes. A line's tail is read `length − 1 ≥ 125` samples after it was
/// written, the modulated taps at least 357 samples after, and each read lies
/// at least 12 words away from the nearest word that another line writes in
/// the block (the layout leaves that gap).
///
/// The write pointer runs down, so the pass keeps its samples in reverse
/// order: lane `k` holds sample `BLOCK_SIZE − 1 − k`, whose address in a line
/// is `low + k` past the line's offset. A stage's words then lie side by side
/// in memory (unless the window wraps around its end), and each lane does its
/// sample's operations in the firmware's order.
struct BlockPass<'a> {
    memory: &'a mut [i16; MEMORY_SIZE],
    /// Write pointer of the block's last sample.
    low: i32,
    accumulator: Block,
    previous_read: Block,
}

impl BlockPass<'_> {
    /// The `N` words from `offset` past the write pointer of lane 0 on.
    #[inline]
    fn load<const N: usize>(&self, offset: i32) -> [i16; N] {
        let start = ((self.low + offset) & MASK) as usize;
        match self.memory.get(start..start + N) {
            Some(words) => words.try_into().unwrap(),
            None => std::array::from_fn(|k| self.memory[(start + k) & MASK as usize]),
        }
    }

    /// Stores one word per lane from `offset` past the write pointer of lane 0 on.
    #[inline]
    fn store(&mut self, offset: i32, words: &[i16; BLOCK_SIZE]) {
        let start = ((self.low + offset) & MASK) as usize;
        match self.memory.get_mut(start..start + BLOCK_SIZE) {
            Some(slot) => slot.copy_from_slice(words),
            None => {
                for (k, &word) in words.iter().enumerate() {
                    self.memory[(start + k) & MASK as usize] = word;
                }
            }
        }
    }

    #[inline]
    fn read_tail(&mut self, line: Line, scale: f32) {
        let words = self.load::<BLOCK_SIZE>(line.base + line.length - 1);
        for ((acc, previous), &word) in self.accumulator.iter_mut().zip(&mut self.previous_read).zip(&words) {
            let r = decompress(word);
            *previous = r;
            *acc += scale * r;
        }
    }

    /// Reads an interpolated tap `offset + depth · lfo` words into `line`.
    #[inline]
    fn read_modulated(&mut self, line: Line, offset: f32, depth: f32, lfo: &Block, scale: f32) {
        let mut integral = [0i32; BLOCK_SIZE];
        let mut fractional = [0.0f32; BLOCK_SIZE];
        for ((integral, fractional), lfo) in integral.iter_mut().zip(&mut fractional).zip(lfo) {
            let position = offset + depth * lfo;
            *integral = position as i32;
            *fractional = position - *integral as f32;
        }
        // The LFO steps at most once a block, so the tap moves by whole words
        // at most once: if the first and last lanes agree, all lanes read one
        // run of consecutive words.
        let mut a = [0.0f32; BLOCK_SIZE];
        let mut b = [0.0f32; BLOCK_SIZE];
        if integral[0] == integral[BLOCK_SIZE - 1] {
            let words = self.load::<{ BLOCK_SIZE + 1 }>(integral[0] + line.base);
            for (k, (a, b)) in a.iter_mut().zip(&mut b).enumerate() {
                *a = decompress(words[k]);
                *b = decompress(words[k + 1]);
            }
        } else {
            for (k, ((a, b), &integral)) in a.iter_mut().zip(&mut b).zip(&integral).enumerate() {
                let address = self.low + k as i32 + integral + line.base;
                *a = decompress(self.memory[(address & MASK) as usize]);
                *b = decompress(self.memory[((address + 1) & MASK) as usize]);
            }
        }
        for (k, (acc, previous)) in self.accumulator.iter_mut().zip(&mut self.previous_read).enumerate() {
            let x = a[k] + (b[k] - a[k]) * fractional[k];
            *previous = x;
            *acc += scale * x;
        }
    }

    #[inline]
    fn write(&mut self, line: Line, scale: f32) {
        let mut words = [0i16; BLOCK_SIZE];
        for (word, acc) in words.iter_mut().zip(&mut self.accumulator) {
            *word = compress(*acc);
            *acc *= scale;
        }
        self.store(line.base, &words);
    }

    #[inline]
    fn write_allpass(&mut self, line: Line, scale: f32) {
        self.write(line, scale);
        for (acc, previous) in self.accumulator.iter_mut().zip(self.previous_read.iter()) {
            *acc += *previous;
        }
    }
}

impl Diffuser {
    /// Silences the memory and rewinds the write pointer (the engine's Reset).
    pub fn clear(&mut self) {
        self.memory.fill(0);
        self.write_pointer = 0;
    }

    /// Diffuses `buffer` in place: `amount` is the wet mix, `reverb_time` the
    /// feedback of the long delay.
    pub fn process(&mut self, amount: f32, reverb_time: f32, buffer: &mut Block) {
        let first_write_pointer = self.write_pointer - 1;
        // Lane k is sample BLOCK_SIZE − 1 − k (see `BlockPass`).
        let mut lfo = [0.0; BLOCK_SIZE];
        for (n, value) in lfo.iter_mut().rev().enumerate() {
            let write_pointer = (first_write_pointer - n as i32) & MASK;
            *value = if write_pointer & (LFO_INTERVAL - 1) == 0 { self.lfo.next() } else { self.lfo.value() };
        }
        let low = first_write_pointer + 1 - BLOCK_SIZE as i32;
        self.write_pointer = low & MASK;

        let mut pass = BlockPass {
            memory: &mut self.memory,
            low,
            // The firmware's accumulator starts at 0 and then adds the input.
            accumulator: std::array::from_fn(|k| 0.0 + buffer[BLOCK_SIZE - 1 - k]),
            previous_read: [0.0; BLOCK_SIZE],
        };
        pass.read_tail(AP1, KAP);
        pass.write_allpass(AP1, -KAP);
        pass.read_tail(AP2, KAP);
        pass.write_allpass(AP2, -KAP);
        pass.read_tail(AP3, KAP);
        pass.write_allpass(AP3, -KAP);
        pass.read_modulated(AP4, 400.0, 43.0, &lfo, KAP);
        pass.write_allpass(AP4, -KAP);
        pass.read_modulated(DEL, 3070.0, 340.0, &lfo, reverb_time);
        for acc in pass.accumulator.iter_mut().rev() {
            self.lp_state += KLP * (*acc - self.lp_state);
            *acc = self.lp_state;
        }
        pass.read_tail(DAPA, -KAP);
        pass.write_allpass(DAPA, KAP);
        pass.read_tail(DAPB, KAP);
        pass.write_allpass(DAPB, -KAP);
        pass.write(DEL, 2.0);
        for (s, wet) in buffer.iter_mut().zip(pass.accumulator.iter().rev()) {
            *s += amount * (*wet - *s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_laid_out_one_after_another() {
        let bases: Vec<i32> = LINES.iter().map(|line| line.base).collect();
        assert_eq!(bases, [0, 127, 308, 578, 1023, 2677, 4688]);
        assert!(DEL.base + DEL.length < MEMORY_SIZE as i32);
    }

    #[test]
    fn fixed_point_saturates_and_truncates() {
        assert_eq!(compress(1.0), 4096);
        assert_eq!(compress(-1.0 / 8192.0), 0, "toward zero");
        assert_eq!(compress(100.0), i16::MAX);
        assert_eq!(compress(-100.0), i16::MIN);
        assert_eq!(decompress(compress(0.75)), 0.75);
    }

    #[test]
    fn zero_amount_is_dry() {
        let mut diffuser = Diffuser::default();
        diffuser.clear();
        let mut block: Block = std::array::from_fn(|i| i as f32 * 0.1 - 0.5);
        let dry = block;
        diffuser.process(0.0, 0.5, &mut block);
        assert_eq!(block, dry);
    }

    /// The firmware's order: every stage for one sample, then the next sample.
    fn process_sample_by_sample(diffuser: &mut Diffuser, amount: f32, reverb_time: f32, buffer: &mut Block) {
        for s in buffer.iter_mut() {
            diffuser.write_pointer = (diffuser.write_pointer - 1) & MASK;
            let w = diffuser.write_pointer;
            let lfo = if w & (LFO_INTERVAL - 1) == 0 { diffuser.lfo.next() } else { diffuser.lfo.value() };
            let memory = &mut diffuser.memory;
            let word =
                |memory: &[i16; MEMORY_SIZE], address: i32| decompress(memory[(address & MASK) as usize]);
            let mut acc = 0.0;
            acc += *s;
            let allpass = |acc: &mut f32,
                           line: Line,
                           read: f32,
                           k_read: f32,
                           k_write: f32,
                           memory: &mut [i16; MEMORY_SIZE]| {
                *acc += k_read * read;
                memory[((w + line.base) & MASK) as usize] = compress(*acc);
                *acc *= k_write;
                *acc += read;
            };
            for line in [AP1, AP2, AP3] {
                let r = word(memory, w + line.base + line.length - 1);
                allpass(&mut acc, line, r, KAP, -KAP, memory);
            }
            let tap = |memory: &[i16; MEMORY_SIZE], line: Line, offset: f32, depth: f32| {
                let position = offset + depth * lfo;
                let integral = position as i32;
                let fractional = position - integral as f32;
                let a = word(memory, w + integral + line.base);
                let b = word(memory, w + integral + line.base + 1);
                a + (b - a) * fractional
            };
            let r = tap(memory, AP4, 400.0, 43.0);
            allpass(&mut acc, AP4, r, KAP, -KAP, memory);
            acc += reverb_time * tap(memory, DEL, 3070.0, 340.0);
            diffuser.lp_state += KLP * (acc - diffuser.lp_state);
            acc = diffuser.lp_state;
            let r = word(memory, w + DAPA.base + DAPA.length - 1);
            allpass(&mut acc, DAPA, r, -KAP, KAP, memory);
            let r = word(memory, w + DAPB.base + DAPB.length - 1);
            allpass(&mut acc, DAPB, r, KAP, -KAP, memory);
            memory[((w + DEL.base) & MASK) as usize] = compress(acc);
            acc *= 2.0;
            *s += amount * (acc - *s);
        }
    }

    #[test]
    fn block_stages_match_the_sample_by_sample_order_bit_for_bit() {
        let mut staged = Diffuser::default();
        staged.clear();
        let mut reference = staged.clone();
        let mut random = crate::dsp::random::Random::default();
        for block_index in 0..4000 {
            let mut block: Block = std::array::from_fn(|_| random.get_float() * 4.0 - 2.0);
            let mut expected = block;
            let (amount, reverb_time) = if block_index % 500 < 250 { (0.8, 0.75) } else { (0.1, 0.3) };
            staged.process(amount, reverb_time, &mut block);
            process_sample_by_sample(&mut reference, amount, reverb_time, &mut expected);
            assert_eq!(block, expected, "block {block_index}");
        }
        assert_eq!(staged.memory, reference.memory);
    }

    #[test]
    fn an_impulse_is_smeared_into_a_long_tail() {
        let mut diffuser = Diffuser::default();
        diffuser.clear();
        let mut samples = vec![0.0f32; 48_000];
        samples[0] = 1.0;
        for block in samples.chunks_exact_mut(BLOCK_SIZE) {
            diffuser.process(1.0, 0.75, block.try_into().unwrap());
        }
        let energy = |range: std::ops::Range<usize>| samples[range].iter().map(|x| x * x).sum::<f32>();
        assert!(energy(100..4800) > 0.0);
        assert!(energy(12_000..16_800) > 0.0, "the feedback loop keeps it ringing");
        assert!(energy(12_000..16_800) < energy(100..4800), "and it decays");
        assert!(samples.iter().all(|x| x.abs() < 2.0));
    }
}
