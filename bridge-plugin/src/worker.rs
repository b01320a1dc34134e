//! The bridge's worker thread: listens for OSC tags on UDP, hands tickets to
//! the audio thread, collects the captured frames from the ring, writes clips
//! and answers `done`/`error` to the sender. Every problem is logged and
//! answered; none stops the thread or reaches the host.

use std::collections::{HashMap, VecDeque};
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::capture::{new_session, AbortReason, AudioCapture, AudioMessage, TagTicket, WorkerSession};
use crate::clip_path::resolve_clip_dir;
use crate::clip_writer::{write_all, write_clip, FileSink};
use crate::protocol::{
    parse_request, CcRecord, ClipMeta, Reply, Request, RequestError, TagRequest, CLIP_FORMAT_VERSION,
    MAX_PACKET_BYTES,
};
use crate::settings::Settings;

/// How long the listener waits for a packet before looking at the ring again.
const POLL: Duration = Duration::from_millis(1);
/// How often a failed bind is retried.
const REBIND_AFTER: Duration = Duration::from_secs(1);
/// CC events kept per clip.
const MAX_CC_EVENTS: usize = 4096;
/// Packets read per loop turn, so a flood cannot starve the ring.
const PACKETS_PER_TURN: usize = 64;

/// Counters the worker keeps, readable from any thread (tests and logs).
#[derive(Debug, Default)]
pub struct Status {
    /// The UDP port the listener is bound to (0 while unbound).
    pub bound_port: AtomicU16,
    /// Tags accepted and queued.
    pub tags_queued: AtomicU64,
    /// Clips written.
    pub clips_written: AtomicU64,
    /// Tags answered with an error.
    pub tag_errors: AtomicU64,
    /// Packets dropped as malformed, oversized or foreign.
    pub packets_ignored: AtomicU64,
}

enum Control {
    Session(WorkerSession),
    Settings(Settings),
    Shutdown,
}

/// The main thread's handle on the worker; dropping it stops the thread.
pub struct Bridge {
    control: Sender<Control>,
    thread: Option<JoinHandle<()>>,
    status: Arc<Status>,
    sessions: u64,
    settings: Settings,
}

impl Bridge {
    /// Starts the worker with the production file sink.
    pub fn start(settings: Settings) -> Self {
        Self::start_with_sink(settings, Arc::new(write_all))
    }

    /// Starts the worker writing files through `sink` (tests inject a full disk).
    pub fn start_with_sink(settings: Settings, sink: Arc<FileSink>) -> Self {
        let (control, inbox) = mpsc::channel();
        let status = Arc::new(Status::default());
        let worker = Worker::new(settings.clone(), inbox, Arc::clone(&status), sink);
        let thread = std::thread::Builder::new()
            .name("rackmatch-bridge".into())
            .spawn(move || worker.run())
            .map_err(|e| crate::log(&format!("cannot start the worker thread: {e}")))
            .ok();
        Self { control, thread, status, sessions: 0, settings }
    }

    /// A new audio session (host activation): its audio-thread end.
    pub fn new_session(&mut self, sample_rate: f64, max_block: u32) -> AudioCapture {
        self.sessions += 1;
        let (audio, worker) = new_session(self.sessions, sample_rate, max_block);
        let _ = self.control.send(Control::Session(worker));
        audio
    }

    /// The current settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Applies new settings (the listener rebinds if the address changed).
    pub fn apply_settings(&mut self, settings: Settings) {
        self.settings = settings.clone();
        let _ = self.control.send(Control::Settings(settings));
    }

