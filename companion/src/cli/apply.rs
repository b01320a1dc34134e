//! `rackmatch apply`: send a match's CC values to a running Rack.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use rackmatch::live::apply::{apply, read_result};
use rackmatch::live::midi::MidirOut;

/// Options of `rackmatch apply`.
#[derive(Args)]
pub struct ApplyArgs {
    /// A result.json written by `rackmatch match`.
    result: PathBuf,
    /// Which candidate (1 = closest).
    #[arg(long, default_value_t = 1)]
    rank: usize,
    /// MIDI output port Rack's MIDI-Map listens to (name or part of it), or virtual:NAME.
    #[arg(long)]
    midi_port: String,
}

/// Runs `rackmatch apply`.
pub fn run(args: ApplyArgs) -> Result<()> {
    let result = read_result(&args.result).map_err(anyhow::Error::msg)?;
    let mut midi = MidirOut::open(&args.midi_port)?;
    let sent = apply(&result, args.rank, &mut midi).map_err(anyhow::Error::msg)?;
    let list: Vec<String> = sent.iter().map(|(cc, v)| format!("CC{cc}={v}")).collect();
    out!("sent to {}: {}", midi.port_name, list.join(" "));
    Ok(())
}
