//! A name judged against the government's 2025 guideline (政府機関等の対策基準策定のための
//! ガイドライン 令和7年度版, 6.2.2(1)-3 and its commentary): DMARC required, at quarantine
//! or reject; p=reject on domains that send no mail; BIMI to be considered.

use serde::{Deserialize, Serialize};

use super::MxKind;
use super::bimi::BimiStatus;
use super::dmarc::Protection;
use super::mailhost::Dkim;
use super::spf::{Qualifier, SpfRecord};

crate::codes! {
    /// Whether the domain is used for mail, as far as DNS tells.
    pub enum MailUse {
        /// Null MX or no MX, and an SPF record that lets no host pass (`v=spf1 -all`): the
        /// guideline's "電子メールを利用していないドメイン".
        NoMail => "no-mail",
        /// Anything else: the guideline's general rule applies.
        Mail => "mail",
    }
}

impl MailUse {
    pub fn of(mx: MxKind, spf: Option<&SpfRecord>) -> MailUse {
        let no_mx = matches!(mx, MxKind::Null | MxKind::None);
        match spf {
            Some(r) if no_mx && r.lets_no_host_pass() => MailUse::NoMail,
            _ => MailUse::Mail,
        }
    }
}

crate::codes! {
    /// The verdict, best first.
    pub enum Verdict {
        /// Every requirement and every recommendation met.
        Compliant => "compliant",
        /// The requirements met (DMARC at quarantine or reject at 100 %), recommendations left.
        CompliantWithAdvice => "compliant-advice",
        /// A domain that sends no mail with a DMARC policy other than reject.
        NoMailNotReject => "no-mail-not-reject",
        /// DMARC published at p=none, or quarantine/reject applied to part of the mail only
        /// (pct < 100): the guideline asks for p=none to last as short a time as possible.
        WeakPolicy => "weak-policy",
        /// A DMARC record that yields no policy (several records, no usable p).
        DmarcInvalid => "dmarc-invalid",
        /// No DMARC record, own or inherited from the Organizational Domain.
        NoDmarc => "no-dmarc",
    }
}

impl Verdict {
    /// The requirements of 6.2.2(1)-3 as the unified standards read them are met.
    pub fn meets_requirements(self) -> bool {
        matches!(self, Verdict::Compliant | Verdict::CompliantWithAdvice)
    }

    /// One line in Japanese and in English.
    pub fn text(self) -> (&'static str, &'static str) {
        match self {
            Verdict::Compliant => ("基準を満たす", "meets the guideline"),
            Verdict::CompliantWithAdvice => (
                "基準を満たす(推奨事項あり)",
                "meets the guideline, with advice",
            ),
            Verdict::NoMailNotReject => (
                "メールを利用していないドメインだが p=reject でない",
                "sends no mail but its DMARC policy is not reject",
            ),
            Verdict::WeakPolicy => (
                "DMARCポリシーが none または一部適用(pct<100)",
                "DMARC at none, or applied to part of the mail (pct<100)",
            ),
            Verdict::DmarcInvalid => ("DMARCレコードが無効", "DMARC record invalid"),
            Verdict::NoDmarc => ("DMARC未設定", "no DMARC"),
        }
    }
}

crate::codes! {
    /// What the guideline (or the ministry's own published practice) still asks of a name.
    pub enum Advice {
        /// "より強固なDMARCポリシー(quarantine又はreject)を設定する".
        SetQuarantineOrReject => "set-quarantine-or-reject",
        /// "電子メールを利用していないドメインについて、DMARCのポリシーを p=reject と設定する".
        SetRejectOnNoMail => "set-reject-no-mail",
        /// Quarantine meets the standard; the ministry's own course is reject once the DMARC
        /// reports show legitimate mail passing ("対応が完了すればrejectへの変更").
        MoveToReject => "move-to-reject",
        /// "BIMIの導入を検討するとよい".
        ConsiderBimi => "consider-bimi",
        /// A BIMI logo that no receiver shows: BIMI needs DMARC at quarantine or reject.
        BimiNeedsEnforcement => "bimi-needs-enforcement",
        /// The unified standards ask for SPF, DKIM and DMARC together ("送信ドメイン認証技術
        /// (SPF、DKIM及びDMARC)"); no key was found under `_domainkey`.
        PublishDkim => "publish-dkim",
    }
}

