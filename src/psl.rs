//! The Public Suffix List the survey reads: the list compiled into the `psl` crate, or a newer
//! `public_suffix_list.dat` named with `--psl`, read once before any name is looked at. Both
//! keep the list's two sections apart (ICANN and PRIVATE), which the zone stage and DMARC
//! read differently.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use psl::Psl;
pub use psl::{Suffix, Type};

/// The `psl` crate release whose compiled list is the default (its rules as of that release;
/// a test keeps this equal to Cargo.lock).
pub const EMBEDDED: &str = "psl 2.1.247";

static FILE: OnceLock<(PathBuf, publicsuffix::List)> = OnceLock::new();

/// Read the list in `path` and use it instead of the compiled one for the rest of the
/// process. Giving the same file again is fine; another one is an error.
pub fn use_file(path: &Path) -> Result<(), String> {
    if let Some((used, _)) = FILE.get() {
        return match used == path {
            true => Ok(()),
            false => Err(format!(
                "the Public Suffix List {} is in use already; give one --psl",
                used.display()
            )),
        };
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the Public Suffix List {}: {e}", path.display()))?;
    if !text.contains("===BEGIN ICANN DOMAINS===") {
        return Err(format!(
            "{} is not a Public Suffix List: it has no ===BEGIN ICANN DOMAINS=== section (give public_suffix_list.dat from publicsuffix.org)",
            path.display()
        ));
    }
    let list: publicsuffix::List = text
        .parse()
        .map_err(|e| format!("{}: not a Public Suffix List: {e}", path.display()))?;
    let _ = FILE.set((path.to_path_buf(), list));
    Ok(())
}

/// The file in use, if one was given.
pub fn file() -> Option<&'static Path> {
    FILE.get().map(|(p, _)| p.as_path())
}

/// Which list is in use, for the manifest and the README's reader.
pub fn source() -> String {
    match file() {
        Some(p) => format!("file {}", p.display()),
        None => format!("embedded ({EMBEDDED})"),
    }
}

/// The longest public suffix of `name` (lower-case A-labels) in either section, with the
/// section its rule is in; `None` where the name has no known top-level domain.
pub fn suffix(name: &str) -> Option<Suffix<'_>> {
    let found = match FILE.get() {
        Some((_, list)) => list.suffix(name.as_bytes()),
        None => psl::suffix(name.as_bytes()),
    };
    found.filter(Suffix::is_known)
}

/// The registrable domain of `name` under the whole list (private section included).
pub fn domain_str(name: &str) -> Option<&str> {
    let d = match FILE.get() {
        Some((_, list)) => list.domain(name.as_bytes()),
        None => psl::domain(name.as_bytes()),
    }?;
    d.suffix()
        .is_known()
        .then(|| &name[name.len() - d.as_bytes().len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_version_is_the_locked_one() {
        let lock = include_str!("../Cargo.lock");
        let version = EMBEDDED.strip_prefix("psl ").unwrap();
        assert!(
            lock.contains(&format!("name = \"psl\"\nversion = \"{version}\"")),
            "update EMBEDDED to Cargo.lock's psl"
        );
    }

    #[test]
    fn sections_are_told_apart() {
        assert_eq!(suffix("x.co.jp").map(|s| s.typ()), Some(Some(Type::Icann)));
        let moo = suffix("moo.jp").unwrap();
        assert_eq!(
            (moo.as_bytes(), moo.typ()),
            (&b"moo.jp"[..], Some(Type::Private))
        );
        assert_eq!(domain_str("a.b.sakura.ne.jp"), Some("b.sakura.ne.jp"));
        assert_eq!(domain_str("example.invalid"), None);
    }
}
