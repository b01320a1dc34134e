//! The bridge's OSC address space and clip metadata: what the companion sends,
//! what the plugin answers, and the `<id>.json` written next to each clip
//! (documented for people in `docs/bridge-osc.md`).

use std::collections::BTreeMap;
use std::net::SocketAddr;

use rosc::{OscMessage, OscPacket, OscType};
use serde::{Deserialize, Serialize};

/// Tag a clip: `s id, s clip_dir, s params, s ccs, f|d settle_seconds, f|d|i length_seconds`.
pub const TAG: &str = "/rackmatch/tag";
/// Liveness check: no arguments (or any); answered with [`PONG`].
pub const PING: &str = "/rackmatch/ping";
/// Answer to [`PING`]: `s plugin_version, s clip_root, i port`.
pub const PONG: &str = "/rackmatch/pong";
/// A tag was accepted and waits for the audio thread: `s id`.
pub const QUEUED: &str = "/rackmatch/queued";
/// A clip is on disk: `s id, s wav_path, s json_path`.
pub const DONE: &str = "/rackmatch/done";
/// A tag failed: `s id` (empty when it could not be read), `s message`.
pub const ERROR: &str = "/rackmatch/error";

/// Largest packet the plugin reads; longer ones are dropped unread.
pub const MAX_PACKET_BYTES: usize = 8192;
/// Longest clip id.
pub const MAX_ID_LEN: usize = 128;
/// Longest params or ccs string.
pub const MAX_TEXT_LEN: usize = 4096;
/// Longest settle time, seconds.
pub const MAX_SETTLE_SECONDS: f64 = 60.0;
/// Longest clip, seconds.
pub const MAX_CLIP_SECONDS: f64 = 60.0;
/// Version of the `<id>.json` layout.
pub const CLIP_FORMAT_VERSION: u32 = 1;
/// Default UDP port of the plugin's listener.
pub const DEFAULT_PORT: u16 = 9017;

/// A parsed, validated tag request.
#[derive(Clone, Debug, PartialEq)]
pub struct TagRequest {
    /// Clip id: the file stem of `<id>.wav` and `<id>.json`.
    pub id: String,
    /// Clip directory, absolute or relative to the plugin's clip root.
    pub clip_dir: String,
    /// Parameter values, `key=value` pairs.
    pub params: BTreeMap<String, String>,
    /// CC values, CC number → value.
    pub ccs: BTreeMap<u8, u8>,
    /// Seconds to wait after the tag reaches the audio thread.
    pub settle_seconds: f64,
    /// Clip length in seconds; the plugin captures `round(length × rate)` frames.
    pub length_seconds: f64,
}

/// Why a packet was not a usable request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// Not OSC at all, or cut short.
    Malformed(String),
    /// Valid OSC for an address the bridge does not answer.
    Foreign(String),
    /// A bridge address with bad arguments; `id` is set when it could be read.
    BadArguments {
        /// The clip id, when readable.
        id: Option<String>,
        /// What is wrong.
        problem: String,
    },
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Malformed(why) => write!(f, "malformed packet: {why}"),
            Self::Foreign(address) => write!(f, "unknown address {address:?}"),
            Self::BadArguments { id, problem } => match id {
                Some(id) => write!(f, "tag {id:?}: {problem}"),
                None => write!(f, "bad request: {problem}"),
            },
        }
    }
}

/// A request the plugin acts on.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// Capture a clip.
    Tag(TagRequest),
    /// Answer with [`PONG`].
    Ping,
}

/// Parses one UDP datagram. Oversized, malformed and foreign packets are errors,
/// never panics. Bundles are searched for their first bridge message.
pub fn parse_request(packet: &[u8]) -> Result<Request, RequestError> {
    if packet.len() > MAX_PACKET_BYTES {
        return Err(RequestError::Malformed(format!(
            "{} bytes is over the {MAX_PACKET_BYTES}-byte limit",
            packet.len()
        )));
    }
    let (_, decoded) =
        rosc::decoder::decode_udp(packet).map_err(|e| RequestError::Malformed(format!("{e:?}")))?;
    let message = first_message(decoded).ok_or_else(|| RequestError::Malformed("empty bundle".into()))?;
    match message.addr.as_str() {
        TAG => parse_tag(message.args).map(Request::Tag),
        PING => Ok(Request::Ping),
        other => Err(RequestError::Foreign(other.chars().take(64).collect())),
    }
}

fn first_message(packet: OscPacket) -> Option<OscMessage> {
    match packet {
        OscPacket::Message(message) => Some(message),
        OscPacket::Bundle(bundle) => bundle.content.into_iter().find_map(first_message),
    }
}