    /// The worker's counters.
    pub fn status(&self) -> &Status {
        &self.status
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.control.send(Control::Shutdown);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A tag waiting for (or in) capture.
struct Pending {
    tag: TagRequest,
    dir: PathBuf,
    reply_to: SocketAddr,
    session: u64,
}

/// The clip being collected.
struct Active {
    serial: u64,
    pending: Pending,
    tag_sample: u64,
    start_sample: u64,
    expected: u64,
    sample_rate: f64,
    frames: Vec<[f32; 2]>,
}

struct Worker {
    settings: Settings,
    inbox: Receiver<Control>,
    status: Arc<Status>,
    sink: Arc<FileSink>,
    socket: Option<UdpSocket>,
    last_bind_attempt: Option<Instant>,
    /// Oldest first; only the last one is live, earlier ones are drained then dropped.
    sessions: VecDeque<WorkerSession>,
    pending: HashMap<u64, Pending>,
    active: Option<Active>,
    next_serial: u64,
    cc_events: Vec<CcRecord>,
    cc_dropped: u64,
    /// The plugin asked the worker to stop (or dropped its end).
    stopping: bool,
}

impl Worker {
    fn new(settings: Settings, inbox: Receiver<Control>, status: Arc<Status>, sink: Arc<FileSink>) -> Self {
        Self {
            settings,
            inbox,
            status,
            sink,
            socket: None,
            last_bind_attempt: None,
            sessions: VecDeque::new(),
            pending: HashMap::new(),
            active: None,
            next_serial: 1,
            cc_events: Vec::new(),
            cc_dropped: 0,
            stopping: false,
        }
    }

    fn run(mut self) {
        let mut buffer = vec![0u8; 65_536];
        loop {
            self.take_controls();
            if self.stopping {
                return;
            }
            self.ensure_bound();
            self.receive(&mut buffer);
            self.drain_sessions();
        }
    }

    /// Applies every control message sent so far: sessions, settings, shutdown.
    fn take_controls(&mut self) {
        while !self.stopping {
            match self.inbox.try_recv() {
                Ok(Control::Session(session)) => self.sessions.push_back(session),
                Ok(Control::Settings(settings)) => {
                    if settings.bind != self.settings.bind || settings.port != self.settings.port {
                        self.socket = None;
                        self.last_bind_attempt = None;
                        self.status.bound_port.store(0, Ordering::Relaxed);
                    }
                    self.settings = settings;
                }
                Ok(Control::Shutdown) | Err(TryRecvError::Disconnected) => self.stopping = true,
                Err(TryRecvError::Empty) => return,
            }
        }
    }

    fn ensure_bound(&mut self) {
        if self.socket.is_some() || self.last_bind_attempt.is_some_and(|t| t.elapsed() < REBIND_AFTER) {
            return;
        }
        self.last_bind_attempt = Some(Instant::now());
        let address = SocketAddr::new(self.settings.bind, self.settings.port);
        match UdpSocket::bind(address).and_then(|s| s.set_read_timeout(Some(POLL)).map(|_| s)) {
            Ok(socket) => {
                let port = socket.local_addr().map(|a| a.port()).unwrap_or(0);
                self.status.bound_port.store(port, Ordering::Relaxed);
                crate::log(&format!("listening for OSC on {}:{port}", self.settings.bind));
                self.socket = Some(socket);
            }
            Err(e) => crate::log(&format!("cannot listen on {address}: {e} (retrying every second)")),
        }
    }

    fn receive(&mut self, buffer: &mut [u8]) {
        if self.socket.is_none() {
            std::thread::sleep(POLL);
            return;
        }
        for _ in 0..PACKETS_PER_TURN {
            let Some(received) = self.socket.as_ref().map(|socket| socket.recv_from(buffer)) else {
                return;
            };
            let (len, from) = match received {
                Ok(received) => received,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => return,
                Err(e) => {
                    crate::log(&format!("receive failed: {e}"));
                    return;
                }
            };
            // A host may activate while this thread waits for a packet: a tag that
            // arrives after the activation must find its session.
            self.take_controls();
            if self.stopping {
                return;
            }
            if len > MAX_PACKET_BYTES {
                self.ignore(from, &format!("{len}-byte packet is over the {MAX_PACKET_BYTES}-byte limit"));
                continue;
            }
            match parse_request(&buffer[..len]) {
                Ok(Request::Ping) => self.reply(
                    from,
                    &Reply::Pong {
                        version: crate::PLUGIN_VERSION.into(),
                        clip_root: self.settings.clip_root.display().to_string(),
                        port: i32::from(self.status.bound_port.load(Ordering::Relaxed)),
                    },
                ),
                Ok(Request::Tag(tag)) => self.accept(tag, from),
                Err(RequestError::BadArguments { id, problem }) => {
                    let id = id.unwrap_or_default();
                    self.fail(from, &id, &problem);
                }
                Err(e) => self.ignore(from, &e.to_string()),
            }
        }
    }

    fn ignore(&self, from: SocketAddr, why: &str) {
        self.status.packets_ignored.fetch_add(1, Ordering::Relaxed);
        crate::log(&format!("ignored a packet from {from}: {why}"));
    }

    fn accept(&mut self, tag: TagRequest, from: SocketAddr) {
        let dir = match resolve_clip_dir(&self.settings.clip_root, &tag.clip_dir) {
            Ok(dir) => dir,
            Err(problem) => return self.fail(from, &tag.id, &problem),
        };
        let Some(session) = self.sessions.back_mut() else {
            return self.fail(from, &tag.id, "the host is not processing audio (plugin inactive)");
        };
        let serial = self.next_serial;
        let ticket =
            TagTicket { serial, settle_seconds: tag.settle_seconds, length_seconds: tag.length_seconds };
        if session.tickets.push(ticket).is_err() {
            return self.fail(
                from,
                &tag.id,
                "busy: too many tags are waiting; wait for a clip before the next tag",
            );
        }
        self.next_serial += 1;
        let session = session.id;
        self.status.tags_queued.fetch_add(1, Ordering::Relaxed);
        self.reply(from, &Reply::Queued { id: tag.id.clone() });
        self.pending.insert(serial, Pending { tag, dir, reply_to: from, session });
    }

    fn drain_sessions(&mut self) {
        while let Some(session) = self.sessions.front_mut() {
            let abandoned = session.messages.is_abandoned();
            let session_id = session.id;
            let mut messages = Vec::new();
            while let Ok(message) = session.messages.pop() {
                messages.push(message);
            }
            for message in messages {
                self.handle(message);
            }
            // Checked before draining: once abandoned, nothing more can arrive.
            if abandoned {
                self.sessions.pop_front();
                self.end_session(session_id);
            } else {
                break;
            }
        }
    }

    /// The host deactivated a session: whatever it had not finished fails, so the sender retries.
    fn end_session(&mut self, session: u64) {
        if self.active.as_ref().is_some_and(|a| a.pending.session == session) {
            if let Some(active) = self.active.take() {
                self.fail(active.pending.reply_to, &active.pending.tag.id, "the host stopped audio during the capture (sample rate or block size change?); tag again");
            }
        }
        let orphaned: Vec<u64> =
            self.pending.iter().filter(|(_, p)| p.session == session).map(|(serial, _)| *serial).collect();
        for serial in orphaned {
            if let Some(p) = self.pending.remove(&serial) {
                self.fail(
                    p.reply_to,
                    &p.tag.id,
                    "the host stopped audio before the capture began; tag again",
                );
            }
        }
        self.cc_events.clear();
    }

    fn handle(&mut self, message: AudioMessage) {
        match message {
            AudioMessage::Frame(frame) => {
                if let Some(active) = &mut self.active {
                    active.frames.push(frame);
                }
            }
            AudioMessage::Started { serial, tag_sample, start_sample, frames } => {
                // Messages are handled for the oldest session first, so it is this clip's.
                let sample_rate = self.sessions.front().map(|s| s.sample_rate).unwrap_or_default();
                if let Some(pending) = self.pending.remove(&serial) {
                    self.active = Some(Active {
                        serial,
                        pending,
                        tag_sample,
                        start_sample,
                        expected: frames,
                        sample_rate,
                        frames: Vec::with_capacity(frames as usize),
                    });
                }
            }
            AudioMessage::Ended { serial } => {
                if let Some(active) = self.active.take().filter(|a| a.serial == serial) {
                    self.finish(active);
                }
            }
            AudioMessage::Aborted { serial, reason } => {
                let why = match reason {
                    AbortReason::Overflow => "the bridge fell behind the audio (ring full); tag again",
                    AbortReason::Stopped => "the host stopped processing during the capture; tag again",
                };
                let pending = match self.active.take() {
                    Some(active) if active.serial == serial => Some(active.pending),
                    other => {
                        self.active = other;
                        self.pending.remove(&serial)
                    }
                };
                if let Some(p) = pending {
                    self.fail(p.reply_to, &p.tag.id, why);
                }
                self.cc_events.clear();
            }
            AudioMessage::Cc(record) => {
                if self.cc_events.len() < MAX_CC_EVENTS {
                    self.cc_events.push(record);
                } else {
                    self.cc_dropped += 1;
                }
            }
        }
    }

    fn finish(&mut self, active: Active) {
        let Active { pending, tag_sample, start_sample, expected, sample_rate, frames, .. } = active;
        let id = pending.tag.id.clone();
        if frames.len() as u64 != expected {
            return self.fail(
                pending.reply_to,
                &id,
                "frames went missing between the audio thread and the worker",
            );
        }
        let meta = ClipMeta {
            format: CLIP_FORMAT_VERSION,
            plugin_version: crate::PLUGIN_VERSION.into(),
            id: id.clone(),
            params: pending.tag.params.clone(),
            ccs: pending.tag.ccs.iter().map(|(cc, v)| (cc.to_string(), *v)).collect(),
            sample_rate,
            channels: 2,
            frames: expected,
            settle_seconds: pending.tag.settle_seconds,
            length_seconds: pending.tag.length_seconds,
            session: pending.session,
            tag_sample,
            start_sample,
            cc_events: std::mem::take(&mut self.cc_events),
            cc_events_dropped: std::mem::take(&mut self.cc_dropped),
            wav: format!("{id}.wav"),
        };
        match write_clip(&pending.dir, &meta, &frames, self.sink.as_ref()) {
            Ok((wav, json)) => {
                self.status.clips_written.fetch_add(1, Ordering::Relaxed);
                let reply =
                    Reply::Done { id, wav: wav.display().to_string(), json: json.display().to_string() };
                self.reply(pending.reply_to, &reply);
            }
            Err(problem) => self.fail(pending.reply_to, &id, &problem),
        }
    }

    fn fail(&self, to: SocketAddr, id: &str, problem: &str) {
        self.status.tag_errors.fetch_add(1, Ordering::Relaxed);
        crate::log(&format!("tag {id:?}: {problem}"));
        self.reply(to, &Reply::Error { id: id.to_string(), message: problem.to_string() });
    }

    fn reply(&self, to: SocketAddr, reply: &Reply) {
        if let Some(socket) = &self.socket {
            if let Err(e) = socket.send_to(&reply.encode(), to) {
                crate::log(&format!("cannot answer {to}: {e}"));
            }
        }
    }
}
