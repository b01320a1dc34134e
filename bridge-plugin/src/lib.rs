//! The rackmatch bridge plugin. This crate is a placeholder until the live-bridge
//! issue: it only states the clip format version the companion will expect.

/// Version of the tagged-clip format the bridge writes.
pub const CLIP_FORMAT_VERSION: u32 = 1;
