//! The address space an SPF record lets pass: the IPv4 addresses and IPv6 /64s for which
//! check_host() would return "pass", evaluated as RFC 7208 §4.6.2 and §5 say (the first
//! matching mechanism decides; an `include` matches where its target passes; `redirect`
//! decides what nothing before it did), from the records and target addresses the tree walk
//! fetched. What needs a sender cannot be seen: `exists`, `ptr` and macros other than `%{d}`
//! match nothing here.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use super::{Mechanism, Qualifier, SpfRecord, target_name};

/// Disjoint, sorted, inclusive ranges of numbers: IPv4 addresses, or IPv6 /64 prefixes (the
/// top 64 bits of an address).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ranges(Vec<(u64, u64)>);

impl Ranges {
    fn one(lo: u64, hi: u64) -> Ranges {
        Ranges(vec![(lo, hi)])
    }

    /// How many numbers the ranges hold (2^64 for every /64 fits only in u128).
    pub fn count(&self) -> u128 {
        self.0.iter().map(|&(lo, hi)| u128::from(hi - lo) + 1).sum()
    }

    /// The numbers of the widest run.
    pub fn widest(&self) -> u128 {
        self.0
            .iter()
            .map(|&(lo, hi)| u128::from(hi - lo) + 1)
            .max()
            .unwrap_or(0)
    }

    pub fn union(&self, other: &Ranges) -> Ranges {
        let mut all: Vec<(u64, u64)> = self.0.iter().chain(&other.0).copied().collect();
        all.sort_unstable();
        let mut out: Vec<(u64, u64)> = Vec::with_capacity(all.len());
        for (lo, hi) in all {
            match out.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => out.push((lo, hi)),
            }
        }
        Ranges(out)
    }

    /// The numbers of `self` that `other` does not hold.
    pub fn minus(&self, other: &Ranges) -> Ranges {
        let mut out = Vec::new();
        for &(mut lo, hi) in &self.0 {
            let mut whole = true;
            for &(olo, ohi) in &other.0 {
                if ohi < lo || olo > hi {
                    continue;
                }
                if olo > lo {
                    out.push((lo, olo - 1));
                }
                if ohi >= hi {
                    whole = false;
                    break;
                }
                lo = ohi + 1;
            }
            if whole {
                out.push((lo, hi));
            }
        }
        Ranges(out)
    }
}

/// A CIDR block as a range: `bits` of `width` significant, of `value`.
fn block(value: u64, width: u32, bits: u32) -> Ranges {
    let host = width - bits.min(width);
    let span = match host {
        64 => u64::MAX,
        h => (1u64 << h) - 1,
    };
    let lo = value & !span;
    Ranges::one(lo, lo | span)
}

fn v4(a: Ipv4Addr, prefix: u8) -> Ranges {
    block(u64::from(u32::from(a)), 32, u32::from(prefix))
}

/// The /64s of an IPv6 block: a block of /64 or longer is its one /64.
fn v6(a: Ipv6Addr, prefix: u8) -> Ranges {
    block((u128::from(a) >> 64) as u64, 64, u32::from(prefix).min(64))
}

/// The pass set of one address family pair.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Space {
    pub v4: Ranges,
    pub v6: Ranges,
}

impl Space {
    fn everything() -> Space {
        Space {
            v4: Ranges::one(0, u64::from(u32::MAX)),
            v6: Ranges::one(0, u64::MAX),
        }
    }

    fn union(&self, o: &Space) -> Space {
        Space {
            v4: self.v4.union(&o.v4),
            v6: self.v6.union(&o.v6),
        }
    }

    fn minus(&self, o: &Space) -> Space {
        Space {
            v4: self.v4.minus(&o.v4),
            v6: self.v6.minus(&o.v6),
        }
    }

    /// IPv4 addresses let pass.
    pub fn ipv4_addresses(&self) -> u64 {
        self.v4.count() as u64
    }

    /// IPv6 /64s let pass; all 2^64 of them read as `u64::MAX`.
    pub fn ipv6_64s(&self) -> u64 {
        u64::try_from(self.v6.count()).unwrap_or(u64::MAX)
    }
}

