//! A lean UDP transport for survey volumes: a fixed pool of sockets per name server, queries
//! multiplexed by message ID, one receive task per socket. hickory-resolver's UDP client opens a
//! fresh socket for every query (source-port randomisation for stub resolvers on the open
//! internet); at millions of queries to one trusted resolver that socket churn is most of the
//! client's CPU. Messages are still built and parsed by hickory-proto, answers are checked
//! against the question, and anything truncated goes to hickory-resolver for its TCP retry.
//!
//! Each transport measures its server's round trips (RFC 6298's estimator) so that a first
//! attempt can give up after a retransmission timeout instead of the whole timeout: a datagram
//! dropped in a burst then costs one RTO and a retry (through the crawl's rate limiter), not a
//! name's slot held for seconds.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hickory_resolver::proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_resolver::proto::rr::{Name, RecordType};
use tokio::net::UdpSocket;
use tokio::sync::oneshot;

type Pending = Arc<std::sync::Mutex<HashMap<u16, (Name, RecordType, oneshot::Sender<Message>)>>>;

struct Slot {
    socket: Arc<UdpSocket>,
    pending: Pending,
    receiver: tokio::task::JoinHandle<()>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.receiver.abort();
    }
}

/// Ask for a 4 MiB receive buffer (Linux caps it at net.core.rmem_max): replies to thousands
/// of queries in flight arrive in bursts, and the 208 KiB default overflows, which would turn
/// answered queries into timeouts.
pub fn grow_receive_buffer(socket: &UdpSocket) {
    // Best effort: a smaller buffer only costs retries, never a wrong outcome.
    let _ = socket2::SockRef::from(socket).set_recv_buffer_size(4 << 20);
}

/// Why a query got no usable reply.
#[derive(Debug)]
pub enum UdpError {
    Timeout,
    /// Every message ID of the socket is in flight; the caller may try the other transport.
    Busy,
    Io(std::io::Error),
    Encode(String),
}

/// Round-trip estimate of one server (RFC 6298 §2), in microseconds; 0 before any sample.
#[derive(Default)]
struct Rtt {
    srtt: AtomicU64,
    rttvar: AtomicU64,
}

/// The floor of the RTO. A caching resolver answers hits in microseconds and misses only
/// after its own upstream round trips, so the measured mean says little about a miss: below
/// this, slow-but-alive answers would be asked for again.
const MIN_RTO: Duration = Duration::from_millis(250);

impl Rtt {
    /// `None` before any reply.
    fn rto(&self) -> Option<Duration> {
        let srtt = self.srtt.load(Ordering::Relaxed);
        if srtt == 0 {
            return None;
        }
        let rto = srtt + 4 * self.rttvar.load(Ordering::Relaxed);
        Some(Duration::from_micros(rto).max(MIN_RTO))
    }

    /// A first attempt timed out after `waited`: its reply, if any, will not be sampled, so
    /// raise the estimate to at least that long (RFC 6298 §5.5 backs the RTO off likewise).
    /// Without this, replies slower than the RTO would never be measured and every query to
    /// a loaded server would be sent three times.
    fn timed_out(&self, waited: Duration) {
        let w = waited.as_micros().min(u128::from(u32::MAX)) as u64;
        self.srtt.fetch_max(w.max(1), Ordering::Relaxed);
        self.rttvar.fetch_max(w / 2, Ordering::Relaxed);
    }

    /// Racy updates from many tasks only blur the estimate; it stays within the samples.
    fn sample(&self, rtt: Duration) {
        let r = rtt.as_micros().min(u128::from(u32::MAX)) as u64;
        let srtt = self.srtt.load(Ordering::Relaxed);
        if srtt == 0 {
            self.srtt.store(r.max(1), Ordering::Relaxed);
            self.rttvar.store(r / 2, Ordering::Relaxed);
            return;
        }
        let var = self.rttvar.load(Ordering::Relaxed);
        self.rttvar
            .store((3 * var + srtt.abs_diff(r)) / 4, Ordering::Relaxed);
        self.srtt
            .store(((7 * srtt + r) / 8).max(1), Ordering::Relaxed);
    }
}

pub struct UdpTransport {
    slots: Vec<Slot>,
    next: AtomicUsize,
    recursion_desired: bool,
    rtt: Rtt,
}

