//! The simulated population: which names exist and what each one publishes, as a pure function
//! of (seed, name). Synthetic names carry their index (`sakura123.co.jp`), so the server answers
//! 1.5 million names without a map; the real local-government names, and a few real names the
//! Public Suffix List's PRIVATE section lists, are the only ones stored.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use crate::zone::{JpType, Region, classify, refdata};

use super::SimError;
use super::spec::{Counts, LgSpec, TypeSpec};

/// What one name has in the ground truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Truth {
    pub mx: MxTruth,
    /// A TXT at the apex that starts `v=spf1` (the ministry's "declared").
    pub spf: bool,
    /// A TXT at `_dmarc.<name>` that starts `v=DMARC1`.
    pub dmarc: bool,
    /// Picks the variety of records (see `records.rs`); no effect on the counts.
    pub variant: u64,
    /// Which apex record `records::apex_txt` publishes: the variant's last two digits in month
    /// 0, another where the name's record changed (`month.rs`).
    pub spf_choice: u8,
    /// Which `_dmarc` record `records::dmarc` publishes: the variant's next two digits in
    /// month 0, likewise.
    pub dmarc_choice: u8,
}

impl Truth {
    /// A name's month-0 truth: its records picked by its variant.
    fn new(mx: MxTruth, spf: bool, dmarc: bool, variant: u64) -> Truth {
        Truth {
            mx,
            spf,
            dmarc,
            variant,
            spf_choice: (variant % 100) as u8,
            dmarc_choice: ((variant / 100) % 100) as u8,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MxTruth {
    Mx,
    /// `0 .` (RFC 7505): counted apart, not as MX.
    Null,
    None,
}

impl MxTruth {
    pub fn code(self) -> &'static str {
        match self {
            MxTruth::Mx => "mx",
            MxTruth::Null => "null",
            MxTruth::None => "none",
        }
    }
}

/// A name of the population with its ground truth.
#[derive(Debug, Clone)]
pub struct SimName {
    pub name: String,
    pub jp_type: JpType,
    pub lgcode: Option<String>,
    /// In the month served.
    pub truth: Truth,
    /// The name's one change in the year and its month (`month.rs`): the ground truth of
    /// `diff` between months.
    pub change: Option<(u32, crate::tabulate::Change)>,
}

pub struct Population {
    seed: u64,
    /// Synthetic names per type, after the real names placed in that type.
    synthetic: Vec<(JpType, Counts)>,
    explicit: HashMap<String, SimName>,
    explicit_order: Vec<String>,
    /// Records served beside the population, outside its counts.
    corpus: Option<super::Corpus>,
    /// The month served (`month.rs`): 0 is the spec exactly.
    month: u32,
}

/// Where the real local governments go: inside the per-type counts (the spec exactly), or
/// beside them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Placement {
    Inside,
    Beside,
}

pub(crate) fn mix(seed: u64, parts: &[u64]) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    seed.hash(&mut h);
    parts.hash(&mut h);
    h.finish()
}

/// A seeded bijection of `[0, n)` (a 4-round Feistel network with cycle walking), so that
/// "the first `mx` ranks have MX" picks exactly `mx` names spread over the index range.
fn permute(seed: u64, i: u64, n: u64) -> u64 {
    if n <= 1 {
        return i;
    }
    let bits = 64 - (n - 1).leading_zeros();
    let half = bits.div_ceil(2);
    let mask = (1u64 << half) - 1;
    let mut x = i;
    loop {
        let (mut l, mut r) = (x >> half, x & mask);
        for round in 0..4 {
            let f = mix(seed, &[round, r]) & mask;
            (l, r) = (r, l ^ f);
        }
        x = (l << half) | r;
        if x < n {
            return x;
        }
    }
}

