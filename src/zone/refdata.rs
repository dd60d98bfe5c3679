//! Reference data embedded in the binary: the 47 prefectures with their region, and the 1,788
//! local governments with their registered domains (both from `data/`).

use foldhash::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use serde::Serialize;

const PREFECTURES_CSV: &str = include_str!("../../data/prefectures.csv");
const LOCALGOV_CSV: &str = include_str!("../../data/localgov-1788.csv");
/// The central government's go.jp registered domains (40 bodies: the Diet, the Cabinet, the
/// ministries and agencies, the courts), for the government table.
const CENTRAL_GOVERNMENT_CSV: &str = include_str!("../../data/gojp-central-government.csv");

/// The eight regions the ministry's local-government table groups prefectures into
/// (三重 counts in 近畿, as in the published 2018 table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Region {
    Hokkaido,
    Tohoku,
    Kanto,
    Chubu,
    Kinki,
    Chugoku,
    Shikoku,
    KyushuOkinawa,
}

impl Region {
    pub const ALL: [Region; 8] = [
        Region::Hokkaido,
        Region::Tohoku,
        Region::Kanto,
        Region::Chubu,
        Region::Kinki,
        Region::Chugoku,
        Region::Shikoku,
        Region::KyushuOkinawa,
    ];

    pub fn name_ja(self) -> &'static str {
        match self {
            Region::Hokkaido => "北海道",
            Region::Tohoku => "東北",
            Region::Kanto => "関東",
            Region::Chubu => "中部",
            Region::Kinki => "近畿",
            Region::Chugoku => "中国",
            Region::Shikoku => "四国",
            Region::KyushuOkinawa => "九州沖縄",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Region::Hokkaido => "Hokkaido",
            Region::Tohoku => "Tohoku",
            Region::Kanto => "Kanto",
            Region::Chubu => "Chubu",
            Region::Kinki => "Kinki",
            Region::Chugoku => "Chugoku",
            Region::Shikoku => "Shikoku",
            Region::KyushuOkinawa => "Kyushu-Okinawa",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_en())
    }
}

impl FromStr for Region {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Region::ALL
            .into_iter()
            .find(|r| r.name_ja() == s || r.name_en().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown region {s:?}"))
    }
}

/// One prefecture as JIS X 0401 numbers it.
#[derive(Debug, Clone)]
pub struct Prefecture {
    /// JIS X 0401 code, 1 to 47.
    pub code: u8,
    pub name_ja: String,
    pub name_en: String,
    /// The label used in geographic .jp names, ASCII (`tokyo`) and IDN A-label (`xn--1lqs71d`).
    pub label_ascii: String,
    pub label_idn: String,
    /// The Japanese label without the 都/道/府/県 suffix (`東京`).
    pub label_ja: String,
    pub region: Region,
}

/// One local government of the 1,788.
#[derive(Debug, Clone)]
pub struct LocalGov {
    /// The six-digit local-government code (with check digit).
    pub lgcode: String,
    pub prefecture: u8,
    /// Empty for the 47 prefectures themselves.
    pub name: String,
    pub registered_domain: String,
}

pub struct RefData {
    pub prefectures: Vec<Prefecture>,
    pub localgovs: Vec<LocalGov>,
    by_label: HashMap<String, u8>,
    by_domain: HashMap<String, usize>,
    by_lgcode: HashMap<String, usize>,
    central_government: foldhash::HashSet<String>,
}

static REFDATA: LazyLock<RefData> = LazyLock::new(RefData::load);

/// The embedded reference data, parsed once.
pub fn refdata() -> &'static RefData {
    &REFDATA
}

/// The designated cities that the Public Suffix List gives a zone of their own under .jp
/// (`*.sapporo.jp`, `!city.sapporo.jp`), with the prefecture each lies in.
pub const DESIGNATED_CITY_LABELS: [(&str, u8); 7] = [
    ("sapporo", 1),
    ("sendai", 4),
    ("yokohama", 14),
    ("kawasaki", 14),
    ("nagoya", 23),
    ("kobe", 28),
    ("kitakyushu", 40),
];

