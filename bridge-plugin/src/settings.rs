//! The plugin's settings (listener address, port, clip root): defaults, the
//! environment overrides, and the bytes kept in the host's saved state.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::protocol::DEFAULT_PORT;

/// Environment variable that overrides the default port of new instances.
pub const PORT_ENV: &str = "RACKMATCH_BRIDGE_PORT";
/// Environment variable that overrides the default clip root of new instances.
pub const CLIP_ROOT_ENV: &str = "RACKMATCH_BRIDGE_CLIP_ROOT";
/// Environment variable that overrides the default listen address (e.g. `0.0.0.0`).
pub const BIND_ENV: &str = "RACKMATCH_BRIDGE_BIND";

/// Where the plugin listens and where it may write.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address the OSC listener binds to (127.0.0.1 by default: local only).
    pub bind: IpAddr,
    /// UDP port of the OSC listener.
    pub port: u16,
    /// The only directory tree clips may be written into.
    pub clip_root: PathBuf,
}

impl Settings {
    /// Built-in defaults, then the environment overrides (`RACKMATCH_BRIDGE_*`);
    /// a malformed variable is ignored with a log line.
    pub fn from_environment() -> Self {
        let mut settings = Self {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: DEFAULT_PORT,
            clip_root: default_clip_root(),
        };
        if let Some(port) = std::env::var_os(PORT_ENV) {
            match port.to_str().and_then(|p| p.parse().ok()) {
                Some(port) => settings.port = port,
                None => crate::log(&format!("{PORT_ENV}={port:?} is not a port; using {}", settings.port)),
            }
        }
        if let Some(bind) = std::env::var_os(BIND_ENV) {
            match bind.to_str().and_then(|b| b.parse().ok()) {
                Some(bind) => settings.bind = bind,
                None => {
                    crate::log(&format!("{BIND_ENV}={bind:?} is not an IP address; using {}", settings.bind))
                }
            }
        }
        if let Some(root) = std::env::var_os(CLIP_ROOT_ENV).filter(|r| !r.is_empty()) {
            settings.clip_root = PathBuf::from(root);
        }
        settings
    }

    /// The bytes stored in the host's saved state.
    pub fn to_state(&self) -> Vec<u8> {
        let state = SavedState { format: STATE_FORMAT, settings: self.clone() };
        serde_json::to_vec(&state).unwrap_or_default()
    }

    /// Settings from saved-state bytes; an error names the problem.
    pub fn from_state(bytes: &[u8]) -> Result<Self, String> {
        let state: SavedState =
            serde_json::from_slice(bytes).map_err(|e| format!("saved state is not bridge settings: {e}"))?;
        if state.format != STATE_FORMAT {
            return Err(format!("saved state has format {}, expected {STATE_FORMAT}", state.format));
        }
        Ok(state.settings)
    }
}

const STATE_FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedState {
    format: u32,
    settings: Settings,
}

/// `~/rackmatch-clips`, or `./rackmatch-clips` without a home directory.
fn default_clip_root() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(".")).join("rackmatch-clips")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_rejects_garbage() {
        let settings =
            Settings { bind: "127.0.0.1".parse().unwrap(), port: 9100, clip_root: "/data/clips".into() };
        assert_eq!(Settings::from_state(&settings.to_state()), Ok(settings));
        assert!(Settings::from_state(b"\x00\x01").is_err());
        assert!(Settings::from_state(
            br#"{"format":2,"settings":{"bind":"127.0.0.1","port":1,"clip_root":"/"}}"#
        )
        .unwrap_err()
        .contains("format 2"));
    }
}
