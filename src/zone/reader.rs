//! Streaming a zone list (plain text or CSV, gzip or not, a file or stdin) into classified
//! entries and rejects, dropping duplicates.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use encoding_rs::{EUC_JP, Encoding, SHIFT_JIS, UTF_8, UTF_16BE, UTF_16LE};
use encoding_rs_io::DecodeReaderBytesBuilder;
use flate2::read::MultiGzDecoder;
use serde::Serialize;

use super::classify::{Classification, JpType, classify};
use super::name::{RejectReason, normalize};
use super::refdata::refdata;

#[derive(Debug, thiserror::Error)]
pub enum ZoneError {
    #[error("cannot open zone list {path}: {source} (check the path and permissions)")]
    Open { path: PathBuf, source: io::Error },
    #[error("cannot read zone list at line {line}: {source}")]
    Read { line: u64, source: io::Error },
    #[error(
        "{path}: {rejected} of the first {read} lines are no usable name (read as {encoding}): the list is likely in another encoding, or not a zone list. Give --encoding (utf-8, utf-16le, utf-16be, shift_jis, euc-jp), or look at rejects.csv"
    )]
    MostlyRejected {
        path: PathBuf,
        read: u64,
        rejected: u64,
        encoding: &'static str,
    },
    #[error(
        "{path}, line {line}: category {value:?} is none the survey knows; give one of {allowed} (any case), or leave it empty: the JP type comes from the name"
    )]
    UnknownCategory {
        path: PathBuf,
        line: u64,
        value: String,
        allowed: String,
    },
    #[error(
        "zone list {path} (read as {encoding}) looks like CSV but has no `domain` column (columns: {columns}); name the column `domain`, pass --format text, or give --encoding where the columns read as garbage"
    )]
    NoDomainColumn {
        path: PathBuf,
        columns: String,
        encoding: &'static str,
    },
}

crate::codes! {
    /// How the zone list is laid out.
    pub enum ZoneFormat {
        /// Decide from the file name (`.csv`, `.csv.gz`) or a first line with a `domain`
        /// column.
        Auto => "auto",
        /// One name a line; `#` starts a comment.
        Text => "text",
        /// A header row with a `domain` column and optional `category`, `prefecture`,
        /// `lgcode`.
        Csv => "csv",
    }
}

crate::codes! {
    /// How the zone list's bytes are text.
    pub enum ZoneEncoding {
        /// A byte-order mark where there is one; else UTF-16 where every other byte of the
        /// first 64 KiB is zero; else UTF-8 where they are valid UTF-8; else EUC-JP, else
        /// Shift_JIS (CP932), whichever decodes them without error; else UTF-8.
        Auto => "auto",
        Utf8 => "utf-8",
        /// Excel's "Unicode text".
        Utf16le => "utf-16le",
        Utf16be => "utf-16be",
        /// CP932, as Windows writes it (Excel's CSV in Japan).
        ShiftJis => "shift_jis",
        EucJp => "euc-jp",
    }
}

impl ZoneEncoding {
    fn forced(self) -> Option<&'static Encoding> {
        match self {
            ZoneEncoding::Auto => None,
            ZoneEncoding::Utf8 => Some(UTF_8),
            ZoneEncoding::Utf16le => Some(UTF_16LE),
            ZoneEncoding::Utf16be => Some(UTF_16BE),
            ZoneEncoding::ShiftJis => Some(SHIFT_JIS),
            ZoneEncoding::EucJp => Some(EUC_JP),
        }
    }
}