fn parse_tag(args: Vec<OscType>) -> Result<TagRequest, RequestError> {
    let mut args = args.into_iter();
    let mut id = None;
    let bad = |id: &Option<String>, problem: String| RequestError::BadArguments { id: id.clone(), problem };
    let raw_id = match args.next() {
        Some(OscType::String(s)) => s,
        _ => return Err(bad(&id, "argument 1 (id) must be a string".into())),
    };
    validate_id(&raw_id).map_err(|problem| bad(&None, problem))?;
    id = Some(raw_id.clone());
    let clip_dir = match args.next() {
        Some(OscType::String(s))
            if !s.is_empty() && s.len() <= MAX_TEXT_LEN && !s.chars().any(char::is_control) =>
        {
            s
        }
        _ => return Err(bad(&id, "argument 2 (clip_dir) must be a non-empty string".into())),
    };
    let params = match args.next() {
        Some(OscType::String(s)) => parse_params(&s).map_err(|p| bad(&id, p))?,
        _ => return Err(bad(&id, "argument 3 (params) must be a string".into())),
    };
    let ccs = match args.next() {
        Some(OscType::String(s)) => parse_ccs(&s).map_err(|p| bad(&id, p))?,
        _ => return Err(bad(&id, "argument 4 (ccs) must be a string".into())),
    };
    let settle_seconds =
        number(args.next()).ok_or_else(|| bad(&id, "argument 5 (settle seconds) must be a number".into()))?;
    let length_seconds =
        number(args.next()).ok_or_else(|| bad(&id, "argument 6 (length seconds) must be a number".into()))?;
    if args.next().is_some() {
        return Err(bad(&id, "more than 6 arguments".into()));
    }
    if !(settle_seconds.is_finite() && (0.0..=MAX_SETTLE_SECONDS).contains(&settle_seconds)) {
        return Err(bad(&id, format!("settle {settle_seconds} s is outside 0 to {MAX_SETTLE_SECONDS}")));
    }
    if !(length_seconds.is_finite() && length_seconds > 0.0 && length_seconds <= MAX_CLIP_SECONDS) {
        return Err(bad(
            &id,
            format!("length {length_seconds} s must be above 0 and at most {MAX_CLIP_SECONDS}"),
        ));
    }
    Ok(TagRequest { id: raw_id, clip_dir, params, ccs, settle_seconds, length_seconds })
}

fn number(arg: Option<OscType>) -> Option<f64> {
    match arg? {
        OscType::Float(x) => Some(x as f64),
        OscType::Double(x) => Some(x),
        OscType::Int(x) => Some(x as f64),
        OscType::Long(x) => Some(x as f64),
        _ => None,
    }
}

/// Clip ids become file names: 1 to 128 of `A-Z a-z 0-9 _ - .`, not starting with a dot.
pub fn validate_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && !id.starts_with('.')
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "id {:?} is not 1 to {MAX_ID_LEN} of A-Z a-z 0-9 _ - . without a leading dot",
            truncate(id)
        ))
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(40).collect()
}

/// Parses `key=value;key=value` (keys `A-Z a-z 0-9 _ - .`, values printable, no `;`).
pub fn parse_params(text: &str) -> Result<BTreeMap<String, String>, String> {
    if text.len() > MAX_TEXT_LEN {
        return Err(format!("params are over {MAX_TEXT_LEN} bytes"));
    }
    let mut params = BTreeMap::new();
    for pair in text.split(';').filter(|p| !p.is_empty()) {
        let (key, value) =
            pair.split_once('=').ok_or_else(|| format!("params: {:?} is not key=value", truncate(pair)))?;
        let key_ok = !key.is_empty()
            && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
        if !key_ok || value.chars().any(char::is_control) {
            return Err(format!("params: {:?} has a bad key or value", truncate(pair)));
        }
        if params.insert(key.to_string(), value.to_string()).is_some() {
            return Err(format!("params: key {key:?} appears twice"));
        }
    }
    Ok(params)
}

/// Formats params as `key=value;key=value` (the inverse of [`parse_params`]).
pub fn format_params(params: &BTreeMap<String, String>) -> String {
    params.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(";")
}