impl UdpTransport {
    /// `sockets` sockets, each connected to `server`.
    pub async fn connect(
        server: SocketAddr,
        sockets: usize,
        recursion_desired: bool,
    ) -> std::io::Result<UdpTransport> {
        let mut slots = Vec::with_capacity(sockets);
        for _ in 0..sockets.max(1) {
            let bind: SocketAddr = if server.is_ipv4() {
                "0.0.0.0:0".parse().expect("valid")
            } else {
                "[::]:0".parse().expect("valid")
            };
            let socket = UdpSocket::bind(bind).await?;
            grow_receive_buffer(&socket);
            let socket = Arc::new(socket);
            socket.connect(server).await?;
            let pending: Pending = Arc::default();
            let receiver = tokio::spawn(receive(socket.clone(), pending.clone()));
            slots.push(Slot {
                socket,
                pending,
                receiver,
            });
        }
        Ok(UdpTransport {
            slots,
            next: AtomicUsize::new(0),
            recursion_desired,
            rtt: Rtt::default(),
        })
    }

    /// How long a first attempt waits: the RTO, within `timeout`; `timeout` before any reply.
    pub fn first_timeout(&self, timeout: Duration) -> Duration {
        self.rtt.rto().map_or(timeout, |rto| rto.min(timeout))
    }

    /// Send one question and wait up to `timeout` for its reply.
    pub async fn query(
        &self,
        name: &Name,
        rtype: RecordType,
        timeout: Duration,
    ) -> Result<Message, UdpError> {
        let slot = &self.slots[self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len()];
        let (tx, rx) = oneshot::channel();
        let id = {
            let mut pending = slot.pending.lock().expect("pending map lock");
            if pending.len() >= 60_000 {
                return Err(UdpError::Busy);
            }
            let mut id: u16 = rand::random();
            while pending.contains_key(&id) {
                id = id.wrapping_add(1);
            }
            pending.insert(id, (name.clone(), rtype, tx));
            id
        };
        let mut msg = Message::new(id, MessageType::Query, OpCode::Query);
        msg.metadata.recursion_desired = self.recursion_desired;
        // RFC 6840 §5.7: AD in a query asks a validating resolver to say, by AD in the
        // reply, whether it validated the answer (without the DNSSEC records DO would bring).
        msg.metadata.authentic_data = true;
        msg.add_query(Query::query(name.clone(), rtype));
        let mut edns = Edns::new();
        edns.set_max_payload(1232);
        msg.set_edns(edns);
        let forget = || {
            slot.pending.lock().expect("pending map lock").remove(&id);
        };
        let bytes = match msg.to_vec() {
            Ok(b) => b,
            Err(e) => {
                forget();
                return Err(UdpError::Encode(e.to_string()));
            }
        };
        let start = Instant::now();
        if let Err(e) = slot.socket.send(&bytes).await {
            forget();
            return Err(UdpError::Io(e));
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(reply)) => {
                self.rtt.sample(start.elapsed());
                Ok(reply)
            }
            _ => {
                forget();
                self.rtt.timed_out(timeout);
                Err(UdpError::Timeout)
            }
        }
    }
}

/// Hand each reply to the query waiting for its ID, if it answers that question; drop
/// anything else (late replies, strays, replies to another question).
async fn receive(socket: Arc<UdpSocket>, pending: Pending) {
    let mut buf = vec![0u8; 65_535];
    loop {
        let n = match socket.recv(&mut buf).await {
            Ok(n) => n,
            // ICMP port unreachable and the like: the waiting query times out.
            Err(_) => continue,
        };
        let Ok(reply) = Message::from_vec(&buf[..n]) else {
            continue;
        };
        let mut map = pending.lock().expect("pending map lock");
        let matches = map.get(&reply.metadata.id).is_some_and(|(name, rtype, _)| {
            reply.queries.first().is_some_and(|q| {
                // Name equality is case-insensitive (RFC 4343).
                q.query_type() == *rtype && q.name() == name
            })
        });
        if matches && let Some((_, _, tx)) = map.remove(&reply.metadata.id) {
            let _ = tx.send(reply);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rto_follows_the_round_trips_within_bounds() {
        let rtt = Rtt::default();
        assert_eq!(rtt.rto(), None);
        for _ in 0..20 {
            rtt.sample(Duration::from_micros(300));
        }
        assert_eq!(
            rtt.rto(),
            Some(MIN_RTO),
            "a loopback server waits the floor"
        );
        for _ in 0..50 {
            rtt.sample(Duration::from_millis(400));
        }
        let rto = rtt.rto().unwrap();
        assert!(
            rto >= Duration::from_millis(400) && rto < Duration::from_millis(700),
            "{rto:?}"
        );
        // A timeout raises it past what was waited, so slower replies get measured.
        rtt.timed_out(Duration::from_secs(1));
        assert!(rtt.rto().unwrap() >= Duration::from_secs(3));
    }
}
