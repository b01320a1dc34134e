//! `rackmatch render`: Plaits sounds, parameter files and whole patches to WAV.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use rackmatch::atomic::write_bytes_atomically;
use rackmatch::render_batch::{render_params, render_to_dir};
use rackmatch::render_params::{read_params_file, RenderParams, DEFAULT_SECONDS};
use rackmatch::vcv::render::{
    parse_cc_value, parse_knob_value, render_patch_file, CcValue, KnobValue, PatchRequest,
};
use rackmatch::vcv::write::encode_rack2;
use rackmatch::vcv::VcvError;
use rackmatch::wav::{write_wav, SampleFormat};
use rackmatch_engine::FRAME_RATE;

/// Options of `rackmatch render`.
#[derive(Args)]
pub struct RenderArgs {
    /// A JSONL file of render parameters: writes one <id>.wav per line into --out-dir.
    #[arg(long, requires = "out_dir", conflicts_with_all = ["out", "model"])]
    params: Option<PathBuf>,
    /// Where --params renders go (created if missing).
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// Output file for a single render.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write 32-bit float instead of 16-bit PCM.
    #[arg(long)]
    float: bool,
    /// Model 0 to 15 (single render; with --patch, replaces every Plaits module's model).
    #[arg(long)]
    model: Option<u32>,
    /// FREQ knob in octaves, -4 to 4.
    #[arg(long, allow_hyphen_values = true)]
    frequency: Option<f64>,
    /// HARMONICS, 0 to 1.
    #[arg(long)]
    harmonics: Option<f64>,
    /// TIMBRE, 0 to 1.
    #[arg(long)]
    timbre: Option<f64>,
    /// MORPH, 0 to 1.
    #[arg(long)]
    morph: Option<f64>,
    /// LPG colour, 0 to 1.
    #[arg(long)]
    lpg_colour: Option<f64>,
    /// LPG decay, 0 to 1.
    #[arg(long)]
    lpg_decay: Option<f64>,
    /// TIMBRE attenuverter, -1 to 1.
    #[arg(long, allow_hyphen_values = true)]
    timbre_cv: Option<f64>,
    /// FM attenuverter, -1 to 1.
    #[arg(long, allow_hyphen_values = true)]
    freq_cv: Option<f64>,
    /// MORPH attenuverter, -1 to 1.
    #[arg(long, allow_hyphen_values = true)]
    morph_cv: Option<f64>,
    /// Constant V/OCT voltage.
    #[arg(long, allow_hyphen_values = true)]
    pitch_v: Option<f64>,
    /// Trigger onsets in seconds, comma-separated (patches TRIG).
    #[arg(long, value_delimiter = ',')]
    trigger: Option<Vec<f64>>,
    /// Constant LEVEL voltage (patches LEVEL).
    #[arg(long, allow_hyphen_values = true)]
    level: Option<f64>,
    /// Length in seconds.
    #[arg(long)]
    seconds: Option<f64>,
    /// A .vcv patch (Rack 1 or 2) to render; its LFOs start at phase 0 every time.
    #[arg(long, conflicts_with_all = [
        "params", "frequency", "harmonics", "timbre", "morph", "lpg_colour", "lpg_decay",
        "timbre_cv", "freq_cv", "morph_cv", "pitch_v", "level",
    ])]
    patch: Option<PathBuf>,
    /// CC values through the patch's MIDI-Map, CC=VALUE comma-separated (e.g. 0=64,1=20).
    #[arg(long, requires = "patch", value_delimiter = ',', value_parser = parse_cc_value)]
    cc: Vec<CcValue>,
    /// A knob of the patch, MODULE_ID.PARAM_ID=VALUE (repeatable; applied after --cc).
    #[arg(long = "set", requires = "patch", value_parser = parse_knob_value)]
    set: Vec<KnobValue>,
    /// Also write the patch with these values as a Rack 2 .vcv file.
    #[arg(long, requires = "patch")]
    save_patch: Option<PathBuf>,
}

/// Runs `rackmatch render`.
pub fn run(args: RenderArgs) -> Result<()> {
    let format = if args.float { SampleFormat::Float32 } else { SampleFormat::Pcm16 };
    if let Some(patch) = &args.patch {
        return render_patch(&args, patch, format);
    }
    if let Some(params_path) = &args.params {
        let lines = read_params_file(params_path)?;
        let out_dir = args.out_dir.as_ref().expect("clap requires --out-dir with --params");
        std::fs::create_dir_all(out_dir)
            .with_context(|| format!("{}: cannot create directory", out_dir.display()))?;
        render_to_dir(&lines, out_dir, format)?;
        eprintln!("rendered {} file(s) into {}", lines.len(), out_dir.display());
        return Ok(());
    }
    let Some(out) = &args.out else {
        bail!("give --params FILE.jsonl --out-dir DIR, or --model N ... --out FILE.wav");
    };
    let Some(model) = args.model else {
        bail!("--model is required for a single render");
    };
    let defaults = RenderParams::defaults("render", model);
    let params = RenderParams {
        frequency: args.frequency.unwrap_or(defaults.frequency),
        harmonics: args.harmonics.unwrap_or(defaults.harmonics),
        timbre: args.timbre.unwrap_or(defaults.timbre),
        morph: args.morph.unwrap_or(defaults.morph),
        lpg_colour: args.lpg_colour.unwrap_or(defaults.lpg_colour),
        lpg_decay: args.lpg_decay.unwrap_or(defaults.lpg_decay),
        timbre_cv: args.timbre_cv.unwrap_or(defaults.timbre_cv),
        freq_cv: args.freq_cv.unwrap_or(defaults.freq_cv),
        morph_cv: args.morph_cv.unwrap_or(defaults.morph_cv),
        pitch_v: args.pitch_v.unwrap_or(defaults.pitch_v),
        trigger: args.trigger.clone(),
        level: args.level,
        seconds: args.seconds.unwrap_or(defaults.seconds),
        ..defaults
    };
    params.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
    let frames = render_params(&params);
    write_wav(out, &frames, FRAME_RATE, format)
        .with_context(|| format!("{}: cannot write", out.display()))?;
    Ok(())
}

/// `render --patch`: everything is checked and rendered before anything is written.
fn render_patch(args: &RenderArgs, patch: &Path, format: SampleFormat) -> Result<()> {
    let Some(out) = &args.out else {
        bail!("--patch needs --out FILE.wav");
    };
    let request = PatchRequest {
        cc: args.cc.clone(),
        set: args.set.clone(),
        model: args.model.map(|m| m as usize),
        trigger: args.trigger.clone(),
        seconds: args.seconds.unwrap_or(DEFAULT_SECONDS),
    };
    let (patch, frames) = render_patch_file(patch, &request)?;
    let saved = match &args.save_patch {
        Some(path) => Some((path, encode_rack2(&patch).map_err(|problem| VcvError::new(path, problem))?)),
        None => None,
    };
    write_wav(out, &frames, FRAME_RATE, format)
        .with_context(|| format!("{}: cannot write", out.display()))?;
    if let Some((path, bytes)) = saved {
        write_bytes_atomically(path, &bytes).with_context(|| format!("{}: cannot write", path.display()))?;
    }
    Ok(())
}