/// Parses `cc=value,cc=value` with both numbers 0 to 127.
pub fn parse_ccs(text: &str) -> Result<BTreeMap<u8, u8>, String> {
    if text.len() > MAX_TEXT_LEN {
        return Err(format!("ccs are over {MAX_TEXT_LEN} bytes"));
    }
    let mut ccs = BTreeMap::new();
    for pair in text.split(',').filter(|p| !p.is_empty()) {
        let parsed = pair.split_once('=').and_then(|(cc, value)| {
            let cc: u8 = cc.trim().parse().ok().filter(|c| *c <= 127)?;
            let value: u8 = value.trim().parse().ok().filter(|v| *v <= 127)?;
            Some((cc, value))
        });
        let (cc, value) =
            parsed.ok_or_else(|| format!("ccs: {:?} is not CC=VALUE with 0 to 127", truncate(pair)))?;
        if ccs.insert(cc, value).is_some() {
            return Err(format!("ccs: CC {cc} appears twice"));
        }
    }
    Ok(ccs)
}

/// Formats CCs as `cc=value,cc=value` (the inverse of [`parse_ccs`]).
pub fn format_ccs(ccs: &BTreeMap<u8, u8>) -> String {
    ccs.iter().map(|(cc, v)| format!("{cc}={v}")).collect::<Vec<_>>().join(",")
}

/// Encodes a tag request as one OSC packet (what the companion sends).
pub fn encode_tag(tag: &TagRequest) -> Vec<u8> {
    encode(
        TAG,
        vec![
            OscType::String(tag.id.clone()),
            OscType::String(tag.clip_dir.clone()),
            OscType::String(format_params(&tag.params)),
            OscType::String(format_ccs(&tag.ccs)),
            OscType::Double(tag.settle_seconds),
            OscType::Double(tag.length_seconds),
        ],
    )
}

/// Encodes a message with string/number arguments.
pub fn encode(address: &str, args: Vec<OscType>) -> Vec<u8> {
    let packet = OscPacket::Message(OscMessage { addr: address.to_string(), args });
    // Encoding a message of strings and numbers cannot fail.
    rosc::encoder::encode(&packet).unwrap_or_default()
}

/// What the plugin answers, as the companion reads it.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// The tag is queued.
    Queued {
        /// Clip id.
        id: String,
    },
    /// The clip is on disk.
    Done {
        /// Clip id.
        id: String,
        /// The WAV file.
        wav: String,
        /// The JSON file.
        json: String,
    },
    /// The tag failed.
    Error {
        /// Clip id ("" when unknown).
        id: String,
        /// Why.
        message: String,
    },
    /// Answer to a ping.
    Pong {
        /// Plugin version.
        version: String,
        /// Allow-listed clip root.
        clip_root: String,
        /// The listener's UDP port.
        port: i32,
    },
}

impl Reply {
    /// The packet for this reply.
    pub fn encode(&self) -> Vec<u8> {
        let s = |x: &str| OscType::String(x.to_string());
        match self {
            Self::Queued { id } => encode(QUEUED, vec![s(id)]),
            Self::Done { id, wav, json } => encode(DONE, vec![s(id), s(wav), s(json)]),
            Self::Error { id, message } => encode(ERROR, vec![s(id), s(message)]),
            Self::Pong { version, clip_root, port } => {
                encode(PONG, vec![s(version), s(clip_root), OscType::Int(*port)])
            }
        }
    }

    /// Reads a reply packet; `None` for anything else.
    pub fn decode(packet: &[u8]) -> Option<Self> {
        if packet.len() > MAX_PACKET_BYTES {
            return None;
        }
        let (_, decoded) = rosc::decoder::decode_udp(packet).ok()?;
        let message = first_message(decoded)?;
        let mut strings = message.args.iter().filter_map(|a| match a {
            OscType::String(s) => Some(s.clone()),
            _ => None,
        });
        let mut next = || strings.next();
        Some(match message.addr.as_str() {
            QUEUED => Self::Queued { id: next()? },
            DONE => Self::Done { id: next()?, wav: next()?, json: next()? },
            ERROR => Self::Error { id: next()?, message: next()? },
            PONG => {
                let port = message.args.iter().find_map(|a| a.clone().int()).unwrap_or(0);
                Self::Pong { version: next()?, clip_root: next()?, port }
            }
            _ => return None,
        })
    }
}

/// A MIDI CC the host delivered to the plugin, at an absolute frame position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CcRecord {
    /// Frame position since the plugin was activated.
    pub sample: u64,
    /// MIDI channel, 0 to 15.
    pub channel: u8,
    /// CC number.
    pub cc: u8,
    /// Value, 0 to 127.
    pub value: u8,
}

