//! A minimal plugin host for the bridge's tests and benchmarks: loads the
//! bundles `scripts/bundle` built (CLAP through clack-host, VST3 through the
//! `vst3` crate's interfaces), activates them and processes stereo blocks with
//! MIDI CCs, the way a DAW or VCV's Host module would.

#![warn(missing_docs)]

mod clap_host;
mod vst3_host;

use std::path::{Path, PathBuf};

pub use clap_host::ClapPlugin;
pub use vst3_host::Vst3Plugin;

/// A MIDI CC sent to the plugin within a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CcMessage {
    /// Frame offset within the block.
    pub offset: u32,
    /// MIDI channel, 0 to 15.
    pub channel: u8,
    /// CC number.
    pub cc: u8,
    /// Value, 0 to 127.
    pub value: u8,
}

/// What a test does with a loaded plugin, whatever its format.
pub trait HostedPlugin {
    /// Activates audio at `sample_rate` with blocks of at most `max_block` frames
    /// (deactivating first if active: that is how hosts change either).
    fn activate(&mut self, sample_rate: f64, max_block: u32) -> Result<(), String>;
    /// Stops audio.
    fn deactivate(&mut self);
    /// Processes one block: `input` and `output` are left/right, all the same length.
    fn process(
        &mut self,
        input: [&[f32]; 2],
        output: [&mut [f32]; 2],
        ccs: &[CcMessage],
    ) -> Result<(), String>;
    /// The plugin's saved state.
    fn save_state(&mut self) -> Result<Vec<u8>, String>;
    /// Restores a saved state.
    fn load_state(&mut self, state: &[u8]) -> Result<(), String>;
}

/// The two bundles `scripts/bundle` lays out.
#[derive(Clone, Debug)]
pub struct Bundles {
    /// `rackmatch-bridge.clap`.
    pub clap: PathBuf,
    /// The `rackmatch-bridge.vst3` folder.
    pub vst3: PathBuf,
}

impl Bundles {
    /// The bundles under `target/bundles` of this workspace (or `$CARGO_TARGET_DIR`);
    /// an error says how to build them when they are missing.
    pub fn built() -> Result<Self, String> {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
        let dir = target.join("bundles");
        let bundles =
            Self { clap: dir.join("rackmatch-bridge.clap"), vst3: dir.join("rackmatch-bridge.vst3") };
        let vst3_library = bundles.vst3_library();
        for path in [&bundles.clap, &vst3_library] {
            if !path.is_file() {
                return Err(format!(
                    "{} is missing: run ./scripts/bundle first (./scripts/test does)",
                    path.display()
                ));
            }
        }
        Ok(bundles)
    }

    /// The shared library inside the VST3 bundle.
    pub fn vst3_library(&self) -> PathBuf {
        let name = self.vst3.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        self.vst3.join("Contents/x86_64-linux").join(format!("{name}.so"))
    }
}

/// Which format to load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The `.clap` file through clack-host.
    Clap,
    /// The `.vst3` bundle through the VST3 host.
    Vst3,
}

/// Loads the built bundle of `format`.
pub fn load(format: Format) -> Result<Box<dyn HostedPlugin>, String> {
    let bundles = Bundles::built()?;
    Ok(match format {
        Format::Clap => Box::new(ClapPlugin::load(&bundles.clap)?),
        Format::Vst3 => Box::new(Vst3Plugin::load(&bundles.vst3)?),
    })
}
