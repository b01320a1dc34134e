//! `rackmatch bench`: compare search methods at equal render budgets.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use rackmatch::atomic::write_bytes_atomically;
use rackmatch::bench::{self, Budget, Method, TargetOutcome, DEFAULT_TARGET_SEED};
use rackmatch::index::Index;
use rackmatch::learned::LearnedModel;
use rackmatch::match_job::{resolve_library, LibrarySource};
use rackmatch::plots::method_box::{MethodBoxFigure, MethodColumn};
use rackmatch::plots::write_figure;
use rackmatch::space::Space;

/// Options of `rackmatch bench`.
#[derive(Args)]
pub struct BenchArgs {
    /// A folder of WAV/FLAC targets; its sub-folders (one level down) are
    /// categories, summarised apart. Repeat it for several folders.
    #[arg(long)]
    targets: Vec<PathBuf>,
    /// Also (or instead) N in-domain targets: renders of random points of the space.
    #[arg(long, default_value_t = 0)]
    in_domain: usize,
    /// Seed of the in-domain targets (never used for libraries).
    #[arg(long, default_value_t = DEFAULT_TARGET_SEED)]
    target_seed: u64,
    /// Renders per target, for every method (default: what `match` spends on
    /// each target, which depends on its length).
    #[arg(long)]
    budget: Option<usize>,
    /// Methods, comma-separated: random, seed, ga, knn, knn+cmaes, knn+ga, learned,
    /// hybrid (default: all; learned and hybrid only where the model fits the space).
    #[arg(long, value_delimiter = ',')]
    methods: Option<Vec<String>>,
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
    /// Where bench.json and the figure (bench-mss.png, .svg) go.
    #[arg(long, default_value = "rackmatch-out/bench")]
    out: PathBuf,
}

/// Runs `rackmatch bench`.
pub fn run(args: BenchArgs) -> Result<()> {
    let explicit = args.methods.is_some();
    let names = args.methods.clone().unwrap_or_else(|| Method::ALL.map(|m| m.name().to_string()).to_vec());
    let mut methods = Vec::new();
    for name in &names {
        match Method::parse(name) {
            Some(m) => methods.push(m),
            None => {
                let known: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
                bail!("unknown method {name:?} (known: {})", known.join(", "))
            }
        }
    }
    anyhow::ensure!(args.budget != Some(0), "--budget must be at least 1");
    let budget = args.budget.map_or(Budget::MatchDefault, Budget::Fixed);
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
        let fits = model.fits(&library.manifest.space);
        let mismatch = format!(
            "the model was trained on space {:?}, which differs from the library's space {:?}; train one with `rackmatch train --space ...`",
            model.header().space.name,
            library.manifest.space.name
        );
        if fits {
            Some(model)
        } else if explicit {
            bail!(mismatch);
        } else {
            eprintln!("rackmatch: skipping learned and hybrid: {mismatch}");
            methods.retain(|m| !m.needs_model());
            None
        }
    } else {
        None
    };
    let mut targets = Vec::new();
    for dir in &args.targets {
        let mut found = bench::targets_from_dir(dir)?;
        if args.targets.len() > 1 {
            // Keeps names unique when two folders hold a file of the same name.
            let folder =
                dir.file_name().map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into());
            for target in &mut found {
                target.name = format!("{folder}/{}", target.name);
            }
        }
        targets.extend(found);
    }
    let mut names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    if let Some(pair) = names.windows(2).find(|pair| pair[0] == pair[1]) {
        bail!("two targets are named {:?}: give folders with different names to --targets", pair[0]);
    }
    targets.extend(bench::in_domain_targets(&library.manifest.space, args.target_seed, args.in_domain));
    anyhow::ensure!(!targets.is_empty(), "no targets: give --targets DIR and/or --in-domain N");
    let outcomes = bench::run(&targets, &methods, &library, &index, model.as_ref(), budget);
    let summaries = bench::summarise(&outcomes, &methods);
    let categories = bench::summarise_by_category(&outcomes, &methods);
    let reference = bench::reference_median(&outcomes);
    let json = serde_json::json!({
        "budget": budget.describe(),
        "reference_median": reference,
        "summary": summaries,
        "categories": categories,
        "outcomes": outcomes,
    });
    let text = serde_json::to_string_pretty(&json)?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("{}: cannot create", args.out.display()))?;
    let json_path = args.out.join("bench.json");
    write_bytes_atomically(&json_path, text.as_bytes())
        .with_context(|| format!("{}: cannot write", json_path.display()))?;
    // The results are on disk before the figure is tried, so a failed figure loses nothing.
    let figure = MethodBoxFigure {
        title: format!("MSS per target, budget {}", budget.describe()),
        columns: columns(&outcomes, &methods, None),
    };
    let mut drawn = write_figure(&figure, &args.out.join("bench-mss")).map(|paths| paths.to_vec());
    for category in &categories {
        let figure = MethodBoxFigure {
            title: format!("MSS per target, {}, budget {}", category.category, budget.describe()),
            columns: columns(&outcomes, &methods, Some(&category.category)),
        };
        let stem = args.out.join(format!("bench-mss-{}", file_stem_part(&category.category)));
        drawn = drawn.and_then(|mut paths| {
            paths.extend(write_figure(&figure, &stem)?);
            Ok(paths)
        });
    }
    if args.json {
        out!("{text}");
    } else {
        for o in &outcomes {
            out!(
                "{:<32} {:<8} mss {:.4}  model {:>2}",
                o.target,
                o.method.name(),
                o.distance,
                o.params.model
            );
        }
        out!("{}", bench::format_summary(&summaries, reference, budget));
        if !categories.is_empty() {
            out!("{}", bench::format_categories(&categories));
        }
    }
    match drawn {
        Ok(paths) => {
            let figures: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            eprintln!("wrote {} and {}", json_path.display(), figures.join(", "));
        }
        Err(problem) => bail!("{problem} (the results are in {})", json_path.display()),
    }
    Ok(())
}

/// A category name made safe as part of a file name.
fn file_stem_part(category: &str) -> String {
    category
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect()
}

/// Each method's per-target MSS, in the order the methods ran, then the
/// targets' phase-random references, over the targets of `category` where one is given.
fn columns(outcomes: &[TargetOutcome], methods: &[Method], category: Option<&str>) -> Vec<MethodColumn> {
    let in_category = |o: &&TargetOutcome| category.is_none() || o.category.as_deref() == category;
    let mut columns: Vec<MethodColumn> = methods
        .iter()
        .map(|&method| MethodColumn {
            name: method.name().to_string(),
            distances: outcomes
                .iter()
                .filter(in_category)
                .filter(|o| o.method == method)
                .map(|o| o.distance)
                .collect(),
        })
        .collect();
    // Every method has the same targets, so the first one's outcomes give each reference once.
    columns.push(MethodColumn {
        name: "reference".to_string(),
        distances: outcomes
            .iter()
            .filter(in_category)
            .filter(|o| Some(&o.method) == methods.first())
            .map(|o| o.reference)
            .collect(),
    });
    columns
}
