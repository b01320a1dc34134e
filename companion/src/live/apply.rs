//! `rackmatch apply`: sends a match's CC values to a running Rack.

use std::path::Path;

use super::midi::{MidiError, MidiOut};
use super::sweep::MIDI_CHANNEL;
use crate::match_result::MatchResult;

/// Reads a `result.json` written by `rackmatch match`.
pub fn read_result(path: &Path) -> Result<MatchResult, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: not a rackmatch result: {e}", path.display()))
}

/// Sends the CCs of candidate `rank` (1 = best); returns (CC, value) as sent.
pub fn apply(result: &MatchResult, rank: usize, midi: &mut dyn MidiOut) -> Result<Vec<(u8, u8)>, String> {
    let candidate =
        result.candidates.iter().find(|c| c.rank == rank).ok_or_else(|| {
            format!("no candidate of rank {rank} (the result has {})", result.candidates.len())
        })?;
    let mut sent = Vec::new();
    for (cc, &value) in &candidate.cc {
        let cc: u8 = cc
            .parse()
            .ok()
            .filter(|c| *c <= 127)
            .ok_or_else(|| format!("result: {cc:?} is not a CC number"))?;
        midi.send_cc(MIDI_CHANNEL, cc, value.min(127)).map_err(|e: MidiError| e.to_string())?;
        sent.push((cc, value));
    }
    if sent.is_empty() {
        return Err(format!("candidate {rank} has no CC values (its space maps no knob to a CC)"));
    }
    Ok(sent)
}
