//! The render-parameter schema (one JSON object per line) and its validation.
//!
//! The schema is the one of the Plaits reference renders: `id`, `model`,
//! `frequency`, `harmonics`, `timbre`, `morph`, `lpg_colour`, `lpg_decay`,
//! `timbre_cv`, `freq_cv`, `morph_cv`, `pitch_v`, `trigger`, `level`, `seconds`.
//! Missing optional fields take the module's defaults.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rackmatch_engine::{VoiceSettings, ENGINE_COUNT, FRAME_RATE};
use serde::{Deserialize, Serialize};

/// Longest render accepted, in seconds.
pub const MAX_SECONDS: f64 = 600.0;
/// Render length when a line does not give one, in seconds.
pub const DEFAULT_SECONDS: f64 = 1.0;
/// Largest magnitude accepted for a constant input voltage.
pub const MAX_VOLTS: f64 = 12.0;

/// One render line, with every field explicit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenderParams {
    /// File stem of the output.
    pub id: String,
    /// Model 0 to 15.
    pub model: u32,
    /// FREQ knob, octaves, -4 to 4.
    #[serde(default)]
    pub frequency: f64,
    /// HARMONICS, 0 to 1.
    #[serde(default = "half")]
    pub harmonics: f64,
    /// TIMBRE, 0 to 1.
    #[serde(default = "half")]
    pub timbre: f64,
    /// MORPH, 0 to 1.
    #[serde(default = "half")]
    pub morph: f64,
    /// LPG colour, 0 to 1.
    #[serde(default = "half")]
    pub lpg_colour: f64,
    /// LPG decay, 0 to 1.
    #[serde(default = "half")]
    pub lpg_decay: f64,
    /// TIMBRE attenuverter, -1 to 1.
    #[serde(default)]
    pub timbre_cv: f64,
    /// FM attenuverter, -1 to 1.
    #[serde(default)]
    pub freq_cv: f64,
    /// MORPH attenuverter, -1 to 1.
    #[serde(default)]
    pub morph_cv: f64,
    /// Constant V/OCT voltage.
    #[serde(default)]
    pub pitch_v: f64,
    /// `null`: TRIG unpatched; a list: onsets in seconds.
    #[serde(default)]
    pub trigger: Option<Vec<f64>>,
    /// `null`: LEVEL unpatched; a number: constant volts.
    #[serde(default)]
    pub level: Option<f64>,
    /// Length in seconds.
    #[serde(default = "default_seconds")]
    pub seconds: f64,
    /// Absent: a lone Plaits voice. Present: this `.vcv` with these CC values
    /// (and `model`, `trigger`, `seconds`) is rendered instead, and the voice
    /// fields above are not used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<crate::patch_space::PatchSettings>,
}

fn half() -> f64 {
    0.5
}

fn default_seconds() -> f64 {
    DEFAULT_SECONDS
}

/// What is wrong with one field of one render line.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("field `{field}`: {problem}")]
pub struct FieldError {
    /// The field's name.
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

impl RenderParams {
    /// Parameters with the module's defaults for model `model`.
    pub fn defaults(id: impl Into<String>, model: u32) -> Self {
        Self {
            id: id.into(),
            model,
            frequency: 0.0,
            harmonics: 0.5,
            timbre: 0.5,
            morph: 0.5,
            lpg_colour: 0.5,
            lpg_decay: 0.5,
            timbre_cv: 0.0,
            freq_cv: 0.0,
            morph_cv: 0.0,
            pitch_v: 0.0,
            trigger: None,
            level: None,
            seconds: DEFAULT_SECONDS,
            patch: None,
        }
    }

