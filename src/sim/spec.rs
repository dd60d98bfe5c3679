//! Specs of a simulated population: per JP type, how many names, how many with MX, and how
//! many of those with SPF and DMARC (the shape of `jp-types-2018-07.csv`); per region, how many
//! local governments with SPF and DMARC (the shape of `lg-regions-2018-07.csv`).

use std::path::Path;

use crate::zone::{JpType, Region};

use super::SimError;

pub const JP_TYPES_2018: &str = include_str!("../../data/jp-types-2018-07.csv");
pub const LG_REGIONS_2018: &str = include_str!("../../data/lg-regions-2018-07.csv");

/// Counts of one group. SPF and DMARC count among the names with MX, as the ministry does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub total: u64,
    pub mx: u64,
    pub spf: u64,
    pub dmarc: u64,
}

impl Counts {
    fn check(&self, what: &str) -> Result<(), SimError> {
        if self.mx > self.total || self.spf > self.mx || self.dmarc > self.mx {
            return Err(SimError::Spec(format!(
                "{what}: counts must satisfy spf <= mx, dmarc <= mx, mx <= total; got {self:?}"
            )));
        }
        Ok(())
    }
}

/// Per-type counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeSpec {
    pub types: Vec<(JpType, Counts)>,
}

/// Per-region counts of the local governments (every one has MX).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LgSpec {
    pub regions: Vec<(Region, Counts)>,
}

fn data_rows(text: &str) -> impl Iterator<Item = Result<csv::StringRecord, csv::Error>> + '_ {
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    csv::Reader::from_reader(std::io::Cursor::new(body.into_bytes())).into_records()
}

fn num(row: &csv::StringRecord, header: &str, i: usize) -> Result<u64, SimError> {
    row.get(i)
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| SimError::Spec(format!("row {row:?}: column {header} is not a count")))
}

impl TypeSpec {
    /// The published 2018-07 table, as embedded from `data/`.
    pub fn jp_2018() -> TypeSpec {
        TypeSpec::parse(JP_TYPES_2018).expect("embedded 2018 spec is valid")
    }

    pub fn from_path(path: &Path) -> Result<TypeSpec, SimError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SimError::Spec(format!("cannot read spec {}: {e}", path.display())))?;
        TypeSpec::parse(&text)
    }

    /// Columns: `type,total_domains,mx,_,spf,_,dmarc,_`; `#` lines and the `ALL` row skipped.
    pub fn parse(text: &str) -> Result<TypeSpec, SimError> {
        let mut types = Vec::new();
        for row in data_rows(text) {
            let row = row.map_err(|e| SimError::Spec(e.to_string()))?;
            if row[0].eq_ignore_ascii_case("ALL") {
                continue;
            }
            let t = JpType::parse_category(&row[0]).map_err(SimError::Spec)?;
            let c = Counts {
                total: num(&row, "total_domains", 1)?,
                mx: num(&row, "mx", 2)?,
                spf: num(&row, "spf", 4)?,
                dmarc: num(&row, "dmarc", 6)?,
            };
            c.check(t.code())?;
            types.push((t, c));
        }
        Ok(TypeSpec { types })
    }

    /// Every count divided by `divisor`, rounded down (keeps spf <= mx <= total).
    pub fn scaled(&self, divisor: u64) -> TypeSpec {
        let d = divisor.max(1);
        TypeSpec {
            types: self
                .types
                .iter()
                .map(|&(t, c)| {
                    (
                        t,
                        Counts {
                            total: c.total / d,
                            mx: c.mx / d,
                            spf: c.spf / d,
                            dmarc: c.dmarc / d,
                        },
                    )
                })
                .collect(),
        }
    }

    pub fn get(&self, t: JpType) -> Counts {
        self.types
            .iter()
            .find(|(x, _)| *x == t)
            .map(|(_, c)| *c)
            .unwrap_or_default()
    }
}

impl LgSpec {
    pub fn lg_2018() -> LgSpec {
        LgSpec::parse(LG_REGIONS_2018).expect("embedded 2018 local-government spec is valid")
    }

    /// Columns: `region_ja,region_en,domains,spf,_,dmarc,_`; the 全国 row skipped.
    pub fn parse(text: &str) -> Result<LgSpec, SimError> {
        let mut regions = Vec::new();
        for row in data_rows(text) {
            let row = row.map_err(|e| SimError::Spec(e.to_string()))?;
            if row[1].eq_ignore_ascii_case("All") {
                continue;
            }
            let r: Region = row[0].parse().map_err(SimError::Spec)?;
            let total = num(&row, "domains", 2)?;
            let c = Counts {
                total,
                mx: total,
                spf: num(&row, "spf", 3)?,
                dmarc: num(&row, "dmarc", 5)?,
            };
            c.check(r.name_en())?;
            regions.push((r, c));
        }
        Ok(LgSpec { regions })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_specs_sum_to_the_published_totals() {
        let s = TypeSpec::jp_2018();
        assert_eq!(s.types.len(), 11);
        let sum = |f: fn(&Counts) -> u64| s.types.iter().map(|(_, c)| f(c)).sum::<u64>();
        assert_eq!(sum(|c| c.total), 1_485_202);
        assert_eq!(sum(|c| c.mx), 1_212_359);
        assert_eq!(sum(|c| c.spf), 700_973);
        assert_eq!(sum(|c| c.dmarc), 7_658);
        let lg = LgSpec::lg_2018();
        assert_eq!(lg.regions.iter().map(|(_, c)| c.total).sum::<u64>(), 1788);
        assert_eq!(lg.regions.iter().map(|(_, c)| c.spf).sum::<u64>(), 1435);
    }
}
