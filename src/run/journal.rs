//! `journal.bin`: the append-only record of every finished name, what makes `--resume` after
//! a crash lose nothing and repeat nothing, and what `--retry-unresolved` and `merge` read.
//!
//! After a 12-byte header (`MCJOURNL` and the format number, little-endian), the file is a
//! sequence of frames: the payload's length and its CRC-32 (each a little-endian u32), then
//! the payload, a zstd-compressed batch of records, each its length (u32) and its postcard
//! encoding: the name's lookups, without the judgement, which the reader makes again. A frame
//! is written and fsync'd whole for every chunk of finished names the run's writer hands over
//! (see [`RunWriter`](super::RunWriter)), so a crash loses at most the chunks in memory, which
//! a resume crawls again. Reading, a frame cut short, or whose checksum fails, at the end of
//! the file is a crash's torn tail: it is dropped (and cut off before the next append);
//! anywhere else it is damage, an error naming the frame and its offset.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::{RunDir, RunError, io_err};
use crate::record::NameResult;

pub const JOURNAL_FILE: &str = "journal.bin";
const MAGIC: &[u8; 8] = b"MCJOURNL";
/// The journal's format; a journal of another format is refused, never misread.
pub const JOURNAL_FORMAT: u32 = 9;
const HEADER: u64 = 12;
/// zstd level 1: on a 300,000-name journal (`zstd -b1`/`-b3` on its frames), 30 % faster than
/// level 3 for a journal 7 % larger (14.6 against 15.5 times smaller than the records).
const LEVEL: i32 = 1;

fn header() -> [u8; 12] {
    let mut h = [0u8; 12];
    h[..8].copy_from_slice(MAGIC);
    h[8..].copy_from_slice(&JOURNAL_FORMAT.to_le_bytes());
    h
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// Appends finished names to the journal, a frame a call.
pub struct JournalWriter {
    path: PathBuf,
    out: BufWriter<File>,
    /// The records of the frame being made, each length-prefixed.
    batch: Vec<u8>,
    zstd: zstd::bulk::Compressor<'static>,
}

impl JournalWriter {
    /// Open for appending: a new journal gets its header; an existing one is checked (a
    /// journal of another format is refused) and a torn last frame cut off first.
    pub fn open(run: &RunDir) -> Result<JournalWriter, RunError> {
        let path = run.file(JOURNAL_FILE);
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err(&path))?;
        let len = file.metadata().map_err(io_err(&path))?.len();
        if len == 0 {
            file.write_all(&header()).map_err(io_err(&path))?;
        } else {
            let end = scan(&mut file, &path)?.intact_end;
            file.set_len(end).map_err(io_err(&path))?;
            file.seek(SeekFrom::Start(end)).map_err(io_err(&path))?;
        }
        let zstd = zstd::bulk::Compressor::new(LEVEL).map_err(io_err(&path))?;
        Ok(JournalWriter {
            path,
            out: BufWriter::with_capacity(1 << 20, file),
            batch: Vec::with_capacity(1 << 20),
            zstd,
        })
    }

    /// Write `rows` as one frame and make it durable (nothing for no rows).
    pub fn write(&mut self, rows: &[NameResult]) -> Result<(), RunError> {
        if rows.is_empty() {
            return Ok(());
        }
        self.batch.clear();
        for r in rows {
            let at = self.batch.len();
            self.batch.extend_from_slice(&[0; 4]);
            self.batch = postcard::to_extend(r, std::mem::take(&mut self.batch)).map_err(|e| {
                RunError::Io {
                    path: self.path.clone(),
                    source: other(e),
                }
            })?;
            let len = (self.batch.len() - at - 4) as u32;
            self.batch[at..at + 4].copy_from_slice(&len.to_le_bytes());
        }
        let payload = self
            .zstd
            .compress(&self.batch)
            .map_err(io_err(&self.path))?;
        let mut frame = Vec::with_capacity(8 + payload.len());
        frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        frame.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        frame.extend_from_slice(&payload);
        self.out.write_all(&frame).map_err(io_err(&self.path))?;
        self.out.flush().map_err(io_err(&self.path))?;
        self.out.get_ref().sync_data().map_err(io_err(&self.path))
    }
}

/// What a pass over the frames found.
struct Scan {
    /// Where the last intact frame ends: the rest is a torn tail.
    intact_end: u64,
}

/// Check the header and walk the frames' headers (reading each payload to check it), to find
/// where the intact frames end. Damage before the last frame is an error.
fn scan(file: &mut File, path: &Path) -> Result<Scan, RunError> {
    let len = file.metadata().map_err(io_err(path))?.len();
    file.seek(SeekFrom::Start(0)).map_err(io_err(path))?;
    let mut input = BufReader::with_capacity(1 << 20, &*file);
    check_header(&mut input, path)?;
    let mut frames = Frames {
        input,
        path: path.to_path_buf(),
        offset: HEADER,
        start: HEADER,
        len,
        index: 0,
    };
    while frames.next_payload()?.is_some() {}
    Ok(Scan {
        intact_end: frames.offset,
    })
}

