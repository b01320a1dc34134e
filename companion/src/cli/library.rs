//! `rackmatch library build`: render a space's points and store their features.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};
use rackmatch::library::{self, DEFAULT_SEED, DEFAULT_SIZE};
use rackmatch::space::Space;

/// Options of `rackmatch library`.
#[derive(Args)]
pub struct LibraryArgs {
    #[command(subcommand)]
    action: LibraryAction,
}

#[derive(Subcommand)]
enum LibraryAction {
    /// Render N random points of a space and index their features. Resumable:
    /// run it again after an interruption and it continues where it stopped.
    Build {
        /// Parameter space (TOML); default: the built-in patches/plaits-voice.toml.
        #[arg(long)]
        space: Option<PathBuf>,
        /// Number of patches.
        #[arg(long, default_value_t = DEFAULT_SIZE)]
        size: usize,
        /// Sampling seed.
        #[arg(long, default_value_t = DEFAULT_SEED)]
        seed: u64,
        /// Library directory; default: the space's default library in the user's data directory.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Build a library from the clips of a `rackmatch sweep` directory, with
    /// the same features as rendered libraries; `match --library` searches it.
    Import {
        /// The sweep directory.
        sweep_dir: PathBuf,
        /// Library directory (default: <sweep dir>/library).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Runs `rackmatch library`.
pub fn run(args: LibraryArgs) -> Result<()> {
    match args.action {
        LibraryAction::Build { space, size, seed, dir } => {
            let space = match space {
                Some(path) => Space::load(&path)?,
                None => Space::default_space(),
            };
            anyhow::ensure!(size > 0, "--size must be at least 1");
            let dir = dir.unwrap_or_else(|| library::default_library_dir(&space));
            let started = std::time::Instant::now();
            let stop = super::interrupt_flag();
            library::build(&dir, &space, seed, size, &stop)?;
            let seconds = started.elapsed().as_secs_f64();
            eprintln!(
                "library {} ready: {size} patches of space {:?} in {seconds:.1} s",
                dir.display(),
                space.name
            );
            Ok(())
        }
        LibraryAction::Import { sweep_dir, out } => {
            let out = out.unwrap_or_else(|| rackmatch::live::import::default_library_dir(&sweep_dir));
            let stop = super::interrupt_flag();
            let report =
                rackmatch::live::import::import(&sweep_dir, &out, &stop).map_err(anyhow::Error::msg)?;
            for (id, why) in &report.skipped {
                eprintln!("skipped {id}: {why}");
            }
            eprintln!(
                "library {} ready: {} patches from clips; search it with `rackmatch match --library`",
                out.display(),
                report.points
            );
            Ok(())
        }
    }
}
