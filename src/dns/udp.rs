//! A lean UDP transport for survey volumes: a fixed pool of sockets per name server, queries
//! multiplexed by message ID, one receive task per socket. hickory-resolver's UDP client opens a
//! fresh socket for every query (source-port randomisation for stub resolvers on the open
//! internet); at millions of queries to one trusted resolver that socket churn is most of the
//! client's CPU. Messages are written and read on the wire ([`wire`]), answers are checked
//! against the question, and anything truncated goes to hickory-resolver for its TCP retry.
//!
//! Datagrams go out and come in by the batch: queries queue their encoded messages and one
//! send task per socket hands everything queued to the kernel in one `sendmmsg(2)`; one receive
//! task per socket takes every reply waiting in one `recvmmsg(2)`. A survey keeps hundreds of
//! queries in flight, so a syscall (and the server's wake-up) per datagram is most of the cost
//! on a fast path such as loopback. (The calls are libc's: nix would turn on libc's
//! `extra_traits`, and with it rebuild tokio and Polars.)
//!
//! Each transport measures its server's round trips (RFC 6298's estimator) so that a first
//! attempt can give up after a retransmission timeout instead of the whole timeout: a datagram
//! dropped in a burst then costs one RTO and a retry (through the crawl's rate limiter), not a
//! name's slot held for seconds.

use foldhash::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hickory_resolver::proto::op::Message;
use hickory_resolver::proto::rr::RecordType;
use std::os::fd::AsRawFd;

use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::{Notify, oneshot};

use super::wire::{self, WireName};

/// A query waiting for its reply until its deadline.
pub(super) struct Waiting {
    qname: WireName,
    rtype: RecordType,
    pub(super) deadline: Instant,
    tx: oneshot::Sender<Reply>,
}

pub(super) type Pending = Arc<std::sync::Mutex<HashMap<u16, Waiting>>>;

/// A reply to a query: read on the fast path, or by hickory-proto where that path stood
/// aside (see [`wire`]).
pub enum Reply {
    Fast(wire::Reply),
    Full(Message),
    /// A reply to the question (its ID and question section match) that neither reader can
    /// read.
    Malformed {
        truncated: bool,
        detail: String,
    },
}

impl Reply {
    /// The TC bit: the answer did not fit.
    pub fn truncated(&self) -> bool {
        match self {
            Reply::Fast(r) => r.truncated,
            Reply::Full(m) => m.metadata.truncation,
            Reply::Malformed { truncated, .. } => *truncated,
        }
    }
}

/// Encoded queries end to end, waiting for the socket's send task: one buffer, not one
/// allocation a query.
#[derive(Default)]
struct Queued {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

#[derive(Default)]
struct Outbox {
    queue: std::sync::Mutex<Queued>,
    ready: Notify,
}

struct Slot {
    pending: Pending,
    outbox: Arc<Outbox>,
    tasks: [tokio::task::JoinHandle<()>; 2],
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.tasks.iter().for_each(tokio::task::JoinHandle::abort);
    }
}

/// Datagrams one `sendmmsg` or `recvmmsg` call moves at most.
const BATCH: usize = 64;
/// Consecutive queries sent through one socket before the next takes over.
const RUN: usize = 32;
/// A reply's room: larger than any answer to our EDNS size (1,232 octets); a longer datagram
/// is cut, fails to parse and is dropped, and its query is asked again over TCP (TC) or
/// retried.
const DATAGRAM: usize = 4096;

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

/// How often queries past their deadline are given up: a timeout ends up to this much late,
/// against an RTO of at least [`MIN_RTO`]. One sweep of the waiting queries replaces a tokio
/// timer a query, which was 1.7 % of a survey's user time.
const SWEEP: Duration = Duration::from_millis(10);

pub struct UdpTransport {
    slots: Vec<Slot>,
    sweeper: tokio::task::JoinHandle<()>,
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
            let outbox: Arc<Outbox> = Arc::default();
            let tasks = [
                tokio::spawn(receive(socket.clone(), pending.clone())),
                tokio::spawn(send(socket, outbox.clone())),
            ];
            slots.push(Slot {
                pending,
                outbox,
                tasks,
            });
        }
        let sweeper = tokio::spawn(sweep(slots.iter().map(|s| s.pending.clone()).collect()));
        Ok(UdpTransport {
            slots,
            sweeper,
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
        qname: &WireName,
        rtype: RecordType,
        timeout: Duration,
    ) -> Result<Reply, UdpError> {
        // Runs of consecutive queries share a socket, so that its send task hands them to the
        // kernel in one `sendmmsg` (and wakes the server once) instead of one query a socket
        // a call; over the run every socket (and so every server thread behind
        // SO_REUSEPORT) still gets its share.
        let turn = self.next.fetch_add(1, Ordering::Relaxed) / RUN;
        let slot = &self.slots[turn % self.slots.len()];
        let start = Instant::now();
        let Some((id, rx)) = register(&slot.pending, qname, rtype, start + timeout) else {
            return Err(UdpError::Busy);
        };
        let first = {
            let mut queue = slot.outbox.queue.lock().expect("outbox lock");
            wire::write_query(&mut queue.bytes, id, qname, rtype, self.recursion_desired);
            let end = queue.bytes.len();
            queue.ends.push(end);
            queue.ends.len() == 1
        };
        if first {
            slot.outbox.ready.notify_one();
        }
        // The sweep drops the sender of a query past its deadline.
        match rx.await {
            Ok(reply) => {
                self.rtt.sample(start.elapsed());
                Ok(reply)
            }
            Err(_) => {
                self.rtt.timed_out(timeout);
                Err(UdpError::Timeout)
            }
        }
    }
}

