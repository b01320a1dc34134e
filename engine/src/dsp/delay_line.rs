//! Circular delay line with a backwards-moving write index (voice.md §4.8).

/// `N` samples of delay; `read(1.0)` is the most recent sample written.
#[derive(Clone, Debug)]
pub struct DelayLine<const N: usize> {
    line: [f32; N],
    write_index: usize,
}

impl<const N: usize> Default for DelayLine<N> {
    fn default() -> Self {
        Self { line: [0.0; N], write_index: 0 }
    }
}

impl<const N: usize> DelayLine<N> {
    /// Zeroes the line and rewinds the write index.
    pub fn reset(&mut self) {
        self.line.fill(0.0);
        self.write_index = 0;
    }

    /// Writes one sample.
    #[inline]
    pub fn write(&mut self, x: f32) {
        self.line[self.write_index] = x;
        self.write_index = (self.write_index + N - 1) % N;
    }

    /// The value written `delay` samples ago, linearly interpolated.
    #[inline]
    pub fn read(&self, delay: f32) -> f32 {
        let integral = delay as i32;
        let fractional = delay - integral as f32;
        let i = integral.max(0) as usize;
        let a = self.line[(self.write_index + i) % N];
        let b = self.line[(self.write_index + i + 1) % N];
        a + (b - a) * fractional
    }

    /// The value written `delay` samples ago, integer delay.
    #[inline]
    pub fn read_integer(&self, delay: usize) -> f32 {
        self.line[(self.write_index + delay) % N]
    }

    /// The value written `delay` samples ago, 4-point Hermite interpolation.
    #[inline]
    pub fn read_hermite(&self, delay: f32) -> f32 {
        let integral = delay as i32;
        let fractional = delay - integral as f32;
        let t = self.write_index + integral.max(0) as usize + N;
        crate::dsp::interpolate::hermite(
            self.line[(t - 1) % N],
            self.line[t % N],
            self.line[(t + 1) % N],
            self.line[(t + 2) % N],
            fractional,
        )
    }

    /// A Schroeder all-pass section of integer delay `delay` and gain `gain`.
    #[inline]
    pub fn allpass(&mut self, x: f32, delay: usize, gain: f32) -> f32 {
        let read = self.line[(self.write_index + delay) % N];
        let write = x + gain * read;
        self.write(write);
        read - gain * write
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_what_was_written_with_its_delay() {
        let mut line = DelayLine::<8>::default();
        for i in 1..=6 {
            line.write(i as f32);
        }
        assert_eq!(line.read(1.0), 6.0);
        assert_eq!(line.read(5.0), 2.0);
        assert_eq!(line.read(1.5), 5.5);
        assert_eq!(line.read_integer(2), 5.0);
    }

    #[test]
    fn hermite_read_is_exact_on_a_ramp() {
        let mut line = DelayLine::<16>::default();
        for i in 0..16 {
            line.write(i as f32);
        }
        // 15 was written last (delay 1), so delay d holds 16 - d.
        assert!((line.read_hermite(3.25) - 12.75).abs() < 1e-5);
    }
}
