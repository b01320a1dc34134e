//! Decodes a bank of LPC-10 words (TI speech ROM bit streams) into frames
//! (engines-4-7.md §4.5.4).

use super::lpc_speech_synth::LpcFrame;
use crate::tables::{
    LPC_ENERGY, LPC_K0, LPC_K1, LPC_K2, LPC_K3, LPC_K4, LPC_K5, LPC_K6, LPC_K7, LPC_K8, LPC_K9, LPC_PERIOD,
    LPC_WORD_BANKS,
};

/// Most frames a decoded bank may hold.
pub const MAX_FRAMES: usize = 1024;

/// Most words a bank may hold.
pub const MAX_WORDS: usize = 31;

/// Number of word banks.
pub const NUM_BANKS: usize = LPC_WORD_BANKS.len();

/// Energy code that ends a word.
const END_OF_WORD: u32 = 15;

/// Reads fields from a byte string: bits leave each byte from its least
/// significant bit, and a field is assembled most significant bit first.
struct BitStream<'a> {
    data: &'a [u8],
    byte: usize,
    mask: u8,
}

impl<'a> BitStream<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self { data, byte: 0, mask: 1 }
    }

    fn at_end(&self) -> bool {
        self.byte >= self.data.len()
    }

    /// The next `bits` bits, or `None` once the data is exhausted.
    fn read(&mut self, bits: u32) -> Option<u32> {
        let mut value = 0;
        for _ in 0..bits {
            let byte = *self.data.get(self.byte)?;
            value = (value << 1) | u32::from(byte & self.mask != 0);
            self.mask = self.mask.wrapping_shl(1);
            if self.mask == 0 {
                self.mask = 1;
                self.byte += 1;
            }
        }
        Some(value)
    }

    /// Skips to the next byte boundary: words start on whole bytes.
    fn align(&mut self) {
        if self.mask != 1 {
            self.mask = 1;
            self.byte += 1;
        }
    }

    fn code(&mut self, bits: u32) -> Option<usize> {
        self.read(bits).map(|v| v as usize)
    }
}

/// Decodes one word into `frames` from index `count`; returns the new count.
/// Fields a frame does not carry keep the previous frame's values.
fn decode_word(stream: &mut BitStream, frames: &mut [LpcFrame], mut count: usize) -> usize {
    let mut frame = LpcFrame::default();
    while let Some(energy) = stream.read(4) {
        if energy == END_OF_WORD {
            stream.align();
            break;
        }
        if energy == 0 {
            frame.energy = 0;
        } else {
            frame.energy = LPC_ENERGY[energy as usize];
            let (Some(repeat), Some(period)) = (stream.read(1), stream.code(6)) else { break };
            frame.period = LPC_PERIOD[period];
            // A repeated frame keeps the previous coefficients.
            if repeat == 0 && decode_coefficients(stream, &mut frame).is_none() {
                break;
            }
        }
        if let Some(slot) = frames.get_mut(count) {
            *slot = frame;
            count += 1;
        }
    }
    count
}

/// Reads k0..k3, and k4..k9 for voiced frames only.
fn decode_coefficients(stream: &mut BitStream, frame: &mut LpcFrame) -> Option<()> {
    frame.k0 = LPC_K0[stream.code(5)?];
    frame.k1 = LPC_K1[stream.code(5)?];
    frame.k[0] = LPC_K2[stream.code(4)?];
    frame.k[1] = LPC_K3[stream.code(4)?];
    if frame.period != 0 {
        frame.k[2] = LPC_K4[stream.code(4)?];
        frame.k[3] = LPC_K5[stream.code(4)?];
        frame.k[4] = LPC_K6[stream.code(4)?];
        frame.k[5] = LPC_K7[stream.code(3)?];
        frame.k[6] = LPC_K8[stream.code(3)?];
        frame.k[7] = LPC_K9[stream.code(3)?];
    }
    Some(())
}

/// One decoded word bank, held in buffers allocated once.
#[derive(Clone, Debug)]
pub struct LpcWordBank {
    loaded_bank: Option<usize>,
    frames: Box<[LpcFrame]>,
    num_frames: usize,
    word_boundaries: [usize; MAX_WORDS + 1],
    num_words: usize,
}

impl Default for LpcWordBank {
    fn default() -> Self {
        Self {
            loaded_bank: None,
            frames: vec![LpcFrame::default(); MAX_FRAMES].into_boxed_slice(),
            num_frames: 0,
            word_boundaries: [0; MAX_WORDS + 1],
            num_words: 0,
        }
    }
}