/// The encoding of a list that begins with `head` (see [`ZoneEncoding::Auto`]).
fn detect(head: &[u8]) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(head) {
        return enc;
    }
    // ASCII as UTF-16: a zero beside every character.
    let zeros = |from: usize| {
        head.iter()
            .skip(from)
            .step_by(2)
            .filter(|b| **b == 0)
            .count()
    };
    if head.len() >= 4 {
        if zeros(1) * 4 > head.len() {
            return UTF_16LE;
        }
        if zeros(0) * 4 > head.len() {
            return UTF_16BE;
        }
    }
    match std::str::from_utf8(head) {
        Ok(_) => return UTF_8,
        // Cut inside a character at the end of the head.
        Err(e) if e.error_len().is_none() => return UTF_8,
        Err(_) => {}
    }
    // Whole lines only: no byte of a multi-byte character in these encodings is a newline.
    let lines = &head[..head
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(head.len(), |i| i + 1)];
    // EUC-JP first: Shift_JIS reads most EUC-JP bytes as half-width katakana without error,
    // while EUC-JP rejects Shift_JIS's kana and kanji lead bytes (0x81-0x9F).
    [EUC_JP, SHIFT_JIS]
        .into_iter()
        .find(|enc| {
            enc.decode_without_bom_handling_and_without_replacement(lines)
                .is_some()
        })
        .unwrap_or(UTF_8)
}

/// One usable name of the list.
#[derive(Debug, Clone)]
pub struct ZoneEntry {
    /// 1-based line number in the input.
    pub line: u64,
    /// The name as the input wrote it.
    pub input: String,
    /// The normalised name.
    pub name: String,
    pub class: Classification,
    /// Values of the input's other columns, in the order of [`ZoneReader::extra_columns`].
    pub extra: Vec<String>,
}

/// One unusable line, for `rejects.csv`.
#[derive(Debug, Clone, Serialize)]
pub struct Reject {
    pub line: u64,
    pub raw: String,
    pub reason: RejectReason,
}

#[derive(Debug, Clone)]
pub enum ZoneItem {
    Entry(ZoneEntry),
    Reject(Reject),
}

/// What reading the list found; `read = kept + duplicates + rejected`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ZoneStats {
    /// Lines that held something to read (not blank, not a comment, not the CSV header).
    pub read: u64,
    pub kept: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// Blank and comment lines.
    pub skipped: u64,
    /// Kept names whose input category says another JP type than the name does: the name's
    /// is used.
    #[serde(default)]
    pub category_conflicts: u64,
}

/// The first name whose input category contradicts the JP type its name says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryConflict {
    pub line: u64,
    pub name: String,
    pub given: JpType,
    pub derived: JpType,
}

struct CsvLayout {
    reader: csv::Reader<Box<dyn BufRead>>,
    domain: usize,
    category: Option<usize>,
    prefecture: Option<usize>,
    lgcode: Option<usize>,
    extra: Vec<usize>,
    record: csv::StringRecord,
}

enum Source {
    Text {
        input: Box<dyn BufRead>,
        buf: String,
    },
    Csv(Box<CsvLayout>),
}

/// Streams a zone list. Only a 128-bit hash of each kept name is remembered (for duplicates),
/// so a 1.5-million-line list is never held as strings.
pub struct ZoneReader {
    source: Source,
    line: u64,
    extra_columns: Vec<String>,
    seen: KeySet,
    stats: ZoneStats,
    path: PathBuf,
    encoding: &'static Encoding,
    first_conflict: Option<CategoryConflict>,
    /// Whether the list was found to be more than rejects (see [`REJECTS_CHECKED_AT`]).
    checked: bool,
}

/// Lines read before the reader checks that the list is not mostly rejects, and the fewest
/// it checks at its end: a list in the wrong encoding fails every line, and a survey of it
/// must stop with an error, not survey nothing and call it done.
const REJECTS_CHECKED_AT: u64 = 1000;
const REJECTS_CHECKED_FROM: u64 = 20;

