//! JP registration type, registered domain and prefecture of a normalised name.

use crate::code::Code;

use super::refdata::{DESIGNATED_CITY_LABELS, refdata};

crate::codes! {
    /// The JP registration types the ministry tabulates, in the order of its table, plus
    /// `Other` for names outside .jp.
    ///
    /// Mapping from the `jp_type` column of `localgov-1788.csv`: `LG` → `Lg`; `GEO` (old
    /// geographic names, `city.x.pref.jp`, `pref.x.jp`) and `PREF` (prefecture-type names
    /// `x.pref.jp`) → `Geographic` (the 2018 table merges both as 地域型; [`GeoForm`] keeps
    /// them apart); `GENERAL` → `General`; `AC`…`OR` → the organizational type; `non-jp` →
    /// `Other`.
    pub enum JpType {
        Ad => "AD",
        Ac => "AC",
        Co => "CO",
        Go => "GO",
        Or => "OR",
        Ne => "NE",
        Gr => "GR",
        Ed => "ED",
        Lg => "LG",
        Geographic => "GEOGRAPHIC",
        General => "GENERAL",
        Other => "OTHER",
    }
}

impl JpType {
    pub fn name_ja(self) -> &'static str {
        match self {
            JpType::Geographic => "地域型",
            JpType::General => "汎用",
            JpType::Other => ".jp以外",
            t => t.code(),
        }
    }

    /// The second-level label of an organizational type (`co` for `x.co.jp`).
    pub fn org_label(self) -> Option<&'static str> {
        Some(match self {
            JpType::Ad => "ad",
            JpType::Ac => "ac",
            JpType::Co => "co",
            JpType::Go => "go",
            JpType::Or => "or",
            JpType::Ne => "ne",
            JpType::Gr => "gr",
            JpType::Ed => "ed",
            JpType::Lg => "lg",
            _ => return None,
        })
    }

    /// Whether the ministry's all-JP line counts this type (everything under .jp).
    pub fn is_jp(self) -> bool {
        self != JpType::Other
    }
}

impl JpType {
    /// What a zone list's `category` may say: the codes above (any case), the source
    /// data's `GEO`/`PREF`/`non-jp`, and the Japanese names.
    pub const CATEGORY_NAMES: [&'static str; 18] = [
        "AD",
        "AC",
        "CO",
        "GO",
        "OR",
        "NE",
        "GR",
        "ED",
        "LG",
        "GEOGRAPHIC",
        "GENERAL",
        "OTHER",
        "GEO",
        "PREF",
        "NON-JP",
        "地域型",
        "都道府県型",
        "汎用",
    ];

    /// A zone list's `category`: one of [`JpType::CATEGORY_NAMES`] (`汎用JP` too).
    pub fn parse_category(s: &str) -> Result<JpType, String> {
        let s = s.trim();
        let up = s.to_ascii_uppercase();
        Ok(match up.as_str() {
            "GEO" | "PREF" | "地域型" | "都道府県型" => JpType::Geographic,
            "汎用" | "汎用JP" => JpType::General,
            "NON-JP" => JpType::Other,
            _ => JpType::from_code(&up).ok_or_else(|| format!("unknown JP type {s:?}"))?,
        })
    }
}

crate::codes! {
    /// The two forms the ministry's 地域型 merges.
    pub enum GeoForm {
        /// Old geographic names: `city.x.pref.jp`, `org.city.pref.jp`, `pref.x.jp`,
        /// `metro.tokyo.jp`, and names under a designated city's own zone (`city.sapporo.jp`).
        Old => "old",
        /// Prefecture-type names, registered since 2012: `x.pref.jp`, `x.東京.jp`.
        PrefectureType => "prefecture",
    }
}

/// What the zone stage derives from a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub registered_domain: String,
    pub jp_type: JpType,
    pub geo_form: Option<GeoForm>,
    /// JIS X 0401 code, where the name (or the local-government list) tells it.
    pub prefecture: Option<u8>,
    /// The local-government code, where the registered domain is one of the 1,788.
    pub lgcode: Option<String>,
}