impl Drop for UdpTransport {
    fn drop(&mut self) {
        self.sweeper.abort();
    }
}

/// Every [`SWEEP`], give up the queries past their deadline: each one's waiting query ends
/// with a timeout.
async fn sweep(pending: Vec<Pending>) {
    let mut tick = tokio::time::interval(SWEEP);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = Instant::now();
        for p in &pending {
            p.lock()
                .expect("pending map lock")
                .retain(|_, w| w.deadline > now);
        }
    }
}

/// Wait for a reply to `qname`/`rtype` under a free message ID of `pending`: the ID and where
/// the reply will come; `None` when nearly every ID is in flight.
pub(super) fn register(
    pending: &Pending,
    qname: &WireName,
    rtype: RecordType,
    deadline: Instant,
) -> Option<(u16, oneshot::Receiver<Reply>)> {
    let mut pending = pending.lock().expect("pending map lock");
    if pending.len() >= 60_000 {
        return None;
    }
    let mut id: u16 = rand::random();
    while pending.contains_key(&id) {
        id = id.wrapping_add(1);
    }
    let (tx, rx) = oneshot::channel();
    let qname = qname.clone();
    pending.insert(
        id,
        Waiting {
            qname,
            rtype,
            deadline,
            tx,
        },
    );
    Some((id, rx))
}

/// Send whatever the queries have queued, as many datagrams a syscall as are waiting. A
/// datagram the kernel refuses (the server's port closed, say) is dropped: its query times
/// out and is retried.
async fn send(socket: Arc<UdpSocket>, outbox: Arc<Outbox>) {
    let mut batch = Queued::default();
    loop {
        outbox.ready.notified().await;
        // Queries made in the same turn of the runtime queue theirs before this takes them.
        tokio::task::yield_now().await;
        std::mem::swap(&mut batch, &mut *outbox.queue.lock().expect("outbox lock"));
        let mut sent = 0;
        while sent < batch.ends.len() {
            let chunk = sent..batch.ends.len().min(sent + BATCH);
            match socket.try_io(Interest::WRITABLE, || {
                sendmmsg(socket.as_raw_fd(), &batch, chunk.clone())
            }) {
                Ok(n) => sent += n.max(1),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    let _ = socket.writable().await;
                }
                Err(_) => sent += 1,
            }
        }
        batch.bytes.clear();
        batch.ends.clear();
    }
}

/// One message header a buffer, for `sendmmsg(2)` and `recvmmsg(2)`.
fn headers(iov: &mut [libc::iovec]) -> Vec<libc::mmsghdr> {
    iov.iter_mut()
        .map(|v| {
            // SAFETY: all-zero is a valid mmsghdr (no name, no control data).
            let mut h: libc::mmsghdr = unsafe { std::mem::zeroed() };
            h.msg_hdr.msg_iov = v;
            h.msg_hdr.msg_iovlen = 1;
            h
        })
        .collect()
}

/// `sendmmsg(2)` of the queued datagrams `which` on the connected socket `fd`: how many went.
fn sendmmsg(
    fd: std::os::fd::RawFd,
    queued: &Queued,
    which: std::ops::Range<usize>,
) -> std::io::Result<usize> {
    let mut iov: Vec<libc::iovec> = which
        .map(|i| {
            let start = i.checked_sub(1).map_or(0, |p| queued.ends[p]);
            let d = &queued.bytes[start..queued.ends[i]];
            libc::iovec {
                iov_base: d.as_ptr() as *mut libc::c_void,
                iov_len: d.len(),
            }
        })
        .collect();
    let mut hdrs = headers(&mut iov);
    // SAFETY: `hdrs` points at `iov`, which points into `queued`; all outlive the call, and
    // the kernel only reads them.
    let n = unsafe { libc::sendmmsg(fd, hdrs.as_mut_ptr(), hdrs.len() as libc::c_uint, 0) };
    match n {
        -1 => Err(std::io::Error::last_os_error()),
        n => Ok(n as usize),
    }
}

/// Room for one `recvmmsg(2)` call's datagrams.
struct Inbox {
    bufs: Vec<u8>,
    lens: [usize; BATCH],
}

impl Inbox {
    fn new() -> Inbox {
        Inbox {
            bufs: vec![0; BATCH * DATAGRAM],
            lens: [0; BATCH],
        }
    }

