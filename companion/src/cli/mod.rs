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
