//! The audio-thread half of the bridge: passes tags' settle/capture windows over
//! the host's blocks and streams the captured frames, in order with their
//! start/end markers and the host's MIDI CCs, through one lock-free ring to the
//! worker. Nothing here allocates, locks or does I/O once a session exists.

use rtrb::{Consumer, Producer, RingBuffer};

use crate::protocol::CcRecord;

/// What the worker hands the audio thread for one tag (the tag's text stays with the worker).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TagTicket {
    /// The worker's number for the tag.
    pub serial: u64,
    /// Seconds to wait from the block where the ticket is taken.
    pub settle_seconds: f64,
    /// Clip length in seconds.
    pub length_seconds: f64,
}

/// Why a capture stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbortReason {
    /// The worker fell behind and the ring was full.
    Overflow,
    /// The host stopped processing; the next block may not follow on.
    Stopped,
}

/// One item of the audio→worker stream.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AudioMessage {
    /// One captured stereo frame of the clip that was last started.
    Frame([f32; 2]),
    /// A clip's first frame follows.
    Started {
        /// The ticket's serial.
        serial: u64,
        /// Position of the block where the ticket was taken.
        tag_sample: u64,
        /// Position of the first captured frame.
        start_sample: u64,
        /// Frames that will follow unless aborted.
        frames: u64,
    },
    /// The clip that was started is complete.
    Ended {
        /// The ticket's serial.
        serial: u64,
    },
    /// A ticket's capture will not complete (it may or may not have started).
    Aborted {
        /// The ticket's serial.
        serial: u64,
        /// Why.
        reason: AbortReason,
    },
    /// A MIDI CC from the host.
    Cc(CcRecord),
}

/// A MIDI CC in the current block, at a frame offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CcEvent {
    /// Frame offset in the block.
    pub offset: u32,
    /// MIDI channel, 0 to 15.
    pub channel: u8,
    /// CC number.
    pub cc: u8,
    /// Value, 0 to 127.
    pub value: u8,
}

impl CcEvent {
    /// The CC in a 3-byte MIDI 1.0 message, if it is one.
    pub fn from_midi(offset: u32, data: [u8; 3]) -> Option<Self> {
        (data[0] & 0xF0 == 0xB0 && data[1] < 128 && data[2] < 128).then_some(Self {
            offset,
            channel: data[0] & 0x0F,
            cc: data[1],
            value: data[2],
        })
    }
}

/// Slots kept free for markers so that a start can always be ended or aborted.
const RESERVED_SLOTS: usize = 4;
/// Tickets that may wait for the audio thread.
pub const TICKET_CAPACITY: usize = 16;
/// Seconds of audio the ring holds while the worker writes a file.
const RING_SECONDS: f64 = 2.0;

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    Idle,
    Settling { serial: u64, tag_sample: u64, start_sample: u64, frames: u64 },
    Capturing { serial: u64, remaining: u64 },
}

/// The audio thread's end of a session: owned by the format wrapper's processor.
pub struct AudioCapture {
    tickets: Consumer<TagTicket>,
    messages: Producer<AudioMessage>,
    sample_rate: f64,
    position: u64,
    state: State,
}

/// The worker's end of a session.
pub struct WorkerSession {
    /// Activation number (1 = first).
    pub id: u64,
    /// The host's sample rate.
    pub sample_rate: f64,
    /// Where tickets go.
    pub tickets: Producer<TagTicket>,
    /// Where frames and markers come from.
    pub messages: Consumer<AudioMessage>,
}

/// Creates both ends of a session for a host running at `sample_rate` with
/// blocks of at most `max_block` frames. Call on a non-audio thread: it allocates.
pub fn new_session(id: u64, sample_rate: f64, max_block: u32) -> (AudioCapture, WorkerSession) {
    let frames = (sample_rate.max(1.0) * RING_SECONDS) as usize;
    let capacity = frames.max(8 * max_block as usize) + 4096;
    let (messages_in, messages_out) = RingBuffer::new(capacity);
    let (tickets_in, tickets_out) = RingBuffer::new(TICKET_CAPACITY);
    let audio = AudioCapture {
        tickets: tickets_out,
        messages: messages_in,
        sample_rate,
        position: 0,
        state: State::Idle,
    };
    let worker = WorkerSession { id, sample_rate, tickets: tickets_in, messages: messages_out };
    (audio, worker)
}

