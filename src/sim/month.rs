//! The population's months: month 0 is the published spec exactly; each later month is the same
//! names after the changes due by then. A name with MX changes at most once in the year, in a
//! month from 1 to 12 (later months equal month 12), by one seeded draw of its own:
//!
//! - with SPF: 1.5 % drop it; 3 % of those whose record is `v=spf1 mx -all` publish a syntax
//!   error in its place (newly invalid);
//! - without SPF: 12 % adopt it;
//! - with DMARC: 5 % drop it; 30 % of those at `p=none` move to `p=reject`; 20 % of those at
//!   `p=reject` fall back to `p=none`;
//! - without DMARC: 15 % adopt it.
//!
//! Names without MX never change. The change and its month are the ground truth of `sim list`
//! (`truth_change`, `truth_change_month`), as the `diff` of two months must find it: a change
//! is `diff`'s own [`Change`] (`newly-invalid` is the SPF record's syntax error here).

use super::population::{MxTruth, Truth, mix};
use crate::tabulate::Change;

/// The months in which changes fall.
const MONTHS: u32 = 12;

/// The apex records `records::apex_txt` publishes as `v=spf1 mx -all`.
const SPF_MX_ALL: std::ops::RangeInclusive<u8> = 0..=29;
/// The SPF record with a syntax error (`ip4:999.0.0.1`, `inclde:`).
const SPF_SYNTAX_ERROR: u8 = 82;
/// The DMARC records `records::dmarc` publishes at `p=none` and at `p=reject`.
const DMARC_NONE: std::ops::RangeInclusive<u8> = 0..=39;
const DMARC_REJECT: std::ops::RangeInclusive<u8> = 55..=64;

/// The change a name with `base` (its month-0 truth) makes in the year, and its month.
pub fn drift(seed: u64, base: &Truth) -> Option<(u32, Change)> {
    if base.mx != MxTruth::Mx {
        return None;
    }
    let h = mix(seed, &[0x30, base.variant]);
    let month = 1 + ((h / 1000) % u64::from(MONTHS)) as u32;
    // SPF changes take draws 0..500, DMARC changes 500..1000: one change a name.
    let d = h % 1000;
    let change = match (d, base.spf, base.dmarc) {
        (0..15, true, _) => Change::SpfDropped,
        (15..45, true, _) if SPF_MX_ALL.contains(&base.spf_choice) => Change::NewlyInvalid,
        (0..120, false, _) => Change::SpfAdopted,
        (500..550, _, true) => Change::DmarcDropped,
        (550..850, _, true) if DMARC_NONE.contains(&base.dmarc_choice) => Change::DmarcStrengthened,
        (550..750, _, true) if DMARC_REJECT.contains(&base.dmarc_choice) => Change::DmarcWeakened,
        (500..650, _, false) => Change::DmarcAdopted,
        _ => return None,
    };
    Some((month, change))
}

/// The truth of a name in `month`, from its month-0 truth.
pub fn at_month(seed: u64, base: Truth, month: u32) -> Truth {
    let Some((due, change)) = drift(seed, &base) else {
        return base;
    };
    if due > month {
        return base;
    }
    // Where a new record is picked, the name's own variant picks it, as in month 0.
    let pick = |range: std::ops::RangeInclusive<u8>| {
        let width = u64::from(range.end() - range.start()) + 1;
        range.start() + (mix(base.variant, &[0x31]) % width) as u8
    };
    let mut t = base;
    match change {
        Change::SpfAdopted => t.spf = true,
        Change::SpfDropped => t.spf = false,
        Change::DmarcAdopted => t.dmarc = true,
        Change::DmarcDropped => t.dmarc = false,
        Change::DmarcStrengthened => t.dmarc_choice = pick(DMARC_REJECT),
        Change::DmarcWeakened => t.dmarc_choice = pick(DMARC_NONE),
        Change::NewlyInvalid => t.spf_choice = SPF_SYNTAX_ERROR,
        Change::NewlyUnresolved | Change::OnlyOld | Change::OnlyNew => {
            unreachable!("a month of the population makes no {change:?}")
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{LgSpec, Population, TypeSpec};

    #[test]
    fn each_change_is_due_in_its_month_and_stays() {
        let spec = TypeSpec::jp_2018().scaled(100);
        let pop = |m| Population::new(3, Some(&spec), None).unwrap().at_month(m);
        let months: Vec<Vec<_>> = [0, 1, 6, 12, 13].map(|m| pop(m).names().collect()).into();
        let mut seen = std::collections::HashMap::new();
        for (k, s) in months[0].iter().enumerate() {
            let Some((due, change)) = s.change else {
                assert!(months.iter().all(|m| m[k].truth == s.truth), "{}", s.name);
                continue;
            };
            *seen.entry(change).or_insert(0) += 1;
            for (m, names) in [0, 1, 6, 12, 13].into_iter().zip(&months) {
                let t = names[k].truth;
                assert_eq!(names[k].change, s.change);
                assert_eq!(pop(m).lookup(&s.name), Some(t));
                assert_eq!(t == s.truth, due > m, "{} {change:?} in {m}", s.name);
            }
            let (old, new) = (s.truth, months[3][k].truth);
            let changed = match change {
                Change::SpfAdopted => !old.spf && new.spf,
                Change::SpfDropped => old.spf && !new.spf,
                Change::DmarcAdopted => !old.dmarc && new.dmarc,
                Change::DmarcDropped => old.dmarc && !new.dmarc,
                Change::DmarcStrengthened => {
                    DMARC_NONE.contains(&old.dmarc_choice)
                        && DMARC_REJECT.contains(&new.dmarc_choice)
                }
                Change::DmarcWeakened => {
                    DMARC_REJECT.contains(&old.dmarc_choice)
                        && DMARC_NONE.contains(&new.dmarc_choice)
                }
                Change::NewlyInvalid => new.spf_choice == SPF_SYNTAX_ERROR,
                other => panic!("{}: {other:?}", s.name),
            };
            assert!(changed, "{} {change:?}: {old:?} -> {new:?}", s.name);
        }
        // Every change a month makes appears: all of diff's but the three about lookups and
        // lists.
        assert_eq!(seen.len(), Change::ALL.len() - 3, "{seen:?}");
    }

    #[test]
    fn scaled_down_the_local_governments_stand_beside_the_counts() {
        let spec = TypeSpec::jp_2018().scaled(100);
        let lg = LgSpec::lg_2018();
        let alone = Population::new(1, Some(&spec), None).unwrap();
        let both = Population::with_local_governments_beside(1, &spec, &lg).unwrap();
        let lgs = both.names().filter(|s| s.lgcode.is_some()).count();
        assert_eq!(lgs, 1788);
        assert_eq!(both.len(), alone.len() + 1788);
    }
}