/// The registered domain: the Public Suffix List's registrable domain (ICANN section only, so
/// `x.sakura.ne.jp` counts as `sakura.ne.jp`, the name JPRS registered), except that a local
/// government name `<kind>.<name>.lg.jp` is registered whole.
pub fn registered_domain(name: &str) -> &str {
    if name.ends_with(".lg.jp") {
        return last_labels(name, 4);
    }
    let mut suffix_len = match crate::psl::suffix(name) {
        Some(s) => s.as_bytes().len(),
        None => return name,
    };
    // Walk private-section suffixes up to their ICANN parent.
    loop {
        let suffix = &name[name.len() - suffix_len..];
        match crate::psl::suffix(suffix) {
            Some(s) if s.typ() == Some(crate::psl::Type::Private) => {
                match suffix.split_once('.') {
                    Some((_, parent)) => suffix_len = parent.len(),
                    None => return name,
                }
                // The parent's own suffix may be shorter still.
                let parent = &name[name.len() - suffix_len..];
                if let Some(s) = crate::psl::suffix(parent) {
                    suffix_len = s.as_bytes().len();
                }
            }
            _ => break,
        }
    }
    if suffix_len >= name.len() {
        return name;
    }
    let head = &name[..name.len() - suffix_len - 1];
    let start = head.rfind('.').map_or(0, |i| i + 1);
    &name[start..]
}

fn last_labels(name: &str, n: usize) -> &str {
    let mut start = name.len();
    for _ in 0..n {
        match name[..start].rfind('.') {
            Some(i) => start = i,
            None => return name,
        }
    }
    &name[start + 1..]
}

/// Classify a normalised name (as [`super::normalize`] returns it).
pub fn classify(name: &str) -> Classification {
    let reg = registered_domain(name);
    let labels: Vec<&str> = reg.rsplit('.').collect();
    let rd = refdata();
    let localgov = rd.localgov_by_domain(reg);
    let (jp_type, geo_form, from_name) = jp_type_of(&labels);
    let prefecture = from_name.or(localgov.map(|l| l.prefecture));
    Classification {
        registered_domain: reg.to_string(),
        jp_type,
        geo_form,
        prefecture,
        lgcode: localgov.map(|l| l.lgcode.clone()),
    }
}

