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
//! (`truth_change`, `truth_change_month`), spelled as `diff` spells its changes.

use super::population::{MxTruth, Truth, mix};

crate::codes! {
    /// The one change of a name's records in the year.
    pub enum Drift {
        SpfAdopted => "spf-adopted",
        SpfDropped => "spf-dropped",
        DmarcAdopted => "dmarc-adopted",
        DmarcDropped => "dmarc-dropped",
        /// `p=none` to `p=reject`.
        DmarcStrengthened => "dmarc-strengthened",
        /// `p=reject` to `p=none`.
        DmarcWeakened => "dmarc-weakened",
        /// `v=spf1 mx -all` replaced by a record with a syntax error.
        NewlyInvalid => "newly-invalid",
    }
}

/// The months in which changes fall.
pub const MONTHS: u32 = 12;

/// The apex records `records::apex_txt` publishes as `v=spf1 mx -all`.
const SPF_MX_ALL: std::ops::RangeInclusive<u8> = 0..=29;
/// The SPF record with a syntax error (`ip4:999.0.0.1`, `inclde:`).
const SPF_SYNTAX_ERROR: u8 = 82;
/// The DMARC records `records::dmarc` publishes at `p=none` and at `p=reject`.
const DMARC_NONE: std::ops::RangeInclusive<u8> = 0..=39;
const DMARC_REJECT: std::ops::RangeInclusive<u8> = 55..=64;

/// The change a name with `base` (its month-0 truth) makes in the year, and its month.
pub fn drift(seed: u64, base: &Truth) -> Option<(u32, Drift)> {
    if base.mx != MxTruth::Mx {
        return None;
    }
    let h = mix(seed, &[0x30, base.variant]);
    let month = 1 + ((h / 1000) % u64::from(MONTHS)) as u32;
    // SPF changes take draws 0..500, DMARC changes 500..1000: one change a name.
    let d = h % 1000;
    let change = match (d, base.spf, base.dmarc) {
        (0..15, true, _) => Drift::SpfDropped,
        (15..45, true, _) if SPF_MX_ALL.contains(&base.spf_choice) => Drift::NewlyInvalid,
        (0..120, false, _) => Drift::SpfAdopted,
        (500..550, _, true) => Drift::DmarcDropped,
        (550..850, _, true) if DMARC_NONE.contains(&base.dmarc_choice) => Drift::DmarcStrengthened,
        (550..750, _, true) if DMARC_REJECT.contains(&base.dmarc_choice) => Drift::DmarcWeakened,
        (500..650, _, false) => Drift::DmarcAdopted,
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
        Drift::SpfAdopted => t.spf = true,
        Drift::SpfDropped => t.spf = false,
        Drift::DmarcAdopted => t.dmarc = true,
        Drift::DmarcDropped => t.dmarc = false,
        Drift::DmarcStrengthened => t.dmarc_choice = pick(DMARC_REJECT),
        Drift::DmarcWeakened => t.dmarc_choice = pick(DMARC_NONE),
        Drift::NewlyInvalid => t.spf_choice = SPF_SYNTAX_ERROR,
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
                Drift::SpfAdopted => !old.spf && new.spf,
                Drift::SpfDropped => old.spf && !new.spf,
                Drift::DmarcAdopted => !old.dmarc && new.dmarc,
                Drift::DmarcDropped => old.dmarc && !new.dmarc,
                Drift::DmarcStrengthened => {
                    DMARC_NONE.contains(&old.dmarc_choice)
                        && DMARC_REJECT.contains(&new.dmarc_choice)
                }
                Drift::DmarcWeakened => {
                    DMARC_REJECT.contains(&old.dmarc_choice)
                        && DMARC_NONE.contains(&new.dmarc_choice)
                }
                Drift::NewlyInvalid => new.spf_choice == SPF_SYNTAX_ERROR,
            };
            assert!(changed, "{} {change:?}: {old:?} -> {new:?}", s.name);
        }
        assert_eq!(
            seen.len(),
            Drift::ALL.len(),
            "every change appears: {seen:?}"
        );
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
