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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::live::midi::memory_midi;
    use crate::match_result::{CandidateRecord, LibraryRecord};
    use crate::render_params::RenderParams;

    fn result(cc: BTreeMap<String, u8>) -> MatchResult {
        MatchResult {
            analysis: None,
            target: "t.wav".into(),
            sample_rate: 48_000,
            candidates: vec![CandidateRecord {
                rank: 1,
                distance: 0.1,
                engine: "x".into(),
                method: "knn".into(),
                params: RenderParams::defaults("match-1", 0),
                cc,
                knobs: BTreeMap::new(),
                wav: "match-1.wav".into(),
                vcv: "match-1.vcv".into(),
            }],
            library: LibraryRecord {
                dir: "lib".into(),
                space: "s".into(),
                size: 1,
                seed: 1,
                feature_version: 1,
            },
            method: "knn".into(),
            timing_ms: BTreeMap::new(),
        }
    }

    #[test]
    fn a_match_becomes_cc_messages() {
        let (mut midi, input) = memory_midi();
        let ccs = BTreeMap::from([("0".to_string(), 64), ("5".to_string(), 127)]);
        assert_eq!(apply(&result(ccs), 1, &mut midi).unwrap(), [(0, 64), (5, 127)]);
        assert_eq!(input.try_recv(), Some([0xB0, 0, 64]));
        assert_eq!(input.try_recv(), Some([0xB0, 5, 127]));
        assert!(apply(&result(BTreeMap::new()), 2, &mut midi).unwrap_err().contains("rank 2"));
        assert!(apply(&result(BTreeMap::new()), 1, &mut midi).unwrap_err().contains("no CC"));
        let bad = BTreeMap::from([("x".to_string(), 1)]);
        assert!(apply(&result(bad), 1, &mut midi).unwrap_err().contains("not a CC"));
    }
}
