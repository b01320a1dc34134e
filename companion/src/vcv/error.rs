//! Errors about `.vcv` files: each names the file and says what is wrong.

use std::fmt;
use std::path::{Path, PathBuf};

use super::container::ContainerError;

/// What is wrong with a patch, its container or a request about it.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Problem {
    /// The file could not be read or written.
    #[error("{0}")]
    Io(String),
    /// The container is damaged.
    #[error(transparent)]
    Container(#[from] ContainerError),
    /// `patch.json` is not JSON.
    #[error("not valid JSON: {0}")]
    NotJson(String),
    /// JSON, but not a Rack patch.
    #[error("JSON that is not a Rack patch: {0}")]
    NotAPatch(String),
    /// Two modules share an id.
    #[error("two modules have id {0}")]
    DuplicateModuleId(i64),
    /// Two cables share an id.
    #[error("two cables have id {0}")]
    DuplicateCableId(i64),
    /// A cable ends at a module that is not in the patch.
    #[error("cable {cable} refers to module {module}, which is not in the patch")]
    CableToMissingModule {
        /// The cable's id.
        cable: i64,
        /// The missing module's id.
        module: i64,
    },
    /// A cable uses a port the module does not have.
    #[error("cable {cable} uses {direction} {port} of {module}, which has {count}")]
    NoSuchPort {
        /// The cable's id.
        cable: i64,
        /// The module, described.
        module: String,
        /// "input" or "output".
        direction: &'static str,
        /// The port index.
        port: usize,
        /// How many such ports the module has.
        count: usize,
    },
    /// Two cables into one input (Rack aborts on this).
    #[error("input {input} of {module} has two cables ({first} and {second})")]
    InputTwice {
        /// The module, described.
        module: String,
        /// The input index.
        input: usize,
        /// The first cable's id.
        first: i64,
        /// The second cable's id.
        second: i64,
    },
    /// A MIDI-Map slot points at a module that is not in the patch.
    #[error(
        "MIDI-Map {midi_map} slot {slot} (CC {cc}) points at module {module}, which is not in the patch"
    )]
    MidiMapMissingModule {
        /// The MIDI-Map module's id.
        midi_map: i64,
        /// The slot index.
        slot: usize,
        /// The slot's CC.
        cc: i64,
        /// The missing module's id.
        module: i64,
    },
    /// A MIDI-Map slot is malformed or points at a param that does not exist.
    #[error("MIDI-Map {midi_map} slot {slot}: {problem}")]
    MidiMapSlot {
        /// The MIDI-Map module's id.
        midi_map: i64,
        /// The slot index.
        slot: usize,
        /// What is wrong.
        problem: String,
    },
    /// A module rackmatch cannot render (unknown, bypassed, missing engine...).
    #[error("{module} cannot be rendered: {reason}")]
    CannotRender {
        /// The module, described.
        module: String,
        /// Why.
        reason: String,
    },
    /// The patch has no output to render.
    #[error("no output to render: {0}")]
    NoMainOutput(String),
    /// A request (CC value, knob value, option) does not fit the patch.
    #[error("{0}")]
    Request(String),
}

/// A [`Problem`] with the file it is about.
#[derive(Debug, PartialEq)]
pub struct VcvError {
    /// The `.vcv` file.
    pub path: PathBuf,
    /// What is wrong.
    pub problem: Problem,
}

impl VcvError {
    /// Attaches `path` to a problem.
    pub fn new(path: &Path, problem: impl Into<Problem>) -> Self {
        Self { path: path.to_path_buf(), problem: problem.into() }
    }
}

impl fmt::Display for VcvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.problem)
    }
}

impl std::error::Error for VcvError {}

/// Attaches a path to the problem of a result.
pub trait AtPath<T> {
    /// The result with its error naming `path`.
    fn at(self, path: &Path) -> Result<T, VcvError>;
}

impl<T, P: Into<Problem>> AtPath<T> for Result<T, P> {
    fn at(self, path: &Path) -> Result<T, VcvError> {
        self.map_err(|problem| VcvError::new(path, problem))
    }
}
