//! What changed, name by name, between two runs: SPF and DMARC adopted or dropped, the DMARC
//! policy strengthened or weakened, a record newly invalid, a name newly unresolved; names in
//! one run only are listed apart. The ministry's follow-up starts from these lists.

use std::collections::HashMap;

use polars::prelude::*;

use super::render::{Lang, Table, h, type_label};
use super::{Results, TabulateError, rows_by_type};
use crate::code::Code;
use crate::policy::dmarc::Protection;
use crate::policy::spf::SpfVerdict;
use crate::run::schema::{self, Column};
use crate::zone::JpType;

crate::codes! {
    /// One change of one name between two runs.
    pub enum Change {
        SpfAdopted => "spf-adopted",
        SpfDropped => "spf-dropped",
        DmarcAdopted => "dmarc-adopted",
        DmarcDropped => "dmarc-dropped",
        /// Both runs have a valid DMARC record; the newer one's policy is stronger.
        DmarcStrengthened => "dmarc-strengthened",
        DmarcWeakened => "dmarc-weakened",
        /// The SPF or the DMARC record was valid and is not any more.
        NewlyInvalid => "newly-invalid",
        /// The name was settled and a lookup of it now failed: its other changes are unknown.
        NewlyUnresolved => "newly-unresolved",
        OnlyOld => "only-in-old",
        OnlyNew => "only-in-new",
    }
}

/// One name's change, with the values before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub name: String,
    pub jp_type: Option<JpType>,
    pub change: Change,
    pub old: String,
    pub new: String,
}

/// The columns a name's state is read from.
const READ: [&Column; 7] = [
    &schema::NAME,
    &schema::JP_TYPE,
    &schema::HAS_MX,
    &schema::HAS_SPF,
    &schema::HAS_DMARC,
    &schema::DMARC_PROTECTION,
    &schema::SPF_VERDICT,
];

/// A name's state in one run.
#[derive(Debug, Clone, Default)]
struct State {
    jp_type: Option<JpType>,
    settled: bool,
    spf: Option<bool>,
    dmarc: Option<bool>,
    protection: Option<Protection>,
    spf_verdict: Option<SpfVerdict>,
}

fn states(r: &Results) -> Result<HashMap<String, State>, TabulateError> {
    let df = r
        .frame()
        .select(READ.iter().map(|c| col(c.name)).collect::<Vec<_>>())
        .collect()?;
    let text = |c: &Column| df.column(c.name).and_then(|c| c.str().cloned());
    let flag = |c: &Column| df.column(c.name).and_then(|c| c.bool().cloned());
    let (names, types) = (text(&schema::NAME)?, text(&schema::JP_TYPE)?);
    let (mx, spf, dmarc) = (
        flag(&schema::HAS_MX)?,
        flag(&schema::HAS_SPF)?,
        flag(&schema::HAS_DMARC)?,
    );
    let (protection, verdict) = (
        text(&schema::DMARC_PROTECTION)?,
        text(&schema::SPF_VERDICT)?,
    );
    let mut out = HashMap::with_capacity(df.height());
    for i in 0..df.height() {
        let Some(name) = names.get(i) else { continue };
        let state = State {
            jp_type: types.get(i).and_then(JpType::from_code),
            settled: mx.get(i).is_some() && spf.get(i).is_some() && dmarc.get(i).is_some(),
            spf: spf.get(i),
            dmarc: dmarc.get(i),
            protection: protection.get(i).and_then(Protection::from_code),
            spf_verdict: verdict.get(i).and_then(SpfVerdict::from_code),
        };
        out.insert(name.to_string(), state);
    }
    Ok(out)
}

/// How strong a valid, published policy is; `None` where there is none to compare.
fn strength(p: Option<Protection>) -> Option<u8> {
    match p? {
        Protection::None => Some(1),
        Protection::Reduced => Some(2),
        Protection::Quarantine => Some(3),
        Protection::Reject => Some(4),
        Protection::Invalid | Protection::Absent => None,
    }
}

/// Whether a published SPF record is an error; `None` where there is none or it is unknown.
fn spf_invalid(v: Option<SpfVerdict>) -> Option<bool> {
    match v? {
        SpfVerdict::Absent | SpfVerdict::TempError => None,
        v => Some(matches!(v, SpfVerdict::Invalid | SpfVerdict::LookupLimit)),
    }
}

fn code<T: Code>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.code().to_string())
}