    /// Checks every field's range; the first problem found is returned.
    pub fn validate(&self) -> Result<(), FieldError> {
        fn range(field: &'static str, value: f64, lo: f64, hi: f64) -> Result<(), FieldError> {
            if value.is_finite() && (lo..=hi).contains(&value) {
                Ok(())
            } else {
                Err(FieldError { field, problem: format!("{value} is outside {lo} to {hi}") })
            }
        }
        validate_id(&self.id)?;
        if self.model as usize >= ENGINE_COUNT {
            return Err(FieldError {
                field: "model",
                problem: format!("{} is not a model (0 to {})", self.model, ENGINE_COUNT - 1),
            });
        }
        range("frequency", self.frequency, -4.0, 4.0)?;
        range("harmonics", self.harmonics, 0.0, 1.0)?;
        range("timbre", self.timbre, 0.0, 1.0)?;
        range("morph", self.morph, 0.0, 1.0)?;
        range("lpg_colour", self.lpg_colour, 0.0, 1.0)?;
        range("lpg_decay", self.lpg_decay, 0.0, 1.0)?;
        range("timbre_cv", self.timbre_cv, -1.0, 1.0)?;
        range("freq_cv", self.freq_cv, -1.0, 1.0)?;
        range("morph_cv", self.morph_cv, -1.0, 1.0)?;
        range("pitch_v", self.pitch_v, -MAX_VOLTS, MAX_VOLTS)?;
        if let Some(level) = self.level {
            range("level", level, -MAX_VOLTS, MAX_VOLTS)?;
        }
        if !(self.seconds.is_finite() && self.seconds > 0.0 && self.seconds <= MAX_SECONDS) {
            return Err(FieldError {
                field: "seconds",
                problem: format!("{} must be above 0 and at most {MAX_SECONDS}", self.seconds),
            });
        }
        if self.frames() == 0 {
            return Err(FieldError {
                field: "seconds",
                problem: format!("{} is shorter than one frame", self.seconds),
            });
        }
        if let Some(onsets) = &self.trigger {
            for &t in onsets {
                range("trigger", t, 0.0, MAX_SECONDS)?;
            }
        }
        if let Some(patch) = &self.patch {
            crate::patch_space::validate(self, patch)
                .map_err(|e| FieldError { field: "patch", problem: e.to_string() })?;
        }
        Ok(())
    }

    /// Number of frames at 48 kHz: `round(seconds × 48000)`.
    pub fn frames(&self) -> usize {
        (self.seconds * FRAME_RATE as f64).round() as usize
    }

    /// The engine settings for these parameters.
    pub fn voice_settings(&self) -> VoiceSettings {
        VoiceSettings {
            model: self.model as usize,
            frequency: self.frequency as f32,
            harmonics: self.harmonics as f32,
            timbre: self.timbre as f32,
            morph: self.morph as f32,
            lpg_colour: self.lpg_colour as f32,
            lpg_decay: self.lpg_decay as f32,
            timbre_cv: self.timbre_cv as f32,
            freq_cv: self.freq_cv as f32,
            morph_cv: self.morph_cv as f32,
            pitch_v: self.pitch_v as f32,
            trigger: self.trigger.clone(),
            level: self.level.map(|v| v as f32),
        }
    }
}

/// Ids become file names: they must be non-empty, printable and free of path syntax.
pub fn validate_id(id: &str) -> Result<(), FieldError> {
    let bad = id.is_empty()
        || id.len() > 200
        || id == "."
        || id == ".."
        || id.starts_with('.')
        || id.chars().any(|c| c == '/' || c == '\\' || c.is_control());
    if bad {
        Err(FieldError { field: "id", problem: format!("{id:?} cannot be used as a file name") })
    } else {
        Ok(())
    }
}

/// A problem in a render-parameter file, naming the file and line.
#[derive(Debug, thiserror::Error)]
pub enum ParamsFileError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not valid JSON or does not fit the schema.
    #[error("{path}:{line}: {problem}")]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong, naming the field where there is one.
        problem: String,
    },
    /// The file holds no render line.
    #[error("{path}: no render lines")]
    Empty {
        /// The file.
        path: PathBuf,
    },
}

/// Reads and validates a whole JSONL file; blank lines are skipped.
///
/// Validation is complete before anything is rendered, so a bad file writes nothing.
pub fn read_params_file(path: &Path) -> Result<Vec<RenderParams>, ParamsFileError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| ParamsFileError::Read { path: path.to_path_buf(), source })?;
    parse_params(path, &text)
}