impl AudioCapture {
    /// Frames processed since the session began.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The session's sample rate.
    pub fn sample_rate(&self) -> f64 {
        self.sample_rate
    }

    /// Handles one block after the passthrough: `left`/`right` are the block's
    /// audio (same length), `ccs` the host's CCs in time order.
    pub fn process(&mut self, left: &[f32], right: &[f32], ccs: impl IntoIterator<Item = CcEvent>) {
        let n = left.len().min(right.len());
        let block_start = self.position;
        for event in ccs {
            if self.messages.slots() > RESERVED_SLOTS {
                let sample = block_start + u64::from(event.offset).min(n.saturating_sub(1) as u64);
                let record = CcRecord { sample, channel: event.channel, cc: event.cc, value: event.value };
                let _ = self.messages.push(AudioMessage::Cc(record));
            }
        }
        if self.state == State::Idle {
            if let Ok(ticket) = self.tickets.pop() {
                self.state = self.settle(ticket, block_start);
            }
        }
        let mut i = 0usize;
        while i < n {
            match self.state {
                State::Idle => break,
                State::Settling { serial, tag_sample, start_sample, frames } => {
                    if start_sample >= block_start + n as u64 {
                        break;
                    }
                    i = (start_sample - block_start) as usize;
                    let started = AudioMessage::Started { serial, tag_sample, start_sample, frames };
                    self.state = match self.messages.push(started) {
                        Ok(()) => State::Capturing { serial, remaining: frames },
                        // Only possible if the worker is gone; nobody waits for this clip.
                        Err(_) => State::Idle,
                    };
                }
                State::Capturing { serial, remaining } => {
                    let take = remaining.min((n - i) as u64) as usize;
                    if self.messages.slots() < take + RESERVED_SLOTS {
                        self.abort(serial, AbortReason::Overflow);
                        break;
                    }
                    if let Ok(chunk) = self.messages.write_chunk_uninit(take) {
                        let frames = left[i..i + take].iter().zip(&right[i..i + take]);
                        chunk.fill_from_iter(frames.map(|(l, r)| AudioMessage::Frame([*l, *r])));
                    }
                    i += take;
                    let remaining = remaining - take as u64;
                    if remaining == 0 {
                        let _ = self.messages.push(AudioMessage::Ended { serial });
                        self.state = State::Idle;
                    } else {
                        self.state = State::Capturing { serial, remaining };
                    }
                }
            }
        }
        self.position += n as u64;
    }

    /// The host stopped processing: the next block may not follow on, so a
    /// pending or running capture is abandoned (the worker answers with an error).
    pub fn stop(&mut self) {
        match self.state {
            State::Settling { serial, .. } | State::Capturing { serial, .. } => {
                self.abort(serial, AbortReason::Stopped)
            }
            State::Idle => {}
        }
    }

    fn settle(&self, ticket: TagTicket, block_start: u64) -> State {
        let settle = (ticket.settle_seconds * self.sample_rate).round().max(0.0) as u64;
        let frames = ((ticket.length_seconds * self.sample_rate).round() as u64).max(1);
        State::Settling {
            serial: ticket.serial,
            tag_sample: block_start,
            start_sample: block_start + settle,
            frames,
        }
    }

