//! Audio-thread cost of the bridge per block, capture on versus passthrough
//! only (the capture core, and the whole CLAP plugin in the test host), and
//! the time from a tag to its clip on disk.

use std::hint::black_box;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rackmatch_bridge::capture::{new_session, AudioCapture, AudioMessage, TagTicket, WorkerSession};
use rackmatch_bridge::protocol::{self, Reply, TagRequest};
use rackmatch_bridge::settings::Settings;
use rackmatch_bridge_host::{load, Format, HostedPlugin};

const RATE: f64 = 48_000.0;

/// One host block on the audio thread: passthrough copy, then the capture core.
/// Returns the time it took; the worker's draining (another thread in the
/// plugin) happens outside the timing, and a finished capture is re-armed.
fn timed_block(
    capture: &mut AudioCapture,
    worker: &mut WorkerSession,
    capturing: bool,
    input: &[f32],
    output: &mut [Vec<f32>; 2],
) -> Duration {
    let mut rearm = false;
    while let Ok(message) = worker.messages.pop() {
        rearm |= matches!(message, AudioMessage::Ended { .. } | AudioMessage::Aborted { .. });
    }
    if capturing && rearm {
        let _ = worker.tickets.push(TagTicket { serial: 0, settle_seconds: 0.0, length_seconds: 60.0 });
    }
    let start = Instant::now();
    for out in output.iter_mut() {
        out.copy_from_slice(input);
    }
    capture.process(&output[0], &output[1], []);
    black_box(&output);
    start.elapsed()
}

fn capture_core(c: &mut Criterion) {
    let mut group = c.benchmark_group("capture_core");
    for block in [64usize, 2048] {
        let input = vec![0.25f32; block];
        for capturing in [false, true] {
            let name = if capturing { "capturing" } else { "passthrough" };
            let (mut capture, mut worker) = new_session(1, RATE, block as u32);
            if capturing {
                worker
                    .tickets
                    .push(TagTicket { serial: 0, settle_seconds: 0.0, length_seconds: 60.0 })
                    .unwrap();
            }
            let mut output = [vec![0.0f32; block], vec![0.0f32; block]];
            group.bench_function(BenchmarkId::new(name, block), |b| {
                b.iter_custom(|iterations| {
                    (0..iterations)
                        .map(|_| timed_block(&mut capture, &mut worker, capturing, &input, &mut output))
                        .sum()
                })
            });
            let mut times: Vec<Duration> = (0..200_000)
                .map(|_| timed_block(&mut capture, &mut worker, capturing, &input, &mut output))
                .collect();
            times.sort();
            eprintln!(
                "capture_core {name}/{block}: median {:?}, p99.9 {:?}, worst {:?} per block over {} blocks",
                times[times.len() / 2],
                times[times.len() * 999 / 1000],
                times[times.len() - 1],
                times.len()
            );
        }
    }
    group.finish();
}

/// The CLAP plugin in the test host, with its companion socket.
fn hosted(block: u32, root: &std::path::Path) -> (Box<dyn HostedPlugin>, UdpSocket, u16) {
    let mut plugin = load(Format::Clap).expect("run ./scripts/bundle first");
    let port = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let settings = Settings { bind: "127.0.0.1".parse().unwrap(), port, clip_root: root.to_path_buf() };
    plugin.load_state(&settings.to_state()).unwrap();
    plugin.activate(RATE, block).unwrap();
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let mut buffer = [0u8; 9000];
    loop {
        socket.send_to(&protocol::encode(protocol::PING, vec![]), ("127.0.0.1", port)).unwrap();
        if let Ok((len, _)) = socket.recv_from(&mut buffer) {
            if matches!(Reply::decode(&buffer[..len]), Some(Reply::Pong { .. })) {
                break;
            }
        }
    }
    (plugin, socket, port)
}

fn clap_plugin(c: &mut Criterion) {
    let root = std::env::temp_dir().join(format!("rackmatch-bench-{}", std::process::id()));
    let (mut plugin, socket, port) = hosted(64, &root);
    let input = [vec![0.25f32; 64], vec![-0.25f32; 64]];
    let mut output = [vec![0.0f32; 64], vec![0.0f32; 64]];
    let mut group = c.benchmark_group("clap_plugin");
    group.bench_function("passthrough/64", |b| {
        b.iter(|| {
            let [l, r] = &mut output;
            plugin.process([&input[0], &input[1]], [l, r], &[]).unwrap();
        })
    });
    group.finish();

    // Tag to clip on disk: 10 ms clips, settle 0, blocks of 64 processed as fast as they go.
    socket.set_nonblocking(true).unwrap();
    let mut buffer = [0u8; 9000];
    let mut group = c.benchmark_group("tag_to_clip");
    group.sample_size(20);
    group.bench_function("clap_48k_block64_10ms", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for k in 0..iterations {
                let tag = TagRequest {
                    id: format!("bench-{k}"),
                    clip_dir: "bench".into(),
                    params: Default::default(),
                    ccs: Default::default(),
                    settle_seconds: 0.0,
                    length_seconds: 0.01,
                };
                let start = Instant::now();
                socket.send_to(&protocol::encode_tag(&tag), ("127.0.0.1", port)).unwrap();
                loop {
                    let [l, r] = &mut output;
                    plugin.process([&input[0], &input[1]], [l, r], &[]).unwrap();
                    if let Ok((len, _)) = socket.recv_from(&mut buffer) {
                        if let Some(Reply::Done { .. } | Reply::Error { .. }) = Reply::decode(&buffer[..len])
                        {
                            break;
                        }
                    }
                }
                total += start.elapsed();
            }
            total
        })
    });
    group.finish();
    drop(plugin);
    let _ = std::fs::remove_dir_all(&root);
}

criterion_group!(benches, capture_core, clap_plugin);
criterion_main!(benches);