/// Open a file (`-` for stdin), decompressing gzip whatever its name, and decoding it to
/// UTF-8 from `encoding` (found from its first 64 KiB where `Auto`).
fn open_input(
    path: &Path,
    encoding: ZoneEncoding,
) -> Result<(Box<dyn BufRead>, &'static Encoding), ZoneError> {
    let mut input = open_bytes(path)?;
    let head = input.fill_buf().map_err(|source| ZoneError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let enc = encoding.forced().unwrap_or_else(|| detect(head));
    if enc == UTF_8 {
        // Passed through as bytes (a line that is not UTF-8 is rejected as such), its BOM
        // dropped.
        if head.starts_with(b"\xEF\xBB\xBF") {
            input.consume(3);
        }
        return Ok((input, enc));
    }
    let decoded = DecodeReaderBytesBuilder::new()
        .encoding(Some(enc))
        .build(input);
    Ok((Box::new(BufReader::with_capacity(1 << 16, decoded)), enc))
}

fn open_bytes(path: &Path) -> Result<Box<dyn BufRead>, ZoneError> {
    let raw: Box<dyn Read> = if path == Path::new("-") {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(path).map_err(|source| ZoneError::Open {
            path: path.to_path_buf(),
            source,
        })?)
    };
    let mut buffered = BufReader::with_capacity(1 << 16, raw);
    let head = buffered.fill_buf().map_err(|source| ZoneError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            MultiGzDecoder::new(buffered),
        )))
    } else {
        Ok(Box::new(buffered))
    }
}

fn looks_like_csv(path: &Path, input: &mut dyn BufRead) -> io::Result<bool> {
    let name = path.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".csv") || name.ends_with(".csv.gz") {
        return Ok(true);
    }
    let head = input.fill_buf()?;
    let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let first = String::from_utf8_lossy(first);
    Ok(first.contains(',')
        && first
            .split(',')
            .any(|f| f.trim().trim_matches('"').eq_ignore_ascii_case("domain")))
}

/// The headers (any case) a CSV zone list's columns are read by: the name, its JP type, its
/// prefecture, its local-government code. Every other column is carried through.
pub const ROLE_COLUMNS: [&[&str]; 4] = [
    &["domain"],
    &["category", "jp_type"],
    &["prefecture"],
    &["lgcode", "code"],
];

impl ZoneReader {
    pub fn open(
        path: &Path,
        format: ZoneFormat,
        encoding: ZoneEncoding,
    ) -> Result<ZoneReader, ZoneError> {
        let (mut input, encoding) = open_input(path, encoding)?;
        let is_csv = match format {
            ZoneFormat::Csv => true,
            ZoneFormat::Text => false,
            ZoneFormat::Auto => looks_like_csv(path, &mut input)
                .map_err(|source| ZoneError::Read { line: 1, source })?,
        };
        let mut extra_columns = Vec::new();
        let source = if is_csv {
            // A line break after the last line, so that every record has its terminator and
            // its line counts back from where it ended ([`record_line`]); a blank line is
            // skipped.
            let input: Box<dyn BufRead> = Box::new(input.chain(&b"\n"[..]));
            let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
            let headers = reader
                .headers()
                .map_err(|e| ZoneError::Read {
                    line: 1,
                    source: io::Error::new(io::ErrorKind::InvalidData, e),
                })?
                .clone();
            let find = |names: &[&str]| {
                headers.iter().position(|h| {
                    let h = h.trim().trim_start_matches('\u{FEFF}');
                    names.iter().any(|n| h.eq_ignore_ascii_case(n))
                })
            };
            let [domain, category, prefecture, lgcode] = ROLE_COLUMNS;
            let domain = find(domain).ok_or_else(|| ZoneError::NoDomainColumn {
                path: path.to_path_buf(),
                columns: headers.iter().collect::<Vec<_>>().join(", "),
                encoding: encoding.name(),
            })?;
            let (category, prefecture, lgcode) = (find(category), find(prefecture), find(lgcode));
            let known = [Some(domain), category, prefecture, lgcode];
            let extra: Vec<usize> = (0..headers.len())
                .filter(|i| !known.contains(&Some(*i)))
                .collect();
            extra_columns = extra.iter().map(|&i| headers[i].to_string()).collect();
            Source::Csv(Box::new(CsvLayout {
                reader,
                domain,
                category,
                prefecture,
                lgcode,
                extra,
                record: csv::StringRecord::new(),
            }))
        } else {
            Source::Text {
                input,
                buf: String::new(),
            }
        };
        Ok(ZoneReader {
            source,
            line: if is_csv { 1 } else { 0 },
            extra_columns,
            seen: KeySet::default(),
            stats: ZoneStats::default(),
            path: path.to_path_buf(),
            encoding,
            first_conflict: None,
            checked: false,
        })
    }

