//! The `rackmatch` command line: a thin layer over the library.

/// `println!` for results: a reader that has gone away (`rackmatch ... | head`)
/// ends the program quietly instead of panicking; results reach stdout only
/// after every file is written, so nothing is left half done.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::print_line(format_args!($($arg)*))
    };
}

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Play it a sound, and it gives you the VCV Rack patch that makes that sound.
#[derive(Parser)]
#[command(name = "rackmatch", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Find the patches closest to a recording (WAV or FLAC).
    ///
    /// Writes match-<rank>.wav, match-<rank>.vcv and result.json into --out
    /// (default ./rackmatch-out/<target-name>/) and prints a table. The first
    /// run builds the default library (about a minute) in the user's data
    /// directory; later runs reuse it.
    Match(cli::match_command::MatchArgs),
    /// Build, extend or import (from captured clips) a patch library on disk (parameters and features, no audio).
    Library(cli::library::LibraryArgs),
    /// Compare search methods (random, knn, ...) on the same targets at the same render budget.
    Bench(cli::bench::BenchArgs),
    /// Render Plaits sounds with the embedded engine (48 kHz stereo: OUT, AUX; volts / 5).
    ///
    /// With --patch, a whole .vcv patch: both channels carry its main output
    /// (what goes into its Audio module, else its mixer, else Plaits' OUT) in
    /// volts / 10, as Rack's Audio and Recorder modules write it.
    Render(Box<cli::render::RenderArgs>),
    /// `match`, then report.html in the output directory: the target and every
    /// match to play, spectrograms, envelopes, the candidate table, and PCA and
    /// t-SNE maps of the library (the full 4×4 t-SNE grid takes minutes).
    Report(cli::match_command::MatchArgs),
    /// For each encoding and 2-D reduction (PCA, every t-SNE cell), the library
    /// patch nearest to the target on that map, next to the full-space nearest.
    SeedTable(cli::seed_table::SeedTableArgs),
    /// Capture a space's points from a running Rack through the bridge plugin (live path).
    ///
    /// For each point: send its CCs to Rack's MIDI-Map, tag the bridge over OSC,
    /// wait for the clip and check it. Resumable: run it again to continue.
    Sweep(cli::sweep::SweepArgs),
    /// Compare captured clips with the embedded engine (MSS per engine).
    VerifyCapture(cli::verify_capture::VerifyCaptureArgs),
    /// Train the learned encoder on a library of the space (a seed of its own) and write a model file.
    Train(cli::train::TrainArgs),
    /// Send a match's CC values to a running Rack over MIDI.
    Apply(cli::apply::ApplyArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Match(args) => cli::match_command::run(args),
        Command::Library(args) => cli::library::run(args),
        Command::Bench(args) => cli::bench::run(args),
        Command::Render(args) => cli::render::run(*args),
        Command::Report(args) => cli::report::run(args),
        Command::SeedTable(args) => cli::seed_table::run(args),
        Command::Sweep(args) => cli::sweep::run(args),
        Command::VerifyCapture(args) => cli::verify_capture::run(args),
        Command::Apply(args) => cli::apply::run(args),
        Command::Train(args) => cli::train::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("rackmatch: {error:#}");
            ExitCode::FAILURE
        }
    }
}