/// The addresses an `a` or `mx` target has: its A and AAAA records, or its MX hosts'.
pub type Addresses = Arc<[IpAddr]>;

/// What the tree walk fetched: each include/redirect target's record, and each `a` and `mx`
/// target's addresses, by the lower-case name asked.
#[derive(Debug, Default)]
pub struct Fetched {
    pub records: HashMap<String, Arc<SpfRecord>>,
    pub a: HashMap<String, Addresses>,
    pub mx: HashMap<String, Addresses>,
}

/// Include and redirect levels followed at most: the walk stops at 10 DNS-querying terms
/// anyway, and a loop is a permerror before this is asked.
const MAX_DEPTH: u32 = 12;

/// The addresses `record`, published at `domain`, lets pass, with what the walk fetched;
/// `None` where a target it needs was not fetched (the walk stopped, or a lookup failed).
pub fn pass_space(record: &SpfRecord, domain: &str, f: &Fetched) -> Option<Space> {
    eval(record, domain, f, 0)
}

fn eval(rec: &SpfRecord, here: &str, f: &Fetched, depth: u32) -> Option<Space> {
    if depth > MAX_DEPTH {
        return None;
    }
    // `a` and `mx` without a target ask the domain whose record this is.
    let target = |spec: Option<&str>| target_name(spec.unwrap_or(here), here);
    let (mut decided, mut pass) = (Space::default(), Space::default());
    for d in rec.evaluated() {
        let matched = match &d.mechanism {
            Mechanism::All => Space::everything(),
            Mechanism::Ip4 { addr, prefix } => Space {
                v4: v4(*addr, prefix.unwrap_or(32)),
                v6: Ranges::default(),
            },
            Mechanism::Ip6 { addr, prefix } => Space {
                v4: Ranges::default(),
                v6: v6(*addr, prefix.unwrap_or(128)),
            },
            Mechanism::A {
                domain,
                cidr4,
                cidr6,
            } => match target(domain.as_deref()) {
                Some(t) => hosts(f.a.get(&t)?, *cidr4, *cidr6),
                None => Space::default(),
            },
            Mechanism::Mx {
                domain,
                cidr4,
                cidr6,
            } => match target(domain.as_deref()) {
                Some(t) => hosts(f.mx.get(&t)?, *cidr4, *cidr6),
                None => Space::default(),
            },
            Mechanism::Include(spec) => match target(Some(spec)) {
                Some(t) => eval(f.records.get(&t)?, &t, f, depth + 1)?,
                None => Space::default(),
            },
            // A sender's address or name decides these.
            Mechanism::Exists(_) | Mechanism::Ptr(_) => Space::default(),
        };
        if d.qualifier == Qualifier::Pass {
            pass = pass.union(&matched.minus(&decided));
        }
        decided = decided.union(&matched);
    }
    if let Some(t) = rec.applied_redirect().and_then(|spec| target(Some(spec))) {
        let then = eval(f.records.get(&t)?, &t, f, depth + 1)?;
        pass = pass.union(&then.minus(&decided));
    }
    Some(pass)
}

