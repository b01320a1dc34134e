//! `rackmatch seed-table`: the seed experiment's per-encoding, per-reduction
//! nearest patches next to the full-space nearest.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use rackmatch::match_job::LibrarySource;
use rackmatch::seed_table::{format_seed_table, seed_table};
use rackmatch::space::Space;

use super::report::MapArgs;

/// Options of `rackmatch seed-table`.
#[derive(Args)]
pub struct SeedTableArgs {
    /// The recording (WAV or FLAC, any rate, mono or stereo).
    target: PathBuf,
    /// Parameter space whose default library to use (built on first use).
    #[arg(long, conflicts_with = "library")]
    space: Option<PathBuf>,
    /// A library directory built with `rackmatch library build`.
    #[arg(long)]
    library: Option<PathBuf>,
    /// Keep each finished map in this directory, so that an interrupted run resumes.
    #[arg(long)]
    maps_dir: Option<PathBuf>,
    /// Print JSON instead of the table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    maps: MapArgs,
}

/// Runs `rackmatch seed-table`.
pub fn run(args: SeedTableArgs) -> Result<()> {
    let settings = args.maps.settings()?;
    let source = match (&args.library, &args.space) {
        (Some(dir), _) => LibrarySource::Directory(dir.clone()),
        (None, Some(path)) => LibrarySource::Space(Space::load(path)?),
        (None, None) => LibrarySource::Space(Space::default_space()),
    };
    let stop = super::interrupt_flag();
    let table = seed_table(&args.target, &source, &settings, args.maps_dir.as_deref(), &stop)?;
    if args.json {
        out!("{}", serde_json::to_string_pretty(&table)?);
    } else {
        out!("{}", format_seed_table(&table));
    }
    Ok(())
}
