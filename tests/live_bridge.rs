//! The whole live path without Rack: a simulated Rack (the embedded engine
//! playing the template patch, its knobs set by CCs from the in-memory MIDI
//! transport) feeds the built bridge plugin in the test host; `sweep` drives
//! both, is killed and resumed, `library import` indexes the clips, `match`
//! finds a known point back, and `verify-capture` reports MSS 0.

use std::collections::BTreeMap;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rackmatch::library;
use rackmatch::live::clip_params::{knob_value, live_point, render_params, LivePoint};
use rackmatch::live::clips::list_clips;
use rackmatch::live::import::import;
use rackmatch::live::midi::{memory_midi, MemoryMidiIn};
use rackmatch::live::osc::{OscLink, UdpOsc};
use rackmatch::live::sweep::{run_sweep, SweepError, SweepJob};
use rackmatch::live::verify::verify_capture;
use rackmatch::match_job::{run_match, LibrarySource, MatchJob};
use rackmatch::space::Space;
use rackmatch_bridge::protocol::{self, parse_request, Reply, Request};
use rackmatch_bridge::settings::Settings;
use rackmatch_bridge_host::{load, CcMessage, Format};
use rackmatch_engine::render_voice;

const RATE: f64 = 48_000.0;
const BLOCK: usize = 64;
/// How much faster than real time the simulated Rack runs.
const SPEED: f64 = 8.0;

/// VCV Rack playing the template patch, hosting the bridge like Host-FX does.
struct SimulatedRack {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<(), String>>>,
}

impl SimulatedRack {
    /// Starts the engine and the plugin on their own (audio) thread.
    ///
    /// Each MIDI CC batch sets the mapped knobs (Rack's CC law) and restarts
    /// the voice, so the sound from then on is exactly the engine's render of
    /// those parameters; the CCs also reach the plugin in the same block.
    fn start(format: Format, midi: MemoryMidiIn, space: Space, model: u32, settings: Settings) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let running = Arc::clone(&stop);
        let thread = std::thread::spawn(move || -> Result<(), String> {
            let mut plugin = load(format)?;
            plugin.load_state(&settings.to_state())?;
            plugin.activate(RATE, BLOCK as u32)?;
            let mode =
                space.trigger_modes.iter().position(|m| m.onsets.is_none()).expect("a drone mode") as u8;
            let mut table: BTreeMap<u8, u8> = BTreeMap::new();
            let mut voice: Option<(rackmatch_engine::VoiceSettings, Vec<[f32; 2]>, usize)> = None;
            let started = Instant::now();
            let mut frames_done = 0u64;
            let (mut left, mut out_left, mut out_right) =
                (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
            while !running.load(Ordering::Relaxed) {
                let mut ccs = Vec::new();
                while let Some(message) = midi.try_recv() {
                    if message[0] & 0xF0 == 0xB0 {
                        table.insert(message[1], message[2]);
                        ccs.push(CcMessage {
                            offset: 0,
                            channel: message[0] & 0x0F,
                            cc: message[1],
                            value: message[2],
                        });
                    }
                }
                if !ccs.is_empty() {
                    let knobs: Option<Vec<(String, f64)>> = space
                        .knobs
                        .iter()
                        .map(|k| Some((k.name.clone(), knob_value(&k.name, *table.get(&k.cc?)?)?)))
                        .collect();
                    if let Some(knobs) = knobs {
                        let point = LivePoint { index: 0, model, mode, ccs: table.clone(), knobs };
                        let settings = render_params(&space, &point, "sim", 1.0).voice_settings();
                        voice = Some((settings, Vec::new(), 0));
                    }
                }
                match &mut voice {
                    Some((settings, rendered, position)) => {
                        if rendered.len() < *position + BLOCK {
                            // Rendering is deterministic, so a longer render extends the same sound.
                            let len = (*position + BLOCK).max(rendered.len() * 2).max(RATE as usize);
                            *rendered = vec![[0.0; 2]; len];
                            render_voice(settings, rendered);
                        }
                        for (x, frame) in left.iter_mut().zip(&rendered[*position..*position + BLOCK]) {
                            *x = frame[0];
                        }
                        *position += BLOCK;
                    }
                    None => left.fill(0.0),
                }
                // Plaits OUT into Host-FX's left input; the right input is normalled to it.
                plugin.process([&left, &left], [&mut out_left, &mut out_right], &ccs)?;
                frames_done += BLOCK as u64;
                let due = Duration::from_secs_f64(frames_done as f64 / (RATE * SPEED));
                if let Some(ahead) = due.checked_sub(started.elapsed()) {
                    std::thread::sleep(ahead);
                }
            }
            plugin.deactivate();
            Ok(())
        });
        Self { stop, thread: Some(thread) }
    }

    fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let result = self.thread.take().expect("running").join().expect("the simulated Rack panicked");
        result.expect("the simulated Rack failed");
    }
}

/// UDP to the plugin, remembering every tag id sent.
struct RecordingOsc {
    link: UdpOsc,
    tags: Arc<Mutex<Vec<String>>>,
}

impl OscLink for RecordingOsc {
    fn send(&mut self, packet: &[u8]) -> std::io::Result<()> {
        if let Ok(Request::Tag(tag)) = parse_request(packet) {
            self.tags.lock().unwrap().push(tag.id);
        }
        self.link.send(packet)
    }

    fn recv(&mut self, timeout: Duration) -> std::io::Result<Option<Vec<u8>>> {
        self.link.recv(timeout)
    }
}

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for_bridge(osc: &mut dyn OscLink) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        osc.send(&protocol::encode(protocol::PING, vec![])).unwrap();
        if let Some(Reply::Pong { .. }) =
            osc.recv(Duration::from_millis(100)).unwrap().as_deref().and_then(Reply::decode)
        {
            return;
        }
    }
    panic!("the bridge in the simulated Rack never answered");
}

struct Live {
    space: Space,
    model: u32,
    root: tempfile::TempDir,
    port: u16,
}

impl Live {
    fn new(model: u32) -> Self {
        let mut space = Space::default_space();
        space.models = vec![model];
        Live { space, model, root: tempfile::tempdir().unwrap(), port: free_port() }
    }

    fn clip_root(&self) -> PathBuf {
        self.root.path().join("clips")
    }

    fn settings(&self) -> Settings {
        Settings { bind: "127.0.0.1".parse().unwrap(), port: self.port, clip_root: self.clip_root() }
    }

    fn job(&self, dir: &Path, count: usize) -> SweepJob {
        SweepJob {
            space: self.space.clone(),
            seed: 11,
            count,
            dir: dir.to_path_buf(),
            model: Some(self.model),
            settle_seconds: 0.05,
            length_seconds: 0.5,
            reply_timeout: Duration::from_secs(20),
            retries: 2,
        }
    }

    fn osc(&self, tags: &Arc<Mutex<Vec<String>>>) -> RecordingOsc {
        let address: SocketAddr = format!("127.0.0.1:{}", self.port).parse().unwrap();
        RecordingOsc { link: UdpOsc::connect(address).unwrap(), tags: Arc::clone(tags) }
    }
}