crate::codes! {
    /// The items of 6.2.2(1)-3 a name is judged against, in the guideline's order.
    pub enum GuidelineItem {
        /// DMARC published, own or the Organizational Domain's.
        DmarcPublished => "dmarc-published",
        /// Quarantine or reject, applied to all mail.
        Enforced => "enforced",
        /// `p=reject` where the domain sends no mail.
        NoMailReject => "no-mail-reject",
        /// BIMI considered.
        Bimi => "bimi",
        /// DKIM keys published, with SPF and DMARC.
        Dkim => "dkim",
    }
}

impl GuidelineItem {
    /// The item in the guideline's words (Japanese) and in English.
    pub fn text(self) -> (&'static str, &'static str) {
        match self {
            GuidelineItem::DmarcPublished => (
                "DMARCによる送信側の対策を行うこと",
                "DMARC published (own or Organizational Domain)",
            ),
            GuidelineItem::Enforced => (
                "DMARCポリシーを隔離(quarantine)又は拒否(reject)とすること(pct=100)",
                "DMARC policy quarantine or reject, applied to all mail",
            ),
            GuidelineItem::NoMailReject => (
                "電子メールを利用していないドメインについて、DMARCのポリシーを\"p=reject\"と設定する",
                "p=reject on a domain that sends no mail",
            ),
            GuidelineItem::Bimi => ("BIMIの導入を検討するとよい", "BIMI considered"),
            GuidelineItem::Dkim => (
                "SPF、DKIM及びDMARCを導入すること(DKIM公開鍵)",
                "DKIM keys published (SPF, DKIM and DMARC together)",
            ),
        }
    }
}

crate::codes! {
    /// One item of the guideline judged on its own.
    pub enum Item {
        Met => "met",
        NotMet => "not-met",
        /// Its lookup failed.
        Unknown => "unknown",
        /// A domain that sends no mail signs none.
        NotApplicable => "not-applicable",
    }
}

impl Advice {
    /// The advice in the guideline's words (Japanese) and in English.
    pub fn text(self) -> (&'static str, &'static str) {
        match self {
            Advice::SetQuarantineOrReject => (
                "より強固なDMARCポリシー(quarantine又はreject)を設定する",
                "set a stronger DMARC policy (quarantine or reject)",
            ),
            Advice::SetRejectOnNoMail => (
                "電子メールを利用していないドメインについて、DMARCのポリシーを\"p=reject\"と設定する",
                "set p=reject on a domain that does not use mail",
            ),
            Advice::MoveToReject => (
                "quarantine は基準を満たす。DMARCレポートで正当なメールの認証成功を確かめたうえで reject への変更を検討する",
                "quarantine meets the standard; consider reject once DMARC reports show legitimate mail passing",
            ),
            Advice::ConsiderBimi => ("BIMIの導入を検討するとよい", "consider BIMI"),
            Advice::PublishDkim => (
                "DKIMを導入する(_domainkey の下に公開鍵が見つからない)",
                "publish DKIM keys (none found under _domainkey)",
            ),
            Advice::BimiNeedsEnforcement => (
                "BIMIのロゴはDMARCポリシーが quarantine 又は reject でなければ表示されない",
                "a BIMI logo is shown only with DMARC at quarantine or reject",
            ),
        }
    }
}

/// A name's verdict, the advice left for it, and what it was judged from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub verdict: Verdict,
    pub advice: Vec<Advice>,
    pub dmarc: Protection,
    pub mail: MailUse,
    pub bimi: Option<BimiStatus>,
    /// The DKIM item, where the DKIM check ran.
    pub dkim: Option<Item>,
}

