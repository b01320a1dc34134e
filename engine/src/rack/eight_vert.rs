//! Fundamental 8vert (slug `8vert`): eight attenuverter rows whose unpatched
//! inputs take the row above's signal, with 10 V normalled into row 1
//! (fundamental-dsp.md §2; identical in v1 and v2).

use super::{default_values, ParamSpec};

/// Number of rows; also the number of params, inputs and outputs.
pub const ROWS: usize = 8;

/// Voltage normalled into row 1 when nothing is patched above a row.
pub const NORMAL_VOLTS: f32 = 10.0;

/// Row gains, -1 to 1, default 0.
pub const PARAMS: [ParamSpec; ROWS] = [
    ParamSpec::knob("Row 1 gain", -1.0, 1.0, 0.0),
    ParamSpec::knob("Row 2 gain", -1.0, 1.0, 0.0),
    ParamSpec::knob("Row 3 gain", -1.0, 1.0, 0.0),
    ParamSpec::knob("Row 4 gain", -1.0, 1.0, 0.0),
    ParamSpec::knob("Row 5 gain", -1.0, 1.0, 0.0),
    ParamSpec::knob("Row 6 gain", -1.0, 1.0, 0.0),
    ParamSpec::knob("Row 7 gain", -1.0, 1.0, 0.0),
    ParamSpec::knob("Row 8 gain", -1.0, 1.0, 0.0),
];

/// One 8vert.
#[derive(Clone, Debug)]
pub struct EightVert {
    gains: [f32; ROWS],
}

impl Default for EightVert {
    fn default() -> Self {
        Self { gains: default_values(&PARAMS) }
    }
}

impl EightVert {
    /// Sets row `id`'s gain (clamped); false if there is no such row.
    pub fn set_param(&mut self, id: usize, value: f32) -> bool {
        match PARAMS.get(id) {
            Some(spec) => {
                self.gains[id] = spec.clamp(value);
                true
            }
            None => false,
        }
    }

    /// Processes one frame: each wanted output is its gain times the nearest
    /// patched input at or above its row (10 V if none).
    pub fn process(&mut self, inputs: &[f32], connected: &[bool], outputs: &mut [f32], wanted: &[bool]) {
        let mut carried = NORMAL_VOLTS;
        for row in 0..ROWS {
            if connected[row] {
                carried = inputs[row];
            }
            if wanted[row] {
                outputs[row] = self.gains[row] * carried;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(gains: &[(usize, f32)], patched: &[(usize, f32)]) -> [f32; ROWS] {
        let mut module = EightVert::default();
        for &(row, gain) in gains {
            assert!(module.set_param(row, gain));
        }
        let mut inputs = [0.0; ROWS];
        let mut connected = [false; ROWS];
        for &(row, volts) in patched {
            inputs[row] = volts;
            connected[row] = true;
        }
        let mut outputs = [f32::NAN; ROWS];
        module.process(&inputs, &connected, &mut outputs, &[true; ROWS]);
        outputs
    }

    #[test]
    fn row_one_is_a_ten_volt_source() {
        assert_eq!(process(&[(0, 0.5)], &[])[0], 5.0);
        assert_eq!(process(&[(0, -1.0)], &[])[0], -10.0);
        assert_eq!(process(&[], &[])[0], 0.0, "default gain is 0");
    }

    #[test]
    fn unpatched_rows_take_the_nearest_patched_row_above() {
        let out = process(&[(0, 1.0), (1, 1.0), (2, 0.5), (3, 1.0), (7, -1.0)], &[(2, 3.0)]);
        assert_eq!(out[0], 10.0, "above the patched row: the 10 V normal");
        assert_eq!(out[1], 10.0);
        assert_eq!(out[2], 1.5);
        assert_eq!(out[3], 3.0, "row 4 takes row 3's input");
        assert_eq!(out[7], -3.0, "row 8 too");
        let out = process(&[(1, 0.25), (5, 1.0)], &[(0, 4.0), (4, -2.0)]);
        assert_eq!(out[1], 1.0);
        assert_eq!(out[5], -2.0);
    }

    #[test]
    fn output_is_gain_times_input_without_clipping() {
        assert_eq!(process(&[(0, 1.0)], &[(0, 12.0)])[0], 12.0);
        let x = 0.123_456_7f32;
        assert_eq!(process(&[(0, 0.889_763_83)], &[(0, x)])[0], 0.889_763_83 * x);
    }

    #[test]
    fn gains_clamp_to_plus_minus_one() {
        assert_eq!(process(&[(0, 3.0)], &[])[0], 10.0);
        assert!(!EightVert::default().set_param(ROWS, 0.0));
    }
}