const SYLLABLES: [&str; 40] = [
    "a", "ka", "sa", "ta", "na", "ha", "ma", "ya", "ra", "wa", "ki", "shi", "chi", "ni", "hi",
    "mi", "ri", "ku", "su", "tsu", "nu", "fu", "mu", "yu", "ru", "ke", "se", "te", "ne", "he",
    "me", "re", "ko", "so", "to", "no", "ho", "mo", "yo", "ro",
];
const JA_WORDS: [&str; 8] = [
    "さくら",
    "やまと",
    "みどり",
    "ひかり",
    "日本",
    "東京",
    "商店",
    "会社",
];

fn type_tag(t: JpType) -> u64 {
    JpType::ALL.iter().position(|x| *x == t).unwrap_or(0) as u64
}

impl Population {
    /// A population from a per-type spec, a local-government spec, or both. With both, the real
    /// local-government names take their places inside the per-type counts (they are .jp names
    /// of those types), and those outside .jp are added as `OTHER`.
    pub fn new(
        seed: u64,
        types: Option<&TypeSpec>,
        lg: Option<&LgSpec>,
    ) -> Result<Population, SimError> {
        Population::placing(seed, types, lg, Placement::Inside)
    }

    /// A per-type population with the real local governments added beside its counts (not
    /// inside them): what a scaled-down spec, too small to hold the 1,788 names, can have.
    pub fn with_local_governments_beside(
        seed: u64,
        types: &TypeSpec,
        lg: &LgSpec,
    ) -> Result<Population, SimError> {
        Population::placing(seed, Some(types), Some(lg), Placement::Beside)
    }