    /// The first name whose input category contradicts its name's JP type, if any did
    /// ([`ZoneStats::category_conflicts`] counts them).
    pub fn first_category_conflict(&self) -> Option<&CategoryConflict> {
        self.first_conflict.as_ref()
    }

    /// The encoding the list is read in.
    pub fn encoding(&self) -> &'static str {
        self.encoding.name()
    }

    /// An error where the lines read so far are mostly rejects; checked once.
    fn mostly_rejected(&mut self, at_end: bool) -> Option<ZoneError> {
        let ZoneStats { read, rejected, .. } = self.stats;
        let due = read >= REJECTS_CHECKED_AT || (at_end && read >= REJECTS_CHECKED_FROM);
        if self.checked || !due {
            return None;
        }
        self.checked = true;
        (rejected * 2 > read).then(|| ZoneError::MostlyRejected {
            path: self.path.clone(),
            read,
            rejected,
            encoding: self.encoding.name(),
        })
    }

    /// Names of the input's carried-through columns.
    pub fn extra_columns(&self) -> &[String] {
        &self.extra_columns
    }

    pub fn stats(&self) -> ZoneStats {
        self.stats
    }

    fn reject(&mut self, raw: String, reason: RejectReason) -> ZoneItem {
        self.stats.rejected += 1;
        ZoneItem::Reject(Reject {
            line: self.line,
            raw,
            reason,
        })
    }

    /// Normalise, classify and de-duplicate one name; `None` for a duplicate.
    fn admit(
        &mut self,
        raw: &str,
        category: Option<&str>,
        prefecture: Option<&str>,
        lgcode: Option<&str>,
        extra: Vec<String>,
    ) -> Result<Option<ZoneItem>, ZoneError> {
        self.stats.read += 1;
        let name = match normalize(raw) {
            Ok(n) => n,
            Err(reason) => return Ok(Some(self.reject(raw.to_string(), reason))),
        };
        let mut class = classify(&name);
        // The name says its JP type (`go.jp` is GO whatever a list says); a category that
        // says another is counted, not followed.
        if let Some(cat) = category.filter(|c| !c.trim().is_empty()) {
            let given = JpType::parse_category(cat).map_err(|_| ZoneError::UnknownCategory {
                path: self.path.clone(),
                line: self.line,
                value: cat.to_string(),
                allowed: JpType::CATEGORY_NAMES.join(", "),
            })?;
            if given != class.jp_type {
                self.stats.category_conflicts += 1;
                self.first_conflict.get_or_insert_with(|| CategoryConflict {
                    line: self.line,
                    name: name.clone(),
                    given,
                    derived: class.jp_type,
                });
            }
        }
        let rd = refdata();
        if let Some(code) = lgcode.map(str::trim).filter(|c| !c.is_empty()) {
            let gov = rd.localgov_by_code(code);
            if class.lgcode.is_none() {
                class.lgcode = Some(gov.map_or(code.to_string(), |g| g.lgcode.clone()));
            }
            if class.prefecture.is_none() {
                class.prefecture = gov.map(|g| g.prefecture);
            }
        }
        if class.prefecture.is_none() {
            class.prefecture = prefecture.and_then(|p| rd.parse_prefecture(p));
        }
        if !self.seen.insert(name_key(&name)) {
            self.stats.duplicates += 1;
            return Ok(None);
        }
        self.stats.kept += 1;
        Ok(Some(ZoneItem::Entry(ZoneEntry {
            line: self.line,
            input: raw.to_string(),
            name,
            class,
            extra,
        })))
    }

    fn next_text(&mut self) -> Option<Result<ZoneItem, ZoneError>> {
        loop {
            let Source::Text { input, buf } = &mut self.source else {
                unreachable!("next_text on a CSV source")
            };
            buf.clear();
            self.line += 1;
            let mut bytes = Vec::new();
            match input.read_until(b'\n', &mut bytes) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(source) => {
                    return Some(Err(ZoneError::Read {
                        line: self.line,
                        source,
                    }));
                }
            }
            let line = match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(e) => {
                    let raw = String::from_utf8_lossy(e.as_bytes()).trim_end().to_string();
                    self.stats.read += 1;
                    return Some(Ok(self.reject(raw, RejectReason::BadIdn)));
                }
            };
            let content = line
                .split('#')
                .next()
                .unwrap_or_default()
                .trim_end_matches(['\n', '\r']);
            if content.trim().is_empty() {
                self.stats.skipped += 1;
                continue;
            }
            if let Some(item) = self
                .admit(content, None, None, None, Vec::new())
                .transpose()
            {
                return Some(item);
            }
        }
    }

    fn next_csv(&mut self) -> Option<Result<ZoneItem, ZoneError>> {
        // (The record's own position is where the reader began, before the blank lines it
        // skipped: the line is counted back from where the record ended instead.)
        loop {
            let Source::Csv(layout) = &mut self.source else {
                unreachable!("next_csv on a text source")
            };
            let mut record = std::mem::take(&mut layout.record);
            let result = layout.reader.read_record(&mut record);
            self.line = record_line(&layout.reader, &record, self.line);
            let ok = match result {
                Ok(false) => return None,
                Ok(true) => true,
                Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                    let line = self.line;
                    return Some(Err(ZoneError::Read {
                        line,
                        source: io::Error::other(e),
                    }));
                }
                Err(_) => false,
            };
            let Source::Csv(layout) = &mut self.source else {
                unreachable!()
            };
            if !ok || record.len() <= layout.domain {
                let raw = record.iter().collect::<Vec<_>>().join(",");
                self.stats.read += 1;
                layout.record = record;
                return Some(Ok(self.reject(raw, RejectReason::BadRow)));
            }
            if record.iter().all(|f| f.trim().is_empty()) {
                self.stats.skipped += 1;
                layout.record = record;
                continue;
            }
            let get = |i: Option<usize>| i.and_then(|i| record.get(i));
            let extra = layout
                .extra
                .iter()
                .map(|&i| record.get(i).unwrap_or_default().to_string())
                .collect();
            let (domain, category, prefecture, lgcode) = (
                layout.domain,
                layout.category,
                layout.prefecture,
                layout.lgcode,
            );
            let item = self.admit(
                &record[domain],
                get(category),
                get(prefecture),
                get(lgcode),
                extra,
            );
            if let Source::Csv(layout) = &mut self.source {
                layout.record = record;
            }
            if let Some(item) = item.transpose() {
                return Some(item);
            }
        }
    }
}

