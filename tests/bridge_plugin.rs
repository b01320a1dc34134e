//! The built bridge bundles in a real host: CLAP through clack-host, VST3
//! through the minimal VST3 host. Passthrough is bit-exact; a tag followed by
//! known audio gives a clip with exactly the fed samples at the tagged offset;
//! bad packets, bad ids, unwritable directories and mid-run sample-rate and
//! block-size changes are answered and survived with no half-written clip.

use std::collections::BTreeMap;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rackmatch_bridge::protocol::{self, ClipMeta, Reply, TagRequest};
use rackmatch_bridge::settings::Settings;
use rackmatch_bridge_host::{load, CcMessage, Format, HostedPlugin};

const FORMATS: [Format; 2] = [Format::Clap, Format::Vst3];

/// The test signal: a deterministic, never-repeating value per frame and channel.
fn signal(position: u64, channel: usize) -> f32 {
    let mut x = position.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (channel as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03);
    x ^= x >> 29;
    ((x % 2_000_001) as f32 - 1_000_000.0) / 1_048_576.0
}

/// A free UDP port on loopback (bound, read, released).
fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A plugin under test, with the companion's socket and the position of the next frame.
struct Rig {
    plugin: Box<dyn HostedPlugin>,
    socket: UdpSocket,
    port: u16,
    position: u64,
    root: PathBuf,
    _dir: tempfile::TempDir,
}

impl Rig {
    fn new(format: Format, rate: f64, max_block: u32) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("clips");
        let mut plugin = load(format).unwrap();
        let port = free_port();
        let settings = Settings { bind: "127.0.0.1".parse().unwrap(), port, clip_root: root.clone() };
        plugin.load_state(&settings.to_state()).unwrap();
        assert_eq!(Settings::from_state(&plugin.save_state().unwrap()).unwrap(), settings);
        plugin.activate(rate, max_block).unwrap();
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let mut rig = Rig { plugin, socket, port, position: 0, root, _dir: dir };
        rig.wait_for_pong();
        rig
    }

    fn send(&self, packet: &[u8]) {
        self.socket.send_to(packet, ("127.0.0.1", self.port)).unwrap();
    }

    fn wait_for_pong(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            self.send(&protocol::encode(protocol::PING, vec![]));
            if let Some(Reply::Pong { .. }) = self.next_reply(Duration::from_millis(50)) {
                return;
            }
        }
        panic!("the plugin never answered a ping on port {}", self.port);
    }

    fn next_reply(&self, within: Duration) -> Option<Reply> {
        let deadline = Instant::now() + within;
        let mut buffer = [0u8; 9000];
        while Instant::now() < deadline {
            if let Ok((len, _)) = self.socket.recv_from(&mut buffer) {
                if let Some(reply) = Reply::decode(&buffer[..len]) {
                    return Some(reply);
                }
            }
        }
        None
    }

    /// Processes one block of the test signal and checks the passthrough.
    fn block(&mut self, len: usize, ccs: &[CcMessage]) {
        let input: [Vec<f32>; 2] =
            [0, 1].map(|c| (0..len as u64).map(|i| signal(self.position + i, c)).collect::<Vec<f32>>());
        let mut output = [vec![f32::NAN; len], vec![f32::NAN; len]];
        let [out_left, out_right] = &mut output;
        self.plugin.process([&input[0], &input[1]], [out_left, out_right], ccs).unwrap();
        for c in 0..2 {
            let same = input[c].iter().zip(&output[c]).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "passthrough changed channel {c} at frame {}", self.position);
        }
        self.position += len as u64;
    }

    /// Sends a tag and waits until the plugin has queued it.
    fn tag(&mut self, tag: &TagRequest) {
        self.send(&protocol::encode_tag(tag));
        match self.next_reply(Duration::from_secs(10)) {
            Some(Reply::Queued { id }) => assert_eq!(id, tag.id),
            other => panic!("expected queued for {}, got {other:?}", tag.id),
        }
    }

    /// Processes blocks of the given sizes (cycled) until a reply for `id` other than `queued` arrives.
    fn run_until_reply(
        &mut self,
        sizes: &[usize],
        ccs_at_block: impl Fn(usize, usize) -> Vec<CcMessage>,
    ) -> Reply {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut buffer = [0u8; 9000];
        self.socket.set_nonblocking(true).unwrap();
        let mut k = 0;
        let reply = loop {
            assert!(Instant::now() < deadline, "no reply");
            let size = sizes[k % sizes.len()];
            self.block(size, &ccs_at_block(k, size));
            k += 1;
            if let Ok((len, _)) = self.socket.recv_from(&mut buffer) {
                match Reply::decode(&buffer[..len]) {
                    Some(Reply::Queued { .. }) | None => {}
                    Some(reply) => break reply,
                }
            }
        };
        self.socket.set_nonblocking(false).unwrap();
        reply
    }
}

