//! One module per subcommand: argument definitions and the glue to the library.

pub mod apply;
pub mod bench;
pub mod library;
pub mod match_command;
pub mod render;
pub mod report;
pub mod seed_table;
pub mod sweep;
pub mod train;
pub mod verify_capture;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// A flag set by Ctrl-C, so long jobs stop between items and keep finished work.
pub fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let handler_flag = Arc::clone(&flag);
    // A second handler cannot be installed; then Ctrl-C just kills the process,
    // which is still safe because every file is written atomically.
    let _ = ctrlc::set_handler(move || handler_flag.store(true, std::sync::atomic::Ordering::Relaxed));
    flag
}

/// Writes one line to stdout (see the `out!` macro): a closed pipe ends the
/// program with success, as it would for a tool killed by SIGPIPE; any other
/// failure to write ends it with an error.
pub fn print_line(line: std::fmt::Arguments) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout.write_fmt(line).and_then(|()| stdout.write_all(b"\n")) {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("rackmatch: cannot write to standard output: {error}");
        std::process::exit(1);
    }
}