impl Iterator for ZoneReader {
    type Item = Result<ZoneItem, ZoneError>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = match self.source {
            Source::Text { .. } => self.next_text(),
            Source::Csv(_) => self.next_csv(),
        };
        match self.mostly_rejected(item.is_none()) {
            Some(e) => Some(Err(e)),
            None => item,
        }
    }
}

/// A 128-bit key of a normalised name (two independent 64-bit SipHashes): a collision among
/// 1.5 million names is ~1e-26 likely, so sets of names need not hold the strings.
pub fn name_key(name: &str) -> u128 {
    let mut a = std::hash::DefaultHasher::new();
    name.hash(&mut a);
    let mut b = std::hash::DefaultHasher::new();
    (0x9e37_79b9_u32, name).hash(&mut b);
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

/// Hashes a [`name_key`] by taking its low half: the key is already a keyed hash, and hashing
/// it again with SipHash cost a percent of a survey's CPU in the zone reader's duplicate check.
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only u128 keys come here; anything else still spreads (FNV-1a).
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }

    fn write_u128(&mut self, key: u128) {
        self.0 = key as u64;
    }
}

/// A set of [`name_key`]s.
pub type KeySet = HashSet<u128, BuildHasherDefault<KeyHasher>>;
/// A map from [`name_key`]s.
pub type KeyMap<V> = HashMap<u128, V, BuildHasherDefault<KeyHasher>>;

/// Writes `rejects.csv`: line, raw text, reason code.
pub struct RejectWriter {
    writer: csv::Writer<Box<dyn io::Write + Send>>,
}

impl RejectWriter {
    pub fn create(path: &Path) -> io::Result<RejectWriter> {
        let file: Box<dyn io::Write + Send> = Box::new(io::BufWriter::new(File::create(path)?));
        let mut writer = csv::Writer::from_writer(file);
        writer.write_record(["line", "raw", "reason"])?;
        Ok(RejectWriter { writer })
    }

