//! `rackmatch bench`: compare search methods at equal render budgets.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use rackmatch::bench::{self, Method, DEFAULT_TARGET_SEED};
use rackmatch::index::Index;
use rackmatch::learned::LearnedModel;
use rackmatch::match_job::{resolve_library, LibrarySource};
use rackmatch::space::Space;

/// Options of `rackmatch bench`.
#[derive(Args)]
pub struct BenchArgs {
    /// A folder of WAV/FLAC targets.
    #[arg(long)]
    targets: Option<PathBuf>,
    /// Also (or instead) N in-domain targets: renders of random points of the space.
    #[arg(long, default_value_t = 0)]
    in_domain: usize,
    /// Seed of the in-domain targets (never used for libraries).
    #[arg(long, default_value_t = DEFAULT_TARGET_SEED)]
    target_seed: u64,
    /// Renders per target, for every method.
    #[arg(long, default_value_t = 128)]
    budget: usize,
    /// Methods, comma-separated: random, knn, knn+cmaes, knn+ga, learned, hybrid.
    #[arg(long, value_delimiter = ',', default_values_t = ["random", "knn", "knn+cmaes", "knn+ga", "learned", "hybrid"].map(String::from))]
    methods: Vec<String>,
    /// Parameter space (its default library is used, built if missing).
    #[arg(long, conflicts_with = "library")]
    space: Option<PathBuf>,
    /// A library directory.
    #[arg(long)]
    library: Option<PathBuf>,
    /// Model file for the learned and hybrid methods (default: the built-in model).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Print the full results as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `rackmatch bench`.
pub fn run(args: BenchArgs) -> Result<()> {
    let mut methods = Vec::new();
    for name in &args.methods {
        match Method::parse(name) {
            Some(m) => methods.push(m),
            None => bail!("unknown method {name:?} (known: random, knn, knn+cmaes, knn+ga, learned, hybrid)"),
        }
    }
    anyhow::ensure!(args.budget >= 1, "--budget must be at least 1");
    let source = match (&args.library, &args.space) {
        (Some(dir), _) => LibrarySource::Directory(dir.clone()),
        (None, Some(path)) => LibrarySource::Space(Space::load(path)?),
        (None, None) => LibrarySource::Space(Space::default_space()),
    };
    let stop = super::interrupt_flag();
    let library = resolve_library(&source, &stop)?;
    let index = Index::build(&library.features);
    let model = if methods.iter().any(|m| m.needs_model()) {
        let model = match &args.model {
            Some(path) => LearnedModel::load(path)?,
            None => LearnedModel::builtin()?,
        };
        anyhow::ensure!(
            model.fits(&library.manifest.space),
            "the model was trained on space {:?}, which differs from the library's space {:?}; train one with `rackmatch train --space ...`",
            model.header().space.name,
            library.manifest.space.name
        );
        Some(model)
    } else {
        None
    };
    let mut targets = Vec::new();
    if let Some(dir) = &args.targets {
        targets.extend(bench::targets_from_dir(dir)?);
    }
    targets.extend(bench::in_domain_targets(&library.manifest.space, args.target_seed, args.in_domain));
    anyhow::ensure!(!targets.is_empty(), "no targets: give --targets DIR and/or --in-domain N");
    let outcomes = bench::run(&targets, &methods, &library, &index, model.as_ref(), args.budget);
    let summaries = bench::summarise(&outcomes, &methods);
    if args.json {
        let json = serde_json::json!({"budget": args.budget, "summary": summaries, "outcomes": outcomes});
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        for o in &outcomes {
            println!(
                "{:<32} {:<8} mss {:.4}  model {:>2}",
                o.target,
                o.method.name(),
                o.distance,
                o.params.model
            );
        }
        println!("{}", bench::format_summary(&summaries, args.budget));
    }
    Ok(())
}
