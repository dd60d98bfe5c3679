//! DNS messages on the survey's fast path, read and written on the wire without building
//! hickory-proto's `Message`: a query is a dozen octets of header, the name once, and an OPT
//! record; a reply is read in place into the [`Answer`] it holds. At three queries a name over
//! millions of names, hickory's message types (a `Name` of heap labels per name, a `Record` per
//! answer) cost more CPU than the rest of a name's work.
//!
//! The reader takes only what it is sure of: the record types the survey keeps (MX, TXT, NS,
//! CNAME, A, AAAA) with names it can print as hickory prints them. Anything else (another
//! asked type, a label that needs escaping, an EDNS extended RCODE, a message it cannot read)
//! is `None`, and the caller reads the message with hickory-proto instead, so both readers
//! give the same result wherever the fast one answers.

use std::fmt::Write;
use std::net::{Ipv4Addr, Ipv6Addr};

use hickory_resolver::proto::rr::RecordType;

use super::Answer;

/// RFC 1035 §4.1.1 header flags.
const QR: u16 = 0x8000;
const TC: u16 = 0x0200;
const RD: u16 = 0x0100;
/// RFC 4035 §3.2.3 / RFC 6840 §5.7.
const AD: u16 = 0x0020;
const HEADER: usize = 12;
/// RFC 1035 §2.3.4.
const MAX_NAME: usize = 255;
const MAX_LABEL: usize = 63;
/// The UDP payload size offered in OPT (RFC 6891 §6.2.5; the DNS Flag Day 2020 value).
pub const EDNS_PAYLOAD: u16 = 1232;

/// A name as asked on the wire: length-prefixed labels ending in the root's empty label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireName(Vec<u8>);

