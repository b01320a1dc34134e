//! `rackmatch verify-capture`: MSS between captured clips and the embedded engine, per engine.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use rackmatch::live::verify::{format_report, verify_capture};

/// Options of `rackmatch verify-capture`.
#[derive(Args)]
pub struct VerifyCaptureArgs {
    /// A sweep directory.
    dir: PathBuf,
}

/// Runs `rackmatch verify-capture`.
pub fn run(args: VerifyCaptureArgs) -> Result<()> {
    let report = verify_capture(&args.dir).map_err(anyhow::Error::msg)?;
    anyhow::ensure!(
        !report.checks.is_empty(),
        "{}: no clip could be compared\n{}",
        args.dir.display(),
        format_report(&report)
    );
    out!("{}", format_report(&report));
    Ok(())
}