fn tag(id: &str, dir: &str, settle: f64, length: f64) -> TagRequest {
    TagRequest {
        id: id.into(),
        clip_dir: dir.into(),
        params: BTreeMap::from([("model".into(), "3".into()), ("timbre".into(), "0.25".into())]),
        ccs: BTreeMap::from([(0, 12), (5, 127)]),
        settle_seconds: settle,
        length_seconds: length,
    }
}

fn read_clip(json: &Path) -> (ClipMeta, Vec<[f32; 2]>) {
    let meta: ClipMeta = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    let mut reader = hound::WavReader::open(json.with_file_name(&meta.wav)).unwrap();
    let samples: Vec<f32> = reader.samples::<f32>().map(Result::unwrap).collect();
    (meta, samples.chunks_exact(2).map(|f| [f[0], f[1]]).collect())
}

/// Checks that a clip holds exactly the fed signal from its start sample.
fn assert_exact(meta: &ClipMeta, frames: &[[f32; 2]], rate: f64, settle: f64, length: f64) {
    assert_eq!(meta.sample_rate, rate);
    assert_eq!(meta.frames, (length * rate).round() as u64);
    assert_eq!(frames.len() as u64, meta.frames);
    assert_eq!(meta.start_sample, meta.tag_sample + (settle * rate).round() as u64);
    for (k, frame) in frames.iter().enumerate() {
        let position = meta.start_sample + k as u64;
        assert_eq!(frame[0].to_bits(), signal(position, 0).to_bits(), "left at {position}");
        assert_eq!(frame[1].to_bits(), signal(position, 1).to_bits(), "right at {position}");
    }
}

fn no_temp_files(dir: &Path) {
    for entry in walk(dir) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.ends_with(".tmp"), "left a temp file {}", entry.display());
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn tagged_clips_hold_exactly_the_fed_samples_at_every_rate_and_block_size() {
    for format in FORMATS {
        for rate in [44_100.0, 48_000.0] {
            for block in [1usize, 64, 4096] {
                let mut rig = Rig::new(format, rate, block as u32);
                rig.block(block, &[]);
                let (settle, length) = (0.01, 0.05);
                let sent = tag(&format!("clip-{block}"), "exact", settle, length);
                rig.tag(&sent);
                let cc_block = 3;
                let cc = |k: usize, size: usize| {
                    if k == cc_block {
                        vec![CcMessage { offset: (size as u32 - 1).min(2), channel: 2, cc: 7, value: 99 }]
                    } else {
                        vec![]
                    }
                };
                let start_of_run = rig.position;
                let reply = rig.run_until_reply(&[block], cc);
                let Reply::Done { id, json, .. } = reply else {
                    panic!("{format:?} {rate} {block}: {reply:?}")
                };
                assert_eq!(id, sent.id);
                let (meta, frames) = read_clip(Path::new(&json));
                assert_exact(&meta, &frames, rate, settle, length);
                assert_eq!(meta.tag_sample % block as u64, 0, "tags are taken at block starts");
                assert!(meta.tag_sample >= start_of_run);
                assert_eq!(meta.params, sent.params);
                assert_eq!(meta.ccs, BTreeMap::from([("0".to_string(), 12), ("5".to_string(), 127)]));
                let expected_cc_sample = start_of_run + (cc_block * block) as u64 + (block as u64 - 1).min(2);
                let channel = if format == Format::Clap { 2 } else { 0 };
                let recorded: Vec<_> =
                    meta.cc_events.iter().map(|e| (e.sample, e.channel, e.cc, e.value)).collect();
                if expected_cc_sample < meta.start_sample + meta.frames {
                    assert_eq!(recorded, [(expected_cc_sample, channel, 7, 99)], "{format:?} {rate} {block}");
                }
                no_temp_files(&rig.root);
            }
        }
    }
}