impl RefData {
    fn load() -> RefData {
        let mut prefectures = Vec::with_capacity(47);
        let mut rdr = csv::Reader::from_reader(PREFECTURES_CSV.as_bytes());
        for row in rdr.records() {
            let row = row.expect("embedded prefectures.csv is valid CSV");
            prefectures.push(Prefecture {
                code: row[0].parse().expect("JIS code is a number"),
                name_ja: row[3].to_string(),
                name_en: row[4].to_string(),
                label_ascii: row[5].to_string(),
                label_ja: row[6].to_string(),
                label_idn: row[7].to_string(),
                region: row[8].parse().expect("region is one of the eight"),
            });
        }
        let mut by_label = HashMap::default();
        for p in &prefectures {
            by_label.insert(p.label_ascii.clone(), p.code);
            by_label.insert(p.label_idn.clone(), p.code);
        }
        let by_pref_name: HashMap<&str, u8> = prefectures
            .iter()
            .map(|p| (p.name_ja.as_str(), p.code))
            .collect();
        let mut localgovs = Vec::with_capacity(1788);
        let mut rdr = csv::Reader::from_reader(LOCALGOV_CSV.as_bytes());
        for row in rdr.records() {
            let row = row.expect("embedded localgov-1788.csv is valid CSV");
            let registered = if row[5].is_empty() {
                // Names outside .jp carry no registered domain in the source: take the web
                // host's registrable part.
                crate::psl::domain_str(&row[3])
                    .unwrap_or(&row[3])
                    .to_string()
            } else {
                row[5].to_string()
            };
            localgovs.push(LocalGov {
                lgcode: row[0].to_string(),
                prefecture: by_pref_name[&row[1]],
                name: row[2].to_string(),
                registered_domain: registered,
            });
        }
        let by_domain = localgovs
            .iter()
            .enumerate()
            .map(|(i, l)| (l.registered_domain.clone(), i))
            .collect();
        let by_lgcode = localgovs
            .iter()
            .enumerate()
            .map(|(i, l)| (l.lgcode.clone(), i))
            .collect();
        let central_government = csv::Reader::from_reader(CENTRAL_GOVERNMENT_CSV.as_bytes())
            .records()
            .map(|row| {
                row.expect("embedded gojp-central-government.csv is valid CSV")[2].to_string()
            })
            .collect();
        RefData {
            prefectures,
            localgovs,
            by_label,
            by_domain,
            by_lgcode,
            central_government,
        }
    }

    /// Whether a registered domain is one of the central government's.
    pub fn is_central_government(&self, registered_domain: &str) -> bool {
        self.central_government.contains(registered_domain)
    }

    pub fn prefecture(&self, code: u8) -> Option<&Prefecture> {
        code.checked_sub(1)
            .and_then(|i| self.prefectures.get(usize::from(i)))
    }

    /// The prefecture whose .jp label (ASCII or IDN A-label) this is.
    pub fn prefecture_by_label(&self, label: &str) -> Option<u8> {
        self.by_label.get(label).copied()
    }

    /// A prefecture named by JIS code (`13`, `JP-13`), Japanese name (`東京都`, `東京`) or
    /// English name / label (`Tokyo`).
    pub fn parse_prefecture(&self, s: &str) -> Option<u8> {
        let s = s.trim();
        let digits = s.strip_prefix("JP-").unwrap_or(s);
        if let Ok(code) = digits.parse::<u8>() {
            return self.prefecture(code).map(|p| p.code);
        }
        self.prefectures
            .iter()
            .find(|p| {
                p.name_ja == s
                    || p.label_ja == s
                    || p.name_en.eq_ignore_ascii_case(s)
                    || p.label_ascii.eq_ignore_ascii_case(s)
            })
            .map(|p| p.code)
    }

    pub fn localgov_by_domain(&self, registered_domain: &str) -> Option<&LocalGov> {
        self.by_domain
            .get(registered_domain)
            .map(|&i| &self.localgovs[i])
    }

    /// A local government by its code: six digits, or the five without the check digit.
    pub fn localgov_by_code(&self, code: &str) -> Option<&LocalGov> {
        let code = code.trim();
        if code.len() == 5 {
            return self.localgovs.iter().find(|l| l.lgcode.starts_with(code));
        }
        self.by_lgcode.get(code).map(|&i| &self.localgovs[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_47_prefectures_and_1788_local_governments() {
        let r = refdata();
        assert_eq!(r.prefectures.len(), 47);
        assert_eq!(r.localgovs.len(), 1788);
        assert_eq!(r.prefecture_by_label("tokyo"), Some(13));
        assert_eq!(r.prefecture_by_label("xn--1lqs71d"), Some(13));
        assert_eq!(r.parse_prefecture("東京都"), Some(13));
        assert_eq!(r.parse_prefecture("JP-01"), Some(1));
        assert_eq!(r.parse_prefecture("okinawa"), Some(47));
        assert_eq!(r.prefecture(24).unwrap().region, Region::Kinki);
        assert_eq!(
            r.localgov_by_domain("kuromatsunai.com").unwrap().lgcode,
            "013935"
        );
    }
}
