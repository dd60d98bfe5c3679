//! The `tag=value; tag=value` records that BIMI, MTA-STS (RFC 8461 §3.1) and TLS-RPT
//! (RFC 8460 §3) publish in TXT: which records at a name are of the kind (a version tag first),
//! and the tags of one, split with the grammar's white space rules.

use serde::{Deserialize, Serialize};

/// What a name's TXT records hold of one kind of record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Published<R> {
    /// Exactly one record of the kind, valid.
    Valid(R),
    /// Exactly one record of the kind that breaks its grammar: why.
    Invalid(String),
    /// Several records of the kind: each of the three specifications then treats the name as
    /// publishing none (RFC 8461 §3.1, RFC 8460 §3, BIMI §4.4).
    Multiple(usize),
    Absent,
}

crate::codes! {
    /// What [`Published`] found, as tables count it.
    pub enum Status {
        Valid => "valid",
        Invalid => "invalid",
        Multiple => "multiple",
        Absent => "absent",
    }
}

impl<R> Published<R> {
    pub fn status(&self) -> Status {
        match self {
            Published::Valid(_) => Status::Valid,
            Published::Invalid(_) => Status::Invalid,
            Published::Multiple(_) => Status::Multiple,
            Published::Absent => Status::Absent,
        }
    }

    pub fn valid(&self) -> Option<&R> {
        match self {
            Published::Valid(r) => Some(r),
            _ => None,
        }
    }

    /// The one record of the kind among `txts` (joined strings), parsed by `parse`.
    pub fn read(
        txts: &[String],
        version: &str,
        parse: impl Fn(&str) -> Result<R, String>,
    ) -> Published<R> {
        let mut found = txts.iter().filter(|t| has_version(t, version));
        match (found.next(), found.count()) {
            (None, _) => Published::Absent,
            (Some(one), 0) => match parse(one) {
                Ok(r) => Published::Valid(r),
                Err(why) => Published::Invalid(why),
            },
            (Some(_), more) => Published::Multiple(more + 1),
        }
    }
}

/// Whether `txt` opens with the version tag `version` (e.g. `v=STSv1`), the tag ended by white
/// space, `;` or the end. A record that opens so but then breaks the grammar is the kind's
/// record, counted as invalid rather than as absent.
fn has_version(txt: &str, version: &str) -> bool {
    txt.strip_prefix(version)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([';', ' ', '\t']))
}

/// A record's `name=value` fields in order.
pub type Fields<'a> = Vec<(&'a str, &'a str)>;

/// White space the grammars allow around `;`: `*WSP` (RFC 5234: space and tab).
const WSP: [char; 2] = [' ', '\t'];

/// The `name=value` fields after the version tag, in order, each trimmed of white space
/// around the `;` between fields (one `;` may end the record). A field without `=` or an empty
/// field between two `;` is an error naming it.
pub fn fields<'a>(record: &'a str, version: &str) -> Result<Fields<'a>, String> {
    let rest = record
        .strip_prefix(version)
        .ok_or_else(|| format!("does not begin with {version}"))?;
    let parts: Vec<&str> = rest.split(';').collect();
    if parts[0].trim_matches(WSP).is_empty() && parts.len() == 1 {
        return Ok(Vec::new());
    }
    if !parts[0].trim_matches(WSP).is_empty() {
        return Err(format!("{version} is not followed by \";\""));
    }
    let mut out = Vec::new();
    for (i, part) in parts.iter().enumerate().skip(1) {
        let part = part.trim_matches(WSP);
        if part.is_empty() {
            if i + 1 == parts.len() {
                break;
            }
            return Err("an empty field between two \";\"".to_string());
        }
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| format!("field {part:?} is not name=value"))?;
        out.push((name, value));
    }
    Ok(out)
}

/// A record of RFC 8460/8461's shape, read as senders read it: it must begin `<version>;`
/// (RFC 8461 §3.1 and RFC 8460 §3: "records that do not begin with "v=STSv1;" [or
/// "v=TLSRPTv1;"] are discarded", so `v=STSv1 ;`, which the grammar's `*WSP ";"` would allow,
/// reads as no policy); `required` appears exactly once; every other field is an extension in
/// the grammar. Returns the required field's value and the extensions in order.
pub fn versioned<'a>(
    record: &'a str,
    version: &str,
    required: &str,
) -> Result<(&'a str, Fields<'a>), String> {
    if !record
        .strip_prefix(version)
        .is_some_and(|rest| rest.starts_with(';'))
    {
        return Err(format!(
            "does not begin with \"{version};\" (senders discard it)"
        ));
    }
    let mut value = None;
    let mut extensions = Vec::new();
    for (name, v) in fields(record, version)? {
        if name == required {
            if value.replace(v).is_some() {
                return Err(format!("{required} given twice"));
            }
        } else if is_field_name(name) && is_field_value(v) {
            extensions.push((name, v));
        } else {
            return Err(format!("field {name}={v} breaks the grammar"));
        }
    }
    let value = value.ok_or_else(|| format!("no {required} field (required)"))?;
    Ok((value, extensions))
}

/// Field names of RFC 8460/8461: `(ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")`.
pub fn is_field_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.len() <= 32
        && chars.all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

/// Field values of RFC 8460/8461 extensions: `1*(%x21-3A / %x3C / %x3E-7E)`: visible ASCII
/// but `;` and `=`.
pub fn is_field_value(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b';' && b != b'=')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_then_fields() {
        assert_eq!(
            fields("v=STSv1; id=abc ;x=y;", "v=STSv1").unwrap(),
            vec![("id", "abc"), ("x", "y")]
        );
        assert_eq!(fields("v=STSv1", "v=STSv1").unwrap(), vec![]);
        assert!(fields("v=STSv1 id=abc", "v=STSv1").is_err());
        assert!(fields("v=STSv1;;id=abc", "v=STSv1").is_err());
        assert!(fields("v=STSv1; id", "v=STSv1").is_err());
        assert!(has_version("v=STSv1;", "v=STSv1"));
        assert!(has_version("v=STSv1 ;", "v=STSv1"));
        assert!(!has_version("v=STSv10;", "v=STSv1"));
        assert!(!has_version("V=STSv1;", "v=STSv1"));
    }

    #[test]
    fn names_and_values() {
        assert!(is_field_name("id") && is_field_name("x-ext.1"));
        assert!(!is_field_name("-x") && !is_field_name(&"a".repeat(33)));
        assert!(is_field_value("2025x") && !is_field_value("a=b") && !is_field_value(""));
    }
}