    fn placing(
        seed: u64,
        types: Option<&TypeSpec>,
        lg: Option<&LgSpec>,
        placement: Placement,
    ) -> Result<Population, SimError> {
        let mut last_err = None;
        // A draw of the local governments' SPF/DMARC may not fit a type's counts (3 DMARC
        // names all of type LG against LG's 2): draw again with the next sub-seed.
        for attempt in 0..200 {
            let mut explicit = match lg {
                Some(lg) => assign_local_governments(mix(seed, &[attempt, 0x1c]), lg)?,
                None => Vec::new(),
            };
            if let Some(spec) = types {
                let private = private_section_names(seed, spec, &explicit);
                explicit.extend(private);
            }
            match Population::fit(seed, types, explicit, placement) {
                Ok(p) => return Ok(p),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.expect("at least one attempt"))
    }

    fn fit(
        seed: u64,
        types: Option<&TypeSpec>,
        explicit: Vec<SimName>,
        placement: Placement,
    ) -> Result<Population, SimError> {
        let mut synthetic = Vec::new();
        if let Some(spec) = types {
            for &(t, c) in &spec.types {
                let inside = |s: &&SimName| placement == Placement::Inside || s.lgcode.is_none();
                let mine = explicit.iter().filter(|s| s.jp_type == t).filter(inside);
                let mut used = Counts::default();
                for s in mine {
                    used.total += 1;
                    if s.truth.mx == MxTruth::Mx {
                        used.mx += 1;
                        used.spf += u64::from(s.truth.spf);
                        used.dmarc += u64::from(s.truth.dmarc);
                    }
                }
                let rest = Counts {
                    total: c.total.checked_sub(used.total).unwrap_or(u64::MAX),
                    mx: c.mx.checked_sub(used.mx).unwrap_or(u64::MAX),
                    spf: c.spf.checked_sub(used.spf).unwrap_or(u64::MAX),
                    dmarc: c.dmarc.checked_sub(used.dmarc).unwrap_or(u64::MAX),
                };
                if rest.total == u64::MAX
                    || rest.mx > rest.total
                    || rest.spf > rest.mx
                    || rest.dmarc > rest.mx
                {
                    return Err(SimError::Spec(format!(
                        "the local governments of type {t} do not fit its counts {c:?} (they use {used:?})"
                    )));
                }
                synthetic.push((t, rest));
            }
        }
        let explicit_order = explicit.iter().map(|s| s.name.clone()).collect();
        Ok(Population {
            seed,
            synthetic,
            explicit: explicit.into_iter().map(|s| (s.name.clone(), s)).collect(),
            explicit_order,
            corpus: None,
            month: 0,
        })
    }

    /// The same names in `month` (`month.rs`): the records of those that changed by then.
    pub fn at_month(mut self, month: u32) -> Population {
        self.month = month;
        self
    }

    pub fn month(&self) -> u32 {
        self.month
    }

    /// A name's truth in the month served, from its month-0 truth.
    fn aged(&self, base: Truth) -> Truth {
        super::month::at_month(self.seed, base, self.month)
    }

    /// A name of month 0 as it is in the month served, with its change of the year.
    fn dated(&self, mut s: SimName) -> SimName {
        s.change = super::month::drift(self.seed, &s.truth);
        s.truth = self.aged(s.truth);
        s
    }

    pub fn len(&self) -> u64 {
        self.explicit.len() as u64 + self.synthetic.iter().map(|(_, c)| c.total).sum::<u64>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every name with its truth, the real ones first, then each type's synthetic names.
    pub fn names(&self) -> impl Iterator<Item = SimName> + '_ {
        let explicit = self.explicit_order.iter().map(|n| self.explicit[n].clone());
        let synthetic = self.synthetic.iter().flat_map(move |&(t, c)| {
            (0..c.total).map(move |i| SimName {
                name: self.synthetic_name(t, i),
                jp_type: t,
                lgcode: None,
                truth: self.synthetic_truth(t, c, i),
                change: None,
            })
        });
        explicit.chain(synthetic).map(|s| self.dated(s))
    }

    fn synthetic_truth(&self, t: JpType, c: Counts, i: u64) -> Truth {
        let tag = type_tag(t);
        let rank = permute(mix(self.seed, &[tag, 1]), i, c.total);
        let variant = mix(self.seed, &[tag, 2, i]);
        if rank < c.mx {
            // SPF takes the first ranks; DMARC a second, independent permutation of the MX names.
            let drank = permute(mix(self.seed, &[tag, 3]), rank, c.mx);
            Truth::new(MxTruth::Mx, rank < c.spf, drank < c.dmarc, variant)
        } else {
            // Names without MX: some say "no mail" outright (null MX, `v=spf1 -all`, p=reject);
            // none of it enters the ministry's SPF or DMARC rates, whose denominator is MX names.
            let mx = if variant % 10 == 1 {
                MxTruth::Null
            } else {
                MxTruth::None
            };
            Truth::new(
                mx,
                variant.is_multiple_of(3),
                variant.is_multiple_of(7),
                variant,
            )
        }
    }

    fn word(&self, t: JpType, i: u64) -> String {
        let h = mix(self.seed, &[type_tag(t), 4, i]);
        let n = 2 + (h % 2) as usize;
        (0..n)
            .map(|k| SYLLABLES[((h >> (8 * k + 8)) % SYLLABLES.len() as u64) as usize])
            .collect()
    }

    /// The synthetic name of index `i` of type `t`; classifying it gives back `t`.
    pub fn synthetic_name(&self, t: JpType, i: u64) -> String {
        let word = self.word(t, i);
        let rd = refdata();
        match t {
            JpType::Lg => {
                let kind = ["city", "town", "vill"][(i % 3) as usize];
                format!("{kind}.{word}{i}.lg.jp")
            }
            JpType::Geographic => {
                let pref = &rd.prefectures[(i % 47) as usize];
                match i % 3 {
                    0 => format!("{word}{i}.{}.jp", pref.label_ascii),
                    1 => format!("{word}{i}.{}.jp", pref.label_idn),
                    _ => {
                        let cities = geo_city_zones();
                        let zone = &cities[(i / 3) as usize % cities.len()];
                        format!("{word}{i}.{zone}")
                    }
                }
            }
            JpType::General if i % 8 == 5 => {
                let ja = JA_WORDS[(mix(self.seed, &[5, i]) % JA_WORDS.len() as u64) as usize];
                let label = idna::domain_to_ascii(&format!("{ja}{i}")).expect("valid IDN label");
                format!("{label}.jp")
            }
            JpType::General => format!("{word}{i}.jp"),
            JpType::Other => format!("{word}{i}.example.com"),
            org => format!(
                "{word}{i}.{}.jp",
                org.org_label().expect("organizational type")
            ),
        }
    }

    /// The same population with `corpus` served beside it.
    pub fn with_corpus(mut self, corpus: super::Corpus) -> Population {
        self.corpus = Some(corpus);
        self
    }

    pub fn corpus(&self) -> Option<&super::Corpus> {
        self.corpus.as_ref()
    }

    /// The truth of a registered name of the population in the month served, or `None` if the
    /// name does not exist.
    pub fn lookup(&self, name: &str) -> Option<Truth> {
        if let Some(s) = self.explicit.get(name) {
            return Some(self.aged(s.truth));
        }
        let (t, i) = decode_synthetic(name)?;
        let &(_, c) = self.synthetic.iter().find(|(x, _)| *x == t)?;
        if i >= c.total || self.synthetic_name(t, i) != name {
            return None;
        }
        Some(self.aged(self.synthetic_truth(t, c, i)))
    }
}

/// The old-geographic city zones (`hakodate.hokkaido.jp`), from the local-government list.
fn geo_city_zones() -> &'static [String] {
    static ZONES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        let mut zones: Vec<String> = refdata()
            .localgovs
            .iter()
            .filter(|l| {
                l.registered_domain.ends_with(".jp") && !l.registered_domain.ends_with(".lg.jp")
            })
            .filter(|l| l.registered_domain.matches('.').count() == 3)
            .filter_map(|l| {
                l.registered_domain
                    .split_once('.')
                    .map(|(_, z)| z.to_string())
            })
            .collect();
        zones.sort();
        zones.dedup();
        zones
    });
    &ZONES
}