/// Type, geographic form and the prefecture the name itself names, from the registered
/// domain's labels, right to left.
fn jp_type_of(labels: &[&str]) -> (JpType, Option<GeoForm>, Option<u8>) {
    let rd = refdata();
    if labels.first() != Some(&"jp") {
        return (JpType::Other, None, None);
    }
    let Some(&second) = labels.get(1) else {
        return (JpType::General, None, None);
    };
    if labels.len() == 2 {
        return (JpType::General, None, None);
    }
    if let Some(t) = JpType::ALL
        .into_iter()
        .find(|t| t.org_label() == Some(second))
    {
        // `pref.<x>.lg.jp` and `metro.tokyo.lg.jp` name their prefecture.
        let pref = match labels {
            [_, _, x, "pref" | "metro"] if t == JpType::Lg => rd.prefecture_by_label(x),
            _ => None,
        };
        return (t, None, pref);
    }
    if let Some(code) = rd.prefecture_by_label(second) {
        // `pref.x.jp`, `metro.tokyo.jp` and `city.x.jp` (a designated city named like its
        // prefecture: city.chiba.jp) are old geographic names; JPRS reserves these labels in
        // the prefecture-type space.
        let form = match labels {
            [_, _, "pref" | "metro" | "city" | "town" | "vill"] => GeoForm::Old,
            [_, _, _] => GeoForm::PrefectureType,
            _ => GeoForm::Old,
        };
        return (JpType::Geographic, Some(form), Some(code));
    }
    if let Some(&(_, code)) = DESIGNATED_CITY_LABELS.iter().find(|(l, _)| *l == second) {
        return (JpType::Geographic, Some(GeoForm::Old), Some(code));
    }
    (JpType::General, None, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str) -> Classification {
        classify(&super::super::normalize(name).unwrap())
    }

    #[test]
    fn organizational_and_general() {
        let x = c("www.example.co.jp");
        assert_eq!(
            (x.registered_domain.as_str(), x.jp_type),
            ("example.co.jp", JpType::Co)
        );
        assert_eq!(c("soumu.go.jp").jp_type, JpType::Go);
        assert_eq!(c("example.jp").jp_type, JpType::General);
        assert_eq!(c("日本語.jp").jp_type, JpType::General);
        assert_eq!(c("example.com").jp_type, JpType::Other);
        assert_eq!(c("a.b.example.com").registered_domain, "example.com");
    }

    #[test]
    fn geographic_forms_and_prefectures() {
        let x = c("city.chiyoda.tokyo.jp");
        assert_eq!(
            (x.jp_type, x.geo_form, x.prefecture),
            (JpType::Geographic, Some(GeoForm::Old), Some(13))
        );
        let x = c("www.shop.chiyoda.tokyo.jp");
        assert_eq!(x.registered_domain, "shop.chiyoda.tokyo.jp");
        let x = c("example.tokyo.jp");
        assert_eq!(
            (x.jp_type, x.geo_form, x.prefecture),
            (JpType::Geographic, Some(GeoForm::PrefectureType), Some(13))
        );
        let x = c("例え.東京.jp");
        assert_eq!(
            (x.jp_type, x.geo_form, x.prefecture),
            (JpType::Geographic, Some(GeoForm::PrefectureType), Some(13))
        );
        let x = c("www.city.sapporo.jp");
        assert_eq!(
            (x.registered_domain.as_str(), x.jp_type, x.prefecture),
            ("city.sapporo.jp", JpType::Geographic, Some(1))
        );
        assert_eq!(c("pref.iwate.jp").geo_form, Some(GeoForm::Old));
    }

    #[test]
    fn local_government_names() {
        let x = c("www.city.chiyoda.lg.jp");
        assert_eq!(
            (x.registered_domain.as_str(), x.jp_type, x.prefecture),
            ("city.chiyoda.lg.jp", JpType::Lg, Some(13))
        );
        assert_eq!(x.lgcode.as_deref(), Some("131016"));
        assert_eq!(c("pref.hokkaido.lg.jp").prefecture, Some(1));
        let x = c("city.nowhere.lg.jp");
        assert_eq!((x.jp_type, x.prefecture), (JpType::Lg, None));
    }

    #[test]
    fn private_suffixes_do_not_split_registrations() {
        // `blogspot.jp` is a private-section suffix; JPRS registered blogspot.jp itself.
        assert_eq!(registered_domain("x.blogspot.jp"), "blogspot.jp");
        // A private-section name is itself the registration, typed by its ICANN suffix.
        for (name, t) in [("moo.jp", JpType::General), ("sakura.ne.jp", JpType::Ne)] {
            let c = classify(name);
            assert_eq!((c.registered_domain.as_str(), c.jp_type), (name, t));
        }
        assert_eq!(
            classify("www.sakura.ne.jp").registered_domain,
            "sakura.ne.jp"
        );
    }

    #[test]
    fn type_names_parse() {
        assert_eq!(JpType::parse_category("geo").unwrap(), JpType::Geographic);
        assert_eq!(JpType::parse_category("PREF").unwrap(), JpType::Geographic);
        assert_eq!(JpType::parse_category("co").unwrap(), JpType::Co);
        assert_eq!(JpType::parse_category("汎用").unwrap(), JpType::General);
        assert!(JpType::parse_category("zz").is_err());
    }
}