    pub fn write(&mut self, r: &Reject) -> io::Result<()> {
        self.writer
            .write_record([r.line.to_string().as_str(), &r.raw, r.reason.code()])?;
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// The file line a CSV record `record` just read by `reader` starts on: the reader's line
/// after it, less its terminator (every record has one: the input gets a line break at its
/// end) and the line breaks inside its quoted fields. `before` + 1 where that cannot be.
fn record_line<R: io::Read>(
    reader: &csv::Reader<R>,
    record: &csv::StringRecord,
    before: u64,
) -> u64 {
    let end = reader.position().line();
    let inside = record
        .iter()
        .map(|f| f.matches('\n').count() as u64)
        .sum::<u64>();
    end.checked_sub(1 + inside).unwrap_or(before + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoding_is_found_from_the_list() {
        let text = "domain,organisation\n日本語.jp,総務省 行政管理局\nexample.co.jp,株式会社カナ\n";
        for enc in [UTF_8, EUC_JP, SHIFT_JIS] {
            let (bytes, _, lossy) = enc.encode(text);
            assert!(!lossy);
            assert_eq!(detect(&bytes), enc, "{}", enc.name());
        }
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(detect(&be), UTF_16BE);
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(detect(&le), UTF_16LE);
        assert_eq!(detect(b"\xEF\xBB\xBFdomain\n"), UTF_8);
        // Cut inside a character: still UTF-8.
        assert_eq!(detect(&"a.jp,日本".as_bytes()[..10]), UTF_8);
    }
    use std::io::Write;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A path `file` in a folder of its own under the system's temporary folder (the tests run
    /// in parallel), removed with the value.
    struct Scratch(PathBuf);

    impl std::ops::Deref for Scratch {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    impl AsRef<Path> for Scratch {
        fn as_ref(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            if let Some(dir) = self.0.parent() {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }

    fn scratch(file: &str) -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("mailcensus-zone-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir.join(file))
    }

    fn read_all(content: &str, file: &str) -> (Vec<ZoneEntry>, Vec<Reject>, ZoneStats) {
        let path = scratch(file);
        std::fs::write(&path, content).unwrap();
        let mut r = ZoneReader::open(&path, ZoneFormat::Auto, ZoneEncoding::Auto).unwrap();
        let (mut e, mut j) = (Vec::new(), Vec::new());
        for item in r.by_ref() {
            match item.unwrap() {
                ZoneItem::Entry(x) => e.push(x),
                ZoneItem::Reject(x) => j.push(x),
            }
        }
        (e, j, r.stats())
    }

    #[test]
    fn text_list_with_comments_duplicates_and_rejects() {
        let (e, j, s) = read_all(
            "# a list\nExample.jp\nexample.JP.\n\n日本語.jp # idn\nbad..name.jp\n",
            "list.txt",
        );
        assert_eq!(
            e.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
            ["example.jp", "xn--wgv71a119e.jp"]
        );
        assert_eq!(e[1].line, 5);
        assert_eq!(j.len(), 1);
        assert_eq!((j[0].line, j[0].reason), (6, RejectReason::BadLabel));
        assert_eq!(
            s,
            ZoneStats {
                read: 4,
                kept: 2,
                duplicates: 1,
                rejected: 1,
                skipped: 2,
                category_conflicts: 0,
            }
        );
    }

    #[test]
    fn csv_columns_fill_in_and_carry_through_but_the_name_says_its_type() {
        let (e, j, s) = read_all(
            "id,domain,category,prefecture,lgcode\n7,example.jp,CO,,\n8,city.nowhere.lg.jp,,大阪府,\n9,x.example.jp,,,131016\n10,y.jp,general,,\n",
            "list.csv",
        );
        assert_eq!(j.len(), 0);
        assert_eq!(s.category_conflicts, 1);
        // The name says GENERAL: the category is counted as a conflict, not followed.
        assert_eq!(e[0].class.jp_type, JpType::General);
        assert_eq!(e[0].extra, ["7"]);
        assert_eq!(e[0].line, 2);
        assert_eq!(e[1].class.prefecture, Some(27));
        assert_eq!(e[2].class.prefecture, Some(13));
        assert_eq!(e[2].class.lgcode.as_deref(), Some("131016"));
    }

    #[test]
    fn csv_lines_are_the_files_across_blank_lines_and_quoted_line_breaks() {
        for end in ["\n", ""] {
            let text = format!(
                "domain,note\nexample.co.jp,\n\n\nbad..name.jp,\n\"two\nlines.jp\",x\n1.2.3.4,\"a\nb\"\nok.jp,{end}"
            );
            let (e, j, _) = read_all(&text, "list.csv");
            let rejects: Vec<(u64, String)> = j.iter().map(|r| (r.line, r.raw.clone())).collect();
            assert_eq!(
                rejects,
                [
                    (5, "bad..name.jp".to_string()),
                    (6, "two\nlines.jp".to_string()),
                    (8, "1.2.3.4".to_string())
                ],
                "ending {end:?}"
            );
            assert_eq!(e.iter().map(|x| x.line).collect::<Vec<_>>(), [2, 10]);
        }
    }

    #[test]
    fn an_unknown_category_is_an_error_naming_the_known_ones() {
        let path = scratch("category.csv");
        std::fs::write(&path, "domain,category\nexample.jp,GENERAL\ny.jp,ZZ\n").unwrap();
        let r = ZoneReader::open(&path, ZoneFormat::Auto, ZoneEncoding::Auto).unwrap();
        let err = r.filter_map(Result::err).next().unwrap().to_string();
        assert!(err.contains("line 3") && err.contains("\"ZZ\""), "{err}");
        assert!(err.contains("GEOGRAPHIC") && err.contains("汎用"), "{err}");
    }

    #[test]
    fn a_file_of_malformed_lines_lands_in_rejects_with_codes() {
        let long_label = format!("{}.jp", "a".repeat(64));
        let long_name = format!("{}.jp", vec!["b".repeat(60); 5].join("."));
        let content = format!(
            "a..jp\n-x.jp\nx_y.jp\n{long_label}\n{long_name}\nlocalhost\nco.jp\nxn--zz.jp\nno.such-tld\n"
        );
        let (e, j, s) = read_all(&content, "bad.txt");
        assert!(e.is_empty());
        let codes: Vec<&str> = j.iter().map(|r| r.reason.code()).collect();
        assert_eq!(
            codes,
            [
                "bad-label",
                "bad-label",
                "bad-label",
                "label-too-long",
                "too-long",
                "not-under-tld",
                "public-suffix",
                "bad-idn",
                "not-under-tld"
            ]
        );
        assert_eq!(
            j.iter().map(|r| r.line).collect::<Vec<_>>(),
            (1..=9).collect::<Vec<_>>()
        );
        assert_eq!((s.read, s.rejected), (9, 9));
        let path = scratch("rejects.csv");
        let mut w = RejectWriter::create(&path).unwrap();
        for r in &j {
            w.write(r).unwrap();
        }
        w.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("line,raw,reason\n1,a..jp,bad-label\n"),
            "{text}"
        );
    }

    #[test]
    fn gzip_is_read_whatever_the_name() {
        let path = scratch("list");
        let mut gz = flate2::write::GzEncoder::new(
            File::create(&path).unwrap(),
            flate2::Compression::fast(),
        );
        gz.write_all(b"a.jp\nb.co.jp\n").unwrap();
        gz.finish().unwrap();
        let r = ZoneReader::open(&path, ZoneFormat::Auto, ZoneEncoding::Auto).unwrap();
        assert_eq!(r.count(), 2);
    }

    #[test]
    fn csv_without_domain_column_is_a_clear_error() {
        let path = scratch("x.csv");
        std::fs::write(&path, "name,type\na.jp,CO\n").unwrap();
        let err = ZoneReader::open(&path, ZoneFormat::Auto, ZoneEncoding::Auto)
            .err()
            .unwrap();
        assert!(err.to_string().contains("no `domain` column"), "{err}");
    }
}
