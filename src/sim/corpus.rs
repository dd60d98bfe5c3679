//! A hand-kept set of named records served beside the population: the policy agreement corpus
//! (`tests/data/policy-corpus.jsonl`), one JSON object per line with the name, its MX records
//! (`PREF EXCHANGE`), its apex TXT records and its `_dmarc` TXT records, each TXT record a list
//! of character-strings as published; `at` holds TXT records at other owner names (BIMI,
//! MTA-STS, TLS-RPT, report-destination authorizations).

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::SimError;

#[derive(Debug, Clone, Deserialize)]
pub struct CorpusEntry {
    pub name: String,
    /// What the entry exercises, for the reader of a disagreement.
    #[serde(default)]
    pub case: String,
    #[serde(default)]
    pub mx: Vec<String>,
    #[serde(default)]
    pub txt: Vec<Vec<String>>,
    #[serde(default)]
    pub dmarc: Vec<Vec<String>>,
    #[serde(default)]
    pub at: HashMap<String, Vec<Vec<String>>>,
}

#[derive(Debug, Clone, Default)]
pub struct Corpus {
    entries: HashMap<String, CorpusEntry>,
    /// Every entry's `at` records by owner name.
    at: HashMap<String, Vec<Vec<String>>>,
}

impl Corpus {
    pub fn from_path(path: &Path) -> Result<Corpus, SimError> {
        let text = std::fs::read_to_string(path)?;
        Corpus::parse(&text).map_err(|e| SimError::Spec(format!("{}: {e}", path.display())))
    }

    /// One entry per non-empty line; a bad line is an error naming it.
    pub fn parse(text: &str) -> Result<Corpus, String> {
        let mut entries = HashMap::new();
        let mut at = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let e: CorpusEntry =
                serde_json::from_str(line).map_err(|err| format!("line {}: {err}", i + 1))?;
            let name = e.name.trim_end_matches('.').to_ascii_lowercase();
            for (owner, txts) in &e.at {
                let owner = owner.trim_end_matches('.').to_ascii_lowercase();
                if at.insert(owner.clone(), txts.clone()).is_some() {
                    return Err(format!("line {}: records at {owner} given twice", i + 1));
                }
            }
            if entries.insert(name.clone(), e).is_some() {
                return Err(format!("line {}: {name} given twice", i + 1));
            }
        }
        Ok(Corpus { entries, at })
    }

    /// The TXT records an entry publishes at `owner` (not its apex or `_dmarc`).
    pub fn txt_at(&self, owner: &str) -> Option<&Vec<Vec<String>>> {
        self.at.get(owner)
    }

    /// Whether `name` is an empty non-terminal: an owner of `at` records lies below it.
    pub fn is_above_records(&self, name: &str) -> bool {
        let suffix = format!(".{name}");
        self.at.keys().any(|o| o.ends_with(&suffix))
    }

    pub fn get(&self, name: &str) -> Option<&CorpusEntry> {
        self.entries.get(name)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