#[test]
fn bad_packets_and_bad_tags_are_answered_or_ignored_and_the_host_goes_on() {
    for format in FORMATS {
        let mut rig = Rig::new(format, 48_000.0, 64);
        let good = protocol::encode_tag(&tag("good", "robust", 0.0, 0.01));
        rig.send(b"\x00\x01garbage");
        rig.send(&good[..good.len() / 2]);
        rig.send(&vec![b'/'; 9000]);
        rig.send(&protocol::encode("/some/other/app", vec![rosc::OscType::Int(1)]));
        for _ in 0..10 {
            rig.block(64, &[]);
        }
        let expect_error = |t: TagRequest, needle: &str| {
            rig.send(&protocol::encode_tag(&t));
            match rig.next_reply(Duration::from_secs(10)) {
                Some(Reply::Error { message, .. }) => assert!(message.contains(needle), "{message}"),
                other => panic!("{}: expected an error, got {other:?}", t.id),
            }
        };
        expect_error(tag("../x", "robust", 0.0, 0.01), "id");
        expect_error(tag("ok", "../outside", 0.0, 0.01), "..");
        expect_error(tag("ok", "/etc", 0.0, 0.01), "outside the clip root");
        std::fs::create_dir_all(&rig.root).unwrap();
        std::fs::write(rig.root.join("blocked"), b"a file where a directory should be").unwrap();
        expect_error(tag("ok", "blocked/sub", 0.0, 0.01), "cannot create");
        // After all that, a good tag still gives an exact clip.
        rig.tag(&tag("good", "robust", 0.0, 0.01));
        let Reply::Done { json, .. } = rig.run_until_reply(&[64], |_, _| vec![]) else { panic!() };
        let (meta, frames) = read_clip(Path::new(&json));
        assert_exact(&meta, &frames, 48_000.0, 0.0, 0.01);
        let files: Vec<String> = walk(&rig.root)
            .iter()
            .map(|p| p.strip_prefix(&rig.root).unwrap().display().to_string())
            .collect();
        let mut files = files;
        files.sort();
        assert_eq!(files, ["blocked", "robust/good.json", "robust/good.wav"]);
    }
}

#[test]
fn sample_rate_and_block_size_changes_mid_run_fail_the_capture_cleanly_and_then_work() {
    for format in FORMATS {
        let mut rig = Rig::new(format, 44_100.0, 256);
        rig.tag(&tag("interrupted", "changes", 0.5, 0.1));
        for _ in 0..4 {
            rig.block(256, &[]);
        }
        // The host changes rate: deactivate, reactivate.
        rig.plugin.activate(96_000.0, 100).unwrap();
        rig.position = 0;
        let reply = rig.run_until_reply(&[100], |_, _| vec![]);
        assert!(matches!(&reply, Reply::Error { id, .. } if id == "interrupted"), "{reply:?}");
        // Odd, varying block sizes within the new maximum.
        rig.tag(&tag("after", "changes", 0.003, 0.02));
        let Reply::Done { json, .. } = rig.run_until_reply(&[1, 7, 100, 33, 64], |_, _| vec![]) else {
            panic!()
        };
        let (meta, frames) = read_clip(Path::new(&json));
        assert_exact(&meta, &frames, 96_000.0, 0.003, 0.02);
        assert_eq!(meta.session, 2);
        assert!(!rig.root.join("changes/interrupted.json").exists());
        assert!(!rig.root.join("changes/interrupted.wav").exists());
        no_temp_files(&rig.root);
    }
}
