//! BIMI assertion records (draft-brand-indicators-for-message-identification §4): the TXT
//! record at `default._bimi.<name>` pointing at the brand's logo (`l=`) and the evidence for
//! it (`a=`, a Verified Mark Certificate). The 2025 government guideline asks bodies to
//! consider BIMI; a receiver shows the logo only when DMARC is at quarantine or reject.

use serde::{Deserialize, Serialize};

use super::tags::Published;

/// The TXT owner name of a domain's BIMI record under the default selector.
pub fn owner(name: &str) -> String {
    format!("default._bimi.{name}")
}

const VERSION: &str = "v=BIMI1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BimiRecord {
    /// The logo's HTTPS URI; `None`: the record declines to publish one (§4.3).
    pub logo: Option<String>,
    /// The evidence document's HTTPS URI; `None`: self-asserted.
    pub authority: Option<String>,
}

crate::codes! {
    /// What a name's BIMI record says, in one word for the tables.
    pub enum BimiStatus {
        /// A logo with evidence (a VMC): what the large mailbox providers display.
        LogoWithEvidence => "logo-evidence",
        /// A self-asserted logo.
        Logo => "logo",
        /// `l=` empty: an explicit declination to publish.
        Declined => "declined",
        Invalid => "invalid",
        Multiple => "multiple",
        Absent => "absent",
    }
}

impl BimiStatus {
    pub fn of(p: &Published<BimiRecord>) -> BimiStatus {
        match p {
            Published::Valid(BimiRecord { logo: None, .. }) => BimiStatus::Declined,
            Published::Valid(BimiRecord {
                authority: Some(_), ..
            }) => BimiStatus::LogoWithEvidence,
            Published::Valid(_) => BimiStatus::Logo,
            Published::Invalid(_) => BimiStatus::Invalid,
            Published::Multiple(_) => BimiStatus::Multiple,
            Published::Absent => BimiStatus::Absent,
        }
    }

    /// A logo is published.
    pub fn has_logo(self) -> bool {
        matches!(self, BimiStatus::LogoWithEvidence | BimiStatus::Logo)
    }
}

pub fn read(txts: &[String]) -> Published<BimiRecord> {
    Published::read(txts, VERSION, parse)
}

/// An HTTPS URI with a host: the only transport §4.2 allows for `l=` and `a=`.
fn https_uri(v: &str) -> bool {
    v.get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
        && v.len() > 8
        && !v.contains([' ', '\t', ','])
}

/// One record. Tags as DKIM's tag-list (RFC 6376 §3.2: white space allowed around `=` and
/// `;`); `v=BIMI1` first, matched exactly (§4.2: "The value of this tag MUST match
/// precisely"); `l=` required, empty (declination, §4.3) or one HTTPS URI; `a=` optional,
/// empty, `self` or one HTTPS URI; unknown tags ignored; a tag twice is an error.
pub fn parse(record: &str) -> Result<BimiRecord, String> {
    let mut seen: Vec<String> = Vec::new();
    let (mut logo, mut authority) = (None, None);
    for (i, part) in record.split(';').enumerate() {
        let part = part.trim_matches([' ', '\t', '\r', '\n']);
        if part.is_empty() {
            if i + 1 == record.split(';').count() {
                break;
            }
            return Err("an empty tag between two \";\"".to_string());
        }
        let (tag, value) = part
            .split_once('=')
            .map(|(t, v)| {
                (
                    t.trim_end_matches([' ', '\t']),
                    v.trim_start_matches([' ', '\t']),
                )
            })
            .ok_or_else(|| format!("tag {part:?} is not tag=value"))?;
        if seen.iter().any(|s| s == tag) {
            return Err(format!("tag {tag} given twice"));
        }
        seen.push(tag.to_string());
        match (i, tag) {
            (0, "v") if value == "BIMI1" => {}
            (0, _) => return Err("the first tag is not v=BIMI1".to_string()),
            (_, "l") => {
                logo = match value {
                    "" => None,
                    v if https_uri(v) => Some(v.to_string()),
                    v => return Err(format!("l={v} is not one HTTPS URI")),
                }
            }
            (_, "a") => {
                authority = match value {
                    "" | "self" => None,
                    v if https_uri(v) => Some(v.to_string()),
                    v => return Err(format!("a={v} is not one HTTPS URI")),
                }
            }
            _ => {}
        }
    }
    if !seen.iter().any(|t| t == "l") {
        return Err("no l= tag (required; empty declines)".to_string());
    }
    if logo.is_none() && authority.is_some() {
        return Err("a= given with an empty l=".to_string());
    }
    Ok(BimiRecord { logo, authority })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(xs: &[&str]) -> BimiStatus {
        let v: Vec<String> = xs.iter().map(|s| s.to_string()).collect();
        BimiStatus::of(&read(&v))
    }

    #[test]
    fn valid_records() {
        assert_eq!(
            status(&[
                "v=BIMI1; l=https://www.soumu.go.jp/bimi/logo.svg; a=https://www.soumu.go.jp/bimi/vmc.pem"
            ]),
            BimiStatus::LogoWithEvidence
        );
        assert_eq!(
            status(&["v=BIMI1;l=https://x.jp/l.svg;a=self;", "unrelated"]),
            BimiStatus::Logo
        );
        assert_eq!(
            status(&["v=BIMI1; l = https://x.jp/l.svg"]),
            BimiStatus::Logo
        );
        assert_eq!(status(&["v=BIMI1; l=; a=;"]), BimiStatus::Declined);
        assert_eq!(
            status(&["v=BIMI1; l=https://x.jp/l.svg; avp=brand"]),
            BimiStatus::Logo
        );
    }

    #[test]
    fn invalid_absent_several() {
        for bad in [
            "v=BIMI1",
            "v=BIMI1; l=http://x.jp/l.svg",
            "v=BIMI1; l=https://x.jp/a.svg,https://x.jp/b.svg",
            "v=BIMI1; l=https://x.jp/l.svg; l=https://x.jp/m.svg",
            "v=BIMI1; l=; a=https://x.jp/vmc.pem",
            "v=BIMI1;; l=https://x.jp/l.svg",
        ] {
            assert_eq!(status(&[bad]), BimiStatus::Invalid, "{bad}");
        }
        assert_eq!(
            status(&["v=BIMI2; l=https://x.jp/l.svg"]),
            BimiStatus::Absent
        );
        assert_eq!(status(&[]), BimiStatus::Absent);
        assert_eq!(
            status(&["v=BIMI1; l=https://x.jp/l.svg", "v=BIMI1; l=;"]),
            BimiStatus::Multiple
        );
    }
}
