//! The population as one RFC 1035 master file for the root zone, so that Knot DNS or NSD can
//! serve what the embedded server serves. Two things only the embedded server can: NS at the
//! names (in one root zone they would be delegations, hiding every record below them) and
//! the AD bit (so DANE reads `unauthenticated` there).

use std::io::Write;

use super::SimError;
use super::population::Population;
use super::records::{
    DMARC_SERVICE_SUFFIX, DmarcAnswer, HostRecords, REPORT_AUTHORIZATION, SHARED_TXT, apex_txt,
    check_txt, dkim_txt, dmarc, mx_records, own_hosts, provider_host, service_dmarc_txt,
};

/// RFC 1035 §5.1 character-string: quoted, with `"` and `\` escaped.
fn quoted(strings: &[String]) -> String {
    strings
        .iter()
        .map(|s| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// An MX host's addresses and its `_25._tcp` TLSA records (RFC 6698 §2.2 presentation).
fn write_host(w: &mut impl Write, h: &HostRecords) -> Result<(), SimError> {
    let host = &h.host;
    if let Some([a, b, c, d]) = h.a {
        writeln!(w, "{host}. A {a}.{b}.{c}.{d}")?;
    }
    if let Some(ip) = h.ipv6() {
        writeln!(w, "{host}. AAAA {ip}")?;
    }
    for (u, s, m, data) in &h.tlsa {
        let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
        let owner = crate::policy::mailhost::tlsa_owner(host);
        writeln!(w, "{owner}. TLSA {u} {s} {m} {hex}")?;
    }
    Ok(())
}

pub fn write_zonefile(pop: &Population, out: impl Write) -> Result<u64, SimError> {
    let mut w = std::io::BufWriter::with_capacity(1 << 20, out);
    writeln!(w, "$ORIGIN .\n$TTL 3600")?;
    writeln!(
        w,
        ". SOA ns.sim.invalid. hostmaster.sim.invalid. 1 3600 600 86400 300\n. NS ns.sim.invalid.\nns.sim.invalid. A 127.0.0.1"
    )?;
    for (name, txt) in SHARED_TXT.into_iter().chain([REPORT_AUTHORIZATION]) {
        writeln!(w, "{name}. TXT {}", quoted(&[txt.to_string()]))?;
    }
    write_host(&mut w, &provider_host())?;
    let service = quoted(&service_dmarc_txt()[0]);
    let mut n = 0;
    for s in pop.names() {
        let d = &s.name;
        writeln!(w, "{d}. A 192.0.2.80")?;
        for (pref, host) in mx_records(d, &s.truth) {
            let host = if host == "." { String::new() } else { host };
            writeln!(w, "{d}. MX {pref} {host}.")?;
        }
        for h in own_hosts(d, &s.truth) {
            write_host(&mut w, &h)?;
        }
        for (owner, txt) in dkim_txt(d, &s.truth) {
            writeln!(w, "{owner}. TXT {}", quoted(&txt))?;
        }
        for txt in apex_txt(d, &s.truth) {
            writeln!(w, "{d}. TXT {}", quoted(&txt))?;
        }
        for (owner, txts) in check_txt(d, &s.truth) {
            for txt in txts {
                writeln!(w, "{owner}. TXT {}", quoted(&txt))?;
            }
        }
        if let Some([a, b, c, e]) = super::transport::policy_address(&s.truth) {
            writeln!(w, "mta-sts.{d}. A {a}.{b}.{c}.{e}")?;
        }
        match dmarc(d, &s.truth) {
            DmarcAnswer::None => {}
            DmarcAnswer::Txt(txts) => {
                for txt in txts {
                    writeln!(w, "_dmarc.{d}. TXT {}", quoted(&txt))?;
                }
            }
            DmarcAnswer::Cname(target) => {
                writeln!(w, "_dmarc.{d}. CNAME {target}.")?;
                writeln!(w, "{d}.{DMARC_SERVICE_SUFFIX}. TXT {service}")?;
            }
        }
        n += 1;
    }
    w.flush()?;
    Ok(n)
}
