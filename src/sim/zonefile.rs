//! The population as one RFC 1035 master file for the root zone, so that Knot DNS or NSD can
//! serve what the embedded server serves. Two things only the embedded server can: NS at the
//! names (in one root zone they would be delegations, hiding every record below them) and
//! the AD bit.

use std::io::Write;

use super::SimError;
use super::population::Population;
use super::records::{
    DMARC_SERVICE_SUFFIX, DmarcAnswer, PROVIDER_MX_HOST, REPORT_AUTHORIZATION, SHARED_TXT,
    apex_txt, check_txt, dmarc, mx_records, service_dmarc_txt,
};

/// RFC 1035 §5.1 character-string: quoted, with `"` and `\` escaped.
fn quoted(strings: &[String]) -> String {
    strings
        .iter()
        .map(|s| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect::<Vec<_>>()
        .join(" ")
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
    writeln!(w, "{PROVIDER_MX_HOST}. A 192.0.2.25")?;
    let service = quoted(&service_dmarc_txt()[0]);
    let mut n = 0;
    for s in pop.names() {
        let d = &s.name;
        writeln!(w, "{d}. A 192.0.2.80")?;
        for (pref, host) in mx_records(d, &s.truth) {
            let host = if host == "." { String::new() } else { host };
            writeln!(w, "{d}. MX {pref} {host}.")?;
            if let Some(k) = ["mx1.", "mx2."].iter().position(|p| host.starts_with(p))
                && host.ends_with(d.as_str())
            {
                writeln!(w, "{host}. A 192.0.2.{}", k + 1)?;
            }
        }
        for txt in apex_txt(d, &s.truth) {
            writeln!(w, "{d}. TXT {}", quoted(&txt))?;
        }
        for (owner, txts) in check_txt(d, &s.truth) {
            for txt in txts {
                writeln!(w, "{owner}. TXT {}", quoted(&txt))?;
            }
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