/// The type and index a synthetic name encodes, from its shape alone.
fn decode_synthetic(name: &str) -> Option<(JpType, u64)> {
    let labels: Vec<&str> = name.split('.').collect();
    let (t, label) = match labels.as_slice() {
        [_, x, "lg", "jp"] => (JpType::Lg, *x),
        [x, org, "jp"] if JpType::ALL.iter().any(|t| t.org_label() == Some(org)) => (
            JpType::ALL
                .into_iter()
                .find(|t| t.org_label() == Some(org))?,
            *x,
        ),
        [x, "jp"] => (JpType::General, *x),
        [x, "example", "com"] => (JpType::Other, *x),
        [x, .., "jp"] => (JpType::Geographic, *x),
        _ => return None,
    };
    let text = if label.starts_with("xn--") {
        idna::domain_to_unicode(label).0
    } else {
        label.to_string()
    };
    let digits = text.len() - text.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return None;
    }
    let i = text[text.len() - digits..].parse().ok()?;
    Some((t, i))
}

/// Registered .jp names that the Public Suffix List's PRIVATE section also lists (companies
/// that offer names below their own): surveyed and typed like any other .jp name.
pub const PRIVATE_SECTION_NAMES: [(&str, JpType); 4] = [
    ("moo.jp", JpType::General),
    ("hateblo.jp", JpType::General),
    ("sakura.ne.jp", JpType::Ne),
    ("opal.ne.jp", JpType::Ne),
];

