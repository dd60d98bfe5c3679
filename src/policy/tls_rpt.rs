//! SMTP TLS Reporting (RFC 8460 §3): the TXT record at `_smtp._tls.<name>` naming where
//! senders report TLS failures.

use serde::{Deserialize, Serialize};

use super::tags::{self, Published};

/// The TXT owner name of a domain's TLS-RPT record.
pub fn owner(name: &str) -> String {
    format!("_smtp._tls.{name}")
}

const VERSION: &str = "v=TLSRPTv1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsRptRecord {
    /// Report destinations (`mailto:` or `https:`, the two schemes §3 defines).
    pub rua: Vec<String>,
    /// URIs of other schemes, which no sender can use.
    pub unusable: Vec<String>,
}

pub fn read(txts: &[String]) -> Published<TlsRptRecord> {
    Published::read(txts, VERSION, parse)
}

/// One record, to the §3 grammar:
/// `tlsrpt-record = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]`, with
/// `tlsrpt-rua = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)` required.
pub fn parse(record: &str) -> Result<TlsRptRecord, String> {
    let (rua, _extensions) = tags::versioned(record, VERSION, "rua")?;
    let (mut usable, mut unusable) = (Vec::new(), Vec::new());
    for uri in rua.split(',').map(|u| u.trim_matches([' ', '\t'])) {
        let scheme = uri.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("mailto") if uri.contains('@') => usable.push(uri.to_string()),
            Some("https") if uri.len() > "https://".len() => usable.push(uri.to_string()),
            _ if uri.is_empty() => return Err("an empty URI in rua".to_string()),
            _ => unusable.push(uri.to_string()),
        }
    }
    if usable.is_empty() {
        return Err(format!(
            "no mailto: or https: URI in rua ({})",
            unusable.join(", ")
        ));
    }
    Ok(TlsRptRecord {
        rua: usable,
        unusable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::fake::v;
    use crate::policy::tags::Status;

    #[test]
    fn valid_records() {
        let r = read(&v(&[
            "v=TLSRPTv1; rua=mailto:tls@example.jp, https://r.example.net/tlsrpt",
        ]));
        assert_eq!(r.valid().unwrap().rua.len(), 2);
        let r = read(&v(&["v=TLSRPTv1;rua=mailto:a@b.jp;", "v=spf1 -all"]));
        assert_eq!(r.valid().unwrap().rua, vec!["mailto:a@b.jp"]);
        let r = read(&v(&["v=TLSRPTv1; rua=ftp://x.jp,mailto:a@b.jp"]));
        assert_eq!(r.valid().unwrap().unusable, vec!["ftp://x.jp"]);
    }

    #[test]
    fn invalid_absent_several() {
        for bad in [
            "v=TLSRPTv1;",
            "v=TLSRPTv1; rua=",
            "v=TLSRPTv1; rua=ftp://x.jp",
            "v=TLSRPTv1 rua=mailto:a@b.jp",
            "v=TLSRPTv1; rua=mailto:a@b.jp; rua=mailto:c@d.jp",
        ] {
            assert_eq!(read(&v(&[bad])).status(), Status::Invalid, "{bad}");
        }
        assert_eq!(
            read(&v(&["v=TLSRPTv2; rua=mailto:a@b.jp"])),
            Published::Absent
        );
        assert_eq!(
            read(&v(&[
                "v=TLSRPTv1; rua=mailto:a@b.jp",
                "v=TLSRPTv1; rua=mailto:c@b.jp"
            ])),
            Published::Multiple(2)
        );
    }
}
