//! DNS over TCP for what UDP cannot carry (a truncated reply, a socket out of message IDs):
//! one connection per server, kept open, its queries pipelined and their replies matched by
//! message ID (RFC 7766 §6.2.1.1: a server may answer pipelined queries out of order). Read
//! and written on the wire like UDP ([`wire`]); hickory-resolver's TCP path cost ten times
//! more a query, in its name server pool, cache and message objects. A connection the server
//! closes (idle, or at its client limit) is opened again by the next query; the queries left
//! waiting on it end in an error, which the crawler retries.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hickory_resolver::proto::rr::RecordType;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::oneshot;

use super::udp::{Pending, Reply, deliver, register};
use super::wire::{self, WireName};

/// Why a query over TCP got no reply.
#[derive(Debug)]
pub enum TcpError {
    Timeout,
    /// The connection could not be made, written to, or closed under the query: what failed.
    Failed(String),
}

/// An open connection: its writing half, and the queries its reading task answers.
struct Conn {
    write: OwnedWriteHalf,
    pending: Pending,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

pub struct TcpTransport {
    server: SocketAddr,
    recursion_desired: bool,
    conn: tokio::sync::Mutex<Option<Conn>>,
}

impl TcpTransport {
    /// Connects on the first query.
    pub fn new(server: SocketAddr, recursion_desired: bool) -> TcpTransport {
        TcpTransport {
            server,
            recursion_desired,
            conn: tokio::sync::Mutex::new(None),
        }
    }

    /// Send one question and wait up to `timeout` (connecting included) for its reply.
    pub async fn query(
        &self,
        qname: &WireName,
        rtype: RecordType,
        timeout: Duration,
    ) -> Result<Reply, TcpError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let reply = self.send(qname, rtype, deadline).await?;
        match tokio::time::timeout_at(deadline, reply).await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(_)) => Err(TcpError::Failed(format!(
                "TCP connection to {} closed",
                self.server
            ))),
            Err(_) => Err(TcpError::Timeout),
        }
    }

    /// Write the query on the connection, opened first if need be, by `deadline`; where the
    /// reply will come. A write cut short takes its connection with it: the server would read
    /// the next query as the rest of this one.
    async fn send(
        &self,
        qname: &WireName,
        rtype: RecordType,
        deadline: tokio::time::Instant,
    ) -> Result<oneshot::Receiver<Reply>, TcpError> {
        let mut conn = self.conn.lock().await;
        if conn.as_ref().is_some_and(|c| c.reader.is_finished()) {
            *conn = None;
        }
        if conn.is_none() {
            let made = tokio::time::timeout_at(deadline, self.connect()).await;
            *conn = Some(made.map_err(|_| TcpError::Timeout)??);
        }
        let c = conn.as_mut().expect("connected above");
        // Queries that timed out leave their entries; they go here, not one by one.
        let now = Instant::now();
        c.pending
            .lock()
            .expect("pending map lock")
            .retain(|_, w| w.deadline > now);
        let (id, reply) = register(&c.pending, qname, rtype, deadline.into_std())
            .ok_or_else(|| TcpError::Failed("every TCP message ID in flight".into()))?;
        // RFC 1035 §4.2.2: each message after its length, two octets.
        let mut frame = vec![0, 0];
        wire::write_query(&mut frame, id, qname, rtype, self.recursion_desired);
        let len = u16::try_from(frame.len() - 2).expect("a query is under 64 KiB");
        frame[..2].copy_from_slice(&len.to_be_bytes());
        let failed = match tokio::time::timeout_at(deadline, c.write.write_all(&frame)).await {
            Ok(Ok(())) => return Ok(reply),
            Ok(Err(e)) => TcpError::Failed(format!("TCP write to {}: {e}", self.server)),
            Err(_) => TcpError::Timeout,
        };
        *conn = None;
        Err(failed)
    }

    async fn connect(&self) -> Result<Conn, TcpError> {
        let stream = TcpStream::connect(self.server)
            .await
            .map_err(|e| TcpError::Failed(format!("TCP connect to {}: {e}", self.server)))?;
        // Each query is one small write, to be sent at once.
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        let pending = Pending::default();
        let reader = tokio::spawn(receive(read, pending.clone()));
        Ok(Conn {
            write,
            pending,
            reader,
        })
    }
}