/// The `<id>.json` written next to each clip.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClipMeta {
    /// Layout version ([`CLIP_FORMAT_VERSION`]).
    pub format: u32,
    /// Version of the plugin that wrote it.
    pub plugin_version: String,
    /// Clip id.
    pub id: String,
    /// Parameter values from the tag.
    pub params: BTreeMap<String, String>,
    /// CC values from the tag (CC number as text → value).
    pub ccs: BTreeMap<String, u8>,
    /// Host sample rate of the clip.
    pub sample_rate: f64,
    /// Channels in the WAV (left, right).
    pub channels: u16,
    /// Frames in the WAV.
    pub frames: u64,
    /// Settle time from the tag.
    pub settle_seconds: f64,
    /// Length from the tag.
    pub length_seconds: f64,
    /// Which activation of the plugin the positions count from (1 = first).
    pub session: u64,
    /// Frame position where the audio thread took the tag (a block start).
    pub tag_sample: u64,
    /// Frame position of the clip's first frame: `tag_sample + round(settle × rate)`.
    pub start_sample: u64,
    /// MIDI CCs from the host since the previous clip ended, up to this clip's end.
    pub cc_events: Vec<CcRecord>,
    /// CC events lost because too many arrived.
    pub cc_events_dropped: u64,
    /// The WAV file's name.
    pub wav: String,
}

/// Where replies go: the address the tag came from.
pub type ReplyTo = SocketAddr;

#[cfg(test)]
mod tests {
    use super::*;

    fn tag() -> TagRequest {
        TagRequest {
            id: "p-000017".into(),
            clip_dir: "/tmp/clips".into(),
            params: [("frequency".to_string(), "-1.5".to_string()), ("model".to_string(), "3".to_string())]
                .into(),
            ccs: [(0, 64), (5, 127)].into(),
            settle_seconds: 0.25,
            length_seconds: 0.5,
        }
    }

    #[test]
    fn tags_round_trip_through_osc() {
        assert_eq!(parse_request(&encode_tag(&tag())), Ok(Request::Tag(tag())));
        assert_eq!(parse_request(&encode(PING, vec![])), Ok(Request::Ping));
    }

    #[test]
    fn replies_round_trip() {
        let replies = [
            Reply::Queued { id: "a".into() },
            Reply::Done { id: "a".into(), wav: "/x/a.wav".into(), json: "/x/a.json".into() },
            Reply::Error { id: "".into(), message: "no".into() },
            Reply::Pong { version: "0.1.0".into(), clip_root: "/r".into(), port: 9017 },
        ];
        for reply in replies {
            assert_eq!(Reply::decode(&reply.encode()), Some(reply));
        }
    }

    #[test]
    fn garbage_truncated_oversized_and_foreign_packets_are_refused() {
        let good = encode_tag(&tag());
        assert!(matches!(parse_request(b"hello"), Err(RequestError::Malformed(_))));
        assert!(matches!(parse_request(&[]), Err(RequestError::Malformed(_))));
        for cut in [3, 8, 17, good.len() - 3] {
            assert!(parse_request(&good[..cut]).is_err(), "cut at {cut}");
        }
        assert!(matches!(parse_request(&vec![b'/'; MAX_PACKET_BYTES + 1]), Err(RequestError::Malformed(_))));
        assert!(matches!(parse_request(&encode("/other/thing", vec![])), Err(RequestError::Foreign(_))));
        // Every prefix and every single-byte corruption is handled without a panic.
        for cut in 0..good.len() {
            let _ = parse_request(&good[..cut]);
        }
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0xA5;
            let _ = parse_request(&bad);
        }
    }

    #[test]
    fn bad_ids_and_arguments_name_the_problem() {
        for id in ["../x", "a/b", "", ".hidden", "x y", "..", &"y".repeat(MAX_ID_LEN + 1)] {
            let mut t = tag();
            t.id = id.to_string();
            match parse_request(&encode_tag(&t)) {
                Err(RequestError::BadArguments { id: None, problem }) => {
                    assert!(problem.contains("id"), "{problem}")
                }
                other => panic!("{id:?}: {other:?}"),
            }
        }
        let mut t = tag();
        t.settle_seconds = -1.0;
        assert!(matches!(
            parse_request(&encode_tag(&t)),
            Err(RequestError::BadArguments { id: Some(_), .. })
        ));
        t.settle_seconds = 0.0;
        t.length_seconds = f64::NAN;
        assert!(parse_request(&encode_tag(&t)).is_err());
        let short = encode(TAG, vec![OscType::String("a".into())]);
        assert!(matches!(parse_request(&short), Err(RequestError::BadArguments { .. })));
        assert!(parse_ccs("0=128").is_err());
        assert!(parse_ccs("0=1,0=2").is_err());
        assert!(parse_params("a=1;a=2").is_err());
        assert!(parse_params("no-equals").is_err());
    }
}