impl LpcWordBank {
    /// Forgets the loaded bank, so that the next [`LpcWordBank::load`] decodes again.
    pub fn reset(&mut self) {
        self.loaded_bank = None;
        self.num_frames = 0;
        self.num_words = 0;
    }

    /// Decodes `bank` unless it is already loaded; returns true if it decoded.
    #[inline]
    pub fn load(&mut self, bank: usize) -> bool {
        if self.loaded_bank == Some(bank) {
            return false;
        }
        self.decode(bank);
        true
    }

    /// Decodes `bank` (rarely: on a bank change).
    #[cold]
    #[inline(never)]
    fn decode(&mut self, bank: usize) {
        self.loaded_bank = Some(bank);
        self.num_frames = 0;
        self.num_words = 0;
        let mut stream = BitStream::new(LPC_WORD_BANKS[bank]);
        while !stream.at_end() {
            if self.num_words < MAX_WORDS {
                self.word_boundaries[self.num_words] = self.num_frames;
                self.num_words += 1;
            }
            self.num_frames = decode_word(&mut stream, &mut self.frames, self.num_frames);
        }
        self.word_boundaries[self.num_words] = self.num_frames;
    }

    /// The decoded frames.
    pub fn frames(&self) -> &[LpcFrame] {
        &self.frames[..self.num_frames]
    }

    /// Number of words in the bank.
    pub fn num_words(&self) -> usize {
        self.num_words
    }

    /// Index of the first frame of `word`; `word = num_words` gives the frame count.
    pub fn word_start(&self, word: usize) -> usize {
        self.word_boundaries[word.min(self.num_words)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    mod vector {
        include!(concat!(env!("OUT_DIR"), "/lpc_word_frames.rs"));
    }

    #[test]
    fn decoded_banks_match_the_test_vector() {
        let mut bank = LpcWordBank::default();
        for index in 0..NUM_BANKS {
            assert!(bank.load(index));
            let expected: Vec<LpcFrame> =
                vector::LPC_WORD_FRAMES[index].iter().map(LpcFrame::from_raw).collect();
            assert_eq!(bank.frames(), &expected[..], "bank {index}");
            let boundaries: Vec<usize> = (0..=bank.num_words()).map(|w| bank.word_start(w)).collect();
            assert_eq!(boundaries, vector::LPC_WORD_BOUNDARIES[index], "bank {index}");
        }
    }

    #[test]
    fn words_start_at_the_listed_byte_offsets() {
        for (index, bytes) in LPC_WORD_BANKS.iter().enumerate() {
            let mut frames = vec![LpcFrame::default(); MAX_FRAMES];
            let mut stream = BitStream::new(bytes);
            let mut count = 0;
            let mut starts = Vec::new();
            while !stream.at_end() {
                starts.push(stream.byte);
                count = decode_word(&mut stream, &mut frames, count);
            }
            assert_eq!(starts, vector::LPC_WORD_BYTE_OFFSETS[index], "bank {index}");
        }
    }

    #[test]
    fn every_word_ends_with_a_silent_frame() {
        let mut bank = LpcWordBank::default();
        for index in 0..NUM_BANKS {
            bank.load(index);
            for word in 0..bank.num_words() {
                assert_eq!(
                    bank.frames()[bank.word_start(word + 1) - 1].energy,
                    0,
                    "bank {index} word {word}"
                );
            }
        }
    }

    #[test]
    fn loading_the_same_bank_twice_does_nothing() {
        let mut bank = LpcWordBank::default();
        assert!(bank.load(1));
        assert!(!bank.load(1));
        bank.reset();
        assert_eq!(bank.frames().len(), 0);
        assert!(bank.load(1));
        assert_eq!(bank.num_words(), 11);
    }

    #[test]
    fn fields_are_read_lsb_first_and_assembled_msb_first() {
        // Byte 0b0000_0110: bits in read order 0, 1, 1, 0 → the 4-bit field 0b0110.
        let mut stream = BitStream::new(&[0b0000_0110, 0xff]);
        assert_eq!(stream.read(4), Some(0b0110));
        stream.align();
        assert_eq!(stream.byte, 1);
        assert_eq!(stream.read(8), Some(0xff));
        assert_eq!(stream.read(1), None);
    }
}