/// The [`PRIVATE_SECTION_NAMES`] placed inside their types' counts, beside the names already
/// placed there: each with MX, SPF and DMARC while its type's counts leave room.
fn private_section_names(seed: u64, spec: &TypeSpec, placed: &[SimName]) -> Vec<SimName> {
    let mut out: Vec<SimName> = Vec::new();
    for (i, (name, t)) in PRIVATE_SECTION_NAMES.iter().enumerate() {
        let c = spec.get(*t);
        let mut used = Counts::default();
        for s in placed.iter().chain(&out).filter(|s| s.jp_type == *t) {
            used.total += 1;
            if s.truth.mx == MxTruth::Mx {
                used.mx += 1;
                used.spf += u64::from(s.truth.spf);
                used.dmarc += u64::from(s.truth.dmarc);
            }
        }
        if used.total >= c.total {
            continue;
        }
        let mx = used.mx < c.mx;
        out.push(SimName {
            name: name.to_string(),
            jp_type: *t,
            lgcode: None,
            change: None,
            truth: Truth::new(
                if mx { MxTruth::Mx } else { MxTruth::None },
                mx && used.spf < c.spf,
                mx && used.dmarc < c.dmarc,
                mix(seed, &[type_tag(*t), 5, i as u64]),
            ),
        });
    }
    out
}

/// Gives each of the 1,788 local governments MX, and SPF and DMARC so that each region's
/// counts equal the spec.
fn assign_local_governments(seed: u64, spec: &LgSpec) -> Result<Vec<SimName>, SimError> {
    let rd = refdata();
    let mut by_region: HashMap<Region, Vec<&crate::zone::LocalGov>> = HashMap::new();
    for l in &rd.localgovs {
        let region = rd
            .prefecture(l.prefecture)
            .expect("known prefecture")
            .region;
        by_region.entry(region).or_default().push(l);
    }
    let mut out = Vec::with_capacity(rd.localgovs.len());
    for &(region, c) in &spec.regions {
        let govs = by_region
            .get(&region)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if govs.len() as u64 != c.total {
            return Err(SimError::Spec(format!(
                "region {region}: the spec counts {} local governments, the list has {}",
                c.total,
                govs.len()
            )));
        }
        let n = c.total;
        let rtag = region as u64;
        for (i, l) in govs.iter().enumerate() {
            let i = i as u64;
            let rank = permute(mix(seed, &[rtag, 1]), i, n);
            let drank = permute(mix(seed, &[rtag, 2]), i, n);
            let name = l.registered_domain.clone();
            out.push(SimName {
                jp_type: classify(&name).jp_type,
                lgcode: Some(l.lgcode.clone()),
                change: None,
                truth: Truth::new(
                    MxTruth::Mx,
                    rank < c.spf,
                    drank < c.dmarc,
                    mix(seed, &[rtag, 3, i]),
                ),
                name,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_is_a_bijection() {
        for n in [1u64, 2, 7, 100, 1000, 4097] {
            let mut seen: Vec<u64> = (0..n).map(|i| permute(42, i, n)).collect();
            seen.sort();
            assert_eq!(seen, (0..n).collect::<Vec<_>>());
        }
    }

    #[test]
    fn synthetic_names_classify_back_and_decode() {
        let p = Population::new(7, Some(&TypeSpec::jp_2018().scaled(100)), None).unwrap();
        for s in p.names() {
            let c = classify(&crate::zone::normalize(&s.name).unwrap());
            assert_eq!(c.jp_type, s.jp_type, "{}", s.name);
            assert_eq!(c.registered_domain, s.name);
            assert_eq!(p.lookup(&s.name), Some(s.truth), "{}", s.name);
        }
        assert_eq!(p.lookup("nosuchname.co.jp"), None);
        assert_eq!(p.lookup("sakura99999999.co.jp"), None);
    }

    #[test]
    fn same_seed_same_population() {
        let spec = TypeSpec::jp_2018().scaled(1000);
        let a: Vec<_> = Population::new(1, Some(&spec), None)
            .unwrap()
            .names()
            .collect();
        let b: Vec<_> = Population::new(1, Some(&spec), None)
            .unwrap()
            .names()
            .collect();
        let c: Vec<_> = Population::new(2, Some(&spec), None)
            .unwrap()
            .names()
            .collect();
        let key = |v: &[SimName]| {
            v.iter()
                .map(|s| (s.name.clone(), s.truth))
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&a), key(&b));
        assert_ne!(key(&a), key(&c));
    }
}
