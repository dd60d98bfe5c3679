//! Where a run's finished names go: on a thread of its own, each chunk of them becomes a
//! journal frame (durable before the next is taken) and then part of a results.parquet row
//! group, so that the thread asking the DNS only moves finished names in.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::results::{ROW_GROUP, ResultsFile};
use super::{JournalWriter, RunError};
use crate::record::NameResult;

/// Names a chunk holds at the most: a journal frame.
const CHUNK: usize = 4096;
/// How long a chunk's first name waits for the rest at the most: at a slow survey's pace, a
/// crash loses about a second of finished names, not a chunk's worth.
const CHUNK_AGE: Duration = Duration::from_secs(1);

/// A chunk of finished names; `held[i]` keeps name `i` out of results.parquet (journaled
/// only: the survey's last pass asks it again and writes its new row).
struct Chunk {
    rows: Vec<NameResult>,
    held: Vec<bool>,
}

impl Chunk {
    fn with_capacity(n: usize) -> Chunk {
        Chunk {
            rows: Vec::with_capacity(n),
            held: Vec::with_capacity(n),
        }
    }

    fn clear(&mut self) {
        self.rows.clear();
        self.held.clear();
    }

    /// The rows results.parquet takes.
    fn kept(&self) -> impl Iterator<Item = &NameResult> {
        self.rows
            .iter()
            .zip(&self.held)
            .filter(|(_, h)| !**h)
            .map(|(r, _)| r)
    }
}

enum Message {
    Rows(Chunk),
    /// Every name was handed over: finish results.parquet. Without it (an error, a drop),
    /// the journal keeps what it was given and no results file is left.
    Finish,
}

/// Takes finished names and writes them, the journal first, on its own thread.
pub struct RunWriter {
    chunk: Chunk,
    /// When the chunk's first name came.
    opened: Instant,
    tx: Option<SyncSender<Message>>,
    /// Chunks handed back once written, to be emptied on this thread, which allocated their
    /// strings: memory freed by another thread is slow to come back to the allocator's owner,
    /// which meanwhile takes fresh pages for the kernel to zero.
    spare: Receiver<Chunk>,
    thread: Option<JoinHandle<Result<u64, RunError>>>,
}

impl RunWriter {
    /// A writer to the journal, to results.parquet, or to both (the journal first).
    pub fn new(journal: Option<JournalWriter>, results: Option<ResultsFile>) -> RunWriter {
        // One chunk queued while one is written: memory stays a few row groups.
        let (tx, rx) = sync_channel(1);
        let (spare_tx, spare) = sync_channel(2 * ROW_GROUP / CHUNK);
        let thread = std::thread::spawn(move || write(rx, spare_tx, journal, results));
        RunWriter {
            chunk: Chunk::with_capacity(CHUNK),
            opened: Instant::now(),
            tx: Some(tx),
            spare,
            thread: Some(thread),
        }
    }

    pub fn push(&mut self, r: NameResult) -> Result<(), RunError> {
        self.add(r, false)
    }

    /// Journal `r` but keep it out of results.parquet: a row to be superseded by a later
    /// `push` of the same name before the writer finishes.
    pub fn push_held(&mut self, r: NameResult) -> Result<(), RunError> {
        self.add(r, true)
    }

    fn add(&mut self, r: NameResult, held: bool) -> Result<(), RunError> {
        if self.chunk.rows.is_empty() {
            self.opened = Instant::now();
        }
        self.chunk.rows.push(r);
        self.chunk.held.push(held);
        if self.chunk.rows.len() >= CHUNK || self.opened.elapsed() >= CHUNK_AGE {
            self.send()?;
        }
        Ok(())
    }

    fn send(&mut self) -> Result<(), RunError> {
        let mut next = self
            .spare
            .try_recv()
            .unwrap_or_else(|_| Chunk::with_capacity(CHUNK));
        next.clear();
        let chunk = std::mem::replace(&mut self.chunk, next);
        let sent = self.tx.as_ref().map(|tx| tx.send(Message::Rows(chunk)));
        if let Some(Err(_)) = sent {
            // The writer stopped on an error: report it now.
            return self.join().map(|_| ());
        }
        Ok(())
    }

    fn join(&mut self) -> Result<u64, RunError> {
        self.tx = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => Ok(0),
        }
    }

    /// Hand over the names not yet sent.
    fn send_rest(&mut self) -> Result<(), RunError> {
        match self.chunk.rows.is_empty() {
            true => Ok(()),
            false => self.send(),
        }
    }

    /// Write what is left, finish results.parquet, wait for the writer: the names written.
    pub fn finish(mut self) -> Result<u64, RunError> {
        self.send_rest()?;
        if let Some(tx) = &self.tx {
            // A stopped writer says why when joined.
            let _ = tx.send(Message::Finish);
        }
        self.join()
    }

    /// Journal what is left and stop, leaving no results file: the run ends on an error and
    /// is to be resumed.
    pub fn abandon(mut self) -> Result<(), RunError> {
        self.send_rest()?;
        self.join().map(|_| ())
    }

    /// End as the run ended: finished when it succeeded, else abandoned and its error given
    /// back (the writer's own error first, if it failed too).
    pub fn close<E: From<RunError>>(self, ended: Result<(), E>) -> Result<u64, E> {
        match ended {
            Ok(()) => Ok(self.finish()?),
            Err(e) => {
                self.abandon()?;
                Err(e)
            }
        }
    }
}

/// The writer's thread: each chunk journaled, then gathered into row groups of at least
/// [`ROW_GROUP`] rows; written chunks go back whole.
fn write(
    rx: Receiver<Message>,
    spare: SyncSender<Chunk>,
    mut journal: Option<JournalWriter>,
    mut results: Option<ResultsFile>,
) -> Result<u64, RunError> {
    let mut group: Vec<Chunk> = Vec::new();
    let mut in_group = 0;
    let mut written = 0u64;
    let mut finished = false;
    let give_back = |chunk| {
        // Full or gone: dropped here.
        let _ = spare.try_send(chunk);
    };
    let flush = |group: &mut Vec<Chunk>, file: &mut ResultsFile| {
        let rows: Vec<&NameResult> = group.iter().flat_map(Chunk::kept).collect();
        file.write(&rows)?;
        group.drain(..).for_each(give_back);
        Ok::<(), RunError>(())
    };
    for message in rx {
        let mut chunk = match message {
            Message::Rows(chunk) => chunk,
            Message::Finish => {
                finished = true;
                break;
            }
        };
        if let Some(j) = journal.as_mut() {
            j.write(&chunk.rows)?;
        }
        written += chunk.rows.len() as u64;
        match results.as_mut() {
            Some(file) => {
                // A chunk sent for its age holds a few names in room for 4,096 (six
                // megabytes): a slow survey's row group would gather hundreds of them.
                chunk.rows.shrink_to_fit();
                chunk.held.shrink_to_fit();
                in_group += chunk.kept().count();
                group.push(chunk);
                if in_group >= ROW_GROUP {
                    flush(&mut group, file)?;
                    in_group = 0;
                }
            }
            None => give_back(chunk),
        }
    }
    match (results, finished) {
        (Some(mut file), true) => {
            if in_group > 0 {
                flush(&mut group, &mut file)?;
            }
            file.finish()?;
        }
        (Some(file), false) => file.discard(),
        (None, _) => {}
    }
    Ok(written)
}
