//! Helpers the CLI end-to-end tests share: running the built binary at a
//! chosen thread count, and fresh scratch directories.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the `rackmatch` binary with `args` on `threads` rayon threads.
pub fn rackmatch(args: &[&str], threads: usize) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rackmatch"))
        .args(args)
        .env("RAYON_NUM_THREADS", threads.to_string())
        .output()
        .unwrap()
}

/// An empty scratch directory named after the test and this process.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rackmatch-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