    fn abort(&mut self, serial: u64, reason: AbortReason) {
        let _ = self.messages.push(AudioMessage::Aborted { serial, reason });
        self.state = State::Idle;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(worker: &mut WorkerSession) -> Vec<AudioMessage> {
        std::iter::from_fn(|| worker.messages.pop().ok()).collect()
    }

    fn ramp(start: u64, n: usize) -> (Vec<f32>, Vec<f32>) {
        let left = (0..n).map(|i| (start + i as u64) as f32).collect();
        let right = (0..n).map(|i| -((start + i as u64) as f32)).collect();
        (left, right)
    }

    #[test]
    fn a_ticket_captures_exactly_its_window_for_any_block_size() {
        for block in [1usize, 7, 64, 4096] {
            let (mut audio, mut worker) = new_session(1, 48_000.0, block as u32);
            let (l, r) = ramp(0, block);
            audio.process(&l, &r, []);
            worker
                .tickets
                .push(TagTicket { serial: 9, settle_seconds: 0.001, length_seconds: 0.01 })
                .unwrap();
            let mut messages = Vec::new();
            while audio.position() < 20_000 {
                let (l, r) = ramp(audio.position(), block);
                audio.process(&l, &r, []);
                messages.extend(drain(&mut worker));
            }
            let tag_sample = block as u64;
            let expected_start = tag_sample + 48;
            assert_eq!(
                messages[0],
                AudioMessage::Started { serial: 9, tag_sample, start_sample: expected_start, frames: 480 },
                "block {block}"
            );
            let frames: Vec<[f32; 2]> = messages
                .iter()
                .filter_map(|m| match m {
                    AudioMessage::Frame(f) => Some(*f),
                    _ => None,
                })
                .collect();
            assert_eq!(frames.len(), 480);
            for (k, f) in frames.iter().enumerate() {
                let x = (expected_start + k as u64) as f32;
                assert_eq!(*f, [x, -x]);
            }
            assert_eq!(messages.last(), Some(&AudioMessage::Ended { serial: 9 }));
        }
    }

    #[test]
    fn ccs_carry_absolute_positions_and_only_cc_messages_count() {
        let (mut audio, mut worker) = new_session(1, 44_100.0, 64);
        let (l, r) = ramp(0, 64);
        audio.process(&l, &r, []);
        let events = [CcEvent::from_midi(5, [0xB3, 7, 100]), CcEvent::from_midi(6, [0x93, 60, 100])];
        audio.process(&l, &r, events.into_iter().flatten());
        assert_eq!(
            drain(&mut worker),
            [AudioMessage::Cc(CcRecord { sample: 69, channel: 3, cc: 7, value: 100 })]
        );
    }

    #[test]
    fn a_slow_worker_gets_an_overflow_abort_not_a_blocked_host() {
        let (mut audio, mut worker) = new_session(1, 1_000.0, 64);
        worker.tickets.push(TagTicket { serial: 1, settle_seconds: 0.0, length_seconds: 60.0 }).unwrap();
        let (l, r) = ramp(0, 64);
        for _ in 0..200 {
            audio.process(&l, &r, []);
        }
        let messages = drain(&mut worker);
        assert!(matches!(messages[0], AudioMessage::Started { serial: 1, .. }));
        assert_eq!(
            messages.last(),
            Some(&AudioMessage::Aborted { serial: 1, reason: AbortReason::Overflow })
        );
        // The next ticket still works.
        worker.tickets.push(TagTicket { serial: 2, settle_seconds: 0.0, length_seconds: 0.01 }).unwrap();
        audio.process(&l, &r, []);
        let messages = drain(&mut worker);
        assert_eq!(messages.last(), Some(&AudioMessage::Ended { serial: 2 }));
    }

    #[test]
    fn stopping_aborts_a_pending_capture() {
        let (mut audio, mut worker) = new_session(1, 48_000.0, 64);
        worker.tickets.push(TagTicket { serial: 4, settle_seconds: 1.0, length_seconds: 0.1 }).unwrap();
        let (l, r) = ramp(0, 64);
        audio.process(&l, &r, []);
        audio.stop();
        assert_eq!(drain(&mut worker), [AudioMessage::Aborted { serial: 4, reason: AbortReason::Stopped }]);
    }
}