#[test]
fn sweep_import_match_and_verify_against_a_simulated_rack() {
    let live = Live::new(2);
    std::fs::create_dir_all(live.clip_root()).unwrap();
    let dir = live.clip_root().join("sweep");
    let (mut midi, midi_in) = memory_midi();
    let rack = SimulatedRack::start(Format::Clap, midi_in, live.space.clone(), live.model, live.settings());
    let tags = Arc::new(Mutex::new(Vec::new()));
    let mut osc = live.osc(&tags);
    wait_for_bridge(&mut osc);
    let count = 24;
    let job = live.job(&dir, count);

    // Kill the sweep once a third of the clips are on disk...
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (stop, dir) = (Arc::clone(&stop), dir.clone());
        std::thread::spawn(move || {
            while list_clips(&dir).map_or(0, |c| c.len()) < count / 3 {
                std::thread::sleep(Duration::from_millis(2));
            }
            stop.store(true, Ordering::Relaxed);
        })
    };
    let first = run_sweep(&job, &mut midi, &mut osc, &stop);
    watcher.join().unwrap();
    let captured_first = match first {
        Err(SweepError::Interrupted { captured }) => captured,
        other => panic!("expected an interrupted sweep, got {other:?}"),
    };
    assert!(captured_first >= count / 3 && captured_first < count);
    // ...then run it again: it resumes, and no point is captured twice.
    let second = run_sweep(&job, &mut midi, &mut osc, &AtomicBool::new(false)).unwrap();
    assert_eq!(second.resumed, captured_first);
    assert_eq!(second.skipped, []);
    assert_eq!(second.resumed + second.captured, count);
    let sent = tags.lock().unwrap().clone();
    let mut unique = sent.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(sent.len(), count, "each point tagged exactly once: {sent:?}");
    assert_eq!(unique.len(), count);
    eprintln!(
        "simulated sweep (CLAP, {SPEED}x real time): {} clips in {:.2} s = {:.2} clips/s",
        second.captured,
        second.seconds,
        second.captured as f64 / second.seconds
    );
    rack.finish();
    let clips = list_clips(&dir).unwrap();
    assert_eq!(clips.len(), count);

    // Import: a library `match --library` loads.
    let library_dir = live.root.path().join("library");
    let report = import(&dir, &library_dir, &AtomicBool::new(false)).unwrap();
    assert_eq!((report.points, report.skipped.len()), (count, 0));
    let loaded = library::load(&library_dir).unwrap();
    assert_eq!(loaded.points.len(), count);

    // Match one captured clip: the top match is that point.
    let known = &clips[7];
    let index: u64 = known.meta.params["index"].parse().unwrap();
    let point = live_point(&live.space, 11, index);
    let out_dir = live.root.path().join("match");
    let matched = run_match(
        &MatchJob {
            target: known.wav(),
            library: LibrarySource::Directory(library_dir.clone()),
            top_k: 3,
            out_dir,
            budget: Some(8),
            hybrid: true,
            model: None,
        },
        &AtomicBool::new(false),
        &|_, _, _| Ok(()),
    )
    .unwrap();
    let best = &matched.candidates[0].params;
    for (name, value) in &point.knobs {
        let found = rackmatch::space::get_field(best, name).unwrap();
        let tolerance = if name == "frequency" { 1.0 / 12.0 } else { 1e-4 };
        assert!((found - value).abs() <= tolerance, "{name}: matched {found}, captured {value}");
    }

    // Verify: the engine renders exactly what the simulated Rack played.
    let verified = verify_capture(&dir).unwrap();
    assert_eq!(verified.checks.len(), count);
    assert_eq!(verified.engines.len(), 1);
    assert!(verified.engines[0].max <= 1e-6, "{:?}", verified.engines[0]);
}

#[test]
fn the_vst3_bundle_works_the_live_path_too() {
    let live = Live::new(8);
    std::fs::create_dir_all(live.clip_root()).unwrap();
    let dir = live.clip_root().join("vst3");
    let (mut midi, midi_in) = memory_midi();
    let rack = SimulatedRack::start(Format::Vst3, midi_in, live.space.clone(), live.model, live.settings());
    let tags = Arc::new(Mutex::new(Vec::new()));
    let mut osc = live.osc(&tags);
    wait_for_bridge(&mut osc);
    let report = run_sweep(&live.job(&dir, 4), &mut midi, &mut osc, &AtomicBool::new(false)).unwrap();
    rack.finish();
    assert_eq!((report.captured, report.skipped.len()), (4, 0));
    let verified = verify_capture(&dir).unwrap();
    assert_eq!(verified.checks.len(), 4);
    assert!(verified.engines[0].max <= 1e-6, "{:?}", verified.engines[0]);
}
