//! `rackmatch train`: build a training library and fit the learned encoder on it.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{ensure, Context, Result};
use clap::Args;
use rackmatch::bench::DEFAULT_TARGET_SEED;
use rackmatch::learned::model_file;
use rackmatch::learned::train::{train, TrainOptions};
use rackmatch::library::{self, data_dir, fnv1a, DEFAULT_SEED};
use rackmatch::render_batch::progress_bar;
use rackmatch::space::Space;

/// Seed of the default training library: neither the search library's
/// ([`DEFAULT_SEED`]) nor the bench's in-domain targets'.
pub const TRAIN_LIBRARY_SEED: u64 = 2;

/// Options of `rackmatch train`.
#[derive(Args)]
pub struct TrainArgs {
    /// Parameter space (default: the built-in plaits-voice space).
    #[arg(long)]
    space: Option<PathBuf>,
    /// Training library size (points; a tenth is held out for validation).
    #[arg(long, default_value_t = 32_768)]
    size: usize,
    /// Passes over the training points.
    #[arg(long, default_value_t = TrainOptions::default().epochs)]
    epochs: usize,
    /// Seed of the initial weights and batch order.
    #[arg(long, default_value_t = TrainOptions::default().seed)]
    seed: u64,
    /// Seed of the training library's points.
    #[arg(long, default_value_t = TRAIN_LIBRARY_SEED)]
    library_seed: u64,
    /// Training library directory (default: in rackmatch's data directory, reused between runs).
    #[arg(long)]
    library: Option<PathBuf>,
    /// The model file to write.
    #[arg(long)]
    out: PathBuf,
}

/// Runs `rackmatch train`.
pub fn run(args: TrainArgs) -> Result<()> {
    ensure!(args.size >= 2 * 10, "--size must be at least 20");
    ensure!(args.epochs >= 1, "--epochs must be at least 1");
    ensure!(
        args.library_seed != DEFAULT_SEED && args.library_seed != DEFAULT_TARGET_SEED,
        "--library-seed {} is used by the search library or the bench's targets; pick another",
        args.library_seed
    );
    let space = match &args.space {
        Some(path) => Space::load(path)?,
        None => Space::default_space(),
    };
    let dir = args.library.clone().unwrap_or_else(|| {
        data_dir().join("libraries").join(format!(
            "{}-train-seed{}-n{}-{}-{:016x}",
            space.name,
            args.library_seed,
            args.size,
            library::version_tag(),
            fnv1a(&serde_json::to_vec(&space).unwrap_or_default())
        ))
    });
    let stop = super::interrupt_flag();
    let started = Instant::now();
    library::build(&dir, &space, args.library_seed, args.size, &stop)?;
    let library = library::load(&dir)?;
    let library_seconds = started.elapsed().as_secs_f64();

    let options = TrainOptions { epochs: args.epochs, seed: args.seed, ..TrainOptions::default() };
    let started = Instant::now();
    let bar = progress_bar(0, "training");
    let trained = train_on_cpu(&library, &options, &stop, &bar);
    bar.finish_and_clear();
    let (header, weights) = trained?;
    let train_seconds = started.elapsed().as_secs_f64();
    model_file::write(&args.out, &header, &weights).with_context(|| "writing the model")?;
    let record = &header.training;
    out!(
        "wrote {}: {} training points from {} ({:.0} s to build/load), {} epochs in {:.0} s",
        args.out.display(),
        library.points.len(),
        dir.display(),
        library_seconds,
        options.epochs,
        train_seconds
    );
    out!(
        "validation: engine {:.1}%, trigger mode {:.1}%, knob RMS error {:.3} (unit box)",
        record.validation_engine_accuracy * 100.0,
        record.validation_mode_accuracy * 100.0,
        record.validation_knob_rmse
    );
    Ok(())
}

#[cfg(not(feature = "tch"))]
fn train_on_cpu(
    library: &rackmatch::library::Library,
    options: &TrainOptions,
    stop: &std::sync::atomic::AtomicBool,
    bar: &indicatif::ProgressBar,
) -> Result<(model_file::ModelHeader, rackmatch::learned::network::Weights)> {
    use burn::backend::ndarray::{NdArray, NdArrayDevice};
    use burn::backend::Autodiff;
    Ok(train::<Autodiff<NdArray>>(library, options, &NdArrayDevice::default(), stop, bar)?)
}

/// With the `tch` feature, training runs on libtorch (CPU here; never needed).
#[cfg(feature = "tch")]
fn train_on_cpu(
    library: &rackmatch::library::Library,
    options: &TrainOptions,
    stop: &std::sync::atomic::AtomicBool,
    bar: &indicatif::ProgressBar,
) -> Result<(model_file::ModelHeader, rackmatch::learned::network::Weights)> {
    use burn::backend::libtorch::{LibTorch, LibTorchDevice};
    use burn::backend::Autodiff;
    Ok(train::<Autodiff<LibTorch>>(library, options, &LibTorchDevice::Cpu, stop, bar)?)
}