/// The blocks of a target's addresses at the mechanism's CIDR lengths (§5.3, §5.4).
fn hosts(addrs: &[IpAddr], cidr4: Option<u8>, cidr6: Option<u8>) -> Space {
    let mut s = Space::default();
    for a in addrs {
        match a {
            IpAddr::V4(a) => s.v4 = s.v4.union(&v4(*a, cidr4.unwrap_or(32))),
            IpAddr::V6(a) => s.v6 = s.v6.union(&v6(*a, cidr6.unwrap_or(128))),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::spf::parse;

    fn space(record: &str, f: &Fetched) -> Option<(u64, u64)> {
        let r = parse(record).unwrap();
        pass_space(&r, "example.jp", f).map(|s| (s.ipv4_addresses(), s.ipv6_64s()))
    }

    #[test]
    fn ranges_join_and_subtract() {
        let a = Ranges::one(0, 9)
            .union(&Ranges::one(10, 19))
            .union(&Ranges::one(30, 39));
        assert_eq!(a, Ranges(vec![(0, 19), (30, 39)]));
        assert_eq!(a.count(), 30);
        let b = a.minus(&Ranges::one(5, 32));
        assert_eq!(b, Ranges(vec![(0, 4), (33, 39)]));
        assert_eq!(a.minus(&Ranges::one(0, 100)), Ranges::default());
        assert_eq!(
            Ranges::one(0, u64::MAX).count(),
            1u128 << 64,
            "every /64 counts"
        );
    }

    #[test]
    fn the_first_match_decides_and_includes_pass_where_their_target_does() {
        let mut f = Fetched::default();
        let none = |f: &Fetched, r: &str| space(r, f);
        assert_eq!(none(&f, "v=spf1 -all"), Some((0, 0)));
        assert_eq!(none(&f, "v=spf1 ip4:192.0.2.0/24 -all"), Some((256, 0)));
        // An address excluded first is not let in by a wider block after it.
        assert_eq!(
            none(&f, "v=spf1 -ip4:192.0.2.1 ip4:192.0.2.0/24 ~all"),
            Some((255, 0))
        );
        assert_eq!(
            none(&f, "v=spf1 ip4:192.0.2.0/24 ip4:192.0.2.128/25 -all"),
            Some((256, 0))
        );
        assert_eq!(none(&f, "v=spf1 ip4:0.0.0.0/1 -all"), Some((1 << 31, 0)));
        assert_eq!(
            none(&f, "v=spf1 +all"),
            Some((1 << 32, u64::MAX)),
            "everything"
        );
        assert_eq!(
            none(&f, "v=spf1 ip6:2001:db8::/48 ip6:2001:db8:1::1 -all"),
            Some((0, 65_537))
        );
        // `?`, `~` and `-` let nothing pass; exists and ptr need a sender.
        assert_eq!(
            none(
                &f,
                "v=spf1 ?ip4:192.0.2.0/24 exists:%{i}.x.example ptr ~all"
            ),
            Some((0, 0))
        );
        f.a.insert(
            "example.jp".into(),
            vec![
                "192.0.2.10".parse().unwrap(),
                "2001:db8::10".parse().unwrap(),
            ]
            .into(),
        );
        f.mx.insert(
            "mail.example".into(),
            vec!["198.51.100.1".parse().unwrap()].into(),
        );
        assert_eq!(
            none(&f, "v=spf1 a/24//56 mx:mail.example -all"),
            Some((257, 256))
        );
        // A target the walk did not fetch: unknown, never 0.
        assert_eq!(none(&f, "v=spf1 a:other.example -all"), None);
        f.records.insert(
            "_spf.provider.example".into(),
            Arc::new(parse("v=spf1 ip4:203.0.113.0/24 -ip4:198.51.100.0/24 ?all").unwrap()),
        );
        // An include matches where its target passes, not where it fails or is neutral.
        assert_eq!(
            none(&f, "v=spf1 include:_spf.provider.example -all"),
            Some((256, 0))
        );
        assert_eq!(
            none(
                &f,
                "v=spf1 -include:_spf.provider.example ip4:203.0.113.0/25 -all"
            ),
            Some((0, 0))
        );
        // Redirect decides what nothing before it did; beside `all` it is ignored.
        assert_eq!(
            none(&f, "v=spf1 ip4:192.0.2.1 redirect=_spf.provider.example"),
            Some((257, 0))
        );
        assert_eq!(
            none(
                &f,
                "v=spf1 ip4:192.0.2.1 redirect=_spf.provider.example -all"
            ),
            Some((1, 0))
        );
        // `%{d}` is the domain being evaluated: known without a sender.
        f.records.insert(
            "example.jp._spf.example".into(),
            Arc::new(parse("v=spf1 ip4:192.0.2.0/30 -all").unwrap()),
        );
        assert_eq!(
            none(&f, "v=spf1 include:%{d}._spf.example -all"),
            Some((4, 0))
        );
    }
}