fn flag_text(v: Option<bool>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// The changes of one name present in both runs.
fn changes(a: &State, b: &State) -> Vec<(Change, String, String)> {
    if a.settled && !b.settled {
        return vec![(
            Change::NewlyUnresolved,
            "settled".to_string(),
            "unresolved".to_string(),
        )];
    }
    let mut out = Vec::new();
    let mut presence =
        |was: Option<bool>, is: Option<bool>, up: Change, down: Change| match (was, is) {
            (Some(false), Some(true)) => out.push((up, flag_text(was), flag_text(is))),
            (Some(true), Some(false)) => out.push((down, flag_text(was), flag_text(is))),
            _ => {}
        };
    presence(a.spf, b.spf, Change::SpfAdopted, Change::SpfDropped);
    presence(a.dmarc, b.dmarc, Change::DmarcAdopted, Change::DmarcDropped);
    let (pa, pb) = (a.protection, b.protection);
    match (strength(pa), strength(pb)) {
        (Some(x), Some(y)) if y > x => out.push((Change::DmarcStrengthened, code(pa), code(pb))),
        (Some(x), Some(y)) if y < x => out.push((Change::DmarcWeakened, code(pa), code(pb))),
        _ => {}
    }
    // A record valid before and invalid now (a record published invalid is only adopted).
    let dmarc_broke = strength(pa).is_some() && pb == Some(Protection::Invalid);
    let spf_broke =
        spf_invalid(a.spf_verdict) == Some(false) && spf_invalid(b.spf_verdict) == Some(true);
    if dmarc_broke {
        out.push((Change::NewlyInvalid, code(pa), code(pb)));
    } else if spf_broke {
        out.push((
            Change::NewlyInvalid,
            code(a.spf_verdict),
            code(b.spf_verdict),
        ));
    }
    out
}

/// Every change between the runs `old` and `new`, by name.
pub fn diff(old: &Results, new: &Results) -> Result<Vec<Changed>, TabulateError> {
    let (a, b) = (states(old)?, states(new)?);
    let mut out = Vec::new();
    for (name, sa) in &a {
        let row = |change, jp_type, old: String, new: String| Changed {
            name: name.clone(),
            jp_type,
            change,
            old,
            new,
        };
        match b.get(name) {
            None => out.push(row(
                Change::OnlyOld,
                sa.jp_type,
                "listed".into(),
                "-".into(),
            )),
            Some(sb) => out.extend(
                changes(sa, sb)
                    .into_iter()
                    .map(|(c, o, n)| row(c, sb.jp_type, o, n)),
            ),
        }
    }
    for (name, sb) in b.iter().filter(|(n, _)| !a.contains_key(*n)) {
        out.push(Changed {
            name: name.clone(),
            jp_type: sb.jp_type,
            change: Change::OnlyNew,
            old: "-".into(),
            new: "listed".into(),
        });
    }
    out.sort_by(|x, y| (x.change, &x.name).cmp(&(y.change, &y.name)));
    Ok(out)
}

/// The changes as a table, one row a change.
pub fn diff_table(changes: &[Changed], lang: Lang) -> Table {
    Table {
        name: "diff".to_string(),
        title: h(
            lang,
            "前回からの変化(ドメイン名ごと)",
            "Changes since the older run, by name",
        ),
        headers: vec![
            h(lang, "ドメイン名", "name"),
            h(lang, "種別", "type"),
            h(lang, "変化", "change"),
            h(lang, "前回", "old"),
            h(lang, "今回", "new"),
        ],
        rows: changes
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    c.jp_type.map_or_else(String::new, |t| t.code().to_string()),
                    c.change.code().to_string(),
                    c.old.clone(),
                    c.new.clone(),
                ]
            })
            .collect(),
    }
}

/// How many names changed in each way, per type.
pub fn diff_counts(changes: &[Changed], lang: Lang) -> Table {
    let mut by_type: HashMap<String, Vec<u64>> = HashMap::new();
    for c in changes {
        let t = c.jp_type.unwrap_or(JpType::Other);
        let slot = Change::ALL
            .iter()
            .position(|x| *x == c.change)
            .expect("a change");
        by_type
            .entry(t.code().to_string())
            .or_insert_with(|| vec![0; Change::ALL.len()])[slot] += 1;
    }
    let rows = rows_by_type(by_type, vec![0; Change::ALL.len()], super::add_counts);
    let mut headers = vec![h(lang, "種別", "type")];
    headers.extend(Change::ALL.iter().map(|c| c.code().to_string()));
    Table {
        name: "diff_counts".to_string(),
        title: h(
            lang,
            "前回からの変化の数(種別ごと)",
            "Changes since the older run, per type",
        ),
        headers,
        rows: rows
            .into_iter()
            .map(|(t, counts)| {
                let mut row = vec![type_label(t, lang)];
                row.extend(counts.iter().map(u64::to_string));
                row
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(spf: Option<bool>, dmarc: Option<bool>, p: Option<Protection>) -> State {
        State {
            jp_type: Some(JpType::Co),
            settled: spf.is_some() && dmarc.is_some(),
            spf,
            dmarc,
            protection: p,
            spf_verdict: spf.map(|s| match s {
                true => SpfVerdict::SoftFail,
                false => SpfVerdict::Absent,
            }),
        }
    }

    fn kinds(a: &State, b: &State) -> Vec<Change> {
        changes(a, b).into_iter().map(|(c, _, _)| c).collect()
    }

    #[test]
    fn each_change_is_named_once() {
        use Protection::{Absent, Invalid, None as PNone, Quarantine, Reject};
        let s = |spf, dmarc, p| state(Some(spf), Some(dmarc), Some(p));
        assert_eq!(kinds(&s(true, true, PNone), &s(true, true, PNone)), []);
        assert_eq!(
            kinds(&s(false, false, Absent), &s(true, true, Reject)),
            [Change::SpfAdopted, Change::DmarcAdopted]
        );
        assert_eq!(
            kinds(&s(true, true, Reject), &s(false, false, Absent)),
            [Change::SpfDropped, Change::DmarcDropped]
        );
        assert_eq!(
            kinds(&s(true, true, PNone), &s(true, true, Quarantine)),
            [Change::DmarcStrengthened]
        );
        assert_eq!(
            kinds(&s(true, true, Reject), &s(true, true, PNone)),
            [Change::DmarcWeakened]
        );
        assert_eq!(
            kinds(&s(true, true, Reject), &s(true, true, Invalid)),
            [Change::NewlyInvalid]
        );
        // Published invalid from the start is an adoption, not a breakage.
        assert_eq!(
            kinds(&s(true, false, Absent), &s(true, true, Invalid)),
            [Change::DmarcAdopted]
        );
        let mut broken = s(true, true, PNone);
        broken.spf_verdict = Some(SpfVerdict::LookupLimit);
        assert_eq!(
            kinds(&s(true, true, PNone), &broken),
            [Change::NewlyInvalid]
        );
        let unresolved = state(Some(true), None, None);
        assert_eq!(
            kinds(&s(true, true, Reject), &unresolved),
            [Change::NewlyUnresolved]
        );
    }
}
