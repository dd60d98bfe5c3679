//! MTA-STS policy indicators (RFC 8461 §3.1): the TXT record at `_mta-sts.<name>` that says a
//! policy is published (the HTTPS policy file itself is not fetched: a DNS survey sees the
//! indicator only).

use serde::{Deserialize, Serialize};

use super::tags::{self, Published};

/// The TXT owner name of a domain's MTA-STS record.
pub fn owner(name: &str) -> String {
    format!("_mta-sts.{name}")
}

const VERSION: &str = "v=STSv1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StsRecord {
    /// `sts-id = %s"id=" 1*32(ALPHA / DIGIT)`: changes when the policy does.
    pub id: String,
    /// Extension fields, kept for the researcher (§3.1: unknown fields are ignored).
    pub extensions: Vec<(String, String)>,
}

/// The name's MTA-STS record among its `_mta-sts` TXT records.
pub fn read(txts: &[String]) -> Published<StsRecord> {
    Published::read(txts, VERSION, parse)
}

/// One record, to the §3.1 grammar:
/// `sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim]`, with
/// `sts-id = %s"id=" 1*32(ALPHA / DIGIT)` required.
pub fn parse(record: &str) -> Result<StsRecord, String> {
    let (id, extensions) = tags::versioned(record, VERSION, "id")?;
    if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!("id {id:?} is not 1 to 32 letters and digits"));
    }
    Ok(StsRecord {
        id: id.to_string(),
        extensions: extensions
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::fake::v;
    use crate::policy::tags::Status;

    #[test]
    fn valid_records() {
        let r = read(&v(&["v=STSv1; id=20251101T000000;"]));
        assert_eq!(r.valid().unwrap().id, "20251101T000000");
        let r = read(&v(&["v=STSv1;id=abc; ext-1=x", "some other text"]));
        assert_eq!(
            r.valid().unwrap().extensions,
            vec![("ext-1".into(), "x".into())]
        );
    }

    #[test]
    fn invalid_absent_several() {
        for bad in [
            "v=STSv1;",
            "v=STSv1; id=",
            "v=STSv1; id=has-dash",
            "v=STSv1; id=a; id=b",
            "v=STSv1 ; id=a",
            &format!("v=STSv1; id={}", "a".repeat(33)),
        ] {
            assert_eq!(read(&v(&[bad])).status(), Status::Invalid, "{bad}");
        }
        assert_eq!(read(&v(&["v=STSv2; id=a"])), Published::Absent);
        assert_eq!(read(&v(&[])), Published::Absent);
        assert_eq!(
            read(&v(&["v=STSv1; id=a", "v=STSv1; id=b"])),
            Published::Multiple(2)
        );
    }
}