/// Parses JSONL text read from `path` (the path is only used in messages).
pub fn parse_params(path: &Path, text: &str) -> Result<Vec<RenderParams>, ParamsFileError> {
    let mut seen = HashSet::new();
    let mut lines = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let fail = |problem: String| ParamsFileError::Line { path: path.to_path_buf(), line, problem };
        let value: serde_json::Value =
            serde_json::from_str(raw).map_err(|e| fail(format!("not valid JSON: {e}")))?;
        let object = value.as_object().ok_or_else(|| fail("not a JSON object".into()))?;
        for required in ["id", "model"] {
            if !object.contains_key(required) {
                return Err(fail(format!("field `{required}`: missing")));
            }
        }
        let params: RenderParams =
            serde_path_to_error::deserialize(value).map_err(|e| fail(describe_serde_error(&e)))?;
        params.validate().map_err(|e| fail(e.to_string()))?;
        if !seen.insert(params.id.clone()) {
            return Err(fail(format!("field `id`: duplicate id {:?}", params.id)));
        }
        lines.push(params);
    }
    if lines.is_empty() {
        return Err(ParamsFileError::Empty { path: path.to_path_buf() });
    }
    Ok(lines)
}

/// Names the field a deserialisation error is about.
fn describe_serde_error(error: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let message = error.inner().to_string();
    if message.starts_with("unknown field") {
        let field = message.split('`').nth(1).unwrap_or("?");
        format!("field `{field}`: unknown field")
    } else {
        let field = error.path().to_string();
        let message = message.split(" at line").next().unwrap_or(&message);
        format!("field `{field}`: {message}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<RenderParams>, String> {
        parse_params(Path::new("p.jsonl"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn reference_lines_parse_with_defaults() {
        let lines = parse(
            r#"{"id":"a","model":3}
{"id":"b","model":15,"trigger":[0.0,0.25],"level":null,"seconds":0.5}"#,
        )
        .unwrap();
        assert_eq!(lines[0], RenderParams::defaults("a", 3));
        assert_eq!(lines[1].trigger, Some(vec![0.0, 0.25]));
        assert_eq!(lines[1].frames(), 24_000);
    }

    #[test]
    fn every_bad_line_names_file_line_and_field() {
        let cases = [
            ("not json", "p.jsonl:1: not valid JSON"),
            (r#"{"model":1}"#, "field `id`: missing"),
            (r#"{"id":"x"}"#, "field `model`: missing"),
            (r#"{"id":"x","model":1,"colour":1}"#, "field `colour`: unknown field"),
            (r#"{"id":"x","model":16}"#, "field `model`"),
            (r#"{"id":"x","model":1,"timbre":1.5}"#, "field `timbre`"),
            (r#"{"id":"x","model":1,"seconds":0}"#, "field `seconds`"),
            (r#"{"id":"x","model":1,"seconds":601}"#, "field `seconds`"),
            (r#"{"id":"x","model":1,"seconds":-1}"#, "field `seconds`"),
            (r#"{"id":"../x","model":1}"#, "field `id`"),
            (r#"{"id":"x","model":1,"trigger":[-1]}"#, "field `trigger`"),
            (r#"{"id":"x","model":-1}"#, "field `model`"),
            (r#"{"id":"x","model":1,"morph":"high"}"#, "field `morph`"),
            (r#"{"id":"x","model":1,"trigger":0.5}"#, "field `trigger`"),
        ];
        for (line, expected) in cases {
            let err = parse(line).unwrap_err();
            assert!(err.contains(expected), "{line}: {err}");
            assert!(err.starts_with("p.jsonl:1:"), "{err}");
        }
        let err = parse("{\"id\":\"x\",\"model\":1}\n\n{\"id\":\"x\",\"model\":2}").unwrap_err();
        assert!(err.starts_with("p.jsonl:3:") && err.contains("duplicate"), "{err}");
    }
}
