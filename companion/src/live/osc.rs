//! OSC to and from the bridge plugin: the [`OscLink`] trait, UDP (the real
//! thing) and an in-memory pair for tests.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use rackmatch_bridge::protocol::MAX_PACKET_BYTES;

/// A datagram link to one peer.
pub trait OscLink {
    /// Sends one packet.
    fn send(&mut self, packet: &[u8]) -> io::Result<()>;
    /// The next packet, waiting up to `timeout`; `None` if nothing came.
    fn recv(&mut self, timeout: Duration) -> io::Result<Option<Vec<u8>>>;
}

/// OSC over UDP to the plugin's listener.
pub struct UdpOsc {
    socket: UdpSocket,
    peer: SocketAddr,
}

impl UdpOsc {
    /// A socket on an ephemeral port that talks to `peer` (e.g. 127.0.0.1:9017).
    pub fn connect(peer: SocketAddr) -> io::Result<Self> {
        let local: SocketAddr =
            if peer.ip().is_loopback() { "127.0.0.1:0" } else { "0.0.0.0:0" }.parse().expect("literal");
        let socket = UdpSocket::bind(local)?;
        Ok(Self { socket, peer })
    }
}

impl OscLink for UdpOsc {
    fn send(&mut self, packet: &[u8]) -> io::Result<()> {
        self.socket.send_to(packet, self.peer).map(|_| ())
    }

    fn recv(&mut self, timeout: Duration) -> io::Result<Option<Vec<u8>>> {
        self.socket.set_read_timeout(Some(timeout.max(Duration::from_micros(100))))?;
        let mut buffer = vec![0u8; MAX_PACKET_BYTES + 1];
        match self.socket.recv_from(&mut buffer) {
            Ok((len, from)) if from == self.peer || from.ip() == self.peer.ip() => {
                buffer.truncate(len);
                Ok(Some(buffer))
            }
            Ok(_) => Ok(None),
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => Ok(None),
            // Linux reports an earlier send to a closed port as ECONNREFUSED on the next receive.
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// One end of an in-memory datagram link.
pub struct MemoryOsc {
    tx: Sender<Vec<u8>>,
    rx: Receiver<Vec<u8>>,
}

/// Two connected in-memory ends.
pub fn memory_osc() -> (MemoryOsc, MemoryOsc) {
    let (a_tx, b_rx) = mpsc::channel();
    let (b_tx, a_rx) = mpsc::channel();
    (MemoryOsc { tx: a_tx, rx: a_rx }, MemoryOsc { tx: b_tx, rx: b_rx })
}

impl OscLink for MemoryOsc {
    fn send(&mut self, packet: &[u8]) -> io::Result<()> {
        self.tx.send(packet.to_vec()).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "peer gone"))
    }

    fn recv(&mut self, timeout: Duration) -> io::Result<Option<Vec<u8>>> {
        match self.rx.recv_timeout(timeout) {
            Ok(packet) => Ok(Some(packet)),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => {
                std::thread::sleep(timeout);
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udp_and_memory_links_carry_packets_both_ways() {
        let (mut a, mut b) = memory_osc();
        a.send(b"ping").unwrap();
        assert_eq!(b.recv(Duration::from_millis(100)).unwrap().as_deref(), Some(&b"ping"[..]));
        assert_eq!(a.recv(Duration::from_millis(1)).unwrap(), None);

        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut link = UdpOsc::connect(peer.local_addr().unwrap()).unwrap();
        link.send(b"hello").unwrap();
        let mut buffer = [0u8; 16];
        let (len, from) = peer.recv_from(&mut buffer).unwrap();
        assert_eq!(&buffer[..len], b"hello");
        peer.send_to(b"back", from).unwrap();
        assert_eq!(link.recv(Duration::from_secs(5)).unwrap().as_deref(), Some(&b"back"[..]));
    }
}
