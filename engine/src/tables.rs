//! Plaits' data tables, generated at build time from `engine/data/` (see its README).

include!(concat!(env!("OUT_DIR"), "/tables.rs"));