/// Read replies off the connection until it closes, each to its query; then the queries still
/// waiting on it end (their senders dropped).
async fn receive(read: OwnedReadHalf, pending: Pending) {
    // Buffered: pipelined replies arrive together, and each has two reads (length, message).
    let mut read = BufReader::with_capacity(1 << 16, read);
    let mut message = Vec::new();
    while let Ok(len) = read.read_u16().await {
        message.resize(usize::from(len), 0);
        if read.read_exact(&mut message).await.is_err() {
            break;
        }
        deliver(&message, false, &pending);
    }
    pending.lock().expect("pending map lock").clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_resolver::proto::op::{Message, MessageType, OpCode, Query};
    use hickory_resolver::proto::rr::rdata::TXT;
    use hickory_resolver::proto::rr::{RData, Record};
    use tokio::net::TcpListener;

    /// A server that reads two queries off each connection, answers them in the reverse
    /// order (each with a TXT record naming the name asked), then closes the connection.
    async fn two_and_close(listener: TcpListener) {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let mut replies = Vec::new();
            for _ in 0..2 {
                let Ok(len) = s.read_u16().await else { break };
                let mut q = vec![0; usize::from(len)];
                s.read_exact(&mut q).await.unwrap();
                let q = Message::from_vec(&q).unwrap();
                let asked = q.queries[0].name().clone();
                let mut r = Message::new(q.metadata.id, MessageType::Response, OpCode::Query);
                r.add_query(Query::query(asked.clone(), RecordType::TXT));
                let txt = RData::TXT(TXT::new(vec![asked.to_ascii()]));
                r.add_answer(Record::from_rdata(asked, 60, txt));
                let r = r.to_vec().unwrap();
                let mut frame = u16::try_from(r.len()).unwrap().to_be_bytes().to_vec();
                frame.extend(r);
                replies.push(frame);
            }
            for frame in replies.iter().rev() {
                s.write_all(frame).await.unwrap();
            }
        }
    }

    fn record(reply: Result<Reply, TcpError>) -> String {
        match reply {
            Ok(Reply::Fast(r)) => r.answer.records.concat(),
            Ok(Reply::Full(_) | Reply::Malformed { .. }) => {
                panic!("a TXT reply is read on the fast path")
            }
            Err(e) => panic!("no reply: {e:?}"),
        }
    }

    #[tokio::test]
    async fn pipelined_replies_find_their_queries_and_a_closed_connection_is_reopened() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = listener.local_addr().unwrap();
        tokio::spawn(two_and_close(listener));
        let tcp = TcpTransport::new(server, false);
        let (a, b) = (
            WireName::parse("a.jp").unwrap(),
            WireName::parse("b.jp").unwrap(),
        );
        let wait = Duration::from_secs(5);
        let (ra, rb) = tokio::join!(
            tcp.query(&a, RecordType::TXT, wait),
            tcp.query(&b, RecordType::TXT, wait)
        );
        assert_eq!(record(ra), "a.jp.");
        assert_eq!(record(rb), "b.jp.");
        // The server has closed that connection; once its end is read, a query opens another.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (rc, rd) = tokio::join!(
            tcp.query(&b, RecordType::TXT, wait),
            tcp.query(&a, RecordType::TXT, wait)
        );
        assert_eq!(record(rc), "b.jp.");
        assert_eq!(record(rd), "a.jp.");
    }

    #[tokio::test]
    async fn no_server_is_a_failure_and_a_silent_one_a_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = listener.local_addr().unwrap();
        let name = WireName::parse("a.jp").unwrap();
        // Accepted, never answered.
        let silent = TcpTransport::new(server, false);
        let got = silent
            .query(&name, RecordType::TXT, Duration::from_millis(200))
            .await;
        assert!(matches!(got, Err(TcpError::Timeout)), "{:?}", got.err());
        drop(listener);
        let closed = TcpTransport::new(server, false);
        let got = closed
            .query(&name, RecordType::TXT, Duration::from_secs(5))
            .await;
        assert!(matches!(got, Err(TcpError::Failed(_))), "{:?}", got.err());
    }
}