fn check_header(input: &mut impl Read, path: &Path) -> Result<(), RunError> {
    let mut h = [0u8; 12];
    let found = match input.read_exact(&mut h) {
        Ok(()) if &h[..8] == MAGIC => {
            let format = u32::from_le_bytes(h[8..].try_into().expect("4 bytes"));
            match format == JOURNAL_FORMAT {
                true => return Ok(()),
                false => format!("journal format {format}"),
            }
        }
        Ok(()) if h.starts_with(b"{\"mailcensus_journal\"") => {
            "the JSON-lines journal of an earlier mailcensus".to_string()
        }
        _ => "no journal header".to_string(),
    };
    Err(RunError::JournalFormat {
        path: path.to_path_buf(),
        found,
    })
}

/// The frames of a journal, in order.
struct Frames<R> {
    input: R,
    path: PathBuf,
    /// Where the next frame starts.
    offset: u64,
    /// Where the frame last read (or failing) starts.
    start: u64,
    len: u64,
    /// The next frame's number, from 1.
    index: u64,
}

impl<R: Read> Frames<R> {
    /// The next intact frame's payload; `None` at the end or at a torn last frame.
    fn next_payload(&mut self) -> Result<Option<Vec<u8>>, RunError> {
        if self.offset >= self.len {
            return Ok(None);
        }
        self.index += 1;
        self.start = self.offset;
        let mut head = [0u8; 8];
        if self.len - self.offset < 8 {
            return Ok(None);
        }
        self.input
            .read_exact(&mut head)
            .map_err(io_err(&self.path))?;
        let size = u64::from(u32::from_le_bytes(head[..4].try_into().expect("4 bytes")));
        let crc = u32::from_le_bytes(head[4..].try_into().expect("4 bytes"));
        let end = self.offset + 8 + size;
        let last = end >= self.len;
        if end > self.len {
            return Ok(None);
        }
        let mut payload = vec![0u8; size as usize];
        self.input
            .read_exact(&mut payload)
            .map_err(io_err(&self.path))?;
        if crc32fast::hash(&payload) != crc {
            return match last {
                true => Ok(None),
                false => Err(self.damaged("its checksum fails".to_string())),
            };
        }
        self.offset = end;
        Ok(Some(payload))
    }

    fn damaged(&self, reason: String) -> RunError {
        RunError::CorruptJournal {
            path: self.path.clone(),
            frame: self.index,
            offset: self.start,
            reason,
        }
    }
}

/// Reads the journal back, name by name. Only a torn last frame is dropped; damage anywhere
/// else is an error naming the frame.
pub struct JournalReader {
    frames: Frames<BufReader<File>>,
    /// The current frame's records and where the next one starts in it.
    records: Vec<u8>,
    at: usize,
    /// Each record judged as it is read; not where only its lookups or its name are wanted.
    judged: bool,
}

impl JournalReader {
    /// The journal's records, each judged again from its lookups.
    pub fn open(run: &RunDir) -> Result<JournalReader, RunError> {
        let mut r = JournalReader::lookups(run)?;
        r.judged = true;
        Ok(r)
    }

    /// The records as journaled: their lookups, the judgement left at its default.
    pub fn lookups(run: &RunDir) -> Result<JournalReader, RunError> {
        let path = run.file(JOURNAL_FILE);
        let f = File::open(&path).map_err(io_err(&path))?;
        let len = f.metadata().map_err(io_err(&path))?.len();
        let mut input = BufReader::with_capacity(1 << 20, f);
        check_header(&mut input, &path)?;
        Ok(JournalReader {
            frames: Frames {
                input,
                path,
                offset: HEADER,
                start: HEADER,
                len,
                index: 0,
            },
            records: Vec::new(),
            at: 0,
            judged: false,
        })
    }

    fn next_record(&mut self) -> Result<Option<NameResult>, RunError> {
        while self.at >= self.records.len() {
            let Some(payload) = self.frames.next_payload()? else {
                return Ok(None);
            };
            self.records = zstd::stream::decode_all(payload.as_slice())
                .map_err(|e| self.frames.damaged(format!("it does not decompress: {e}")))?;
            self.at = 0;
        }
        let rest = &self.records[self.at..];
        let len = rest
            .get(..4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize);
        let record = len.and_then(|n| rest.get(4..4 + n)).ok_or_else(|| {
            self.frames
                .damaged("a record runs past the end of its frame".to_string())
        })?;
        let mut r: NameResult = postcard::from_bytes(record).map_err(|e| {
            self.frames
                .damaged(format!("a record does not decode: {e}"))
        })?;
        if self.judged {
            r.judge();
        }
        self.at += 4 + record.len();
        Ok(Some(r))
    }
}

impl Iterator for JournalReader {
    type Item = Result<NameResult, RunError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}