impl Assessment {
    /// Each item of the guideline: met (`Some(true)`), not (`Some(false)`), or not
    /// applicable or unknown (`None`).
    pub fn items(&self) -> [(GuidelineItem, Option<bool>); 5] {
        let applied = self.dmarc;
        [
            (
                GuidelineItem::DmarcPublished,
                Some(!matches!(applied, Protection::Absent | Protection::Invalid)),
            ),
            (GuidelineItem::Enforced, Some(applied.enforced())),
            (
                GuidelineItem::NoMailReject,
                (self.mail == MailUse::NoMail).then_some(applied == Protection::Reject),
            ),
            (GuidelineItem::Bimi, self.bimi.map(BimiStatus::has_logo)),
            (
                GuidelineItem::Dkim,
                self.dkim.and_then(|i| match i {
                    Item::Met => Some(true),
                    Item::NotMet => Some(false),
                    Item::Unknown | Item::NotApplicable => None,
                }),
            ),
        ]
    }

    /// Add the DKIM item from what `_domainkey` said (`None`: its lookup failed). A key not
    /// found is advice, and takes `compliant` down to `compliant-advice`; an unknown item
    /// leaves the DMARC verdict as it is (the guideline's 6.2.2(1)-3 requirement is DMARC's).
    pub fn with_dkim(mut self, dkim: Option<Dkim>) -> Assessment {
        let item = match (self.mail, dkim) {
            (MailUse::NoMail, _) => Item::NotApplicable,
            (_, Some(Dkim::Present)) => Item::Met,
            (_, Some(Dkim::Absent)) => Item::NotMet,
            (_, None) => Item::Unknown,
        };
        if item == Item::NotMet {
            self.advice.push(Advice::PublishDkim);
            if self.verdict == Verdict::Compliant {
                self.verdict = Verdict::CompliantWithAdvice;
            }
        }
        self.dkim = Some(item);
        self
    }
}

/// Judge a name from the DMARC protection that applies to it (its own record, else its
/// Organizational Domain's), how it uses mail, and its BIMI status (`None`: not looked up,
/// so no BIMI advice is given).
pub fn assess(dmarc: Protection, mail: MailUse, bimi: Option<BimiStatus>) -> Assessment {
    let no_logo = bimi.is_some_and(|b| !b.has_logo());
    let logo = bimi.is_some_and(BimiStatus::has_logo);
    let enforced = dmarc.enforced();
    let mut advice = Vec::new();
    let verdict = match (mail, dmarc) {
        (_, Protection::Absent) => Verdict::NoDmarc,
        (_, Protection::Invalid) => Verdict::DmarcInvalid,
        (MailUse::NoMail, Protection::Reject) => Verdict::Compliant,
        (MailUse::NoMail, _) => {
            advice.push(Advice::SetRejectOnNoMail);
            Verdict::NoMailNotReject
        }
        (MailUse::Mail, Protection::None | Protection::Reduced) => {
            advice.push(Advice::SetQuarantineOrReject);
            Verdict::WeakPolicy
        }
        (MailUse::Mail, Protection::Quarantine) => {
            advice.push(Advice::MoveToReject);
            Verdict::CompliantWithAdvice
        }
        (MailUse::Mail, Protection::Reject) => Verdict::Compliant,
    };
    if matches!(verdict, Verdict::NoDmarc | Verdict::DmarcInvalid) {
        advice.push(Advice::SetQuarantineOrReject);
    }
    // BIMI is for mail that is sent; a no-mail domain has no logo to show.
    if mail == MailUse::Mail {
        if no_logo {
            advice.push(Advice::ConsiderBimi);
        } else if logo && !enforced {
            advice.push(Advice::BimiNeedsEnforcement);
        }
    }
    let verdict = match verdict {
        Verdict::Compliant if !advice.is_empty() => Verdict::CompliantWithAdvice,
        v => v,
    };
    Assessment {
        verdict,
        advice,
        dmarc,
        mail,
        bimi,
        dkim: None,
    }
}

