//! Per-block constants kept from one block to the next.

/// The last result of a pure function of some `f32` inputs, keyed by their
/// bits: a block whose inputs have not moved (knobs at rest) reuses it, with
/// the same value as computing it again, and skips the table reads and
/// divisions.
#[derive(Clone, Debug)]
pub struct Memo<const N: usize, V: Copy> {
    last: Option<([u32; N], V)>,
}

impl<const N: usize, V: Copy> Default for Memo<N, V> {
    fn default() -> Self {
        Self { last: None }
    }
}

impl<const N: usize, V: Copy> Memo<N, V> {
    /// `compute(inputs)`, from the last call when `inputs` had the same bits.
    #[inline]
    pub fn get(&mut self, inputs: [f32; N], compute: impl FnOnce([f32; N]) -> V) -> V {
        let key = inputs.map(f32::to_bits);
        match self.last {
            Some((last_key, value)) if last_key == key => value,
            _ => {
                let value = compute(inputs);
                self.last = Some((key, value));
                value
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recomputes_only_when_an_input_changes_bits() {
        let mut memo = Memo::<2, f32>::default();
        let mut calls = 0;
        let mut f = |x: [f32; 2]| {
            calls += 1;
            x[0] + x[1]
        };
        assert_eq!(memo.get([1.0, 2.0], &mut f), 3.0);
        assert_eq!(memo.get([1.0, 2.0], &mut f), 3.0);
        assert_eq!(memo.get([0.0, 2.0], &mut f), 2.0);
        assert_eq!(memo.get([-0.0, 2.0], &mut f), 2.0);
        assert_eq!(calls, 3);
    }
}