impl WireName {
    /// `name`'s labels taken as they are: a DNS label is any octets (RFC 2181 §11), so a
    /// name from a record (an SPF target such as `-x-.example.jp`) is asked even where it is
    /// no host name. Empty or over-long labels, and names over 255 octets, cannot be asked.
    pub fn parse(name: &str) -> Result<WireName, String> {
        let name = name.strip_suffix('.').unwrap_or(name);
        let mut wire = Vec::with_capacity(name.len() + 2);
        for label in name.split('.') {
            match label.len() {
                0 => return Err(format!("empty label in {name:?}")),
                n if n > MAX_LABEL => {
                    return Err(format!("a label of {n} octets (RFC 1035 §2.3.4: 63)"));
                }
                n => wire.push(n as u8),
            }
            wire.extend_from_slice(label.as_bytes());
        }
        wire.push(0);
        if wire.len() > MAX_NAME {
            return Err(format!(
                "{} octets on the wire (RFC 1035 §2.3.4: 255)",
                wire.len()
            ));
        }
        Ok(WireName(wire))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Append the query for `qname`/`rtype` with message ID `id` to `out`: AD set (RFC 6840 §5.7:
/// asks a validating resolver to say whether it validated), RD as given, and an OPT record
/// offering [`EDNS_PAYLOAD`] octets (RFC 6891).
pub fn write_query(out: &mut Vec<u8>, id: u16, qname: &WireName, rtype: RecordType, rd: bool) {
    let flags = AD | if rd { RD } else { 0 };
    for v in [id, flags, 1, 0, 0, 1] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.extend_from_slice(qname.as_bytes());
    out.extend_from_slice(&u16::from(rtype).to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes()); // class IN
    // OPT: root owner, TYPE 41, CLASS = payload size, TTL = extended RCODE 0, version 0, no
    // DO; no options.
    out.push(0);
    out.extend_from_slice(&41u16.to_be_bytes());
    out.extend_from_slice(&EDNS_PAYLOAD.to_be_bytes());
    out.extend_from_slice(&[0; 6]);
}

fn u16_at(m: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(m.get(at..at + 2)?.try_into().ok()?))
}

/// The TC bit of a message's header.
pub fn truncated(m: &[u8]) -> bool {
    u16_at(m, 2).is_some_and(|flags| flags & TC != 0)
}

/// The message ID of a datagram.
pub fn id(m: &[u8]) -> Option<u16> {
    u16_at(m, 0)
}

/// Read the name at `at`, following compression pointers (RFC 1035 §4.1.4) only backwards,
/// as hickory-proto does, so that a loop cannot be built: each label to `label`, and the
/// offset just past the name where it was written.
fn read_name<'m>(m: &'m [u8], at: usize, mut label: impl FnMut(&'m [u8])) -> Option<usize> {
    let (mut pos, mut segment, mut end, mut wire) = (at, at, None, 1);
    loop {
        let len = *m.get(pos)?;
        match len & 0xC0 {
            0x00 if len == 0 => return Some(end.unwrap_or(pos + 1)),
            0x00 => {
                let l = m.get(pos + 1..pos + 1 + usize::from(len))?;
                wire += 1 + l.len();
                if wire > MAX_NAME {
                    return None;
                }
                label(l);
                pos += 1 + l.len();
            }
            0xC0 => {
                let ptr = usize::from(u16_at(m, pos)? & 0x3FFF);
                if ptr >= segment {
                    return None;
                }
                end.get_or_insert(pos + 2);
                pos = ptr;
                segment = ptr;
            }
            _ => return None,
        }
    }
}

/// Whether the reply's first question is `qname`/`rtype` (names compared without case, RFC
/// 4343), and the datagram is a response (QR).
pub fn answers(m: &[u8], qname: &WireName, rtype: RecordType) -> bool {
    let (Some(flags), Some(qd)) = (u16_at(m, 2), u16_at(m, 4)) else {
        return false;
    };
    if flags & QR == 0 || qd == 0 {
        return false;
    }
    let want = qname.as_bytes();
    let mut at = 0;
    let mut same = true;
    let Some(next) = read_name(m, HEADER, |l| {
        same &= want.get(at) == Some(&(l.len() as u8))
            && want
                .get(at + 1..at + 1 + l.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(l));
        at += 1 + l.len();
    }) else {
        return false;
    };
    same && at + 1 == want.len() && u16_at(m, next) == Some(u16::from(rtype))
}

/// What a reply says, read on the fast path.
#[derive(Debug, PartialEq, Eq)]
pub struct Reply {
    /// RCODE, four bits (a reply with an extended RCODE is left to hickory-proto).
    pub rcode: u8,
    pub authentic: bool,
    pub truncated: bool,
    pub answer: Answer,
}

/// A label hickory-proto prints as its octets: letters, digits, `_` anywhere, `-` after the
/// first octet, `*` first; a `Name`'s Display also turns `xn--` labels into Unicode.
fn plain(label: &[u8], display: bool) -> bool {
    let letters = label.iter().enumerate().all(|(i, &c)| match c {
        b'-' => i > 0,
        b'*' => i == 0,
        c => c.is_ascii_alphanumeric() || c == b'_',
    });
    letters && !(display && label.len() >= 4 && label[..4].eq_ignore_ascii_case(b"xn--"))
}

/// `out` followed by the name at `at` as hickory-proto prints it (`to_ascii`, or Display
/// where `display`); `None` where a label would need escaping or IDNA, or the name does not
/// end its RDATA at `end`.
fn name_text(m: &[u8], at: usize, end: usize, display: bool, mut out: String) -> Option<String> {
    let (mut ok, mut root) = (true, true);
    let next = read_name(m, at, |l| {
        ok &= plain(l, display);
        root = false;
        if ok {
            // Plain labels are ASCII.
            out.push_str(std::str::from_utf8(l).unwrap_or_default());
            out.push('.');
        }
    })?;
    if root {
        out.push('.');
    }
    (ok && next == end).then_some(out)
}

/// Read a reply to a question of type `rtype` whose question [`answers`] checked. `None`:
/// read it with hickory-proto.
pub fn read_reply(m: &[u8], rtype: RecordType) -> Option<Reply> {
    use RecordType::{A, AAAA, CNAME, MX, NS, TXT};
    if !matches!(rtype, MX | TXT | NS | A | AAAA) {
        return None;
    }
    let flags = u16_at(m, 2)?;
    let counts = [u16_at(m, 4)?, u16_at(m, 6)?, u16_at(m, 8)?, u16_at(m, 10)?];
    let mut at = HEADER;
    for _ in 0..counts[0] {
        at = read_name(m, at, |_| {})? + 4;
    }
    let mut answer = Answer::default();
    for (section, &count) in counts.iter().enumerate().skip(1) {
        for _ in 0..count {
            at = read_name(m, at, |_| {})?;
            let (t, ttl_high) = (u16_at(m, at)?, u16_at(m, at + 4)?);
            let len = usize::from(u16_at(m, at + 8)?);
            let start = at + 10;
            let rdata = m.get(start..start + len)?;
            at = start + len;
            let t = RecordType::from(t);
            // hickory-proto refuses an empty RDATA outside UPDATE, and an OPT outside the
            // additional section; an extended RCODE (OPT's TTL's high octet) is its to merge.
            match t {
                RecordType::OPT if section != 3 || ttl_high >> 8 != 0 => return None,
                RecordType::OPT => continue,
                _ if len == 0 => return None,
                _ if section != 1 => continue,
                _ => {}
            }
            if t == CNAME {
                answer
                    .cnames
                    .push(name_text(m, start, at, true, String::with_capacity(len))?);
                continue;
            }
            if t != rtype {
                continue;
            }
            let text = match t {
                MX => {
                    let mut preference = String::with_capacity(len + 6);
                    write!(preference, "{} ", u16_at(rdata, 0)?).ok()?;
                    name_text(m, start + 2, at, false, preference)?
                }
                NS => name_text(m, start, at, false, String::with_capacity(len))?,
                A => Ipv4Addr::from(<[u8; 4]>::try_from(rdata).ok()?).to_string(),
                AAAA => Ipv6Addr::from(<[u8; 16]>::try_from(rdata).ok()?).to_string(),
                _ => {
                    // Each character-string read on its own, as hickory-proto reads them:
                    // a character split between two strings is two replacement characters.
                    let mut text = String::with_capacity(len);
                    let mut i = 0;
                    while i < rdata.len() {
                        let n = usize::from(rdata[i]);
                        let s = rdata.get(i + 1..i + 1 + n)?;
                        text.push_str(&String::from_utf8_lossy(s));
                        answer.txt_strings += 1;
                        i += 1 + n;
                    }
                    text
                }
            };
            answer.records.push(text);
        }
    }
    Some(Reply {
        rcode: (flags & 0x000F) as u8,
        authentic: flags & AD != 0,
        truncated: flags & TC != 0,
        answer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_resolver::proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
    use hickory_resolver::proto::rr::rdata::{
        A as ARecord, AAAA as AaaaRecord, CNAME as Cn, MX as Mx, NS as Ns, TXT as Txt,
    };
    use hickory_resolver::proto::rr::{Name, RData, Record};

    fn name(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    #[test]
    fn a_query_is_what_hickory_writes() {
        let q = WireName::parse("_dmarc.Example.JP").unwrap();
        let mut mine = Vec::new();
        write_query(&mut mine, 4242, &q, RecordType::TXT, true);
        let mut msg = Message::new(4242, MessageType::Query, OpCode::Query);
        msg.metadata.recursion_desired = true;
        msg.metadata.authentic_data = true;
        msg.add_query(Query::query(name("_dmarc.Example.JP."), RecordType::TXT));
        let mut edns = Edns::new();
        edns.set_max_payload(EDNS_PAYLOAD);
        msg.set_edns(edns);
        assert_eq!(mine, msg.to_vec().unwrap());
    }

    #[test]
    fn names_that_cannot_be_asked_are_refused() {
        assert!(WireName::parse("a..jp").is_err());
        assert!(WireName::parse("").is_err());
        assert!(WireName::parse(&format!("{}.jp", "a".repeat(64))).is_err());
        let long = vec!["abcdefghi"; 26].join(".");
        assert!(WireName::parse(&long).is_err(), "260 octets");
        // Any octets are a label (RFC 2181 §11).
        let odd = WireName::parse("-x-.a b.jp.").unwrap();
        assert_eq!(odd.as_bytes(), b"\x03-x-\x03a b\x02jp\x00");
    }

    /// The reply to `q` carrying `answers`, as hickory-proto writes it (with compression).
    fn reply(
        q: &str,
        rtype: RecordType,
        code: ResponseCode,
        answers: Vec<(&str, RData)>,
    ) -> Vec<u8> {
        let mut msg = Message::new(7, MessageType::Response, OpCode::Query);
        msg.metadata.response_code = code;
        msg.metadata.authentic_data = true;
        msg.add_query(Query::query(name(q), rtype));
        for (owner, data) in answers {
            msg.add_answer(Record::from_rdata(name(owner), 300, data));
        }
        msg.set_edns(Edns::new());
        msg.to_vec().unwrap()
    }

    /// The fast reader against hickory-proto's on the same datagram.
    fn hickory(m: &[u8], rtype: RecordType) -> (ResponseCode, bool, Answer) {
        let msg = Message::from_vec(m).unwrap();
        (
            msg.metadata.response_code,
            msg.metadata.authentic_data,
            super::super::answer_of(&msg.answers, rtype),
        )
    }

    #[test]
    fn the_fast_reader_agrees_with_hickory() {
        let cases = vec![
            reply(
                "Example.jp.",
                RecordType::MX,
                ResponseCode::NoError,
                vec![
                    (
                        "example.jp.",
                        RData::MX(Mx::new(10, name("mx1.example.jp."))),
                    ),
                    ("example.jp.", RData::MX(Mx::new(0, Name::root()))),
                    (
                        "example.jp.",
                        RData::MX(Mx::new(20, name("Mail.Other.NET."))),
                    ),
                ],
            ),
            reply(
                "_dmarc.example.jp.",
                RecordType::TXT,
                ResponseCode::NoError,
                vec![
                    (
                        "_dmarc.example.jp.",
                        RData::CNAME(Cn(name("d.provider.jp."))),
                    ),
                    (
                        "d.provider.jp.",
                        RData::TXT(Txt::new(vec!["v=DMARC1; ".into(), "p=none".into()])),
                    ),
                    (
                        "d.provider.jp.",
                        RData::TXT(Txt::new(vec!["caf\u{e9}".into()])),
                    ),
                ],
            ),
            reply(
                "x.jp.",
                RecordType::A,
                ResponseCode::NoError,
                vec![("x.jp.", RData::A(ARecord::new(192, 0, 2, 1)))],
            ),
            reply(
                "x.jp.",
                RecordType::AAAA,
                ResponseCode::NoError,
                vec![(
                    "x.jp.",
                    RData::AAAA(AaaaRecord::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
                )],
            ),
            reply(
                "jp.",
                RecordType::NS,
                ResponseCode::NoError,
                vec![("jp.", RData::NS(Ns(name("a.dns.jp."))))],
            ),
            reply("none.jp.", RecordType::TXT, ResponseCode::NXDomain, vec![]),
            reply("none.jp.", RecordType::TXT, ResponseCode::ServFail, vec![]),
            reply(
                "x.jp.",
                RecordType::MX,
                ResponseCode::NoError,
                vec![("x.jp.", RData::TXT(Txt::new(vec!["not asked".into()])))],
            ),
        ];
        for m in &cases {
            let msg = Message::from_vec(m).unwrap();
            let q = &msg.queries[0];
            let rtype = q.query_type();
            let fast = read_reply(m, rtype).expect("the fast path reads it");
            let (code, ad, answer) = hickory(m, rtype);
            assert_eq!(ResponseCode::from(0, fast.rcode), code);
            assert_eq!((fast.authentic, &fast.answer), (ad, &answer), "{msg}");
            let asked = WireName::parse(&q.name().to_ascii()).unwrap();
            assert!(answers(m, &asked, rtype));
            let upper = WireName::parse(&q.name().to_ascii().to_uppercase()).unwrap();
            assert!(answers(m, &upper, rtype), "case does not matter (RFC 4343)");
            assert!(!answers(m, &asked, RecordType::CAA));
            assert!(!answers(m, &WireName::parse("other.jp").unwrap(), rtype));
        }
        // Damaged copies: wherever the fast reader still answers, hickory-proto agrees.
        for m in &cases {
            let rtype = Message::from_vec(m).unwrap().queries[0].query_type();
            for i in HEADER..m.len() {
                for v in [0x00, 0x3f, 0xc0, 0xff] {
                    let mut bad = m.clone();
                    bad[i] = v;
                    let (Some(fast), Ok(msg)) = (read_reply(&bad, rtype), Message::from_vec(&bad))
                    else {
                        continue;
                    };
                    let answer = super::super::answer_of(&msg.answers, rtype);
                    assert_eq!(fast.answer, answer, "octet {i} set to {v:#x}");
                }
                let mut cut = m.clone();
                cut.truncate(i);
                assert!(read_reply(&cut, rtype).is_none() || Message::from_vec(&cut).is_ok());
            }
        }
    }

    #[test]
    fn what_the_fast_reader_cannot_print_goes_to_hickory() {
        let idn = reply(
            "x.jp.",
            RecordType::TXT,
            ResponseCode::NoError,
            vec![("x.jp.", RData::CNAME(Cn(name("xn--wgv71a.jp."))))],
        );
        assert_eq!(read_reply(&idn, RecordType::TXT), None);
        let tlsa = reply(
            "_25._tcp.mx.jp.",
            RecordType::TLSA,
            ResponseCode::NoError,
            vec![],
        );
        assert_eq!(read_reply(&tlsa, RecordType::TLSA), None);
        let pointer_loop = {
            let mut m = reply("x.jp.", RecordType::MX, ResponseCode::NoError, vec![]);
            m[HEADER] = 0xC0;
            m[HEADER + 1] = HEADER as u8;
            m
        };
        assert_eq!(read_reply(&pointer_loop, RecordType::MX), None);
    }

    #[test]
    fn a_name_of_255_octets_is_asked_and_matched() {
        // 63 + 63 + 63 + 61 octets of labels: 253 in text, 255 on the wire.
        let long = [63, 63, 63, 61].map(|n| "a".repeat(n)).join(".");
        let q = WireName::parse(&long).unwrap();
        assert_eq!(q.as_bytes().len(), 255);
        let m = reply(
            &format!("{long}."),
            RecordType::MX,
            ResponseCode::NXDomain,
            vec![],
        );
        assert!(answers(&m, &q, RecordType::MX));
        assert!(WireName::parse(&format!("_dmarc.{long}")).is_err());
    }
}