    /// Take every datagram waiting on `fd`, up to [`BATCH`]: how many.
    fn recvmmsg(&mut self, fd: std::os::fd::RawFd) -> std::io::Result<usize> {
        let mut iov: Vec<libc::iovec> = self
            .bufs
            .chunks_mut(DATAGRAM)
            .map(|b| libc::iovec {
                iov_base: b.as_mut_ptr() as *mut libc::c_void,
                iov_len: b.len(),
            })
            .collect();
        let mut hdrs = headers(&mut iov);
        // SAFETY: `hdrs` points at `iov`, which points at `self.bufs`; the kernel writes at
        // most `iov_len` octets into each, and all outlive the call.
        let n = unsafe {
            libc::recvmmsg(
                fd,
                hdrs.as_mut_ptr(),
                BATCH as libc::c_uint,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if n == -1 {
            return Err(std::io::Error::last_os_error());
        }
        let n = n as usize;
        for (len, h) in self.lens.iter_mut().zip(&hdrs[..n]) {
            *len = h.msg_len as usize;
        }
        Ok(n)
    }

    fn datagram(&self, i: usize) -> &[u8] {
        &self.bufs[i * DATAGRAM..i * DATAGRAM + self.lens[i].min(DATAGRAM)]
    }
}

/// Hand each reply to the query waiting for its ID, if it answers that question; drop
/// anything else (late replies, strays, replies to another question).
async fn receive(socket: Arc<UdpSocket>, pending: Pending) {
    let mut inbox = Inbox::new();
    loop {
        if socket.readable().await.is_err() {
            continue;
        }
        // Until drained (readiness cleared) or an error such as ICMP port unreachable (the
        // waiting queries then time out).
        while let Ok(n) = socket.try_io(Interest::READABLE, || inbox.recvmmsg(socket.as_raw_fd())) {
            for i in 0..n {
                let datagram = inbox.datagram(i);
                deliver(datagram, datagram.len() >= DATAGRAM, &pending);
            }
            if n < BATCH {
                break;
            }
        }
    }
}

/// One reply to its query, read there. A reply that answers the question but cannot be read
/// ends its query at once as [`Reply::Malformed`]: waited on, it would read as a timeout.
/// Only a datagram `cut` at the room of the receive buffer is dropped, its query left to its
/// retries.
pub(super) fn deliver(datagram: &[u8], cut: bool, pending: &Pending) {
    let Some(id) = wire::id(datagram) else {
        return;
    };
    let mut map = pending.lock().expect("pending map lock");
    let Some(w) = map.get(&id) else {
        return;
    };
    if !wire::answers(datagram, &w.qname, w.rtype) {
        return;
    }
    let reply = match wire::read_reply(datagram, w.rtype) {
        Some(r) => Reply::Fast(r),
        None => match Message::from_vec(datagram) {
            Ok(m) => Reply::Full(m),
            Err(_) if cut => return,
            Err(e) => Reply::Malformed {
                truncated: wire::truncated(datagram),
                detail: format!("unreadable reply: {e}"),
            },
        },
    };
    if let Some(w) = map.remove(&id) {
        let _ = w.tx.send(reply);
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

    /// A reply whose TXT record has no character-string at all (RDLENGTH 0, where RFC 1035
    /// §3.3.14 wants one or more) ends its query at once, as malformed, and not as the
    /// timeout that dropping it made of it; only a datagram cut at the receive buffer's room
    /// is still dropped, for its query's retries.
    #[test]
    fn an_unreadable_reply_to_the_question_ends_its_query_at_once() {
        let qname = WireName::parse("bad-txt.jp").unwrap();
        let mut m = Vec::new();
        wire::write_query(&mut m, 0, &qname, RecordType::TXT, true);
        m.truncate(m.len() - 11); // the OPT record
        m[2..4].copy_from_slice(&0x8180u16.to_be_bytes()); // QR RD RA, NOERROR
        m[6..8].copy_from_slice(&1u16.to_be_bytes()); // ANCOUNT
        m[10..12].copy_from_slice(&0u16.to_be_bytes()); // ARCOUNT
        // bad-txt.jp (a pointer to the question's name) TXT IN, TTL 300, RDLENGTH 0.
        m.extend_from_slice(&[0xc0, 12, 0, 16, 0, 1, 0, 0, 1, 44, 0, 0]);
        for cut in [false, true] {
            let pending: Pending = Arc::default();
            let deadline = Instant::now() + Duration::from_secs(5);
            let (id, mut rx) = register(&pending, &qname, RecordType::TXT, deadline).unwrap();
            m[..2].copy_from_slice(&id.to_be_bytes());
            deliver(&m, cut, &pending);
            match (cut, rx.try_recv()) {
                (false, Ok(reply @ Reply::Malformed { .. })) => {
                    let got = super::super::read(reply, RecordType::TXT);
                    assert_eq!(got.outcome, super::super::Outcome::Malformed);
                    assert!(got.detail.unwrap().starts_with("unreadable reply"));
                    // A failure, never absence, and not asked again: it would read the same.
                    assert!(!got.outcome.is_resolved() && !got.outcome.is_retryable());
                }
                (true, Err(oneshot::error::TryRecvError::Empty)) => {}
                (_, got) => panic!("cut {cut}: {:?}", got.map(|r| r.truncated())),
            }
        }
    }
}