impl SpfRecord {
    /// No evaluation can end in pass: every directive up to an `-all` fails the sender
    /// (`v=spf1 -all`, or only `-` qualified mechanisms before it).
    pub fn lets_no_host_pass(&self) -> bool {
        self.all() == Some(Qualifier::Fail)
            && self.evaluated().all(|d| d.qualifier == Qualifier::Fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::spf;

    fn mail(mx: MxKind, spf_text: &str) -> MailUse {
        MailUse::of(mx, spf::parse(spf_text).ok().as_ref())
    }

    #[test]
    fn no_mail_domains() {
        assert_eq!(mail(MxKind::Null, "v=spf1 -all"), MailUse::NoMail);
        assert_eq!(mail(MxKind::None, "v=spf1 -all"), MailUse::NoMail);
        assert_eq!(mail(MxKind::Hosts, "v=spf1 -all"), MailUse::Mail);
        assert_eq!(mail(MxKind::None, "v=spf1 mx -all"), MailUse::Mail);
        assert_eq!(mail(MxKind::None, "v=spf1 ~all"), MailUse::Mail);
        assert_eq!(MailUse::of(MxKind::Null, None), MailUse::Mail);
    }

    #[test]
    fn the_soumu_record_meets_the_guideline_but_for_reject() {
        let a = assess(
            Protection::Quarantine,
            MailUse::Mail,
            Some(BimiStatus::LogoWithEvidence),
        );
        assert_eq!(a.verdict, Verdict::CompliantWithAdvice);
        assert_eq!(a.advice, vec![Advice::MoveToReject]);
    }

    #[test]
    fn the_dkim_item() {
        let reject = || assess(Protection::Reject, MailUse::Mail, None);
        let a = reject().with_dkim(Some(Dkim::Absent));
        assert_eq!(
            (a.verdict, a.dkim, a.advice),
            (
                Verdict::CompliantWithAdvice,
                Some(Item::NotMet),
                vec![Advice::PublishDkim]
            )
        );
        let a = reject().with_dkim(Some(Dkim::Present));
        assert_eq!((a.verdict, a.dkim), (Verdict::Compliant, Some(Item::Met)));
        let a = reject().with_dkim(None);
        assert_eq!(
            (a.verdict, a.dkim),
            (Verdict::Compliant, Some(Item::Unknown))
        );
        let a = assess(Protection::Reject, MailUse::NoMail, None).with_dkim(Some(Dkim::Absent));
        assert_eq!(
            (a.verdict, a.dkim),
            (Verdict::Compliant, Some(Item::NotApplicable))
        );
    }

    #[test]
    fn every_verdict() {
        let logo = Some(BimiStatus::LogoWithEvidence);
        let none = Some(BimiStatus::Absent);
        let v = |p, m, b| assess(p, m, b).verdict;
        assert_eq!(
            v(Protection::Reject, MailUse::Mail, logo),
            Verdict::Compliant
        );
        assert_eq!(
            v(Protection::Reject, MailUse::Mail, None),
            Verdict::Compliant
        );
        assert_eq!(
            assess(Protection::Reject, MailUse::Mail, none).advice,
            vec![Advice::ConsiderBimi]
        );
        assert_eq!(
            v(Protection::Reject, MailUse::NoMail, none),
            Verdict::Compliant
        );
        assert_eq!(
            v(Protection::Quarantine, MailUse::NoMail, none),
            Verdict::NoMailNotReject
        );
        assert_eq!(
            v(Protection::None, MailUse::Mail, logo),
            Verdict::WeakPolicy
        );
        assert_eq!(
            assess(Protection::None, MailUse::Mail, logo).advice,
            vec![Advice::SetQuarantineOrReject, Advice::BimiNeedsEnforcement]
        );
        assert_eq!(
            v(Protection::Reduced, MailUse::Mail, None),
            Verdict::WeakPolicy
        );
        assert_eq!(
            v(Protection::Invalid, MailUse::Mail, None),
            Verdict::DmarcInvalid
        );
        assert_eq!(
            v(Protection::Absent, MailUse::NoMail, None),
            Verdict::NoDmarc
        );
    }
}
