//! First-order DC blocker that keeps the string loop from drifting (engines-8-15.md §1.4).

/// `y[n] = pole · y[n−1] + x[n] − x[n−1]`, evaluated left to right as the
/// module does (the renders tell the orders apart).
#[derive(Clone, Debug)]
pub struct DcBlocker {
    pole: f32,
    x: f32,
    y: f32,
}

impl DcBlocker {
    /// A blocker with the given pole (just below 1) and cleared state.
    pub fn new(pole: f32) -> Self {
        Self { pole, x: 0.0, y: 0.0 }
    }

    /// One sample through the blocker.
    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        let y = self.pole * self.y + x - self.x;
        self.x = x;
        self.y = y;
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_a_constant_offset_and_passes_a_step_edge() {
        let mut blocker = DcBlocker::new(1.0 - 20.0 / 48_000.0);
        assert_eq!(blocker.process(1.0), 1.0, "an edge goes straight through");
        let mut y = 0.0;
        for _ in 0..48_000 {
            y = blocker.process(1.0);
        }
        // Time constant 1 / (1 − pole) = 2400 samples: 20 of them have passed,
        // which would leave 2e-9. The module's order, `(pole·y + x) − x_prev`,
        // rounds at the scale of x, so the decay stalls once a step is below
        // half an ulp of 1.0 (1.4e-4 here); reproduced on purpose.
        assert!(y > 1e-4 && y < 2e-4, "{y}");
    }
}
