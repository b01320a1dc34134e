//! `rackmatch match`: the closest patches to a recording.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use rackmatch::match_job::{default_out_dir, run_match, LibrarySource, MatchJob};
use rackmatch::match_result::format_table;
use rackmatch::render_params::RenderParams;
use rackmatch::space::Space;
use rackmatch::vcv::plaits_patch::{voice_patch, PlaitsKnob};
use rackmatch::vcv::write::write_rack2;

/// Options of `rackmatch match`.
#[derive(Args)]
pub struct MatchArgs {
    /// The recording to match (WAV or FLAC, any rate, mono or stereo).
    target: PathBuf,
    /// Parameter space whose default library to search (built on first use).
    #[arg(long, conflicts_with = "library")]
    space: Option<PathBuf>,
    /// A library directory built with `rackmatch library build`.
    #[arg(long)]
    library: Option<PathBuf>,
    /// Number of matches.
    #[arg(long, default_value_t = 5)]
    top: usize,
    /// Output directory (default ./rackmatch-out/<target-name>/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Candidate renders per target (library not counted); default: about 192
    /// seconds of audio, i.e. 384 renders for a 0.5 s target, 96 for a 2 s one.
    #[arg(long)]
    budget: Option<usize>,
    /// Search without the learned model: k-NN candidates and refinement alone.
    /// By default the built-in model's proposals join the k-NN candidates as
    /// starts of the refinement (the hybrid search), where the model fits the space.
    #[arg(long, conflicts_with = "model")]
    no_model: bool,
    /// Model file for the hybrid search instead of the built-in one.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Print result.json instead of the table.
    #[arg(long)]
    json: bool,
    /// Also write report.html (always on for `rackmatch report`).
    #[arg(long)]
    report: bool,
    #[command(flatten)]
    maps: super::report::MapArgs,
}

/// Runs `rackmatch match`.
pub fn run(args: MatchArgs) -> Result<()> {
    anyhow::ensure!(args.top >= 1, "--top must be at least 1");
    if args.report {
        args.maps.settings()?;
    }
    let library = match (&args.library, &args.space) {
        (Some(dir), _) => LibrarySource::Directory(dir.clone()),
        (None, Some(path)) => LibrarySource::Space(Space::load(path)?),
        (None, None) => LibrarySource::Space(Space::default_space()),
    };
    let job = MatchJob {
        out_dir: args.out.clone().unwrap_or_else(|| default_out_dir(&args.target)),
        target: args.target.clone(),
        library,
        top_k: args.top,
        budget: args.budget,
        hybrid: !args.no_model,
        model: args.model.clone(),
    };
    let stop = super::interrupt_flag();
    let result = run_match(&job, &stop, &write_voice_patch)?;
    if args.json {
        out!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        let space = match &job.library {
            LibrarySource::Space(space) => space.clone(),
            LibrarySource::Directory(dir) => rackmatch::library::read_manifest(dir)?.space,
        };
        out!("{}", format_table(&result, &space));
        out!("results in {}", job.out_dir.display());
    }
    if args.report {
        super::report::write_and_announce(&result, &job.out_dir, &args.maps, &stop)?;
    }
    Ok(())
}

/// Runs `rackmatch match --report`.
pub fn run_with_report(args: MatchArgs) -> Result<()> {
    run(MatchArgs { report: true, ..args })
}

/// A Rack 2 patch of the match: for a voice space, Plaits with a MIDI-Map for
/// the space's CCs (and a SEQ3 firing the triggers of a gesture); for a patch
/// space, the space's patch with the match's values.
fn write_voice_patch(path: &Path, params: &RenderParams, space: &Space) -> Result<(), String> {
    if let Some(patch) = &params.patch {
        return rackmatch::patch_space::write_patch(path, params, patch).map_err(|e| e.to_string());
    }
    let midi_map: Vec<(u8, PlaitsKnob)> =
        space.knobs.iter().filter_map(|k| Some((k.cc?, PlaitsKnob::from_field(&k.name)?))).collect();
    let patch = voice_patch(params, &midi_map).map_err(|e| e.to_string())?;
    write_rack2(path, &patch).map_err(|e| e.to_string())
}
