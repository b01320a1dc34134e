//! `rackmatch sweep`: capture a space's points from a running Rack through the bridge.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use rackmatch::library::DEFAULT_SEED;
use rackmatch::live::midi::MidirOut;
use rackmatch::live::osc::UdpOsc;
use rackmatch::live::sweep::{run_sweep, SweepJob};
use rackmatch::space::Space;

/// Options of `rackmatch sweep`.
#[derive(Args)]
pub struct SweepArgs {
    /// Parameter space (TOML); default: the built-in patches/plaits-voice.toml.
    #[arg(long)]
    space: Option<PathBuf>,
    /// Number of points to capture.
    #[arg(long)]
    count: usize,
    /// MIDI output port Rack's MIDI-Map listens to (name or part of it), or virtual:NAME to create one.
    #[arg(long)]
    midi_port: String,
    /// The bridge plugin's OSC address.
    #[arg(long, default_value = "127.0.0.1:9017")]
    osc: SocketAddr,
    /// Clip directory; must lie inside the bridge's clip root (default ~/rackmatch-clips).
    #[arg(long)]
    dir: PathBuf,
    /// The Plaits model the Rack patch plays (needed when the space has several).
    #[arg(long)]
    model: Option<u32>,
    /// Sampling seed.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Seconds to wait after sending the CCs (MIDI-Map glides ~0.45 s to the exact value).
    #[arg(long, default_value_t = 0.5)]
    settle: f64,
    /// Clip length in seconds (default: the space's render length).
    #[arg(long)]
    length: Option<f64>,
    /// Seconds to wait for a clip beyond settle + length before retrying.
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,
    /// Retries per point before it is skipped (and logged).
    #[arg(long, default_value_t = 2)]
    retries: u32,
}

/// Runs `rackmatch sweep`.
pub fn run(args: SweepArgs) -> Result<()> {
    let space = match &args.space {
        Some(path) => Space::load(path)?,
        None => Space::default_space(),
    };
    anyhow::ensure!(args.count > 0, "--count must be at least 1");
    anyhow::ensure!(args.timeout.is_finite() && args.timeout >= 0.0, "--timeout must be a number of seconds");
    let job = SweepJob {
        length_seconds: args.length.unwrap_or(space.seconds),
        space,
        seed: args.seed,
        count: args.count,
        dir: args.dir.clone(),
        model: args.model,
        settle_seconds: args.settle,
        reply_timeout: Duration::from_secs_f64(args.timeout),
        retries: args.retries,
    };
    let mut midi = MidirOut::open(&args.midi_port)?;
    let mut osc =
        UdpOsc::connect(args.osc).with_context(|| format!("cannot open a UDP socket for {}", args.osc))?;
    let stop = super::interrupt_flag();
    let report = run_sweep(&job, &mut midi, &mut osc, &stop)?;
    eprintln!(
        "sweep {}: {} captured, {} already there, {} skipped in {:.1} s ({:.2} clips/s)",
        args.dir.display(),
        report.captured,
        report.resumed,
        report.skipped.len(),
        report.seconds,
        report.captured as f64 / report.seconds.max(1e-9)
    );
    Ok(())
}
